//! Tests of `drift`, `drift --suggest` and `fixtures add` on recordings built from the
//! documented fixtures, in a temporary copy of `schemas/` and `fixtures/` (nothing is written
//! into the repository).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};

use crate::codegen::{self, VENDORS};
use crate::drift::{self, Checker, Direction, Finding, Kind};
use crate::fixtures;
use crate::patch;
use crate::recording::{self, Loaded};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A temporary root with copies of `schemas/` and `fixtures/`; removed on drop.
struct TempRoot(PathBuf);

impl TempRoot {
    fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "xtask-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        for sub in ["schemas", "fixtures"] {
            copy_dir(&repo_root().join(sub), &dir.join(sub));
        }
        std::fs::create_dir_all(dir.join("rec")).unwrap();
        TempRoot(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn rec_dir(&self) -> PathBuf {
        self.0.join("rec")
    }

    fn write_recording(&self, name: &str, rec: &Value) -> PathBuf {
        let p = self.rec_dir().join(name);
        std::fs::write(&p, serde_json::to_string_pretty(rec).unwrap() + "\n").unwrap();
        p
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(src: &Path, dst: &Path) {
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

fn fixture(vendor: &str, file: &str) -> Value {
    let text =
        std::fs::read_to_string(repo_root().join("fixtures").join(vendor).join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn fixture_text(vendor: &str, file: &str) -> String {
    std::fs::read_to_string(repo_root().join("fixtures").join(vendor).join(file)).unwrap()
}

fn recording(
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

fn fxiaoke_query(response: Value) -> Value {
    recording(
        "fxiaoke",
        "query_data",
        "POST",
        "https://open.fxiaoke.com/cgi/crm/v2/data/query",
        Some(fixture("fxiaoke", "query-payment.request.json")),
        Some(response),
    )
}

fn useasy_list(request: Value, response: Value) -> Value {
    recording(
        "useasy",
        "list_customers",
        "POST",
        "http://47.99.32.215:8081/openapi/crm/list",
        Some(request),
        Some(response),
    )
}

fn u8_batch_get(query: &str, response: Value) -> Value {
    recording(
        "u8",
        "batch_get_contacts",
        "GET",
        &format!("https://api.yonyouup.com/api/customercontacts/batch_get?{query}"),
        None,
        Some(response),
    )
}

fn u8_query() -> String {
    fixture_text("u8", "batch-get.request.query")
        .trim()
        .to_owned()
}

/// (path, kind, schema file, schema pointer) of each finding, sorted.
fn summary(findings: &[Finding]) -> Vec<(String, Kind, String, String)> {
    let mut v: Vec<_> = findings
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                f.kind,
                f.schema.file.clone(),
                f.schema.pointer.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

fn s(x: &str) -> String {
    x.to_owned()
}

#[test]
fn clean_recordings_report_no_drift() {
    let root = TempRoot::new("clean");
    root.write_recording(
        "fx.json",
        &fxiaoke_query(fixture("fxiaoke", "query-payment.response.json")),
    );
    root.write_recording(
        "useasy.json",
        &useasy_list(
            fixture("useasy", "list-open-sea.request.json"),
            fixture("useasy", "list.response.json"),
        ),
    );
    root.write_recording(
        "u8.json",
        &u8_batch_get(&u8_query(), fixture("u8", "batch-get.response.json")),
    );
    let report = drift::run(root.path(), &[root.rec_dir()]).unwrap();
    assert_eq!(report.exchanges, 3);
    assert!(
        report.findings.is_empty(),
        "{}",
        drift::render_table(&report.findings)
    );
    assert_eq!(drift::summary(&report), "no drift in 3 exchange(s)");
}

/// Every documented fixture, wrapped in a recording of its operation, is drift-free, and the
/// fxiaoke records are typed as the index's `parts` say.
#[test]
fn every_documented_fixture_is_drift_free() {
    let root = TempRoot::new("all");
    let mut checked = 0;
    for vendor in VENDORS {
        let v = vendor.schema_dir;
        let index: Vec<Value> = serde_json::from_str(&fixture_text(v, "index.json")).unwrap();
        let mut checker = Checker::new(root.path());
        for (n, e) in index.iter().enumerate() {
            let file = e["file"].as_str().unwrap();
            let format = e.get("format").and_then(Value::as_str).unwrap_or("json");
            if format == "headers" {
                continue;
            }
            let op_name = e["operation"].as_str().unwrap();
            let op = checker
                .vendor(v)
                .unwrap()
                .operation(op_name)
                .unwrap()
                .clone();
            let url = e["http"]["url"].as_str().unwrap_or(&op.path).to_owned();
            let direction = e["direction"].as_str().unwrap();
            let parts: Vec<(String, String)> = e
                .get("parts")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, t)| (k.clone(), t.as_str().unwrap().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let rec = match (direction, format) {
                ("request", "query") => recording(
                    v,
                    op_name,
                    &op.method,
                    &format!("{url}?{}", fixture_text(v, file).trim()),
                    None,
                    None,
                ),
                ("request", _) => {
                    recording(v, op_name, &op.method, &url, Some(fixture(v, file)), None)
                }
                _ => {
                    // The request names the object of the records, as a real query would.
                    let body = parts
                        .first()
                        .map(|(_, t)| json!({"data": {"dataObjectApiName": t}}));
                    recording(v, op_name, &op.method, &url, body, Some(fixture(v, file)))
                }
            };
            let path = root.write_recording(&format!("{v}-{n}.json"), &rec);
            let Loaded::Recording(rec) = recording::load(&path).unwrap() else {
                panic!("not a recording")
            };
            let ex = checker.check(&rec).unwrap();
            let (dir, mut got_parts) = if direction == "request" {
                (Direction::Request, ex.request_parts)
            } else {
                (Direction::Response, ex.response_parts)
            };
            let findings: Vec<Finding> = ex
                .findings
                .into_iter()
                .filter(|f| f.direction == dir)
                .collect();
            assert!(
                findings.is_empty(),
                "{v}/{file}:\n{}",
                drift::render_table(&findings)
            );
            let mut want = parts.clone();
            want.sort();
            got_parts.sort();
            assert_eq!(got_parts, want, "{v}/{file}: typed records");
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} fixtures checked");
}

fn fxiaoke_drifted() -> Value {
    let mut resp = fixture("fxiaoke", "query-payment.response.json");
    let list = resp["data"]["dataList"].as_array_mut().unwrap();
    list[0]["new_field__c"] = json!("custom value");
    list[1]["new_field__c"] = json!("another value");
    list[0]["payment_time"] = json!("yesterday");
    list[0]["life_status"] = json!("archived");
    list[1]["life_status"] = json!("archived");
    resp.as_object_mut().unwrap().remove("errorCode");
    fxiaoke_query(resp)
}

#[test]
fn fxiaoke_drift_is_reported_once_each() {
    let root = TempRoot::new("fx");
    root.write_recording("fx.json", &fxiaoke_drifted());
    let report = drift::run(root.path(), &[root.rec_dir()]).unwrap();
    let objects = s("schemas/fxiaoke/objects.json");
    assert_eq!(
        summary(&report.findings),
        vec![
            (
                s("data.dataList[*].life_status"),
                Kind::NewEnumValue,
                objects.clone(),
                s("/$defs/LifeStatus/anyOf/0/enum")
            ),
            (
                s("data.dataList[*].new_field__c"),
                Kind::UnknownField,
                objects.clone(),
                s("/$defs/PaymentObj")
            ),
            (
                s("data.dataList[*].payment_time"),
                Kind::TypeMismatch,
                objects.clone(),
                s("/$defs/PaymentObj/properties/payment_time")
            ),
            (
                s("errorCode"),
                Kind::MissingRequired,
                s("schemas/fxiaoke/data.json"),
                s("/$defs/QueryResult")
            ),
        ],
        "{}",
        drift::render_table(&report.findings)
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.direction == Direction::Response && f.operation == "query_data")
    );
    let unknown = report
        .findings
        .iter()
        .find(|f| f.kind == Kind::UnknownField)
        .unwrap();
    assert_eq!(unknown.example, json!("custom value"));
    assert_eq!(unknown.seen.len(), 2);
    assert_eq!(unknown.key.as_deref(), Some("new_field__c"));
    assert!(
        unknown.detail.starts_with("string \"custom value\""),
        "{}",
        unknown.detail
    );
    let mismatch = report
        .findings
        .iter()
        .find(|f| f.kind == Kind::TypeMismatch)
        .unwrap();
    assert!(
        mismatch.detail.contains("EpochMillis") && mismatch.detail.contains("\"yesterday\""),
        "{}",
        mismatch.detail
    );
    let table = drift::render_table(&report.findings);
    assert!(table.starts_with("| file "), "{table}");
    assert_eq!(table.lines().count(), 2 + 4);
}

fn useasy_drifted() -> Value {
    let mut req = fixture("useasy", "list-open-sea.request.json");
    req["search"][0]["operator"] = json!("regex");
    let mut resp = fixture("useasy", "list.response.json");
    let c = &mut resp["data"]["list"][0];
    c["customerName"] = json!(12345);
    c["vipLevel"] = json!({"level": 3, "since": "2024-01-01", "tags": ["a", "b"]});
    // accountId: a number here, a numeric string in the second record → LenientDecimal.
    c["accountId"] = json!(10.5);
    let mut second = c.clone();
    second["accountId"] = json!("1091");
    second["customerName"] = json!("second");
    resp["data"]["list"].as_array_mut().unwrap().push(second);
    useasy_list(req, resp)
}

#[test]
fn useasy_drift_is_reported_once_each() {
    let root = TempRoot::new("useasy");
    root.write_recording("useasy.json", &useasy_drifted());
    let report = drift::run(root.path(), &[root.rec_dir()]).unwrap();
    let customer = s("schemas/useasy/customer.json");
    assert_eq!(
        summary(&report.findings),
        vec![
            (
                s("data.list[*].accountId"),
                Kind::TypeMismatch,
                customer.clone(),
                s("/$defs/Customer/properties/accountId")
            ),
            (
                s("data.list[*].customerName"),
                Kind::TypeMismatch,
                customer.clone(),
                s("/$defs/Customer/properties/customerName")
            ),
            (
                s("data.list[*].vipLevel"),
                Kind::UnknownField,
                customer.clone(),
                s("/$defs/Customer")
            ),
            (
                s("search[*].operator"),
                Kind::NewEnumValue,
                customer.clone(),
                s("/$defs/SearchOperator/anyOf/0/enum")
            ),
        ],
        "{}",
        drift::render_table(&report.findings)
    );
    let name = report
        .findings
        .iter()
        .find(|f| f.path.ends_with("customerName"))
        .unwrap();
    assert_eq!(name.example, json!(12345));
    assert!(
        name.detail.contains("expected string, saw integer 12345"),
        "{}",
        name.detail
    );
    let op = report
        .findings
        .iter()
        .find(|f| f.kind == Kind::NewEnumValue)
        .unwrap();
    assert_eq!(op.direction, Direction::Request);
}

#[test]
fn u8_query_strings_are_lenient_but_unknown_params_and_bad_values_are_not() {
    let root = TempRoot::new("u8");
    let mut resp = fixture("u8", "batch-get.response.json");
    resp["customercontacts"][1]["be_main_linker"] = json!("yes");
    let query = format!("{}&page_index=2&rows_per_page=20&shoe_size=42", u8_query());
    root.write_recording("u8.json", &u8_batch_get(&query, resp));
    let report = drift::run(root.path(), &[root.rec_dir()]).unwrap();
    let contacts = s("schemas/u8/contacts.json");
    assert_eq!(
        summary(&report.findings),
        vec![
            (
                s("customercontacts[*].be_main_linker"),
                Kind::TypeMismatch,
                contacts.clone(),
                s("/$defs/Contact/properties/be_main_linker")
            ),
            (
                s("shoe_size"),
                Kind::UnknownField,
                contacts.clone(),
                s("/$defs/BatchGetQuery")
            ),
        ],
        "{}",
        drift::render_table(&report.findings)
    );
    let shoe = report
        .findings
        .iter()
        .find(|f| f.kind == Kind::UnknownField)
        .unwrap();
    assert_eq!(
        (shoe.direction, &shoe.example),
        (Direction::Request, &json!("42"))
    );
}

#[test]
fn redacted_secrets_and_auth_envelopes_are_not_drift() {
    let root = TempRoot::new("secrets");
    let mut body = fixture("fxiaoke", "query-payment.request.json");
    body["corpAccessToken"] = json!("[redacted]");
    let mut rec = fxiaoke_query(fixture("fxiaoke", "query-payment.response.json"));
    rec["request"]["body"] = body;
    root.write_recording("fx.json", &rec);
    let token = recording(
        "u8",
        "get_token",
        "GET",
        "https://api.yonyouup.com/system/token?from_account=a&app_key=k&app_secret=%5Bredacted%5D",
        None,
        Some(
            json!({"errcode": "0", "errmsg": "", "token": {"id": "[redacted]", "appkey": "k", "expiresIn": 7200}}),
        ),
    );
    root.write_recording("u8-token.json", &token);
    let report = drift::run(root.path(), &[root.rec_dir()]).unwrap();
    assert!(
        report.findings.is_empty(),
        "{}",
        drift::render_table(&report.findings)
    );
}

#[test]
fn errors_name_the_file() {
    let root = TempRoot::new("errors");
    let mut bad_vendor = fxiaoke_query(json!({}));
    bad_vendor["vendor"] = json!("salesforce");
    let p = root.write_recording("v.json", &bad_vendor);
    let e = drift::run(root.path(), std::slice::from_ref(&p))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("v.json") && e.contains("unknown vendor `salesforce`"),
        "{e}"
    );

    let mut bad_op = fxiaoke_query(json!({}));
    bad_op["operation"] = json!("teleport");
    let p = root.write_recording("o.json", &bad_op);
    let e = drift::run(root.path(), std::slice::from_ref(&p))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("o.json") && e.contains("unknown operation `teleport`"),
        "{e}"
    );

    let p = root.rec_dir().join("broken.json");
    std::fs::write(&p, "{not json").unwrap();
    let e = drift::run(root.path(), std::slice::from_ref(&p))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("broken.json") && e.contains("not valid JSON"),
        "{e}"
    );

    let e = drift::run(root.path(), &[root.path().join("missing")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing") && e.contains("cannot read"), "{e}");

    let empty = root.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("other.json"), "{}").unwrap();
    let e = drift::run(root.path(), std::slice::from_ref(&empty))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no recordings found"), "{e}");
}

#[test]
fn requests_without_responses_and_error_statuses() {
    let root = TempRoot::new("noresp");
    let mut rec = fxiaoke_query(json!({}));
    rec.as_object_mut().unwrap().remove("response");
    rec["error"] = json!("timeout");
    root.write_recording("a.json", &rec);
    let mut rec = fxiaoke_query(json!("<html>bad gateway</html>"));
    rec["response"]["status"] = json!(502);
    root.write_recording("b.json", &rec);
    let report = drift::run(root.path(), &[root.rec_dir()]).unwrap();
    assert!(
        report.findings.is_empty(),
        "{}",
        drift::render_table(&report.findings)
    );
    assert_eq!(report.notes.len(), 2, "{:?}", report.notes);
}

// ---- --suggest -------------------------------------------------------------------------------

/// A tiny RFC 6902 applier (add, remove, replace, test).
fn apply_patch(doc: &mut Value, ops: &[Value]) -> Result<(), String> {
    fn unescape(t: &str) -> String {
        t.replace("~1", "/").replace("~0", "~")
    }
    for op in ops {
        let kind = op["op"].as_str().ok_or("op without \"op\"")?;
        let path = op["path"].as_str().ok_or("op without \"path\"")?;
        if !path.starts_with('/') {
            return Err(format!("path {path} does not start with /"));
        }
        let (parent, last) = path.rsplit_once('/').ok_or("bad path")?;
        let last = unescape(last);
        match kind {
            "test" => {
                if doc.pointer(path) != Some(&op["value"]) {
                    return Err(format!("test failed at {path}"));
                }
            }
            "replace" => {
                let target = doc
                    .pointer_mut(path)
                    .ok_or(format!("replace: {path} does not exist"))?;
                *target = op.get("value").cloned().ok_or("replace without value")?;
            }
            "remove" => match doc
                .pointer_mut(parent)
                .ok_or(format!("remove: {parent} does not exist"))?
            {
                Value::Object(m) => {
                    m.remove(&last)
                        .ok_or(format!("remove: {path} does not exist"))?;
                }
                Value::Array(a) => {
                    let i: usize = last
                        .parse()
                        .map_err(|_| format!("remove: bad index in {path}"))?;
                    if i >= a.len() {
                        return Err(format!("remove: {path} out of range"));
                    }
                    a.remove(i);
                }
                _ => return Err(format!("remove: {parent} is not a container")),
            },
            "add" => {
                let value = op.get("value").cloned().ok_or("add without value")?;
                match doc
                    .pointer_mut(parent)
                    .ok_or(format!("add: parent {parent} does not exist"))?
                {
                    Value::Object(m) => {
                        m.insert(last, value);
                    }
                    Value::Array(a) if last == "-" => a.push(value),
                    Value::Array(a) => {
                        let i: usize = last
                            .parse()
                            .map_err(|_| format!("add: bad index in {path}"))?;
                        if i > a.len() {
                            return Err(format!("add: {path} out of range"));
                        }
                        a.insert(i, value);
                    }
                    _ => return Err(format!("add: {parent} is not a container")),
                }
            }
            other => return Err(format!("unsupported op {other}")),
        }
    }
    Ok(())
}

#[test]
fn suggested_patches_absorb_the_drift() {
    let root = TempRoot::new("suggest");
    root.write_recording("fx.json", &fxiaoke_drifted());
    root.write_recording("useasy.json", &useasy_drifted());
    let mut resp = fixture("u8", "batch-get.response.json");
    resp["customercontacts"][1]["be_main_linker"] = json!("yes");
    resp["customercontacts"][0]["wechat"] = json!(null); // optional null: no drift
    resp["customercontacts"][0]["tags"] = json!([]);
    root.write_recording(
        "u8.json",
        &u8_batch_get(&format!("{}&shoe_size=42", u8_query()), resp),
    );

    let report = drift::run(root.path(), &[root.rec_dir()]).unwrap();
    assert_eq!(
        report.findings.len(),
        4 + 4 + 3,
        "{}",
        drift::render_table(&report.findings)
    );
    let suggestions = patch::suggest(root.path(), &report.findings, &report.observations).unwrap();
    assert!(suggestions.notes.is_empty(), "{:?}", suggestions.notes);

    let by_file: std::collections::BTreeMap<&str, &Vec<Value>> = suggestions
        .patches
        .iter()
        .map(|p| (p.file.as_str(), &p.ops))
        .collect();
    assert_eq!(
        by_file.keys().copied().collect::<Vec<_>>(),
        vec![
            "schemas/fxiaoke/data.json",
            "schemas/fxiaoke/objects.json",
            "schemas/u8/contacts.json",
            "schemas/useasy/customer.json"
        ]
    );
    for p in &suggestions.patches {
        for op in &p.ops {
            let kind = op["op"].as_str().unwrap();
            assert!(["add", "remove", "replace", "test"].contains(&kind), "{op}");
            assert!(op["path"].as_str().unwrap().starts_with('/'), "{op}");
            assert_eq!(op.get("value").is_some(), kind != "remove", "{op}");
        }
    }
    let find = |file: &str, path: &str| -> Value {
        by_file[file]
            .iter()
            .find(|o| o["path"] == path)
            .cloned()
            .unwrap_or_else(|| panic!("no op at {path} in {file}: {:#?}", by_file[file]))
    };
    let custom = find(
        "schemas/fxiaoke/objects.json",
        "/$defs/PaymentObj/properties/new_field__c",
    );
    assert_eq!(custom["op"], "add");
    assert_eq!(custom["value"]["type"], "string");
    assert_eq!(
        custom["value"]["description"],
        "TODO: describe (seen in recording fx.json)"
    );
    let status = find(
        "schemas/fxiaoke/objects.json",
        "/$defs/LifeStatus/anyOf/0/enum/-",
    );
    assert_eq!(status["value"], "archived");
    assert_eq!(
        by_file["schemas/fxiaoke/objects.json"]
            .iter()
            .filter(|o| o["value"] == "archived")
            .count(),
        1
    );
    let required = by_file["schemas/fxiaoke/data.json"];
    assert_eq!(
        required,
        &vec![
            json!({"op": "test", "path": "/$defs/QueryResult/required/0", "value": "errorCode"}),
            json!({"op": "remove", "path": "/$defs/QueryResult/required/0"}),
        ]
    );
    let name = find(
        "schemas/useasy/customer.json",
        "/$defs/Customer/properties/customerName/type",
    );
    assert_eq!(
        name,
        json!({"op": "replace", "path": "/$defs/Customer/properties/customerName/type", "value": ["string", "integer"]})
    );
    let account = find(
        "schemas/useasy/customer.json",
        "/$defs/Customer/properties/accountId",
    );
    assert_eq!(account["op"], "replace");
    assert_eq!(
        account["value"]["$ref"],
        "../common/scalars.json#/$defs/LenientDecimal"
    );
    assert!(account["value"]["description"].is_string());
    let vip = find(
        "schemas/useasy/customer.json",
        "/$defs/Customer/properties/vipLevel",
    );
    assert_eq!(vip["value"]["type"], "object");
    assert_eq!(vip["value"]["additionalProperties"], json!({}));
    assert_eq!(vip["value"]["properties"]["level"]["type"], "integer");
    assert_eq!(
        vip["value"]["properties"]["tags"]["items"]["type"],
        "string"
    );
    let tags = find("schemas/u8/contacts.json", "/$defs/Contact/properties/tags");
    assert_eq!(tags["value"]["type"], "array");

    // Printed with `description` first (as the schema files are), otherwise like serde_json.
    let text = patch::to_pretty(&custom);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), custom);
    assert!(
        text.find("\"op\"") < text.find("\"path\"")
            && text.find("\"description\"") < text.find("\"type\""),
        "{text}"
    );
    let plain = json!({"a": [1, {"b": null, "c": {}}], "d": [], "e": "\"é\""});
    assert_eq!(
        patch::to_pretty(&plain),
        serde_json::to_string_pretty(&plain).unwrap()
    );

    // Apply every patch to the temp copy; codegen still accepts the schemas and the same
    // recordings no longer drift.
    for p in &suggestions.patches {
        let path = root.path().join(&p.file);
        let mut doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        apply_patch(&mut doc, &p.ops).unwrap_or_else(|e| panic!("{}: {e}", p.file));
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }
    for vendor in VENDORS {
        codegen::load_bundle(root.path(), vendor).unwrap();
        codegen::generate(root.path(), vendor).unwrap();
    }
    let again = drift::run(root.path(), &[root.rec_dir()]).unwrap();
    assert!(
        again.findings.is_empty(),
        "{}",
        drift::render_table(&again.findings)
    );
}

#[test]
fn untyped_records_are_reported_but_not_patched() {
    let root = TempRoot::new("untyped");
    let mut rec = fxiaoke_query(json!({
        "errorCode": 0,
        "errorMessage": "OK",
        "data": {"total": 1, "offset": 0, "limit": 20, "dataList": [{"_id": "1", "name": "n", "tier__c": "gold"}]}
    }));
    rec["request"]["body"]["data"]["dataObjectApiName"] = json!("AccountObj");
    root.write_recording("acc.json", &rec);
    let report = drift::run(root.path(), &[root.rec_dir()]).unwrap();
    assert_eq!(
        summary(&report.findings),
        vec![(
            s("data.dataList[*].tier__c"),
            Kind::UnknownField,
            s("schemas/fxiaoke/objects.json"),
            s("/$defs/ObjectData")
        )]
    );
    assert_eq!(
        report.findings[0].untyped_record.as_deref(),
        Some("AccountObj")
    );
    assert!(
        report.findings[0]
            .detail
            .contains("record of AccountObj: no typed schema")
    );
    let suggestions = patch::suggest(root.path(), &report.findings, &report.observations).unwrap();
    assert!(suggestions.patches.is_empty());
    assert_eq!(suggestions.notes.len(), 1);
}

// ---- fixtures add ---------------------------------------------------------------------------

#[test]
fn fixtures_add_writes_the_body_and_appends_the_index() {
    let root = TempRoot::new("fixtures");
    let index_path = root.path().join("fixtures/fxiaoke/index.json");
    let before = std::fs::read_to_string(&index_path).unwrap();
    let rec = root.write_recording(
        "fx.json",
        &fxiaoke_query(fixture("fxiaoke", "query-payment.response.json")),
    );

    let added = fixtures::add(
        root.path(),
        &rec,
        "query-payment-recorded",
        Direction::Response,
    )
    .unwrap();
    assert_eq!(
        added.file,
        Path::new("fixtures/fxiaoke/query-payment-recorded.response.json")
    );
    assert_eq!(added.crate_name, "fxiaoke-crm");
    assert_eq!(added.drift, 0);
    let written = std::fs::read_to_string(root.path().join(&added.file)).unwrap();
    assert!(
        written.ends_with("}\n") && written.contains("\n  \"data\": {"),
        "{written}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&written).unwrap(),
        fixture("fxiaoke", "query-payment.response.json")
    );

    let after = std::fs::read_to_string(&index_path).unwrap();
    let head = before.trim_end().trim_end_matches(']').trim_end();
    assert!(after.starts_with(head), "existing entries were rewritten");
    let index: Vec<Value> = serde_json::from_str(&after).unwrap();
    let last = index.last().unwrap();
    assert_eq!(last["file"], "query-payment-recorded.response.json");
    assert_eq!(last["operation"], "query_data");
    assert_eq!(last["direction"], "response");
    assert_eq!(last["type"], "QueryResult");
    assert_eq!(
        last["parts"],
        json!({"/data/dataList/0": "PaymentObj", "/data/dataList/1": "PaymentObj"})
    );
    assert_eq!(
        last["http"],
        json!({"method": "POST", "url": "https://open.fxiaoke.com/cgi/crm/v2/data/query"})
    );
    assert_eq!(
        last["source"],
        "recorded 2025-03-04T05:06:07.089+00:00 (fx.json)"
    );
    assert!(last.get("envelope").is_none());
    let tail = &after[head.len()..];
    let order: Vec<usize> = [
        "\"file\"",
        "\"operation\"",
        "\"direction\"",
        "\"type\"",
        "\"parts\"",
        "\"http\"",
        "\"source\"",
    ]
    .iter()
    .map(|k| tail.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "key order: {tail}");
    assert!(tail.starts_with(",\n  {\n    \"file\": "), "{tail}");

    // Never overwrite.
    let e = fixtures::add(
        root.path(),
        &rec,
        "query-payment-recorded",
        Direction::Response,
    )
    .unwrap_err();
    assert!(e.to_string().contains("refusing to overwrite"), "{e}");
    assert_eq!(std::fs::read_to_string(&index_path).unwrap(), after);
    let e = fixtures::add(root.path(), &rec, "Bad_Name", Direction::Response).unwrap_err();
    assert!(e.to_string().contains("invalid --name"), "{e}");

    // The request keeps its AuthFields envelope.
    let added = fixtures::add(
        root.path(),
        &rec,
        "query-payment-recorded",
        Direction::Request,
    )
    .unwrap();
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&index_path).unwrap()).unwrap();
    let last = index.last().unwrap();
    assert_eq!(
        (last["type"].as_str(), last["envelope"].as_str()),
        (Some("QueryArg"), Some("AuthFields"))
    );
    let body: Value =
        serde_json::from_str(&std::fs::read_to_string(root.path().join(&added.file)).unwrap())
            .unwrap();
    assert_eq!(body["corpId"], "CORP_ID");
}

#[test]
fn fixtures_add_u8_request_writes_a_query_file() {
    let root = TempRoot::new("fixtures-u8");
    let rec = root.write_recording(
        "u8.json",
        &u8_batch_get(&u8_query(), fixture("u8", "batch-get.response.json")),
    );
    let added = fixtures::add(root.path(), &rec, "batch-get-recorded", Direction::Request).unwrap();
    assert_eq!(
        added.file,
        Path::new("fixtures/u8/batch-get-recorded.request.query")
    );
    assert_eq!(
        std::fs::read_to_string(root.path().join(&added.file)).unwrap(),
        format!("{}\n", u8_query())
    );
    let index: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root.path().join("fixtures/u8/index.json")).unwrap(),
    )
    .unwrap();
    let last = index.last().unwrap();
    assert_eq!(last["format"], "query");
    assert_eq!(last["envelope"], "AuthQuery");
    assert_eq!(last["type"], "BatchGetQuery");
    assert_eq!(
        last["http"]["url"],
        "https://api.yonyouup.com/api/customercontacts/batch_get"
    );

    // useasy find-by-id: the input is only in the URL path.
    let find = recording(
        "useasy",
        "find_customer_by_id",
        "GET",
        "http://h/openapi/crm/findById/685736803322032128",
        None,
        Some(fixture("useasy", "add.response.json")),
    );
    let rec = root.write_recording("find.json", &find);
    let e =
        fixtures::add(root.path(), &rec, "find-by-id-recorded", Direction::Request).unwrap_err();
    assert!(e.to_string().contains("nothing to write"), "{e}");
    assert!(
        !root
            .path()
            .join("fixtures/useasy/find-by-id-recorded.request.json")
            .exists()
    );
}
