//! Two syncs of the same vendor and object at once: the second fails clearly (or waits when
//! asked to), never interleaves; a lock left by a killed process does not block; and a
//! lock is free the moment its sync ends, even while the process spawns child processes; a
//! PostgreSQL run whose lock session dies stops writing and frees the object.
// Scenario bodies are plain async fns run by the tests: a panic is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::child::{self, Spec};
use common::{Db, Gone, OBJECT, T0, assert_mirrors, scenario_source};
use crm_sync::fake::FakeSource;
use crm_sync::{Progress, RunStatus, SourceKind, SyncOptions, Vendor};

on_both_stores!(
    a_second_sync_of_the_same_object_fails_clearly_while_the_first_runs,
    a_second_sync_that_may_wait_runs_after_the_first,
    a_lock_left_by_a_killed_process_does_not_block_the_next_sync,
);

/// A progress callback that signals its first call, and the receiver of that signal: the
/// moment a sync has started.
fn signal_on_first_progress() -> (
    impl FnMut(&Progress) + Send,
    tokio::sync::oneshot::Receiver<()>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut tx = Some(tx);
    let on_progress = move |_: &Progress| {
        if let Some(tx) = tx.take() {
            let _ = tx.send(());
        }
    };
    (on_progress, rx)
}

/// The entry point of child processes (see `common::child`); a no-op in a normal run.
#[test]
fn child_process_entry() {
    if let Ok(spec) = std::env::var(child::ENV) {
        child::run(&spec);
    }
}

fn slow_source() -> FakeSource {
    let source = FakeSource::new(Vendor::Fxiaoke, OBJECT, SourceKind::Incremental)
        .with_page_size(50)
        .with_page_delay(Duration::from_millis(20));
    source.seed(21, 600, T0);
    source
}

async fn a_second_sync_of_the_same_object_fails_clearly_while_the_first_runs(
    db: Db,
    _reference: Db,
) {
    let (first_store, second_store) = (db.open().await, db.open().await);
    let slow = slow_source();
    let same_object = FakeSource::new(Vendor::Fxiaoke, OBJECT, SourceKind::Incremental);
    same_object.seed(22, 50, T0);
    let other_object = FakeSource::new(Vendor::Fxiaoke, "ContactObj", SourceKind::Incremental);
    other_object.seed(23, 50, T0);

    let (started, is_started) = signal_on_first_progress();
    let defaults = SyncOptions::default();
    let first = first_store.sync_with_progress(&slow, &defaults, started);
    let second = async {
        is_started.await.expect("the first sync started");
        let same = second_store
            .sync(&same_object, &SyncOptions::default())
            .await;
        let other = second_store
            .sync(&other_object, &SyncOptions::default())
            .await;
        (same, other)
    };
    let (first, (same, other)) = tokio::join!(first, second);

    let err = same.expect_err("the same object is locked");
    assert!(err.is_busy(), "{err}");
    let message = err.to_string();
    assert!(message.contains("fxiaoke AccountObj"), "{message}");
    other.expect("another object syncs meanwhile");
    first.expect("the first sync is undisturbed");

    let runs = first_store
        .runs(Vendor::Fxiaoke, OBJECT)
        .await
        .expect("runs");
    assert_eq!(runs.len(), 1, "the refused sync started no run");
    assert_eq!(runs[0].status, RunStatus::Completed);
    assert_mirrors(&first_store, &slow, Gone::Kept).await;
    first_store.close().await;
    second_store.close().await;
}

async fn a_second_sync_that_may_wait_runs_after_the_first(db: Db, _reference: Db) {
    let (first_store, second_store) = (db.open().await, db.open().await);
    let slow = slow_source();
    let (started, is_started) = signal_on_first_progress();
    let defaults = SyncOptions::default();
    let first = first_store.sync_with_progress(&slow, &defaults, started);
    let waiting = SyncOptions::default().with_lock_wait(Duration::from_secs(60));
    let second = async {
        is_started.await.expect("the first sync started");
        second_store.sync(&slow, &waiting).await
    };
    let (first, second) = tokio::join!(first, second);
    let (first, second) = (first.expect("first"), second.expect("second"));
    assert_eq!(first.counts.inserted, 600);
    assert_eq!((second.counts.inserted, second.counts.updated), (0, 0));

    let runs = first_store
        .runs(Vendor::Fxiaoke, OBJECT)
        .await
        .expect("runs");
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r.status == RunStatus::Completed));
    let first_end = runs[0].ended_at.expect("ended");
    assert!(
        runs[1].started_at >= first_end,
        "the second run started after the first ended: {runs:?}"
    );
    first_store.close().await;
    second_store.close().await;
}

async fn a_lock_left_by_a_killed_process_does_not_block_the_next_sync(db: Db, _reference: Db) {
    let url = db.url();
    // Migrate first, so that the child is quickly inside its run.
    let store = db.open().await;
    // The child stops inside its run, holding the lock, until it is killed: however slow
    // the machine, it cannot finish before the kill.
    let holder = child::spawn(&Spec {
        url,
        changes: 0,
        full: false,
        page_size: 20,
        page_delay_ms: 0,
        lock_wait_ms: 0,
        stall_after_pages: 2,
    });
    let stalled = tokio::task::block_in_place(|| holder.wait_stalled(Duration::from_secs(60)));
    assert!(stalled, "the child stored two pages");
    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.expect("runs");
    assert!(
        matches!(&runs[..], [r] if r.status == RunStatus::Running && r.counts.pages == 2),
        "{runs:?}"
    );
    let source = scenario_source(0, 100, Duration::ZERO);
    let err = store
        .sync(&source, &SyncOptions::default())
        .await
        .expect_err("the child holds the lock");
    assert!(err.is_busy(), "{err}");

    holder.kill();
    let summary = store
        .sync(
            &source,
            &SyncOptions::default().with_lock_wait(Duration::from_secs(30)),
        )
        .await
        .expect("the lock died with its process");
    assert_eq!(summary.abandoned_runs, 1);
    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.expect("runs");
    let statuses: Vec<&RunStatus> = runs.iter().map(|r| &r.status).collect();
    assert_eq!(statuses, [&RunStatus::Abandoned, &RunStatus::Completed]);
    assert!(runs[0].ended_at.is_none(), "the killed run never ended");
    assert_mirrors(&store, &source, Gone::Kept).await;
    store.close().await;
}

/// SQLite: a child process spawned by any thread of this process shares the lock file's
/// descriptor from its `fork` until its `exec`. An `flock` belongs to the open file, so
/// closing our descriptor alone would leave the lock held by the child for that moment,
/// and the next sync of the object, in this very process, would fail as busy. (A test
/// binary whose PostgreSQL tests start their server while its SQLite tests sync is such a
/// process.) Back-to-back syncs of one object while two threads spawn processes: without
/// the explicit unlock, most of them fail. (PostgreSQL unlocks with a query on the lock
/// session, whoever shares its socket.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_lock_is_free_when_its_sync_ends_while_the_process_spawns_children() {
    common::bounded(syncs_while_spawning(common::sqlite_db())).await;
}

async fn syncs_while_spawning(db: Db) {
    const SYNCS: u64 = 100;
    const SPAWNS: u64 = 100;
    let store = db.open().await;
    let source =
        FakeSource::new(Vendor::Fxiaoke, OBJECT, SourceKind::Incremental).with_page_size(5);
    source.seed(24, 20, T0);
    let stop = Arc::new(AtomicBool::new(false));
    let spawned = Arc::new(AtomicU64::new(0));
    let spawners: Vec<_> = (0..2)
        .map(|_| {
            let (stop, spawned) = (Arc::clone(&stop), Arc::clone(&spawned));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    Command::new("true")
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status()
                        .expect("run `true`");
                    spawned.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let (mut syncs, mut busy) = (0u64, 0u64);
    while (syncs < SYNCS || spawned.load(Ordering::Relaxed) < SPAWNS)
        && !spawners.iter().any(|t| t.is_finished())
    {
        match store.sync(&source, &SyncOptions::default()).await {
            Ok(_) => {}
            Err(e) if e.is_busy() => busy += 1,
            Err(e) => panic!("sync {syncs}: {e}"),
        }
        syncs += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for spawner in spawners {
        spawner.join().expect("a spawning thread");
    }
    let spawned = spawned.load(Ordering::Relaxed);
    assert_eq!(
        busy, 0,
        "{busy} of {syncs} syncs found the lock of the one before still held \
         ({spawned} processes spawned meanwhile)"
    );
    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.expect("runs");
    assert_eq!(runs.len() as u64, syncs);
    assert!(runs.iter().all(|r| r.status == RunStatus::Completed));
    assert_mirrors(&store, &source, Gone::Kept).await;
    store.close().await;
}

/// The README's promise for PostgreSQL: the lock is a session advisory lock, and the run
/// writes on that very session, so when the session dies (a network cut, a server restart,
/// an administrator's `pg_terminate_backend`) the lock is gone and so is the run's right to
/// write: it fails instead of writing unlocked, and the object is free at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_sync_whose_lock_session_dies_fails_and_frees_the_object() {
    common::bounded(async {
        use sqlx::Connection as _;
        let Some(db) = common::postgres_db().await else {
            return;
        };
        let store = db.open().await;
        let slow = FakeSource::new(Vendor::Fxiaoke, OBJECT, SourceKind::Incremental)
            .with_page_size(50)
            .with_page_delay(Duration::from_millis(50));
        slow.seed(24, 600, T0);

        let (started, is_started) = signal_on_first_progress();
        let defaults = SyncOptions::default();
        let run = store.sync_with_progress(&slow, &defaults, started);
        let kill = async {
            is_started.await.expect("the sync started");
            let mut conn = sqlx::PgConnection::connect(&db.url())
                .await
                .expect("connect");
            let killed: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_locks
                 WHERE locktype = 'advisory'
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .fetch_all(&mut conn)
            .await
            .expect("terminate the lock's session");
            conn.close().await.expect("close");
            killed
        };
        let (outcome, killed) = tokio::join!(run, kill);
        assert_eq!(killed, [true], "one session held the object's lock");
        let error = outcome.expect_err("the run lost its session");
        assert!(
            matches!(error, crm_sync::Error::Database { .. }),
            "a database error, not a source error: {error}"
        );
        let stored = store
            .records(Vendor::Fxiaoke, OBJECT)
            .await
            .expect("records")
            .len();
        assert!(stored < 600, "the run stopped writing: {stored} stored");

        // The object is free at once: a new sync takes it, finds the dead run, completes.
        let source = FakeSource::new(Vendor::Fxiaoke, OBJECT, SourceKind::Incremental);
        source.seed(24, 600, T0);
        let next = store
            .sync(&source, &SyncOptions::default())
            .await
            .expect("the next sync is not blocked");
        assert_eq!(next.counts.fetched, 600);
        assert_mirrors(&store, &source, Gone::Kept).await;
        let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.expect("runs");
        assert_eq!(runs.last().map(|r| &r.status), Some(&RunStatus::Completed));
        assert!(
            runs.iter().all(|r| r.status != RunStatus::Running),
            "no run is left running: {runs:#?}"
        );
        store.close().await;
    })
    .await;
}
