//! End-to-end tests of the `crm` binary: The output formats: json, csv, table.
//! Every run is bounded by a deadline and killed when it passes it; loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

// Formats

#[test]
fn json_format_is_one_array() {
    let run = crm(&[
        "--mock",
        "fxiaoke",
        "query",
        "PaymentObj",
        "--format",
        "json",
    ])
    .run()
    .ok();
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 40);
    assert!(items[0].get("invoice_no__c").is_some());
    let empty = crm(&[
        "--mock",
        "fxiaoke",
        "query",
        "PaymentObj",
        "-w",
        "_id EQ none",
        "-f",
        "json",
    ])
    .run()
    .ok();
    assert_eq!(
        serde_json::from_str::<Value>(&empty.stdout).unwrap(),
        Value::Array(Vec::new())
    );
    let single = crm(&["--mock", "u8", "contacts", "get", "00000001", "-f", "json"])
        .run()
        .ok();
    assert_eq!(
        serde_json::from_str::<Value>(&single.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn csv_format_has_the_union_of_fields_as_header() {
    let run = crm(&["--mock", "useasy", "customers", "list", "--format", "csv"])
        .run()
        .ok();
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    for field in [
        "_id",
        "customerName",
        "mobile",
        "openSeaIds",
        "text_6ts9_1687316347239",
    ] {
        assert!(
            header.iter().any(|h| h == field),
            "{field} not in {header:?}"
        );
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 40);
    let mobile = header.iter().position(|h| h == "mobile").unwrap();
    // Nested values as compact JSON.
    let parsed: Value = serde_json::from_str(&rows[0][mobile]).unwrap();
    assert!(parsed.is_array());

    let fx = crm(&[
        "--mock",
        "fxiaoke",
        "query",
        "PaymentObj",
        "--max",
        "3",
        "-f",
        "csv",
    ])
    .run()
    .ok();
    let first = fx.stdout.lines().next().unwrap();
    assert!(
        first.contains("_id") && first.contains("invoice_no__c") && first.contains("region__c"),
        "{first}"
    );
    assert_eq!(fx.stdout.lines().count(), 4);
}

#[test]
fn table_format_renders_aligned_columns() {
    let run = crm(&["--mock", "u8", "contacts", "list", "--format", "table"])
        .env("COLUMNS", "100")
        .run()
        .ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 42, "header, rule, 40 rows:\n{}", run.stdout);
    assert!(lines[0].starts_with("code"), "{}", lines[0]);
    assert!(lines[1].starts_with('─'));
    assert!(lines[2].starts_with("00000001"));
    assert!(
        lines.iter().all(|l| l.chars().count() <= 100),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("40 records"), "{}", run.stderr);

    // One record: field / value lines.
    let one = crm(&["--mock", "u8", "contacts", "get", "00000001", "-f", "table"])
        .run()
        .ok();
    assert!(
        one.stdout
            .lines()
            .any(|l| l.starts_with("code") && l.ends_with("00000001")),
        "{}",
        one.stdout
    );

    // A stream longer than the sample that fixes the layout keeps the same columns.
    let long = crm(&[
        "--mock",
        "fxiaoke",
        "query",
        "PaymentObj",
        "-f",
        "table",
        "--fields",
        "name,payment_amount",
    ])
    .env("CRM_MOCK_RECORDS", "120")
    .run()
    .ok();
    let lines: Vec<&str> = long.stdout.lines().collect();
    assert_eq!(lines.len(), 122);
    assert!(lines[0].starts_with("name"), "{}", lines[0]);
    let width = lines[2].find("  ").unwrap();
    assert_eq!(lines[100].find("  ").unwrap(), width);
}

// ---------------------------------------------------------------------------------------------

/// Columns a line takes in a terminal: the sample data's characters from U+2E80 on (CJK) are
/// wide, taking two.
fn display_width(line: &str) -> usize {
    line.chars()
        .map(|c| if c >= '\u{2E80}' { 2 } else { 1 })
        .sum()
}

#[test]
fn a_table_fits_the_terminal_width_and_120_columns_without_one() {
    let widest = |columns: Option<&str>| {
        let mut cmd = crm(&["--mock", "fxiaoke", "query", "PaymentObj", "-f", "table"]);
        cmd.cmd.env_remove("COLUMNS");
        if let Some(c) = columns {
            cmd = cmd.env("COLUMNS", c);
        }
        let run = cmd.run().ok();
        run.stdout.lines().map(display_width).max().unwrap_or(0)
    };
    let default = widest(None);
    assert!(default <= 120, "{default}");
    assert!(
        default > 100,
        "the records fill more than 100 columns: {default}"
    );
    assert!(widest(Some("100")) <= 100);
    assert!(widest(Some("60")) <= 60);
}
