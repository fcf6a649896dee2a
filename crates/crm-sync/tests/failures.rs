//! Runs that fail part-way: a vendor error (or exhausted quota) and a record without an id.
//! Each is never marked complete, never moves the cursor past a record not stored, keeps
//! what it stored, and a rerun ends in the table of an uninterrupted run.
// Scenario bodies are plain async fns run by the tests: a panic is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::{Db, Gone, T0, assert_mirrors, cursor_of, rows, sync_default};
use crm_sync::fake::{Change, FakeSource, Fault};
use crm_sync::{Cursor, Error, RunStatus, SourceKind, SyncOptions, Vendor};

on_both_stores!(
    a_source_error_mid_run_keeps_whole_pages_and_a_rerun_completes,
    a_full_pass_that_fails_part_way_marks_nothing_deleted,
    a_record_without_an_id_fails_the_run_before_its_page_is_stored,
    an_edit_during_a_run_is_read_once_the_keyset_reaches_it,
);

const OBJECT: &str = "AccountObj";

fn source() -> FakeSource {
    let source =
        FakeSource::new(Vendor::Fxiaoke, OBJECT, SourceKind::Incremental).with_page_size(50);
    source.seed(11, 600, T0);
    source
}

/// The keys of the first `n` records in `(modified_at, id)` order.
fn first_keys(source: &FakeSource, n: usize) -> Vec<Cursor> {
    let mut keys: Vec<Cursor> = source
        .records()
        .into_iter()
        .map(|(id, r)| Cursor::new(r.modified_at, id))
        .collect();
    keys.sort();
    keys.truncate(n);
    keys
}

async fn a_source_error_mid_run_keeps_whole_pages_and_a_rerun_completes(db: Db, reference: Db) {
    let store = db.open().await;
    let source = source();
    source.fail_next_read(Fault::ErrorAfter { pages: 4 });
    let err = store
        .sync(&source, &SyncOptions::default())
        .await
        .expect_err("the source fails");
    assert!(matches!(err, Error::Source { .. }), "{err}");
    let summary = err.summary().expect("partial counts");
    // Pages end early where a tie group ends (the keyset switches filters there).
    let fetched = summary.counts.fetched;
    assert_eq!(summary.counts.pages, 4);
    assert!((150..=200).contains(&fetched), "{fetched}");
    assert_eq!(summary.counts.inserted, fetched);
    assert!(err.to_string().contains("quota exhausted"), "{err}");

    // Exactly the first records in key order are stored, and the cursor is the last of
    // them: not one record past what was stored.
    let stored = rows(&store, Vendor::Fxiaoke, OBJECT).await;
    let first = first_keys(&source, fetched as usize);
    assert_eq!(stored.len() as u64, fetched);
    let mut stored_ids: Vec<&str> = stored.iter().map(|r| r.id.as_str()).collect();
    let mut first_ids: Vec<&str> = first.iter().map(|k| k.id.as_str()).collect();
    stored_ids.sort_unstable();
    first_ids.sort_unstable();
    assert_eq!(stored_ids, first_ids);
    let cursor = cursor_of(&store, Vendor::Fxiaoke, OBJECT).await;
    assert_eq!(cursor.as_ref(), first.last());
    assert_eq!(summary.cursor, cursor);

    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Failed);
    assert_eq!((runs[0].counts.pages, runs[0].counts.fetched), (4, fetched));
    assert!(
        runs[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("quota exhausted")),
        "{:?}",
        runs[0].error
    );

    let rerun = sync_default(&store, &source, "rerun").await;
    assert_eq!(rerun.counts.inserted, 600 - fetched, "the rest, once");
    assert_eq!(rerun.abandoned_runs, 0, "a failed run is not abandoned");
    assert_mirrors(&store, &source, Gone::Kept).await;

    // The same as a run that never failed.
    let uninterrupted = reference.open().await;
    sync_default(&uninterrupted, &source, "reference run").await;
    assert_eq!(
        rows(&store, Vendor::Fxiaoke, OBJECT).await,
        rows(&uninterrupted, Vendor::Fxiaoke, OBJECT).await
    );
    assert_eq!(
        cursor_of(&store, Vendor::Fxiaoke, OBJECT).await,
        cursor_of(&uninterrupted, Vendor::Fxiaoke, OBJECT).await
    );
    store.close().await;
    uninterrupted.close().await;
}

async fn a_full_pass_that_fails_part_way_marks_nothing_deleted(db: Db, _reference: Db) {
    let store = db.open().await;
    let source = FakeSource::new(Vendor::U8, "contacts", SourceKind::FullPass).with_page_size(40);
    source.seed(12, 300, T0);
    sync_default(&store, &source, "first pass").await;
    let ids: Vec<String> = source.records().into_keys().collect();
    for id in ids.iter().step_by(10) {
        source.remove(id);
    }
    // Fails before reading the last pages: the records there were not seen, but must not
    // be marked deleted.
    source.fail_next_read(Fault::ErrorAfter { pages: 3 });
    let err = store
        .sync(&source, &SyncOptions::default())
        .await
        .expect_err("fails");
    assert_eq!(err.summary().map(|s| s.counts.marked_deleted), Some(0));
    assert!(
        rows(&store, Vendor::U8, "contacts")
            .await
            .iter()
            .all(|r| !r.deleted),
        "nothing marked by a failed pass"
    );
    let runs = store.runs(Vendor::U8, "contacts").await.expect("runs");
    assert_eq!(runs.last().map(|r| &r.status), Some(&RunStatus::Failed));

    let pass = sync_default(&store, &source, "rerun").await;
    assert_eq!(pass.counts.marked_deleted, 30);
    assert_mirrors(&store, &source, Gone::Marked).await;
    store.close().await;
}

async fn a_record_without_an_id_fails_the_run_before_its_page_is_stored(db: Db, reference: Db) {
    let store = db.open().await;
    let source = source();
    source.fail_next_read(Fault::RecordWithoutIdAfter { pages: 2 });
    let err = store
        .sync(&source, &SyncOptions::default())
        .await
        .expect_err("a record without an id");
    assert!(matches!(err, Error::InvalidRecord { .. }), "{err}");
    assert!(err.to_string().contains("has no id"), "{err}");
    let fetched = err
        .summary()
        .map(|s| s.counts.fetched)
        .expect("partial counts");
    assert!((50..=100).contains(&fetched), "two pages: {fetched}");
    assert_eq!(
        rows(&store, Vendor::Fxiaoke, OBJECT).await.len() as u64,
        fetched
    );
    assert_eq!(
        cursor_of(&store, Vendor::Fxiaoke, OBJECT).await.as_ref(),
        first_keys(&source, fetched as usize).last()
    );
    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.expect("runs");
    assert_eq!(runs[0].status, RunStatus::Failed);

    sync_default(&store, &source, "rerun").await;
    let uninterrupted = reference.open().await;
    sync_default(&uninterrupted, &source, "reference").await;
    assert_eq!(
        rows(&store, Vendor::Fxiaoke, OBJECT).await,
        rows(&uninterrupted, Vendor::Fxiaoke, OBJECT).await
    );
    store.close().await;
    uninterrupted.close().await;
}

async fn an_edit_during_a_run_is_read_once_the_keyset_reaches_it(db: Db, _reference: Db) {
    let store = db.open().await;
    let source = source();
    let first_id = first_keys(&source, 1)[0].id.clone();
    // After two pages, a user edits a record already read (it moves to the end of the key
    // order) and creates one: the same run reads both.
    source.during_next_read(
        2,
        Change::Put {
            id: first_id.clone(),
            modified_at: T0 + 60_000,
            json: r#"{"edited":"during the run"}"#.into(),
        },
    );
    source.during_next_read(
        2,
        Change::Put {
            id: "new-during-run".into(),
            modified_at: T0 + 60_000,
            json: r#"{"created":"during the run"}"#.into(),
        },
    );
    let run = sync_default(&store, &source, "sync").await;
    assert_eq!(run.counts.fetched, 602, "the edited record is read twice");
    assert_eq!((run.counts.inserted, run.counts.updated), (601, 1));
    assert_mirrors(&store, &source, Gone::Kept).await;
    assert_eq!(
        cursor_of(&store, Vendor::Fxiaoke, OBJECT).await,
        Some(Cursor::new(T0 + 60_000, "new-during-run"))
    );
    store.close().await;
}

#[tokio::test]
async fn an_incremental_source_out_of_order_fails_the_run() {
    use crm_sync::{Page, PageStream, Read, Record, Source};

    /// Returns its records in the order given, however wrong.
    struct Unordered(Vec<(&'static str, i64)>);
    impl Source for Unordered {
        fn vendor(&self) -> Vendor {
            Vendor::Fxiaoke
        }
        fn object(&self) -> &str {
            "AccountObj"
        }
        fn kind(&self) -> SourceKind {
            SourceKind::Incremental
        }
        fn pages(&self, _read: Read) -> PageStream<'_> {
            let pages: Vec<_> = self
                .0
                .iter()
                .map(|(id, m)| {
                    Ok(Page::new(vec![
                        Record::from_json(*id, "{}", Some(*m)).expect("json"),
                    ]))
                })
                .collect();
            Box::pin(futures::stream::iter(pages))
        }
        fn vendor_calls(&self) -> u64 {
            self.0.len() as u64
        }
    }

    common::bounded(async {
        let db = common::sqlite_db();
        let store = db.open().await;
        let err = store
            .sync(
                &Unordered(vec![("a", 1), ("c", 2), ("b", 2), ("d", 3)]),
                &SyncOptions::default(),
            )
            .await
            .expect_err("out of order");
        assert!(matches!(err, Error::InvalidRecord { .. }), "{err}");
        assert_eq!(
            cursor_of(&store, Vendor::Fxiaoke, "AccountObj").await,
            Some(Cursor::new(2, "c")),
            "the pages before the bad one stay stored"
        );
        assert_eq!(rows(&store, Vendor::Fxiaoke, "AccountObj").await.len(), 2);
        store.close().await;
    })
    .await;
}
