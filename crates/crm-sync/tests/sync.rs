//! Sync scenarios, each run against SQLite and against PostgreSQL and checked row by row
//! against the fake source's own data.
// Scenario bodies are plain async fns run by the tests: a panic is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::time::Duration;

use common::{
    Db, Gone, T0, assert_mirrors, cursor_of, expected_counts, incremental_window, max_key, rows,
    sync_default,
};
use crm_sync::fake::FakeSource;
use crm_sync::{RunStatus, SourceKind, StoreKind, SyncMode, SyncOptions, Vendor};

on_both_stores!(
    a_first_sync_stores_every_record_once_even_with_ties_larger_than_a_page,
    an_incremental_sync_reads_only_changes_and_the_lookback,
    a_late_committed_change_is_caught_within_the_lookback_and_by_a_full_pass,
    a_full_pass_marks_physical_deletes_and_a_record_that_comes_back_clears_the_flag,
    a_full_pass_source_compares_json_by_value_not_by_text,
    a_dry_run_counts_what_a_real_run_does_and_writes_nothing,
    reopening_a_store_migrates_nothing_again,
    first_synced_at_stays_and_last_synced_at_moves_when_a_run_sees_a_record,
    a_database_of_a_newer_schema_is_refused_and_left_as_it_is,
    the_queries_the_readmes_show_run_and_find_the_synced_records,
);

fn fxiaoke(page_size: usize) -> FakeSource {
    FakeSource::new(Vendor::Fxiaoke, "AccountObj", SourceKind::Incremental)
        .with_page_size(page_size)
}

async fn a_first_sync_stores_every_record_once_even_with_ties_larger_than_a_page(
    db: Db,
    _reference: Db,
) {
    let store = db.open().await;
    let source = fxiaoke(50);
    source.seed(1, 900, T0);
    // 130 records in one millisecond: more than two pages of them.
    for i in 0..130 {
        source.put(format!("tie{i:03}"), T0 + 2_000, format!(r#"{{"n":{i}}}"#));
    }
    let mut reports = Vec::new();
    let summary = store
        .sync_with_progress(&source, &SyncOptions::default(), |p| reports.push(p.counts))
        .await
        .expect("sync");

    assert_eq!(summary.mode, SyncMode::Incremental);
    assert_eq!(
        summary.counts.fetched, 1_030,
        "every record read exactly once"
    );
    assert_eq!(
        (
            summary.counts.inserted,
            summary.counts.updated,
            summary.counts.unchanged
        ),
        (1_030, 0, 0)
    );
    assert_eq!(summary.counts.marked_deleted, 0);
    assert_eq!(
        summary.counts.vendor_calls,
        crm_sync::Source::vendor_calls(&source)
    );
    assert_eq!(
        summary.cursor,
        max_key(&source),
        "cursor at the last record"
    );
    assert_eq!(
        cursor_of(&store, Vendor::Fxiaoke, "AccountObj").await,
        max_key(&source)
    );
    assert_eq!(
        reports.len() as u64,
        summary.counts.pages,
        "one progress report per page"
    );
    // The last report comes after the last page; the call that finds the end comes after it.
    let mut last = *reports.last().expect("progress reports");
    assert!(last.vendor_calls > 0 && last.vendor_calls <= summary.counts.vendor_calls);
    last.vendor_calls = summary.counts.vendor_calls;
    assert_eq!(last, summary.counts, "the last report has the run's counts");
    assert_mirrors(&store, &source, Gone::Kept).await;

    let runs = store
        .runs(Vendor::Fxiaoke, "AccountObj")
        .await
        .expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(Some(run.id), summary.run_id);
    assert_eq!(run.mode, "incremental");
    assert_eq!(
        (
            run.counts.fetched,
            run.counts.inserted,
            run.counts.updated,
            run.counts.unchanged,
            run.counts.vendor_calls
        ),
        (1_030, 1_030, 0, 0, summary.counts.vendor_calls)
    );
    assert_eq!(
        run.counts, summary.counts,
        "the run's row stores the counts the summary reports"
    );
    assert!(run.ended_at.is_some_and(|end| end >= run.started_at));
    assert!(summary.to_string().starts_with(
        "fxiaoke AccountObj: fetched 1030, inserted 1030, updated 0, unchanged 0, marked deleted 0, vendor calls "
    ));
    store.close().await;
}

async fn an_incremental_sync_reads_only_changes_and_the_lookback(db: Db, _reference: Db) {
    let store = db.open().await;
    let source = fxiaoke(40);
    source.seed(2, 700, T0);
    // A short lookback, so that the re-read window is a part of the data, not all of it.
    let options = SyncOptions::default().with_lookback(Duration::from_millis(1_500));
    store.sync(&source, &options).await.expect("first sync");

    // Nothing changed: only the lookback window is read again, all unchanged.
    let cursor = cursor_of(&store, Vendor::Fxiaoke, "AccountObj").await;
    let window = incremental_window(&source, cursor.as_ref(), options.lookback);
    assert!(
        window.len() < source.len(),
        "the window is part of the data"
    );
    let again = store.sync(&source, &options).await.expect("second sync");
    assert_eq!(again.counts.fetched, window.len() as u64);
    assert_eq!(
        (
            again.counts.inserted,
            again.counts.updated,
            again.counts.unchanged
        ),
        (0, 0, window.len() as u64)
    );
    assert_eq!(
        again.cursor, cursor,
        "an unchanged re-read leaves the cursor"
    );

    // Edits, creations and physical deletes an hour later, many in one millisecond.
    let before = rows(&store, Vendor::Fxiaoke, "AccountObj").await;
    source.seeded_changes(3, 80, 50, 20, T0 + 3_600_000);
    let cursor = cursor_of(&store, Vendor::Fxiaoke, "AccountObj").await;
    let window = incremental_window(&source, cursor.as_ref(), options.lookback);
    let expected = expected_counts(&before, &window);
    let third = store.sync(&source, &options).await.expect("third sync");
    assert_eq!(third.counts.fetched, window.len() as u64);
    assert_eq!(
        (
            third.counts.inserted,
            third.counts.updated,
            third.counts.unchanged
        ),
        expected
    );
    assert!(expected.0 > 0 && expected.1 > 0, "{expected:?}");
    assert_eq!(
        third.counts.marked_deleted, 0,
        "incremental runs never mark deletions"
    );
    assert_eq!(third.cursor, max_key(&source));
    assert_mirrors(&store, &source, Gone::Kept).await;
    store.close().await;
}

async fn a_late_committed_change_is_caught_within_the_lookback_and_by_a_full_pass(
    db: Db,
    _reference: Db,
) {
    let store = db.open().await;
    let source = fxiaoke(25);
    source.seed(4, 300, T0);
    sync_default(&store, &source, "first sync").await;
    let cursor = cursor_of(&store, Vendor::Fxiaoke, "AccountObj")
        .await
        .expect("a cursor after the first sync");
    let ids: Vec<String> = source.records().into_keys().collect();

    // Committed late: stamped below the cursor. One 5 s below (inside the default 10 min
    // lookback), one 20 min below (outside).
    source.put(&ids[0], cursor.modified_at - 5_000, r#"{"late":"inside"}"#);
    source.put(
        &ids[1],
        cursor.modified_at - 1_200_000,
        r#"{"late":"outside"}"#,
    );
    let run = sync_default(&store, &source, "sync").await;
    assert_eq!(
        run.counts.updated, 1,
        "the change inside the lookback is read"
    );
    assert_eq!(
        run.cursor,
        Some(cursor.clone()),
        "the cursor never moves back"
    );
    let stored = rows(&store, Vendor::Fxiaoke, "AccountObj").await;
    let by_id = |id: &str| stored.iter().find(|r| r.id == id).cloned().expect("stored");
    assert_eq!(by_id(&ids[0]).value, serde_json::json!({"late": "inside"}));
    assert_ne!(by_id(&ids[1]).value, serde_json::json!({"late": "outside"}));

    let full = store
        .sync(&source, &SyncOptions::default().with_full(true))
        .await
        .expect("full pass");
    assert_eq!(full.mode, SyncMode::Full);
    assert_eq!((full.counts.updated, full.counts.marked_deleted), (1, 0));
    assert_eq!(
        cursor_of(&store, Vendor::Fxiaoke, "AccountObj").await,
        Some(cursor),
        "a full pass leaves the cursor"
    );
    assert_mirrors(&store, &source, Gone::Marked).await;
    store.close().await;
}

async fn a_full_pass_marks_physical_deletes_and_a_record_that_comes_back_clears_the_flag(
    db: Db,
    _reference: Db,
) {
    let store = db.open().await;
    let source = fxiaoke(30);
    source.seed(5, 400, T0);
    sync_default(&store, &source, "first sync").await;

    let ids: Vec<String> = source.records().into_keys().collect();
    let removed: Vec<(String, crm_sync::fake::FakeRecord)> = ids
        .iter()
        .step_by(27)
        .map(|id| (id.clone(), source.records()[id].clone()))
        .collect();
    for (id, _) in &removed {
        assert!(source.remove(id));
    }
    let incremental = sync_default(&store, &source, "sync").await;
    assert_eq!(incremental.counts.marked_deleted, 0);
    assert_mirrors(&store, &source, Gone::Kept).await;

    let full = SyncOptions::default().with_full(true);
    let pass = store.sync(&source, &full).await.expect("full pass");
    assert_eq!(pass.counts.marked_deleted, removed.len() as u64);
    assert_eq!(pass.counts.fetched, source.len() as u64);
    assert_eq!(pass.counts.unchanged, source.len() as u64);
    assert_mirrors(&store, &source, Gone::Marked).await;
    let runs = store
        .runs(Vendor::Fxiaoke, "AccountObj")
        .await
        .expect("runs");
    assert_eq!(
        runs.last().map(|r| r.counts.marked_deleted),
        Some(removed.len() as u64)
    );
    assert_eq!(runs.last().map(|r| r.mode.as_str()), Some("full"));

    // A second pass marks nothing more.
    let again = store.sync(&source, &full).await.expect("full pass again");
    assert_eq!(again.counts.marked_deleted, 0);

    // One record comes back exactly as it was (seen by a full pass), another comes back
    // edited (seen by an incremental run): both flags clear.
    let (back_same, record) = &removed[0];
    source.put(back_same, record.modified_at, record.json.clone());
    let pass = store.sync(&source, &full).await.expect("full pass");
    assert_eq!((pass.counts.updated, pass.counts.marked_deleted), (1, 0));
    let (back_edited, _) = &removed[1];
    source.put(back_edited, T0 + 86_400_000, r#"{"restored":true}"#);
    let run = sync_default(&store, &source, "sync").await;
    assert_eq!((run.counts.inserted, run.counts.updated), (0, 1));
    assert_mirrors(&store, &source, Gone::Marked).await;
    let stored = rows(&store, Vendor::Fxiaoke, "AccountObj").await;
    assert_eq!(
        stored.iter().filter(|r| r.deleted).count(),
        removed.len() - 2
    );
    store.close().await;
}

async fn a_full_pass_source_compares_json_by_value_not_by_text(db: Db, _reference: Db) {
    let store = db.open().await;
    let source =
        FakeSource::new(Vendor::Useasy, "customers", SourceKind::FullPass).with_page_size(7);
    for i in 0..40 {
        source.put(
            format!("c{i:02}"),
            T0,
            format!(r#"{{"id":"c{i:02}","amount":{i}.50,"tags":["a","b"],"owner":{{"id":1,"name":"王"}}}}"#),
        );
    }
    let first = sync_default(&store, &source, "first").await;
    assert_eq!((first.mode, first.counts.inserted), (SyncMode::Full, 40));
    assert_eq!(
        cursor_of(&store, Vendor::Useasy, "customers").await,
        None,
        "full-pass sources have no cursor"
    );

    // c00..c09: same value, other key order, spacing and escapes. c10..c14: changed values.
    for i in 0..10 {
        source.put(
            format!("c{i:02}"),
            T0,
            format!(r#"{{ "owner": {{"name":"\u738b", "id":1}}, "tags": ["a","b"], "amount": {i}.5, "id": "c{i:02}" }}"#),
        );
    }
    for i in 10..15 {
        source.put(
            format!("c{i:02}"),
            T0,
            format!(r#"{{"id":"c{i:02}","tags":["b","a"]}}"#),
        );
    }
    let second = sync_default(&store, &source, "second").await;
    assert_eq!(
        (
            second.counts.inserted,
            second.counts.updated,
            second.counts.unchanged,
            second.counts.marked_deleted
        ),
        (0, 5, 35, 0)
    );
    assert_mirrors(&store, &source, Gone::Marked).await;
    if store.kind() == StoreKind::Sqlite {
        // SQLite keeps the vendor's text byte for byte: the first text of an unchanged
        // record, the new text of a changed one.
        let stored = store
            .records(Vendor::Useasy, "customers")
            .await
            .expect("records");
        let source_records = source.records();
        assert!(stored[0].record.starts_with(r#"{"id":"c00","amount":0.50"#));
        assert_eq!(stored[10].record, source_records["c10"].json);
    }
    store.close().await;
}

async fn a_dry_run_counts_what_a_real_run_does_and_writes_nothing(db: Db, _reference: Db) {
    let store = db.open().await;
    let source = fxiaoke(45);
    source.seed(6, 500, T0);
    let dry = SyncOptions::default().with_dry_run(true);

    let counted = store.sync(&source, &dry).await.expect("dry run");
    assert!(counted.dry_run && counted.run_id.is_none());
    assert_eq!(
        (counted.counts.fetched, counted.counts.inserted),
        (500, 500)
    );
    assert!(rows(&store, Vendor::Fxiaoke, "AccountObj").await.is_empty());
    assert_eq!(cursor_of(&store, Vendor::Fxiaoke, "AccountObj").await, None);
    assert!(
        store
            .runs(Vendor::Fxiaoke, "AccountObj")
            .await
            .expect("runs")
            .is_empty()
    );

    let real = sync_default(&store, &source, "sync").await;
    let same = |a: &crm_sync::SyncSummary, b: &crm_sync::SyncSummary| {
        assert_eq!(
            (
                a.counts.fetched,
                a.counts.inserted,
                a.counts.updated,
                a.counts.unchanged,
                a.counts.marked_deleted
            ),
            (
                b.counts.fetched,
                b.counts.inserted,
                b.counts.updated,
                b.counts.unchanged,
                b.counts.marked_deleted
            ),
            "dry run {a}\nreal run {b}"
        );
    };
    same(&counted, &real);

    // Changes, then a full dry run and a full real run: same counts, deletions included.
    source.seeded_changes(7, 30, 20, 15, T0 + 7_200_000);
    let before = rows(&store, Vendor::Fxiaoke, "AccountObj").await;
    let cursor_before = cursor_of(&store, Vendor::Fxiaoke, "AccountObj").await;
    let full_dry = store
        .sync(&source, &dry.clone().with_full(true))
        .await
        .expect("dry");
    assert_eq!(
        rows(&store, Vendor::Fxiaoke, "AccountObj").await,
        before,
        "nothing written"
    );
    assert_eq!(
        cursor_of(&store, Vendor::Fxiaoke, "AccountObj").await,
        cursor_before
    );
    assert!(full_dry.counts.marked_deleted > 0);
    let full = store
        .sync(&source, &SyncOptions::default().with_full(true))
        .await
        .expect("full");
    same(&full_dry, &full);
    assert_eq!(
        store
            .runs(Vendor::Fxiaoke, "AccountObj")
            .await
            .expect("runs")
            .len(),
        2
    );
    store.close().await;
}

async fn reopening_a_store_migrates_nothing_again(db: Db, _reference: Db) {
    let store = db.open().await;
    assert_eq!(
        store.schema_version().await.expect("version"),
        crm_sync::SCHEMA_VERSION
    );
    let source = fxiaoke(10);
    source.seed(8, 30, T0);
    sync_default(&store, &source, "sync").await;
    store.close().await;

    let again = db.open().await;
    assert_eq!(
        again.schema_version().await.expect("version"),
        crm_sync::SCHEMA_VERSION
    );
    assert_mirrors(&again, &source, Gone::Kept).await;
    again.close().await;

    // The migration table holds one row per version, applied once.
    let url = db.url();
    let versions: Vec<i64> = if db.is_sqlite() {
        use sqlx::Connection as _;
        let path = url.trim_start_matches("sqlite://");
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .expect("connect");
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut conn)
            .await
            .expect("journal mode");
        assert_eq!(mode, "wal");
        sqlx::query_scalar("SELECT version FROM crm_sync_schema")
            .fetch_all(&mut conn)
            .await
            .expect("versions")
    } else {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
        sqlx::query_scalar("SELECT version FROM crm_sync_schema")
            .fetch_all(&mut conn)
            .await
            .expect("versions")
    };
    assert_eq!(versions, vec![crm_sync::SCHEMA_VERSION]);
}

#[tokio::test]
async fn a_sqlite_path_without_scheme_is_created_with_its_lock_files_beside_it() {
    common::bounded(async {
        let dir = common::TempDir::new("sync");
        let path = dir.path().join("plain.db");
        let store = crm_sync::Store::open(path.to_str().expect("utf-8 path"))
            .await
            .expect("open");
        assert_eq!(store.kind(), StoreKind::Sqlite);
        assert_eq!(store.sqlite_path(), Some(path.as_path()));
        let source = FakeSource::new(Vendor::U8, "contacts", SourceKind::FullPass);
        source.seed(9, 10, T0);
        sync_default(&store, &source, "sync").await;
        assert!(path.is_file());
        assert!(dir.path().join("plain.db-sync-u8-contacts.lock").is_file());
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn a_missing_directory_is_a_clear_error() {
    common::bounded(async {
        let dir = common::TempDir::new("sync");
        let path = dir.path().join("no/such/dir/crm.db");
        let err = crm_sync::Store::open(path.to_str().expect("utf-8 path"))
            .await
            .expect_err("no directory");
        let message = err.to_string();
        assert!(message.contains("opening SQLite database"), "{message}");
        assert!(message.contains("no/such/dir/crm.db"), "{message}");
    })
    .await;
}

/// Compile-time check: the futures and types users move across tasks are `Send`.
#[allow(dead_code)]
fn sync_futures_and_results_are_send(store: &crm_sync::Store, source: &FakeSource) {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}
    let options = SyncOptions::default();
    send(&store.sync(source, &options));
    send(&store.sync_with_progress(source, &options, |_| {}));
    send(&crm_sync::Store::open("crm.db"));
    send_sync::<crm_sync::Store>();
    send_sync::<crm_sync::Error>();
    send_sync::<crm_sync::SyncSummary>();
}

/// Wall-clock epoch milliseconds, as the store stamps rows.
fn wall_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since_epoch.as_millis()).expect("epoch ms fit i64")
}

async fn first_synced_at_stays_and_last_synced_at_moves_when_a_run_sees_a_record(
    db: Db,
    _reference: Db,
) {
    let store = db.open().await;
    let source = fxiaoke(10);
    let ids = source.seed(8, 30, T0);
    let full = SyncOptions::default().with_full(true);
    let stamps = |records: Vec<crm_sync::StoredRecord>| {
        records
            .into_iter()
            .map(|r| (r.id, (r.first_synced_at, r.last_synced_at, r.deleted)))
            .collect::<std::collections::BTreeMap<_, _>>()
    };

    let before = wall_ms();
    store.sync(&source, &full).await.expect("first sync");
    let after = wall_ms();
    let first = stamps(store.records(Vendor::Fxiaoke, "AccountObj").await.unwrap());
    assert_eq!(first.len(), 30);
    for (id, (first_synced, last_synced, _)) in &first {
        assert_eq!(first_synced, last_synced, "{id}: stored once");
        assert!(
            (before..=after).contains(first_synced),
            "{id}: stamped by the run"
        );
    }

    // Past the first run's millisecond, then: one edited, one gone, the rest unchanged.
    tokio::time::sleep(Duration::from_millis(5)).await;
    source.put(ids[0].clone(), T0 + 3_600_000, r#"{"edited":true}"#);
    assert!(source.remove(&ids[1]));
    let summary = store.sync(&source, &full).await.expect("second sync");
    assert_eq!(
        (
            summary.counts.updated,
            summary.counts.unchanged,
            summary.counts.marked_deleted
        ),
        (1, 28, 1)
    );
    let second = stamps(store.records(Vendor::Fxiaoke, "AccountObj").await.unwrap());
    for (id, (first_synced, last_synced, deleted)) in &second {
        let (was_first, was_last, _) = first[id];
        assert_eq!(
            *first_synced, was_first,
            "{id}: first_synced_at never changes"
        );
        if id == &ids[1] {
            assert!(deleted, "{id}: not seen by a completed full pass");
            assert_eq!(*last_synced, was_last, "{id}: last seen by the first run");
        } else {
            assert!(!deleted);
            assert!(
                *last_synced > was_last,
                "{id}: seen again (edited or unchanged), so last_synced_at moves"
            );
        }
    }
    store.close().await;
}

async fn a_database_of_a_newer_schema_is_refused_and_left_as_it_is(db: Db, _reference: Db) {
    let store = db.open().await;
    let source = fxiaoke(10);
    source.seed(8, 30, T0);
    sync_default(&store, &source, "sync").await;
    store.close().await;
    // What a later crm-sync would have recorded.
    let newer = crm_sync::SCHEMA_VERSION + 1;
    db.sql(&format!(
        "INSERT INTO crm_sync_schema (version, description, applied_at) VALUES ({newer}, 'later', 0)"
    ))
    .await;

    let Err(refused) = crm_sync::Store::open(&db.url()).await else {
        panic!("a database of a newer schema was opened");
    };
    assert!(
        matches!(
            refused,
            crm_sync::Error::SchemaTooNew { found, supported }
                if found == newer && supported == crm_sync::SCHEMA_VERSION
        ),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("upgrade crm-sync"),
        "{refused}"
    );

    // Nothing was migrated or written: with the later version gone again, the data is intact.
    db.sql(&format!(
        "DELETE FROM crm_sync_schema WHERE version = {newer}"
    ))
    .await;
    let again = db.open().await;
    assert_mirrors(&again, &source, Gone::Kept).await;
    again.close().await;
}

/// The SQL blocks of a README, each with the database its label names (`SQLite:` or
/// `PostgreSQL:` on the line before; `None`: either).
fn readme_queries(readme: &str) -> Vec<(Option<StoreKind>, String)> {
    let mut queries = Vec::new();
    let mut label = "";
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "```sql" {
            let sql: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            let kind = match label {
                "SQLite:" => Some(StoreKind::Sqlite),
                "PostgreSQL:" => Some(StoreKind::Postgres),
                _ => None,
            };
            queries.push((kind, sql.join("\n").trim_end_matches(';').to_owned()));
        } else if !line.trim().is_empty() {
            label = line.trim();
        }
    }
    queries
}

async fn the_queries_the_readmes_show_run_and_find_the_synced_records(db: Db, _reference: Db) {
    let store = db.open().await;
    // The objects the READMEs query, with the fields they read.
    for object in ["AccountObj", "PaymentObj"] {
        let source = FakeSource::new(Vendor::Fxiaoke, object, SourceKind::Incremental);
        for i in 0..25 {
            source.put(
                format!("{object}-{i:02}"),
                T0 + i,
                format!(r#"{{"name":"{object} {i}","payment_amount":"{i}.50"}}"#),
            );
        }
        sync_default(&store, &source, "sync").await;
    }
    store.close().await;
    let kind = if db.is_sqlite() {
        StoreKind::Sqlite
    } else {
        StoreKind::Postgres
    };

    let mut ran = 0;
    for readme in [
        include_str!("../README.md"),
        include_str!("../../../README.md"),
    ] {
        for (for_kind, sql) in readme_queries(readme) {
            if for_kind.is_some_and(|k| k != kind) {
                continue;
            }
            let rows = db.sql(&sql).await;
            ran += 1;
            if sql.contains("FROM crm_sync_runs") {
                assert_eq!(rows.len(), 2, "the two runs: {sql}");
                assert!(rows.iter().all(|(vendor, _)| vendor == "fxiaoke"), "{sql}");
            } else {
                // The 20 newest records of the object, with their names.
                assert_eq!(rows.len(), 20, "{sql}");
                let (id, name) = &rows[0];
                assert!(id.ends_with("-24"), "newest first: {sql}");
                let object = id.trim_end_matches("-24");
                assert_eq!(
                    name.as_deref(),
                    Some(format!("{object} 24").as_str()),
                    "{sql}"
                );
            }
        }
    }
    // Per database: crm-sync's record and runs queries, and the workspace README's record query.
    assert_eq!(ran, 3, "the READMEs' queries for this database");
}

/// PostgreSQL compares text by the database's collation unless told otherwise; under
/// `en-US`, `aa` < `B` < `Zz`, while the engine and the vendors order ids by bytes
/// (`B` < `Zz` < `aa`). The store's id columns are `COLLATE "C"` so that a user's database
/// of any collation keeps the cursor moving forward and `records()` in byte order.
#[tokio::test]
async fn postgres_compares_ids_by_bytes_whatever_the_databases_collation() {
    common::bounded(async {
        use sqlx::Connection as _;
        let Some(plain) = common::pg::postgres().await else {
            return;
        };
        let server = common::pg::server().expect("the server that made the first database");
        let name = format!("{}_en_us", plain.rsplit('/').next().expect("a database name"));
        let mut admin = sqlx::PgConnection::connect(&server.url("postgres"))
            .await
            .expect("connect");
        sqlx::raw_sql(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
        ))
        .execute(&mut admin)
        .await
        .expect("a database collating by ICU en-US");
        admin.close().await.expect("close");
        let url = server.url(&name);
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
        let bytewise: bool = sqlx::query_scalar("SELECT 'Zz' < 'aa'")
            .fetch_one(&mut conn)
            .await
            .expect("compare");
        assert!(!bytewise, "the database collates by en-US, not by bytes");
        conn.close().await.expect("close");

        let store = crm_sync::Store::open(&url).await.expect("open");
        // One millisecond, one record a page: the cursor moves through the tie by id.
        let source = fxiaoke(1);
        for id in ["aa", "B", "Zz"] {
            source.put(id, T0, format!(r#"{{"id":"{id}"}}"#));
        }
        let first = sync_default(&store, &source, "sync").await;
        assert_eq!(first.counts.inserted, 3);
        assert_eq!(
            cursor_of(&store, Vendor::Fxiaoke, "AccountObj").await,
            max_key(&source),
            "the cursor reached the last id in byte order"
        );
        let ids: Vec<String> = store
            .records(Vendor::Fxiaoke, "AccountObj")
            .await
            .expect("records")
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["B", "Zz", "aa"], "records in byte order");
        assert_mirrors(&store, &source, Gone::Kept).await;
        store.close().await;
    })
    .await;
}
