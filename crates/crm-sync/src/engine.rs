//! One sync run: lock, read, classify, write page by page, end.
//!
//! The rules this code keeps (also in the crate docs):
//!
//! - **One transaction per page.** The upserts of a page, the cursor move and the run's
//!   counts commit together, so after a crash the store holds whole pages and a cursor that
//!   points exactly at the last stored record.
//! - **The cursor is the key of the last stored record**, computed by the engine from the
//!   records it stores (never taken on the source's word), and it never moves backwards:
//!   a lookback page older than the stored cursor leaves it where it is.
//! - **Nothing is trusted that would move the cursor past a record not stored**: a record
//!   without an id, an incremental record without a modification time, or records out of
//!   `(modified_at, id)` order fail the run before their page is written.
//! - **Deletions** are marked only by a full pass whose stream ended normally, in the same
//!   transaction that marks the run completed.
//! - **A run is completed only if its stream ended without an error.** Anything else leaves
//!   it `failed` (or `running` if the process died; the next run marks it `abandoned`).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

use futures::StreamExt;

use crate::error::Error;
use crate::json;
use crate::options::{Progress, RunCounts, SyncMode, SyncOptions, SyncSummary};
use crate::source::Vendor;
use crate::source::{Cursor, Page, Read, Record, Source, SourceError, SourceKind};
use crate::store::{Backend, Existing, Key, PagePlan, RunEnd, RunStatus, now_ms};

/// Why a run stopped early.
enum Failure {
    Source(SourceError),
    Invalid(String),
    Store(Error),
}

impl Failure {
    fn message(&self) -> String {
        match self {
            Failure::Source(e) => format!("source error: {e}"),
            Failure::Invalid(reason) => format!("invalid record from the source: {reason}"),
            Failure::Store(e) => e.to_string(),
        }
    }
}

/// What a record does to the store.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Inserted,
    Updated,
    Unchanged,
}

impl RunCounts {
    fn count(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Inserted => self.inserted += 1,
            Verdict::Updated => self.updated += 1,
            Verdict::Unchanged => self.unchanged += 1,
        }
    }
}

/// Classifies a record against its stored copy: unchanged only if the copy is live, has the
/// same modification time and the same JSON value.
fn classify(previous: Option<&Existing>, record: &Record) -> Verdict {
    match previous {
        None => Verdict::Inserted,
        Some(e)
            if !e.deleted
                && e.modified_at == record.modified_at
                && json::same_value(&e.record, record.json.get()) =>
        {
            Verdict::Unchanged
        }
        Some(_) => Verdict::Updated,
    }
}

/// Whether two sightings of one record in a run carry the same data.
fn same_sighting(a: &Record, b: &Record) -> bool {
    a.modified_at == b.modified_at && json::same_value(a.json.get(), b.json.get())
}

/// The dry-run fingerprint of a sighting: its JSON value and modification time.
fn sighting_fingerprint(r: &Record) -> (u64, Option<i64>) {
    (json::fingerprint(r.json.get()), r.modified_at)
}

/// Checks a page before anything of it is written; moves `last` to the key of its last
/// record. An incremental read must be strictly ascending in `(modified_at, id)`.
fn check_page(page: &Page, mode: SyncMode, last: &mut Option<Cursor>) -> Result<(), String> {
    for (i, r) in page.records.iter().enumerate() {
        if r.id.is_empty() {
            return Err(format!(
                "record {} of the page has no id (json: {})",
                i + 1,
                excerpt(r.json.get())
            ));
        }
        if mode == SyncMode::Incremental {
            let Some(modified_at) = r.modified_at else {
                return Err(format!(
                    "record {:?} has no modification time, which an incremental read needs",
                    r.id
                ));
            };
            if let Some(prev) = last.as_ref()
                && r.cmp_key(prev) != Some(Ordering::Greater)
            {
                return Err(format!(
                    "record ({modified_at}, {:?}) does not come after {prev}: an incremental read must be in strictly ascending (modified_at, id) order",
                    r.id
                ));
            }
            *last = Some(Cursor::new(modified_at, r.id.clone()));
        }
    }
    Ok(())
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 120;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The state of one run while it reads.
struct Run<'s> {
    vendor: Vendor,
    key: Key<'s>,
    mode: SyncMode,
    dry_run: bool,
    run_id: Option<i64>,
    counts: RunCounts,
    /// The stored cursor (moved as pages commit).
    cursor: Option<Cursor>,
    /// The key of the last record checked (order check of incremental reads).
    last: Option<Cursor>,
    /// Dry run: what the run would have written so far, as value fingerprints.
    would_write: HashMap<String, (u64, Option<i64>)>,
    total: Option<u64>,
    abandoned: u64,
    clock: Instant,
}

impl Run<'_> {
    fn summary(&self) -> SyncSummary {
        SyncSummary {
            vendor: self.vendor,
            object: self.key.object.to_owned(),
            mode: self.mode,
            dry_run: self.dry_run,
            run_id: self.run_id,
            counts: self.counts,
            abandoned_runs: self.abandoned,
            cursor: self.cursor.clone(),
            elapsed: self.clock.elapsed(),
        }
    }

    fn progress(&self) -> Progress {
        Progress {
            counts: self.counts,
            total: self.total,
            elapsed: self.clock.elapsed(),
        }
    }
}

/// Runs one sync of `source` into `backend`. See the module docs for the rules.
pub(crate) async fn run<B: Backend>(
    backend: &B,
    source: &dyn Source,
    options: &SyncOptions,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<SyncSummary, Error> {
    let object = source.object();
    if object.is_empty() {
        return Err(Error::EmptyObject);
    }
    let vendor = source.vendor();
    let key = Key::new(vendor, object);
    let mode = if options.full || source.kind() == SourceKind::FullPass {
        SyncMode::Full
    } else {
        SyncMode::Incremental
    };
    let clock = Instant::now();
    let mut guard = if options.dry_run {
        None
    } else {
        Some(backend.lock(&key, options.lock_wait).await?)
    };
    let result = locked_run(
        backend, &mut guard, source, options, progress, key, mode, clock,
    )
    .await;
    if let Some(guard) = guard {
        backend.unlock(guard).await;
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn locked_run<B: Backend>(
    backend: &B,
    guard: &mut Option<B::Guard>,
    source: &dyn Source,
    options: &SyncOptions,
    progress: &mut (dyn FnMut(&Progress) + Send),
    key: Key<'_>,
    mode: SyncMode,
    clock: Instant,
) -> Result<SyncSummary, Error> {
    let stored = backend.cursor(&key).await?;
    let (run_id, abandoned) = match guard.as_mut() {
        Some(g) => {
            let (id, abandoned) = backend.begin_run(g, &key, mode, now_ms()).await?;
            (Some(id), abandoned)
        }
        None => (None, 0),
    };
    if abandoned > 0 {
        tracing::warn!(
            "{key}: {abandoned} earlier run(s) were interrupted (process died); marked abandoned"
        );
    }
    let read = match mode {
        SyncMode::Full => Read::Full,
        SyncMode::Incremental => Read::Incremental {
            after: stored.as_ref().map(|c| c.minus(options.lookback)),
        },
    };
    let mut run = Run {
        vendor: source.vendor(),
        key,
        mode,
        dry_run: options.dry_run,
        run_id,
        counts: RunCounts::default(),
        cursor: stored,
        last: None,
        would_write: HashMap::new(),
        total: None,
        abandoned,
        clock,
    };

    let calls_before = source.vendor_calls();
    let failure = {
        let mut pages = source.pages(read);
        loop {
            let page = match pages.next().await {
                None => break None,
                Some(Err(e)) => break Some(Failure::Source(e)),
                Some(Ok(page)) => page,
            };
            if let Err(reason) = check_page(&page, mode, &mut run.last) {
                break Some(Failure::Invalid(reason));
            }
            run.counts.vendor_calls = source.vendor_calls().saturating_sub(calls_before);
            let stored = match guard.as_mut() {
                Some(g) => store_page(backend, g, &mut run, &page).await,
                None => count_page(backend, &mut run, &page).await,
            };
            if let Err(e) = stored {
                break Some(Failure::Store(e));
            }
            if page.total.is_some() {
                run.total = page.total;
            }
            progress(&run.progress());
        }
    };
    run.counts.vendor_calls = source.vendor_calls().saturating_sub(calls_before);

    match failure {
        None => {
            run.counts.marked_deleted = match (guard.as_mut(), run.run_id) {
                (Some(g), Some(run_id)) => {
                    let end = RunEnd {
                        run_id,
                        status: RunStatus::Completed,
                        ended_at: now_ms(),
                        totals: &run.counts,
                        error: None,
                        mark_deleted: mode == SyncMode::Full,
                    };
                    backend.finish(g, &key, &end).await?
                }
                _ if mode == SyncMode::Full => {
                    let live = backend.live_ids(&key).await?;
                    live.iter()
                        .filter(|id| !run.would_write.contains_key(*id))
                        .count() as u64
                }
                _ => 0,
            };
            Ok(run.summary())
        }
        Some(failure) => {
            if let (Some(g), Some(run_id)) = (guard.as_mut(), run.run_id) {
                let message = failure.message();
                let end = RunEnd {
                    run_id,
                    status: RunStatus::Failed,
                    ended_at: now_ms(),
                    totals: &run.counts,
                    error: Some(&message),
                    mark_deleted: false,
                };
                if let Err(e) = backend.finish(g, &key, &end).await {
                    // The run stays `running` and becomes `abandoned` on the next run.
                    tracing::warn!("{key}: could not record the failure of run {run_id}: {e}");
                }
            }
            let summary = Box::new(run.summary());
            Err(match failure {
                Failure::Source(source) => Error::Source { summary, source },
                Failure::Invalid(reason) => Error::InvalidRecord { summary, reason },
                Failure::Store(e) => e,
            })
        }
    }
}

/// The distinct ids of a page, in first-seen order.
fn distinct_ids(page: &Page) -> Vec<&str> {
    let mut seen = HashSet::with_capacity(page.records.len());
    page.records
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| seen.insert(*id))
        .collect()
}

/// Classifies and writes one page in one transaction.
async fn store_page<B: Backend>(
    backend: &B,
    guard: &mut B::Guard,
    run: &mut Run<'_>,
    page: &Page,
) -> Result<(), Error> {
    let ids = distinct_ids(page);
    let existing = backend.existing(&run.key, &ids).await?;
    // The last record of each id in this page, and whether any of its sightings changed
    // the store (then the last one is written whole; otherwise the row is only touched).
    let mut latest: HashMap<&str, (&Record, bool)> = HashMap::with_capacity(ids.len());
    let mut counts = run.counts;
    for r in &page.records {
        let verdict = match latest.get(r.id.as_str()) {
            Some((prev, _)) if same_sighting(prev, r) => Verdict::Unchanged,
            Some(_) => Verdict::Updated,
            None => classify(existing.get(&r.id), r),
        };
        counts.count(verdict);
        let changed_before = latest.get(r.id.as_str()).is_some_and(|(_, w)| *w);
        latest.insert(&r.id, (r, changed_before || verdict != Verdict::Unchanged));
    }
    let mut upserts = Vec::new();
    let mut touches = Vec::new();
    for id in &ids {
        if let Some((record, write)) = latest.get(id) {
            if *write {
                upserts.push(*record);
            } else {
                touches.push(*record);
            }
        }
    }
    counts.pages += 1;
    counts.fetched += page.records.len() as u64;
    let moved = match (run.mode, page.records.last().and_then(Record::key)) {
        (SyncMode::Incremental, Some(end)) if run.cursor.as_ref().is_none_or(|c| end > *c) => {
            Some(end)
        }
        _ => None,
    };
    let plan = PagePlan {
        run_id: run.run_id.unwrap_or_default(),
        now: now_ms(),
        upserts,
        touches,
        cursor: moved.as_ref(),
        totals: &counts,
    };
    backend.apply(guard, &run.key, &plan).await?;
    run.counts = counts;
    if moved.is_some() {
        run.cursor = moved;
    }
    Ok(())
}

/// Dry run: classifies one page against the store and what the run would have written.
async fn count_page<B: Backend>(backend: &B, run: &mut Run<'_>, page: &Page) -> Result<(), Error> {
    let ids = distinct_ids(page);
    let existing = backend.existing(&run.key, &ids).await?;
    for r in &page.records {
        let fingerprint = sighting_fingerprint(r);
        let verdict = match run.would_write.get(&r.id) {
            Some(previous) if *previous == fingerprint => Verdict::Unchanged,
            Some(_) => Verdict::Updated,
            None => classify(existing.get(&r.id), r),
        };
        run.counts.count(verdict);
        run.would_write.insert(r.id.clone(), fingerprint);
    }
    run.counts.pages += 1;
    run.counts.fetched += page.records.len() as u64;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, m: Option<i64>) -> Record {
        Record::from_json(id, "{}", m).expect("json")
    }

    #[test]
    fn an_incremental_page_must_ascend_strictly() {
        let mut last = None;
        let page = Page::new(vec![
            rec("a", Some(1)),
            rec("b", Some(1)),
            rec("a", Some(2)),
        ]);
        assert!(check_page(&page, SyncMode::Incremental, &mut last).is_ok());
        assert_eq!(last, Some(Cursor::new(2, "a")));
        let again = Page::new(vec![rec("a", Some(2))]);
        let err = check_page(&again, SyncMode::Incremental, &mut last).expect_err("repeat");
        assert!(err.contains("ascending"), "{err}");
        let mut last = None;
        let back = Page::new(vec![rec("b", Some(1)), rec("a", Some(1))]);
        assert!(check_page(&back, SyncMode::Incremental, &mut last).is_err());
    }

    #[test]
    fn records_need_an_id_and_incremental_ones_a_time() {
        let mut last = None;
        let no_id = Page::new(vec![rec("", Some(1))]);
        assert!(check_page(&no_id, SyncMode::Full, &mut last).is_err());
        let no_time = Page::new(vec![rec("a", None)]);
        assert!(check_page(&no_time, SyncMode::Incremental, &mut last).is_err());
        assert!(check_page(&no_time, SyncMode::Full, &mut last).is_ok());
        let unordered = Page::new(vec![rec("b", None), rec("a", None), rec("b", None)]);
        assert!(check_page(&unordered, SyncMode::Full, &mut last).is_ok());
    }

    #[test]
    fn excerpts_cut_on_characters() {
        let long = "销".repeat(200);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), 121);
    }
}
