//! `crm fxiaoke sync`, `crm useasy customers sync`, `crm u8 contacts sync`: keep a copy of
//! CRM records in a database. A thin layer over `crm-sync`: the vendor sources
//! (`crm_sync::vendors`), the store and the engine live there; this module parses the
//! options, shows progress and prints one summary per object.
//!
//! # Output
//!
//! - **stdout**: one line per object once its sync ends, the `crm-sync` summary
//!   (`fxiaoke AccountObj: fetched 120, inserted 3, updated 2, unchanged 115, marked deleted
//!   0, vendor calls 3, 0.8 s`). With an explicit `--format`, one record per object instead,
//!   in that format (fields `vendor`, `object`, `mode`, `dry_run`, `fetched`, `inserted`,
//!   `updated`, `unchanged`, `marked_deleted`, `vendor_calls`, `seconds`, `pages`, `run_id`,
//!   `cursor_modified_at`, `cursor_id`).
//! - **stderr**: a progress spinner while a sync runs (when stderr is a terminal and
//!   `--no-progress` is absent), and the error line if one fails.
//!
//! Several Fxiaoke objects are synced one after another; the first that fails stops the
//! command (the objects before it are stored and reported).
//!
//! # Exit codes
//!
//! As for every command: 0 success; 2 usage (no `--into` and no `CRM_DATABASE_URL`, a bad
//! duration); 3 configuration (missing credentials, a database URL that cannot be used, a
//! database migrated by a newer `crm`) or authentication; 4 the vendor answered with an error
//! or sent a record the sync refuses; 5 the vendor could not be reached; **1 the database
//! failed** (cannot connect, cannot write, lock file not writable) **or another sync of the
//! same object holds its lock** (use `--wait`). A database URL is never printed with its
//! password.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::Args;
use crm_sync::vendors::{FxiaokeObject, U8Contacts, UseasyCustomers};
use crm_sync::{Source, Store, SyncOptions, SyncSummary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde_json::json;

use crate::cli::{
    ContactsCommand, CustomersCommand, FxiaokeArgs, FxiaokeCommand, U8Args, U8Command, UseasyArgs,
    UseasyCommand,
};
use crate::clients::{self, Settings};
use crate::error::{CliError, CliResult, Exit, classify};
use crate::output::{Format, Sink};

/// The variable `--into` falls back to.
pub const DATABASE_ENV: &str = "CRM_DATABASE_URL";

/// `--into` and the options every sync command shares.
#[derive(Clone, Debug, Args)]
pub struct DatabaseArgs {
    /// The database to keep the copy in: a SQLite file (created if absent), sqlite://PATH, or
    /// postgres://USER:PASSWORD@HOST[:PORT]/DB (the tables are created on first use).
    #[arg(
        long,
        env = DATABASE_ENV,
        value_name = "DATABASE",
        hide_env_values = true
    )]
    pub into: String,
    /// Read everything and count what would be inserted, updated, left unchanged and marked
    /// deleted; write nothing (the database and its tables are still created if absent).
    #[arg(long)]
    pub dry_run: bool,
    /// Wait up to DURATION for another sync of the same object to finish instead of failing
    /// at once (e.g. 30s, 10m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,
}

/// The long help of `crm fxiaoke sync`.
pub const FX_SYNC_ABOUT: &str =
    "Keep a copy of Fxiaoke objects in your database (SQLite or PostgreSQL).

The first run reads every record; later runs read only the records changed since the last \
stored one, by (last_modified_time, _id), re-reading --lookback before it to catch \
late-committed changes. Exactly one row per record; a sync killed at any moment resumes where \
it stopped. Incremental runs cannot see records deleted physically: --full reads every _id and \
marks the records it did not see as deleted (a voided record arrives as a change, with \
life_status \"invalid\").";

/// The examples and exit codes after the help of `crm fxiaoke sync`.
pub const FX_SYNC_AFTER: &str = "Examples:
  crm fxiaoke sync AccountObj PaymentObj object_x__c --into crm.db   # the first sync and every later one
  crm fxiaoke sync AccountObj --into postgres://crm@db/crm --full     # also mark deleted records

One summary line per object on stdout. Exit codes: 0 ok, 1 the database failed or the object is \
being synced already, 2 usage, 3 configuration, authentication or a database URL that cannot \
be used, 4 vendor API error, 5 network.";

/// The long help of `crm useasy customers sync` and `crm u8 contacts sync`.
pub const FULL_SYNC_ABOUT: &str = "Keep a copy in your database (SQLite or PostgreSQL).

The API has no modified-since filter, so every run is a full pass: it inserts new records, \
updates changed ones (their JSON compared by value), touches unchanged ones only in \
last_synced_at, and marks the records it did not see as deleted (rows are never removed; a \
record that comes back clears its flag). Exactly one row per record; a sync killed at any \
moment leaves whole pages, and the next run starts its pass again.";

/// The exit codes after the help of `crm useasy customers sync` and `crm u8 contacts sync`.
pub const FULL_SYNC_AFTER: &str = "One summary line on stdout. Exit codes: 0 ok, 1 the database \
failed or a sync of the same object is running, 2 usage, 3 configuration, authentication or a \
database URL that cannot be used, 4 vendor API error, 5 network.";

/// `crm fxiaoke sync`.
#[derive(Clone, Debug, Args)]
pub struct FxSyncArgs {
    /// The objects' API names (AccountObj, PaymentObj, object_x__c, ...), synced one after
    /// another.
    #[arg(required = true, num_args = 1.., value_name = "OBJECT")]
    pub objects: Vec<String>,
    /// The database and shared options.
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Make a full pass by _id instead of an incremental read: the only way to see records
    /// deleted physically, which are then marked deleted (rows are never removed).
    #[arg(long)]
    pub full: bool,
    /// How far before the stored cursor an incremental run starts reading, to catch changes
    /// committed late (e.g. 10m, 90s, 2h, 0).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub lookback: Duration,
    /// Records per request (1..=100).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub page_size: u32,
}

/// `crm useasy customers sync` and `crm u8 contacts sync`.
#[derive(Clone, Debug, Args)]
pub struct FullSyncArgs {
    /// The database and shared options.
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Records per request.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
}

/// Parses a duration: `0`, or numbers with units `ms`, `s`, `m`, `h`, `d`, one after another
/// (`10m`, `90s`, `2h`, `1h30m`, `500ms`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let bad = |why: &str| format!("{why} in {text:?}: expected e.g. 10m, 90s, 2h, 1h30m or 0");
    if s.is_empty() {
        return Err(bad("empty duration"));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(bad("a number is missing"));
        }
        let (number, tail) = rest.split_at(digits);
        let n: u64 = number.parse().map_err(|_| bad("the number is too large"))?;
        let unit_len = tail.len()
            - tail
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let (unit, tail) = tail.split_at(unit_len);
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => n
                .checked_mul(60)
                .map(Duration::from_secs)
                .ok_or_else(|| bad("too long"))?,
            "h" => n
                .checked_mul(3_600)
                .map(Duration::from_secs)
                .ok_or_else(|| bad("too long"))?,
            "d" => n
                .checked_mul(86_400)
                .map(Duration::from_secs)
                .ok_or_else(|| bad("too long"))?,
            "" => return Err(bad("a unit (ms, s, m, h, d) is missing")),
            other => return Err(bad(&format!("unknown unit {other:?}"))),
        };
        total = total.checked_add(part).ok_or_else(|| bad("too long"))?;
        rest = tail.trim_start();
    }
    Ok(total)
}

/// Where the results go: the explicit `--format`, if any, and whether to show progress.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    /// `--format` as given (`None`: plain summary lines).
    pub format: Option<Format>,
    /// Show the progress spinner on stderr.
    pub progress: bool,
}

impl Output {
    /// The output of a sync command: the spinner when stderr is a terminal.
    pub fn new(format: Option<Format>, no_progress: bool) -> Self {
        Self {
            format,
            progress: !no_progress && std::io::stderr().is_terminal(),
        }
    }
}

/// `crm fxiaoke sync OBJECT... --into DATABASE`.
pub async fn fxiaoke(args: FxiaokeArgs, settings: &Settings, out: Output) -> CliResult {
    let FxiaokeCommand::Sync(sync) = args.command else {
        return Err(CliError::internal("not a sync command"));
    };
    if let Some(empty) = sync.objects.iter().find(|o| o.trim().is_empty()) {
        return Err(CliError::usage(format!(
            "an object API name is empty ({empty:?})"
        )));
    }
    let session = clients::fxiaoke(&args.config, settings).await?;
    let base_url = session.client.config().base_url.to_string();
    let options = options(&sync.db)
        .with_full(sync.full)
        .with_lookback(sync.lookback);
    let sources: Vec<FxiaokeObject> = sync
        .objects
        .iter()
        .map(|o| {
            FxiaokeObject::new(session.client.clone(), o.trim()).with_page_size(sync.page_size)
        })
        .collect();
    let sources: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
    run(&sync.db, &sources, &options, out)
        .await
        .map_err(|e| e.at("fxiaoke", &base_url))
}

/// `crm useasy customers sync --into DATABASE`.
pub async fn useasy(args: UseasyArgs, settings: &Settings, out: Output) -> CliResult {
    let UseasyCommand::Customers(CustomersCommand::Sync(sync)) = args.command else {
        return Err(CliError::internal("not a sync command"));
    };
    let session = clients::useasy(&args.config, settings).await?;
    let base_url = session.client.config().base_url.to_string();
    let source = UseasyCustomers::new(session.client.clone()).with_page_size(sync.page_size);
    run(&sync.db, &[&source], &options(&sync.db), out)
        .await
        .map_err(|e| e.at("useasy", &base_url))
}

/// `crm u8 contacts sync --into DATABASE`.
pub async fn u8(args: U8Args, settings: &Settings, out: Output) -> CliResult {
    let U8Command::Contacts(ContactsCommand::Sync(sync)) = args.command else {
        return Err(CliError::internal("not a sync command"));
    };
    let session = clients::u8(&args.config, settings).await?;
    let base_url = session.client.config().base_url.to_string();
    let source = U8Contacts::new(session.client.clone()).with_page_size(sync.page_size);
    run(&sync.db, &[&source], &options(&sync.db), out)
        .await
        .map_err(|e| e.at("u8", &base_url))
}

/// The options of `--dry-run` and `--wait`.
fn options(db: &DatabaseArgs) -> SyncOptions {
    SyncOptions::default()
        .with_dry_run(db.dry_run)
        .with_lock_wait(db.wait.unwrap_or(Duration::ZERO))
}

/// Opens the store, syncs each source in turn, reports each, closes the store.
async fn run(
    db: &DatabaseArgs,
    sources: &[&dyn Source],
    options: &SyncOptions,
    out: Output,
) -> CliResult {
    let url = Database::new(&db.into);
    let store = Store::open(&db.into).await.map_err(|e| url.error(&e))?;
    let mut report = Report::new(out.format);
    let mut result = Ok(());
    for source in sources {
        let bar = SyncBar::new(out.progress, source.vendor().as_str(), source.object());
        let synced = store
            .sync_with_progress(*source, options, |p| bar.update(p))
            .await;
        bar.finish();
        match synced {
            Ok(summary) => {
                if let Err(e) = report.write(&summary) {
                    result = Err(e);
                    break;
                }
            }
            Err(e) => {
                result = Err(url.error(&e));
                break;
            }
        }
    }
    store.close().await;
    let finished = report.finish();
    result.and(finished)
}

/// The database URL as messages may show it.
struct Database {
    /// Its password, as written in the URL and percent-decoded, to scrub from any text (a
    /// driver's message could quote either).
    passwords: Vec<String>,
}

impl Database {
    fn new(url: &str) -> Self {
        let mut passwords = Vec::new();
        if let Ok(u) = url::Url::parse(url) {
            if let Some(p) = u.password() {
                passwords.push(p.to_owned());
                // `password()` is percent-encoded as written; the decoded form too.
                if let Some((_, decoded)) =
                    url::form_urlencoded::parse(format!("p={p}").as_bytes()).next()
                {
                    passwords.push(decoded.into_owned());
                }
            }
            for (k, v) in u.query_pairs() {
                if k.eq_ignore_ascii_case("password") {
                    passwords.push(v.clone().into_owned());
                    passwords.push(url::form_urlencoded::byte_serialize(v.as_bytes()).collect());
                }
            }
        }
        passwords.retain(|p| !p.is_empty());
        passwords.sort();
        passwords.dedup();
        // Longest first, so that no shorter variant leaves part of a longer one.
        passwords.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for p in &passwords {
            // Every line the process prints is scrubbed of remembered secrets too.
            crm_runtime::remember(p, crm_runtime::Keep::Always);
        }
        Self { passwords }
    }

    /// The error of a sync or of opening the store, as one line with its causes, the
    /// password hidden, and the exit code (see the module docs).
    fn error(&self, e: &crm_sync::Error) -> CliError {
        use crm_sync::Error;
        let exit = match e {
            Error::Url { .. } | Error::SchemaTooNew { .. } => Exit::Config,
            Error::EmptyObject => Exit::Usage,
            Error::Source { source, .. } => source
                .downcast_ref::<crm_runtime::Error>()
                .map_or(Exit::Api, classify),
            Error::InvalidRecord { .. } => Exit::Api,
            // The database, its lock file, or another sync holding the object.
            _ => Exit::Internal,
        };
        let mut message = e.to_string();
        let mut cause = std::error::Error::source(e);
        while let Some(c) = cause {
            let text = c.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            cause = c.source();
        }
        for password in &self.passwords {
            message = message.replace(password.as_str(), "***");
        }
        CliError { exit, message }
    }
}

/// The progress spinner of one object's sync.
struct SyncBar {
    bar: ProgressBar,
}

impl SyncBar {
    fn new(visible: bool, vendor: &str, object: &str) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {prefix}: {human_pos} records  {rate}  {msg}  {elapsed}",
        ) {
            bar.set_style(style.with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            ));
        }
        bar.set_prefix(format!("{vendor} {object}"));
        if visible {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Self { bar }
    }

    fn update(&self, p: &crm_sync::Progress) {
        self.bar.set_position(p.counts.fetched);
        self.bar.set_message(format!(
            "inserted {}, updated {}, unchanged {}",
            p.counts.inserted, p.counts.updated, p.counts.unchanged
        ));
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The summaries: plain lines, or records of an explicit `--format`.
enum Report {
    Lines,
    Records(Box<Sink>),
}

impl Report {
    fn new(format: Option<Format>) -> Self {
        match format {
            None => Report::Lines,
            Some(format) => Report::Records(Box::new(Sink::new(format))),
        }
    }

    fn write(&mut self, summary: &SyncSummary) -> CliResult {
        match self {
            Report::Lines => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{summary}")?;
                out.flush()?;
                Ok(())
            }
            Report::Records(sink) => sink.write(json!({
                "vendor": summary.vendor.as_str(),
                "object": summary.object,
                "mode": summary.mode.as_str(),
                "dry_run": summary.dry_run,
                "fetched": summary.counts.fetched,
                "inserted": summary.counts.inserted,
                "updated": summary.counts.updated,
                "unchanged": summary.counts.unchanged,
                "marked_deleted": summary.counts.marked_deleted,
                "vendor_calls": summary.counts.vendor_calls,
                "seconds": (summary.seconds() * 1000.0).round() / 1000.0,
                "pages": summary.counts.pages,
                "run_id": summary.run_id,
                "cursor_modified_at": summary.cursor.as_ref().map(|c| c.modified_at),
                "cursor_id": summary.cursor.as_ref().map(|c| c.id.clone()),
            })),
        }
    }

    fn finish(self) -> CliResult {
        match self {
            Report::Lines => Ok(()),
            Report::Records(sink) => sink.finish(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ok = |s: &str| parse_duration(s).unwrap();
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("10m"), Duration::from_secs(600));
        assert_eq!(ok("90s"), Duration::from_secs(90));
        assert_eq!(ok("2h"), Duration::from_secs(7_200));
        assert_eq!(ok("1h30m"), Duration::from_secs(5_400));
        assert_eq!(ok("1h 30m"), Duration::from_secs(5_400));
        assert_eq!(ok(" 500ms "), Duration::from_millis(500));
        assert_eq!(ok("1d"), Duration::from_secs(86_400));
        assert_eq!(ok("0s"), Duration::ZERO);
        for bad in [
            "",
            "10",
            "m",
            "10x",
            "-5m",
            "1.5h",
            "10m5",
            "99999999999999999999s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert!(parse_duration("10").unwrap_err().contains("unit"));
    }

    #[test]
    fn database_errors_hide_the_password_and_say_what_failed() {
        let db = Database::new("postgres://crm:pa%2Fss@127.0.0.1:1/crm");
        let e = crm_sync::Error::Url {
            url: "postgres://crm:pa%2Fss@127.0.0.1:1/crm".into(),
            reason: "bad pa/ss".into(),
        };
        let err = db.error(&e);
        assert_eq!(err.exit, Exit::Config);
        assert!(!err.message.contains("pa/ss"), "{}", err.message);
        assert!(!err.message.contains("pa%2Fss"), "{}", err.message);
        let db = Database::new("postgres://db.internal/crm?user=crm&password=s3cr%2Ft");
        let e = crm_sync::Error::Url {
            url: "x".into(),
            reason: "s3cr/t and s3cr%2Ft".into(),
        };
        let err = db.error(&e);
        assert!(!err.message.contains("s3cr"), "{}", err.message);

        let e = crm_sync::Error::Busy {
            vendor: "fxiaoke".into(),
            object: "AccountObj".into(),
        };
        let err = Database::new("crm.db").error(&e);
        assert_eq!(err.exit, Exit::Internal);
        assert!(err.message.contains("another sync of fxiaoke AccountObj"));
    }
}
