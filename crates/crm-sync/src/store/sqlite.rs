//! The SQLite store: one file, WAL mode, `BEGIN IMMEDIATE` transactions, and one OS file
//! lock per vendor and object beside the database.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

use super::queries::Tables;
use super::schema::{SQLITE_SCHEMA_TABLE, apply_migrations};
use super::{Backend, Existing, Key, PagePlan, RunEnd};
use crate::error::{Context, Error};
use crate::options::SyncMode;
use crate::source::Cursor;

/// How long a statement waits for another connection's write transaction (syncs of other
/// objects into the same file) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Rows per multi-row `INSERT` (8 parameters each: 4,000 per statement, far below
/// SQLite's limit of 32,766).
const UPSERT_ROWS: usize = 500;

/// Ids per `IN (...)` list.
const IN_LIST: usize = 500;

pub(crate) struct SqliteBackend {
    tables: Tables<Sqlite>,
    path: PathBuf,
}

/// The lock of one vendor and object: an exclusive `flock` on a file beside the database.
/// The kernel releases it when the process dies.
///
/// Dropping the guard unlocks the file explicitly before closing it. Closing alone is not
/// enough: an `flock` belongs to the open file description, which a child process that any
/// thread of this process spawns shares from its `fork` until its `exec` (or its exit).
/// If the last sync of an object ended inside that window, the lock would outlive the
/// run, and the next sync of the object in this process would find it busy. An explicit
/// `LOCK_UN` releases it for every copy of the descriptor.
pub(crate) struct SqliteGuard {
    file: File,
}

impl Drop for SqliteGuard {
    fn drop(&mut self) {
        if let Err(e) = self.file.unlock() {
            // Closing the file (just after this) still releases it, once no child holds
            // a copy of the descriptor.
            tracing::warn!("could not unlock a sync lock file: {e}");
        }
    }
}

impl SqliteBackend {
    pub(crate) async fn open(path: &Path) -> Result<Self, Error> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL loses no committed transaction when the process dies; after a
            // power loss the last commits may roll back, each as a whole (records, cursor and
            // run counts together), so a rerun still ends exactly once.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            // 16 MiB of page cache per connection instead of 2 MiB: pages of records stay hot.
            .pragma("cache_size", "-16384");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(0)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(options)
            .await
            .context(|| format!("opening SQLite database {}", path.display()))?;
        migrate(&pool).await.map_err(|e| with_path(e, path))?;
        Ok(SqliteBackend {
            tables: Tables { pool },
            path: path.to_owned(),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file of an object: `<db>-sync-<vendor>-<object>.lock`, with characters
    /// other than letters, digits, `_`, `-` and `.` replaced (plus a hash of the real name
    /// then, so that different objects never share a file).
    fn lock_path(&self, key: &Key<'_>) -> PathBuf {
        let safe: String = key
            .object
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .take(100)
            .collect();
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "crm-sync".to_owned());
        name.push_str("-sync-");
        name.push_str(key.vendor);
        name.push('-');
        name.push_str(&safe);
        if safe != key.object {
            name.push_str(&format!("-{:016x}", key.lock_id()));
        }
        name.push_str(".lock");
        self.path.with_file_name(name)
    }

    pub(crate) fn tables(&self) -> &Tables<Sqlite> {
        &self.tables
    }

    pub(crate) async fn close(self) {
        self.tables.pool.close().await;
    }

    async fn begin(
        &self,
        what: impl FnOnce() -> String,
    ) -> Result<Transaction<'static, Sqlite>, Error> {
        // IMMEDIATE takes the write lock at once (waiting up to the busy timeout), so a
        // transaction never fails half-way upgrading from reader to writer.
        self.tables
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .context(|| format!("starting a transaction for {}", what()))
    }
}

fn with_path(e: Error, path: &Path) -> Error {
    match e {
        Error::Database { context, source } => Error::Database {
            context: format!("{context} in {}", path.display()),
            source,
        },
        other => other,
    }
}

async fn migrate(pool: &SqlitePool) -> Result<(), Error> {
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .context(|| "starting the schema migration".to_owned())?;
    apply_migrations!(
        tx,
        table: SQLITE_SCHEMA_TABLE,
        sql: sqlite,
        insert: "INSERT INTO crm_sync_schema (version, description, applied_at) VALUES (?, ?, ?)"
    )?;
    tx.commit()
        .await
        .context(|| "committing the schema migration".to_owned())
}

fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s
}

/// A multi-row upsert of `rows` rows, 8 parameters each. (Numbered parameters that bind
/// the shared values once cost more: sqlx resolves every parameter's name on each run.)
fn upsert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO crm_records
            (vendor, object, id, record, modified_at, deleted, first_synced_at, last_synced_at, last_run)
         VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?, ?, ?, 0, ?, ?, ?)");
    }
    sql.push_str(
        " ON CONFLICT (vendor, object, id) DO UPDATE SET
            record = excluded.record,
            modified_at = excluded.modified_at,
            deleted = 0,
            last_synced_at = excluded.last_synced_at,
            last_run = excluded.last_run",
    );
    sql
}

impl Backend for SqliteBackend {
    type Guard = SqliteGuard;

    async fn lock(&self, key: &Key<'_>, wait: Duration) -> Result<SqliteGuard, Error> {
        let path = self.lock_path(key);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| Error::Lock {
                path: path.clone(),
                context: "cannot create or open it".to_owned(),
                source,
            })?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(SqliteGuard { file }),
                Err(TryLockError::WouldBlock) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Error::Busy {
                            vendor: key.vendor.to_owned(),
                            object: key.object.to_owned(),
                        });
                    }
                    tokio::time::sleep(left.min(Duration::from_millis(50))).await;
                }
                Err(TryLockError::Error(source)) => {
                    return Err(Error::Lock {
                        path,
                        context: "cannot lock it".to_owned(),
                        source,
                    });
                }
            }
        }
    }

    async fn unlock(&self, guard: SqliteGuard) {
        drop(guard);
    }

    async fn cursor(&self, key: &Key<'_>) -> Result<Option<Cursor>, Error> {
        self.tables.cursor(key).await
    }

    async fn existing(
        &self,
        key: &Key<'_>,
        ids: &[&str],
    ) -> Result<HashMap<String, Existing>, Error> {
        let mut found = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST) {
            let sql = format!(
                "SELECT id, record, modified_at, deleted FROM crm_records
                 WHERE vendor = ? AND object = ? AND id IN ({})",
                placeholders(chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(key.vendor).bind(key.object);
            for id in chunk {
                query = query.bind(*id);
            }
            let rows = query
                .fetch_all(&self.tables.pool)
                .await
                .context(|| format!("reading stored records of {key}"))?;
            for row in rows {
                let (id, existing) = (|| -> Result<_, sqlx::Error> {
                    Ok((
                        row.try_get::<String, _>("id")?,
                        Existing {
                            record: row.try_get("record")?,
                            modified_at: row.try_get("modified_at")?,
                            deleted: row.try_get::<i64, _>("deleted")? != 0,
                        },
                    ))
                })()
                .context(|| format!("decoding stored records of {key}"))?;
                found.insert(id, existing);
            }
        }
        Ok(found)
    }

    async fn live_ids(&self, key: &Key<'_>) -> Result<HashSet<String>, Error> {
        self.tables.live_ids(key).await
    }

    async fn begin_run(
        &self,
        _guard: &mut SqliteGuard,
        key: &Key<'_>,
        mode: SyncMode,
        started_at: i64,
    ) -> Result<(i64, u64), Error> {
        let mut tx = self.begin(|| format!("starting a run of {key}")).await?;
        let started = Tables::<Sqlite>::begin_run(&mut tx, key, mode, started_at).await?;
        tx.commit()
            .await
            .context(|| format!("committing the start of a run of {key}"))?;
        Ok(started)
    }

    async fn apply(
        &self,
        _guard: &mut SqliteGuard,
        key: &Key<'_>,
        plan: &PagePlan<'_>,
    ) -> Result<(), Error> {
        let context = || format!("storing a page of {key}");
        let mut tx = self.begin(context).await?;
        for chunk in plan.upserts.chunks(UPSERT_ROWS) {
            let sql = upsert_sql(chunk.len());
            let mut query = sqlx::query(&sql);
            for r in chunk {
                query = query
                    .bind(key.vendor)
                    .bind(key.object)
                    .bind(r.id.as_str())
                    .bind(r.json.get())
                    .bind(r.modified_at)
                    .bind(plan.now)
                    .bind(plan.now)
                    .bind(plan.run_id);
            }
            query.execute(&mut *tx).await.context(context)?;
        }
        for chunk in plan.touches.chunks(IN_LIST) {
            let sql = format!(
                "UPDATE crm_records SET last_synced_at = ?, last_run = ?
                 WHERE vendor = ? AND object = ? AND id IN ({})",
                placeholders(chunk.len())
            );
            let mut query = sqlx::query(&sql)
                .bind(plan.now)
                .bind(plan.run_id)
                .bind(key.vendor)
                .bind(key.object);
            for r in chunk {
                query = query.bind(r.id.as_str());
            }
            query.execute(&mut *tx).await.context(context)?;
        }
        Tables::<Sqlite>::end_page(&mut tx, key, plan).await?;
        tx.commit().await.context(context)
    }

    async fn finish(
        &self,
        _guard: &mut SqliteGuard,
        key: &Key<'_>,
        end: &RunEnd<'_>,
    ) -> Result<u64, Error> {
        let mut tx = self.begin(|| format!("ending a run of {key}")).await?;
        let marked = Tables::<Sqlite>::finish(&mut tx, key, end).await?;
        tx.commit()
            .await
            .context(|| format!("committing the end of a run of {key}"))?;
        Ok(marked)
    }
}
