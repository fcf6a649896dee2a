//! `cargo xtask bench [--quick] [--skip-build-cost]`: runs every benchmark of `crates/crm-bench`,
//! writes what it measured to `BENCHMARKS.json` ([`mod@results`]) and renders `BENCHMARKS.md` from
//! that file alone ([`mod@render`]); both are rewritten after each section, so an interrupted run
//! still leaves the figures measured so far. `cargo xtask bench --render` renders the page again
//! from the last run's file, measuring nothing (after a change of a target or of the wording).
//!
//! One module per section: [`mod@decode`], [`mod@export`] (the `crm-bench` binary's exports, CLI CPU,
//! memory, rate limits), [`mod@sync`], [`mod@build`]; [`mod@machine`] describes where it ran.
//!
//! 1. Decode: `cargo bench -p crm-bench --bench decode` (criterion); the estimates are read
//!    from `<target>/criterion/<group>/<variant>/new/{estimates,benchmark}.json`.
//! 2. Export throughput: `crm-bench serve` (the embedded Fxiaoke mock, or the synthetic server,
//!    in its own process) and `crm-bench export --client sdk|naive` against it; then the CPU
//!    time of the release `crm` binary exporting [`CLI_RECORDS`] records from the synthetic
//!    server as JSON lines, against a Python exporter (`crates/crm-bench/python/export.py`),
//!    each a child process whose CPU time is read from `/proc/self/stat` (see [`cli_cpu`]).
//! 3. Memory: peak RSS (`VmHWM`) of the exporting process at two export sizes, 10× apart.
//! 4. Rate-limited sync: `crm-bench ratelimit --vendor fxiaoke|useasy`.
//! 5. Sync into a database: `crm-bench serve --backend synthetic-sync`, then `crm-bench
//!    export --client keyset` and `crm-bench sync --database sqlite|postgres` against it,
//!    `crm-bench sync-memory` (the store alone) and `crm-bench sync-calls` (the calls of an
//!    incremental run vs a full re-export, on the embedded mock). See [`sync_bench`].
//! 6. Build cost: clean builds in a separate `CARGO_TARGET_DIR` under the system temp folder
//!    (the shared `target/` is untouched), and the codegen run time.

mod build;
mod decode;
mod export;
mod machine;
mod render;
mod results;
mod sync;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use build::*;
use decode::*;
use export::*;
use machine::*;
use render::*;
use results::*;
use sync::*;

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Smaller sizes and shorter measurements (a few minutes instead of half an hour).
    pub quick: bool,
    /// Leave out the clean builds (the slowest part).
    pub skip_build_cost: bool,
}

/// Export sizes and durations of one run.
struct Sizes {
    /// Records of the embedded mock's export (the streaming target is set for 1,000,000).
    export_mock: usize,
    export_synthetic: usize,
    mock_rounds: usize,
    memory_small: usize,
    memory_large: usize,
    rounds: usize,
    rate_secs: u32,
    decode_rounds: usize,
    criterion: &'static [&'static str],
    /// Records of the sync benchmark's server (and of its in-memory source).
    sync_records: usize,
    /// Rounds of the sync benchmark (export, SQLite, PostgreSQL); the best of each counts.
    sync_rounds: usize,
    /// Records of the ordered export (with [`ORDERED_DISTINCT_VALUES`] order values).
    ordered_records: usize,
}

impl Sizes {
    fn of(quick: bool) -> Self {
        if quick {
            Self {
                export_mock: 100_000,
                export_synthetic: 50_000,
                mock_rounds: 2,
                memory_small: 50_000,
                memory_large: 500_000,
                rounds: 3,
                rate_secs: 8,
                decode_rounds: 100,
                criterion: &[
                    "--warm-up-time",
                    "1",
                    "--measurement-time",
                    "2",
                    "--sample-size",
                    "30",
                ],
                sync_records: 20_000,
                sync_rounds: 2,
                ordered_records: 20_000,
            }
        } else {
            Self {
                export_mock: 1_000_000,
                export_synthetic: 100_000,
                mock_rounds: 2,
                memory_small: 100_000,
                memory_large: 1_000_000,
                rounds: 3,
                rate_secs: 20,
                decode_rounds: 300,
                criterion: &["--warm-up-time", "1", "--measurement-time", "3"],
                sync_records: 100_000,
                sync_rounds: 2,
                ordered_records: 100_000,
            }
        }
    }
}

/// Runs the benchmarks and writes `BENCHMARKS.md`; returns its path.
pub fn run(root: &Path, options: Options) -> Result<PathBuf> {
    let sizes = Sizes::of(options.quick);
    let out = Outputs::of(root);
    let started = Instant::now();
    let target = target_dir(root);
    let mut report = Report {
        machine: Some(machine()),
        quick: options.quick,
        build_skipped: options.skip_build_cost,
        ..Report::default()
    };

    out.stage(
        &mut report,
        started,
        "decode (criterion)",
        |r| &mut r.decode_error,
        |r| decode(root, &target, &sizes, r),
    )?;

    step("building crm-bench (release)");
    let bin = build_bench_bin(root, &target)?;

    // Each stage after the build; a failed one is kept in the report and the run goes on.
    type Stage<'a> = (
        &'a str,
        fn(&mut Report) -> &mut Option<String>,
        &'a dyn Fn(&mut Report) -> Result<()>,
    );
    let stages: [Stage<'_>; 6] = [
        ("export throughput", |r| &mut r.export_error, &|r| {
            export(&bin, &sizes, r)
        }),
        ("CLI export CPU", |r| &mut r.cli.error, &|r| {
            cli_cpu(root, &target, &bin, r)
        }),
        ("ordered export", |r| &mut r.ordered_error, &|r| {
            ordered_export(&bin, &sizes, r)
        }),
        ("memory", |r| &mut r.memory_error, &|r| {
            memory(&bin, &sizes, r)
        }),
        ("rate-limited sync", |r| &mut r.rate_error, &|r| {
            rate_limited(&bin, &sizes, r)
        }),
        ("sync into a database", |r| &mut r.sync.error, &|r| {
            sync_bench(&bin, &sizes, r)
        }),
    ];
    for (name, error, run) in stages {
        out.stage(&mut report, started, name, error, run)?;
    }

    if !options.skip_build_cost {
        step("build cost (clean builds; slow)");
        build_cost(root, &mut report);
        out.save(&mut report, started)?;
    }
    Ok(out.markdown)
}

fn step(name: &str) {
    eprintln!("bench: {name} ...");
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Where a run keeps its measurements and renders them.
struct Outputs {
    /// `BENCHMARKS.json`: every measurement of the run, the input of [`render()`].
    measurements: PathBuf,
    /// `BENCHMARKS.md`: rendered from the measurements alone.
    markdown: PathBuf,
}

impl Outputs {
    fn of(root: &Path) -> Self {
        Self {
            measurements: root.join("BENCHMARKS.json"),
            markdown: root.join("BENCHMARKS.md"),
        }
    }

    /// Writes the measurements so far, then renders `BENCHMARKS.md` from what was written (so
    /// the page never shows anything the JSON file does not hold).
    fn save(&self, report: &mut Report, started: Instant) -> Result<()> {
        report.run_secs = Some(started.elapsed().as_secs_f64());
        let json = serde_json::to_string_pretty(report).context("encoding the measurements")?;
        std::fs::write(
            &self.measurements,
            json + "
",
        )
        .with_context(|| format!("writing {}", self.measurements.display()))?;
        self.render()
    }

    /// Runs one stage of the benchmarks: a failure is reported and kept in the report (in the
    /// field `error` picks) instead of ending the run; the measurements so far are saved
    /// either way.
    fn stage(
        &self,
        report: &mut Report,
        started: Instant,
        name: &str,
        error: fn(&mut Report) -> &mut Option<String>,
        run: impl FnOnce(&mut Report) -> Result<()>,
    ) -> Result<()> {
        step(name);
        if let Err(e) = run(report) {
            eprintln!("bench: {name} failed: {e:#}");
            *error(report) = Some(format!("{e:#}"));
        }
        self.save(report, started)
    }

    /// Renders `BENCHMARKS.md` from `BENCHMARKS.json`.
    fn render(&self) -> Result<()> {
        let json = std::fs::read_to_string(&self.measurements)
            .with_context(|| format!("reading {}", self.measurements.display()))?;
        let report: Report = serde_json::from_str(&json).with_context(|| {
            format!("{} is not a benchmark report", self.measurements.display())
        })?;
        std::fs::write(&self.markdown, render(&report))
            .with_context(|| format!("writing {}", self.markdown.display()))
    }
}

/// Renders `BENCHMARKS.md` again from the measurements of the last run (`BENCHMARKS.json`),
/// e.g. after a change of the targets or the wording; returns its path.
pub fn render_saved(root: &Path) -> Result<PathBuf> {
    let out = Outputs::of(root);
    out.render()?;
    Ok(out.markdown)
}
