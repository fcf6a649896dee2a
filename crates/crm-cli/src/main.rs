//! `crm`: look at and export CRM data of 纷享销客 Fxiaoke, 有逸 useasy and 用友 Yonyou U8 from the
//! command line, built on the `fxiaoke-crm`, `openapi-crm` and `u8-contacts` clients.
//!
//! ```text
//! crm demo                                            # all three vendors against embedded mocks
//! crm fxiaoke query PaymentObj --filter 'payment_amount GTE 100' > payments.jsonl
//! crm useasy customers list --search 'openSeaIds empty' --format csv
//! crm u8 contacts list --ccuscode 0215 --format table
//! crm --mock fxiaoke get PaymentObj <ID>              # any command against the vendor's mock
//! ```
//!
//! Modules: [`cli`] (the command line), [`clients`] (configuration and mocks), [`output`]
//! (formats and progress), [`error`] (exit codes), one module per vendor, [`sync`] (the
//! three `sync` commands, over `crm-sync`), [`demo`].

// The doc comments of the clap types are the command's `--help` text, written for a terminal
// (`[default: https://…]`, `<OBJECT>.json`, `HOST[:PORT]`), not for rustdoc.
#![allow(
    rustdoc::broken_intra_doc_links,
    rustdoc::bare_urls,
    rustdoc::invalid_html_tags
)]

mod cli;
mod clients;
mod codegen;
mod demo;
mod error;
mod fxiaoke;
mod output;
mod schema;
mod sync;
mod u8;
mod useasy;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{
    Cli, Command, ContactsCommand, CustomersCommand, FxiaokeCommand, U8Command, UseasyCommand,
};
use crate::clients::Settings;
use crate::error::{CliError, CliResult};
use crate::output::{Format, Progress, Sink};

fn main() -> ExitCode {
    // Usage errors exit with 2, `--help` and `--version` with 0 (clap's defaults).
    let cli = Cli::parse();
    init_logging(cli.verbose);
    // Against a vendor one thread does all the work (the stream's fetch task, the HTTP
    // connection and the writer take turns on it, with no page handed across threads: about a
    // tenth less CPU per exported record); with `--mock` and in the demo the embedded mock
    // server runs in this runtime too and gets a second thread.
    let runs_a_mock = cli.mock || matches!(cli.command, Command::Demo);
    let runtime = if runs_a_mock {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            return fail(&CliError::internal(format!(
                "cannot start the async runtime: {e}"
            )));
        }
    };
    // As a task, not on this thread: with `--mock` an export's consumer then wakes up on the
    // worker where the stream's fetch task and the HTTP connection run, instead of being
    // handed every page across threads; a panic becomes an error either way.
    let result = runtime.block_on(async {
        tokio::spawn(run(cli))
            .await
            .unwrap_or_else(|e| Err(CliError::internal(format!("the command stopped: {e}"))))
    });
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Prints the error line and returns its exit code. A closed stdout (`crm ... | head`) is not
/// an error.
fn fail(e: &CliError) -> ExitCode {
    if e.exit == error::Exit::Success {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {}", crm_runtime::scrub(&e.to_string()));
    e.exit_code()
}

/// `-v` info, `-vv` debug, `-vvv` trace, to stderr; nothing without `-v`.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(|| ScrubbedStderr)
        .try_init();
}

/// stderr for log lines, with every secret the process knows (credentials, issued tokens,
/// recent signatures) replaced: a vendor that echoes one into a body or message logged at any
/// level never gets it printed. Each log event arrives in one write.
struct ScrubbedStderr;

impl Write for ScrubbedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(crm_runtime::scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Runs one command.
async fn run(cli: Cli) -> CliResult {
    let settings = Settings {
        mock: cli.mock,
        mock_records: cli.mock_records,
        record: cli.record.clone(),
        retries: cli.retries,
        no_rate_limits: cli.no_rate_limits,
    };
    let progress = Progress::wanted(cli.no_progress);
    let format = Format::resolve(cli.format);
    // Syncs print summary lines unless a format is asked for, so they run before a sink
    // exists.
    let sync_output = sync::Output::new(cli.format, cli.no_progress);
    match cli.command {
        Command::Fxiaoke(args) if matches!(args.command, FxiaokeCommand::Sync(_)) => {
            sync::fxiaoke(args, &settings, sync_output).await
        }
        Command::Useasy(args)
            if matches!(
                args.command,
                UseasyCommand::Customers(CustomersCommand::Sync(_))
            ) =>
        {
            sync::useasy(args, &settings, sync_output).await
        }
        Command::U8(args)
            if matches!(args.command, U8Command::Contacts(ContactsCommand::Sync(_))) =>
        {
            sync::u8(args, &settings, sync_output).await
        }
        Command::Demo => demo::run(&settings).await,
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics on a write error (e.g. a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "crm", &mut script);
            let mut out = std::io::stdout().lock();
            out.write_all(&script)?;
            out.flush()?;
            Ok(())
        }
        Command::Codegen(args) => codegen::run(&args),
        Command::Fxiaoke(args) => {
            let mut sink = Sink::new(format);
            fxiaoke::run(args, &settings, &mut sink, progress).await?;
            sink.finish()
        }
        Command::Useasy(args) => {
            let mut sink = Sink::new(format);
            useasy::run(args, &settings, &mut sink, progress).await?;
            sink.finish()
        }
        Command::U8(args) => {
            let mut sink = Sink::new(format);
            u8::run(args, &settings, &mut sink, progress).await?;
            sink.finish()
        }
    }
}
