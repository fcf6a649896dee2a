//! End-to-end tests of the `crm` binary: `crm fxiaoke`: query, get, create, update, invalid, delete, describe, objects against the embedded mock.
//! Every run is bounded by a deadline and killed when it passes it; loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::*;

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
    let got = crm(&["--mock", "fxiaoke", "get", "PaymentObj", &id]).run_ok_jsonl();
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
    .run_ok_jsonl();
    assert_eq!(str_of(&created[0], "result"), "created");
    assert_eq!(str_of(&created[0], "_id").len(), 24);
    let dir = TempDir::new("cli-create");
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
    .run_ok_jsonl();
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

    let voided = crm(&["--mock", "fxiaoke", "invalid", "PaymentObj", &id]).run_ok_jsonl();
    assert_eq!(str_of(&voided[0], "result"), "invalidated");

    let second = {
        let run = crm(&["--mock", "fxiaoke", "query", "PaymentObj", "--max", "2"])
            .run()
            .ok();
        str_of(&run.jsonl()[1], "_id").to_owned()
    };
    let deleted = crm(&["--mock", "fxiaoke", "delete", "PaymentObj", &id, &second]).run_ok_jsonl();
    assert_eq!(deleted.len(), 2);
    assert!(deleted.iter().all(|d| str_of(d, "result") == "deleted"));
}

#[test]
fn fxiaoke_describe_and_objects() {
    let fields = crm(&["--mock", "fxiaoke", "describe", "PaymentObj"]).run_ok_jsonl();
    assert!(fields.len() > 3);
    assert!(
        fields
            .iter()
            .any(|f| str_of(f, "api_name") == "payment_amount"),
        "{fields:?}"
    );
    let objects = crm(&["--mock", "fxiaoke", "objects"]).run_ok_jsonl();
    assert!(
        objects
            .iter()
            .any(|o| str_of(o, "describeApiName") == "PaymentObj"),
        "{objects:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// useasy
