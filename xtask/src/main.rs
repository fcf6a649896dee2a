//! Repository chores, run as `cargo xtask <command>` (see `.cargo/config.toml`).

mod codegen;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Repository chores for the CRM SDK workspace")]
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
}

fn repo_root() -> PathBuf {
    // xtask lives one level below the workspace root.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = repo_root();
    match cli.command {
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
    }
}
