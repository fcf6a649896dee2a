//! The errors of opening a store and of a sync run.

use std::path::PathBuf;

use crate::SyncSummary;
use crate::source::SourceError;

/// A boxed lower-level error (the database driver's), kept as the `source()` of [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why opening a store or a sync run failed.
///
/// A run that ends with an error is never marked completed: its row in `crm_sync_runs` says
/// `failed` (or stays `running` if the process died), the pages stored before the error stay
/// stored, and the cursor is at the last stored record, so the next run resumes from there.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL is not a SQLite path, `sqlite://PATH`, `postgres://...` or
    /// `postgresql://...`.
    #[error("database {url}: {reason}")]
    Url {
        /// The URL as given, password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Another sync of the same vendor and object holds the lock (in this or another
    /// process), and it was not released within the configured wait.
    #[error(
        "another sync of {vendor} {object} is running on this database (its lock is released when it ends or its process dies); try again later"
    )]
    Busy {
        /// The vendor of the object.
        vendor: String,
        /// The object.
        object: String,
    },

    /// The database failed.
    #[error("database error while {context}")]
    Database {
        /// What the store was doing.
        context: String,
        /// The driver's error.
        #[source]
        source: BoxError,
    },

    /// A lock file next to the SQLite database could not be created or locked.
    #[error("lock file {}: {context}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// What failed.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The database was migrated by a newer version of this library.
    #[error(
        "the database schema is at version {found}, newer than the {supported} this version of crm-sync knows; upgrade crm-sync"
    )]
    SchemaTooNew {
        /// The version recorded in the database.
        found: i64,
        /// The newest version this library knows.
        supported: i64,
    },

    /// The source failed (vendor error, quota exhausted, network). The run is marked
    /// `failed`; everything in `summary` up to the failure is stored (unless dry run).
    #[error("sync of {} {} failed after {} records: {source}", summary.vendor, summary.object, summary.counts.fetched)]
    Source {
        /// The counts up to the failure.
        summary: Box<SyncSummary>,
        /// The source's error.
        #[source]
        source: SourceError,
    },

    /// The source produced a record the engine refuses: no id, an incremental record
    /// without a modification time, or records out of `(modified_at, id)` order. The page
    /// holding it is not stored and the run is marked `failed`.
    #[error("sync of {} {} failed after {} records: invalid record from the source: {reason}", summary.vendor, summary.object, summary.counts.fetched)]
    InvalidRecord {
        /// The counts up to the failure (the refused page not included).
        summary: Box<SyncSummary>,
        /// What is wrong.
        reason: String,
    },

    /// The source's object name is empty.
    #[error("the source has an empty object name")]
    EmptyObject,
}

impl Error {
    /// The counts of a run that failed part-way: what was stored before the failure.
    pub fn summary(&self) -> Option<&SyncSummary> {
        match self {
            Error::Source { summary, .. } | Error::InvalidRecord { summary, .. } => Some(summary),
            _ => None,
        }
    }

    /// Whether the error says another sync of the same object holds the lock.
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Busy { .. })
    }

    pub(crate) fn db(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Database {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// Adds what the store was doing to a driver error.
pub(crate) trait Context<T> {
    /// `Error::Database` with `context`.
    fn context(self, context: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, sqlx::Error> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|e| Error::db(context(), e))
    }
}
