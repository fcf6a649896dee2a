//! Exit statuses of `cargo xtask drift` and `cargo xtask fixtures add` (the binary reads the
//! repository's schemas; recordings live in a temporary folder; nothing is written into the
//! repository).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn fixture(path: &str) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    serde_json::from_str(&std::fs::read_to_string(root.join(path)).unwrap()).unwrap()
}

fn query_recording(response: Value) -> Value {
    json!({
        "recording": 1,
        "vendor": "fxiaoke",
        "operation": "query_data",
        "recordedAt": "2025-03-04T05:06:07Z",
        "request": {
            "method": "POST",
            "url": "https://open.fxiaoke.com/cgi/crm/v2/data/query",
            "headers": {},
            "body": fixture("fxiaoke/query-payment.request.json"),
        },
        "response": {"status": 200, "body": response},
    })
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn drift_exit_statuses() {
    let t = crm_testkit::TempDir::new("xtask-cli-drift");
    let clean = t.path().join("clean");
    std::fs::create_dir_all(&clean).unwrap();
    std::fs::write(
        clean.join("a.json"),
        query_recording(fixture("fxiaoke/query-payment.response.json")).to_string(),
    )
    .unwrap();
    let out = xtask(&["drift", clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "no drift in 1 exchange(s)");

    let mut drifted = fixture("fxiaoke/query-payment.response.json");
    drifted["data"]["dataList"][0]["life_status"] = json!("archived");
    let file = t.path().join("drifted.json");
    std::fs::write(&file, query_recording(drifted).to_string()).unwrap();
    let out = xtask(&["drift", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("| data.dataList[*].life_status | new-enum-value"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 finding(s) in 1 of 1 exchange(s)"),
        "{stdout}"
    );

    let out = xtask(&["drift", "--suggest", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("\"path\": \"/$defs/LifeStatus/anyOf/0/enum/-\""));

    let out = xtask(&["drift", "--json", file.to_str().unwrap()]);
    let line: Value = serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(line["kind"], "new-enum-value");

    let mut bad = query_recording(json!({}));
    bad["operation"] = json!("teleport");
    let file = t.path().join("bad-op.json");
    std::fs::write(&file, bad.to_string()).unwrap();
    let out = xtask(&["drift", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad-op.json") && stderr.contains("unknown operation `teleport`"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let out = xtask(&["drift", t.path().join("nope.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let out = xtask(&["drift"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fixtures_add_refuses_bad_input() {
    let t = crm_testkit::TempDir::new("xtask-cli-fixtures");
    let file = t.path().join("rec.json");
    std::fs::write(
        &file,
        query_recording(fixture("fxiaoke/query-payment.response.json")).to_string(),
    )
    .unwrap();
    let out = xtask(&[
        "fixtures",
        "add",
        file.to_str().unwrap(),
        "--name",
        "Not_Valid",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid --name"));
    // An existing fixture is never overwritten.
    let out = xtask(&[
        "fixtures",
        "add",
        file.to_str().unwrap(),
        "--name",
        "query-payment",
        "--direction",
        "request",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("refusing to overwrite fixtures/fxiaoke/query-payment.request.json"),
        "{}",
        text(&out.stderr)
    );
}
