//! Helpers shared by the integration tests: time bounds, throw-away databases (SQLite in
//! a temp dir, PostgreSQL through [`pg`]), row-by-row comparisons, and the child-process
//! mode used by the crash and lock tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod child;
pub use crm_sync::testing as pg;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use crm_sync::fake::{FakeRecord, FakeSource};
use crm_sync::{Cursor, SourceKind, Store, SyncSummary, Vendor};
use serde_json::Value;

/// No test may run longer than this.
pub const TIME_LIMIT: Duration = Duration::from_secs(180);

/// Runs `f`, failing the test if it takes longer than [`TIME_LIMIT`].
pub async fn bounded<T>(f: impl Future<Output = T>) -> T {
    crm_testkit::bounded_for(TIME_LIMIT, f).await
}

/// A test's scratch directory, removed when the test ends.
pub use crm_testkit::TempDir;

/// A database for one test.
#[derive(Debug)]
pub enum Db {
    /// `crm.db` in a temp dir.
    Sqlite(TempDir),
    /// A fresh database on the test server.
    Postgres(String),
}

impl Db {
    /// Its URL.
    pub fn url(&self) -> String {
        match self {
            Db::Sqlite(dir) => format!("sqlite://{}", dir.path().join("crm.db").display()),
            Db::Postgres(url) => url.clone(),
        }
    }

    /// Opens it.
    pub async fn open(&self) -> Store {
        Store::open(&self.url()).await.expect("open the store")
    }

    /// Whether it is SQLite.
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Db::Sqlite(_))
    }

    /// Runs `sql` on a connection of its own, past the store (to read what a user's query
    /// returns, or to leave what another program could have written), and returns the first
    /// two columns of every row it returns, as text (none for a statement).
    pub async fn sql(&self, sql: &str) -> Vec<(String, Option<String>)> {
        use sqlx::{Connection as _, Row as _};
        if self.is_sqlite() {
            let mut conn = sqlx::SqliteConnection::connect(&self.url())
                .await
                .expect("connect");
            let rows = sqlx::query(sql).fetch_all(&mut conn).await.expect(sql);
            let rows = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            conn.close().await.expect("close");
            rows
        } else {
            let mut conn = sqlx::PgConnection::connect(&self.url())
                .await
                .expect("connect");
            let rows = sqlx::query(sql).fetch_all(&mut conn).await.expect(sql);
            let rows = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            conn.close().await.expect("close");
            rows
        }
    }
}

/// A new SQLite database.
pub fn sqlite_db() -> Db {
    Db::Sqlite(TempDir::new("sync"))
}

/// A new PostgreSQL database; `None` (after saying why) when there is no server outside CI.
pub async fn postgres_db() -> Option<Db> {
    pg::postgres().await.map(Db::Postgres)
}

/// Defines, for each named async body `fn(Db, Db)`, one test against SQLite (`sqlite::name`)
/// and one against PostgreSQL (`postgres::name`). The second database is for a reference
/// run to compare with.
#[allow(unused_macros)]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (db, reference) = (crate::common::sqlite_db(), crate::common::sqlite_db());
                    crate::common::bounded(super::$name(db, reference)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = crate::common::postgres_db().await else { return };
                    let Some(reference) = crate::common::postgres_db().await else { return };
                    crate::common::bounded(super::$name(db, reference)).await;
                }
            )*
        }
    };
}

/// A stored row, comparable across databases (JSON as a value).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: String,
    pub value: Value,
    pub modified_at: Option<i64>,
    pub deleted: bool,
}

/// The rows of an object, by id.
pub async fn rows(store: &Store, vendor: Vendor, object: &str) -> Vec<Row> {
    store
        .records(vendor, object)
        .await
        .expect("read the records")
        .into_iter()
        .map(|r| Row {
            value: r.value().expect("stored JSON parses"),
            id: r.id,
            modified_at: r.modified_at,
            deleted: r.deleted,
        })
        .collect()
}

/// One sync of `source` with the default options, failing the test (with `what`) if it fails.
pub async fn sync_default(store: &Store, source: &dyn crm_sync::Source, what: &str) -> SyncSummary {
    store
        .sync(source, &crm_sync::SyncOptions::default())
        .await
        .expect(what)
}

/// The cursor `store` holds for `vendor` and `object`.
pub async fn cursor_of(store: &Store, vendor: Vendor, object: &str) -> Option<Cursor> {
    store.cursor(vendor, object).await.expect("cursor")
}

/// The JSON value of a fake record.
pub fn value_of(r: &FakeRecord) -> Value {
    serde_json::from_str(&r.json).expect("fake JSON parses")
}

/// What to expect of records the store holds but the source no longer has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    /// A full pass ran: they must be marked deleted.
    Marked,
    /// Only incremental runs since they went: they stay as last seen, not deleted.
    Kept,
}

/// Checks, row by row, that `stored` mirrors `source` (each record by id: its JSON and the
/// modification time the store should hold): every record is stored once, not deleted, with
/// its JSON (by value) and modification time, except the ids in `unsettled` (changed by
/// another user while a run read: they may be stored as they were); stored records the source
/// no longer has are as `gone` says.
pub fn assert_rows_mirror(
    stored: &[Row],
    source: &BTreeMap<String, (Value, Option<i64>)>,
    gone: Gone,
    unsettled: &BTreeSet<String>,
) {
    let by_id: BTreeMap<&str, &Row> = stored.iter().map(|r| (r.id.as_str(), r)).collect();
    assert_eq!(by_id.len(), stored.len(), "ids are unique");
    for (id, (value, modified_at)) in source {
        if unsettled.contains(id) {
            continue;
        }
        let row = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("record {id} is missing from the store"));
        assert_eq!(&row.value, value, "JSON of record {id}");
        assert_eq!(&row.modified_at, modified_at, "modified_at of {id}");
        assert!(!row.deleted, "record {id} exists but is marked deleted");
    }
    for row in stored {
        if !source.contains_key(&row.id) && !unsettled.contains(&row.id) {
            match gone {
                Gone::Marked => assert!(row.deleted, "record {} is gone but not marked", row.id),
                Gone::Kept => assert!(
                    !row.deleted,
                    "record {} was marked without a full pass",
                    row.id
                ),
            }
        }
    }
}

/// Checks, row by row, that the store mirrors the fake source (see [`assert_rows_mirror`]).
pub async fn assert_mirrors(store: &Store, source: &FakeSource, gone: Gone) {
    let vendor = crm_sync::Source::vendor(source);
    let object = crm_sync::Source::object(source).to_owned();
    let stored = rows(store, vendor, &object).await;
    let records = source
        .records()
        .iter()
        .map(|(id, r)| (id.clone(), (value_of(r), Some(r.modified_at))))
        .collect();
    assert_rows_mirror(&stored, &records, gone, &BTreeSet::new());
}

/// `(inserted, updated, unchanged)` that a run reading `fetched` should report against the
/// rows stored before it (each record read once).
pub fn expected_counts<'a>(
    before: &[Row],
    fetched: impl IntoIterator<Item = (&'a String, &'a FakeRecord)>,
) -> (u64, u64, u64) {
    let before: BTreeMap<&str, &Row> = before.iter().map(|r| (r.id.as_str(), r)).collect();
    let (mut inserted, mut updated, mut unchanged) = (0, 0, 0);
    for (id, r) in fetched {
        match before.get(id.as_str()) {
            None => inserted += 1,
            Some(row)
                if !row.deleted
                    && row.value == value_of(r)
                    && row.modified_at == Some(r.modified_at) =>
            {
                unchanged += 1
            }
            Some(_) => updated += 1,
        }
    }
    (inserted, updated, unchanged)
}

/// The records an incremental run starting after `cursor` minus `lookback` reads.
pub fn incremental_window(
    source: &FakeSource,
    cursor: Option<&Cursor>,
    lookback: Duration,
) -> BTreeMap<String, FakeRecord> {
    let start = cursor.map(|c| c.minus(lookback));
    source
        .records()
        .into_iter()
        .filter(|(id, r)| {
            start
                .as_ref()
                .is_none_or(|s| (r.modified_at, id.as_str()) > (s.modified_at, s.id.as_str()))
        })
        .collect()
}

/// The largest `(modified_at, id)` key of the source.
pub fn max_key(source: &FakeSource) -> Option<Cursor> {
    source
        .records()
        .into_iter()
        .map(|(id, r)| Cursor::new(r.modified_at, id))
        .max()
}

/// The first instant of the seeded data: 2025-01-01T00:00:00Z.
pub const T0: i64 = 1_735_689_600_000;

/// The object the crash and lock children sync.
pub const OBJECT: &str = "AccountObj";

/// The seeded source of the crash scenario after `changes` rounds of changes.
pub fn scenario_source(changes: u64, page_size: usize, page_delay: Duration) -> FakeSource {
    let source = FakeSource::new(Vendor::Fxiaoke, OBJECT, SourceKind::Incremental)
        .with_page_size(page_size)
        .with_page_delay(page_delay);
    source.seed(42, 1_200, T0);
    for round in 1..=changes {
        let at = T0 + i64::try_from(round).unwrap_or(0) * 3_600_000;
        source.seeded_changes(42 + round, 60, 40, 30, at);
    }
    source
}
