//! `crm ... sync` end to end: the binary against the embedded mocks (started in this process,
//! reached over loopback through `FXIAOKE_BASE_URL` etc.) with live-tenant behaviours on, into
//! SQLite and into a throw-away PostgreSQL (`crm_sync::testing`). Every table is checked row by
//! row against the mock's own data; a crash test kills the command with SIGKILL at random
//! moments. Each run of the binary is bounded by the harness's deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use fxiaoke_crm::TransportOptions;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use crm_sync::{RunStatus, Store, Vendor};
use fxiaoke_crm_mock::Fault;
use fxiaoke_crm_mock::{Churn, LiveTenant, MockFxiaoke, MockSettings};
use serde_json::{Map, Value, json};

const QUERY_PATH: &str = "/cgi/crm/v2/data/query";
const OBJECT: &str = "PaymentObj";
/// 2020-01-01T00:00:00Z: seeded records are old, far behind any lookback.
const T0: i64 = 1_577_836_800_000;
const HOUR: i64 = 3_600_000;

// ---------------------------------------------------------------------------------------
// Harness

/// A database of one test: a SQLite file in a temp dir, or a database on the throw-away
/// PostgreSQL server.
enum Db {
    /// The directory holding `crm.db` (removed when the test ends).
    Sqlite(TempDir),
    Postgres(String),
}

impl Db {
    fn sqlite(name: &str) -> Db {
        Db::Sqlite(TempDir::new(&format!("cli-{name}")))
    }

    /// `None` (after saying why) when PostgreSQL is not installed outside CI.
    async fn postgres() -> Option<Db> {
        crm_sync::testing::postgres().await.map(Db::Postgres)
    }

    fn url(&self) -> String {
        match self {
            Db::Sqlite(dir) => dir.join("crm.db").display().to_string(),
            Db::Postgres(url) => url.clone(),
        }
    }

    async fn open(&self) -> Store {
        Store::open(&self.url()).await.expect("open the store")
    }
}

/// A stored row, comparable across databases.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    id: String,
    value: Value,
    modified_at: Option<i64>,
    deleted: bool,
}

async fn rows(db: &Db, vendor: Vendor, object: &str) -> Vec<Row> {
    let store = db.open().await;
    let rows = store
        .records(vendor, object)
        .await
        .unwrap()
        .into_iter()
        .map(|r| Row {
            value: r.value().unwrap(),
            id: r.id,
            modified_at: r.modified_at,
            deleted: r.deleted,
        })
        .collect();
    store.close().await;
    rows
}

/// The Fxiaoke mock: quotas off, ties in a new order on every call, and every 11th request a
/// gateway answer without the Fxiaoke envelope (retried by the client).
async fn fxiaoke_mock() -> MockFxiaoke {
    let live = LiveTenant {
        unstable_ties: true,
        gateway_body_every: Some(11),
        ..LiveTenant::default()
    };
    MockFxiaoke::start_with(MockSettings::without_rate_limits().with_live(live))
        .await
        .unwrap()
}

/// A Fxiaoke mock without quotas holding `n` payments, `apart` ms apart from [`T0`] on.
async fn fxiaoke_with_payments(n: usize, apart: i64) -> MockFxiaoke {
    let mock = MockFxiaoke::start_with(MockSettings::without_rate_limits())
        .await
        .unwrap();
    mock.insert_many(
        OBJECT,
        (0..n).map(|i| payment(i, Some(T0 + i as i64 * apart))),
    );
    mock
}

/// `crm fxiaoke <args>` against `mock`, with five retries.
fn crm_fx(mock: &MockFxiaoke, args: &[&str]) -> Crm {
    fxiaoke_cmd(mock, args).env("CRM_RETRIES", "5")
}

/// The arguments of `crm fxiaoke sync PaymentObj --into <url> <options> --format jsonl`.
fn sync_into<'a>(url: &'a str, options: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["sync", OBJECT, "--into", url];
    args.extend_from_slice(options);
    args.extend(["--format", "jsonl"]);
    args
}

/// Runs `crm` off the async threads that serve the mocks.
async fn run(cmd: Crm) -> Run {
    cmd.run_async().await
}

/// The summaries of a `--format jsonl` sync, one per object.
fn summaries(run: &Run) -> Vec<Value> {
    run.jsonl()
}

fn counts(summary: &Value) -> (u64, u64, u64, u64, u64) {
    let n = |k: &str| {
        summary[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} in {summary}"))
    };
    (
        n("fetched"),
        n("inserted"),
        n("updated"),
        n("unchanged"),
        n("marked_deleted"),
    )
}

fn payment(i: usize, modified: Option<i64>) -> Map<String, Value> {
    let mut r = json!({
        "_id": format!("65a0c1d2e3f4a5b6c7{i:06x}"),
        "name": format!("20200101-{i:06}"),
        "payment_amount": format!("{}.{:02}", 100 + i % 900, i % 100),
        "remark": format!("第{i}笔"),
        "invoice_no__c": format!("INV-{i:06}"),
    });
    if let Some(t) = modified {
        r["create_time"] = json!(t);
        r["last_modified_time"] = json!(t);
    }
    r.as_object().cloned().unwrap()
}

fn tenant(mock: &MockFxiaoke, object: &str) -> BTreeMap<String, Map<String, Value>> {
    mock.records(object)
        .into_iter()
        .map(|r| (r["_id"].as_str().unwrap().to_owned(), r))
        .collect()
}

/// [`assert_fx_mirrors`]: the rows of `db` against every record of `mock` (none unsettled).
async fn assert_db_mirrors(db: &Db, mock: &MockFxiaoke, gone: Gone) {
    assert_fx_mirrors(
        &rows(db, Vendor::Fxiaoke, OBJECT).await,
        &tenant(mock, OBJECT),
        gone,
        &BTreeSet::new(),
    );
}

/// Records the tenant no longer has: marked deleted (after a full pass) or kept live.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Gone {
    Marked,
    Kept,
}

/// Row by row: every record of the tenant stored once, live, with its JSON (by value) and
/// `last_modified_time`, except `unsettled` ids (changed by other users while a run read).
fn assert_fx_mirrors(
    stored: &[Row],
    tenant: &BTreeMap<String, Map<String, Value>>,
    gone: Gone,
    unsettled: &BTreeSet<String>,
) {
    let by_id: BTreeMap<&str, &Row> = stored.iter().map(|r| (r.id.as_str(), r)).collect();
    assert_eq!(by_id.len(), stored.len(), "one row per id");
    for (id, record) in tenant.iter().filter(|(id, _)| !unsettled.contains(*id)) {
        let row = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("record {id} is missing from the table"));
        assert_eq!(row.value, Value::Object(record.clone()), "JSON of {id}");
        assert_eq!(row.modified_at, record["last_modified_time"].as_i64());
        assert!(!row.deleted, "{id} exists but is marked deleted");
    }
    for row in stored {
        if !tenant.contains_key(&row.id) && !unsettled.contains(&row.id) {
            assert_eq!(
                row.deleted,
                gone == Gone::Marked,
                "{} is gone from the tenant",
                row.id
            );
        }
    }
}

/// Other users while a sync reads (the mock's own churn): before every other query, one
/// record deleted, one edited and one created in the queried object.
const CHURN: Churn = Churn {
    every: 2,
    creates: 1,
    deletes: 1,
    edits: 1,
    seed: 7,
};

// ---------------------------------------------------------------------------------------
// Fxiaoke, row by row, SQLite and PostgreSQL

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fxiaoke_syncs_mirror_the_tenant_row_by_row_in_sqlite() {
    fxiaoke_syncs_mirror_the_tenant(Db::sqlite("fx-rows")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fxiaoke_syncs_mirror_the_tenant_row_by_row_in_postgres() {
    let Some(db) = Db::postgres().await else {
        return;
    };
    fxiaoke_syncs_mirror_the_tenant(db).await;
}

async fn fxiaoke_syncs_mirror_the_tenant(db: Db) {
    let mock = fxiaoke_mock().await;
    // 300 payments an hour apart, and 150 more sharing one millisecond (almost four pages).
    mock.insert_many(
        OBJECT,
        (0..300).map(|i| payment(i, Some(T0 + i as i64 * HOUR))),
    );
    mock.insert_many(
        OBJECT,
        (300..450).map(|i| payment(i, Some(T0 + 150 * HOUR + 1))),
    );
    let url = db.url();
    let sync = |extra: &[&str]| {
        let mut args = vec!["sync", OBJECT, "--page-size", "40", "--format", "jsonl"];
        args.extend_from_slice(extra);
        crm_fx(&mock, &args)
    };

    // 1. The first sync, while other users edit, create and delete.
    mock.set_churn(Some(CHURN));
    let first = run(sync(&["--into", &url])).await.ok();
    mock.set_churn(None);
    let [summary] = summaries(&first).try_into().unwrap();
    assert_eq!(summary["mode"], "incremental");
    assert!(summary["fetched"].as_u64().unwrap() >= 450, "{summary}");
    let unsettled = mock.churned_ids();
    assert!(!unsettled.is_empty());
    let stored = rows(&db, Vendor::Fxiaoke, OBJECT).await;
    assert_eq!(summary["inserted"].as_u64(), Some(stored.len() as u64));
    assert_fx_mirrors(&stored, &tenant(&mock, OBJECT), Gone::Kept, &unsettled);

    // 2. A quiet run (the database from CRM_DATABASE_URL this time) settles those changes.
    let settle = run(sync(&[]).env("CRM_DATABASE_URL", &url)).await.ok();
    let (_, inserted, _, _, marked) = counts(&summaries(&settle)[0]);
    assert_eq!(marked, 0);
    assert!(inserted as usize <= unsettled.len());
    assert_db_mirrors(&db, &mock, Gone::Kept).await;

    // 3. Changes: 90 edits in one new millisecond, a void through the API, 10 creations.
    let now = tenant(&mock, OBJECT)
        .values()
        .filter_map(|r| r["last_modified_time"].as_i64())
        .max()
        .unwrap();
    let edited: Vec<Map<String, Value>> = tenant(&mock, OBJECT)
        .into_values()
        .take(90)
        .map(|mut r| {
            r.insert("payment_amount".into(), json!("1.00"));
            r.insert("last_modified_time".into(), json!(now + HOUR));
            r
        })
        .collect();
    mock.insert_many(OBJECT, edited);
    let voided = tenant(&mock, OBJECT).keys().nth(200).cloned().unwrap();
    mock.client_builder()
        .with_rate_limits(fxiaoke_crm::RateLimits::off())
        .with_retry_policy(fxiaoke_crm::RetryPolicy::default())
        .build()
        .unwrap()
        .invalid(OBJECT, &voided)
        .await
        .unwrap();
    mock.insert_many(
        OBJECT,
        (0..10).map(|i| payment(500 + i, Some(now + HOUR + 1 + i as i64))),
    );
    let third = run(sync(&["--into", &url])).await.ok();
    let (fetched, inserted, updated, unchanged, marked) = counts(&summaries(&third)[0]);
    assert_eq!((inserted, updated, marked), (10, 91, 0), "{}", third.stdout);
    assert_eq!(fetched, inserted + updated + unchanged);
    let stored = rows(&db, Vendor::Fxiaoke, OBJECT).await;
    assert_fx_mirrors(
        &stored,
        &tenant(&mock, OBJECT),
        Gone::Kept,
        &BTreeSet::new(),
    );
    let row = stored.iter().find(|r| r.id == voided).unwrap();
    assert_eq!(row.value["life_status"], "invalid");
    assert!(!row.deleted);

    // 4. Physical deletes: an incremental run cannot see them, --full marks them.
    let ids: Vec<String> = tenant(&mock, OBJECT).keys().cloned().collect();
    for id in ids.iter().skip(5).step_by(61).take(4) {
        assert!(mock.delete(OBJECT, id));
    }
    let before_full = rows(&db, Vendor::Fxiaoke, OBJECT).await;
    let tenant_now = tenant(&mock, OBJECT);
    let gone = before_full
        .iter()
        .filter(|r| !r.deleted && !tenant_now.contains_key(&r.id))
        .count() as u64;
    assert!(gone >= 4);
    let full = run(sync(&["--into", &url, "--full"])).await.ok();
    let [summary] = summaries(&full).try_into().unwrap();
    assert_eq!(summary["mode"], "full");
    assert_eq!(
        counts(&summary),
        (tenant_now.len() as u64, 0, 0, tenant_now.len() as u64, gone),
        "{summary}"
    );
    let stored = rows(&db, Vendor::Fxiaoke, OBJECT).await;
    assert_fx_mirrors(&stored, &tenant_now, Gone::Marked, &BTreeSet::new());

    let store = db.open().await;
    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.unwrap();
    assert_eq!(runs.len(), 4);
    assert!(runs.iter().all(|r| r.status == RunStatus::Completed));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ties_larger_than_a_page_are_read_exactly_once() {
    let mock = fxiaoke_mock().await;
    // Three groups of records sharing one millisecond each: 250, 120 and 61, pages of 20.
    let groups = [(0..250, T0), (250..370, T0 + 1), (370..431, T0 + HOUR)];
    for (range, t) in groups {
        mock.insert_many(OBJECT, range.map(|i| payment(i, Some(t))));
    }
    let db = Db::sqlite("fx-ties");
    let url = db.url();
    let args = sync_into(&url, &["--page-size", "20"]);
    let first = run(crm_fx(&mock, &args)).await.ok();
    assert_eq!(counts(&summaries(&first)[0]), (431, 431, 0, 0, 0));
    assert_db_mirrors(&db, &mock, Gone::Kept).await;

    // 130 more in one later millisecond. With no lookback the run starts at the start of the
    // cursor's millisecond: the last group again (61, unchanged), then the 130.
    mock.insert_many(OBJECT, (431..561).map(|i| payment(i, Some(T0 + 2 * HOUR))));
    let args = sync_into(&url, &["--page-size", "20", "--lookback", "0"]);
    let second = run(crm_fx(&mock, &args)).await.ok();
    assert_eq!(counts(&summaries(&second)[0]), (191, 130, 0, 61, 0));
    assert_db_mirrors(&db, &mock, Gone::Kept).await;
}

/// The calls bound of the issue. The 10,000 records are an hour apart and at least five
/// years old; the run uses the default `--lookback 10m` (given explicitly), which re-reads
/// only the newest of them (its own millisecond), so the run reads 100 changes + 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_run_after_one_percent_changed_makes_at_most_changed_over_page_size_plus_three_calls()
 {
    let mock = fxiaoke_with_payments(10_000, HOUR).await;
    let db = Db::sqlite("fx-calls");
    let url = db.url();
    let args = sync_into(&url, &["--lookback", "10m"]);
    let calls = || mock.control().calls(QUERY_PATH);

    let before = calls();
    let first = run(crm_fx(&mock, &args)).await.ok();
    let full_export = calls() - before;
    assert_eq!(counts(&summaries(&first)[0]).1, 10_000);

    // 1 % changed, by other users, now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let changed: Vec<Map<String, Value>> = tenant(&mock, OBJECT)
        .into_values()
        .step_by(100)
        .enumerate()
        .map(|(k, mut r)| {
            r.insert("remark".into(), json!("已修改"));
            r.insert("last_modified_time".into(), json!(now + k as i64));
            r
        })
        .collect();
    assert_eq!(changed.len(), 100);
    mock.insert_many(OBJECT, changed);

    let before = calls();
    let second = run(crm_fx(&mock, &args)).await.ok();
    let incremental = calls() - before;
    let [summary] = summaries(&second).try_into().unwrap();
    assert_eq!(counts(&summary), (101, 0, 100, 1, 0), "{summary}");
    let bound = 100 / 100 + 3;
    eprintln!(
        "data calls: full export {full_export}, incremental after 100 of 10,000 changed {incremental} (bound {bound})"
    );
    assert!(incremental <= bound, "{incremental} data calls > {bound}");
    assert!(full_export >= 100, "{full_export}");
    assert_db_mirrors(&db, &mock, Gone::Kept).await;
}

// ---------------------------------------------------------------------------------------
// Crash test

/// A xorshift generator: kill moments reproducible from a seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// The whole table, the vendor's text included.
async fn table(db: &Db) -> Vec<(String, String, Option<i64>, bool)> {
    let store = db.open().await;
    let table = store
        .records(Vendor::Fxiaoke, OBJECT)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.record, r.modified_at, r.deleted))
        .collect();
    store.close().await;
    table
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_sync_command_at_random_moments_loses_and_duplicates_nothing() {
    let seed = std::env::var("CRM_SYNC_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe_u64);
    eprintln!("kill moments from seed {seed} (set CRM_SYNC_CRASH_SEED to vary)");
    let mut rng = Rng(seed | 1);
    let mock = fxiaoke_with_payments(1_500, 1_000).await;
    mock.insert_many(
        OBJECT,
        (1_500..2_000).map(|i| payment(i, Some(T0 + 700_500))),
    );
    let killed = Db::sqlite("crash-killed");
    let reference = Db::sqlite("crash-reference");
    let (killed_url, reference_url) = (killed.url(), reference.url());

    // (what changes before the phase, --full)
    let phases: [(&str, bool); 3] = [("none", false), ("edits", false), ("deletes", true)];
    const KILLS: usize = 4;
    for (phase, (change, full)) in phases.into_iter().enumerate() {
        match change {
            "edits" => {
                let t = T0 + 10 * HOUR;
                let edited: Vec<Map<String, Value>> = tenant(&mock, OBJECT)
                    .into_values()
                    .step_by(7)
                    .map(|mut r| {
                        r.insert("remark".into(), json!("改"));
                        r.insert("last_modified_time".into(), json!(t));
                        r
                    })
                    .collect();
                mock.insert_many(OBJECT, edited);
                mock.insert_many(OBJECT, (2_000..2_100).map(|i| payment(i, Some(t + 1))));
            }
            "deletes" => {
                let ids: Vec<String> = tenant(&mock, OBJECT).keys().cloned().collect();
                for id in ids.iter().step_by(53) {
                    mock.delete(OBJECT, id);
                }
            }
            _ => {}
        }
        let mut args = vec!["sync", OBJECT, "--page-size", "30", "--wait", "30s"];
        if full {
            args.push("--full");
        }
        for kill in 0..KILLS {
            // Slow queries, so that a moment can land anywhere in a run.
            mock.control().clear_faults();
            mock.control().inject(
                Some(QUERY_PATH),
                10_000,
                Fault::Delay(Duration::from_millis(8)),
            );
            let mut cmd = crm_fx(&mock, &args)
                .env("CRM_DATABASE_URL", &killed_url)
                .cmd;
            let mut child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let moment = Duration::from_millis(rng.below(900));
            tokio::time::sleep(moment).await;
            let still_running = matches!(child.try_wait(), Ok(None));
            child.kill().unwrap_or_default();
            child.wait().unwrap();
            eprintln!(
                "phase {phase}, kill {kill}: SIGKILL after {moment:?}{}",
                if still_running { "" } else { " (it had ended)" }
            );
        }
        mock.control().clear_faults();
        run(crm_fx(&mock, &args).env("CRM_DATABASE_URL", &killed_url))
            .await
            .ok();
        run(crm_fx(&mock, &args).env("CRM_DATABASE_URL", &reference_url))
            .await
            .ok();
        assert_eq!(
            table(&killed).await,
            table(&reference).await,
            "phase {phase}: the killed runs and the uninterrupted one leave the same table"
        );
    }
    let gone = if phases[2].1 {
        Gone::Marked
    } else {
        Gone::Kept
    };
    assert_db_mirrors(&killed, &mock, gone).await;
    let store = killed.open().await;
    assert_eq!(
        store.cursor(Vendor::Fxiaoke, OBJECT).await.unwrap(),
        {
            let r = reference.open().await;
            let c = r.cursor(Vendor::Fxiaoke, OBJECT).await.unwrap();
            r.close().await;
            c
        },
        "the same cursor"
    );
    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.unwrap();
    store.close().await;
    let abandoned = crm_sync::testing::abandoned_after_kills(&runs);
    eprintln!("{} runs, {abandoned} killed mid-run", runs.len());
    assert!(abandoned > 0, "some kills landed inside a run");
    assert!(runs.len() - abandoned >= phases.len());
}

// ---------------------------------------------------------------------------------------
// useasy and U8: every run a full pass

/// Row by row against a full-pass vendor's records (`modified_at` not compared).
fn assert_full_mirrors(stored: &[Row], tenant: &BTreeMap<String, Value>) {
    let by_id: BTreeMap<&str, &Row> = stored.iter().map(|r| (r.id.as_str(), r)).collect();
    for (id, value) in tenant {
        let row = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(&row.value, value, "JSON of {id}");
        assert!(!row.deleted, "{id} exists but is marked deleted");
    }
    for row in stored {
        assert_eq!(row.deleted, !tenant.contains_key(&row.id), "{}", row.id);
    }
}

/// Runs `sync`, a full pass of one object, and checks its counts (fetched, inserted, updated,
/// unchanged, marked deleted) and, row by row, that the table mirrors the vendor's records as
/// `tenant` reads them after the run. Its summary and the rows.
async fn full_pass(
    sync: Crm,
    db: &Db,
    (vendor, object): (Vendor, &str),
    counted: (u64, u64, u64, u64, u64),
    tenant: impl FnOnce() -> BTreeMap<String, Value>,
) -> (Value, Vec<Row>) {
    let run = run(sync).await.ok();
    let [summary] = summaries(&run)
        .try_into()
        .unwrap_or_else(|all: Vec<Value>| panic!("one summary: {all:?}"));
    assert_eq!(counts(&summary), counted, "{}", run.stdout);
    let stored = rows(db, vendor, object).await;
    assert_full_mirrors(&stored, &tenant());
    (summary, stored)
}

/// A full-pass vendor's mock, as [`deletions_and_a_return`] drives it.
trait FullPassMock: Sized {
    /// The table its records are stored in.
    const TABLE: (Vendor, &'static str);
    /// The CLI's words for that table (`useasy customers`).
    const COMMAND: [&'static str; 2];
    /// A live mock whose every `n`-th request is answered by the gateway (no vendor
    /// envelope), with its own rate limiting (where it has one) off.
    async fn start_with_gateway_body_every(n: u64) -> Self;
    /// `cmd` with the base URL and credentials of this mock.
    fn pointed_at(&self, cmd: Crm) -> Crm;
    /// `crm <vendor> <table> sync <args> --format jsonl` against this mock, with five retries.
    fn sync_command(&self, args: &[&str]) -> Crm {
        let mut all = Self::COMMAND.to_vec();
        all.push("sync");
        all.extend_from_slice(args);
        all.extend(["--format", "jsonl"]);
        self.pointed_at(crm(&all)).env("CRM_RETRIES", "5")
    }
    /// Its records by id, as they are stored (JSON).
    fn records_by_id(&self) -> BTreeMap<String, Value>;
    /// Takes record `id` out of the tenant; what puts it back (and says its id).
    fn take_out(&self, id: &str) -> impl FnOnce() -> String + '_;
}

impl FullPassMock for openapi_crm_mock::MockUseasy {
    const TABLE: (Vendor, &'static str) = (Vendor::Useasy, "customers");
    const COMMAND: [&'static str; 2] = ["useasy", "customers"];

    async fn start_with_gateway_body_every(n: u64) -> Self {
        let mock = Self::start_live(openapi_crm_mock::LiveTenant {
            gateway_body_every: Some(n),
            ..Default::default()
        })
        .await
        .unwrap();
        mock.set_rate_limiting(false);
        mock
    }

    fn pointed_at(&self, cmd: Crm) -> Crm {
        cmd.useasy_env(self)
    }

    fn records_by_id(&self) -> BTreeMap<String, Value> {
        self.records()
            .into_iter()
            .map(|r| (r["_id"].as_str().unwrap().to_owned(), Value::Object(r)))
            .collect()
    }

    fn take_out(&self, id: &str) -> impl FnOnce() -> String + '_ {
        let customer = self.remove(id).unwrap();
        move || self.insert(customer)
    }
}

impl FullPassMock for u8_contacts_mock::MockU8 {
    const TABLE: (Vendor, &'static str) = (Vendor::U8, "contacts");
    const COMMAND: [&'static str; 2] = ["u8", "contacts"];

    async fn start_with_gateway_body_every(n: u64) -> Self {
        Self::start_live(u8_contacts_mock::LiveTenant {
            gateway_body_every: Some(n),
            ..Default::default()
        })
        .await
        .unwrap()
    }

    fn pointed_at(&self, cmd: Crm) -> Crm {
        cmd.u8_env(self)
    }

    fn records_by_id(&self) -> BTreeMap<String, Value> {
        self.contacts()
            .into_iter()
            .map(|c| {
                (
                    c.code.as_deref().unwrap().to_owned(),
                    serde_json::to_value(&c).unwrap(),
                )
            })
            .collect()
    }

    fn take_out(&self, code: &str) -> impl FnOnce() -> String + '_ {
        let contact = self.remove(code).unwrap();
        move || self.insert(contact)
    }
}

/// Three full passes of `mock`'s table, `sync` into `db`, each checked by [`full_pass`]: the
/// first stores all `records`; the second marks deleted every `take_out_every`-th one, taken out
/// of the tenant before it, and finds the rest unchanged; the third clears the flag of the
/// `put_back`-th of those, put back before it. The first pass's summary and rows.
async fn deletions_and_a_return<M: FullPassMock>(
    mock: &M,
    sync: impl Fn() -> Crm,
    db: &Db,
    (records, take_out_every, put_back): (u64, usize, usize),
) -> (Value, Vec<Row>) {
    let tenant = || mock.records_by_id();
    let first = full_pass(sync(), db, M::TABLE, (records, records, 0, 0, 0), tenant).await;

    let ids: Vec<String> = tenant().into_keys().collect();
    let mut taken_out: Vec<_> = ids
        .iter()
        .step_by(take_out_every)
        .map(|id| mock.take_out(id))
        .collect();
    let gone = taken_out.len() as u64;
    let left = records - gone;
    full_pass(sync(), db, M::TABLE, (left, 0, 0, left, gone), tenant).await;

    let back = taken_out.swap_remove(put_back)();
    let (_, stored) = full_pass(sync(), db, M::TABLE, (left + 1, 0, 1, left, 0), tenant).await;
    let row = stored.iter().find(|r| r.id == back).unwrap();
    assert!(!row.deleted, "{back} came back");
    first
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn useasy_syncs_mark_deletions_and_a_customer_that_comes_back_clears_its_flag() {
    let mock = openapi_crm_mock::MockUseasy::start_with_gateway_body_every(5).await;
    mock.insert_many((0..230).map(|i| openapi_crm::Customer::named(format!("客户{i:03}"))));
    let db = Db::sqlite("useasy");
    let url = db.url();
    let sync = || {
        mock.sync_command(&["--into", &url, "--page-size", "50"])
            .env("CRM_NO_RATE_LIMITS", "true")
    };

    // 230 customers; every 23rd taken out; the fifth of those put back.
    let (summary, stored) = deletions_and_a_return(&mock, sync, &db, (230, 23, 4)).await;
    assert_eq!(summary["mode"], "full");
    assert!(
        stored.iter().all(|r| r.modified_at.is_some()),
        "updateTime (China time) became epoch ms"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn u8_syncs_mark_deletions_and_a_contact_that_comes_back_clears_its_flag() {
    let mock = u8_contacts_mock::MockU8::start_with_gateway_body_every(4).await;
    mock.insert_many(u8_contacts_mock::sample_contacts(180));
    let Some(pg) = Db::postgres().await else {
        return;
    };
    let url = pg.url();
    let sync = || {
        mock.sync_command(&["--page-size", "25"])
            .env("CRM_DATABASE_URL", &url)
    };

    // 180 contacts; every 30th taken out; the second of those put back.
    deletions_and_a_return(&mock, sync, &pg, (180, 30, 1)).await;
}

// ---------------------------------------------------------------------------------------
// The command itself: --mock, summaries, dry run, errors, the lock

#[test]
fn the_help_of_each_sync_command_explains_it() {
    let fx = crm(&["fxiaoke", "sync", "--help"]).run().ok();
    for text in [
        "--into <DATABASE>",
        "CRM_DATABASE_URL",
        "--full",
        "--lookback <DURATION>",
        "[default: 10m]",
        "--dry-run",
        "--wait <DURATION>",
        "(last_modified_time, _id)",
        "Exit codes",
    ] {
        assert!(fx.stdout.contains(text), "{text}:\n{}", fx.stdout);
    }
    for args in [
        ["useasy", "customers", "sync", "--help"],
        ["u8", "contacts", "sync", "--help"],
    ] {
        let run = crm(&args).run().ok();
        assert!(
            run.stdout.contains("every run is a full pass"),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("CRM_DATABASE_URL"), "{}", run.stdout);
        assert!(!run.stdout.contains("--lookback"), "{}", run.stdout);
    }
}

#[test]
fn every_sync_command_works_with_mock_and_prints_one_summary_line_per_object() {
    let dir = TempDir::new("cli-mock-sync");
    let db = dir.join("crm.db");
    let db = db.to_str().unwrap();
    let run = crm(&[
        "--mock",
        "fxiaoke",
        "sync",
        "PaymentObj",
        "object_demo__c",
        "--into",
        db,
    ])
    .run()
    .ok();
    let lines = run.lines();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(
        lines[0].starts_with(
            "fxiaoke PaymentObj: fetched 40, inserted 40, updated 0, unchanged 0, marked deleted 0, vendor calls "
        ),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("fxiaoke object_demo__c: fetched 5, inserted 5,"));
    assert!(
        run.stderr.is_empty(),
        "no progress bar off a terminal: {}",
        run.stderr
    );

    for (args, prefix) in [
        (
            ["--mock", "useasy", "customers", "sync"],
            "useasy customers: fetched 40, inserted 40,",
        ),
        (
            ["--mock", "u8", "contacts", "sync"],
            "u8 contacts: fetched 40, inserted 40,",
        ),
    ] {
        let run = crm(&args)
            .env("CRM_DATABASE_URL", &format!("sqlite://{db}"))
            .run()
            .ok();
        assert_eq!(run.lines().len(), 1);
        assert!(run.stdout.starts_with(prefix), "{}", run.stdout);
    }

    // A dry run counts against the table and writes nothing.
    let run = crm(&[
        "--mock",
        "fxiaoke",
        "sync",
        "PaymentObj",
        "--into",
        db,
        "--full",
        "--dry-run",
        "-f",
        "json",
    ])
    .run()
    .ok();
    let all: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["dry_run"], true);
    assert_eq!(all[0]["mode"], "full");
    assert_eq!(all[0]["run_id"], Value::Null);
    assert_eq!(counts(&all[0]), (40, 0, 0, 40, 0));
    let runs = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = Store::open(db).await.unwrap();
        let runs = store.runs(Vendor::Fxiaoke, "PaymentObj").await.unwrap();
        store.close().await;
        runs
    });
    assert_eq!(runs.len(), 1, "the dry run left no run row");
}

#[test]
fn database_errors_are_one_line_with_their_exit_code_and_no_password() {
    let dir = TempDir::new("cli-sync-errors");
    // No database at all: a usage error.
    let run = crm(&["--mock", "fxiaoke", "sync", "PaymentObj"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--into <DATABASE>"), "{}", run.stderr);

    // A URL of an unsupported database: configuration, exit 3, the password hidden.
    let run = crm(&["--mock", "fxiaoke", "sync", "PaymentObj"])
        .env(
            "CRM_DATABASE_URL",
            "mysql://crm:hunter2secret@db.internal/crm",
        )
        .run();
    assert_fails(&run, 3);
    assert!(
        run.stderr.contains("mysql://crm:***@db.internal/crm"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2secret"), "{}", run.stderr);

    // A PostgreSQL server that is not there: the database failed, exit 1, why, no password.
    let started = Instant::now();
    let run = crm(&[
        "--mock",
        "useasy",
        "customers",
        "sync",
        "--into",
        "postgres://crm:hunter2secret@127.0.0.1:1/crm?sslmode=disable",
    ])
    .run();
    assert_fails(&run, 1);
    assert!(run.stderr.contains("refused"), "{}", run.stderr);
    assert!(!run.stderr.contains("hunter2secret"), "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(20), "fails fast");

    // A SQLite file in a directory that does not exist: exit 1, the path named.
    let missing = dir.join("no/such/dir/crm.db");
    let run = crm(&[
        "--mock",
        "u8",
        "contacts",
        "sync",
        "--into",
        missing.to_str().unwrap(),
    ])
    .run();
    assert_fails(&run, 1);
    assert!(run.stderr.contains("no/such/dir"), "{}", run.stderr);

    // A database written by a newer crm: configuration, exit 3, and the way out.
    let newer = dir.join("newer.db");
    let newer = newer.to_str().unwrap();
    crm(&["--mock", "u8", "contacts", "sync", "--into", newer])
        .run()
        .ok();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{newer}"))
            .await
            .unwrap();
        let version = crm_sync::SCHEMA_VERSION + 1;
        sqlx::query(&format!(
            "INSERT INTO crm_sync_schema (version, description, applied_at) VALUES ({version}, 'later', 0)"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    });
    let run = crm(&["--mock", "u8", "contacts", "sync", "--into", newer]).run();
    assert_fails(&run, 3);
    assert!(run.stderr.contains("upgrade crm-sync"), "{}", run.stderr);

    // Bad durations and page sizes: usage.
    for bad in [
        ["--lookback", "10"],
        ["--page-size", "101"],
        ["--wait", "soon"],
    ] {
        let mut args = vec!["--mock", "fxiaoke", "sync", "PaymentObj", "--into", "x.db"];
        args.extend(bad);
        let run = crm(&args).run();
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }

    // No credentials: configuration, before any database is touched.
    let run = crm(&["fxiaoke", "sync", "PaymentObj", "--into", "x.db"]).run();
    assert_fails(&run, 3);
    assert!(
        run.stderr.contains("fxiaoke is not configured"),
        "{}",
        run.stderr
    );
}

/// From the `(n + 1)`-th query on, every query to `mock` answers HTTP `status` with `body`.
fn fail_queries_from(mock: &MockFxiaoke, n: u64, status: u16, body: &'static str) {
    let control = mock.control().clone();
    mock.control().on_request(move |path, count| {
        if path == QUERY_PATH && count == n {
            control.respond_next(Some(QUERY_PATH), 1_000, status, body);
        }
    });
}

/// `failed` is a sync of PaymentObj that stopped part-way with exit code `exit`.
fn assert_failed_part_way(failed: &Run, exit: i32) {
    assert_fails(failed, exit);
    assert!(
        failed
            .stderr
            .contains("sync of fxiaoke PaymentObj failed after"),
        "{}",
        failed.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_error_fails_the_command_with_exit_4_and_the_next_run_resumes() {
    let mock = fxiaoke_with_payments(500, 1_000).await;
    let db = Db::sqlite("vendor-error");
    let url = db.url();
    let quota = r#"{"errorCode":30004,"errorMessage":"接口调用频率超限","errorDescription":"rate limit","traceId":"E-O.test"}"#;
    // The fourth query and every one after it: an exhausted quota.
    fail_queries_from(&mock, 3, 200, quota);
    let args = ["sync", OBJECT, "--into", &url, "--page-size", "50"];
    let failed = run(crm_fx(&mock, &args).env("CRM_RETRIES", "1")).await;
    assert_failed_part_way(&failed, 4);
    assert!(failed.stderr.contains("30004"), "{}", failed.stderr);
    let stored = rows(&db, Vendor::Fxiaoke, OBJECT).await;
    assert!(!stored.is_empty() && stored.len() < 500, "{}", stored.len());
    let store = db.open().await;
    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.unwrap();
    store.close().await;
    assert_eq!(runs.last().unwrap().status, RunStatus::Failed);

    mock.control().clear_faults();
    let ok = run(crm_fx(&mock, &args)).await.ok();
    assert!(ok.stdout.contains("marked deleted 0"), "{}", ok.stdout);
    assert_db_mirrors(&db, &mock, Gone::Kept).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_of_the_same_object_fails_clearly_or_waits() {
    use crm_sync::fake::FakeSource;
    let mock = fxiaoke_with_payments(50, 1).await;
    let db = Db::sqlite("busy");
    let url = db.url();
    // Another sync of fxiaoke PaymentObj, slow, holding the object's lock for about 1.5 s.
    let source = FakeSource::new(Vendor::Fxiaoke, OBJECT, crm_sync::SourceKind::Incremental)
        .with_page_size(10)
        .with_page_delay(Duration::from_millis(100));
    source.seed(1, 150, T0);
    let store = db.open().await;
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let holder = tokio::spawn(async move {
        let mut started = Some(started_tx);
        let summary = store
            .sync_with_progress(&source, &crm_sync::SyncOptions::default(), |_| {
                if let Some(tx) = started.take() {
                    let _ = tx.send(());
                }
            })
            .await
            .unwrap();
        store.close().await;
        summary
    });
    started_rx.await.unwrap();

    let busy = run(crm_fx(&mock, &["sync", OBJECT, "--into", &url])).await;
    assert_fails(&busy, 1);
    assert!(
        busy.stderr
            .contains("another sync of fxiaoke PaymentObj is running"),
        "{}",
        busy.stderr
    );
    let waited = run(crm_fx(
        &mock,
        &["sync", OBJECT, "--into", &url, "--wait", "60s"],
    ))
    .await
    .ok();
    assert_eq!(holder.await.unwrap().counts.fetched, 150);
    assert!(
        waited.stdout.starts_with("fxiaoke PaymentObj: fetched 50"),
        "{}",
        waited.stdout
    );
    let store = db.open().await;
    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.unwrap();
    store.close().await;
    assert_eq!(runs.len(), 2, "the refused sync left no run: {runs:?}");
    assert!(
        runs[0].ended_at.unwrap() <= runs[1].started_at,
        "the waiting sync started after the first ended: {runs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_failure_part_way_exits_by_its_kind_and_stops_before_the_next_object() {
    const OTHER: &str = "AccountObj";
    let auth = r#"{"errorCode":20005,"errorMessage":"no permission to read this object","traceId":"E-O.test"}"#;
    // (HTTP status, body, exit code): an HTTP error is 5, a rejected credential 3.
    for (status, body, exit) in [(503, "upstream busy", 5), (200, auth, 3)] {
        let mock = fxiaoke_with_payments(200, 1_000).await;
        mock.insert_many(
            OTHER,
            (1_000..1_010).map(|i| payment(i, Some(T0 + i as i64))),
        );
        // From the third query on, every query fails: part-way through the first object.
        fail_queries_from(&mock, 2, status, body);
        let db = Db::sqlite(&format!("part-way-{exit}"));
        let url = db.url();
        let args = ["sync", OBJECT, OTHER, "--into", &url, "--page-size", "50"];
        let failed = run(crm_fx(&mock, &args).env("CRM_RETRIES", "1")).await;
        assert_failed_part_way(&failed, exit);

        let store = db.open().await;
        let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.unwrap();
        let other = store.runs(Vendor::Fxiaoke, OTHER).await.unwrap();
        store.close().await;
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].status, RunStatus::Failed);
        assert!(
            runs[0].counts.pages > 0,
            "pages before the failure stay stored"
        );
        assert!(other.is_empty(), "the command stopped before {OTHER}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_summary_record_holds_every_documented_field() {
    let mock = fxiaoke_with_payments(90, 1_000).await;
    let db = Db::sqlite("summary-fields");
    let url = db.url();
    let done = run(crm_fx(&mock, &sync_into(&url, &["--page-size", "40"])))
        .await
        .ok();
    let [summary] = summaries(&done).try_into().unwrap();
    let keys: BTreeSet<&str> = summary
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let documented: BTreeSet<&str> = [
        "vendor",
        "object",
        "mode",
        "dry_run",
        "fetched",
        "inserted",
        "updated",
        "unchanged",
        "marked_deleted",
        "vendor_calls",
        "seconds",
        "pages",
        "run_id",
        "cursor_modified_at",
        "cursor_id",
    ]
    .into();
    assert_eq!(keys, documented, "the README's list of fields");

    let store = db.open().await;
    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.unwrap();
    let cursor = store
        .cursor(Vendor::Fxiaoke, OBJECT)
        .await
        .unwrap()
        .unwrap();
    store.close().await;
    let [row] = runs.try_into().unwrap();
    assert_eq!(
        (summary["vendor"].as_str(), summary["object"].as_str()),
        (Some("fxiaoke"), Some(OBJECT))
    );
    assert_eq!(summary["dry_run"], false);
    assert_eq!(summary["run_id"].as_i64(), Some(row.id));
    assert_eq!(summary["pages"].as_u64(), Some(row.counts.pages));
    assert!(row.counts.pages >= 3, "90 records, 40 a page");
    assert_eq!(
        summary["vendor_calls"].as_u64(),
        Some(row.counts.vendor_calls)
    );
    assert!(row.counts.vendor_calls >= row.counts.pages);
    assert_eq!(
        summary["cursor_modified_at"].as_i64(),
        Some(cursor.modified_at)
    );
    assert_eq!(summary["cursor_id"].as_str(), Some(cursor.id.as_str()));
    assert_eq!(
        cursor.modified_at,
        T0 + 89 * 1_000,
        "the last record's time"
    );
    assert!(summary["seconds"].as_f64().is_some_and(|s| s >= 0.0));
}
