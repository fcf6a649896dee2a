//! The schemas drift compares with: one vendor's bundle (from `crm-codegen`'s loader) and what
//! a schema node accepts.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use crm_codegen::schema::ref_name;
use crm_codegen::{Bundle, Def, Operation};
use serde_json::Value;

use super::kind_of;
use crate::workspace::Vendor;

/// A set of JSON Schema type names (`null`, `boolean`, `integer`, `number`, `string`,
/// `array`, `object`).
pub type KindSet = BTreeSet<&'static str>;

/// Generic record definitions that stand for "a record of any object" (per vendor), checked
/// against the typed definition with the matching `x-crm-api-name` when the object is known.
const GENERIC_RECORDS: &[(&str, &str)] = &[("fxiaoke", "ObjectData")];

pub(super) fn accepts(kinds: &Option<KindSet>, kind: &str) -> bool {
    match kinds {
        None => true,
        Some(k) => k.contains(kind) || (kind == "integer" && k.contains("number")),
    }
}

pub(super) fn has_scalar(kinds: &Option<KindSet>) -> bool {
    match kinds {
        None => true,
        Some(k) => k
            .iter()
            .any(|x| matches!(*x, "string" | "integer" | "number" | "boolean")),
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
        let bundle = vendor.generator(root).bundle()?;
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

    pub(super) fn is_runtime(&self, name: &str) -> bool {
        self.def(name)
            .is_some_and(|d| d.schema.get("x-crm-runtime").is_some())
    }

    pub(super) fn is_open_enum(&self, name: &str) -> bool {
        self.def(name)
            .is_some_and(|d| d.schema.get("x-crm-open-enum") == Some(&Value::Bool(true)))
    }

    pub(super) fn is_generic_record(&self, name: &str) -> bool {
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

pub(super) fn branches(node: &Value) -> Option<&Vec<Value>> {
    node.get("oneOf")
        .or_else(|| node.get("anyOf"))
        .and_then(Value::as_array)
}
