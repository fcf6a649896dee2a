//! The measurements `cargo xtask bench` runs in child processes. Each prints one JSON object
//! per line on stdout.
//!
//! ```text
//! crm-bench serve --records N [--backend mock|synthetic]
//!     Starts a Fxiaoke server with N PaymentObj records (limits off), prints
//!     {"url", "records", "backend", "setup_secs", "vm_hwm_kib", "records_json_bytes"
//!     (the mock: its records' JSON size as stored; null for the synthetic server),
//!     credentials...}
//!     and serves until stdin closes.
//! crm-bench export --url URL --client sdk|naive
//!     Exports every record (credentials from FXIAOKE_APP_ID, FXIAOKE_APP_SECRET,
//!     FXIAOKE_PERMANENT_CODE, FXIAOKE_OPEN_USER_ID) as JSON lines to a counting sink, prints
//!     {"client", "records", "secs", "records_per_sec", "bytes", "ordered", "vm_hwm_kib"}.
//! crm-bench ratelimit --vendor fxiaoke|useasy [--secs S] [--window S] [--records N]
//!     A long export against a mock enforcing the vendor's quota; prints
//!     {"vendor", "requests", "allowed_rate", "achieved_rate", "fraction", "limit_errors", ...}.
//! crm-bench serve --records N --backend synthetic-sync
//!     The synthetic server in sync mode (times grow with the records, 150 per millisecond).
//! crm-bench serve --records N --backend synthetic-sync --tie-group G
//!     The same with G records per millisecond (N / 20 gives 20 distinct times).
//! crm-bench export --url URL --client keyset|keyset-id
//!     The export through the incremental sync's keyset stream (records as sent), ordered by
//!     (last_modified_time, _id), or by _id alone; both print "calls" (query calls) too.
//! crm-bench sync --url URL --database sqlite|postgres
//!     A first sync of every record into an empty database, then a full pass over them; prints
//!     one {"mode": "sync", "database", "source": "server", "case": "first"|"unchanged",
//!     "records", "secs", "records_per_sec", "vendor_calls"} per run.
//! crm-bench sync-memory --records N --database sqlite|postgres [--page-size P]
//!     The same from an in-memory source: the store alone ("source": "memory"; pages of 100).
//! crm-bench sync-calls [--records N] [--changed M]
//!     Query calls of an incremental sync after M of N records changed vs a full re-export,
//!     on the embedded mock; prints {"mode": "sync-calls", "incremental", "full_export", ...}.
//! ```

use std::collections::HashMap;
use std::io::Read;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crm_bench::{
    BenchError, Credentials, export, memory_kib, payloads, ratelimit, sync, synthetic,
};
use serde_json::json;

fn usage() -> BenchError {
    BenchError::msg(
        "usage: crm-bench serve --records N [--backend mock|synthetic|synthetic-sync] [--tie-group G] | \
         export --url URL --client sdk|naive|keyset|keyset-id | \
         ratelimit --vendor fxiaoke|useasy [--secs S] [--window S] [--records N] | \
         sync --url URL --database sqlite|postgres | \
         sync-memory --records N --database sqlite|postgres | \
         sync-calls [--records N] [--changed M]",
    )
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crm-bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` pairs after the mode.
fn options(args: &[String]) -> Result<HashMap<String, String>, BenchError> {
    let mut map = HashMap::new();
    let mut it = args.iter();
    while let Some(name) = it.next() {
        let name = name.strip_prefix("--").ok_or_else(usage)?;
        let value = it.next().ok_or_else(usage)?;
        map.insert(name.to_owned(), value.clone());
    }
    Ok(map)
}

fn number<T: std::str::FromStr>(
    opts: &HashMap<String, String>,
    name: &str,
    default: T,
) -> Result<T, BenchError> {
    match opts.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| BenchError::msg(format!("--{name}: not a number: {v}"))),
    }
}

fn run() -> Result<(), BenchError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, rest) = args.split_first().ok_or_else(usage)?;
    let opts = options(rest)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match mode.as_str() {
        "serve" => runtime.block_on(serve(&opts)),
        "export" => runtime.block_on(run_export(&opts)),
        "ratelimit" => runtime.block_on(run_ratelimit(&opts)),
        "sync" => runtime.block_on(run_sync(&opts)),
        "sync-memory" => runtime.block_on(run_sync_memory(&opts)),
        "sync-calls" => runtime.block_on(run_sync_calls(&opts)),
        _ => Err(usage()),
    }
}

fn kib() -> (u64, u64) {
    memory_kib().unwrap_or((0, 0))
}

async fn serve(opts: &HashMap<String, String>) -> Result<(), BenchError> {
    let records: usize = number(opts, "records", 100_000)?;
    let backend = opts.get("backend").map_or("mock", String::as_str);
    let started = Instant::now();
    // Keep whichever server runs alive until stdin closes.
    let (_mock, _synthetic, url, credentials, json_bytes) = match backend {
        "mock" => {
            use fxiaoke_crm_mock::{MockFxiaoke, MockSettings};
            let mock = MockFxiaoke::start_with(MockSettings::without_rate_limits()).await?;
            // In chunks, so the generated maps never all exist twice.
            let mut start = 0;
            while start < records {
                let end = (start + 10_000).min(records);
                mock.insert_many(
                    payloads::FXIAOKE_OBJECT,
                    (start..end).map(payloads::fxiaoke_record),
                );
                start = end;
            }
            let url = mock.base_url().to_string();
            let credentials = Credentials::of_mock(&mock);
            // The records' JSON size as the mock holds them (wire form, compact): the
            // reference of the mock's memory target.
            let (_, json_bytes) = mock.stored_size(payloads::FXIAOKE_OBJECT);
            (Some(mock), None, url, credentials, Some(json_bytes))
        }
        "synthetic" | "synthetic-sync" => {
            let server = if backend == "synthetic" {
                synthetic::SyntheticFxiaoke::start(records).await?
            } else {
                let tie_group: usize = number(opts, "tie-group", 150)?;
                synthetic::SyntheticFxiaoke::start_for_sync(records, tie_group).await?
            };
            let url = server.base_url();
            (
                None,
                Some(server),
                url,
                synthetic::SyntheticFxiaoke::credentials(),
                None,
            )
        }
        other => return Err(BenchError::msg(format!("unknown backend {other}"))),
    };
    let (hwm, _) = kib();
    println!(
        "{}",
        json!({
            "mode": "serve",
            "backend": backend,
            "records": records,
            "url": url,
            "setup_secs": started.elapsed().as_secs_f64(),
            "vm_hwm_kib": hwm,
            "records_json_bytes": json_bytes,
            "app_id": credentials.app_id,
            "app_secret": credentials.app_secret,
            "permanent_code": credentials.permanent_code,
            "open_user_id": credentials.open_user_id,
        })
    );
    // Serve until the parent closes our stdin (or dies).
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await
    .map_err(|e| BenchError::msg(e.to_string()))?;
    Ok(())
}

async fn run_export(opts: &HashMap<String, String>) -> Result<(), BenchError> {
    let url = opts.get("url").ok_or_else(usage)?;
    let client = opts.get("client").map_or("sdk", String::as_str);
    let credentials = Credentials::from_env()?;
    let result = match client {
        "sdk" => export::sdk(url, &credentials).await?,
        "naive" => export::naive(url, &credentials).await?,
        "keyset" => sync::keyset_export(url, &credentials).await?,
        "keyset-id" => sync::id_export(url, &credentials).await?,
        other => return Err(BenchError::msg(format!("unknown client {other}"))),
    };
    let (hwm, rss) = kib();
    println!(
        "{}",
        json!({
            "mode": "export",
            "client": client,
            "records": result.records,
            "secs": result.secs,
            "records_per_sec": result.records as f64 / result.secs,
            "bytes": result.bytes,
            "ordered": result.ordered,
            "calls": result.calls,
            "vm_hwm_kib": hwm,
            "vm_rss_kib": rss,
        })
    );
    Ok(())
}

async fn run_ratelimit(opts: &HashMap<String, String>) -> Result<(), BenchError> {
    let vendor = opts.get("vendor").map_or("fxiaoke", String::as_str);
    let secs: f64 = number(opts, "secs", 10.0)?;
    let duration = Duration::from_secs_f64(secs);
    let result = match vendor {
        "fxiaoke" => {
            let window: f64 = number(opts, "window", 2.0)?;
            let records = number(opts, "records", 10_000)?;
            ratelimit::fxiaoke(Duration::from_secs_f64(window), duration, records).await?
        }
        "useasy" => ratelimit::useasy(duration, number(opts, "records", 5_000)?).await?,
        other => return Err(BenchError::msg(format!("unknown vendor {other}"))),
    };
    println!(
        "{}",
        json!({
            "mode": "ratelimit",
            "vendor": result.vendor,
            "max_calls": result.max_calls,
            "window_secs": result.window_secs,
            "secs": result.secs,
            "requests": result.requests,
            "records": result.records,
            "allowed_rate": result.allowed_rate(),
            "achieved_rate": result.achieved_rate(),
            "fraction": result.fraction(),
            "limit_errors": result.limit_errors,
            "client_errors": result.client_errors,
        })
    );
    Ok(())
}

fn print_sync_runs(runs: &[sync::SyncResult]) {
    for r in runs {
        let (hwm, _) = kib();
        println!(
            "{}",
            json!({
                "mode": "sync",
                "database": r.database,
                "source": r.source,
                "case": r.case,
                "records": r.records,
                "inserted": r.inserted,
                "unchanged": r.unchanged,
                "secs": r.secs,
                "records_per_sec": r.records_per_sec(),
                "vendor_calls": r.vendor_calls,
                "vm_hwm_kib": hwm,
            })
        );
    }
}

async fn run_sync(opts: &HashMap<String, String>) -> Result<(), BenchError> {
    let url = opts.get("url").ok_or_else(usage)?;
    let database = opts.get("database").map_or("sqlite", String::as_str);
    let credentials = Credentials::from_env()?;
    print_sync_runs(&sync::from_server(url, &credentials, database).await?);
    Ok(())
}

async fn run_sync_memory(opts: &HashMap<String, String>) -> Result<(), BenchError> {
    let records: usize = number(opts, "records", 100_000)?;
    let page_size: usize = number(opts, "page-size", export::PAGE_SIZE)?;
    let database = opts.get("database").map_or("sqlite", String::as_str);
    print_sync_runs(&sync::from_memory(records, page_size, database).await?);
    Ok(())
}

async fn run_sync_calls(opts: &HashMap<String, String>) -> Result<(), BenchError> {
    let records: usize = number(opts, "records", 10_000)?;
    let changed: usize = number(opts, "changed", records / 100)?;
    let r = sync::calls(records, changed).await?;
    println!(
        "{}",
        json!({
            "mode": "sync-calls",
            "records": r.records,
            "changed": r.changed,
            "page_size": r.page_size,
            "first_sync": r.first_sync,
            "incremental": r.incremental,
            "incremental_records": r.incremental_records,
            "full_export": r.full_export,
            "full_pass": r.full_pass,
        })
    );
    Ok(())
}
