//! Rendering and parsing tests of the benchmark report.

use super::*;

#[test]
fn thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_000), "1,000");
    assert_eq!(thousands(1_000_000), "1,000,000");
}

#[test]
fn utc_date_is_plausible() {
    let d = utc_now();
    assert!(d.starts_with("20") && d.ends_with(" UTC"), "{d}");
}

#[test]
fn the_sync_section_judges_its_targets() {
    let mut report = Report::default();
    report.sync.runs.push(SyncRow {
        database: "sqlite".into(),
        source: "server".into(),
        case: "first".into(),
        records: 100_000,
        secs: 4.0,
        records_per_sec: 25_000.0,
        vendor_calls: 1_002,
    });
    report.sync.runs.push(SyncRow {
        database: "postgres".into(),
        source: "server".into(),
        case: "first".into(),
        records: 100_000,
        secs: 40.0,
        records_per_sec: 2_500.0,
        vendor_calls: 1_002,
    });
    report.sync.calls = Some(SyncCalls {
        records: 10_000,
        changed: 100,
        page_size: 100,
        first_sync: 102,
        incremental: 3,
        incremental_records: 101,
        full_export: 101,
        full_pass: 102,
    });
    let text = render(&report);
    let row = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no row {prefix:?} in\n{text}"))
            .to_owned()
    };
    let sqlite = row("| records stored per second into SQLite");
    assert!(
        sqlite.contains("| 25,000 records/s |") && sqlite.ends_with("✅ met |"),
        "{sqlite}"
    );
    let pg = row("| records stored per second into PostgreSQL");
    assert!(pg.ends_with("❌ missed |"), "{pg}");
    assert!(text.contains("**Records stored per second into PostgreSQL** (2,500 records/s)"));
    let calls = row("| data calls of an incremental sync after 100 of 10,000 records changed");
    assert!(
        calls.contains("| 3 calls | 101 calls (a full re-export) |"),
        "{calls}"
    );
    assert!(calls.ends_with("✅ met |"), "{calls}");
    assert!(text.contains("## Sync into a database"));
}

fn ordered_run(client: &str, records_per_sec: f64, calls: u64) -> ExportRun {
    ExportRun {
        backend: "synthetic-sync".into(),
        client: client.into(),
        records: 100_000,
        secs: 100_000.0 / records_per_sec,
        records_per_sec,
        hwm_kib: 0,
        ordered: true,
        calls: Some(calls),
    }
}

#[test]
fn the_ordered_export_row_judges_its_calls() {
    let mut report = Report::default();
    report
        .ordered
        .push(ordered_run("keyset-id", 50_000.0, 1_001));
    report.ordered.push(ordered_run("keyset", 40_000.0, 1_021));
    let text = render(&report);
    let row = text
        .lines()
        .find(|l| l.starts_with("| ordered export of 100,000 records"))
        .unwrap_or_else(|| panic!("no ordered row in\n{text}"));
    assert!(
        row.contains("| 40,000 records/s, 1021 calls | 50,000 records/s, 1001 calls"),
        "{row}"
    );
    assert!(
        row.contains("0.80× the rate") && row.ends_with("✅ met |"),
        "{row}"
    );
    assert!(text.contains("## Ordered export"));

    report.ordered.push(ordered_run("keyset", 45_000.0, 1_023));
    let text = render(&report);
    assert!(
        text.contains("**Calls of the ordered export** (1023 > 1022)"),
        "{text}"
    );
}

fn cpu_run(client: &str, cpu_secs: f64) -> CpuRun {
    CpuRun {
        client: client.into(),
        records: 50_000,
        cpu_secs,
        wall_secs: cpu_secs * 2.0,
    }
}

fn row_of<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no row {prefix:?} in\n{text}"))
}

#[test]
fn the_cli_row_judges_cpu_per_record_against_python() {
    let prefix = "| client CPU per exported record";
    let mut report = Report::default();
    report.cli.tick_secs = 0.01;
    // The least CPU of each client counts: 0.15 s and 1.70 s for 50,000 records.
    report.cli.runs = vec![
        cpu_run("python", 1.80),
        cpu_run("cli", 0.20),
        cpu_run("python", 1.70),
        cpu_run("cli", 0.15),
    ];
    let text = render(&report);
    let row = row_of(&text, prefix);
    assert!(
        row.contains("| 3.00 µs | 34.00 µs | 11.3× less | ≥ 10× less | ✅ met |"),
        "{row}"
    );
    assert!(text.contains("## CLI export CPU"));
    assert!(
        text.contains("| `crm` (jsonl) | 50,000 | 0.15 | 3.00 | 0.30 |"),
        "{text}"
    );
    assert!(text.contains("resolution 10 ms per run"), "{text}");
    assert!(!text.contains("**CLI CPU per exported record**"));

    // Missed: the row says so and a note explains.
    report.cli.runs = vec![cpu_run("python", 1.70), cpu_run("cli", 0.25)];
    let text = render(&report);
    assert!(
        row_of(&text, prefix)
            .contains("| 5.00 µs | 34.00 µs | 6.8× less | ≥ 10× less | ❌ missed |"),
        "{text}"
    );
    assert!(text.contains("**CLI CPU per exported record** (6.8× less than Python's"));

    // No Python: measured for the CLI alone, the target not judged.
    report.cli.runs = vec![cpu_run("cli", 0.15)];
    report.cli.python_missing = Some("no `python3` on this machine (not found)".into());
    let text = render(&report);
    let row = row_of(&text, prefix);
    assert!(
        row.contains("| 3.00 µs | not measured: no `python3` on this machine (not found) |")
            && row.ends_with("| n/a |"),
        "{row}"
    );
    assert!(text.contains("The Python exporter was not run: no `python3`"));
}

fn decode_row(group: &str, variant: &str, median_ns: f64) -> DecodeRow {
    DecodeRow {
        group: group.into(),
        variant: variant.into(),
        bytes: 100_000,
        median_ns,
        p25_ns: median_ns,
        p75_ns: median_ns,
        rounds: 10,
        criterion_ns: None,
    }
}

#[test]
fn decode_targets_are_per_page() {
    let mut report = Report::default();
    for group in ["fxiaoke_query_page", "useasy_list_page", "u8_batch_page"] {
        // 1.8× faster than `Value`, 1.25× the strict struct's time: met by U8's targets
        // (1.5×, 1.3×), missed by those of the pages with custom fields (2×, 1.2×).
        report.decode.push(decode_row(group, "typed", 1_000.0));
        report.decode.push(decode_row(group, "value", 1_800.0));
        report.decode.push(decode_row(group, "strict", 800.0));
    }
    let text = render(&report);
    let fx_value = row_of(
        &text,
        "| decode Fxiaoke query page (typed: `QueryResult`): typed vs `Value`",
    );
    assert!(
        fx_value.contains("| 1.80× faster | ≥ 2× | ❌ missed |"),
        "{fx_value}"
    );
    let fx_strict = row_of(
        &text,
        "| decode Fxiaoke query page (typed: `QueryResult`): typed vs strict",
    );
    assert!(
        fx_strict.contains("| 1.25× slower | ≤ 1.2× | ❌ missed |"),
        "{fx_strict}"
    );
    let ua = row_of(
        &text,
        "| decode useasy list page (typed: `ListCustomersResult`): typed vs `Value`",
    );
    assert!(ua.ends_with("❌ missed |"), "{ua}");
    let u8_value = row_of(
        &text,
        "| decode U8 batch_get page (typed: `BatchGetResponse`): typed vs `Value`",
    );
    assert!(u8_value.contains("| ≥ 1.5× | ✅ met |"), "{u8_value}");
    let u8_strict = row_of(
        &text,
        "| decode U8 batch_get page (typed: `BatchGetResponse`): typed vs strict",
    );
    assert!(u8_strict.contains("| ≤ 1.3× | ✅ met |"), "{u8_strict}");
    assert!(text.contains("**Decode vs strict struct** (Fxiaoke query page"));
}

/// The client's decoder is judged against `Value` and the strict struct read the same way
/// (as text), never against a baseline read from bytes.
#[test]
fn decode_targets_are_judged_like_for_like_both_ways() {
    let mut report = Report::default();
    let (fx, ua) = ("fxiaoke_query_page", "useasy_list_page");
    // From bytes: 1.80× faster than `Value` (missed), 1.25× the strict struct's time (missed).
    for group in [fx, ua] {
        report.decode.push(decode_row(group, "typed", 1_000.0));
        report.decode.push(decode_row(group, "value", 1_800.0));
        report.decode.push(decode_row(group, "strict", 800.0));
        report.decode.push(decode_row(group, "typed_sdk", 800.0));
    }
    // As text, Fxiaoke: 2.10× and 1.14× (both met); useasy: 1.90× (missed) and 1.14× (met),
    // although 1,800 / 800 (a `Value` read from bytes) would be 2.25×.
    report.decode.push(decode_row(fx, "value_text", 1_680.0));
    report.decode.push(decode_row(fx, "strict_text", 700.0));
    report.decode.push(decode_row(ua, "value_text", 1_520.0));
    report.decode.push(decode_row(ua, "strict_text", 700.0));
    let text = render(&report);
    let row = |title: &str, against: &str| {
        row_of(&text, &format!("| decode {title}: typed vs {against}"))
    };
    let fx_value = row("Fxiaoke query page (typed: `QueryResult`)", "`Value`");
    assert!(
        fx_value.contains(
            "| 1.80× faster (2.10× as the clients read, both as text) | ≥ 2× | ✅ met as the \
             clients read (both as text); missed from bytes |"
        ),
        "{fx_value}"
    );
    let ua_value = row("useasy list page (typed: `ListCustomersResult`)", "`Value`");
    assert!(
        ua_value.contains(
            "| 1.80× faster (1.90× as the clients read, both as text) | ≥ 2× | ❌ missed |"
        ),
        "{ua_value}"
    );
    let ua_strict = row(
        "useasy list page (typed: `ListCustomersResult`)",
        "strict struct",
    );
    assert!(
        ua_strict.contains(
            "| 1.25× slower (1.14× as the clients read, both as text) | ≤ 1.2× | ✅ met as the \
             clients read (both as text); missed from bytes |"
        ),
        "{ua_strict}"
    );
    assert!(
        text.contains("both read as text, `Value` takes 2.40× (Fxiaoke"),
        "{text}"
    );
    // How the client's decoder is judged is a reading aid, not a reason for a miss.
    let (before, reading) = text.split_once("### Reading the figures").unwrap();
    assert!(reading.contains("**The client's decoder**"), "{text}");
    assert!(!before.contains("**The client's decoder**"), "{text}");
}

/// The useasy page's cost analysis (its China times, the measurement with both costs off)
/// is given only when the useasy page misses its target against `Value`.
#[test]
fn the_useasy_cost_analysis_is_given_only_for_a_useasy_miss() {
    let page = |value_ns: [f64; 2]| {
        let mut report = Report::default();
        for (group, value) in ["fxiaoke_query_page", "useasy_list_page"]
            .into_iter()
            .zip(value_ns)
        {
            report.decode.push(decode_row(group, "typed", 1_000.0));
            report.decode.push(decode_row(group, "value", value));
            report.decode.push(decode_row(group, "strict", 900.0));
        }
        render(&report)
    };
    let analysis = "four China times per customer";
    let fxiaoke_missed = page([1_800.0, 2_100.0]);
    assert!(
        fxiaoke_missed.contains("**Decode vs `Value`**"),
        "{fxiaoke_missed}"
    );
    assert!(!fxiaoke_missed.contains(analysis), "{fxiaoke_missed}");
    let useasy_missed = page([2_100.0, 1_800.0]);
    assert!(useasy_missed.contains(analysis), "{useasy_missed}");
}

#[test]
fn clock_ticks_and_children_cpu_are_readable() {
    assert!(clock_ticks_per_sec() > 0.0);
    let before = children_cpu_ticks().unwrap();
    // A child that burns more than a clock tick of CPU, reaped by `status()`.
    let status = Command::new("sh")
        .args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(children_cpu_ticks().unwrap() > before);
}

#[test]
fn an_empty_report_renders() {
    let text = render(&Report::default());
    assert!(text.contains("# Benchmarks"));
}

/// `BENCHMARKS.md` is rendered from `BENCHMARKS.json` alone: a report saved and read back
/// renders to the same page, figure for figure.
#[test]
fn a_saved_report_renders_the_same_page() {
    let mut report = Report {
        quick: true,
        run_secs: Some(1234.5),
        ..Report::default()
    };
    report.cli.tick_secs = 0.01;
    report.cli.runs = vec![cpu_run("python", 1.70), cpu_run("cli", 0.15)];
    report.decode = vec![
        decode_row("fxiaoke_query_page", "typed", 1_000.0),
        decode_row("fxiaoke_query_page", "value", 2_500.0),
    ];
    report.ordered = vec![
        ordered_run("keyset", 60_000.0, 1_000),
        ordered_run("keyset-id", 55_000.0, 1_000),
    ];
    report.build_load = Some(("0.50".into(), "1.50".into()));
    report.sync.skipped = vec!["postgres: not installed".into()];

    let dir = crm_testkit::TempDir::new("xtask-bench");
    let out = Outputs::of(dir.path());
    out.save(&mut report, std::time::Instant::now()).unwrap();
    let page = std::fs::read_to_string(&out.markdown).unwrap();
    // save() stamps the run time; everything else comes back as it was.
    assert!(page.contains("Run time so far: 0 s."), "{page}");
    let saved: Report =
        serde_json::from_str(&std::fs::read_to_string(&out.measurements).unwrap()).unwrap();
    let resaved = serde_json::to_string(&saved).unwrap();
    let mut stamped = report;
    stamped.run_secs = saved.run_secs;
    assert_eq!(resaved, serde_json::to_string(&stamped).unwrap());
    assert_eq!(page, render(&stamped));
    assert!(page.contains("| client CPU per exported record"));

    // Rendering again from the file alone gives the same page.
    std::fs::remove_file(&out.markdown).unwrap();
    out.render().unwrap();
    assert_eq!(std::fs::read_to_string(&out.markdown).unwrap(), page);
}

fn mock_run(client: &str, records_per_sec: f64) -> ExportRun {
    ExportRun {
        backend: "mock".into(),
        client: client.into(),
        records: 1_000_000,
        secs: 1_000_000.0 / records_per_sec,
        records_per_sec,
        hwm_kib: 10_240,
        ordered: false,
        calls: None,
    }
}

#[test]
fn the_mock_rows_judge_streaming_speed_and_memory() {
    let mut report = Report {
        export: vec![mock_run("naive", 30_000.0), mock_run("sdk", 45_000.0)],
        mock_server_hwm_kib: Some(1_100_000),
        mock_records_json_bytes: Some(1_000_000_000),
        ..Report::default()
    };
    let text = render(&report);
    let speed = row_of(&text, "| stream 1,000,000 records out of the embedded mock");
    assert!(
        speed.contains("| 45,000 records/s |") && speed.ends_with("✅ met |"),
        "{speed}"
    );
    let memory = row_of(
        &text,
        "| the embedded mock's peak memory with 1,000,000 records",
    );
    assert!(
        memory.contains("| 1.13× | ≤ 2× |") && memory.ends_with("✅ met |"),
        "{memory}"
    );

    // Slow and large: both missed, each with its note.
    report.export = vec![mock_run("naive", 9_000.0), mock_run("sdk", 12_000.0)];
    report.mock_server_hwm_kib = Some(3_000_000);
    let text = render(&report);
    assert!(row_of(&text, "| stream 1,000,000").ends_with("❌ missed |"));
    assert!(row_of(&text, "| the embedded mock's peak memory").ends_with("❌ missed |"));
    assert!(text.contains("**Streaming out of the embedded mock** (12,000 records/s)"));
    assert!(text.contains("**The embedded mock's memory** (3.07× its records' JSON)"));
}
