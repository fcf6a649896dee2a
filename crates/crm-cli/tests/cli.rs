//! End-to-end tests of the `crm` binary: every command against the embedded mocks (`--mock`,
//! loopback only), every output format, the exit codes, and a 10,000-record export. Each run is
//! bounded by a deadline and killed when it passes it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Help, completions, demo

#[test]
fn help_on_every_level() {
    let paths: &[&[&str]] = &[
        &[],
        &["demo"],
        &["completions"],
        &["fxiaoke"],
        &["fxiaoke", "query"],
        &["fxiaoke", "get"],
        &["fxiaoke", "create"],
        &["fxiaoke", "update"],
        &["fxiaoke", "invalid"],
        &["fxiaoke", "delete"],
        &["fxiaoke", "describe"],
        &["fxiaoke", "objects"],
        &["fxiaoke", "sync"],
        &["useasy"],
        &["useasy", "customers"],
        &["useasy", "customers", "list"],
        &["useasy", "customers", "get"],
        &["useasy", "customers", "add"],
        &["useasy", "customers", "update"],
        &["useasy", "customers", "delete"],
        &["useasy", "customers", "fields"],
        &["useasy", "customers", "sync"],
        &["u8"],
        &["u8", "contacts"],
        &["u8", "contacts", "list"],
        &["u8", "contacts", "get"],
        &["u8", "contacts", "sync"],
    ];
    for path in paths {
        let mut args = path.to_vec();
        args.push("--help");
        let run = crm(&args).run().ok();
        assert!(
            run.stdout.contains("Usage: crm"),
            "{path:?}: {}",
            run.stdout
        );
    }
    let top = crm(&["--help"]).run().ok();
    for c in [
        "demo",
        "fxiaoke",
        "useasy",
        "u8",
        "completions",
        "Exit codes",
    ] {
        assert!(top.stdout.contains(c), "{c}");
    }
    let list = crm(&["u8", "contacts", "list", "--help"]).run().ok();
    for flag in [
        "--code-begin",
        "--code-end",
        "--name",
        "--ccuscode",
        "--ccusname",
        "--direct-leader-code",
        "--direct-leader",
        "--charge-person-code",
        "--charge-person",
        "--be-main-linker",
        "--title",
        "--sex",
        "--birthday",
        "--position",
        "--mobile-phone",
        "--office-phone",
        "--email",
        "--favorite",
        "--wechat",
        "--qq",
        "--default",
        "--ds-sequence",
        "--page-size",
        "--max",
    ] {
        assert!(
            list.stdout.contains(flag),
            "u8 contacts list --help lacks {flag}"
        );
    }
    assert!(crm(&["--version"]).run().ok().stdout.starts_with("crm "));
}

#[test]
fn help_never_shows_secret_values() {
    let run = crm(&["fxiaoke", "query", "--help"])
        .env("FXIAOKE_APP_SECRET", "s3cr3t-fx-value")
        .env("FXIAOKE_PERMANENT_CODE", "s3cr3t-fx-code")
        .run()
        .ok();
    assert!(run.stdout.contains("FXIAOKE_APP_SECRET"));
    assert!(!run.stdout.contains("s3cr3t"), "{}", run.stdout);
    let run = crm(&["useasy", "--help"])
        .env("USEASY_SECRET", "s3cr3t-useasy")
        .run()
        .ok();
    assert!(!run.stdout.contains("s3cr3t"));
    let run = crm(&["u8", "--help"])
        .env("U8_APP_SECRET", "s3cr3t-u8")
        .run()
        .ok();
    assert!(!run.stdout.contains("s3cr3t"));
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = crm(&["completions", shell]).run().ok();
        assert!(run.stdout.contains("crm"), "{shell}");
        assert!(
            run.stdout.len() > 1000,
            "{shell}: {} bytes",
            run.stdout.len()
        );
    }
    assert_eq!(crm(&["completions", "tcsh"]).run().code, 2);
}

#[test]
fn demo_walks_through_the_three_vendors() {
    let started = Instant::now();
    let run = crm(&["demo"]).default_sample_size().run().ok();
    for heading in ["Fxiaoke", "useasy", "U8"] {
        assert!(run.stdout.contains(heading), "{heading}:\n{}", run.stdout);
    }
    for step in 1..=17 {
        assert!(
            run.stdout.contains(&format!("{step:>2}. ")),
            "step {step}:\n{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("Done: 17 steps"), "{}", run.stdout);
    // The sync step: a first sync of the 250 sample payments into SQLite, then two edits, a
    // void and a new record read by the next, incremental, sync.
    assert!(
        run.stdout.contains("crm fxiaoke sync PaymentObj --into "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(": inserted 250, "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("inserted 1, updated 3, unchanged 1 (5 records read"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

impl Crm {
    /// The demo's own sample size (the default), not the tests' small one.
    fn default_sample_size(mut self) -> Self {
        self.cmd.env_remove("CRM_MOCK_RECORDS");
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Fxiaoke

#[test]
fn fxiaoke_query_streams_records_as_sent_with_custom_fields() {
    let run = crm(&[
        "--mock",
        "fxiaoke",
        "query",
        "PaymentObj",
        "--page-size",
        "7",
    ])
    .run()
    .ok();
    let records = run.jsonl();
    assert_eq!(records.len(), 40);
    let ids: HashSet<&str> = records.iter().map(|r| str_of(r, "_id")).collect();
    assert_eq!(ids.len(), 40);
    for r in &records {
        assert!(str_of(r, "invoice_no__c").starts_with("INV-2024-"), "{r}");
        assert!(!str_of(r, "region__c").is_empty());
        // As on the wire: amounts as strings, dates as epoch milliseconds, owners as lists.
        assert!(r["payment_amount"].is_string(), "{r}");
        assert!(r["create_time"].is_i64(), "{r}");
        assert!(r["owner"].is_array(), "{r}");
    }
    // Nothing on stderr when it is not a terminal: no progress bar.
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn fxiaoke_query_filters_orders_projects_and_stops() {
    let run = crm(&[
        "--mock",
        "fxiaoke",
        "query",
        "PaymentObj",
        "--filter",
        "payment_amount gte 500",
        "--filter",
        "region__c IN 华东,华南",
        "--order",
        "payment_amount:desc",
        "--fields",
        "name,payment_amount,region__c",
    ])
    .run()
    .ok();
    let records = run.jsonl();
    assert!(!records.is_empty());
    let amounts: Vec<f64> = records
        .iter()
        .map(|r| str_of(r, "payment_amount").parse().unwrap())
        .collect();
    assert!(amounts.iter().all(|a| *a >= 500.0), "{amounts:?}");
    assert!(
        amounts.windows(2).all(|w| w[0] >= w[1]),
        "descending: {amounts:?}"
    );
    for r in &records {
        assert!(["华东", "华南"].contains(&str_of(r, "region__c")));
        let keys: HashSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(
            keys.is_subset(&HashSet::from([
                "_id",
                "name",
                "payment_amount",
                "region__c"
            ])),
            "{keys:?}"
        );
    }
    let max = crm(&[
        "--mock",
        "fxiaoke",
        "query",
        "PaymentObj",
        "--max",
        "5",
        "--page-size",
        "2",
    ])
    .run()
    .ok();
    assert_eq!(max.jsonl().len(), 5);
    // Symbolic operators and a custom object.
    let custom = crm(&[
        "--mock",
        "fxiaoke",
        "query",
        "object_demo__c",
        "-w",
        "field_level__c = A",
    ])
    .run()
    .ok();
    assert!(!custom.jsonl().is_empty());
    assert!(
        custom
            .jsonl()
            .iter()
            .all(|r| str_of(r, "field_level__c") == "A")
    );
}

/// The `_id` of the first sample record (the sample data is deterministic).
fn first_payment_id() -> String {
    let run = crm(&["--mock", "fxiaoke", "query", "PaymentObj", "--max", "1"])
        .run()
        .ok();
    str_of(&run.jsonl()[0], "_id").to_owned()
}

#[test]
fn fxiaoke_get_create_update_invalid_delete() {
    let id = first_payment_id();
    let got = crm(&["--mock", "fxiaoke", "get", "PaymentObj", &id])
        .run()
        .ok()
        .jsonl();
    assert_eq!(got.len(), 1);
    assert_eq!(str_of(&got[0], "_id"), id);
    assert!(got[0].get("invoice_no__c").is_some());

    // create: inline, @file and stdin.
    let data = r#"{"account_id":"2d58af2dbb4d4ecd931e80ef18000001","payment_amount":"300.00","remark":"首付款","invoice_no__c":"INV-T-1"}"#;
    let created = crm(&[
        "--mock",
        "fxiaoke",
        "create",
        "PaymentObj",
        "--data",
        data,
        "--no-flows",
    ])
    .run()
    .ok()
    .jsonl();
    assert_eq!(str_of(&created[0], "result"), "created");
    assert_eq!(str_of(&created[0], "_id").len(), 24);
    let dir = temp_dir("create");
    let file = dir.join("payment.json");
    std::fs::write(&file, data).unwrap();
    let at_file = format!("@{}", file.display());
    crm(&[
        "--mock",
        "fxiaoke",
        "create",
        "PaymentObj",
        "--data",
        &at_file,
    ])
    .run()
    .ok();
    crm(&["--mock", "fxiaoke", "create", "PaymentObj", "--data", "-"])
        .stdin(data)
        .run()
        .ok();
    crm(&[
        "--mock",
        "fxiaoke",
        "create",
        "object_demo__c",
        "--data",
        r#"{"field_level__c":"B"}"#,
    ])
    .run()
    .ok();

    // update: by argument, by _id in the data; neither is a usage error.
    let updated = crm(&[
        "--mock",
        "fxiaoke",
        "update",
        "PaymentObj",
        &id,
        "--data",
        r#"{"remark":"改"}"#,
    ])
    .run()
    .ok()
    .jsonl();
    assert_eq!(
        (str_of(&updated[0], "_id"), str_of(&updated[0], "result")),
        (id.as_str(), "updated")
    );
    let with_id = format!(r#"{{"_id":"{id}","remark":"改"}}"#);
    crm(&[
        "--mock",
        "fxiaoke",
        "update",
        "PaymentObj",
        "--data",
        &with_id,
    ])
    .run()
    .ok();
    assert_fails(
        &crm(&["--mock", "fxiaoke", "update", "PaymentObj", "--data", "{}"]).run(),
        2,
    );
    assert_fails(
        &crm(&[
            "--mock",
            "fxiaoke",
            "update",
            "PaymentObj",
            "x",
            "--data",
            &with_id,
        ])
        .run(),
        2,
    );
    assert_fails(
        &crm(&[
            "--mock",
            "fxiaoke",
            "create",
            "PaymentObj",
            "--data",
            "{not json",
        ])
        .run(),
        2,
    );
    assert_fails(
        &crm(&["--mock", "fxiaoke", "create", "PaymentObj", "--data", "[1]"]).run(),
        2,
    );

    let voided = crm(&["--mock", "fxiaoke", "invalid", "PaymentObj", &id])
        .run()
        .ok()
        .jsonl();
    assert_eq!(str_of(&voided[0], "result"), "invalidated");

    let second = {
        let run = crm(&["--mock", "fxiaoke", "query", "PaymentObj", "--max", "2"])
            .run()
            .ok();
        str_of(&run.jsonl()[1], "_id").to_owned()
    };
    let deleted = crm(&["--mock", "fxiaoke", "delete", "PaymentObj", &id, &second])
        .run()
        .ok()
        .jsonl();
    assert_eq!(deleted.len(), 2);
    assert!(deleted.iter().all(|d| str_of(d, "result") == "deleted"));
}

#[test]
fn fxiaoke_describe_and_objects() {
    let fields = crm(&["--mock", "fxiaoke", "describe", "PaymentObj"])
        .run()
        .ok()
        .jsonl();
    assert!(fields.len() > 3);
    assert!(
        fields
            .iter()
            .any(|f| str_of(f, "api_name") == "payment_amount"),
        "{fields:?}"
    );
    let objects = crm(&["--mock", "fxiaoke", "objects"]).run().ok().jsonl();
    assert!(
        objects
            .iter()
            .any(|o| str_of(o, "describeApiName") == "PaymentObj"),
        "{objects:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// useasy

#[test]
fn useasy_list_search_and_custom_fields() {
    let all = crm(&["--mock", "useasy", "customers", "list", "--page-size", "15"])
        .run()
        .ok()
        .jsonl();
    assert_eq!(all.len(), 40);
    let ids: HashSet<&str> = all.iter().map(|c| str_of(c, "_id")).collect();
    assert_eq!(ids.len(), 40);
    // Custom fields travel under their field ids, kept as sent.
    assert!(
        all.iter()
            .any(|c| c.get("text_6ts9_1687316347239").is_some())
    );
    let private = crm(&[
        "--mock",
        "useasy",
        "customers",
        "list",
        "--search",
        "openSeaIds EMPTY",
    ])
    .run()
    .ok()
    .jsonl();
    assert_eq!(private.len(), 32, "every fifth of 40 has an open sea");
    let named = crm(&[
        "--mock",
        "useasy",
        "customers",
        "list",
        "-w",
        "customerName eq 测试客户0003",
    ])
    .run()
    .ok()
    .jsonl();
    assert_eq!(named.len(), 1);
    let max = crm(&["--mock", "useasy", "customers", "list", "--max", "3"])
        .run()
        .ok()
        .jsonl();
    assert_eq!(max.len(), 3);
    assert_eq!(
        crm(&["--mock", "useasy", "customers", "list", "-w", "x ~ 1"])
            .run()
            .code,
        2
    );
}

#[test]
fn useasy_get_add_update_delete_fields() {
    let first = crm(&["--mock", "useasy", "customers", "list", "--max", "1"])
        .run()
        .ok()
        .jsonl();
    let id = str_of(&first[0], "_id").to_owned();
    let got = crm(&["--mock", "useasy", "customers", "get", &id])
        .run()
        .ok()
        .jsonl();
    assert_eq!(str_of(&got[0], "_id"), id);

    let added = crm(&[
        "--mock",
        "useasy",
        "customers",
        "add",
        "--data",
        r#"{"customerName":"张三","email":[{"value":"zs@example.com"}]}"#,
        "--set",
        "详细地址=杭州市西湖区文三路 1 号",
        "--set",
        "客户等级=重要客户",
    ])
    .run()
    .ok()
    .jsonl();
    assert_eq!(str_of(&added[0], "customerName"), "张三");
    assert_eq!(
        str_of(&added[0], "text_6ts9_1687316347239"),
        "杭州市西湖区文三路 1 号"
    );
    assert!(!str_of(&added[0], "_id").is_empty());
    assert_fails(
        &crm(&["--mock", "useasy", "customers", "add", "--data", "{}"]).run(),
        2,
    );
    assert_fails(
        &crm(&[
            "--mock",
            "useasy",
            "customers",
            "add",
            "--data",
            r#"{"customerName":"x"}"#,
            "--set",
            "没有这个字段=1",
        ])
        .run(),
        2,
    );

    let updated = crm(&[
        "--mock",
        "useasy",
        "customers",
        "update",
        &id,
        "--set",
        "客户等级=C",
        // A number typed into a text field stays text; a cascade path by labels.
        "--set",
        "详细地址=13800000000",
        "--set",
        "所在地区=浙江省/杭州市",
    ])
    .run()
    .ok()
    .jsonl();
    assert_eq!(str_of(&updated[0], "_id"), id);
    assert_eq!(str_of(&updated[0], "select_k2m1_1687316400000"), "C");
    assert_eq!(
        updated[0]["text_6ts9_1687316347239"],
        serde_json::json!("13800000000")
    );
    let cascade_key = updated[0]
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.starts_with("cascade"))
        .cloned()
        .unwrap();
    assert_eq!(updated[0][&cascade_key], serde_json::json!(["zj", "hz"]));
    // Raw JSON as given.
    let raw = crm(&[
        "--mock",
        "useasy",
        "customers",
        "update",
        &id,
        "--set-json",
        "所在地区=[\"bj\",\"hd\"]",
    ])
    .run()
    .ok()
    .jsonl();
    assert_eq!(raw[0][&cascade_key], serde_json::json!(["bj", "hd"]));

    let deleted = crm(&["--mock", "useasy", "customers", "delete", &id])
        .run()
        .ok()
        .jsonl();
    assert_eq!(str_of(&deleted[0], "result"), "deleted");

    let fields = crm(&["--mock", "useasy", "customers", "fields"])
        .run()
        .ok()
        .jsonl();
    assert!(
        fields.iter().any(|f| str_of(f, "name") == "详细地址"),
        "{fields:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// U8

#[test]
fn u8_list_with_every_filter_and_get() {
    let all = crm(&["--mock", "u8", "contacts", "list", "--page-size", "9"])
        .run()
        .ok()
        .jsonl();
    assert_eq!(all.len(), 40);
    assert_eq!(
        all.iter()
            .map(|c| str_of(c, "code"))
            .collect::<HashSet<_>>()
            .len(),
        40
    );
    // As sent: every value a string, "1"/"0" flags.
    assert!(all.iter().all(|c| c["be_main_linker"].is_string()));

    let of_customer = crm(&[
        "--mock",
        "u8",
        "contacts",
        "list",
        "--ccuscode",
        "0215",
        "--be-main-linker",
        "true",
    ])
    .run()
    .ok()
    .jsonl();
    assert!(!of_customer.is_empty());
    assert!(
        of_customer
            .iter()
            .all(|c| str_of(c, "ccuscode") == "0215" && str_of(c, "be_main_linker") == "1")
    );

    let range = crm(&[
        "--mock",
        "u8",
        "contacts",
        "list",
        "--code-begin",
        "00000005",
        "--code-end",
        "00000009",
    ])
    .run()
    .ok()
    .jsonl();
    assert_eq!(range.len(), 5);

    // A contact's own values, fed back as filters, find it again: every filter flag is wired.
    let c = &all[6];
    let mut args: Vec<String> = ["--mock", "u8", "contacts", "list"]
        .map(String::from)
        .to_vec();
    for (flag, key) in [
        ("--code-begin", "code"),
        ("--code-end", "code"),
        ("--name", "name"),
        ("--ccuscode", "ccuscode"),
        ("--ccusname", "ccusname"),
        ("--direct-leader-code", "direct_leader_code"),
        ("--direct-leader", "direct_leader"),
        ("--charge-person-code", "charge_person_code"),
        ("--charge-person", "charge_person"),
        ("--title", "title"),
        ("--sex", "sex"),
        ("--position", "position"),
        ("--mobile-phone", "mobile_phone"),
        ("--office-phone", "office_phone"),
        ("--email", "email"),
        ("--favorite", "favorite"),
        ("--wechat", "wechat"),
        ("--qq", "qq"),
    ] {
        let v = str_of(c, key);
        if !v.is_empty() {
            args.push(format!("{flag}={v}"));
        }
    }
    args.push(format!(
        "--be-main-linker={}",
        str_of(c, "be_main_linker") == "1"
    ));
    args.push(format!("--default={}", str_of(c, "default") == "1"));
    let birthday = str_of(c, "birthday");
    if birthday.len() >= 10 {
        args.push(format!("--birthday={}", &birthday[..10]));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let found = crm(&refs).run().ok().jsonl();
    assert_eq!(found.len(), 1, "{args:?}");
    assert_eq!(found[0]["code"], c["code"]);

    assert_eq!(
        crm(&[
            "--mock",
            "u8",
            "contacts",
            "list",
            "--birthday",
            "1990/01/01"
        ])
        .run()
        .code,
        2
    );
    assert_eq!(
        crm(&["--mock", "u8", "contacts", "list", "--ds-sequence", "1"])
            .run()
            .ok()
            .jsonl()
            .len(),
        40
    );

    let got = crm(&["--mock", "u8", "contacts", "get", "00000003"])
        .run()
        .ok()
        .jsonl();
    assert_eq!(str_of(&got[0], "code"), "00000003");
}

// ---------------------------------------------------------------------------------------------
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
// Exit codes

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        crm(&["fxiaoke", "query", "PaymentObj", "--bogus"])
            .run()
            .code,
        2
    );
    assert_eq!(crm(&["nope"]).run().code, 2);
    assert_eq!(crm(&[]).run().code, 2);
    assert_eq!(
        crm(&[
            "--mock",
            "fxiaoke",
            "query",
            "PaymentObj",
            "--filter",
            "x FOO 1"
        ])
        .run()
        .code,
        2
    );
    assert_eq!(
        crm(&[
            "--mock",
            "fxiaoke",
            "query",
            "PaymentObj",
            "--page-size",
            "101"
        ])
        .run()
        .code,
        2
    );
    assert_eq!(
        crm(&[
            "--mock",
            "fxiaoke",
            "query",
            "PaymentObj",
            "--order",
            "x:sideways"
        ])
        .run()
        .code,
        2
    );
    assert_eq!(
        crm(&["--mock", "fxiaoke", "delete", "PaymentObj"])
            .run()
            .code,
        2
    );
}

#[test]
fn missing_configuration_exits_3_with_one_line_naming_the_variables() {
    let run = crm(&["fxiaoke", "query", "PaymentObj"]).run();
    assert_fails(&run, 3);
    for v in [
        "FXIAOKE_APP_ID",
        "FXIAOKE_APP_SECRET",
        "FXIAOKE_PERMANENT_CODE",
        "FXIAOKE_OPEN_USER_ID",
        "--mock",
    ] {
        assert!(run.stderr.contains(v), "{v}: {}", run.stderr);
    }
    let run = crm(&["fxiaoke", "get", "PaymentObj", "1"])
        .env("FXIAOKE_APP_ID", "FSAID_1")
        .run();
    assert_fails(&run, 3);
    assert!(
        !run.stderr.contains("FXIAOKE_APP_ID,"),
        "only the missing ones: {}",
        run.stderr
    );

    let run = crm(&["useasy", "customers", "list"]).run();
    assert_fails(&run, 3);
    assert!(run.stderr.contains("USEASY_APPID") && run.stderr.contains("USEASY_SECRET"));

    let run = crm(&["u8", "contacts", "get", "1"])
        .env("U8_APP_SECRET", "s3cr3t-u8")
        .run();
    assert_fails(&run, 3);
    for v in ["U8_FROM_ACCOUNT", "U8_TO_ACCOUNT", "U8_APP_KEY"] {
        assert!(run.stderr.contains(v), "{v}: {}", run.stderr);
    }
    assert!(!run.stderr.contains("s3cr3t"));
}

#[test]
fn invalid_base_url_exits_3_with_one_line() {
    let run = crm(&["fxiaoke", "get", "PaymentObj", "1"])
        .env("FXIAOKE_BASE_URL", "not a url")
        .env("FXIAOKE_APP_ID", "FSAID_1")
        .env("FXIAOKE_APP_SECRET", "s3cr3t-fx")
        .env("FXIAOKE_PERMANENT_CODE", "s3cr3t-code")
        .env("FXIAOKE_OPEN_USER_ID", "FSUID_1")
        .run();
    assert_fails(&run, 3);
    assert!(run.stderr.contains("base URL"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t"));
    let run = crm(&[
        "useasy",
        "customers",
        "fields",
        "--base-url",
        "::",
        "--appid",
        "1",
        "--secret",
        "s3cr3t",
    ])
    .run();
    assert_fails(&run, 3);
    let run = crm(&["u8", "contacts", "get", "1"])
        .env("U8_BASE_URL", "http//missing-colon")
        .env("U8_FROM_ACCOUNT", "a")
        .env("U8_TO_ACCOUNT", "b")
        .env("U8_APP_KEY", "c")
        .env("U8_APP_SECRET", "s3cr3t")
        .run();
    assert_fails(&run, 3);
}

#[test]
fn vendor_api_errors_exit_4() {
    let run = crm(&[
        "--mock",
        "fxiaoke",
        "get",
        "PaymentObj",
        "000000000000000000000000",
    ])
    .run();
    assert_fails(&run, 4);
    assert!(
        run.stderr.contains("fxiaoke get_data failed with code"),
        "{}",
        run.stderr
    );
    let run = crm(&["--mock", "useasy", "customers", "get", "1"]).run();
    assert_fails(&run, 4);
    assert!(run.stderr.contains("code 404"), "{}", run.stderr);
    let run = crm(&["--mock", "u8", "contacts", "get", "99999999"]).run();
    assert_fails(&run, 4);
    assert!(
        run.stderr.contains("u8 get_contact failed with code"),
        "{}",
        run.stderr
    );
    // Deleting a record that does not exist.
    assert_fails(
        &crm(&[
            "--mock",
            "fxiaoke",
            "delete",
            "PaymentObj",
            "000000000000000000000000",
        ])
        .run(),
        4,
    );
}

#[test]
fn network_errors_exit_5() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let run = crm(&["fxiaoke", "get", "PaymentObj", "1", "--retries", "0"])
        .env("FXIAOKE_BASE_URL", "http://127.0.0.1:9")
        .env("FXIAOKE_APP_ID", "FSAID_fake")
        .env("FXIAOKE_APP_SECRET", "s3cr3t-fx")
        .env("FXIAOKE_PERMANENT_CODE", "s3cr3t-code")
        .env("FXIAOKE_OPEN_USER_ID", "FSUID_fake")
        .run();
    assert_fails(&run, 5);
    assert!(run.stderr.contains("127.0.0.1:9"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    let run = crm(&["useasy", "customers", "list"])
        .env("USEASY_BASE_URL", "http://127.0.0.1:9")
        .env("USEASY_APPID", "1090")
        .env("USEASY_SECRET", "s3cr3t")
        .env("CRM_RETRIES", "0")
        .run();
    assert_fails(&run, 5);
    let run = crm(&["u8", "contacts", "list", "--retries", "0"])
        .env("U8_BASE_URL", "http://127.0.0.1:9")
        .env("U8_FROM_ACCOUNT", "a")
        .env("U8_TO_ACCOUNT", "b")
        .env("U8_APP_KEY", "c")
        .env("U8_APP_SECRET", "s3cr3t")
        .run();
    assert_fails(&run, 5);
    assert!(!run.stderr.contains("s3cr3t"));
}

// ---------------------------------------------------------------------------------------------
// Recording, large exports

#[test]
fn record_dir_receives_redacted_exchanges() {
    let dir = temp_dir("record");
    let dir_arg = dir.display().to_string();
    crm(&[
        "--mock", "--record", &dir_arg, "u8", "contacts", "list", "--max", "2",
    ])
    .run()
    .ok();
    crm(&[
        "--mock",
        "--record",
        &dir_arg,
        "useasy",
        "customers",
        "list",
        "--max",
        "2",
    ])
    .run()
    .ok();
    crm(&[
        "--mock",
        "--record",
        &dir_arg,
        "fxiaoke",
        "query",
        "PaymentObj",
        "--max",
        "2",
    ])
    .run()
    .ok();
    let mut files = Vec::new();
    for entry in walk(&dir) {
        files.push(std::fs::read_to_string(&entry).unwrap());
    }
    assert!(files.len() >= 5, "{} files", files.len());
    let all = files.join("\n");
    for vendor in ["\"fxiaoke\"", "\"useasy\"", "\"u8\""] {
        assert!(all.contains(vendor), "{vendor}");
    }
    assert!(all.contains("redacted"));
    // The mocks' fixed secrets never appear.
    assert!(!all.contains("mocksecret5f2c0e1d9a7b4c38e6f10d2a"));
    assert!(!all.contains("0f1e2d3c4b5a69788796a5b4c3d2e1f0"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn ten_thousand_record_export_has_every_record_once() {
    let dir = temp_dir("export");
    let file = dir.join("payments.jsonl");
    let started = Instant::now();
    let out = std::fs::File::create(&file).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crm"));
    for v in VARS {
        cmd.env_remove(v);
    }
    let mut child = cmd
        .env("CRM_MOCK_RECORDS", "10000")
        .args([
            "--mock",
            "fxiaoke",
            "query",
            "PaymentObj",
            "--page-size",
            "100",
        ])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("the export ran longer than {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.is_empty(),
        "no progress bar when stderr is not a terminal: {stderr}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let mut ids = HashSet::new();
    let mut lines = 0;
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        ids.insert(str_of(&v, "_id").to_owned());
        lines += 1;
    }
    assert_eq!(lines, 10_000);
    assert_eq!(ids.len(), 10_000, "every record exactly once");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// Configuration from the environment, against mocks started here (a stand-in for the vendors)

/// The three mocks, served by a runtime of their own while the test waits for `crm`.
struct Vendors {
    _runtime: tokio::runtime::Runtime,
    fxiaoke: fxiaoke_crm_mock::MockFxiaoke,
    useasy: openapi_crm_mock::MockUseasy,
    u8: u8_contacts_mock::MockU8,
}

fn vendors() -> Vendors {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (fxiaoke, useasy, u8) = runtime.block_on(async {
        (
            fxiaoke_crm_mock::MockFxiaoke::start_with_sample_data(3)
                .await
                .unwrap(),
            openapi_crm_mock::MockUseasy::start_with_sample_data(3)
                .await
                .unwrap(),
            u8_contacts_mock::MockU8::start_with_sample_data(3)
                .await
                .unwrap(),
        )
    });
    Vendors {
        _runtime: runtime,
        fxiaoke,
        useasy,
        u8,
    }
}

impl Vendors {
    fn fxiaoke(&self, args: &[&str], app_secret: &str) -> Run {
        let c = self.fxiaoke.credentials();
        crm(args)
            .env("FXIAOKE_BASE_URL", self.fxiaoke.base_url().as_str())
            .env("FXIAOKE_APP_ID", &c.app_id)
            .env("FXIAOKE_APP_SECRET", app_secret)
            .env("FXIAOKE_PERMANENT_CODE", &c.permanent_code)
            .env("FXIAOKE_OPEN_USER_ID", &c.open_user_id)
            .env("CRM_RETRIES", "0")
            .run()
    }

    fn useasy(&self, args: &[&str], secret: &str) -> Run {
        crm(args)
            .env("USEASY_BASE_URL", self.useasy.base_url().as_str())
            .env("USEASY_APPID", &self.useasy.credentials().appid)
            .env("USEASY_SECRET", secret)
            .env("CRM_RETRIES", "0")
            .run()
    }

    fn u8(&self, args: &[&str], app_secret: &str) -> Run {
        let c = self.u8.credentials();
        crm(args)
            .env("U8_BASE_URL", self.u8.base_url().as_str())
            .env("U8_FROM_ACCOUNT", &c.from_account)
            .env("U8_TO_ACCOUNT", &c.to_account)
            .env("U8_APP_KEY", &c.app_key)
            .env("U8_APP_SECRET", app_secret)
            .env("CRM_RETRIES", "0")
            .run()
    }
}

#[test]
fn configuration_from_the_environment_reaches_the_vendor() {
    let v = vendors();
    let secret = v.fxiaoke.credentials().app_secret;
    let run = v.fxiaoke(&["fxiaoke", "query", "PaymentObj"], &secret).ok();
    assert_eq!(run.jsonl().len(), 3);
    let secret = v.useasy.credentials().secret.expose_secret().to_owned();
    let run = v.useasy(&["useasy", "customers", "list"], &secret).ok();
    assert_eq!(run.jsonl().len(), 3);
    let secret = v.u8.credentials().app_secret.expose_secret().to_owned();
    let run = v.u8(&["u8", "contacts", "list"], &secret).ok();
    assert_eq!(run.jsonl().len(), 3);
    // Flags override the environment.
    let run = v.u8(&["u8", "contacts", "list", "--app-key", "wrong"], &secret);
    assert_fails(&run, 3);
}

#[test]
fn rejected_credentials_exit_3_without_printing_them() {
    let v = vendors();
    let runs = [
        v.fxiaoke(&["fxiaoke", "get", "PaymentObj", "1"], "s3cr3t-wrong"),
        v.useasy(&["useasy", "customers", "get", "1"], "s3cr3t-wrong"),
        v.u8(&["u8", "contacts", "get", "00000001"], "s3cr3t-wrong"),
    ];
    for (run, vendor) in runs.iter().zip(["fxiaoke", "useasy", "u8"]) {
        assert_fails(run, 3);
        assert!(run.stderr.contains(vendor), "{}", run.stderr);
        assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    }
}
