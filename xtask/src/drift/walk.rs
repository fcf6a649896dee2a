//! The walk of one recorded body alongside its schema, collecting raw findings.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crm_codegen::Def;
use crm_codegen::schema::{ptr_token, ref_name, strip_extensions};
use serde_json::{Value, json};

use super::schemas::{KindSet, VendorSchemas, accepts, branches, has_scalar};
use super::{Forms, Kind, SchemaLoc, kind_of, short};
use crate::recording::REDACTED;

/// Keys of a record that name its object.
const API_NAME_KEYS: &[&str] = &["dataObjectApiName", "object_describe_api_name"];

/// Keywords whose failure only a real validator can tell (checked with `jsonschema`; a patch
/// removes those a value failed).
pub(super) const CONSTRAINTS: &[&str] = &[
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

/// A finding before it is tied to a recording.
#[derive(Clone, Debug)]
pub(super) struct Raw {
    pub(super) path: String,
    pub(super) kind: Kind,
    pub(super) detail: String,
    pub(super) example: Value,
    pub(super) schema: SchemaLoc,
    pub(super) def: String,
    pub(super) key: Option<String>,
    pub(super) untyped: Option<String>,
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
pub(super) struct Validators {
    compiled: HashMap<String, Option<jsonschema::Validator>>,
}

impl Validators {
    fn is_valid(&mut self, schema: &Value, value: &Value) -> bool {
        let key = schema.to_string();
        let v = self.compiled.entry(key).or_insert_with(|| {
            let mut plain = schema.clone();
            strip_extensions(&mut plain);
            jsonschema::validator_for(&plain).ok()
        });
        v.as_ref().is_none_or(|v| v.is_valid(value))
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

pub(super) fn walk_root(
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
