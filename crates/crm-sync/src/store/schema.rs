//! The versioned schema, the same tables in SQLite and PostgreSQL.
//!
//! Each migration has a version; `crm_sync_schema` records the versions applied, with their
//! description and time. Opening a store applies, in one transaction, the migrations whose
//! version is not recorded yet, so re-running is a no-op. Concurrent first openings are
//! serialised (SQLite `BEGIN IMMEDIATE`, PostgreSQL a transaction-scoped advisory lock).
//!
//! Every timestamp is an integer of epoch milliseconds (UTC), in both databases.

/// The newest schema version this library writes.
pub const SCHEMA_VERSION: i64 = 1;

/// One migration: its version, what it does, and its SQL for each database.
pub(crate) struct Migration {
    pub version: i64,
    pub description: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// The statements of a migration's SQL, one by one (the SQL holds no `;` inside literals).
/// They run as separate `sqlx::query` calls because the future of `sqlx::raw_sql(..).execute`
/// is not `Send`, and `Store::open` must be.
pub(crate) fn statements(sql: &'static str) -> Vec<&'static str> {
    sql.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Applies the pending migrations in `$tx`, an open transaction of either database: creates
/// `crm_sync_schema` with `$table`, refuses a schema newer than [`SCHEMA_VERSION`], runs the
/// `$sql` statements of each migration not recorded yet and records it with `$insert`
/// (version, description, time). Evaluates to `Result<(), Error>`; the caller commits.
///
/// A macro rather than a function generic over the database, whose sqlx executor, encode and
/// decode bounds would be longer than this body.
macro_rules! apply_migrations {
    ($tx:ident, table: $table:expr, sql: $sql:ident, insert: $insert:expr) => {
        async {
            use $crate::error::Context as _;
            use $crate::store::schema::{MIGRATIONS, SCHEMA_VERSION, now_ms, statements};
            sqlx::query($table)
                .execute(&mut *$tx)
                .await
                .context(|| "creating crm_sync_schema".to_owned())?;
            let current: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM crm_sync_schema")
                    .fetch_one(&mut *$tx)
                    .await
                    .context(|| "reading the schema version".to_owned())?;
            let current = current.unwrap_or(0);
            if current > SCHEMA_VERSION {
                return Err($crate::error::Error::SchemaTooNew {
                    found: current,
                    supported: SCHEMA_VERSION,
                });
            }
            for m in MIGRATIONS.iter().filter(|m| m.version > current) {
                for statement in statements(m.$sql) {
                    sqlx::query(statement)
                        .execute(&mut *$tx)
                        .await
                        .context(|| {
                            format!(
                                "applying schema migration {} ({})",
                                m.version, m.description
                            )
                        })?;
                }
                sqlx::query($insert)
                    .bind(m.version)
                    .bind(m.description)
                    .bind(now_ms())
                    .execute(&mut *$tx)
                    .await
                    .context(|| format!("recording schema migration {}", m.version))?;
            }
            Ok::<(), $crate::error::Error>(())
        }
        .await
    };
}
pub(crate) use apply_migrations;

/// The table recording applied versions (created before any migration runs).
pub(crate) const SQLITE_SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS crm_sync_schema (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT";

/// The table recording applied versions (created before any migration runs).
pub(crate) const POSTGRES_SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS crm_sync_schema (
    version bigint PRIMARY KEY,
    description text NOT NULL,
    applied_at bigint NOT NULL
)";

/// The advisory lock id that serialises PostgreSQL migrations (`crm_sync` in ASCII).
pub(crate) const POSTGRES_MIGRATION_LOCK: i64 = 0x0063_726d_5f73_796e;

/// Every migration, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "crm_records, crm_sync_state, crm_sync_runs",
    sqlite: "
CREATE TABLE crm_records (
    vendor TEXT NOT NULL,
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    record TEXT NOT NULL,
    modified_at INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    first_synced_at INTEGER NOT NULL,
    last_synced_at INTEGER NOT NULL,
    last_run INTEGER NOT NULL,
    PRIMARY KEY (vendor, object, id)
) STRICT;
CREATE TABLE crm_sync_state (
    vendor TEXT NOT NULL,
    object TEXT NOT NULL,
    cursor_modified_at INTEGER NOT NULL,
    cursor_id TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (vendor, object)
) STRICT;
CREATE TABLE crm_sync_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor TEXT NOT NULL,
    object TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    pages INTEGER NOT NULL DEFAULT 0,
    fetched INTEGER NOT NULL DEFAULT 0,
    inserted INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    marked_deleted INTEGER NOT NULL DEFAULT 0,
    vendor_calls INTEGER NOT NULL DEFAULT 0,
    error TEXT
) STRICT;
CREATE INDEX crm_sync_runs_object ON crm_sync_runs (vendor, object, status);
",
    postgres: r#"
CREATE TABLE crm_records (
    vendor text NOT NULL,
    object text NOT NULL,
    id text COLLATE "C" NOT NULL,
    record jsonb NOT NULL,
    modified_at bigint,
    deleted boolean NOT NULL DEFAULT false,
    first_synced_at bigint NOT NULL,
    last_synced_at bigint NOT NULL,
    last_run bigint NOT NULL,
    PRIMARY KEY (vendor, object, id)
);
CREATE TABLE crm_sync_state (
    vendor text NOT NULL,
    object text NOT NULL,
    cursor_modified_at bigint NOT NULL,
    cursor_id text COLLATE "C" NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (vendor, object)
);
CREATE TABLE crm_sync_runs (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    vendor text NOT NULL,
    object text NOT NULL,
    mode text NOT NULL,
    status text NOT NULL,
    started_at bigint NOT NULL,
    ended_at bigint,
    pages bigint NOT NULL DEFAULT 0,
    fetched bigint NOT NULL DEFAULT 0,
    inserted bigint NOT NULL DEFAULT 0,
    updated bigint NOT NULL DEFAULT 0,
    unchanged bigint NOT NULL DEFAULT 0,
    marked_deleted bigint NOT NULL DEFAULT 0,
    vendor_calls bigint NOT NULL DEFAULT 0,
    error text
);
CREATE INDEX crm_sync_runs_object ON crm_sync_runs (vendor, object, status);
"#,
}];

/// The time now, epoch ms.
pub(crate) fn now_ms() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_end_at_the_current_one() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        assert_eq!(versions.last(), Some(&SCHEMA_VERSION));
    }

    #[test]
    fn both_databases_get_the_same_statements() {
        for m in MIGRATIONS {
            let (sqlite, postgres) = (statements(m.sqlite), statements(m.postgres));
            assert_eq!(sqlite.len(), postgres.len(), "migration {}", m.version);
            for (a, b) in sqlite.iter().zip(&postgres) {
                let head = |s: &str| s.split('(').next().map(str::trim).map(str::to_owned);
                assert_eq!(head(a), head(b));
            }
        }
        assert_eq!(statements(MIGRATIONS[0].sqlite).len(), 4);
    }
}
