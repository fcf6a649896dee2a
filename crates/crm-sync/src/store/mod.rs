//! The store: one interface ([`Store`]) over two databases (SQLite and PostgreSQL, both on
//! sqlx), chosen by URL.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine;
use crate::error::Error;
use crate::options::{Progress, RunCounts, SyncMode, SyncOptions, SyncSummary};
use crate::source::{Cursor, Record, Source, Vendor};

mod postgres;
mod queries;
mod schema;
mod sqlite;

pub use schema::SCHEMA_VERSION;
pub(crate) use schema::now_ms;

/// Which database a [`Store`] writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreKind {
    /// An SQLite file (embedded, WAL mode).
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// A database holding copies of CRM records: the tables `crm_records`, `crm_sync_state`
/// and `crm_sync_runs` (and `crm_sync_schema`, the migration record).
///
/// Open it with [`Store::open`], run syncs with [`Store::sync`], read what it holds with
/// [`Store::records`], [`Store::cursor`] and [`Store::runs`]. A store may be shared by
/// reference between tasks; syncs of different objects may run at once, while a second
/// sync of the same vendor and object fails with [`Error::Busy`] (or waits, see
/// [`SyncOptions::lock_wait`]).
pub struct Store {
    inner: Inner,
    display: String,
}

enum Inner {
    Sqlite(sqlite::SqliteBackend),
    Postgres(Box<postgres::PgBackend>),
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("database", &self.display)
            .finish_non_exhaustive()
    }
}

/// A database URL, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

fn parse_url(url: &str) -> Result<Target, Error> {
    let bad = |reason: &str| Error::Url {
        url: redact(url),
        reason: reason.to_owned(),
    };
    let url = url.trim();
    if url.is_empty() {
        return Err(bad(
            "empty; give a file path, sqlite://PATH or postgres://...",
        ));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres(url.to_owned()));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() || path == ":memory:" || path.starts_with(":memory:") {
            return Err(bad(
                "an in-memory SQLite database cannot be shared by the connections of a sync; give a file path",
            ));
        }
        if path.contains('?') {
            return Err(bad(
                "options in a sqlite URL are not supported; the store sets its own (WAL, busy timeout)",
            ));
        }
        return Ok(Target::Sqlite(PathBuf::from(path)));
    }
    if let Some((scheme, _)) = url.split_once("://")
        && !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return Err(bad(&format!(
            "unsupported scheme {scheme:?}; use a file path, sqlite://PATH or postgres://..."
        )));
    }
    Ok(Target::Sqlite(PathBuf::from(url)))
}

/// A database URL fit for messages and logs: any password (`user:PASSWORD@host`, or a
/// `password=` query parameter) replaced by `***`. A file path or a URL without a password
/// comes back unchanged.
///
/// ```
/// assert_eq!(
///     crm_sync::redact_url("postgres://crm:s3cret@db.internal/crm?sslmode=require"),
///     "postgres://crm:***@db.internal/crm?sslmode=require"
/// );
/// assert_eq!(
///     crm_sync::redact_url("postgres://db.internal/crm?user=crm&password=s3cret"),
///     "postgres://db.internal/crm?user=crm&password=***"
/// );
/// assert_eq!(crm_sync::redact_url("/var/lib/crm.db"), "/var/lib/crm.db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let secret_query = parsed
        .query_pairs()
        .any(|(k, _)| k.eq_ignore_ascii_case("password"));
    if parsed.password().is_none() && !secret_query {
        return url.to_owned();
    }
    if parsed.password().is_some() && parsed.set_password(Some("***")).is_err() {
        return "<a URL with a password>".to_owned();
    }
    if secret_query {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("password") {
                    "***".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// [`redact_url`] under the name the store's code uses.
pub(crate) fn redact(url: &str) -> String {
    redact_url(url)
}

impl Store {
    /// Opens (and creates when absent) the database at `url`, and migrates its schema to
    /// [`SCHEMA_VERSION`]. Migrating an up-to-date database changes nothing.
    ///
    /// - `postgres://...` or `postgresql://...`: a PostgreSQL database (libpq-style URL,
    ///   `sslmode` honoured; TLS by rustls).
    /// - `sqlite://PATH`, `sqlite:PATH` or a plain file path: an SQLite file, created if
    ///   absent (its directory must exist), in WAL mode. Lock files named
    ///   `PATH-sync-<vendor>-<object>.lock` are created beside it.
    pub async fn open(url: &str) -> Result<Store, Error> {
        match parse_url(url)? {
            Target::Sqlite(path) => {
                let display = path.display().to_string();
                let backend = sqlite::SqliteBackend::open(&path).await?;
                Ok(Store {
                    inner: Inner::Sqlite(backend),
                    display,
                })
            }
            Target::Postgres(url) => {
                let backend = postgres::PgBackend::open(&url).await?;
                Ok(Store {
                    inner: Inner::Postgres(Box::new(backend)),
                    display: redact(&url),
                })
            }
        }
    }

    /// Which database this is.
    pub fn kind(&self) -> StoreKind {
        match self.inner {
            Inner::Sqlite(_) => StoreKind::Sqlite,
            Inner::Postgres(_) => StoreKind::Postgres,
        }
    }

    /// The SQLite file, for a SQLite store.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.inner {
            Inner::Sqlite(b) => Some(b.path()),
            Inner::Postgres(_) => None,
        }
    }

    /// Runs one sync of `source` into this store. See the crate docs for the guarantees.
    ///
    /// Errors: [`Error::Busy`] when another sync of the object runs; [`Error::Source`] and
    /// [`Error::InvalidRecord`] when the source fails part-way (the run is marked `failed`,
    /// what was stored stays stored, [`Error::summary`] has the counts);
    /// [`Error::Database`] when the database fails.
    pub async fn sync(
        &self,
        source: &dyn Source,
        options: &SyncOptions,
    ) -> Result<SyncSummary, Error> {
        self.sync_with_progress(source, options, |_| {}).await
    }

    /// [`Store::sync`], calling `progress` after each page (for a progress bar).
    pub async fn sync_with_progress(
        &self,
        source: &dyn Source,
        options: &SyncOptions,
        mut progress: impl FnMut(&Progress) + Send,
    ) -> Result<SyncSummary, Error> {
        match &self.inner {
            Inner::Sqlite(b) => engine::run(b, source, options, &mut progress).await,
            Inner::Postgres(b) => engine::run(b.as_ref(), source, options, &mut progress).await,
        }
    }

    /// The stored cursor of an object (`None` before its first incremental page).
    pub async fn cursor(&self, vendor: Vendor, object: &str) -> Result<Option<Cursor>, Error> {
        let key = Key::new(vendor, object);
        match &self.inner {
            Inner::Sqlite(b) => b.cursor(&key).await,
            Inner::Postgres(b) => b.cursor(&key).await,
        }
    }

    /// Every stored record of an object, deleted ones included, ordered by id (bytes).
    pub async fn records(&self, vendor: Vendor, object: &str) -> Result<Vec<StoredRecord>, Error> {
        let key = Key::new(vendor, object);
        match &self.inner {
            Inner::Sqlite(b) => b.tables().records(&key).await,
            Inner::Postgres(b) => b.tables().records(&key).await,
        }
    }

    /// The runs of an object, oldest first.
    pub async fn runs(&self, vendor: Vendor, object: &str) -> Result<Vec<SyncRun>, Error> {
        let key = Key::new(vendor, object);
        match &self.inner {
            Inner::Sqlite(b) => b.tables().runs(&key).await,
            Inner::Postgres(b) => b.tables().runs(&key).await,
        }
    }

    /// The schema version recorded in the database.
    pub async fn schema_version(&self) -> Result<i64, Error> {
        match &self.inner {
            Inner::Sqlite(b) => b.tables().schema_version().await,
            Inner::Postgres(b) => b.tables().schema_version().await,
        }
    }

    /// Closes the connections (waiting for them to finish).
    pub async fn close(self) {
        match self.inner {
            Inner::Sqlite(b) => b.close().await,
            Inner::Postgres(b) => (*b).close().await,
        }
    }
}

/// A row of `crm_records`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredRecord {
    /// The vendor's id.
    pub id: String,
    /// The record's JSON: the vendor's text in SQLite, `jsonb` rendered as text in
    /// PostgreSQL (same value, PostgreSQL's key order and spacing).
    pub record: String,
    /// The vendor's modification time, epoch ms.
    pub modified_at: Option<i64>,
    /// Whether a completed full pass did not see the record (it is never physically deleted).
    pub deleted: bool,
    /// When a sync first stored the record, epoch ms.
    pub first_synced_at: i64,
    /// When a sync last saw the record, epoch ms.
    pub last_synced_at: i64,
}

impl StoredRecord {
    /// The record parsed as a JSON value.
    pub fn value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.record)
    }
}

/// The status of a run in `crm_sync_runs.status`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RunStatus {
    /// Started and not finished: either still running, or its process died (the next run
    /// of the object turns it into `abandoned`).
    Running,
    /// Ended normally: the whole read was stored (and, for a full pass, deletions marked).
    Completed,
    /// Ended by an error (the `error` column says which); what was stored stays stored.
    Failed,
    /// Found `running` by a later run holding the lock: its process died mid-run.
    Abandoned,
    /// A status this version does not know.
    Other(String),
}

impl RunStatus {
    /// The text stored in the `status` column.
    pub fn as_str(&self) -> &str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Abandoned => "abandoned",
            RunStatus::Other(s) => s,
        }
    }

    pub(crate) fn parse(s: &str) -> RunStatus {
        match s {
            "running" => RunStatus::Running,
            "completed" => RunStatus::Completed,
            "failed" => RunStatus::Failed,
            "abandoned" => RunStatus::Abandoned,
            other => RunStatus::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row of `crm_sync_runs`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncRun {
    /// The run's id (increasing).
    pub id: i64,
    /// `incremental` or `full`.
    pub mode: String,
    /// The status.
    pub status: RunStatus,
    /// Start, epoch ms.
    pub started_at: i64,
    /// End, epoch ms (`None` while running, or when the process died).
    pub ended_at: Option<i64>,
    /// What the run counted (as far as it got, for a run that failed or was abandoned).
    pub counts: RunCounts,
    /// Why the run failed.
    pub error: Option<String>,
}

// ---------------------------------------------------------------------------------------
// The interface the engine drives; implemented once per database.

/// The vendor and object a run is about.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key<'a> {
    pub vendor: &'static str,
    pub object: &'a str,
}

impl<'a> Key<'a> {
    pub fn new(vendor: Vendor, object: &'a str) -> Self {
        Key {
            vendor: vendor.as_str(),
            object,
        }
    }

    /// The advisory lock key (PostgreSQL) of this object: FNV-1a of
    /// `crm-sync/<vendor>/<object>`, stable across processes and versions.
    pub fn lock_id(&self) -> i64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in "crm-sync/"
            .bytes()
            .chain(self.vendor.bytes())
            .chain(std::iter::once(b'/'))
            .chain(self.object.bytes())
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        i64::from_ne_bytes(h.to_ne_bytes())
    }
}

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.vendor, self.object)
    }
}

/// A stored copy, as far as classification needs it.
#[derive(Clone, Debug)]
pub(crate) struct Existing {
    pub record: String,
    pub modified_at: Option<i64>,
    pub deleted: bool,
}

/// The writes of one page, committed in one transaction.
pub(crate) struct PagePlan<'a> {
    pub run_id: i64,
    /// `last_synced_at` (and `first_synced_at` of new records), epoch ms.
    pub now: i64,
    /// New or changed records (or coming back from deleted): written whole.
    pub upserts: Vec<&'a Record>,
    /// Unchanged records: only `last_synced_at` and `last_run` are set.
    pub touches: Vec<&'a Record>,
    /// The new cursor, if it moves forward (the store also refuses to lower it).
    pub cursor: Option<&'a Cursor>,
    /// The run's totals after this page, for its row.
    pub totals: &'a RunCounts,
}

/// The end of a run, committed in one transaction.
pub(crate) struct RunEnd<'a> {
    pub run_id: i64,
    pub status: RunStatus,
    pub ended_at: i64,
    pub totals: &'a RunCounts,
    pub error: Option<&'a str>,
    /// Mark records of the object not seen by this run as deleted (a completed full pass).
    pub mark_deleted: bool,
}

/// What one database implements. Reads take `&self`; writes go through the guard that
/// holds the object's lock, so PostgreSQL can write on the very session that holds its
/// advisory lock: if that session dies, the lock is gone and so are the writes.
pub(crate) trait Backend: Sync {
    /// The object's lock, held for the whole run.
    type Guard: Send;

    /// Takes the lock of the object, waiting up to `wait` for another run to finish.
    async fn lock(&self, key: &Key<'_>, wait: Duration) -> Result<Self::Guard, Error>;

    /// Gives the lock back.
    async fn unlock(&self, guard: Self::Guard);

    /// The stored cursor.
    async fn cursor(&self, key: &Key<'_>) -> Result<Option<Cursor>, Error>;

    /// The stored copies of `ids` (those that exist).
    async fn existing(
        &self,
        key: &Key<'_>,
        ids: &[&str],
    ) -> Result<HashMap<String, Existing>, Error>;

    /// The ids of the object's records not marked deleted.
    async fn live_ids(&self, key: &Key<'_>) -> Result<HashSet<String>, Error>;

    /// Marks runs left `running` as `abandoned` and inserts the new run's row; returns its
    /// id and how many runs were abandoned.
    async fn begin_run(
        &self,
        guard: &mut Self::Guard,
        key: &Key<'_>,
        mode: SyncMode,
        started_at: i64,
    ) -> Result<(i64, u64), Error>;

    /// Commits one page: upserts, touches, cursor and run totals in one transaction.
    async fn apply(
        &self,
        guard: &mut Self::Guard,
        key: &Key<'_>,
        plan: &PagePlan<'_>,
    ) -> Result<(), Error>;

    /// Ends the run (marking deletions if asked) in one transaction; returns how many
    /// records were marked deleted.
    async fn finish(
        &self,
        guard: &mut Self::Guard,
        key: &Key<'_>,
        end: &RunEnd<'_>,
    ) -> Result<u64, Error>;
}

pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_database() {
        for (url, target) in [
            ("crm.db", Target::Sqlite("crm.db".into())),
            ("/var/lib/crm.db", Target::Sqlite("/var/lib/crm.db".into())),
            ("sqlite://data/crm.db", Target::Sqlite("data/crm.db".into())),
            ("sqlite:///abs/crm.db", Target::Sqlite("/abs/crm.db".into())),
            ("sqlite:crm.db", Target::Sqlite("crm.db".into())),
            (
                "postgres://u:p@localhost/crm",
                Target::Postgres("postgres://u:p@localhost/crm".into()),
            ),
            (
                "postgresql://localhost/crm",
                Target::Postgres("postgresql://localhost/crm".into()),
            ),
        ] {
            assert_eq!(parse_url(url).ok(), Some(target), "{url}");
        }
    }

    #[test]
    fn unusable_urls_are_refused_with_a_reason() {
        for url in [
            "",
            "sqlite::memory:",
            "sqlite://",
            "mysql://h/db",
            "sqlite://a.db?mode=ro",
        ] {
            let err = parse_url(url).expect_err(url);
            assert!(matches!(err, Error::Url { .. }), "{url}: {err}");
        }
    }

    #[test]
    fn passwords_never_reach_messages() {
        let err = parse_url("mysql://user:s3cret@host/db").expect_err("mysql");
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert_eq!(
            redact("postgres://user:s3cret@host/db"),
            "postgres://user:***@host/db"
        );
    }

    #[test]
    fn lock_ids_are_stable_and_distinct() {
        let a = Key::new(Vendor::Fxiaoke, "AccountObj");
        let b = Key::new(Vendor::Fxiaoke, "ContactObj");
        assert_eq!(
            a.lock_id(),
            Key::new(Vendor::Fxiaoke, "AccountObj").lock_id()
        );
        assert_ne!(a.lock_id(), b.lock_id());
        assert_ne!(
            Key::new(Vendor::Useasy, "customers").lock_id(),
            Key::new(Vendor::U8, "customers").lock_id()
        );
    }
}
