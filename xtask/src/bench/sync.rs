//! 5. Sync into a database (crm-sync): the measurements.

use super::*;

/// Every JSON line a successful child printed.
pub(super) fn json_lines(output: std::process::Output, what: &str) -> Result<Vec<Value>> {
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("{what} printed {l:?}")))
        .collect()
}

pub(super) fn sync_row(v: &Value) -> Result<SyncRow> {
    Ok(SyncRow {
        database: v["database"].as_str().unwrap_or_default().to_owned(),
        source: v["source"].as_str().unwrap_or_default().to_owned(),
        case: v["case"].as_str().unwrap_or_default().to_owned(),
        records: v["records"].as_u64().unwrap_or(0),
        secs: number(&v["secs"])?,
        records_per_sec: number(&v["records_per_sec"])?,
        vendor_calls: v["vendor_calls"].as_u64().unwrap_or(0),
    })
}

pub(super) fn print_sync_row(r: &SyncRow) {
    eprintln!(
        "bench:   sync {} from {} ({}): {} records in {:.2}s = {:.0} records/s, {} vendor calls",
        r.database, r.source, r.case, r.records, r.secs, r.records_per_sec, r.vendor_calls
    );
}

/// `crm-bench sync --url URL --database DB` against a running server.
pub(super) fn sync_from_server(
    bin: &Path,
    server: &Server,
    database: &str,
) -> Result<Vec<SyncRow>> {
    let mut cmd = Command::new(bin);
    cmd.args([
        "sync",
        "--url",
        server.info["url"].as_str().unwrap_or_default(),
        "--database",
        database,
    ]);
    for (var, key) in [
        ("FXIAOKE_APP_ID", "app_id"),
        ("FXIAOKE_APP_SECRET", "app_secret"),
        ("FXIAOKE_PERMANENT_CODE", "permanent_code"),
        ("FXIAOKE_OPEN_USER_ID", "open_user_id"),
    ] {
        cmd.env(var, server.info[key].as_str().unwrap_or_default());
    }
    let rows = json_lines(cmd.output()?, "crm-bench sync")?
        .iter()
        .map(sync_row)
        .collect::<Result<Vec<_>>>()?;
    rows.iter().for_each(print_sync_row);
    Ok(rows)
}

/// Records stored per second into SQLite and PostgreSQL from the synthetic server in sync mode
/// (another process, limits off), against the keyset export of the same records and the store
/// alone (an in-memory source); then the calls of an incremental run vs a full re-export.
/// A database that cannot be measured (no PostgreSQL) is noted and skipped.
pub(super) fn sync_bench(bin: &Path, sizes: &Sizes, report: &mut Report) -> Result<()> {
    {
        let server = Server::start(bin, "synthetic-sync", sizes.sync_records)?;
        for _ in 0..sizes.sync_rounds {
            report.sync.exports.push(server.export(bin, "keyset")?);
            for database in ["sqlite", "postgres"] {
                if report.sync.skipped.iter().any(|s| s.starts_with(database)) {
                    continue;
                }
                match sync_from_server(bin, &server, database) {
                    Ok(rows) => report.sync.runs.extend(rows),
                    Err(e) if database == "postgres" => {
                        eprintln!("bench:   postgres skipped: {e:#}");
                        report.sync.skipped.push(format!("postgres: {e:#}"));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    for database in ["sqlite", "postgres"] {
        if report.sync.skipped.iter().any(|s| s.starts_with(database)) {
            continue;
        }
        let output = Command::new(bin)
            .args([
                "sync-memory",
                "--records",
                &sizes.sync_records.to_string(),
                "--database",
                database,
            ])
            .output()?;
        for v in json_lines(output, "crm-bench sync-memory")? {
            let row = sync_row(&v)?;
            print_sync_row(&row);
            report.sync.runs.push(row);
        }
    }
    let output = Command::new(bin)
        .args(["sync-calls", "--records", "10000", "--changed", "100"])
        .output()?;
    let v = json_line(output, "crm-bench sync-calls")?;
    let calls = SyncCalls {
        records: v["records"].as_u64().unwrap_or(0),
        changed: v["changed"].as_u64().unwrap_or(0),
        page_size: v["page_size"].as_u64().unwrap_or(100),
        first_sync: v["first_sync"].as_u64().unwrap_or(0),
        incremental: v["incremental"].as_u64().unwrap_or(0),
        incremental_records: v["incremental_records"].as_u64().unwrap_or(0),
        full_export: v["full_export"].as_u64().unwrap_or(0),
        full_pass: v["full_pass"].as_u64().unwrap_or(0),
    };
    eprintln!(
        "bench:   calls: incremental {} after {} of {} changed, full re-export {}",
        calls.incremental, calls.changed, calls.records, calls.full_export
    );
    report.sync.calls = Some(calls);
    Ok(())
}
