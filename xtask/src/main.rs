//! Repository chores, run as `cargo xtask <command>` (see `.cargo/config.toml`), one module per
//! job, as rust-analyzer's xtask does:
//!
//! | job | module |
//! |---|---|
//! | `codegen [--check]` | [`codegen`]: a thin caller of the `crm-codegen` library |
//! | `drift [--suggest]` | [`drift`] (with `drift::patch` for the suggested JSON Patches) |
//! | `fixtures add` | [`fixtures`] |
//! | `bench` | [`mod@bench`] |
//!
//! Shared: [`workspace`] (the repository root and its vendor crates), [`recording`] (reading
//! recorded exchanges, for drift and fixtures) and, in tests, `testing`.

// The doc comments of the clap types are the commands' `--help` text (`crates/<vendor>/…`),
// written for a terminal, not for rustdoc.
#![allow(rustdoc::invalid_html_tags)]

mod bench;
mod codegen;
mod drift;
mod fixtures;
mod recording;
#[cfg(test)]
mod testing;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Repository chores for the CRM SDK workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate crates/<vendor>/src/generated/ from schemas/.
    Codegen {
        /// Write nothing; exit 1 and name each stale file if the generated code is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Compare recorded exchanges with schemas/ (exit 0: no drift, 1: drift, 2: error).
    ///
    /// Reads the files written by a client's `.with_record_dir(dir)`, `TransportConfig::from_env` with `CRM_RECORD_DIR=dir`, or
    /// `crm --record dir`, and reports unknown fields, type mismatches, new enum values and
    /// missing required fields, one table row per (file, path, kind).
    Drift {
        /// Recording files, or folders (walked for `*.json` recordings).
        #[arg(required = true, value_name = "FILE_OR_DIR")]
        paths: Vec<PathBuf>,
        /// Also print, per schema file, a JSON Patch (RFC 6902) that would absorb the drift.
        #[arg(long)]
        suggest: bool,
        /// With --suggest: also write each patch to DIR/<vendor>/<schema>.patch.json.
        #[arg(long, value_name = "DIR", requires = "suggest")]
        patch_dir: Option<PathBuf>,
        /// Print the findings as JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Manage fixtures/ (the vendor examples the fixture tests check).
    Fixtures {
        #[command(subcommand)]
        command: FixturesCommand,
    },
    /// Run the benchmarks of crates/crm-bench: measurements to BENCHMARKS.json, rendered into
    /// BENCHMARKS.md.
    ///
    /// Decode speed (criterion), export throughput, memory, rate-limited sync and build cost,
    /// each against its baseline in the same run. The clean builds take 10+ minutes on 2 cores.
    Bench {
        /// Smaller exports and shorter measurements (a few minutes).
        #[arg(long)]
        quick: bool,
        /// Leave out the clean builds of the build-cost section.
        #[arg(long)]
        skip_build_cost: bool,
        /// Measure nothing: render BENCHMARKS.md again from the last run's BENCHMARKS.json.
        #[arg(long, conflicts_with_all = ["quick", "skip_build_cost"])]
        render: bool,
    },
}

#[derive(Subcommand)]
enum FixturesCommand {
    /// Write a recorded body as a fixture and list it in fixtures/<vendor>/index.json.
    ///
    /// Writes fixtures/<vendor>/<name>.<direction>.json (a U8 request: <name>.request.query);
    /// never overwrites.
    Add {
        /// The recording (one JSON file written by the recorder).
        recording: PathBuf,
        /// Fixture name: lowercase words joined by hyphens (e.g. `query-payment-custom-field`).
        #[arg(long)]
        name: String,
        /// Which body to write.
        #[arg(long, value_enum, default_value_t = DirectionArg::Response)]
        direction: DirectionArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DirectionArg {
    Request,
    Response,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace::repo_root();
    match cli.command {
        Command::Bench {
            quick,
            skip_build_cost,
            render,
        } => run_bench(&root, quick, skip_build_cost, render),
        Command::Codegen { check } => {
            let started = Instant::now();
            match codegen::run(&root, check) {
                Ok(stale) if stale.is_empty() => {
                    eprintln!(
                        "codegen: generated code is up to date ({:.2}s)",
                        started.elapsed().as_secs_f64()
                    );
                    ExitCode::SUCCESS
                }
                Ok(stale) if check => {
                    for f in &stale {
                        eprintln!("stale: {}", f.display());
                    }
                    eprintln!(
                        "error: {} generated file(s) are out of date with schemas/; run `cargo xtask codegen` and commit the result",
                        stale.len()
                    );
                    ExitCode::FAILURE
                }
                Ok(stale) => {
                    for f in &stale {
                        eprintln!("wrote {}", f.display());
                    }
                    eprintln!(
                        "codegen: {} file(s) updated ({:.2}s)",
                        stale.len(),
                        started.elapsed().as_secs_f64()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Drift {
            paths,
            suggest,
            patch_dir,
            json,
        } => run_drift(&root, &paths, suggest, patch_dir.as_deref(), json),
        Command::Fixtures {
            command:
                FixturesCommand::Add {
                    recording,
                    name,
                    direction,
                },
        } => {
            let direction = match direction {
                DirectionArg::Request => drift::Direction::Request,
                DirectionArg::Response => drift::Direction::Response,
            };
            match fixtures::add(&root, &recording, &name, direction) {
                Ok(added) => {
                    println!("wrote {}", added.file.display());
                    println!("appended to {}:\n{}", added.index.display(), added.entry);
                    if added.drift > 0 {
                        eprintln!(
                            "warning: the recorded {} drifts from the schema ({} finding(s)); the fixture test fails until the schema absorbs it: cargo xtask drift --suggest {}",
                            direction.as_str(),
                            added.drift,
                            recording.display()
                        );
                    }
                    println!("next:");
                    println!(
                        "  cargo test -p {} --test fixtures   (fails: the new fixture has no snapshot yet)",
                        added.crate_name
                    );
                    println!(
                        "  INSTA_UPDATE=always cargo test -p {} --test fixtures   or   cargo insta review",
                        added.crate_name
                    );
                    println!(
                        "  then add the file to the fixture list in fixtures/README.md and commit the fixture, index and snapshot"
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn run_drift(
    root: &std::path::Path,
    paths: &[PathBuf],
    suggest: bool,
    patch_dir: Option<&std::path::Path>,
    json: bool,
) -> ExitCode {
    let report = match drift::run(root, paths) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    for n in &report.notes {
        eprintln!("note: {n}");
    }
    if json {
        for f in &report.findings {
            println!("{}", f.to_json());
        }
    } else if !report.findings.is_empty() {
        print!("{}", drift::render_table(&report.findings));
    }
    if suggest && !report.findings.is_empty() {
        let suggestions = match drift::patch::suggest(root, &report.findings, &report.observations)
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e:#}");
                return ExitCode::from(2);
            }
        };
        for n in &suggestions.notes {
            eprintln!("note: not patched: {n}");
        }
        for p in &suggestions.patches {
            let text = drift::patch::to_pretty(&Value::Array(p.ops.clone()));
            if json {
                println!(
                    "{}",
                    serde_json::json!({"patch": {"file": p.file, "ops": p.ops}})
                );
            } else {
                println!(
                    "\n# JSON Patch for {} ({} operation(s))",
                    p.file,
                    p.ops.len()
                );
                println!("{text}");
            }
            if let Some(dir) = patch_dir {
                let rel = p.file.strip_prefix("schemas/").unwrap_or(&p.file);
                let out = dir.join(rel.replace(".json", ".patch.json"));
                let written = out
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(&out, text + "\n"));
                match written {
                    Ok(()) => eprintln!("wrote {}", out.display()),
                    Err(e) => {
                        eprintln!("error: cannot write {}: {e}", out.display());
                        return ExitCode::from(2);
                    }
                }
            }
        }
    }
    let summary = drift::summary(&report);
    if json {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_bench(root: &std::path::Path, quick: bool, skip_build_cost: bool, render: bool) -> ExitCode {
    let written = if render {
        bench::render_saved(root)
    } else {
        bench::run(
            root,
            bench::Options {
                quick,
                skip_build_cost,
            },
        )
    };
    match written {
        Ok(path) => {
            eprintln!("bench: wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
