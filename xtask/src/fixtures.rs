//! `cargo xtask fixtures add <recording> --name <name> [--direction request|response]`: turns
//! one recorded exchange into a fixture under `fixtures/<vendor>/` and appends its entry to
//! `fixtures/<vendor>/index.json` (format: fixtures/README.md).
//!
//! - `response` (the default): the response body, pretty-printed, as `<name>.response.json`;
//!   `type` is the operation's `output`.
//! - `request`: the JSON body as sent, as `<name>.request.json`, envelope keys included
//!   (fxiaoke: `"envelope": "AuthFields"`); for a `GET` (U8), the URL query string verbatim as
//!   `<name>.request.query` with `"format": "query"` (and `"envelope": "AuthQuery"`); `type` is
//!   the operation's `input`. A request whose input travels only in the URL path has nothing
//!   to write and is refused.
//!
//! fxiaoke records that the drift walk types (see [`crate::drift`]) are listed in `parts`, as
//! the existing entries do. Secrets are already `"[redacted]"` in recordings. The index is
//! appended to textually (the existing entries keep their text and key order); nothing is
//! overwritten: an existing fixture file or index entry of the same name is an error.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::drift::{Checker, Direction};
use crate::recording::{self, Loaded, Place};
use crate::workspace::Vendor;

/// What `add` wrote.
#[derive(Clone, Debug)]
pub struct Added {
    /// The fixture file, relative to the root.
    pub file: PathBuf,
    /// The index file, relative to the root.
    pub index: PathBuf,
    /// The crate whose fixture test reads this vendor's fixtures.
    pub crate_name: &'static str,
    /// The index entry as appended.
    pub entry: String,
    /// Drift findings of the recording in that direction (the fixture test fails until the
    /// schema absorbs them).
    pub drift: usize,
}

/// Whether `name` follows fixtures/README.md "Naming": lowercase words joined by hyphens.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Writes the fixture and appends the index entry under `root`.
pub fn add(root: &Path, recording_path: &Path, name: &str, direction: Direction) -> Result<Added> {
    if !valid_name(name) {
        bail!(
            "invalid --name `{name}`: use lowercase words joined by hyphens (e.g. `query-payment-custom-field`); `.{}.json` is added",
            direction.as_str()
        );
    }
    let shown = recording_path.display().to_string();
    let rec = match recording::load(recording_path)? {
        Loaded::Recording(r) => r,
        Loaded::NotARecording => bail!("{shown}: not a recording (no \"recording\" key)"),
    };
    let mut checker = Checker::new(root);
    let exchange = checker.check(&rec)?;
    let vendor = Vendor::by_schema_dir(&rec.vendor)
        .ok_or_else(|| anyhow!("{shown}: unknown vendor `{}`", rec.vendor))?;
    let schemas = checker.vendor(&rec.vendor)?;
    let op = schemas
        .operation(&rec.operation)
        .ok_or_else(|| anyhow!("{shown}: unknown operation `{}`", rec.operation))?
        .clone();
    let envelope = recording::envelope(&rec.vendor).filter(|_| op.auth != "none");
    let envelope_keys = envelope
        .map(|e| schemas.property_names(e.def))
        .unwrap_or_default();

    struct Plan {
        file: String,
        text: String,
        format: Option<&'static str>,
        type_name: String,
        envelope: Option<&'static str>,
        parts: Vec<(String, String)>,
    }
    let plan = match direction {
        Direction::Response => {
            let resp = rec.response.as_ref().ok_or_else(|| {
                anyhow!(
                    "{shown}: no response recorded ({}); nothing to write",
                    rec.error.as_deref().unwrap_or("no error either")
                )
            })?;
            if resp.body.is_string() {
                bail!("{shown}: the response body is not JSON; nothing to write");
            }
            Plan {
                file: format!("{name}.response.json"),
                text: pretty(&resp.body)?,
                format: None,
                type_name: op.output.clone(),
                envelope: None,
                parts: exchange.response_parts.clone(),
            }
        }
        Direction::Request => match &rec.request_body {
            Some(body) => {
                let has_envelope = envelope.is_some_and(|e| {
                    e.place == Place::Body
                        && body
                            .as_object()
                            .is_some_and(|m| m.keys().any(|k| envelope_keys.contains(k)))
                });
                Plan {
                    file: format!("{name}.request.json"),
                    text: pretty(body)?,
                    format: None,
                    type_name: op.input.clone(),
                    envelope: envelope.filter(|_| has_envelope).map(|e| e.def),
                    parts: exchange.request_parts.clone(),
                }
            }
            None => {
                let (_, query) = rec.url_parts();
                let query = query.filter(|q| !q.is_empty()).ok_or_else(|| {
                    anyhow!(
                        "{shown}: the request has no body and no query string (its input travels in the URL path); nothing to write"
                    )
                })?;
                let has_envelope = envelope.is_some_and(|e| {
                    e.place == Place::Query
                        && rec
                            .query_pairs()
                            .iter()
                            .any(|(k, _)| envelope_keys.contains(k))
                });
                Plan {
                    file: format!("{name}.request.query"),
                    text: format!("{query}\n"),
                    format: Some("query"),
                    type_name: op.input.clone(),
                    envelope: envelope.filter(|_| has_envelope).map(|e| e.def),
                    parts: Vec::new(),
                }
            }
        },
    };

    let dir = PathBuf::from("fixtures").join(vendor.schema_dir);
    let rel_file = dir.join(&plan.file);
    let rel_index = dir.join("index.json");
    let file_path = root.join(&rel_file);
    let index_path = root.join(&rel_index);
    if file_path.exists() {
        bail!(
            "refusing to overwrite {} (pick another --name)",
            rel_file.display()
        );
    }
    let index_text = match std::fs::read_to_string(&index_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "[]\n".to_owned(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", rel_index.display())),
    };
    let existing: Vec<Value> = serde_json::from_str(&index_text)
        .with_context(|| format!("{}: not a JSON array", rel_index.display()))?;
    if existing
        .iter()
        .any(|e| e.get("file").and_then(Value::as_str) == Some(plan.file.as_str()))
    {
        bail!(
            "{} already lists {} (pick another --name)",
            rel_index.display(),
            plan.file
        );
    }

    let mut fields: Vec<(&str, String)> = vec![
        ("file", json_str(&plan.file)),
        ("operation", json_str(&op.name)),
        ("direction", json_str(direction.as_str())),
    ];
    if let Some(f) = plan.format {
        fields.push(("format", json_str(f)));
    }
    fields.push(("type", json_str(&plan.type_name)));
    if let Some(e) = plan.envelope {
        fields.push(("envelope", json_str(e)));
    }
    if !plan.parts.is_empty() {
        let inner: Vec<String> = plan
            .parts
            .iter()
            .map(|(p, t)| format!("      {}: {}", json_str(p), json_str(t)))
            .collect();
        fields.push(("parts", format!("{{\n{}\n    }}", inner.join(",\n"))));
    }
    let url = rec.url.split('?').next().unwrap_or_default();
    fields.push((
        "http",
        format!(
            "{{\n      \"method\": {},\n      \"url\": {}\n    }}",
            json_str(&rec.method),
            json_str(url)
        ),
    ));
    fields.push((
        "source",
        json_str(&format!(
            "recorded {} ({})",
            rec.recorded_at,
            rec.file_name()
        )),
    ));
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("    {}: {v}", json_str(k)))
        .collect();
    let entry = format!("  {{\n{}\n  }}", body.join(",\n"));

    let new_index = append_entry(&index_text, &entry).ok_or_else(|| {
        anyhow!(
            "{}: does not end with `]`; cannot append",
            rel_index.display()
        )
    })?;
    let parsed: Vec<Value> = serde_json::from_str(&new_index).with_context(|| {
        format!(
            "{}: the appended index would not parse",
            rel_index.display()
        )
    })?;
    if parsed.len() != existing.len() + 1 {
        bail!(
            "{}: appending did not add exactly one entry",
            rel_index.display()
        );
    }

    std::fs::create_dir_all(root.join(&dir))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&file_path, &plan.text)
        .with_context(|| format!("cannot write {}", rel_file.display()))?;
    if let Err(e) = std::fs::write(&index_path, &new_index) {
        let _ = std::fs::remove_file(&file_path);
        return Err(e).with_context(|| format!("cannot write {}", rel_index.display()));
    }
    let drift = exchange
        .findings
        .iter()
        .filter(|f| f.direction == direction)
        .count();
    Ok(Added {
        file: rel_file,
        index: rel_index,
        crate_name: vendor.crate_dir,
        entry,
        drift,
    })
}

fn pretty(v: &Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}

fn json_str(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// The index text with `entry` added before the closing `]` (the rest of the text unchanged).
fn append_entry(text: &str, entry: &str) -> Option<String> {
    let end = text.rfind(']')?;
    if !text[end + 1..].trim().is_empty() {
        return None;
    }
    let head = text[..end].trim_end();
    let sep = if head.ends_with('[') { "\n" } else { ",\n" };
    Some(format!("{head}{sep}{entry}\n]\n"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{TempRoot, fixture, fxiaoke_query, recording, u8_batch_get, u8_query};

    #[test]
    fn names_and_append() {
        assert!(valid_name("query-payment-2"));
        assert!(!valid_name("Query"));
        assert!(!valid_name("a--b"));
        assert!(!valid_name("a.response"));
        assert_eq!(append_entry("[]\n", "  {}").unwrap(), "[\n  {}\n]\n");
        assert_eq!(
            append_entry("[\n  {\"a\": 1}\n]\n", "  {}").unwrap(),
            "[\n  {\"a\": 1},\n  {}\n]\n"
        );
        assert!(append_entry("[] x", "{}").is_none());
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

        let added = add(
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
        let e = add(
            root.path(),
            &rec,
            "query-payment-recorded",
            Direction::Response,
        )
        .unwrap_err();
        assert!(e.to_string().contains("refusing to overwrite"), "{e}");
        assert_eq!(std::fs::read_to_string(&index_path).unwrap(), after);
        let e = add(root.path(), &rec, "Bad_Name", Direction::Response).unwrap_err();
        assert!(e.to_string().contains("invalid --name"), "{e}");

        // The request keeps its AuthFields envelope.
        let added = add(
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
        let added = add(root.path(), &rec, "batch-get-recorded", Direction::Request).unwrap();
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
        let e = add(root.path(), &rec, "find-by-id-recorded", Direction::Request).unwrap_err();
        assert!(e.to_string().contains("nothing to write"), "{e}");
        assert!(
            !root
                .path()
                .join("fixtures/useasy/find-by-id-recorded.request.json")
                .exists()
        );
    }
}
