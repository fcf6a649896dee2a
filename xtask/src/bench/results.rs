//! What a run measured: written to `BENCHMARKS.json` and rendered into `BENCHMARKS.md`.

use super::*;

#[derive(Serialize, Deserialize)]
pub(super) struct Machine {
    pub(super) date: String,
    pub(super) cpu: String,
    pub(super) cores: usize,
    pub(super) memory: String,
    pub(super) rustc: String,
    pub(super) kernel: String,
    pub(super) load: String,
}

#[derive(Serialize, Deserialize)]
pub(super) struct DecodeRow {
    pub(super) group: String,
    pub(super) variant: String,
    pub(super) bytes: u64,
    /// Median time per page of the interleaved measurement: the figure the comparisons use.
    pub(super) median_ns: f64,
    pub(super) p25_ns: f64,
    pub(super) p75_ns: f64,
    pub(super) rounds: u64,
    /// Criterion's own median (measured variant after variant), for reference.
    pub(super) criterion_ns: Option<f64>,
}

impl DecodeRow {
    pub(super) fn mb_per_s(&self) -> f64 {
        self.bytes as f64 * 1e3 / self.median_ns
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub(super) struct ExportRun {
    pub(super) backend: String,
    pub(super) client: String,
    pub(super) records: u64,
    pub(super) secs: f64,
    pub(super) records_per_sec: f64,
    pub(super) hwm_kib: u64,
    pub(super) ordered: bool,
    /// Query calls, where the client counts them.
    pub(super) calls: Option<u64>,
}

/// One child process of the CLI export benchmark.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct CpuRun {
    /// `cli` or `python`.
    pub(super) client: String,
    pub(super) records: u64,
    /// User + system CPU time of the child (and anything it waited for).
    pub(super) cpu_secs: f64,
    pub(super) wall_secs: f64,
}

impl CpuRun {
    pub(super) fn us_per_record(&self) -> f64 {
        self.cpu_secs * 1e6 / self.records.max(1) as f64
    }
}

#[derive(Default, Serialize, Deserialize)]
pub(super) struct CliCpu {
    pub(super) runs: Vec<CpuRun>,
    /// Why the Python exporter did not run (no `python3`).
    pub(super) python_missing: Option<String>,
    /// The resolution of the CPU times (one clock tick), in seconds.
    pub(super) tick_secs: f64,
    pub(super) error: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct RateRow {
    pub(super) vendor: String,
    pub(super) max_calls: u64,
    pub(super) window_secs: f64,
    pub(super) secs: f64,
    pub(super) requests: u64,
    pub(super) records: u64,
    pub(super) allowed_rate: f64,
    pub(super) achieved_rate: f64,
    pub(super) fraction: f64,
    pub(super) limit_errors: u64,
    pub(super) client_errors: u64,
}

#[derive(Serialize, Deserialize)]
pub(super) struct BuildRow {
    pub(super) what: String,
    pub(super) command: String,
    pub(super) secs: Option<f64>,
    pub(super) note: String,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Report {
    pub(super) machine: Option<Machine>,
    pub(super) quick: bool,
    pub(super) decode: Vec<DecodeRow>,
    pub(super) decode_error: Option<String>,
    pub(super) export: Vec<ExportRun>,
    pub(super) export_error: Option<String>,
    pub(super) mock_server_hwm_kib: Option<u64>,
    /// The JSON size of the records the mock held (its `records_json_bytes`).
    pub(super) mock_records_json_bytes: Option<u64>,
    pub(super) memory: Vec<ExportRun>,
    pub(super) memory_error: Option<String>,
    pub(super) rate: Vec<RateRow>,
    pub(super) rate_error: Option<String>,
    /// The ordered export and its unordered baseline (clients `keyset` and `keyset-id`).
    pub(super) ordered: Vec<ExportRun>,
    pub(super) ordered_error: Option<String>,
    /// The CLI's CPU time per exported record against the Python exporter's.
    pub(super) cli: CliCpu,
    pub(super) sync: SyncReport,
    pub(super) build: Vec<BuildRow>,
    pub(super) build_skipped: bool,
    pub(super) build_load: Option<(String, String)>,
    /// Seconds since the run started, as of the last time the report was saved.
    pub(super) run_secs: Option<f64>,
}

/// One run of `crm-bench sync` or `crm-bench sync-memory`.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct SyncRow {
    pub(super) database: String,
    pub(super) source: String,
    pub(super) case: String,
    pub(super) records: u64,
    pub(super) secs: f64,
    pub(super) records_per_sec: f64,
    pub(super) vendor_calls: u64,
}

/// `crm-bench sync-calls`.
#[derive(Serialize, Deserialize)]
pub(super) struct SyncCalls {
    pub(super) records: u64,
    pub(super) changed: u64,
    pub(super) page_size: u64,
    pub(super) first_sync: u64,
    pub(super) incremental: u64,
    pub(super) incremental_records: u64,
    pub(super) full_export: u64,
    pub(super) full_pass: u64,
}

/// Everything the sync section measured.
#[derive(Default, Serialize, Deserialize)]
pub(super) struct SyncReport {
    pub(super) runs: Vec<SyncRow>,
    /// The keyset exports of the same records (`crm-bench export --client keyset`).
    pub(super) exports: Vec<ExportRun>,
    pub(super) calls: Option<SyncCalls>,
    /// Databases that could not be measured, and why (e.g. no PostgreSQL installed).
    pub(super) skipped: Vec<String>,
    pub(super) error: Option<String>,
}
