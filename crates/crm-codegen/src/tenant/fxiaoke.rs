//! Fxiaoke: an object's describe (`/cgi/crm/v2/object/describe`, `data.describe`) as a tenant
//! schema.
//!
//! | field `type` | property |
//! |---|---|
//! | `number`, `currency`, `percentile`, `count` | `LenientDecimal` (strings like `"100.01"` or numbers, kept as sent) |
//! | `date`, `date_time`, `time` | `EpochMillis` |
//! | `true_or_false` | `StrBool` (a boolean, or `"1"`/`"0"`, kept as sent) |
//! | `select_one` | an open enum of the option values (labels in the docs) |
//! | `select_many` | an array of that open enum |
//! | `employee`, `employee_many`, `department`, `department_many`, `object_reference_many` | an array of id strings |
//! | `object_reference`, `master_detail` | an id string |
//! | `file_attachment`, `image`, `signature`, `big_file_attachment` | an array of `AttachmentFile` |
//! | `text`, `long_text`, `html_rich_text`, `phone_number`, `email`, `url`, `auto_number`, `record_type`, `location` | a string |
//! | `formula`, `quote` | by `return_type` (`quote_field_type`) when given, else any JSON value |
//! | anything else | any JSON value |
//!
//! A select field without string options is a string (or an array of strings). Companion
//! fields (`__r`, `__l`, …) are not generated: they stay in `extra`.

use serde_json::{Map, Value, json};

use super::{PulledObject, common_ref, field_description, is_companion, open_enum_def};
use crate::error::{Result, err};

/// The `AttachmentFile` definition of `common.json`: one file of an attachment, image or
/// signature field.
pub fn attachment_file() -> Value {
    let s = |d: &str| json!({ "description": d, "type": "string" });
    json!({
        "description": "附件/图片文件 / One file of a `file_attachment`, `image` or `signature` field (docs/vendors.md §1.6, §3b): `{name, path}`, images also `{ext, filename, size, signature, signedUrl}`; other keys are kept.",
        "type": "object",
        "properties": {
            "name": s("文件名 / File name."),
            "path": s("文件路径（npath）/ File path (npath, or a mediaId)."),
            "filename": s("文件名 / File name (image fields)."),
            "ext": s("扩展名 / Extension, e.g. `\"jpg\"`."),
            "size": {
                "description": "文件大小（字节）/ Size in bytes, a number or a numeric string.",
                "$ref": "#/$defs/LenientInt"
            },
            "signature": s("签名 / Signature of the file (image fields)."),
            "signedUrl": s("签名地址 / Signed download URL (image fields).")
        },
        "additionalProperties": {}
    })
}

/// The property schema of a field of `ty`, plus the option values when it is a select field.
fn property(ty: &str, field: &Map<String, Value>, depth: usize) -> (Value, &'static str) {
    match ty {
        "number" | "currency" | "percentile" | "count" => (
            common_ref("LenientDecimal"),
            "a decimal: a string such as \"100.01\" or a number, kept as sent",
        ),
        "date" | "date_time" | "time" => (common_ref("EpochMillis"), "epoch milliseconds"),
        "true_or_false" => (
            common_ref("StrBool"),
            "a boolean, also \"1\"/\"0\", kept as sent",
        ),
        "employee"
        | "employee_many"
        | "department"
        | "department_many"
        | "object_reference_many" => (
            json!({ "type": "array", "items": { "type": "string" } }),
            "a list of ids, even for one",
        ),
        "object_reference" | "master_detail" => (
            json!({ "type": "string" }),
            "the `_id` of the related record",
        ),
        "file_attachment" | "image" | "signature" | "big_file_attachment" => (
            json!({ "type": "array", "items": common_ref("AttachmentFile") }),
            "a list of files",
        ),
        "text" | "long_text" | "html_rich_text" | "phone_number" | "email" | "url"
        | "auto_number" | "record_type" | "location" => (json!({ "type": "string" }), "text"),
        "formula" | "quote" if depth == 0 => {
            let inner = ["return_type", "quote_field_type"]
                .iter()
                .find_map(|k| field.get(*k).and_then(Value::as_str));
            match inner {
                Some(t) => property(t, field, depth + 1),
                None => (json!({}), "any JSON value: its type is not described"),
            }
        }
        _ => (
            json!({}),
            "any JSON value: a field type this generator does not know",
        ),
    }
}

/// The string option values of a select field, with their labels.
fn options(field: &Map<String, Value>) -> Vec<(String, String)> {
    field
        .get("options")
        .and_then(Value::as_array)
        .map(|opts| {
            opts.iter()
                .filter_map(|o| {
                    let value = o.get("value")?.as_str()?.to_owned();
                    let label = o
                        .get("label")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    Some((value, label))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The describe type of a field (`""` if it has none).
pub(crate) fn field_type(field: &Map<String, Value>) -> &str {
    field
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The schema of an object from its describe (`data.describe` of the describe answer): one
/// property per field but companions, none required, a catch-all.
pub fn object_schema(describe: &Value) -> Result<PulledObject> {
    let api = describe
        .get("api_name")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| err!("the describe has no api_name"))?
        .to_owned();
    let display = describe
        .get("display_name")
        .and_then(Value::as_str)
        .unwrap_or(&api)
        .to_owned();
    let fields = describe
        .get("fields")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut properties = Map::new();
    let mut defs = Map::new();
    let mut skipped = Vec::new();
    for (name, f) in &fields {
        let Some(f) = f.as_object() else {
            skipped.push((name.clone(), "its describe is not an object".to_owned()));
            continue;
        };
        if is_companion(name) {
            skipped.push((name.clone(), "a read-only companion field".to_owned()));
            continue;
        }
        let ty = field_type(f);
        let label = f.get("label").and_then(Value::as_str).unwrap_or_default();
        let mut notes = Vec::new();
        if let Some(d) = f
            .get("description")
            .and_then(Value::as_str)
            .filter(|d| !d.trim().is_empty())
        {
            notes.push(d.trim().to_owned());
        }
        if f.get("is_active") == Some(&Value::Bool(false)) {
            notes.push("Disabled in the tenant.".to_owned());
        }
        if f.get("is_required") == Some(&Value::Bool(true)) {
            notes.push("Required on create.".to_owned());
        }
        let note = notes.join(" ");
        let opts = options(f);
        let mut prop = match ty {
            "select_one" | "select_many" if !opts.is_empty() => {
                let enum_def = format!("{api}.{name}");
                let listed: Vec<String> = opts
                    .iter()
                    .map(|(v, l)| {
                        if l.is_empty() {
                            format!("`{v}`")
                        } else {
                            format!("`{v}` {l}")
                        }
                    })
                    .collect();
                defs.insert(
                    enum_def.clone(),
                    open_enum_def(
                        format!(
                            "{} / options of `{name}` of `{api}`: {}; other values the tenant adds later decode as `Other`.",
                            if label.is_empty() { name.as_str() } else { label },
                            listed.join(", ")
                        ),
                        &opts,
                    ),
                );
                let r = json!({ "$ref": format!("#/$defs/{enum_def}") });
                if ty == "select_one" {
                    let mut p = r;
                    p["description"] =
                        field_description(label, name, ty, "one of the options", &note).into();
                    p
                } else {
                    json!({
                        "description": field_description(label, name, ty, "a list of options", &note),
                        "type": "array",
                        "items": r,
                    })
                }
            }
            "select_one" => {
                let mut p = json!({ "type": "string" });
                p["description"] = field_description(
                    label,
                    name,
                    ty,
                    "an option (the describe lists none)",
                    &note,
                )
                .into();
                p
            }
            "select_many" => json!({
                "description": field_description(label, name, ty, "a list of options (the describe lists none)", &note),
                "type": "array",
                "items": { "type": "string" },
            }),
            _ => {
                let (mut p, what) = property(ty, f, 0);
                if let Value::Object(m) = &mut p {
                    m.insert(
                        "description".into(),
                        field_description(label, name, ty, what, &note).into(),
                    );
                }
                p
            }
        };
        if let Value::Object(m) = &mut prop {
            m.insert("x-crm-field-type".into(), Value::String(ty.to_owned()));
            m.insert("x-crm-label".into(), Value::String(label.to_owned()));
        }
        properties.insert(name.clone(), prop);
    }
    let typed = properties.len();
    let mut object = Map::new();
    object.insert(
        "description".into(),
        format!(
            "{display} / Object `{api}` of the tenant, from its describe: {typed} of the fields the operator could see (companions `__r`/`__l`/… left out). Every other field (hidden from that operator, added later, a companion) is kept in `extra`."
        )
        .into(),
    );
    object.insert("x-crm-api-name".into(), api.clone().into());
    object.insert("type".into(), "object".into());
    object.insert("properties".into(), Value::Object(properties));
    object.insert("additionalProperties".into(), json!({}));
    defs.insert(api.clone(), Value::Object(object));
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("{display} / {api}"),
        "description": format!(
            "纷享销客对象 {display} / Fxiaoke object `{api}` as the tenant describes it (/cgi/crm/v2/object/describe), written by `crm fxiaoke schema pull`. Pull again to refresh (Rust names stay pinned in names.json); do not edit."
        ),
        "$defs": defs,
    });
    Ok(PulledObject {
        api_name: api,
        display_name: display,
        schema,
        fields_seen: fields.len(),
        fields_typed: typed,
        skipped,
    })
}
