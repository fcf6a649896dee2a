//! Property test: random records with many shared timestamps, random page sizes, random
//! edit/create/delete schedules between runs (late commits within the lookback included),
//! edits during runs, random full passes and random failure points. After every run:
//!
//! - the cursor never moved backwards, and every source record at or before the cursor is
//!   stored with its current JSON (never a cursor past a record not stored), except records
//!   whose change this run could not have read: changed during the run, or changed since
//!   the last completed run at a key the run never reached (at or below the cursor it
//!   started from: the next completed run's lookback reads those);
//! - a failed run marked nothing deleted; a completed full pass marked exactly the records
//!   the source no longer has;
//!
//! and after a final incremental run and a final full pass without faults, the table equals
//! the source: same ids, JSON by value, modification times, deleted flags.
// Scenario bodies are plain async fns run by the tests: a panic is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{Row, cursor_of, rows, value_of};
use crm_sync::fake::{Change, FakeSource, Fault, SplitMix64};
use crm_sync::{Cursor, SourceKind, Store, SyncOptions, SyncSummary, Vendor};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// The lookback of every run, ms.
const LOOKBACK: i64 = 3;
/// The first timestamp.
const BASE: i64 = 1_000_000;
const IDS: u8 = 30;

#[derive(Clone, Debug)]
enum Op {
    /// Creates or edits record `id`, stamped `late` ms before the clock.
    Put { id: u8, variant: u8, late: i64 },
    /// Deletes record `id` physically.
    Remove { id: u8 },
    /// Advances the clock.
    Tick(i64),
}

#[derive(Clone, Debug)]
struct Step {
    /// Changes before the run.
    ops: Vec<Op>,
    /// Puts during the run: after that many pages, record `id` gets `variant` at the clock.
    during: Vec<(u8, u8, u8)>,
    full: bool,
    fail_after: Option<u8>,
}

#[derive(Clone, Debug)]
struct Case {
    /// `(id, ms after BASE, variant)`.
    initial: Vec<(u8, u8, u8)>,
    page_size: usize,
    steps: Vec<Step>,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..IDS, 0u8..6, 0u8..8).prop_map(|(id, variant, late)| Op::Put {
            id,
            variant,
            // One put in four is a late commit, stamped up to LOOKBACK ms in the past.
            late: if late < 2 { i64::from(late) * (LOOKBACK - 1) + 1 } else { 0 },
        }),
        2 => (0..IDS).prop_map(|id| Op::Remove { id }),
        2 => (1i64..3).prop_map(Op::Tick),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        vec(op(), 0..12),
        vec((0u8..4, 0..IDS, 0u8..6), 0..3),
        prop::bool::weighted(0.3),
        prop::option::weighted(0.3, 0u8..5),
    )
        .prop_map(|(ops, during, full, fail_after)| Step {
            ops,
            during,
            full,
            fail_after,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        vec((0..IDS, 0u8..4, 0u8..6), 0..45),
        1usize..8,
        vec(step(), 1..7),
    )
        .prop_map(|(initial, page_size, steps)| Case {
            initial,
            page_size,
            steps,
        })
}

fn id(n: u8) -> String {
    format!("r{n:02}")
}

/// Variants `2k` and `2k + 1` are the same value written with another key order.
fn json(id: &str, variant: u8) -> String {
    let v = variant / 2;
    if variant.is_multiple_of(2) {
        format!(r#"{{"id":"{id}","v":{v},"tags":["x"]}}"#)
    } else {
        format!(r#"{{ "tags": ["x"], "v": {v}, "id": "{id}" }}"#)
    }
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), TestCaseError> {
    if ok {
        Ok(())
    } else {
        Err(TestCaseError::fail(message()))
    }
}

fn counts_add_up(s: &SyncSummary) -> Result<(), TestCaseError> {
    check(
        s.counts.fetched == s.counts.inserted + s.counts.updated + s.counts.unchanged,
        || format!("counts do not add up: {s:?}"),
    )
}

/// Every source record at or before the cursor is stored as it is now, except those
/// changed during the run, and those changed since the last completed run at a key at or
/// below the cursor the run started from.
fn check_cursor_covers(
    source: &FakeSource,
    stored: &[Row],
    (before, after): (Option<&Cursor>, Option<&Cursor>),
    changed: &BTreeSet<String>,
    during_run: &BTreeSet<String>,
) -> Result<(), TestCaseError> {
    let Some(cursor) = after else { return Ok(()) };
    let by_id: BTreeMap<&str, &Row> = stored.iter().map(|r| (r.id.as_str(), r)).collect();
    for (id, r) in source.records() {
        let key = Cursor::new(r.modified_at, id.clone());
        let unread = changed.contains(&id) && before.is_some_and(|b| key <= *b);
        if during_run.contains(&id) || unread || key > *cursor {
            continue;
        }
        let row = by_id.get(id.as_str());
        check(
            row.is_some_and(|row| {
                row.value == value_of(&r) && row.modified_at == Some(r.modified_at) && !row.deleted
            }),
            || format!("cursor {cursor} is past record {id} {r:?}, stored as {row:?}"),
        )?;
    }
    Ok(())
}

/// Stored records are deleted exactly when the source no longer has them.
fn check_deletions(
    source: &FakeSource,
    stored: &[Row],
    during_run: &BTreeSet<String>,
) -> Result<(), TestCaseError> {
    let records = source.records();
    for row in stored {
        if during_run.contains(&row.id) {
            continue;
        }
        check(row.deleted != records.contains_key(&row.id), || {
            format!(
                "after a full pass, {row:?} (in source: {})",
                records.contains_key(&row.id)
            )
        })?;
    }
    Ok(())
}

async fn run_case(store: &Store, object: &str, case: &Case) -> Result<(), TestCaseError> {
    let source = FakeSource::new(Vendor::Fxiaoke, object, SourceKind::Incremental)
        .with_page_size(case.page_size);
    for &(n, dt, variant) in &case.initial {
        source.put(id(n), BASE + i64::from(dt), json(&id(n), variant));
    }
    let mut clock = BASE + 4;
    let options = SyncOptions::default().with_lookback(Duration::from_millis(LOOKBACK as u64));
    // Ids changed since the last completed run (all of them before the first).
    let mut changed: BTreeSet<String> = source.records().into_keys().collect();
    let mut cursor: Option<Cursor> = None;

    for step in &case.steps {
        for op in &step.ops {
            match *op {
                Op::Put {
                    id: n,
                    variant,
                    late,
                } => {
                    source.put(id(n), clock - late, json(&id(n), variant));
                    changed.insert(id(n));
                }
                Op::Remove { id: n } => {
                    source.remove(&id(n));
                }
                Op::Tick(dt) => clock += dt,
            }
        }
        let mut during_run = BTreeSet::new();
        for &(after, n, variant) in &step.during {
            source.during_next_read(
                u64::from(after),
                Change::Put {
                    id: id(n),
                    modified_at: clock,
                    json: json(&id(n), variant),
                },
            );
            during_run.insert(id(n));
        }
        if let Some(pages) = step.fail_after {
            source.fail_next_read(Fault::ErrorAfter {
                pages: u64::from(pages),
            });
        }
        let deleted_before: BTreeSet<String> = rows(store, Vendor::Fxiaoke, object)
            .await
            .into_iter()
            .filter(|r| r.deleted)
            .map(|r| r.id)
            .collect();

        let result = store
            .sync(&source, &options.clone().with_full(step.full))
            .await;
        let stored = rows(store, Vendor::Fxiaoke, object).await;
        let now = cursor_of(store, Vendor::Fxiaoke, object).await;
        check(now >= cursor, || {
            format!("the cursor moved back: {cursor:?} -> {now:?}")
        })?;
        check_cursor_covers(
            &source,
            &stored,
            (cursor.as_ref(), now.as_ref()),
            &changed,
            &during_run,
        )?;
        cursor = now;
        match &result {
            Ok(summary) => {
                counts_add_up(summary)?;
                if step.full {
                    check_deletions(&source, &stored, &during_run)?;
                }
                // A completed run read every change made before it.
                changed = during_run;
            }
            Err(e) => {
                let summary = e
                    .summary()
                    .ok_or_else(|| TestCaseError::fail(format!("not a source failure: {e}")))?;
                counts_add_up(summary)?;
                check(summary.counts.marked_deleted == 0, || {
                    format!("{summary:?}")
                })?;
                let deleted_after: BTreeSet<String> = stored
                    .iter()
                    .filter(|r| r.deleted)
                    .map(|r| r.id.clone())
                    .collect();
                check(deleted_after.is_subset(&deleted_before), || {
                    format!("a failed run marked {deleted_after:?} (before {deleted_before:?})")
                })?;
                changed.extend(during_run);
            }
        }
        clock += 1;
    }

    // The final runs: no faults, no changes.
    let last = store.sync(&source, &options).await;
    check(last.is_ok(), || format!("final incremental run: {last:?}"))?;
    let full = store.sync(&source, &options.clone().with_full(true)).await;
    check(full.is_ok(), || format!("final full pass: {full:?}"))?;
    let stored = rows(store, Vendor::Fxiaoke, object).await;
    let records = source.records();
    let by_id: BTreeMap<&str, &Row> = stored.iter().map(|r| (r.id.as_str(), r)).collect();
    check(by_id.len() == stored.len(), || "duplicate ids".to_owned())?;
    for (id, r) in &records {
        let row = by_id.get(id.as_str());
        check(
            row.is_some_and(|row| {
                row.value == value_of(r) && row.modified_at == Some(r.modified_at) && !row.deleted
            }),
            || format!("record {id} {r:?} is stored as {row:?}"),
        )?;
    }
    check_deletions(&source, &stored, &BTreeSet::new())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A seed for a run that was given none.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // Truncating the nanoseconds keeps their fast-changing low bits.
    SplitMix64::new(nanos as u64 ^ (u64::from(std::process::id()) << 32)).next_u64()
}

/// Runs the property; `PROPTEST_CASES` overrides the number of cases and
/// `PROPTEST_RNG_SEED` fixes the seed. A failure prints the failing case and the seed that
/// replays the whole run (failure persistence is off: the cases share one database).
fn run_property(store: &Store, runtime: &tokio::runtime::Runtime, cases: u32) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    let mut config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let seed = match config.rng_seed {
        RngSeed::Fixed(seed) => seed,
        RngSeed::Random => fresh_seed(),
    };
    config.rng_seed = RngSeed::Fixed(seed);
    let objects = AtomicU64::new(0);
    let result = TestRunner::new(config).run(&case(), |case| {
        // Each case syncs its own object of the shared database.
        let object = format!("Obj{}", objects.fetch_add(1, Ordering::Relaxed));
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(60), run_case(store, &object, &case))
                .await
                .unwrap_or_else(|_| Err(TestCaseError::fail("the case took over 60 s")))
        })
    });
    if let Err(e) = result {
        panic!("{e}\nreplay this run with PROPTEST_RNG_SEED={seed} PROPTEST_CASES={cases}");
    }
}

#[test]
fn sqlite_tables_equal_the_source_after_random_schedules_and_failures() {
    let runtime = runtime();
    let db = common::sqlite_db();
    let store = runtime.block_on(db.open());
    run_property(&store, &runtime, 64);
    runtime.block_on(store.close());
}

#[test]
fn postgres_tables_equal_the_source_after_random_schedules_and_failures() {
    let runtime = runtime();
    let Some(db) = runtime.block_on(common::postgres_db()) else {
        return;
    };
    let store = runtime.block_on(db.open());
    run_property(&store, &runtime, 24);
    runtime.block_on(store.close());
}
