//! End-to-end tests of the `crm` binary: `--record` and a 10,000-record export.
//! Every run is bounded by a deadline and killed when it passes it; loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

// Recording, large exports

#[test]
fn record_dir_receives_redacted_exchanges() {
    let dir = TempDir::new("cli-record");
    for args in [
        &["u8", "contacts", "list"][..],
        &["useasy", "customers", "list"],
        &["fxiaoke", "query", "PaymentObj"],
    ] {
        crm_mock_recording(&dir, &[args, &["--max", "2"]].concat())
            .run()
            .ok();
    }
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
    let dir = TempDir::new("cli-export");
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
