//! The statements both databases run alike, written once over sqlx's `Database`: the same
//! SQL (with `?` parameters, numbered for PostgreSQL) and the same binds and decoding. What
//! each database does its own way (locks, transactions, the bulk upsert, lookups by id)
//! stays in `sqlite.rs` and `postgres.rs`.

use std::borrow::Cow;
use std::collections::HashSet;

use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Postgres, Row, Sqlite,
    Type,
};

use super::{Key, PagePlan, RunEnd, RunStatus, StoredRecord, SyncRun, to_i64, to_u64};
use crate::error::{Context, Error};
use crate::options::{RunCounts, SyncMode};
use crate::source::Cursor;

/// What differs in the SQL text of the two databases.
pub(super) trait Dialect: Database {
    /// The `record` column as text (PostgreSQL stores `jsonb`).
    const RECORD: &'static str;
    /// The condition of a record not marked deleted.
    const NOT_DELETED: &'static str;
    /// The assignment marking a record deleted.
    const SET_DELETED: &'static str;

    /// `sql` with its `?` parameters written the way this database takes them.
    fn params(sql: &str) -> Cow<'_, str>;

    /// The rows a statement changed (an inherent method of each driver's result).
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

impl Dialect for Sqlite {
    const RECORD: &'static str = "record";
    const NOT_DELETED: &'static str = "deleted = 0";
    const SET_DELETED: &'static str = "deleted = 1";

    fn params(sql: &str) -> Cow<'_, str> {
        Cow::Borrowed(sql)
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

impl Dialect for Postgres {
    const RECORD: &'static str = "record::text AS record";
    const NOT_DELETED: &'static str = "NOT deleted";
    const SET_DELETED: &'static str = "deleted = true";

    /// `$1`, `$2`, ... in the order of the `?`s (none of the shared statements has a `?`
    /// of its own, such as a jsonb operator).
    fn params(sql: &str) -> Cow<'_, str> {
        let mut numbered = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                numbered.push('$');
                numbered.push_str(&n.to_string());
            } else {
                numbered.push(c);
            }
        }
        Cow::Owned(numbered)
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

/// The pool of a store, with the reads and writes both databases run alike.
pub(super) struct Tables<DB: Database> {
    pub(super) pool: Pool<DB>,
}

impl<DB> Tables<DB>
where
    DB: Dialect,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Decode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    usize: ColumnIndex<DB::Row>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    for<'r> Option<String>: Decode<'r, DB> + Type<DB>,
    for<'r> bool: Decode<'r, DB> + Type<DB>,
{
    pub(super) async fn records(&self, key: &Key<'_>) -> Result<Vec<StoredRecord>, Error> {
        let sql = format!(
            "SELECT id, {}, modified_at, deleted, first_synced_at, last_synced_at
             FROM crm_records WHERE vendor = ? AND object = ? ORDER BY id",
            DB::RECORD
        );
        let rows = sqlx::query(&DB::params(&sql))
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

    pub(super) async fn runs(&self, key: &Key<'_>) -> Result<Vec<SyncRun>, Error> {
        let rows = sqlx::query(&DB::params(
            "SELECT id, mode, status, started_at, ended_at, pages, fetched, inserted, updated,
                    unchanged, marked_deleted, vendor_calls, error
             FROM crm_sync_runs WHERE vendor = ? AND object = ? ORDER BY id",
        ))
        .bind(key.vendor)
        .bind(key.object)
        .fetch_all(&self.pool)
        .await
        .context(|| format!("reading the runs of {key}"))?;
        rows.iter()
            .map(|row| {
                Ok(SyncRun {
                    id: row.try_get("id")?,
                    mode: row.try_get("mode")?,
                    status: RunStatus::parse(row.try_get::<&str, _>("status")?),
                    started_at: row.try_get("started_at")?,
                    ended_at: row.try_get("ended_at")?,
                    counts: RunCounts {
                        pages: to_u64(row.try_get("pages")?),
                        fetched: to_u64(row.try_get("fetched")?),
                        inserted: to_u64(row.try_get("inserted")?),
                        updated: to_u64(row.try_get("updated")?),
                        unchanged: to_u64(row.try_get("unchanged")?),
                        marked_deleted: to_u64(row.try_get("marked_deleted")?),
                        vendor_calls: to_u64(row.try_get("vendor_calls")?),
                    },
                    error: row.try_get("error")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .context(|| format!("decoding the runs of {key}"))
    }

    pub(super) async fn schema_version(&self) -> Result<i64, Error> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM crm_sync_schema")
            .fetch_one(&self.pool)
            .await
            .context(|| "reading the schema version".to_owned())?;
        Ok(v.unwrap_or(0))
    }

    pub(super) async fn cursor(&self, key: &Key<'_>) -> Result<Option<Cursor>, Error> {
        let row = sqlx::query(&DB::params(
            "SELECT cursor_modified_at, cursor_id FROM crm_sync_state WHERE vendor = ? AND object = ?",
        ))
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

    pub(super) async fn live_ids(&self, key: &Key<'_>) -> Result<HashSet<String>, Error> {
        let sql = format!(
            "SELECT id FROM crm_records WHERE vendor = ? AND object = ? AND {}",
            DB::NOT_DELETED
        );
        let ids: Vec<String> = sqlx::query_scalar(&DB::params(&sql))
            .bind(key.vendor)
            .bind(key.object)
            .fetch_all(&self.pool)
            .await
            .context(|| format!("reading the ids of {key}"))?;
        Ok(ids.into_iter().collect())
    }

    /// Marks runs left `running` as `abandoned` and inserts the new run's row, inside the
    /// caller's transaction; returns the run's id and how many runs were abandoned.
    pub(super) async fn begin_run(
        tx: &mut DB::Connection,
        key: &Key<'_>,
        mode: SyncMode,
        started_at: i64,
    ) -> Result<(i64, u64), Error> {
        let abandoned = sqlx::query(&DB::params(
            "UPDATE crm_sync_runs SET status = 'abandoned'
             WHERE vendor = ? AND object = ? AND status = 'running'",
        ))
        .bind(key.vendor)
        .bind(key.object)
        .execute(&mut *tx)
        .await
        .context(|| format!("marking interrupted runs of {key} abandoned"))?;
        let id: i64 = sqlx::query_scalar(&DB::params(
            "INSERT INTO crm_sync_runs (vendor, object, mode, status, started_at)
             VALUES (?, ?, ?, 'running', ?) RETURNING id",
        ))
        .bind(key.vendor)
        .bind(key.object)
        .bind(mode.as_str())
        .bind(started_at)
        .fetch_one(&mut *tx)
        .await
        .context(|| format!("recording a run of {key}"))?;
        Ok((id, DB::rows_affected(&abandoned)))
    }

    /// Moves the cursor (never backwards) and stores the run's totals after a page, inside
    /// the caller's transaction.
    pub(super) async fn end_page(
        tx: &mut DB::Connection,
        key: &Key<'_>,
        plan: &PagePlan<'_>,
    ) -> Result<(), Error> {
        if let Some(cursor) = plan.cursor {
            // Row values compare like `Cursor`: time, then id (both databases compare the
            // ids as bytes: collation "C" in PostgreSQL, BINARY in SQLite).
            sqlx::query(&DB::params(
                "INSERT INTO crm_sync_state (vendor, object, cursor_modified_at, cursor_id, updated_at)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (vendor, object) DO UPDATE SET
                    cursor_modified_at = excluded.cursor_modified_at,
                    cursor_id = excluded.cursor_id,
                    updated_at = excluded.updated_at
                 WHERE (crm_sync_state.cursor_modified_at, crm_sync_state.cursor_id)
                     < (excluded.cursor_modified_at, excluded.cursor_id)",
            ))
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
        sqlx::query(&DB::params(
            "UPDATE crm_sync_runs SET pages = ?, fetched = ?, inserted = ?, updated = ?,
                unchanged = ?, vendor_calls = ? WHERE id = ?",
        ))
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
        Ok(())
    }

    /// Ends the run inside the caller's transaction: marks the records it did not see
    /// deleted (if asked) and records its end; returns how many records were marked.
    pub(super) async fn finish(
        tx: &mut DB::Connection,
        key: &Key<'_>,
        end: &RunEnd<'_>,
    ) -> Result<u64, Error> {
        let marked = if end.mark_deleted {
            let sql = format!(
                "UPDATE crm_records SET {}
                 WHERE vendor = ? AND object = ? AND {} AND last_run <> ?",
                DB::SET_DELETED,
                DB::NOT_DELETED
            );
            let result = sqlx::query(&DB::params(&sql))
                .bind(key.vendor)
                .bind(key.object)
                .bind(end.run_id)
                .execute(&mut *tx)
                .await
                .context(|| format!("marking records of {key} not seen as deleted"))?;
            DB::rows_affected(&result)
        } else {
            0
        };
        let t = end.totals;
        sqlx::query(&DB::params(
            "UPDATE crm_sync_runs SET status = ?, ended_at = ?, pages = ?, fetched = ?,
                inserted = ?, updated = ?, unchanged = ?, marked_deleted = ?, vendor_calls = ?,
                error = ?
             WHERE id = ?",
        ))
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
        Ok(marked)
    }
}
