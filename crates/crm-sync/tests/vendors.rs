//! The vendor sources on the embedded mocks, with live-tenant behaviours on (other users
//! editing, creating and deleting while a sync reads; records tied on `last_modified_time`
//! in a new order on every call), each scenario on SQLite and on PostgreSQL and checked row
//! by row against the mock's own data.
// Scenario bodies are plain async fns run by the tests: a panic is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use common::{Db, Gone, Row, assert_rows_mirror, bounded, rows, sync_default};
use crm_sync::vendors::{FxiaokeObject, U8Contacts, UseasyCustomers};
use crm_sync::{Cursor, Error, Read, RunStatus, Source, Store, SyncOptions, SyncSummary, Vendor};
use futures::StreamExt;
use fxiaoke_crm_mock::{Churn, LiveTenant, MockFxiaoke, MockSettings};
use serde_json::{Map, Value, json};

on_both_stores!(
    fxiaoke_first_incremental_and_full_syncs_mirror_the_tenant_row_by_row,
    a_vendor_error_mid_run_keeps_what_was_stored_and_a_rerun_completes,
    useasy_full_passes_mirror_the_customers_and_mark_deletions,
    useasy_edits_within_one_second_are_updates,
    u8_full_passes_mirror_the_contacts_and_mark_deletions,
);

const OBJECT: &str = "AccountObj";
const QUERY_PATH: &str = "/cgi/crm/v2/data/query";
/// 2025-01-01T00:00:00Z: the seeded records are old, far outside any lookback.
const T0: i64 = 1_735_689_600_000;
const HOUR: i64 = 3_600_000;

/// The run inserted, updated and marked deleted as many records as `expected` says.
fn assert_changes(run: &SyncSummary, expected: (u64, u64, u64)) {
    assert_eq!(
        (
            run.counts.inserted,
            run.counts.updated,
            run.counts.marked_deleted
        ),
        expected,
        "inserted, updated, marked deleted: {run}"
    );
}

/// One more pass after the deleted record `id` came back: it is one update (no insert, no
/// deletion) that clears the record's flag. Returns the rows after it.
async fn sync_after_return(
    store: &Store,
    source: &dyn Source,
    vendor: Vendor,
    object: &str,
    id: &str,
) -> Vec<Row> {
    let run = sync_default(store, source, "the pass after a record came back").await;
    assert_changes(&run, (0, 1, 0));
    let stored = rows(store, vendor, object).await;
    let row = stored
        .iter()
        .find(|r| r.id == id)
        .expect("the returned row");
    assert!(!row.deleted, "{id} came back");
    stored
}

// ---------------------------------------------------------------------------------------
// Fxiaoke

/// Other users' writes while a sync reads, made by the mocks' own churn: before every other
/// Fxiaoke query, one record deleted, one edited and one created; before every useasy list
/// call, the same with customers; before every U8 `batch_get`, one contact edited (U8 pages by
/// number: an add or delete during a pass shifts the pages, which the source documents; edits
/// do not).
const FXIAOKE_CHURN: Churn = Churn {
    every: 2,
    creates: 1,
    deletes: 1,
    edits: 1,
    seed: 7,
};
const USEASY_CHURN: Churn = Churn {
    every: 1,
    ..FXIAOKE_CHURN
};
const U8_CHURN: Churn = Churn {
    every: 1,
    creates: 0,
    deletes: 0,
    edits: 1,
    seed: 7,
};

/// One sync of `source` with a churn switched on (`churn(true)`) for its duration only,
/// failing the test (with `what`) if it fails.
async fn sync_while_writing(
    churn: impl Fn(bool),
    store: &Store,
    source: &dyn Source,
    options: &SyncOptions,
    what: &str,
) -> SyncSummary {
    churn(true);
    let summary = store.sync(source, options).await;
    churn(false);
    summary.expect(what)
}

/// An account; `_id` and `last_modified_time` given or left to the mock.
fn account(name: &str, id: Option<&str>, modified: Option<i64>) -> Map<String, Value> {
    let mut record = json!({
        "name": name,
        "account_level": "A",
        "payment_amount__c": "1024.50",
        "owner": ["FSUID_0253C6D7FC0E3A2CBB19F336CE000001"],
    });
    if let Some(id) = id {
        record["_id"] = json!(id);
    }
    if let Some(t) = modified {
        record["create_time"] = json!(t);
        record["last_modified_time"] = json!(t);
    }
    record.as_object().cloned().unwrap()
}

fn fx_id(i: usize) -> String {
    format!("65a0c1d2e3f4a5b6c7{i:06x}")
}

async fn fxiaoke_mock() -> MockFxiaoke {
    let live = LiveTenant {
        unstable_ties: true,
        ..LiveTenant::default()
    };
    MockFxiaoke::start_with(MockSettings::without_rate_limits().with_live(live))
        .await
        .unwrap()
}

/// 400 accounts one second apart, and 130 more sharing one millisecond among them (more
/// than two pages of 50).
fn seed_fxiaoke(mock: &MockFxiaoke) {
    mock.insert_many(
        OBJECT,
        (0..400).map(|i| {
            account(
                &format!("客户{i}"),
                Some(&fx_id(i)),
                Some(T0 + i as i64 * 1_000),
            )
        }),
    );
    mock.insert_many(
        OBJECT,
        (400..530).map(|i| account(&format!("客户{i}"), Some(&fx_id(i)), Some(T0 + 200_500))),
    );
}

/// The mock's records by `_id`.
fn fx_records(mock: &MockFxiaoke) -> BTreeMap<String, Map<String, Value>> {
    mock.records(OBJECT)
        .into_iter()
        .map(|r| (r["_id"].as_str().unwrap().to_owned(), r))
        .collect()
}

/// Row by row: every record of the tenant is stored once, live, with its JSON (by value)
/// and `last_modified_time`, except the ids in `unsettled` (changed by another user while a
/// run read: they may be stored as they were); stored records the tenant no longer has are
/// as `gone` says.
fn assert_fx_mirrors(
    stored: &[Row],
    tenant: &BTreeMap<String, Map<String, Value>>,
    gone: Gone,
    unsettled: &BTreeSet<String>,
) {
    let source = tenant
        .iter()
        .map(|(id, r)| {
            let modified_at = r["last_modified_time"].as_i64();
            (id.clone(), (Value::Object(r.clone()), modified_at))
        })
        .collect();
    assert_rows_mirror(stored, &source, gone, unsettled);
}

/// The records an incremental run starting at `cursor` minus `lookback` reads.
fn window(
    tenant: &BTreeMap<String, Map<String, Value>>,
    cursor: &Cursor,
    lookback: Duration,
) -> usize {
    let start = cursor.minus(lookback).modified_at;
    tenant
        .values()
        .filter(|r| r["last_modified_time"].as_i64().unwrap() >= start)
        .count()
}

async fn fxiaoke_first_incremental_and_full_syncs_mirror_the_tenant_row_by_row(
    db: Db,
    _reference: Db,
) {
    let mock = fxiaoke_mock().await;
    seed_fxiaoke(&mock);
    let client = mock.unlimited_client().unwrap();
    let source = FxiaokeObject::new(client.clone(), OBJECT).with_page_size(50);
    let store = db.open().await;
    let options = SyncOptions::default();

    // 1. First sync while other users write.
    let calls_before = mock.control().total_calls();
    let churn = |on: bool| mock.set_churn(on.then_some(FXIAOKE_CHURN));
    let first = sync_while_writing(churn, &store, &source, &options, "first sync").await;
    let touched = mock.churned_ids();
    assert!(
        !touched.is_empty(),
        "other users wrote during the first sync"
    );
    let tenant = fx_records(&mock);
    assert!(first.counts.fetched >= 530, "{first}");
    assert_eq!(
        first.counts.vendor_calls,
        mock.control().total_calls() - calls_before,
        "vendor calls: every request of the run, the token request included"
    );
    assert!(first.counts.vendor_calls > 530 / 50, "{first}");
    let stored = rows(&store, Vendor::Fxiaoke, OBJECT).await;
    assert_eq!(first.counts.inserted, stored.len() as u64, "{first}");
    assert_fx_mirrors(&stored, &tenant, Gone::Kept, &touched);

    // A quiet incremental run settles what changed during the first one.
    let settle = store.sync(&source, &options).await.expect("settling sync");
    assert_eq!(settle.counts.marked_deleted, 0);
    let stored = rows(&store, Vendor::Fxiaoke, OBJECT).await;
    assert_fx_mirrors(&stored, &tenant, Gone::Kept, &BTreeSet::new());
    let cursor = store
        .cursor(Vendor::Fxiaoke, OBJECT)
        .await
        .unwrap()
        .unwrap();
    let newest = tenant
        .iter()
        .map(|(id, r)| Cursor::new(r["last_modified_time"].as_i64().unwrap(), id.clone()))
        .max()
        .unwrap();
    assert_eq!(cursor, newest, "the cursor is at the newest record");

    // 2. Changes: 150 edits sharing one new millisecond (three pages of ties), two edits and
    // a void through the API, 20 creations.
    let edited_at = cursor.modified_at + HOUR;
    let edits: Vec<Map<String, Value>> = tenant
        .values()
        .take(150)
        .map(|r| {
            let mut r = r.clone();
            r.insert("account_level".into(), json!("B"));
            r.insert("last_modified_time".into(), json!(edited_at));
            r
        })
        .collect();
    mock.insert_many(OBJECT, edits);
    let api_edited: Vec<String> = tenant.keys().skip(200).take(2).cloned().collect();
    for id in &api_edited {
        let mut data = fxiaoke_crm::ObjectData {
            id: Some(id.clone()),
            ..Default::default()
        };
        data.extra
            .set("remark", json!("changed through the API"))
            .unwrap();
        client
            .update_object(
                OBJECT,
                data,
                fxiaoke_crm::Details::new(),
                &Default::default(),
            )
            .await
            .expect("update");
    }
    let voided = tenant.keys().nth(300).cloned().unwrap();
    client.invalid(OBJECT, &voided).await.expect("void");
    mock.insert_many(
        OBJECT,
        (0..20).map(|i| account(&format!("新客户{i}"), None, Some(edited_at + 1 + i))),
    );
    let before = rows(&store, Vendor::Fxiaoke, OBJECT).await;
    let tenant = fx_records(&mock);
    let expected = window(&tenant, &cursor, options.lookback);
    let second = store
        .sync(&source, &options)
        .await
        .expect("incremental sync");
    assert_eq!(second.counts.fetched, expected as u64, "{second}");
    assert_eq!(
        (second.counts.inserted, second.counts.updated),
        (20, 153),
        "{second}"
    );
    assert_eq!(second.counts.unchanged, second.counts.fetched - 173);
    let stored = rows(&store, Vendor::Fxiaoke, OBJECT).await;
    assert_fx_mirrors(&stored, &tenant, Gone::Kept, &BTreeSet::new());
    let voided_row = stored.iter().find(|r| r.id == voided).unwrap();
    assert_eq!(
        voided_row.value["life_status"], "invalid",
        "a void arrives as a change"
    );
    assert!(!voided_row.deleted, "a voided record is not deleted");
    assert!(before.len() < stored.len());

    // 3. Physical deletes: invisible to incremental runs, marked by a full pass.
    let deleted: Vec<String> = tenant
        .keys()
        .skip(10)
        .step_by(37)
        .take(6)
        .cloned()
        .collect();
    for id in &deleted {
        assert!(mock.delete(OBJECT, id));
    }
    let tenant = fx_records(&mock);
    let third = store
        .sync(&source, &options)
        .await
        .expect("incremental sync");
    assert_changes(&third, (0, 0, 0));
    let before_full = rows(&store, Vendor::Fxiaoke, OBJECT).await;
    assert_fx_mirrors(&before_full, &tenant, Gone::Kept, &BTreeSet::new());
    // What the tenant no longer has: these deletes, and those of the other users during the
    // first sync (of records stored before they went).
    let gone: Vec<&str> = before_full
        .iter()
        .filter(|r| !tenant.contains_key(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    assert!(gone.len() > deleted.len(), "{gone:?}");
    assert!(deleted.iter().all(|id| gone.contains(&id.as_str())));
    let full = store
        .sync(&source, &options.clone().with_full(true))
        .await
        .expect("full pass");
    assert_eq!(full.counts.fetched, tenant.len() as u64);
    assert_eq!((full.counts.inserted, full.counts.updated), (0, 0));
    assert_eq!(full.counts.marked_deleted, gone.len() as u64);
    assert_eq!(
        store
            .cursor(Vendor::Fxiaoke, OBJECT)
            .await
            .unwrap()
            .unwrap(),
        third.cursor.clone().unwrap(),
        "a full pass leaves the cursor"
    );
    let stored = rows(&store, Vendor::Fxiaoke, OBJECT).await;
    assert_fx_mirrors(&stored, &tenant, Gone::Marked, &BTreeSet::new());
    assert_eq!(stored.iter().filter(|r| r.deleted).count(), gone.len());

    // 4. A deleted record that comes back clears its flag.
    let back = &deleted[0];
    mock.insert(
        OBJECT,
        account("回来的客户", Some(back), Some(edited_at + HOUR)),
    );
    let stored = sync_after_return(&store, &source, Vendor::Fxiaoke, OBJECT, back).await;
    let tenant = fx_records(&mock);
    assert_fx_mirrors(&stored, &tenant, Gone::Marked, &BTreeSet::new());

    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.unwrap();
    assert!(
        runs.iter().all(|r| r.status == RunStatus::Completed),
        "{runs:?}"
    );
    assert_eq!(
        runs.iter().map(|r| r.mode.as_str()).collect::<Vec<_>>(),
        [
            "incremental",
            "incremental",
            "incremental",
            "incremental",
            "full",
            "incremental"
        ]
    );
    store.close().await;
}

async fn a_vendor_error_mid_run_keeps_what_was_stored_and_a_rerun_completes(
    db: Db,
    _reference: Db,
) {
    let mock = fxiaoke_mock().await;
    seed_fxiaoke(&mock);
    let source = FxiaokeObject::new(mock.unlimited_client().unwrap(), OBJECT).with_page_size(50);
    let store = db.open().await;
    let control = mock.control().clone();
    let quota = r#"{"errorCode":30004,"errorMessage":"接口调用频率超限","errorDescription":"rate limit","traceId":"E-O.test"}"#;
    let mut pages = 0;
    let err = store
        .sync_with_progress(&source, &SyncOptions::default(), |_| {
            pages += 1;
            if pages == 4 {
                // Every query from now on answers with an exhausted quota.
                control.respond_next(Some(QUERY_PATH), 100, 200, quota);
            }
        })
        .await
        .expect_err("the quota ends the run");
    let Error::Source {
        summary,
        source: cause,
    } = &err
    else {
        panic!("a source error, got {err}")
    };
    let api = cause
        .downcast_ref::<fxiaoke_crm::Error>()
        .and_then(|e| e.api())
        .expect("the vendor's error, as the SDK reported it");
    assert_eq!(api.code, "30004");
    assert!(summary.counts.fetched >= 150, "{summary}");
    let stored = rows(&store, Vendor::Fxiaoke, OBJECT).await;
    assert_eq!(
        stored.len() as u64,
        summary.counts.fetched,
        "whole pages stored"
    );
    let cursor = store
        .cursor(Vendor::Fxiaoke, OBJECT)
        .await
        .unwrap()
        .unwrap();
    let last = stored
        .iter()
        .map(|r| Cursor::new(r.modified_at.unwrap(), r.id.clone()))
        .max()
        .unwrap();
    assert_eq!(cursor, last, "the cursor is at the last stored record");
    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.unwrap();
    assert_eq!(runs.last().unwrap().status, RunStatus::Failed);
    assert!(
        runs.last()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("30004")
    );

    control.clear_faults();
    let rerun = sync_default(&store, &source, "rerun").await;
    assert_eq!(rerun.counts.marked_deleted, 0);
    assert_fx_mirrors(
        &rows(&store, Vendor::Fxiaoke, OBJECT).await,
        &fx_records(&mock),
        Gone::Kept,
        &BTreeSet::new(),
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_read_after_a_key_inside_a_tie_group_reads_the_rest_exactly_once() {
    bounded(async {
        let mock = fxiaoke_mock().await;
        seed_fxiaoke(&mock);
        let source =
            FxiaokeObject::new(mock.unlimited_client().unwrap(), OBJECT).with_page_size(20);
        let mut keys: Vec<Cursor> = fx_records(&mock)
            .iter()
            .map(|(id, r)| Cursor::new(r["last_modified_time"].as_i64().unwrap(), id.clone()))
            .collect();
        keys.sort();
        for at in [0, 250, 264, 329, 528, 529] {
            let after = keys[at].clone();
            let read: Vec<Cursor> = source
                .pages(Read::Incremental {
                    after: Some(after.clone()),
                })
                .flat_map(|page| futures::stream::iter(page.expect("page").records))
                .map(|r| r.key().expect("every record has a key"))
                .collect()
                .await;
            assert_eq!(read, keys[at + 1..], "after {after}");
        }
        // The start of a millisecond: the whole tie group and everything after it.
        let start = Cursor::new(T0 + 200_500, "");
        let first = keys.iter().position(|k| *k > start).unwrap();
        let read = source
            .pages(Read::Incremental { after: Some(start) })
            .flat_map(|page| futures::stream::iter(page.expect("page").records))
            .count()
            .await;
        assert_eq!(read, keys.len() - first);
        assert!(keys.len() - first > 130);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_objects_are_read_like_preset_ones() {
    bounded(async {
        let mock = fxiaoke_mock().await;
        let object = "object_sync__c";
        mock.insert_many(
            object,
            (0..45).map(|i| {
                let mut r = account(&format!("自定义{i}"), Some(&fx_id(i)), Some(T0 + i as i64));
                r.insert("field_score__c".into(), json!(format!("{}", i * 3)));
                r
            }),
        );
        let dir = common::TempDir::new("sync");
        let store = Store::open(dir.path().join("crm.db").to_str().unwrap())
            .await
            .unwrap();
        let source =
            FxiaokeObject::new(mock.unlimited_client().unwrap(), object).with_page_size(10);
        let summary = store.sync(&source, &SyncOptions::default()).await.unwrap();
        assert_eq!((summary.counts.fetched, summary.counts.inserted), (45, 45));
        let calls = mock.control().calls("/cgi/crm/custom/v2/data/query");
        assert!(
            calls >= 5,
            "custom objects are read on the custom path ({calls} calls)"
        );
        let stored = store.records(Vendor::Fxiaoke, object).await.unwrap();
        assert_eq!(stored.len(), 45);
        assert_eq!(stored[3].modified_at, Some(T0 + 3));
        assert_eq!(stored[3].value().unwrap()["field_score__c"], "9");
        store.close().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// useasy

fn customer(name: &str) -> openapi_crm::Customer {
    let mut c = openapi_crm::Customer::named(name);
    c.extra
        .set("remark", json!(format!("{name} 的备注")))
        .unwrap();
    c
}

/// The ids of the mock's customers.
fn customer_ids(mock: &openapi_crm_mock::MockUseasy) -> Vec<String> {
    mock.records()
        .iter()
        .map(|r| r["_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Renames customer `id` through the API.
async fn rename(client: &openapi_crm::Client, id: &str, name: String) {
    let change = openapi_crm::Customer {
        id: Some(id.to_owned()),
        customer_name: Some(name),
        ..Default::default()
    };
    client.update(&change).await.expect("update");
}

/// Row by row against the mock's customers: JSON by value, `updateTime` as epoch ms.
fn assert_useasy_mirrors(
    stored: &[Row],
    mock: &openapi_crm_mock::MockUseasy,
    unsettled: &BTreeSet<String>,
) {
    let tenant = mock
        .records()
        .into_iter()
        .map(|r| {
            let id = r["_id"].as_str().unwrap().to_owned();
            let typed: openapi_crm::Customer =
                serde_json::from_value(Value::Object(r.clone())).unwrap();
            let modified_at = typed
                .update_time
                .and_then(|t| t.to_utc())
                .map(|t| t.timestamp_millis());
            (id, (Value::Object(r), modified_at))
        })
        .collect();
    assert_rows_mirror(stored, &tenant, Gone::Marked, unsettled);
}

async fn useasy_full_passes_mirror_the_customers_and_mark_deletions(db: Db, _reference: Db) {
    use openapi_crm_mock::MockUseasy;
    let mock = MockUseasy::start_live(openapi_crm_mock::LiveTenant::default())
        .await
        .unwrap();
    mock.insert_many((0..300).map(|i| customer(&format!("客户{i:03}"))));
    let mut odd = customer("时间不明");
    odd.extra.set("updateTime", json!("n/a")).unwrap();
    let odd_id = mock.insert(odd);
    let client = mock.unlimited_client().unwrap();
    let source = UseasyCustomers::new(client).with_page_size(40);
    let store = db.open().await;

    // 1. A first pass while other users write: every customer that existed throughout and
    // was not touched is stored exactly; none of them is marked deleted.
    let before: HashSet<String> = customer_ids(&mock).into_iter().collect();
    let churn = |on: bool| mock.set_churn(on.then_some(USEASY_CHURN));
    let options = SyncOptions::default();
    let first = sync_while_writing(churn, &store, &source, &options, "first pass").await;
    assert_eq!(first.mode, crm_sync::SyncMode::Full);
    assert!(first.counts.fetched >= 290, "{first}");
    let unsettled = mock.churned_ids();
    assert!(!unsettled.is_empty());
    let stored = rows(&store, Vendor::Useasy, "customers").await;
    for id in before.iter().filter(|id| !unsettled.contains(*id)) {
        let row = stored
            .iter()
            .find(|r| &r.id == id)
            .unwrap_or_else(|| panic!("{id} missing"));
        assert!(!row.deleted);
    }
    assert_useasy_mirrors(&stored, &mock, &unsettled);
    assert_eq!(
        stored.iter().find(|r| r.id == odd_id).unwrap().modified_at,
        None,
        "an updateTime that does not parse is no modification time"
    );

    // 2. A quiet pass: the exact mirror, deletions of the first pass included.
    let quiet = sync_default(&store, &source, "quiet pass").await;
    assert_useasy_mirrors(
        &rows(&store, Vendor::Useasy, "customers").await,
        &mock,
        &BTreeSet::new(),
    );
    assert_eq!(
        quiet.counts.fetched as usize,
        mock.records().len(),
        "{quiet}"
    );

    // 3. Deletes, edits, creations.
    let ids = customer_ids(&mock);
    let removed: Vec<openapi_crm::Customer> = ids
        .iter()
        .step_by(50)
        .take(5)
        .map(|id| mock.remove(id).unwrap())
        .collect();
    let client = mock.unlimited_client().unwrap();
    for id in ids.iter().skip(3).step_by(41).take(7) {
        rename(&client, id, format!("改名 {id}")).await;
    }
    mock.insert_many((0..4).map(|i| customer(&format!("新客户{i}"))));
    let third = sync_default(&store, &source, "pass after changes").await;
    assert_changes(&third, (4, 7, 5));
    let stored = rows(&store, Vendor::Useasy, "customers").await;
    assert_useasy_mirrors(&stored, &mock, &BTreeSet::new());

    // 4. A customer that comes back clears its flag.
    let back = removed[0].clone();
    let back_id = back.id.clone().unwrap();
    mock.insert(back);
    let stored = sync_after_return(&store, &source, Vendor::Useasy, "customers", &back_id).await;
    assert_useasy_mirrors(&stored, &mock, &BTreeSet::new());
    store.close().await;
}

/// useasy writes `updateTime` in whole seconds (`yyyy-MM-dd HH:mm:ss`), so an edit in the same
/// second as the previous one, or as the pass that read it, leaves `updateTime` as it was. A
/// full pass must still see the edit: a record is unchanged only when its JSON is too.
async fn useasy_edits_within_one_second_are_updates(db: Db, _reference: Db) {
    use openapi_crm_mock::MockUseasy;
    let mock = MockUseasy::start().await.unwrap();
    let stamp = "2025-03-01 10:00:00";
    let at = |name: &str| -> openapi_crm::Customer {
        serde_json::from_value(json!({
            "_id": "685770000643772416", "customerName": name,
            "createTime": stamp, "updateTime": stamp,
        }))
        .unwrap()
    };
    let id = mock.insert(at("同一秒"));
    let client = mock.unlimited_client().unwrap();
    let source = UseasyCustomers::new(client.clone());
    let store = db.open().await;
    let first = sync_default(&store, &source, "first pass").await;
    assert_eq!(
        (first.counts.inserted, first.counts.updated),
        (1, 0),
        "{first}"
    );
    let modified = rows(&store, Vendor::Useasy, "customers").await[0].modified_at;
    assert_eq!(
        modified,
        Some(1_740_794_400_000),
        "10:00:00 China time is 02:00:00 UTC"
    );

    // Another edit in the same second: the same updateTime, another name.
    mock.insert(at("同一秒 改名"));
    let second = sync_default(&store, &source, "pass after a same-second edit").await;
    assert_eq!(
        (second.counts.updated, second.counts.unchanged),
        (1, 0),
        "{second}"
    );
    let stored = rows(&store, Vendor::Useasy, "customers").await;
    assert_eq!(stored[0].value["customerName"], "同一秒 改名");
    assert_eq!(stored[0].modified_at, modified, "the time did not move");
    let third = sync_default(&store, &source, "quiet pass").await;
    assert_eq!(
        (third.counts.updated, third.counts.unchanged),
        (0, 1),
        "{third}"
    );

    // Through the API, back to back (most often within one second): both edits are seen.
    for name in ["甲", "乙"] {
        rename(&client, &id, name.into()).await;
        let pass = sync_default(&store, &source, "pass after an API edit").await;
        assert_eq!(pass.counts.updated, 1, "{name}: {pass}");
        let stored = rows(&store, Vendor::Useasy, "customers").await;
        assert_eq!(stored[0].value["customerName"], name);
        assert_eq!(Value::Object(mock.records()[0].clone()), stored[0].value);
    }
    store.close().await;
}

// ---------------------------------------------------------------------------------------
// U8

fn assert_u8_mirrors(
    stored: &[Row],
    mock: &u8_contacts_mock::MockU8,
    unsettled: &BTreeSet<String>,
) {
    // U8 has no modification time.
    let tenant = mock
        .contacts()
        .into_iter()
        .map(|c| {
            let code = c.code.as_deref().unwrap().to_owned();
            (code, (serde_json::to_value(&c).unwrap(), None))
        })
        .collect();
    assert_rows_mirror(stored, &tenant, Gone::Marked, unsettled);
}

async fn u8_full_passes_mirror_the_contacts_and_mark_deletions(db: Db, _reference: Db) {
    use u8_contacts_mock::MockU8;
    let mock = MockU8::start_live(u8_contacts_mock::LiveTenant::default())
        .await
        .unwrap();
    mock.insert_many(u8_contacts_mock::sample_contacts(250));
    let source = U8Contacts::new(mock.client().unwrap()).with_page_size(30);
    let store = db.open().await;

    let churn = |on: bool| mock.set_churn(on.then_some(U8_CHURN));
    let options = SyncOptions::default();
    let first = sync_while_writing(churn, &store, &source, &options, "first pass").await;
    assert_eq!(
        (
            first.counts.fetched,
            first.counts.inserted,
            first.counts.marked_deleted
        ),
        (250, 250, 0),
        "{first}"
    );
    assert!(first.counts.vendor_calls >= 250 / 30, "{first}");
    let unsettled = mock.churned_codes();
    assert!(!unsettled.is_empty());
    assert_u8_mirrors(
        &rows(&store, Vendor::U8, "contacts").await,
        &mock,
        &unsettled,
    );
    let quiet = sync_default(&store, &source, "quiet pass").await;
    assert_eq!(
        (quiet.counts.inserted, quiet.counts.marked_deleted),
        (0, 0),
        "{quiet}"
    );
    assert!(quiet.counts.updated as usize <= unsettled.len(), "{quiet}");
    assert_u8_mirrors(
        &rows(&store, Vendor::U8, "contacts").await,
        &mock,
        &BTreeSet::new(),
    );

    let codes: Vec<String> = mock
        .contacts()
        .iter()
        .map(|c| c.code.as_deref().unwrap().to_owned())
        .collect();
    let removed: Vec<u8_contacts::Contact> = codes
        .iter()
        .step_by(40)
        .take(5)
        .map(|c| mock.remove(c).unwrap())
        .collect();
    for code in codes.iter().skip(1).step_by(45).take(6) {
        let mut c = mock.contact(code).unwrap();
        c.email = Some(format!("{code}@changed.example").into());
        mock.insert(c);
    }
    let mut new = u8_contacts_mock::sample_contacts(1).remove(0);
    new.code = Some("90000001".to_owned().into());
    mock.insert(new);
    let third = sync_default(&store, &source, "pass after changes").await;
    assert_changes(&third, (1, 6, 5));
    assert_u8_mirrors(
        &rows(&store, Vendor::U8, "contacts").await,
        &mock,
        &BTreeSet::new(),
    );

    let back = removed[2].clone();
    let back_code = back.code.as_deref().unwrap().to_owned();
    mock.insert(back);
    let stored = sync_after_return(&store, &source, Vendor::U8, "contacts", &back_code).await;
    assert_u8_mirrors(&stored, &mock, &BTreeSet::new());
    store.close().await;
}
