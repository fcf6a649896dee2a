//! useasy: the customer's custom fields (查询客户字段配置列表, `CustomerFieldVO`) as a tenant
//! schema of one object, `customer`.
//!
//! The vendor does not document its field types; these are assumed from the field
//! configuration's shape:
//!
//! | `CustomerFieldVO` | property (key: `field`, else `param`, else `glFieldId`) |
//! |---|---|
//! | `type: "cascade"` | an array of keys, one per level: an open enum of every option key of every level (when options are configured) |
//! | non-empty `choices` | an open enum of the choice keys (labels in the docs); an array of it for `checkbox`/`multiselect`/`multi_select`/`select_multi`/`multiple` |
//! | `number`, `integer`, `int`, `decimal`, `digit`, `money`, `amount`, `float` | `LenientDecimal` |
//! | `date` | `LenientDate`; `datetime`, `date_time`, `time` → `ChinaDateTime` |
//! | `bool`, `boolean`, `switch` | `StrBool` |
//! | `text`, `textarea`, `input`, `string`, `phone`, `mobile`, `email`, `url`, `link`, `address`, `rich_text` | a string |
//! | anything else | any JSON value |
//!
//! A field whose `options` is the empty cascade template `{"level":0,"fillLevel":0,"children":[]}`
//! is not a cascade: only `type` and non-empty options decide. Preset fields (`isSystem`) are
//! typed by `openapi_crm::Customer` itself and deleted fields (`status: -1`) are left out.

use serde_json::{Map, Value, json};

use super::{PulledObject, common_ref, field_description, open_enum_def};
use crate::error::Result;

/// The object name of useasy's customers in a tenant folder.
pub const CUSTOMER: &str = "customer";

const MULTI_CHOICE: &[&str] = &[
    "checkbox",
    "multiselect",
    "multi_select",
    "select_multi",
    "multiple",
];

/// The key under which a field's value sits on a customer.
pub(crate) fn field_key(config: &Map<String, Value>) -> Option<&str> {
    ["field", "param", "glFieldId"].iter().find_map(|k| {
        config
            .get(*k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    })
}

/// The options of a field: choices, or every key of a cascade (depth first), with labels.
fn options(config: &Map<String, Value>, cascade: bool) -> Vec<(String, String)> {
    fn walk(children: &[Value], out: &mut Vec<(String, String)>) {
        for c in children {
            let (Some(key), label) = (
                c.get("key").and_then(Value::as_str),
                c.get("value").and_then(Value::as_str).unwrap_or_default(),
            ) else {
                continue;
            };
            match out.iter_mut().find(|(k, _)| k == key) {
                // The same key on two levels (`bj` 北京市 and 滨江区): both labels.
                Some((_, l)) if !l.split(" / ").any(|x| x == label) => {
                    *l = format!("{l} / {label}");
                }
                Some(_) => {}
                None => out.push((key.to_owned(), label.to_owned())),
            }
            if let Some(grand) = c.get("children").and_then(Value::as_array) {
                walk(grand, out);
            }
        }
    }
    let mut out = Vec::new();
    if cascade {
        if let Some(children) = config
            .get("options")
            .and_then(|o| o.get("children"))
            .and_then(Value::as_array)
        {
            walk(children, &mut out);
        }
    } else if let Some(choices) = config.get("choices").and_then(Value::as_array) {
        walk(choices, &mut out);
    }
    out
}

/// The property schema of a field of `ty` that is neither a choice nor a cascade.
fn scalar(ty: &str) -> (Value, &'static str) {
    match ty {
        "number" | "integer" | "int" | "decimal" | "digit" | "money" | "amount" | "float" => (
            common_ref("LenientDecimal"),
            "a decimal: a number or a numeric string, kept as sent",
        ),
        "date" => (common_ref("LenientDate"), "a date, `yyyy-MM-dd`"),
        "datetime" | "date_time" | "time" => (
            common_ref("ChinaDateTime"),
            "a China-time date and time, `yyyy-MM-dd HH:mm:ss`",
        ),
        "bool" | "boolean" | "switch" => (common_ref("StrBool"), "a boolean, kept as sent"),
        "text" | "textarea" | "input" | "string" | "phone" | "mobile" | "email" | "url"
        | "link" | "address" | "rich_text" => (json!({ "type": "string" }), "text"),
        _ => (
            json!({}),
            "any JSON value: a field type this generator does not know",
        ),
    }
}

/// The schema of the customer's custom fields from the field configuration (`data` of the
/// field-configuration list: `CustomerFieldVO`s).
pub fn customer_schema(configs: &[Value]) -> Result<PulledObject> {
    let api = CUSTOMER;
    let mut properties = Map::new();
    let mut defs = Map::new();
    let mut skipped = Vec::new();
    for c in configs {
        let Some(c) = c.as_object() else {
            skipped.push(("?".to_owned(), "not an object".to_owned()));
            continue;
        };
        let Some(key) = field_key(c).map(str::to_owned) else {
            skipped.push(("?".to_owned(), "a field without an id".to_owned()));
            continue;
        };
        if c.get("isSystem") == Some(&Value::Bool(true)) {
            skipped.push((
                key,
                "a preset field, typed in openapi_crm::Customer".to_owned(),
            ));
            continue;
        }
        if c.get("status").and_then(Value::as_i64) == Some(-1) {
            skipped.push((key, "deleted".to_owned()));
            continue;
        }
        let ty = c.get("type").and_then(Value::as_str).unwrap_or_default();
        let label = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let mut notes = Vec::new();
        if c.get("status").and_then(Value::as_i64) == Some(0) {
            notes.push("Disabled in the tenant.");
        }
        if c.get("required") == Some(&Value::Bool(true)) {
            notes.push("Required.");
        }
        let note = notes.join(" ");
        let cascade = ty == "cascade";
        let multi = cascade || MULTI_CHOICE.contains(&ty);
        let opts = options(c, cascade);
        let mut prop = if cascade || !opts.is_empty() {
            let what = if cascade {
                "a cascade: one key per level, from the top"
            } else if multi {
                "choice keys"
            } else {
                "a choice key"
            };
            let items = if opts.is_empty() {
                json!({ "type": "string" })
            } else {
                let enum_def = format!("{api}.{key}");
                let listed: Vec<String> = opts
                    .iter()
                    .map(|(v, l)| format!("`{v}` {l}").trim_end().to_owned())
                    .collect();
                defs.insert(
                    enum_def.clone(),
                    open_enum_def(
                        format!(
                            "{} / options of custom field `{key}`: {}; other values decode as `Other`.",
                            if label.is_empty() { key.as_str() } else { label },
                            listed.join(", ")
                        ),
                        &opts,
                    ),
                );
                json!({ "$ref": format!("#/$defs/{enum_def}") })
            };
            if multi {
                json!({
                    "description": field_description(label, &key, ty, what, &note),
                    "type": "array",
                    "items": items,
                })
            } else {
                let mut p = items;
                p["description"] = field_description(label, &key, ty, what, &note).into();
                p
            }
        } else {
            let (mut p, what) = scalar(ty);
            if let Value::Object(m) = &mut p {
                m.insert(
                    "description".into(),
                    field_description(label, &key, ty, what, &note).into(),
                );
            }
            p
        };
        if let Value::Object(m) = &mut prop {
            m.insert("x-crm-field-type".into(), Value::String(ty.to_owned()));
            m.insert("x-crm-label".into(), Value::String(label.to_owned()));
        }
        properties.insert(key, prop);
    }
    let typed = properties.len();
    let object = json!({
        "description": format!(
            "客户自定义字段 / The customer's custom fields of the account ({typed}, from the field configuration). Preset fields (`customerName`, `mobile`, …) and every field not listed are kept in `extra`; `openapi_crm::Customer` types the preset ones."
        ),
        "x-crm-api-name": api,
        "type": "object",
        "properties": properties,
        "additionalProperties": {},
    });
    defs.insert(api.to_owned(), object);
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "有逸客户自定义字段 / useasy customer custom fields",
        "description": "The custom fields of the account's customers as its field configuration lists them (/openapi/crm/config/field/list), written by `crm useasy fields pull`. Pull again to refresh (Rust names stay pinned in names.json); do not edit.",
        "$defs": defs,
    });
    Ok(PulledObject {
        api_name: api.to_owned(),
        display_name: "客户".to_owned(),
        schema,
        fields_seen: configs.len(),
        fields_typed: typed,
        skipped,
    })
}
