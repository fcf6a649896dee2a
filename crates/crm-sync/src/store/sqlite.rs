//! The SQLite store: one file, WAL mode, `BEGIN IMMEDIATE` transactions, and one OS file
//! lock per vendor and object beside the database.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

use super::schema::{SQLITE_SCHEMA_TABLE, apply_migrations};
use super::{
    Backend, Existing, Key, PagePlan, RunEnd, RunStatus, StoredRecord, SyncRun, to_i64, to_u64,
};
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
    pool: SqlitePool,
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
            pool,
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

    pub(crate) async fn records(&self, key: &Key<'_>) -> Result<Vec<StoredRecord>, Error> {
        let rows = sqlx::query(
            "SELECT id, record, modified_at, deleted, first_synced_at, last_synced_at
             FROM crm_records WHERE vendor = ? AND object = ? ORDER BY id",
        )
        .bind(key.vendor)
        .bind(key.object)
        .fetch_all(&self.pool)
        .await
        .context(|| format!("reading the records of {key}"))?;
        rows.iter()
            .map(|row| {
                Ok(StoredRecord {
                    id: row.try_get("id")?,
                    record: row.try_get("record")?,
                    modified_at: row.try_get("modified_at")?,
                    deleted: row.try_get::<i64, _>("deleted")? != 0,
                    first_synced_at: row.try_get("first_synced_at")?,
                    last_synced_at: row.try_get("last_synced_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .context(|| format!("decoding the records of {key}"))
    }

    pub(crate) async fn runs(&self, key: &Key<'_>) -> Result<Vec<SyncRun>, Error> {
        let rows = sqlx::query(
            "SELECT id, mode, status, started_at, ended_at, pages, fetched, inserted, updated,
                    unchanged, marked_deleted, vendor_calls, error
             FROM crm_sync_runs WHERE vendor = ? AND object = ? ORDER BY id",
        )
        .bind(key.vendor)
        .bind(key.object)
        .fetch_all(&self.pool)
        .await
        .context(|| format!("reading the runs of {key}"))?;
        rows.iter()
            .map(run_from_row)
            .collect::<Result<_, sqlx::Error>>()
            .context(|| format!("decoding the runs of {key}"))
    }

    pub(crate) async fn schema_version(&self) -> Result<i64, Error> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM crm_sync_schema")
            .fetch_one(&self.pool)
            .await
            .context(|| "reading the schema version".to_owned())?;
        Ok(v.unwrap_or(0))
    }

    pub(crate) async fn close(self) {
        self.pool.close().await;
    }

    async fn begin(
        &self,
        what: impl FnOnce() -> String,
    ) -> Result<Transaction<'static, Sqlite>, Error> {
        // IMMEDIATE takes the write lock at once (waiting up to the busy timeout), so a
        // transaction never fails half-way upgrading from reader to writer.
        self.pool
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

pub(super) fn run_from_row(row: &SqliteRow) -> Result<SyncRun, sqlx::Error> {
    Ok(SyncRun {
        id: row.try_get("id")?,
        mode: row.try_get("mode")?,
        status: RunStatus::parse(row.try_get::<&str, _>("status")?),
        started_at: row.try_get("started_at")?,
        ended_at: row.try_get("ended_at")?,
        pages: to_u64(row.try_get("pages")?),
        fetched: to_u64(row.try_get("fetched")?),
        inserted: to_u64(row.try_get("inserted")?),
        updated: to_u64(row.try_get("updated")?),
        unchanged: to_u64(row.try_get("unchanged")?),
        marked_deleted: to_u64(row.try_get("marked_deleted")?),
        vendor_calls: to_u64(row.try_get("vendor_calls")?),
        error: row.try_get("error")?,
    })
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
        let row = sqlx::query(
            "SELECT cursor_modified_at, cursor_id FROM crm_sync_state WHERE vendor = ? AND object = ?",
        )
        .bind(key.vendor)
        .bind(key.object)
        .fetch_optional(&self.pool)
        .await
        .context(|| format!("reading the cursor of {key}"))?;
        row.map(|row| {
            Ok(Cursor {
                modified_at: row.try_get("cursor_modified_at")?,
                id: row.try_get("cursor_id")?,
            })
        })
        .transpose()
        .context(|| format!("decoding the cursor of {key}"))
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
                .fetch_all(&self.pool)
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
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM crm_records WHERE vendor = ? AND object = ? AND deleted = 0",
        )
        .bind(key.vendor)
        .bind(key.object)
        .fetch_all(&self.pool)
        .await
        .context(|| format!("reading the ids of {key}"))?;
        Ok(ids.into_iter().collect())
    }

    async fn begin_run(
        &self,
        _guard: &mut SqliteGuard,
        key: &Key<'_>,
        mode: SyncMode,
        started_at: i64,
    ) -> Result<(i64, u64), Error> {
        let mut tx = self.begin(|| format!("starting a run of {key}")).await?;
        let abandoned = sqlx::query(
            "UPDATE crm_sync_runs SET status = 'abandoned'
             WHERE vendor = ? AND object = ? AND status = 'running'",
        )
        .bind(key.vendor)
        .bind(key.object)
        .execute(&mut *tx)
        .await
        .context(|| format!("marking interrupted runs of {key} abandoned"))?
        .rows_affected();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO crm_sync_runs (vendor, object, mode, status, started_at)
             VALUES (?, ?, ?, 'running', ?) RETURNING id",
        )
        .bind(key.vendor)
        .bind(key.object)
        .bind(mode.as_str())
        .bind(started_at)
        .fetch_one(&mut *tx)
        .await
        .context(|| format!("recording a run of {key}"))?;
        tx.commit()
            .await
            .context(|| format!("committing the start of a run of {key}"))?;
        Ok((id, abandoned))
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
        if let Some(cursor) = plan.cursor {
            // Row values compare like `Cursor`: time, then id (BINARY collation = bytes).
            sqlx::query(
                "INSERT INTO crm_sync_state (vendor, object, cursor_modified_at, cursor_id, updated_at)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (vendor, object) DO UPDATE SET
                    cursor_modified_at = excluded.cursor_modified_at,
                    cursor_id = excluded.cursor_id,
                    updated_at = excluded.updated_at
                 WHERE (crm_sync_state.cursor_modified_at, crm_sync_state.cursor_id)
                     < (excluded.cursor_modified_at, excluded.cursor_id)",
            )
            .bind(key.vendor)
            .bind(key.object)
            .bind(cursor.modified_at)
            .bind(cursor.id.as_str())
            .bind(plan.now)
            .execute(&mut *tx)
            .await
            .context(|| format!("moving the cursor of {key}"))?;
        }
        let t = plan.totals;
        sqlx::query(
            "UPDATE crm_sync_runs SET pages = ?, fetched = ?, inserted = ?, updated = ?,
                unchanged = ?, vendor_calls = ? WHERE id = ?",
        )
        .bind(to_i64(t.pages))
        .bind(to_i64(t.fetched))
        .bind(to_i64(t.inserted))
        .bind(to_i64(t.updated))
        .bind(to_i64(t.unchanged))
        .bind(to_i64(t.vendor_calls))
        .bind(plan.run_id)
        .execute(&mut *tx)
        .await
        .context(|| format!("counting a page of {key}"))?;
        tx.commit().await.context(context)
    }

    async fn finish(
        &self,
        _guard: &mut SqliteGuard,
        key: &Key<'_>,
        end: &RunEnd<'_>,
    ) -> Result<u64, Error> {
        let mut tx = self.begin(|| format!("ending a run of {key}")).await?;
        let marked = if end.mark_deleted {
            sqlx::query(
                "UPDATE crm_records SET deleted = 1
                 WHERE vendor = ? AND object = ? AND deleted = 0 AND last_run <> ?",
            )
            .bind(key.vendor)
            .bind(key.object)
            .bind(end.run_id)
            .execute(&mut *tx)
            .await
            .context(|| format!("marking records of {key} not seen as deleted"))?
            .rows_affected()
        } else {
            0
        };
        let t = end.totals;
        sqlx::query(
            "UPDATE crm_sync_runs SET status = ?, ended_at = ?, pages = ?, fetched = ?,
                inserted = ?, updated = ?, unchanged = ?, marked_deleted = ?, vendor_calls = ?,
                error = ?
             WHERE id = ?",
        )
        .bind(end.status.as_str())
        .bind(end.ended_at)
        .bind(to_i64(t.pages))
        .bind(to_i64(t.fetched))
        .bind(to_i64(t.inserted))
        .bind(to_i64(t.updated))
        .bind(to_i64(t.unchanged))
        .bind(to_i64(marked))
        .bind(to_i64(t.vendor_calls))
        .bind(end.error)
        .bind(end.run_id)
        .execute(&mut *tx)
        .await
        .context(|| format!("recording the end of a run of {key}"))?;
        tx.commit()
            .await
            .context(|| format!("committing the end of a run of {key}"))?;
        Ok(marked)
    }
}
