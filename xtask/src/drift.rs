//! `cargo xtask drift <file-or-folder>… [--suggest]`: compares recorded exchanges (see
//! `crm_runtime::record` and [`crate::recording`]) with the hand-written schemas.
//!
//! For each recording, the operation is looked up in `schemas/<vendor>/operations.json`; the
//! request (rebuilt as the operation's `input`, see [`crate::recording::request_input`]) is
//! walked alongside the `input` type and the response body alongside the `output` type,
//! following `$ref`s across files (the definitions come from [`crate::codegen::load_bundle`]).
//! Four kinds of drift are reported:
//!
//! | kind | meaning | absorbed (with `--suggest`) at |
//! |---|---|---|
//! | `unknown-field` | a key that is not in the object's `properties` (reported even where `additionalProperties: {}` lets validation pass) | the object's `properties` |
//! | `type-mismatch` | a value the schema's type does not accept (`LenientDecimal`, `EpochMillis`, … are checked with their own wire forms) | the property's schema |
//! | `new-enum-value` | a string an `x-crm-open-enum` (or a plain `enum`) does not list | the `enum` list |
//! | `missing-required` | a `required` key that is absent | the object's `required` |
//!
//! Rules that keep the noise down:
//! - `null` for a property that is not `required` is no drift: every vendor here treats a `null`
//!   member as absent (fixtures/README.md), and the generated `Option`s decode it as `None`.
//! - `"[redacted]"` is accepted wherever a scalar is expected: the recorder replaced a secret.
//! - Values that came from the URL (query and path parameters) are strings by nature: a string
//!   where the schema wants an integer, number, boolean or a lenient scalar is no drift there.
//! - Responses are checked only for HTTP 2xx with a JSON body (others are listed as notes).
//! - fxiaoke records: where the schema says `ObjectData` (the generic record), the record is
//!   checked against the typed definition whose `x-crm-api-name` matches its object: the
//!   record's own `dataObjectApiName`/`object_describe_api_name`, else the key of the details
//!   map it is in, else the request's `data.dataObjectApiName`. A field of a typed record that
//!   the type does not list (a new custom `__c` field, say) is an `unknown-field`. Records of
//!   objects without a typed definition are checked against `ObjectData`; their unknown fields
//!   are reported too (marked "no typed schema"), but `--suggest` leaves them alone.
//!
//! Each distinct (direction, JSON path, kind) is reported once per recording, with the first
//! value seen as its example; array indices are collapsed to `[*]`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

use crate::codegen::{self, Bundle, Def, Operation, VENDORS, Vendor};
use crate::recording::{self, Loaded, REDACTED, Recording};

/// A set of JSON Schema type names (`null`, `boolean`, `integer`, `number`, `string`,
/// `array`, `object`).
pub type KindSet = BTreeSet<&'static str>;

/// Generic record definitions that stand for "a record of any object" (per vendor), checked
/// against the typed definition with the matching `x-crm-api-name` when the object is known.
const GENERIC_RECORDS: &[(&str, &str)] = &[("fxiaoke", "ObjectData")];

/// Keys of a record that name its object.
const API_NAME_KEYS: &[&str] = &["dataObjectApiName", "object_describe_api_name"];

/// Keywords whose failure only a real validator can tell (checked with `jsonschema`).
const CONSTRAINTS: &[&str] = &[
    "pattern",
    "format",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "const",
];

/// How many distinct values a finding keeps for `--suggest`.
const SEEN_CAP: usize = 20;

/// The kind of a drift finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A key the schema does not list in `properties`.
    UnknownField,
    /// A value the schema's type does not accept.
    TypeMismatch,
    /// A string an enum does not list.
    NewEnumValue,
    /// A `required` key that is absent.
    MissingRequired,
}

impl Kind {
    /// The name used in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnknownField => "unknown-field",
            Kind::TypeMismatch => "type-mismatch",
            Kind::NewEnumValue => "new-enum-value",
            Kind::MissingRequired => "missing-required",
        }
    }
}

/// Which half of the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// The request (the operation's `input`).
    Request,
    /// The response body (the operation's `output`).
    Response,
}

impl Direction {
    /// `request` / `response`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// A place in a schema file: the file (relative to the repository root, e.g.
/// `schemas/fxiaoke/objects.json`) and a JSON pointer into it. Empty for the operation's
/// top-level type itself (nothing to patch there).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaLoc {
    /// Schema file, relative to the repository root.
    pub file: String,
    /// JSON pointer into the file.
    pub pointer: String,
}

impl SchemaLoc {
    fn child(&self, token: &str) -> SchemaLoc {
        SchemaLoc {
            file: self.file.clone(),
            pointer: format!("{}/{}", self.pointer, ptr_token(token)),
        }
    }

    fn def(file: &Path, name: &str) -> SchemaLoc {
        SchemaLoc {
            file: file.display().to_string().replace('\\', "/"),
            pointer: format!("/$defs/{}", ptr_token(name)),
        }
    }
}

/// One drift finding.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The recording file as it was named or found.
    pub file: String,
    /// Its file name.
    pub recording: String,
    /// Vendor (schema folder).
    pub vendor: String,
    /// Operation name.
    pub operation: String,
    /// Request or response.
    pub direction: Direction,
    /// JSON path with array indices collapsed (`data.dataList[*].owner`); `""` is the root.
    pub path: String,
    /// What drifted.
    pub kind: Kind,
    /// Human-readable detail.
    pub detail: String,
    /// The first value seen (`null` for `missing-required`).
    pub example: Value,
    /// Distinct values seen at this path in this recording (at most 20).
    pub seen: Vec<Value>,
    /// Where to absorb it: the object (unknown-field, missing-required), the `enum` array
    /// (new-enum-value) or the value's schema node (type-mismatch).
    pub schema: SchemaLoc,
    /// The `$defs` name the finding is in.
    pub def: String,
    /// The key (unknown-field, missing-required).
    pub key: Option<String>,
    /// For findings inside a record of an object without a typed definition: that object.
    pub untyped_record: Option<String>,
}

impl Finding {
    /// The path for display: `(root)` for the top level.
    pub fn shown_path(&self) -> &str {
        if self.path.is_empty() {
            "(root)"
        } else {
            &self.path
        }
    }

    /// The finding as a JSON object (for `--json`).
    pub fn to_json(&self) -> Value {
        json!({
            "file": self.file,
            "vendor": self.vendor,
            "operation": self.operation,
            "direction": self.direction.as_str(),
            "path": self.shown_path(),
            "kind": self.kind.as_str(),
            "detail": self.detail,
            "example": self.example,
            "schemaFile": self.schema.file,
            "schemaPointer": self.schema.pointer,
        })
    }
}

/// Which wire forms were seen at a schema node (every checked scalar, drifted or not); used by
/// `--suggest` to tell "number and numeric string coexist" (→ `LenientDecimal`/`LenientInt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forms {
    /// A JSON integer.
    pub int: bool,
    /// A JSON number with a fraction.
    pub float: bool,
    /// A string holding an integer.
    pub int_str: bool,
    /// A string holding a decimal (not an integer).
    pub dec_str: bool,
    /// Any other string.
    pub other_str: bool,
}

impl Forms {
    /// Adds one value.
    pub fn add(&mut self, v: &Value) {
        match v {
            Value::Number(n) if is_integral(n) => self.int = true,
            Value::Number(_) => self.float = true,
            Value::String(s) if s == REDACTED => {}
            Value::String(s) => match numeric_string(s) {
                Some(true) => self.int_str = true,
                Some(false) => self.dec_str = true,
                None => self.other_str = true,
            },
            _ => {}
        }
    }
}

/// `Some(true)` for an integer string, `Some(false)` for a decimal string, `None` otherwise.
pub fn numeric_string(s: &str) -> Option<bool> {
    let t = s.trim();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
        return None;
    }
    if t.parse::<i128>().is_ok() {
        return Some(true);
    }
    t.parse::<f64>().ok().map(|_| false)
}

fn is_integral(n: &serde_json::Number) -> bool {
    n.is_i64()
        || n.is_u64()
        || n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.is_finite())
}

/// The JSON Schema type name of a value (`integer` for integral numbers).
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if is_integral(n) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn accepts(kinds: &Option<KindSet>, kind: &str) -> bool {
    match kinds {
        None => true,
        Some(k) => k.contains(kind) || (kind == "integer" && k.contains("number")),
    }
}

fn has_scalar(kinds: &Option<KindSet>) -> bool {
    match kinds {
        None => true,
        Some(k) => k
            .iter()
            .any(|x| matches!(*x, "string" | "integer" | "number" | "boolean")),
    }
}

/// Escapes a JSON pointer token.
pub fn ptr_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// A value shortened for a table cell.
pub fn short(v: &Value, max: usize) -> String {
    let text = v.to_string();
    if text.chars().count() <= max {
        text
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn join_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '$');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{}]", Value::String(key.to_owned())),
    }
}

/// One vendor's schemas: the bundle plus the typed records by API name.
pub struct VendorSchemas {
    /// The vendor.
    pub vendor: &'static Vendor,
    /// Every definition (refs rewritten to `#/$defs/Name`) and the operations.
    pub bundle: Bundle,
    /// `x-crm-api-name` → definition name.
    pub api_names: BTreeMap<String, String>,
}

impl VendorSchemas {
    /// Loads `schemas/common` and `schemas/<vendor>` under `root`.
    pub fn load(root: &Path, vendor: &'static Vendor) -> Result<Self> {
        let bundle = codegen::load_bundle(root, vendor)?;
        let api_names = bundle
            .defs
            .iter()
            .filter_map(|(name, def)| {
                let api = def.schema.get("x-crm-api-name")?.as_str()?;
                Some((api.to_owned(), name.clone()))
            })
            .collect();
        Ok(Self {
            vendor,
            bundle,
            api_names,
        })
    }

    /// A definition by name.
    pub fn def(&self, name: &str) -> Option<&Def> {
        self.bundle.defs.get(name)
    }

    /// An operation by name.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.bundle.operations.iter().find(|o| o.name == name)
    }

    /// The property names of a definition (the envelope keys).
    pub fn property_names(&self, def: &str) -> BTreeSet<String> {
        self.def(def)
            .and_then(|d| d.schema.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn is_runtime(&self, name: &str) -> bool {
        self.def(name)
            .is_some_and(|d| d.schema.get("x-crm-runtime").is_some())
    }

    fn is_open_enum(&self, name: &str) -> bool {
        self.def(name)
            .is_some_and(|d| d.schema.get("x-crm-open-enum") == Some(&Value::Bool(true)))
    }

    fn is_generic_record(&self, name: &str) -> bool {
        GENERIC_RECORDS
            .iter()
            .any(|(v, d)| *v == self.vendor.schema_dir && *d == name)
    }

    /// The JSON types a schema node accepts (`None`: anything).
    pub fn kinds(&self, node: &Value) -> Option<KindSet> {
        self.kinds_at(node, 0)
    }

    fn kinds_at(&self, node: &Value, depth: usize) -> Option<KindSet> {
        if depth > 16 {
            return None;
        }
        if let Some(name) = ref_name(node) {
            return self
                .def(name)
                .and_then(|d| self.kinds_at(&d.schema, depth + 1));
        }
        if let Some(t) = node.get("type") {
            let mut set = KindSet::new();
            let names: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for n in names {
                if let Some(k) = static_kind(n) {
                    set.insert(k);
                }
            }
            return Some(set);
        }
        if let Some(values) = node.get("enum").and_then(Value::as_array) {
            return Some(values.iter().map(kind_of).collect());
        }
        if let Some(c) = node.get("const") {
            return Some([kind_of(c)].into_iter().collect());
        }
        if let Some(branches) = branches(node) {
            let mut set = KindSet::new();
            for b in branches {
                set.extend(self.kinds_at(b, depth + 1)?);
            }
            return Some(set);
        }
        if node.get("properties").is_some()
            || node.get("additionalProperties").is_some()
            || node.get("required").is_some()
        {
            return Some(["object"].into_iter().collect());
        }
        if node.get("items").is_some() {
            return Some(["array"].into_iter().collect());
        }
        None
    }

    /// What a node expects, for messages.
    pub fn expected(&self, node: &Value) -> String {
        let kinds = |k: Option<KindSet>| match k {
            None => "anything".to_owned(),
            Some(k) => k.into_iter().collect::<Vec<_>>().join(" or "),
        };
        if let Some(name) = ref_name(node) {
            if self.is_runtime(name) {
                let pattern = self
                    .def(name)
                    .map(|d| d.schema.to_string().contains("\"pattern\""))
                    .unwrap_or(false);
                return format!(
                    "{name} ({}{})",
                    kinds(self.kinds(node)),
                    if pattern { " in its wire format" } else { "" }
                );
            }
            return format!("{name} ({})", kinds(self.kinds(node)));
        }
        if let Some(values) = node.get("enum").and_then(Value::as_array) {
            return format!("one of {}", Value::Array(values.clone()));
        }
        let mut s = kinds(self.kinds(node));
        if let Some(p) = node.get("pattern").and_then(Value::as_str) {
            let _ = write!(s, " matching {p}");
        }
        s
    }
}

fn static_kind(name: &str) -> Option<&'static str> {
    Some(match name {
        "null" => "null",
        "boolean" => "boolean",
        "integer" => "integer",
        "number" => "number",
        "string" => "string",
        "array" => "array",
        "object" => "object",
        _ => return None,
    })
}

/// The definition a `$ref` node points to (`…#/$defs/Name`).
pub fn ref_name(node: &Value) -> Option<&str> {
    node.get("$ref")?.as_str()?.rsplit("/$defs/").next()
}

fn branches(node: &Value) -> Option<&Vec<Value>> {
    node.get("oneOf")
        .or_else(|| node.get("anyOf"))
        .and_then(Value::as_array)
}

/// A finding before it is tied to a recording.
#[derive(Clone, Debug)]
struct Raw {
    path: String,
    kind: Kind,
    detail: String,
    example: Value,
    schema: SchemaLoc,
    def: String,
    key: Option<String>,
    untyped: Option<String>,
}

/// Where the walk is in the instance.
#[derive(Clone, Debug, Default)]
struct Pos {
    /// Display path, indices collapsed.
    path: String,
    /// JSON pointer with real indices.
    pointer: String,
    /// Not `required` here (so `null` reads as absent).
    optional: bool,
    /// Object/array nesting depth.
    depth: usize,
    /// A URL value (a string stands for any scalar).
    lenient: bool,
    /// The object a generic record here most likely belongs to.
    api_hint: Option<String>,
    /// Inside a record of an object without a typed definition.
    untyped: Option<String>,
}

impl Pos {
    fn key(&self, key: &str, optional: bool) -> Pos {
        Pos {
            path: join_path(&self.path, key),
            pointer: format!("{}/{}", self.pointer, ptr_token(key)),
            optional,
            depth: self.depth + 1,
            lenient: self.lenient,
            api_hint: self.api_hint.clone(),
            untyped: self.untyped.clone(),
        }
    }

    fn item(&self, i: usize) -> Pos {
        Pos {
            path: format!("{}[*]", self.path),
            pointer: format!("{}/{i}", self.pointer),
            optional: false,
            depth: self.depth + 1,
            lenient: self.lenient,
            api_hint: self.api_hint.clone(),
            untyped: self.untyped.clone(),
        }
    }
}

/// Validators for leaf schemas, by their JSON text.
#[derive(Default)]
struct Validators {
    compiled: HashMap<String, Option<jsonschema::Validator>>,
}

impl Validators {
    fn is_valid(&mut self, schema: &Value, value: &Value) -> bool {
        let key = schema.to_string();
        let v = self
            .compiled
            .entry(key)
            .or_insert_with(|| jsonschema::validator_for(&strip_extensions(schema)).ok());
        v.as_ref().is_none_or(|v| v.is_valid(value))
    }
}

fn strip_extensions(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with("x-") && *k != "description")
                .map(|(k, v)| {
                    let keep = matches!(k.as_str(), "enum" | "const" | "examples" | "default");
                    (
                        k.clone(),
                        if keep { v.clone() } else { strip_extensions(v) },
                    )
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_extensions).collect()),
        other => other.clone(),
    }
}

struct Walker<'a> {
    s: &'a VendorSchemas,
    validators: &'a mut Validators,
    observations: &'a mut BTreeMap<SchemaLoc, Forms>,
    /// Top-level keys that came from the URL.
    from_url: &'a BTreeSet<String>,
    out: Vec<Raw>,
    /// JSON pointer → typed record definition, for generic records that were specialised.
    parts: Vec<(String, String)>,
}

impl Walker<'_> {
    fn walk(&mut self, node: &Value, loc: &SchemaLoc, def: &str, value: &Value, pos: &Pos) {
        if value.is_null() && pos.optional {
            return;
        }
        if let Some(name) = ref_name(node) {
            let Some(target) = self.s.def(name) else {
                return; // load_bundle checked every ref; nothing sensible to do
            };
            if self.s.is_runtime(name) {
                return self.runtime_scalar(node, loc, def, &target.schema, value, pos);
            }
            if self.s.is_open_enum(name) {
                return self.open_enum(node, loc, def, name, target, value, pos);
            }
            if !accepts(&self.s.kinds(node), kind_of(value)) {
                return self.mismatch(node, loc, def, value, pos, "");
            }
            if self.s.is_generic_record(name) && value.is_object() {
                let api = API_NAME_KEYS
                    .iter()
                    .find_map(|k| value.get(*k).and_then(Value::as_str))
                    .map(str::to_owned)
                    .or_else(|| pos.api_hint.clone());
                let typed = api.as_ref().and_then(|a| self.s.api_names.get(a)).cloned();
                if let Some((typed, tdef)) = typed.and_then(|t| self.s.def(&t).map(|d| (t, d))) {
                    self.parts.push((pos.pointer.clone(), typed.clone()));
                    let mut p = pos.clone();
                    p.untyped = None;
                    return self.walk(
                        &tdef.schema,
                        &SchemaLoc::def(&tdef.file, &typed),
                        &typed,
                        value,
                        &p,
                    );
                }
                let mut p = pos.clone();
                p.untyped = Some(api.unwrap_or_else(|| "an unknown object".to_owned()));
                return self.walk(
                    &target.schema,
                    &SchemaLoc::def(&target.file, name),
                    name,
                    value,
                    &p,
                );
            }
            return self.walk(
                &target.schema,
                &SchemaLoc::def(&target.file, name),
                name,
                value,
                pos,
            );
        }

        if let Some(bs) = branches(node) {
            let key = if node.get("oneOf").is_some() {
                "oneOf"
            } else {
                "anyOf"
            };
            let kind = kind_of(value);
            for (i, b) in bs.iter().enumerate() {
                if accepts(&self.s.kinds(b), kind)
                    || (pos.lenient && kind == "string" && has_scalar(&self.s.kinds(b)))
                {
                    return self.walk(b, &loc.child(key).child(&i.to_string()), def, value, pos);
                }
            }
            return self.mismatch(node, loc, def, value, pos, "");
        }

        if let Some(values) = node.get("enum").and_then(Value::as_array) {
            return self.plain_enum(node, loc, def, values, value, pos);
        }

        let kinds = self.s.kinds(node);
        match value {
            Value::Object(map) => {
                if !accepts(&kinds, "object") {
                    return self.mismatch(node, loc, def, value, pos, "");
                }
                let props = node.get("properties").and_then(Value::as_object);
                let structured = props.is_some()
                    || node.get("additionalProperties").is_some()
                    || kinds.as_ref().is_some_and(|k| k.contains("object"));
                if !structured {
                    return; // `{}`: anything goes, nothing to compare with
                }
                let required: Vec<&str> = node
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let map_schema = node
                    .get("additionalProperties")
                    .filter(|ap| is_map_schema(ap));
                for (k, v) in map {
                    let mut child = pos.key(k, !required.contains(&k.as_str()));
                    if pos.depth == 0 && self.from_url.contains(k) {
                        child.lenient = true;
                    }
                    if let Some(p) = props.and_then(|p| p.get(k)) {
                        let ploc = loc.child("properties").child(k);
                        self.walk(p, &ploc, def, v, &child);
                    } else if let Some(ap) = map_schema {
                        child.api_hint = Some(k.clone());
                        child.optional = true;
                        self.walk(ap, &loc.child("additionalProperties"), def, v, &child);
                    } else {
                        let mut detail = format!(
                            "{} {}: not a property of {}",
                            kind_of(v),
                            short(v, 48),
                            describe_def(def, loc)
                        );
                        if let Some(obj) = &pos.untyped {
                            let _ = write!(detail, " (record of {obj}: no typed schema)");
                        }
                        self.out.push(Raw {
                            path: child.path.clone(),
                            kind: Kind::UnknownField,
                            detail,
                            example: v.clone(),
                            schema: loc.clone(),
                            def: def.to_owned(),
                            key: Some(k.clone()),
                            untyped: pos.untyped.clone(),
                        });
                    }
                }
                for r in required {
                    if !map.contains_key(r) {
                        self.out.push(Raw {
                            path: join_path(&pos.path, r),
                            kind: Kind::MissingRequired,
                            detail: format!("required by {}, absent", describe_def(def, loc)),
                            example: Value::Null,
                            schema: loc.clone(),
                            def: def.to_owned(),
                            key: Some(r.to_owned()),
                            untyped: pos.untyped.clone(),
                        });
                    }
                }
            }
            Value::Array(items) => {
                if !accepts(&kinds, "array") {
                    return self.mismatch(node, loc, def, value, pos, "");
                }
                if let Some(item_schema) = node.get("items") {
                    let iloc = loc.child("items");
                    for (i, it) in items.iter().enumerate() {
                        self.walk(item_schema, &iloc, def, it, &pos.item(i));
                    }
                }
            }
            scalar => self.plain_scalar(node, loc, def, &kinds, scalar, pos),
        }
    }

    fn runtime_scalar(
        &mut self,
        node: &Value,
        loc: &SchemaLoc,
        def: &str,
        schema: &Value,
        value: &Value,
        pos: &Pos,
    ) {
        self.observe(loc, value);
        if (pos.lenient && value.is_string()) || value.as_str() == Some(REDACTED) {
            return;
        }
        if !self.validators.is_valid(schema, value) {
            self.mismatch(node, loc, def, value, pos, "");
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn open_enum(
        &mut self,
        node: &Value,
        loc: &SchemaLoc,
        def: &str,
        name: &str,
        target: &Def,
        value: &Value,
        pos: &Pos,
    ) {
        let Some(s) = value.as_str() else {
            return self.mismatch(node, loc, def, value, pos, "");
        };
        let known = target
            .schema
            .pointer("/anyOf/0/enum")
            .and_then(Value::as_array);
        if s == REDACTED || known.is_some_and(|k| k.iter().any(|x| x.as_str() == Some(s))) {
            return;
        }
        let listed = known
            .map(|k| short(&Value::Array(k.clone()), 60))
            .unwrap_or_default();
        self.out.push(Raw {
            path: pos.path.clone(),
            kind: Kind::NewEnumValue,
            detail: format!(
                "{} is not listed in {name} {listed}",
                Value::String(s.to_owned())
            ),
            example: value.clone(),
            schema: SchemaLoc::def(&target.file, name)
                .child("anyOf")
                .child("0")
                .child("enum"),
            def: name.to_owned(),
            key: None,
            untyped: pos.untyped.clone(),
        });
    }

    fn plain_enum(
        &mut self,
        node: &Value,
        loc: &SchemaLoc,
        def: &str,
        values: &[Value],
        value: &Value,
        pos: &Pos,
    ) {
        if values.contains(value) || value.as_str() == Some(REDACTED) {
            return;
        }
        // From the URL: `1` is listed as the number 1, say.
        if let (true, Some(s)) = (pos.lenient, value.as_str())
            && values
                .iter()
                .any(|v| !v.is_string() && *v.to_string() == *s)
        {
            return;
        }
        let kinds: KindSet = values.iter().map(kind_of).collect();
        if !kinds.contains(kind_of(value)) {
            return self.mismatch(node, loc, def, value, pos, "");
        }
        self.out.push(Raw {
            path: pos.path.clone(),
            kind: Kind::NewEnumValue,
            detail: format!(
                "{} is not listed in {}",
                short(value, 40),
                short(&Value::Array(values.to_vec()), 60)
            ),
            example: value.clone(),
            schema: loc.child("enum"),
            def: def.to_owned(),
            key: None,
            untyped: pos.untyped.clone(),
        });
    }

    fn plain_scalar(
        &mut self,
        node: &Value,
        loc: &SchemaLoc,
        def: &str,
        kinds: &Option<KindSet>,
        value: &Value,
        pos: &Pos,
    ) {
        self.observe(loc, value);
        if value.is_string()
            && (value.as_str() == Some(REDACTED) || pos.lenient)
            && has_scalar(kinds)
        {
            return;
        }
        if !accepts(kinds, kind_of(value)) {
            return self.mismatch(node, loc, def, value, pos, "");
        }
        if CONSTRAINTS.iter().any(|c| node.get(*c).is_some())
            && !self.validators.is_valid(node, value)
        {
            self.mismatch(node, loc, def, value, pos, " (fails a constraint)");
        }
    }

    fn mismatch(
        &mut self,
        node: &Value,
        loc: &SchemaLoc,
        def: &str,
        value: &Value,
        pos: &Pos,
        why: &str,
    ) {
        self.observe(loc, value);
        self.out.push(Raw {
            path: pos.path.clone(),
            kind: Kind::TypeMismatch,
            detail: format!(
                "expected {}, saw {} {}{why}",
                self.s.expected(node),
                kind_of(value),
                short(value, 40)
            ),
            example: value.clone(),
            schema: loc.clone(),
            def: def.to_owned(),
            key: None,
            untyped: pos.untyped.clone(),
        });
    }

    fn observe(&mut self, loc: &SchemaLoc, value: &Value) {
        if !loc.file.is_empty() {
            self.observations.entry(loc.clone()).or_default().add(value);
        }
    }
}

fn describe_def(def: &str, loc: &SchemaLoc) -> String {
    let base = format!("/$defs/{}", ptr_token(def));
    match loc.pointer.strip_prefix(&base) {
        Some("") | None => def.to_owned(),
        Some(rest) => format!("{def}{rest}"),
    }
}

/// An `additionalProperties` that describes map values (not `{}`/`true`/`false`).
fn is_map_schema(ap: &Value) -> bool {
    match ap {
        Value::Object(m) => m.keys().any(|k| k != "description"),
        _ => false,
    }
}

/// The result of checking one recording.
#[derive(Debug, Default)]
pub struct Exchange {
    /// Findings, deduplicated.
    pub findings: Vec<Finding>,
    /// Typed records found in the request: JSON pointer → definition.
    pub request_parts: Vec<(String, String)>,
    /// Typed records found in the response body.
    pub response_parts: Vec<(String, String)>,
}

/// Checks recordings against the schemas under a repository root.
pub struct Checker {
    root: PathBuf,
    vendors: BTreeMap<String, VendorSchemas>,
    validators: Validators,
    /// Wire forms seen per schema node, across every recording checked.
    pub observations: BTreeMap<SchemaLoc, Forms>,
    /// Things worth knowing that are not drift (skipped files and responses).
    pub notes: Vec<String>,
}

impl Checker {
    /// A checker reading `root/schemas`.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            vendors: BTreeMap::new(),
            validators: Validators::default(),
            observations: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// The schemas of a vendor (loaded on first use).
    pub fn vendor(&mut self, name: &str) -> Result<&VendorSchemas> {
        if !self.vendors.contains_key(name) {
            let vendor = VENDORS
                .iter()
                .find(|v| v.schema_dir == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = VENDORS.iter().map(|v| v.schema_dir).collect();
                    anyhow!(
                        "unknown vendor `{name}` (expected one of {})",
                        known.join(", ")
                    )
                })?;
            let loaded = VendorSchemas::load(&self.root, vendor)?;
            self.vendors.insert(name.to_owned(), loaded);
        }
        self.vendors
            .get(name)
            .ok_or_else(|| anyhow!("vendor `{name}` not loaded"))
    }

    /// Checks one recording. Errors (unknown vendor or operation) name the file.
    pub fn check(&mut self, rec: &Recording) -> Result<Exchange> {
        let shown = rec.path.display().to_string();
        self.vendor(&rec.vendor)
            .map_err(|e| anyhow!("{shown}: {e:#}"))?;
        let s = self
            .vendors
            .get(&rec.vendor)
            .ok_or_else(|| anyhow!("{shown}: vendor `{}` not loaded", rec.vendor))?;
        let op = s.operation(&rec.operation).ok_or_else(|| {
            anyhow!(
                "{shown}: unknown operation `{}` for vendor {} (not in schemas/{}/operations.json)",
                rec.operation,
                rec.vendor,
                rec.vendor
            )
        })?;
        let envelope = recording::envelope(&rec.vendor).filter(|_| op.auth != "none");
        let envelope_keys = envelope
            .map(|e| s.property_names(e.def))
            .unwrap_or_default();
        let mut templates = vec![op.path.as_str()];
        templates.extend(op.alt_path.as_deref());
        let input = recording::request_input(rec, &templates, envelope, &envelope_keys);
        let hint = rec
            .request_body
            .as_ref()
            .and_then(|b| b.pointer("/data/dataObjectApiName"))
            .and_then(Value::as_str)
            .map(str::to_owned);

        let mut raws: Vec<(Direction, Raw)> = Vec::new();
        let mut exchange = Exchange::default();
        let (req, parts) = walk_root(
            s,
            &mut self.validators,
            &mut self.observations,
            &op.input,
            &input.value,
            &input.from_url,
            hint.clone(),
        );
        raws.extend(req.into_iter().map(|r| (Direction::Request, r)));
        exchange.request_parts = parts;

        match &rec.response {
            Some(resp) if !(200..300).contains(&resp.status) => self.notes.push(format!(
                "{shown}: response not checked: HTTP {}",
                resp.status
            )),
            Some(resp) if resp.body.is_string() => self.notes.push(format!(
                "{shown}: response not checked: the body is not JSON ({})",
                short(&resp.body, 40)
            )),
            Some(resp) => {
                let none = BTreeSet::new();
                let (res, parts) = walk_root(
                    s,
                    &mut self.validators,
                    &mut self.observations,
                    &op.output,
                    &resp.body,
                    &none,
                    hint,
                );
                raws.extend(res.into_iter().map(|r| (Direction::Response, r)));
                exchange.response_parts = parts;
            }
            None => self.notes.push(format!(
                "{shown}: no response recorded ({}); only the request was checked",
                rec.error.as_deref().unwrap_or("no error either")
            )),
        }

        // One finding per (direction, path, kind, schema node), with every distinct value seen.
        let mut index: HashMap<(Direction, String, Kind, SchemaLoc), usize> = HashMap::new();
        for (direction, raw) in raws {
            let key = (direction, raw.path.clone(), raw.kind, raw.schema.clone());
            if let Some(&i) = index.get(&key) {
                let f: &mut Finding = &mut exchange.findings[i];
                if f.seen.len() < SEEN_CAP && !f.seen.contains(&raw.example) {
                    f.seen.push(raw.example);
                }
                continue;
            }
            index.insert(key, exchange.findings.len());
            exchange.findings.push(Finding {
                file: shown.clone(),
                recording: rec.file_name(),
                vendor: rec.vendor.clone(),
                operation: rec.operation.clone(),
                direction,
                path: raw.path,
                kind: raw.kind,
                detail: raw.detail,
                seen: vec![raw.example.clone()],
                example: raw.example,
                schema: raw.schema,
                def: raw.def,
                key: raw.key,
                untyped_record: raw.untyped,
            });
        }
        exchange
            .findings
            .sort_by(|a, b| (a.direction, &a.path, a.kind).cmp(&(b.direction, &b.path, b.kind)));
        Ok(exchange)
    }
}

fn walk_root(
    s: &VendorSchemas,
    validators: &mut Validators,
    observations: &mut BTreeMap<SchemaLoc, Forms>,
    type_name: &str,
    value: &Value,
    from_url: &BTreeSet<String>,
    hint: Option<String>,
) -> (Vec<Raw>, Vec<(String, String)>) {
    let mut w = Walker {
        s,
        validators,
        observations,
        from_url,
        out: Vec::new(),
        parts: Vec::new(),
    };
    let node = json!({ "$ref": format!("#/$defs/{type_name}") });
    let pos = Pos {
        api_hint: hint,
        ..Pos::default()
    };
    w.walk(&node, &SchemaLoc::default(), type_name, value, &pos);
    (w.out, w.parts)
}

/// The outcome of `cargo xtask drift`.
#[derive(Debug, Default)]
pub struct Report {
    /// How many recordings were checked.
    pub exchanges: usize,
    /// Every finding, in file order.
    pub findings: Vec<Finding>,
    /// Wire forms seen per schema node.
    pub observations: BTreeMap<SchemaLoc, Forms>,
    /// Notes (skipped files and responses).
    pub notes: Vec<String>,
}

/// Checks every recording named by `paths` (files, or folders walked for `*.json`) against
/// the schemas under `root`. JSON files without a `"recording"` key are skipped when found in
/// a folder and an error when named directly.
pub fn run(root: &Path, paths: &[PathBuf]) -> Result<Report> {
    let mut checker = Checker::new(root);
    let mut report = Report::default();
    let named: BTreeSet<&PathBuf> = paths.iter().collect();
    for file in recording::collect_files(paths)? {
        let rec = match recording::load(&file)? {
            Loaded::Recording(r) => r,
            Loaded::NotARecording if named.contains(&file) => {
                return Err(anyhow!(
                    "{}: not a recording (no \"recording\" key)",
                    file.display()
                ));
            }
            Loaded::NotARecording => {
                checker
                    .notes
                    .push(format!("{}: skipped, not a recording", file.display()));
                continue;
            }
        };
        let exchange = checker.check(&rec)?;
        report.exchanges += 1;
        report.findings.extend(exchange.findings);
    }
    if report.exchanges == 0 {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(anyhow!("no recordings found in {}", shown.join(", ")));
    }
    report.observations = checker.observations;
    report.notes = checker.notes;
    Ok(report)
}

/// The findings as one table: file | operation | direction | JSON path | kind | detail.
pub fn render_table(findings: &[Finding]) -> String {
    let header = [
        "file",
        "operation",
        "direction",
        "JSON path",
        "kind",
        "detail",
    ];
    let rows: Vec<[String; 6]> = findings
        .iter()
        .map(|f| {
            [
                f.file.clone(),
                f.operation.clone(),
                f.direction.as_str().to_owned(),
                f.shown_path().to_owned(),
                f.kind.as_str().to_owned(),
                f.detail.clone(),
            ]
            .map(|c| c.replace('|', "\\|").replace('\n', " "))
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    // The last column is not padded (it is the long one).
    widths[5] = 0;
    let line = |cells: &[String]| -> String {
        let mut s = String::from("|");
        for (c, w) in cells.iter().zip(widths) {
            let pad = w.saturating_sub(c.chars().count());
            let _ = write!(s, " {c}{} |", " ".repeat(pad));
        }
        s.push('\n');
        s
    };
    let mut out = line(&header.map(str::to_owned));
    let sep: Vec<String> = widths.iter().map(|w| "-".repeat((*w).max(3))).collect();
    out.push_str(&line(&sep));
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}

/// A one-line summary.
pub fn summary(report: &Report) -> String {
    if report.findings.is_empty() {
        return format!("no drift in {} exchange(s)", report.exchanges);
    }
    let files: BTreeSet<&str> = report.findings.iter().map(|f| f.file.as_str()).collect();
    format!(
        "{} finding(s) in {} of {} exchange(s)",
        report.findings.len(),
        files.len(),
        report.exchanges
    )
}
