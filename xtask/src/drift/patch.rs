//! `cargo xtask drift --suggest`: one JSON Patch (RFC 6902) per schema file that would absorb
//! the drift findings, for review. Paths point into the file where the type is defined.
//!
//! | finding | patch |
//! |---|---|
//! | `unknown-field` | `add` `…/properties/<key>`: a schema inferred from every value seen (`string`, `integer`, `number`, `boolean`, `array` with inferred `items`, `object` with inferred `properties` and `additionalProperties: {}`; a number and numeric strings together become `LenientInt`/`LenientDecimal`), described `"TODO: describe (seen in recording <file>)"`. If the object has no `properties` yet, one `add` creates it. |
//! | `type-mismatch` | declared string (or integer/number) and the recordings show numbers *and* numeric strings there (no other strings): `replace` the property with `{"$ref": "…/common/scalars.json#/$defs/LenientInt"}` (integers only) or `LenientDecimal`; otherwise `replace` `…/type` with `[old…, new]`. A `$ref` to a runtime scalar becomes a plain `type` list (`LenientInt` seeing decimals becomes `LenientDecimal`); a `$ref` to another definition becomes `oneOf: [{$ref}, {type: new}]` (the schemas' convention for a nullable reference); a failed `pattern`/`format` is removed. |
//! | `new-enum-value` | `add` `…/anyOf/0/enum/-` (open enum) or `…/enum/-`. |
//! | `missing-required` | `test` + `remove` `…/required/<index>` (highest index first). |
//!
//! Findings in records of objects without a typed definition, and type mismatches of a whole
//! request or response, are left out with a note: they need a decision, not a patch.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

use super::walk::CONSTRAINTS;
use super::{Finding, Forms, Kind, SchemaLoc, kind_of, numeric_string, ptr_token, ref_name, short};

/// The file that holds the lenient scalars.
const SCALARS_FILE: &str = "schemas/common/scalars.json";

/// The JSON types each runtime scalar reads as a value (`""` and `null` are its empty forms).
const RUNTIME_KINDS: &[(&str, &[&str])] = &[
    ("LenientDecimal", &["number", "string"]),
    ("EpochMillis", &["integer", "string"]),
    ("ChinaDateTime", &["string", "integer"]),
    ("LenientDate", &["string"]),
    ("StrBool", &["boolean", "string", "integer"]),
    ("LenientInt", &["integer", "string"]),
    ("LenientString", &["string", "number", "boolean"]),
    ("Secret", &["string"]),
];

/// The patch for one schema file.
#[derive(Clone, Debug)]
pub struct FilePatch {
    /// Schema file, relative to the repository root.
    pub file: String,
    /// RFC 6902 operations.
    pub ops: Vec<Value>,
}

/// The suggested patches and what was left out.
#[derive(Clone, Debug, Default)]
pub struct Suggestions {
    /// One patch per schema file, sorted by file.
    pub patches: Vec<FilePatch>,
    /// Findings that no patch absorbs, and why.
    pub notes: Vec<String>,
}

#[derive(Default)]
struct PerFile<'a> {
    /// object pointer → key → (values, first recording).
    unknown: BTreeMap<String, BTreeMap<String, (Vec<&'a Value>, &'a str)>>,
    /// enum array pointer → values in order of appearance.
    enums: BTreeMap<String, Vec<&'a Value>>,
    /// node pointer → (values, first recording).
    mismatch: BTreeMap<String, (Vec<&'a Value>, &'a str)>,
    /// object pointer → missing keys.
    required: BTreeMap<String, BTreeSet<String>>,
}

/// Builds the patches for `findings`, reading the schema files under `root`. `observations`
/// are the wire forms seen per schema node (from [`super::Report`]).
pub fn suggest(
    root: &Path,
    findings: &[Finding],
    observations: &BTreeMap<SchemaLoc, Forms>,
) -> Result<Suggestions> {
    let mut out = Suggestions::default();
    let mut files: BTreeMap<String, PerFile<'_>> = BTreeMap::new();
    for f in findings {
        if f.schema.file.is_empty() {
            out.notes.push(format!(
                "{}: {} {} at {}: the whole {} does not fit `{}`; fix by hand",
                f.file,
                f.operation,
                f.kind.as_str(),
                f.shown_path(),
                f.direction.as_str(),
                f.def
            ));
            continue;
        }
        if let (Some(obj), Kind::UnknownField) = (&f.untyped_record, f.kind) {
            out.notes.push(format!(
                "{}: {} in a record of {obj}, which has no typed definition: add one (with \"x-crm-api-name\") rather than widening {}",
                f.file,
                f.shown_path(),
                f.def
            ));
            continue;
        }
        let per = files.entry(f.schema.file.clone()).or_default();
        match f.kind {
            Kind::UnknownField => {
                let key = f.key.clone().unwrap_or_default();
                let entry = per
                    .unknown
                    .entry(f.schema.pointer.clone())
                    .or_default()
                    .entry(key)
                    .or_insert_with(|| (Vec::new(), f.recording.as_str()));
                entry.0.extend(f.seen.iter());
            }
            Kind::NewEnumValue => {
                let list = per.enums.entry(f.schema.pointer.clone()).or_default();
                for v in &f.seen {
                    if !list.contains(&v) {
                        list.push(v);
                    }
                }
            }
            Kind::TypeMismatch => {
                let entry = per
                    .mismatch
                    .entry(f.schema.pointer.clone())
                    .or_insert_with(|| (Vec::new(), f.recording.as_str()));
                entry.0.extend(f.seen.iter());
            }
            Kind::MissingRequired => {
                per.required
                    .entry(f.schema.pointer.clone())
                    .or_default()
                    .insert(f.key.clone().unwrap_or_default());
            }
        }
    }

    for (file, per) in files {
        let path = root.join(&file);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {file}"))?;
        let doc: Value =
            serde_json::from_str(&text).with_context(|| format!("{file}: not valid JSON"))?;
        let mut ops = Vec::new();
        let ctx = Ctx { file: &file };

        for (obj, keys) in &per.unknown {
            let props_ptr = format!("{obj}/properties");
            let new: Vec<(&String, Value)> = keys
                .iter()
                .map(|(k, (values, rec))| (k, infer(&ctx, values, rec)))
                .collect();
            match doc.pointer(&props_ptr).and_then(Value::as_object) {
                Some(existing) => {
                    for (k, schema) in new {
                        if !existing.contains_key(k) {
                            ops.push(json!({"op": "add", "path": format!("{props_ptr}/{}", ptr_token(k)), "value": schema}));
                        }
                    }
                }
                None => {
                    let map: Map<String, Value> =
                        new.into_iter().map(|(k, v)| (k.clone(), v)).collect();
                    ops.push(json!({"op": "add", "path": props_ptr, "value": map}));
                }
            }
        }

        for (ptr, values) in &per.enums {
            let existing = doc.pointer(ptr).and_then(Value::as_array);
            for v in values {
                if !existing.is_some_and(|e| e.contains(v)) {
                    ops.push(json!({"op": "add", "path": format!("{ptr}/-"), "value": v}));
                }
            }
        }

        for (ptr, (values, rec)) in &per.mismatch {
            let Some(node) = doc.pointer(ptr) else {
                out.notes
                    .push(format!("{file}: {ptr} not found; cannot widen it"));
                continue;
            };
            let forms = observations
                .get(&SchemaLoc {
                    file: file.clone(),
                    pointer: ptr.clone(),
                })
                .copied()
                .unwrap_or_default();
            ops.extend(widen(&ctx, ptr, node, values, forms, rec));
        }

        for (obj, keys) in &per.required {
            let req_ptr = format!("{obj}/required");
            let Some(required) = doc.pointer(&req_ptr).and_then(Value::as_array) else {
                continue;
            };
            let mut idx: Vec<(usize, &Value)> = required
                .iter()
                .enumerate()
                .filter(|(_, v)| v.as_str().is_some_and(|s| keys.contains(s)))
                .collect();
            idx.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
            for (i, v) in idx {
                let path = format!("{req_ptr}/{i}");
                ops.push(json!({"op": "test", "path": path, "value": v}));
                ops.push(json!({"op": "remove", "path": path}));
            }
        }

        if !ops.is_empty() {
            out.patches.push(FilePatch { file, ops });
        }
    }
    Ok(out)
}

struct Ctx<'a> {
    file: &'a str,
}

impl Ctx<'_> {
    /// A `$ref` to a scalar of `schemas/common/scalars.json`, relative to this file.
    fn scalar_ref(&self, name: &str) -> String {
        let dir = |f: &str| {
            f.rsplit_once('/')
                .map(|(d, _)| d.to_owned())
                .unwrap_or_default()
        };
        let target_file = SCALARS_FILE.rsplit('/').next().unwrap_or(SCALARS_FILE);
        if self.file == SCALARS_FILE {
            format!("#/$defs/{name}")
        } else if dir(self.file) == dir(SCALARS_FILE) {
            format!("{target_file}#/$defs/{name}")
        } else {
            let common = dir(SCALARS_FILE);
            let folder = common.rsplit('/').next().unwrap_or("common");
            format!("../{folder}/{target_file}#/$defs/{name}")
        }
    }
}

fn todo(rec: &str) -> String {
    format!("TODO: describe (seen in recording {rec})")
}

/// A schema for a new property, from every value seen.
fn infer(ctx: &Ctx<'_>, values: &[&Value], rec: &str) -> Value {
    let desc = todo(rec);
    let non_null: Vec<&Value> = values.iter().copied().filter(|v| !v.is_null()).collect();
    if non_null.is_empty() {
        let why = if values.is_empty() {
            "no value seen"
        } else {
            "only null seen"
        };
        return json!({ "description": format!("{desc}; {why}, type unknown") });
    }
    let kinds: BTreeSet<&str> = non_null.iter().map(|v| kind_of(v)).collect();
    if kinds.len() == 1 && kinds.contains("object") {
        let mut by_key: BTreeMap<&String, Vec<&Value>> = BTreeMap::new();
        for v in &non_null {
            if let Some(m) = v.as_object() {
                for (k, x) in m {
                    by_key.entry(k).or_default().push(x);
                }
            }
        }
        let mut schema = json!({"description": desc, "type": "object"});
        if !by_key.is_empty() {
            let props: Map<String, Value> = by_key
                .into_iter()
                .map(|(k, vs)| (k.clone(), infer(ctx, &vs, rec)))
                .collect();
            schema["properties"] = Value::Object(props);
        }
        schema["additionalProperties"] = json!({});
        return schema;
    }
    if kinds.len() == 1 && kinds.contains("array") {
        let items: Vec<&Value> = non_null
            .iter()
            .filter_map(|v| v.as_array())
            .flatten()
            .collect();
        return json!({"description": desc, "type": "array", "items": infer(ctx, &items, rec)});
    }
    let mut forms = Forms::default();
    non_null.iter().for_each(|v| forms.add(v));
    if let Some(name) = lenient_scalar(&kinds, forms) {
        return json!({"description": desc, "$ref": ctx.scalar_ref(name)});
    }
    let mut schema =
        json!({"description": desc, "type": type_value(&normalise(kinds.iter().copied()))});
    if kinds.contains("object") {
        schema["additionalProperties"] = json!({});
    }
    schema
}

/// `LenientInt`/`LenientDecimal` when numbers and numeric strings (and nothing else) were seen.
fn lenient_scalar(kinds: &BTreeSet<&str>, forms: Forms) -> Option<&'static str> {
    let numeric_only = kinds
        .iter()
        .all(|k| matches!(*k, "string" | "integer" | "number" | "null"));
    let numbers = forms.int || forms.float;
    let strings = forms.int_str || forms.dec_str;
    if numeric_only && numbers && strings && !forms.other_str {
        Some(if forms.float || forms.dec_str {
            "LenientDecimal"
        } else {
            "LenientInt"
        })
    } else {
        None
    }
}

/// Type names in a stable order, `integer` dropped when `number` is there.
fn normalise<'a>(kinds: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in kinds {
        if !out.iter().any(|x| x == k) {
            out.push(k.to_owned());
        }
    }
    if out.iter().any(|k| k == "number") {
        out.retain(|k| k != "integer");
    }
    out
}

fn type_value(kinds: &[String]) -> Value {
    match kinds {
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    }
}

fn declared_types(node: &Value) -> Vec<String> {
    match node.get("type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The operations that make `node` (at `ptr`) accept `values`.
fn widen(
    ctx: &Ctx<'_>,
    ptr: &str,
    node: &Value,
    values: &[&Value],
    forms: Forms,
    rec: &str,
) -> Vec<Value> {
    let seen: Vec<&str> = {
        let mut s: Vec<&str> = values.iter().map(|v| kind_of(v)).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let description = node.get("description").cloned();
    let with_desc = |mut v: Value| {
        if let Some(d) = &description {
            v["description"] = d.clone();
        }
        v
    };
    let example = values.first().map(|v| short(v, 40)).unwrap_or_default();

    if let Some(name) = ref_name(node) {
        let original = node.get("$ref").cloned().unwrap_or(Value::Null);
        if let Some((_, kinds)) = RUNTIME_KINDS.iter().find(|(n, _)| *n == name) {
            let all_numeric = values
                .iter()
                .all(|v| v.is_number() || v.as_str().is_some_and(|s| numeric_string(s).is_some()));
            if name == "LenientInt" && all_numeric {
                return vec![
                    json!({"op": "replace", "path": ptr, "value": with_desc(json!({"$ref": ctx.scalar_ref("LenientDecimal")}))}),
                ];
            }
            let mut value = json!({
                "type": type_value(&normalise(kinds.iter().copied().chain(seen.iter().copied())))
            });
            let base = description
                .as_ref()
                .and_then(Value::as_str)
                .unwrap_or_default();
            value["description"] = Value::String(format!(
                "{base} TODO: was `{name}`; recording {rec} shows {example}. Review: pick a scalar or a pattern.",
            ).trim_start().to_owned());
            return vec![json!({"op": "replace", "path": ptr, "value": value})];
        }
        let value = with_desc(json!({
            "oneOf": [
                {"$ref": original},
                {"type": type_value(&normalise(seen.iter().copied()))}
            ]
        }));
        return vec![json!({"op": "replace", "path": ptr, "value": value})];
    }

    if let Some(key) = ["oneOf", "anyOf"]
        .into_iter()
        .find(|k| node.get(*k).is_some())
    {
        return vec![
            json!({"op": "add", "path": format!("{ptr}/{key}/-"), "value": {"type": type_value(&normalise(seen.iter().copied()))}}),
        ];
    }

    let mut declared = declared_types(node);
    if declared.is_empty() && node.get("properties").is_some() {
        declared.push("object".to_owned());
    } else if declared.is_empty() && node.get("items").is_some() {
        declared.push("array".to_owned());
    }
    if node.get("enum").is_some()
        || (declared.is_empty() && node.get("properties").is_none() && node.get("items").is_none())
    {
        let mut inner = node.clone();
        if let Some(m) = inner.as_object_mut() {
            m.remove("description");
        }
        let value = with_desc(
            json!({"oneOf": [inner, {"type": type_value(&normalise(seen.iter().copied()))}]}),
        );
        return vec![json!({"op": "replace", "path": ptr, "value": value})];
    }

    let scalar_only = declared
        .iter()
        .all(|t| matches!(t.as_str(), "string" | "integer" | "number" | "null"));
    if scalar_only && !declared.is_empty() {
        let mut kinds: BTreeSet<&str> = seen.iter().copied().collect();
        kinds.extend(declared.iter().map(String::as_str));
        if let Some(name) = lenient_scalar(&kinds, forms) {
            return vec![
                json!({"op": "replace", "path": ptr, "value": with_desc(json!({"$ref": ctx.scalar_ref(name)}))}),
            ];
        }
    }

    // Every kind seen is declared: a constraint failed.
    let accepted = |k: &str| {
        declared
            .iter()
            .any(|d| d == k || (k == "integer" && d == "number"))
    };
    if !declared.is_empty() && seen.iter().all(|k| accepted(k)) {
        return CONSTRAINTS
            .iter()
            .filter(|c| node.get(**c).is_some())
            .map(|c| json!({"op": "remove", "path": format!("{ptr}/{c}")}))
            .collect();
    }

    let widened = normalise(
        declared
            .iter()
            .map(String::as_str)
            .chain(seen.iter().copied()),
    );
    if node.get("type").is_none() {
        vec![json!({"op": "add", "path": format!("{ptr}/type"), "value": type_value(&widened)})]
    } else {
        vec![json!({"op": "replace", "path": format!("{ptr}/type"), "value": type_value(&widened)})]
    }
}

/// Key order of patch operations and of schema objects (as the schema files write them);
/// other keys follow alphabetically.
const KEY_ORDER: &[&str] = &[
    "op",
    "path",
    "from",
    "value",
    "description",
    "x-crm-api-name",
    "x-crm-open-enum",
    "x-crm-runtime",
    "type",
    "$ref",
    "enum",
    "anyOf",
    "oneOf",
    "pattern",
    "properties",
    "items",
    "required",
    "additionalProperties",
];

/// Pretty JSON like `serde_json::to_string_pretty` (2-space indent), but with keys in
/// [`KEY_ORDER`]: `description` first, as in the schema files, so that a patch applied with an
/// order-preserving tool reads like the hand-written schema.
pub fn to_pretty(v: &Value) -> String {
    let mut out = String::new();
    write_pretty(v, 0, &mut out);
    out
}

fn write_pretty(v: &Value, indent: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by_key(|k| {
                (
                    KEY_ORDER
                        .iter()
                        .position(|o| o == k)
                        .unwrap_or(KEY_ORDER.len()),
                    k.as_str(),
                )
            });
            out.push_str("{\n");
            for (i, k) in keys.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push_str(": ");
                if let Some(x) = m.get(*k) {
                    write_pretty(x, indent + 1, out);
                }
                out.push_str(if i + 1 < keys.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
        Value::Array(a) if !a.is_empty() => {
            out.push_str("[\n");
            for (i, x) in a.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                write_pretty(x, indent + 1, out);
                out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}
