//! Sync into a database: records stored per second into SQLite and into PostgreSQL from a
//! Fxiaoke server with limits off (the synthetic server in sync mode, in another process), the
//! export rate of the same records through the same keyset stream (what the sync would reach
//! if the store cost nothing), the store's own rate from an in-memory source, and the vendor
//! calls of an incremental run against a full re-export (on the embedded mock).

use fxiaoke_crm::TransportOptions;
use std::time::Instant;

use crm_sync::vendors::FxiaokeObject;
use crm_sync::{SourceKind, Store, SyncOptions, SyncSummary, Vendor};
use futures::StreamExt;
use fxiaoke_crm::RateLimits;
use fxiaoke_crm_mock::{MockFxiaoke, MockSettings};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::export::{ExportResult, JsonLines, PAGE_SIZE, sdk_client};
use crate::payloads::FXIAOKE_OBJECT;
use crate::{BenchError, Credentials, FXIAOKE_QUERY_PATH};

/// The field an incremental sync orders by.
const MODIFIED: &str = "last_modified_time";

/// A database for one measurement, deleted (SQLite) or dropped with its server (PostgreSQL)
/// when this is dropped.
pub struct Database {
    /// Its URL.
    pub url: String,
    /// `sqlite` or `postgres`.
    pub kind: &'static str,
    dir: Option<std::path::PathBuf>,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Database {
    /// A fresh SQLite file under the temp folder, or a fresh database on a throw-away
    /// PostgreSQL server started by this process (`crm_sync::testing`; it stops when the
    /// process ends).
    pub async fn new(kind: &str) -> Result<Self, BenchError> {
        match kind {
            "sqlite" => {
                let dir = std::env::temp_dir().join(format!(
                    "crm-bench-sync-{}-{}",
                    std::process::id(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_nanos())
                        .unwrap_or(0)
                ));
                std::fs::create_dir_all(&dir)?;
                Ok(Self {
                    url: dir.join("crm.db").display().to_string(),
                    kind: "sqlite",
                    dir: Some(dir),
                })
            }
            "postgres" => {
                let server = crm_sync::testing::server().map_err(|why| {
                    BenchError::msg(format!("no PostgreSQL server for the benchmark: {why}"))
                })?;
                Ok(Self {
                    url: server.create_database().await,
                    kind: "postgres",
                    dir: None,
                })
            }
            other => Err(BenchError::msg(format!(
                "unknown database {other}: sqlite or postgres"
            ))),
        }
    }
}

/// The two measured runs of a sync benchmark, into `store` (closed after them): the first
/// sync, then a full pass over the same records.
async fn first_then_full(
    store: Store,
    source: &dyn crm_sync::Source,
) -> Result<(SyncSummary, SyncSummary), BenchError> {
    let first = store
        .sync(source, &SyncOptions::default())
        .await
        .map_err(sync_error)?;
    let full = store
        .sync(source, &SyncOptions::default().with_full(true))
        .await
        .map_err(sync_error)?;
    store.close().await;
    Ok((first, full))
}

fn sync_error(e: crm_sync::Error) -> BenchError {
    BenchError::msg(e.to_string())
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncResult {
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// `server` (the synthetic server) or `memory` (an in-memory source: the store alone).
    pub source: &'static str,
    /// `first` (an empty table: every record inserted) or `unchanged` (a full pass over a
    /// table holding every record: each compared by value and touched).
    pub case: &'static str,
    /// The run's counts.
    pub records: u64,
    /// Of those, inserted.
    pub inserted: u64,
    /// Of those, unchanged.
    pub unchanged: u64,
    /// Vendor calls (the source's).
    pub vendor_calls: u64,
    /// Wall time of the run, from opening nothing (the store is open) to its last commit.
    pub secs: f64,
}

impl SyncResult {
    fn of(
        database: &'static str,
        source: &'static str,
        case: &'static str,
        s: &SyncSummary,
    ) -> Self {
        Self {
            database,
            source,
            case,
            records: s.counts.fetched,
            inserted: s.counts.inserted,
            unchanged: s.counts.unchanged,
            vendor_calls: s.counts.vendor_calls,
            secs: s.seconds(),
        }
    }

    /// Records stored per second.
    pub fn records_per_sec(&self) -> f64 {
        self.records as f64 / self.secs.max(1e-9)
    }
}

/// `crm fxiaoke sync PaymentObj` in process: the first sync of every record of the server at
/// `base_url` into an empty database (`first`), then a full pass over the same records
/// (`unchanged`). Pages of 100, rate limits off.
pub async fn from_server(
    base_url: &str,
    credentials: &Credentials,
    database: &str,
) -> Result<Vec<SyncResult>, BenchError> {
    let db = Database::new(database).await?;
    let store = Store::open(&db.url).await.map_err(sync_error)?;
    let source = FxiaokeObject::new(sdk_client(base_url, credentials)?, FXIAOKE_OBJECT);
    let (first, full) = first_then_full(store, &source).await?;
    if first.counts.inserted != first.counts.fetched || full.counts.unchanged != full.counts.fetched
    {
        return Err(BenchError::msg(format!(
            "unexpected counts: {first} / {full}"
        )));
    }
    Ok(vec![
        SyncResult::of(db.kind, "server", "first", &first),
        SyncResult::of(db.kind, "server", "unchanged", &full),
    ])
}

/// The store alone: the first sync of `records` records from an in-memory source
/// (`crm_sync::fake::FakeSource`, pages of `page_size`, ties of 150 records per millisecond)
/// into an empty database, then a full pass over them.
pub async fn from_memory(
    records: usize,
    page_size: usize,
    database: &str,
) -> Result<Vec<SyncResult>, BenchError> {
    let db = Database::new(database).await?;
    let store = Store::open(&db.url).await.map_err(sync_error)?;
    let source =
        crm_sync::fake::FakeSource::new(Vendor::Fxiaoke, FXIAOKE_OBJECT, SourceKind::Incremental)
            .with_page_size(page_size);
    source.seed(7, records, crate::synthetic::SYNC_BASE_TIME);
    let (first, full) = first_then_full(store, &source).await?;
    Ok(vec![
        SyncResult::of(db.kind, "memory", "first", &first),
        SyncResult::of(db.kind, "memory", "unchanged", &full),
    ])
}

/// The two keys of a record.
#[derive(serde::Deserialize)]
struct Key<'a> {
    #[serde(rename = "_id", borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(rename = "last_modified_time")]
    modified: i64,
}

/// The export of the same records through the same stream as the sync (the keyset by
/// `(last_modified_time, _id)`, each record kept as the server sent it), written as JSON lines
/// to a byte-counting sink: the rate the sync would reach if storing cost nothing.
pub async fn keyset_export(
    base_url: &str,
    credentials: &Credentials,
) -> Result<ExportResult, BenchError> {
    raw_export(base_url, credentials, true).await
}

/// The same records and stream as [`keyset_export`], in the default order (`_id` alone): the
/// baseline of the ordered export.
pub async fn id_export(
    base_url: &str,
    credentials: &Credentials,
) -> Result<ExportResult, BenchError> {
    raw_export(base_url, credentials, false).await
}

/// Every record as the server sent it, ordered by `(last_modified_time, _id)` or by `_id`,
/// counting the query calls (one per page) and checking the order on the way.
async fn raw_export(
    base_url: &str,
    credentials: &Credentials,
    by_modified: bool,
) -> Result<ExportResult, BenchError> {
    let client = sdk_client(base_url, credentials)?;
    let started = Instant::now();
    let mut out = JsonLines::new();
    let mut calls = 0u64;
    let mut last: Option<(i64, String)> = None;
    let mut ordered = true;
    let mut query = client
        .query_as::<Box<RawValue>>(FXIAOKE_OBJECT)
        .page_size(PAGE_SIZE as u32);
    if by_modified {
        query = query.order_by(MODIFIED, true);
    }
    let mut pages = query.pages();
    while let Some(page) = pages.next().await {
        calls += 1;
        for record in page?.records {
            let record = record?;
            // The keys only, as the sync's source reads them (the rest is skipped).
            let key: Key<'_> = serde_json::from_str(record.get())?;
            let key = (
                if by_modified { key.modified } else { 0 },
                key.id.into_owned(),
            );
            ordered &= last.as_ref().is_none_or(|l| *l < key);
            last = Some(key);
            out.write_json(record.get())?;
        }
    }
    out.finish(started, ordered, Some(calls))
}

/// Vendor calls of an incremental sync against a full re-export.
#[derive(Debug, Clone, PartialEq)]
pub struct CallsResult {
    /// Records of the object.
    pub records: u64,
    /// Records changed before the incremental run.
    pub changed: u64,
    /// Records per call.
    pub page_size: u64,
    /// Query calls of the first sync (every record).
    pub first_sync: u64,
    /// Query calls of the incremental sync after the changes.
    pub incremental: u64,
    /// Records the incremental sync read (the changes and the lookback window).
    pub incremental_records: u64,
    /// Query calls of a full re-export of every record (the SDK's `_id` stream): what a tool
    /// without a cursor pays on every run.
    pub full_export: u64,
    /// Query calls of a `--full` sync pass (needed only to see physical deletes).
    pub full_pass: u64,
}

/// On the embedded mock (limits off): `records` payments an hour apart and years old, a first
/// sync into SQLite, `changed` of them edited now, then the incremental sync (default lookback
/// of 10 minutes, which re-reads only the newest old record), a full re-export and a `--full`
/// pass. Calls are the mock's count of `/cgi/crm/v2/data/query` requests.
pub async fn calls(records: usize, changed: usize) -> Result<CallsResult, BenchError> {
    const T0: i64 = 1_577_836_800_000; // 2020-01-01T00:00:00Z
    const HOUR: i64 = 3_600_000;
    let mock = MockFxiaoke::start_with(MockSettings::without_rate_limits()).await?;
    mock.insert_many(
        FXIAOKE_OBJECT,
        (0..records).map(|i| {
            let mut r = crate::payloads::fxiaoke_record(i);
            r.insert("create_time".into(), json!(T0 + i as i64 * HOUR));
            r.insert(MODIFIED.into(), json!(T0 + i as i64 * HOUR));
            r
        }),
    );
    let client = mock
        .client_builder()
        .with_rate_limits(RateLimits::off())
        .build()?;
    let db = Database::new("sqlite").await?;
    let store = Store::open(&db.url).await.map_err(sync_error)?;
    let source = FxiaokeObject::new(client.clone(), FXIAOKE_OBJECT);
    let query_calls = || mock.control().calls(FXIAOKE_QUERY_PATH);

    let before = query_calls();
    store
        .sync(&source, &SyncOptions::default())
        .await
        .map_err(sync_error)?;
    let first_sync = query_calls() - before;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let step = (records / changed.max(1)).max(1);
    let edits: Vec<Map<String, Value>> = mock
        .records(FXIAOKE_OBJECT)
        .into_iter()
        .step_by(step)
        .take(changed)
        .enumerate()
        .map(|(k, mut r)| {
            r.insert("remark".into(), json!("changed"));
            r.insert(MODIFIED.into(), json!(now + k as i64));
            r
        })
        .collect();
    let changed = edits.len();
    mock.insert_many(FXIAOKE_OBJECT, edits);

    let before = query_calls();
    let incremental = store
        .sync(&source, &SyncOptions::default())
        .await
        .map_err(sync_error)?;
    let incremental_calls = query_calls() - before;

    let before = query_calls();
    let mut stream = client
        .query_as::<Box<RawValue>>(FXIAOKE_OBJECT)
        .page_size(PAGE_SIZE as u32)
        .stream();
    let mut exported = 0usize;
    while let Some(record) = stream.next().await {
        record?;
        exported += 1;
    }
    let full_export = query_calls() - before;
    if exported != records {
        return Err(BenchError::msg(format!(
            "the re-export read {exported} of {records} records"
        )));
    }

    let before = query_calls();
    store
        .sync(&source, &SyncOptions::default().with_full(true))
        .await
        .map_err(sync_error)?;
    let full_pass = query_calls() - before;
    store.close().await;
    Ok(CallsResult {
        records: records as u64,
        changed: changed as u64,
        page_size: PAGE_SIZE as u64,
        first_sync,
        incremental: incremental_calls,
        incremental_records: incremental.counts.fetched,
        full_export,
        full_pass,
    })
}
