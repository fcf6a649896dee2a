//! The PostgreSQL store: `jsonb` records, a session advisory lock per vendor and object held
//! by a dedicated connection that also carries every write of the run.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, Row};

use super::schema::{POSTGRES_MIGRATION_LOCK, POSTGRES_SCHEMA_TABLE, apply_migrations};
use super::{
    Backend, Existing, Key, PagePlan, RunEnd, RunStatus, StoredRecord, SyncRun, redact, to_i64,
    to_u64,
};
use crate::error::{Context, Error};
use crate::options::SyncMode;
use crate::source::{Cursor, Record};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct PgBackend {
    pool: PgPool,
    options: PgConnectOptions,
}

/// The lock of one vendor and object: `pg_try_advisory_lock` on a connection of its own.
/// PostgreSQL releases it when that session ends, including when the process dies or the
/// network drops; and since the run writes on the same session, a run whose lock is gone
/// cannot write any more.
pub(crate) struct PgGuard {
    conn: PgConnection,
    lock_id: i64,
}

impl PgBackend {
    pub(crate) async fn open(url: &str) -> Result<Self, Error> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| Error::Url {
                url: redact(url),
                reason: e.to_string(),
            })?
            .application_name("crm-sync");
        // One direct connection first: a pool would retry a refused or rejected connection
        // until its timeout and then report only that it timed out, where this reports why
        // (connection refused, password authentication failed, no such database, ...).
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| {
                Error::db(
                    format!("connecting to {}", redact(url)),
                    format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                )
            })?
            .context(|| format!("connecting to {}", redact(url)))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .min_connections(0)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options.clone())
            .await
            .context(|| format!("connecting to {}", redact(url)))?;
        migrate(&pool).await?;
        Ok(PgBackend { pool, options })
    }

    pub(crate) async fn records(&self, key: &Key<'_>) -> Result<Vec<StoredRecord>, Error> {
        let rows = sqlx::query(
            "SELECT id, record::text AS record, modified_at, deleted, first_synced_at, last_synced_at
             FROM crm_records WHERE vendor = $1 AND object = $2 ORDER BY id",
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
                    deleted: row.try_get("deleted")?,
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
             FROM crm_sync_runs WHERE vendor = $1 AND object = $2 ORDER BY id",
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
}

fn run_from_row(row: &PgRow) -> Result<SyncRun, sqlx::Error> {
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

async fn migrate(pool: &PgPool) -> Result<(), Error> {
    let mut tx = pool
        .begin()
        .await
        .context(|| "starting the schema migration".to_owned())?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(POSTGRES_MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .context(|| "waiting for another schema migration".to_owned())?;
    apply_migrations!(
        tx,
        table: POSTGRES_SCHEMA_TABLE,
        sql: postgres,
        insert: "INSERT INTO crm_sync_schema (version, description, applied_at) VALUES ($1, $2, $3)"
    )?;
    tx.commit()
        .await
        .context(|| "committing the schema migration".to_owned())
}

impl Backend for PgBackend {
    type Guard = PgGuard;

    async fn lock(&self, key: &Key<'_>, wait: Duration) -> Result<PgGuard, Error> {
        let mut conn = PgConnection::connect_with(&self.options)
            .await
            .context(|| format!("opening the lock session of {key}"))?;
        let lock_id = key.lock_id();
        let deadline = Instant::now() + wait;
        loop {
            let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(lock_id)
                .fetch_one(&mut conn)
                .await
                .context(|| format!("taking the lock of {key}"))?;
            if locked {
                return Ok(PgGuard { conn, lock_id });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let _ = conn.close().await;
                return Err(Error::Busy {
                    vendor: key.vendor.to_owned(),
                    object: key.object.to_owned(),
                });
            }
            tokio::time::sleep(left.min(Duration::from_millis(50))).await;
        }
    }

    async fn unlock(&self, mut guard: PgGuard) {
        // Closing the session releases the lock anyway; the explicit unlock only makes it
        // visible before the connection is torn down.
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(guard.lock_id)
            .execute(&mut guard.conn)
            .await;
        let _ = guard.conn.close().await;
    }

    async fn cursor(&self, key: &Key<'_>) -> Result<Option<Cursor>, Error> {
        let row = sqlx::query(
            "SELECT cursor_modified_at, cursor_id FROM crm_sync_state WHERE vendor = $1 AND object = $2",
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
        // One primary-key lookup per id (OFFSET 0 keeps the planner from turning this into
        // a scan of the whole object, which it does on a table without statistics).
        let rows = sqlx::query(
            "SELECT c.id, c.record::text AS record, c.modified_at, c.deleted
             FROM UNNEST($3::text[]) AS u(id)
             CROSS JOIN LATERAL (
                SELECT id, record, modified_at, deleted FROM crm_records
                WHERE vendor = $1 AND object = $2 AND id = u.id OFFSET 0
             ) AS c",
        )
        .bind(key.vendor)
        .bind(key.object)
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .context(|| format!("reading stored records of {key}"))?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String, _>("id")?,
                    Existing {
                        record: row.try_get("record")?,
                        modified_at: row.try_get("modified_at")?,
                        deleted: row.try_get("deleted")?,
                    },
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .context(|| format!("decoding stored records of {key}"))
    }

    async fn live_ids(&self, key: &Key<'_>) -> Result<HashSet<String>, Error> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM crm_records WHERE vendor = $1 AND object = $2 AND NOT deleted",
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
        guard: &mut PgGuard,
        key: &Key<'_>,
        mode: SyncMode,
        started_at: i64,
    ) -> Result<(i64, u64), Error> {
        let mut tx = guard
            .conn
            .begin()
            .await
            .context(|| format!("starting a run of {key}"))?;
        let abandoned = sqlx::query(
            "UPDATE crm_sync_runs SET status = 'abandoned'
             WHERE vendor = $1 AND object = $2 AND status = 'running'",
        )
        .bind(key.vendor)
        .bind(key.object)
        .execute(&mut *tx)
        .await
        .context(|| format!("marking interrupted runs of {key} abandoned"))?
        .rows_affected();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO crm_sync_runs (vendor, object, mode, status, started_at)
             VALUES ($1, $2, $3, 'running', $4) RETURNING id",
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
        guard: &mut PgGuard,
        key: &Key<'_>,
        plan: &PagePlan<'_>,
    ) -> Result<(), Error> {
        let context = || format!("storing a page of {key}");
        let mut tx = guard.conn.begin().await.context(context)?;
        // One statement for the whole page: the conflict arbiter finds each row through the
        // primary key, whatever the planner's statistics say (a fresh table has none). An
        // unchanged record keeps its stored jsonb (`=` on jsonb compares values), so only
        // `last_synced_at` and `last_run` change for it.
        let rows: Vec<&Record> = plan.upserts.iter().chain(&plan.touches).copied().collect();
        if !rows.is_empty() {
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let records: Vec<&str> = rows.iter().map(|r| r.json.get()).collect();
            let modified: Vec<Option<i64>> = rows.iter().map(|r| r.modified_at).collect();
            sqlx::query(
                "INSERT INTO crm_records
                    (vendor, object, id, record, modified_at, deleted, first_synced_at, last_synced_at, last_run)
                 SELECT $1, $2, u.id, u.record::jsonb, u.modified_at, false, $6, $6, $7
                 FROM UNNEST($3::text[], $4::text[], $5::int8[]) AS u(id, record, modified_at)
                 ON CONFLICT (vendor, object, id) DO UPDATE SET
                    record = CASE WHEN crm_records.record = EXCLUDED.record
                                  THEN crm_records.record ELSE EXCLUDED.record END,
                    modified_at = EXCLUDED.modified_at,
                    deleted = false,
                    last_synced_at = EXCLUDED.last_synced_at,
                    last_run = EXCLUDED.last_run",
            )
            .bind(key.vendor)
            .bind(key.object)
            .bind(&ids)
            .bind(&records)
            .bind(&modified)
            .bind(plan.now)
            .bind(plan.run_id)
            .execute(&mut *tx)
            .await
            .context(context)?;
        }
        if let Some(cursor) = plan.cursor {
            // Row values compare like `Cursor`: time, then id (collation "C" = bytes).
            sqlx::query(
                "INSERT INTO crm_sync_state (vendor, object, cursor_modified_at, cursor_id, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (vendor, object) DO UPDATE SET
                    cursor_modified_at = EXCLUDED.cursor_modified_at,
                    cursor_id = EXCLUDED.cursor_id,
                    updated_at = EXCLUDED.updated_at
                 WHERE (crm_sync_state.cursor_modified_at, crm_sync_state.cursor_id)
                     < (EXCLUDED.cursor_modified_at, EXCLUDED.cursor_id)",
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
            "UPDATE crm_sync_runs SET pages = $1, fetched = $2, inserted = $3, updated = $4,
                unchanged = $5, vendor_calls = $6 WHERE id = $7",
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
        guard: &mut PgGuard,
        key: &Key<'_>,
        end: &RunEnd<'_>,
    ) -> Result<u64, Error> {
        let mut tx = guard
            .conn
            .begin()
            .await
            .context(|| format!("ending a run of {key}"))?;
        let marked = if end.mark_deleted {
            sqlx::query(
                "UPDATE crm_records SET deleted = true
                 WHERE vendor = $1 AND object = $2 AND NOT deleted AND last_run <> $3",
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
            "UPDATE crm_sync_runs SET status = $1, ended_at = $2, pages = $3, fetched = $4,
                inserted = $5, updated = $6, unchanged = $7, marked_deleted = $8,
                vendor_calls = $9, error = $10
             WHERE id = $11",
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
