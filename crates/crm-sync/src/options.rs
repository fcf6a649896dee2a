//! How a run is asked for, and what it reports.

use std::fmt;
use std::time::Duration;

use crate::source::{Cursor, Vendor};

/// The default `lookback`: each incremental run re-reads the ten minutes before its cursor.
pub const DEFAULT_LOOKBACK: Duration = Duration::from_secs(10 * 60);

/// Options of one sync run. Start from [`SyncOptions::default`] and change what differs.
///
/// ```
/// use std::time::Duration;
/// let options = crm_sync::SyncOptions::default()
///     .with_full(true)
///     .with_lookback(Duration::from_secs(60));
/// assert!(options.full && !options.dry_run);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncOptions {
    /// Make a full pass even if the source is incremental (`--full`): needed to see
    /// deletions in Fxiaoke, whose incremental reads never return deleted records.
    pub full: bool,
    /// How far before the stored cursor an incremental run starts reading (`--lookback`),
    /// to catch changes committed late with a modification time below the cursor.
    /// Re-reading is harmless: records are upserted by key. Default [`DEFAULT_LOOKBACK`].
    pub lookback: Duration,
    /// Count only (`--dry-run`): read the source and classify each record against the
    /// store, but write nothing: no record, cursor, run row or lock.
    pub dry_run: bool,
    /// How long to wait for another sync of the same object to finish before failing with
    /// [`Error::Busy`](crate::Error::Busy). Default zero: fail at once.
    pub lock_wait: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            full: false,
            lookback: DEFAULT_LOOKBACK,
            dry_run: false,
            lock_wait: Duration::ZERO,
        }
    }
}

impl SyncOptions {
    /// Sets [`SyncOptions::full`].
    pub fn with_full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }

    /// Sets [`SyncOptions::lookback`].
    pub fn with_lookback(mut self, lookback: Duration) -> Self {
        self.lookback = lookback;
        self
    }

    /// Sets [`SyncOptions::dry_run`].
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Sets [`SyncOptions::lock_wait`].
    pub fn with_lock_wait(mut self, lock_wait: Duration) -> Self {
        self.lock_wait = lock_wait;
        self
    }
}

/// What kind of read a run made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyncMode {
    /// A keyset read from the stored cursor minus the lookback; marks nothing deleted.
    Incremental,
    /// A full pass; once it ends normally, records not seen are marked deleted.
    Full,
}

impl SyncMode {
    /// The name stored in `crm_sync_runs.mode`: `incremental` or `full`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SyncMode::Incremental => "incremental",
            SyncMode::Full => "full",
        }
    }
}

impl fmt::Display for SyncMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one run did, returned by [`Store::sync`](crate::Store::sync); its [`counts`](Self::counts)
/// are also stored in `crm_sync_runs` (read back as [`SyncRun::counts`](crate::SyncRun::counts)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncSummary {
    /// The vendor.
    pub vendor: Vendor,
    /// The object.
    pub object: String,
    /// The kind of read.
    pub mode: SyncMode,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The id of the run's row in `crm_sync_runs` (`None` for a dry run).
    pub run_id: Option<i64>,
    /// Pages, records and vendor calls of the run.
    pub counts: RunCounts,
    /// Earlier runs of this object found interrupted (`running` with no live process) and
    /// marked `abandoned` by this run.
    pub abandoned_runs: u64,
    /// The cursor stored after the run (incremental sources only).
    pub cursor: Option<Cursor>,
    /// Wall time of the run.
    pub elapsed: std::time::Duration,
}

impl SyncSummary {
    /// [`SyncSummary::elapsed`] in seconds.
    pub fn seconds(&self) -> f64 {
        self.elapsed.as_secs_f64()
    }
}

impl fmt::Display for SyncSummary {
    /// One line: `fxiaoke AccountObj: fetched 120, inserted 3, updated 2, unchanged 115,
    /// marked deleted 0, vendor calls 2, 0.8 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: fetched {}, inserted {}, updated {}, unchanged {}, marked deleted {}, vendor calls {}, {:.1} s",
            self.vendor,
            self.object,
            self.counts.fetched,
            self.counts.inserted,
            self.counts.updated,
            self.counts.unchanged,
            self.counts.marked_deleted,
            self.counts.vendor_calls,
            self.seconds()
        )?;
        if self.dry_run {
            f.write_str(" (dry run: nothing written)")?;
        }
        Ok(())
    }
}

/// Where a run stands, reported after each page to the callback of
/// [`Store::sync_with_progress`](crate::Store::sync_with_progress).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// The run's counts so far (`marked_deleted` stays 0 until the run ends).
    pub counts: RunCounts,
    /// The vendor's total for the read, if the last page carried one.
    pub total: Option<u64>,
    /// Time since the run started.
    pub elapsed: std::time::Duration,
}

/// The counts of one run: in [`SyncSummary`], in [`Progress`] while it runs, and in its row
/// of `crm_sync_runs` ([`SyncRun`](crate::SyncRun)).
///
/// Every fetched record is counted once as inserted, updated or unchanged. A record that
/// was marked deleted and comes back counts as updated (its flag is cleared). A record read
/// twice in one run (the lookback, or an edit during the run) is counted each time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunCounts {
    /// Pages read (and stored, unless a dry run).
    pub pages: u64,
    /// Records read from the source.
    pub fetched: u64,
    /// Records not in the store before.
    pub inserted: u64,
    /// Records whose JSON value or modification time changed, or that were marked deleted.
    pub updated: u64,
    /// Records equal by value to the stored copy (only `last_synced_at` is touched).
    pub unchanged: u64,
    /// Records marked deleted because a completed full pass did not see them.
    pub marked_deleted: u64,
    /// Calls the source made to the vendor during the run.
    pub vendor_calls: u64,
}
