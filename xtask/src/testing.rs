//! Test support shared by the jobs' tests: a temporary copy of `schemas/` and `fixtures/`, and
//! recordings built from the documented fixtures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::workspace::repo_root;

/// A temporary root with copies of `schemas/` and `fixtures/`; removed on drop.
pub struct TempRoot(crm_testkit::TempDir);

impl TempRoot {
    pub fn new(tag: &str) -> Self {
        let root = crm_testkit::TempDir::new(&format!("xtask-{tag}"));
        let dir = root.path();
        for sub in ["schemas", "fixtures"] {
            copy_dir(&repo_root().join(sub), &dir.join(sub));
        }
        std::fs::create_dir_all(dir.join("rec")).unwrap();
        TempRoot(root)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    pub fn rec_dir(&self) -> PathBuf {
        self.path().join("rec")
    }

    pub fn write_recording(&self, name: &str, rec: &Value) -> PathBuf {
        let p = self.rec_dir().join(name);
        std::fs::write(&p, serde_json::to_string_pretty(rec).unwrap() + "\n").unwrap();
        p
    }
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

pub fn fixture(vendor: &str, file: &str) -> Value {
    let text =
        std::fs::read_to_string(repo_root().join("fixtures").join(vendor).join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn fixture_text(vendor: &str, file: &str) -> String {
    std::fs::read_to_string(repo_root().join("fixtures").join(vendor).join(file)).unwrap()
}

pub fn recording(
    vendor: &str,
    op: &str,
    method: &str,
    url: &str,
    body: Option<Value>,
    response: Option<Value>,
) -> Value {
    let mut r = json!({
        "recording": 1,
        "vendor": vendor,
        "operation": op,
        "recordedAt": "2025-03-04T05:06:07.089+00:00",
        "request": {
            "method": method,
            "url": url,
            "headers": {"content-type": "application/json"},
            "body": body,
        },
    });
    match response {
        Some(b) => r["response"] = json!({"status": 200, "body": b}),
        None => r["error"] = json!("transport error: connection reset"),
    }
    r
}

pub fn fxiaoke_query(response: Value) -> Value {
    recording(
        "fxiaoke",
        "query_data",
        "POST",
        "https://open.fxiaoke.com/cgi/crm/v2/data/query",
        Some(fixture("fxiaoke", "query-payment.request.json")),
        Some(response),
    )
}

pub fn useasy_list(request: Value, response: Value) -> Value {
    recording(
        "useasy",
        "list_customers",
        "POST",
        "http://47.99.32.215:8081/openapi/crm/list",
        Some(request),
        Some(response),
    )
}

pub fn u8_batch_get(query: &str, response: Value) -> Value {
    recording(
        "u8",
        "batch_get_contacts",
        "GET",
        &format!("https://api.yonyouup.com/api/customercontacts/batch_get?{query}"),
        None,
        Some(response),
    )
}

pub fn u8_query() -> String {
    fixture_text("u8", "batch-get.request.query")
        .trim()
        .to_owned()
}
