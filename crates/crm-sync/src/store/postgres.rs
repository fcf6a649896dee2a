//! The PostgreSQL store: `jsonb` records, a session advisory lock per vendor and object held
//! by a dedicated connection that also carries every write of the run.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres, Row};

use super::queries::Tables;
use super::schema::{POSTGRES_MIGRATION_LOCK, POSTGRES_SCHEMA_TABLE, apply_migrations};
use super::{Backend, Existing, Key, PagePlan, RunEnd, redact};
use crate::error::{Context, Error};
use crate::options::SyncMode;
use crate::source::{Cursor, Record};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct PgBackend {
    tables: Tables<Postgres>,
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
        Ok(PgBackend {
            tables: Tables { pool },
            options,
        })
    }

    pub(crate) fn tables(&self) -> &Tables<Postgres> {
        &self.tables
    }

    pub(crate) async fn close(self) {
        self.tables.pool.close().await;
    }
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
        self.tables.cursor(key).await
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
        .fetch_all(&self.tables.pool)
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
        self.tables.live_ids(key).await
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
        let started = Tables::<Postgres>::begin_run(&mut tx, key, mode, started_at).await?;
        tx.commit()
            .await
            .context(|| format!("committing the start of a run of {key}"))?;
        Ok(started)
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
        Tables::<Postgres>::end_page(&mut tx, key, plan).await?;
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
        let marked = Tables::<Postgres>::finish(&mut tx, key, end).await?;
        tx.commit()
            .await
            .context(|| format!("committing the end of a run of {key}"))?;
        Ok(marked)
    }
}
