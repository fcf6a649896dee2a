//! Crash safety with real processes: a child process syncing the seeded scenario slowly is
//! killed with SIGKILL at random moments, several times per phase (first sync, incremental
//! syncs after changes, full passes after physical deletes), then run to completion. The
//! table must end exactly as after the same phases run without interruption: nothing lost,
//! nothing duplicated, every killed run marked `abandoned`, none left `running`.
//!
//! Random moments depend on the machine's speed: on a loaded machine they may all land
//! before the child's run starts. So the last kill of each phase waits for the child to
//! stall after its first stored page: at least one kill per phase lands inside a run, on
//! any machine.
// Scenario bodies are plain async fns run by the tests: a panic is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::time::Duration;

use common::child::{self, Spec};
use common::{Db, Gone, OBJECT, assert_mirrors, cursor_of, scenario_source};
use crm_sync::fake::SplitMix64;
use crm_sync::{Store, StoredRecord, SyncOptions, Vendor};

on_both_stores!(killing_syncs_at_random_moments_loses_and_duplicates_nothing);

/// The entry point of child processes (see `common::child`); a no-op in a normal run.
#[test]
fn child_process_entry() {
    if let Ok(spec) = std::env::var(child::ENV) {
        child::run(&spec);
    }
}

/// `(rounds of changes, full pass)` of each phase.
const PHASES: [(u64, bool); 5] = [(0, false), (1, false), (1, true), (2, false), (2, true)];

/// Kills per phase before the run that completes.
const KILLS: u64 = 4;

const PAGE_SIZE: usize = 40;

/// The full rows, text included: after the same phases the stores must hold the same text.
async fn table(store: &Store) -> Vec<(String, String, Option<i64>, bool)> {
    store
        .records(Vendor::Fxiaoke, OBJECT)
        .await
        .expect("records")
        .into_iter()
        .map(|r: StoredRecord| (r.id, r.record, r.modified_at, r.deleted))
        .collect()
}

async fn killing_syncs_at_random_moments_loses_and_duplicates_nothing(db: Db, reference: Db) {
    let seed = std::env::var("CRM_SYNC_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00c0_ffee);
    eprintln!("kill moments from seed {seed} (set CRM_SYNC_CRASH_SEED to vary)");
    let mut rng = SplitMix64::new(seed);
    let url = db.url();
    for (phase, &(changes, full)) in PHASES.iter().enumerate() {
        let spec = Spec {
            url: url.clone(),
            changes,
            full,
            page_size: PAGE_SIZE,
            page_delay_ms: 3,
            lock_wait_ms: 30_000,
            stall_after_pages: 0,
        };
        for kill in 0..KILLS {
            if kill == KILLS - 1 {
                // A moment certainly inside a run: after its first page, before its end.
                let running = child::spawn(&Spec {
                    stall_after_pages: 1,
                    ..spec.clone()
                });
                let stalled =
                    tokio::task::block_in_place(|| running.wait_stalled(Duration::from_secs(60)));
                assert!(stalled, "phase {phase}: the child did not store a page");
                tokio::task::block_in_place(|| running.kill());
                continue;
            }
            let running = child::spawn(&spec);
            if kill % 2 == 0 {
                // Any moment from the start, opening and migrating the store included.
                tokio::time::sleep(Duration::from_millis(rng.below(200))).await;
            } else {
                // A moment inside the sync.
                let ready =
                    tokio::task::block_in_place(|| running.wait_ready(Duration::from_secs(60)));
                assert!(ready, "phase {phase}: the child did not open the store");
                tokio::time::sleep(Duration::from_millis(rng.below(120))).await;
            }
            tokio::task::block_in_place(|| running.kill());
        }
        let last = child::spawn(&spec);
        let status = tokio::task::spawn_blocking(move || last.wait(Duration::from_secs(120)))
            .await
            .expect("join");
        assert!(
            status.success(),
            "phase {phase}: the run to completion failed ({status})"
        );
    }

    let uninterrupted = reference.open().await;
    for &(changes, full) in &PHASES {
        let source = scenario_source(changes, PAGE_SIZE, Duration::ZERO);
        uninterrupted
            .sync(&source, &SyncOptions::default().with_full(full))
            .await
            .expect("uninterrupted run");
    }

    let store = db.open().await;
    assert_eq!(table(&store).await, table(&uninterrupted).await);
    assert_eq!(
        cursor_of(&store, Vendor::Fxiaoke, OBJECT).await,
        cursor_of(&uninterrupted, Vendor::Fxiaoke, OBJECT).await
    );
    let (last_changes, _) = PHASES[PHASES.len() - 1];
    assert_mirrors(
        &store,
        &scenario_source(last_changes, PAGE_SIZE, Duration::ZERO),
        Gone::Marked,
    )
    .await;

    let runs = store.runs(Vendor::Fxiaoke, OBJECT).await.expect("runs");
    let abandoned = crm_sync::testing::abandoned_after_kills(&runs);
    let completed = runs.len() - abandoned;
    eprintln!(
        "{} runs: {completed} completed, {abandoned} killed mid-run",
        runs.len()
    );
    assert!(completed >= PHASES.len());
    assert!(
        abandoned >= PHASES.len(),
        "at least the kill of each phase that waited for a stored page landed inside a run"
    );
    store.close().await;
    uninterrupted.close().await;
}
