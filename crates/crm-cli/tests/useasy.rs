//! End-to-end tests of the `crm` binary: `crm useasy customers`: list, search, custom fields, get, add, update, delete against the embedded mock.
//! Every run is bounded by a deadline and killed when it passes it; loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::*;

#[test]
fn useasy_list_search_and_custom_fields() {
    let all = crm(&["--mock", "useasy", "customers", "list", "--page-size", "15"]).run_ok_jsonl();
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
    .run_ok_jsonl();
    assert_eq!(private.len(), 32, "every fifth of 40 has an open sea");
    let named = crm(&[
        "--mock",
        "useasy",
        "customers",
        "list",
        "-w",
        "customerName eq 测试客户0003",
    ])
    .run_ok_jsonl();
    assert_eq!(named.len(), 1);
    let max = crm(&["--mock", "useasy", "customers", "list", "--max", "3"]).run_ok_jsonl();
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
    let first = crm(&["--mock", "useasy", "customers", "list", "--max", "1"]).run_ok_jsonl();
    let id = str_of(&first[0], "_id").to_owned();
    let got = crm(&["--mock", "useasy", "customers", "get", &id]).run_ok_jsonl();
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
    .run_ok_jsonl();
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
    .run_ok_jsonl();
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
    .run_ok_jsonl();
    assert_eq!(raw[0][&cascade_key], serde_json::json!(["bj", "hd"]));

    let deleted = crm(&["--mock", "useasy", "customers", "delete", &id]).run_ok_jsonl();
    assert_eq!(str_of(&deleted[0], "result"), "deleted");

    let fields = crm(&["--mock", "useasy", "customers", "fields"]).run_ok_jsonl();
    assert!(
        fields.iter().any(|f| str_of(f, "name") == "详细地址"),
        "{fields:?}"
    );
}

// ---------------------------------------------------------------------------------------------
