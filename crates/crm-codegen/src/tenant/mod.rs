//! Typed objects for a user's own tenant: the vendor's metadata (Fxiaoke describe, useasy field
//! configuration) turned into schemas that follow `schemas/README.md`, the module generated from
//! them, and the differences between pulled schemas and fresh metadata.
//!
//! # A tenant folder
//!
//! | file | written by | content |
//! |---|---|---|
//! | `<OBJECT>.json` | pull | `$defs.<OBJECT>`: the object (`x-crm-api-name`), one property per field, described by its label, typed per the vendor's field type (both kept in `x-crm-field-type` and `x-crm-label` for `diff`), none required, `additionalProperties: {}`; `$defs.<OBJECT>.<field>`: one `x-crm-open-enum` per select field, labels in `x-crm-option-labels` |
//! | `common.json` | pull | the runtime scalars (`LenientDecimal`, `EpochMillis`, `StrBool`, …) and shared shapes (Fxiaoke `AttachmentFile`) |
//! | `names.json` | pull | the pinned Rust names ([`crate::names`]) |
//!
//! The generated module has, per object, a struct with one `Option` field per property and the
//! catch-all `extra`, an `ExtraFields` (companion fields `__r`/`__l`/…, fields added later,
//! fields hidden from the operator who pulled, each kept as its JSON text), decoded in one pass; per select field, an enum of the options (with
//! `value()` and `label()`) used as `OpenEnum<…>`, so an option added later decodes as
//! `OpenEnum::Other` and re-encodes unchanged.

mod diff;
pub mod fxiaoke;
pub mod useasy;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Map, Value, json};

use crate::bundle::{Bundle, Def, open_enum_values};
use crate::error::{Result, bail, err};
use crate::generator::Vendor;
use crate::names::{NAMES_FILE, NameBook, is_type_name};
use crate::output::{GeneratedFile, pretty_json};
use crate::postprocess::{allow_on_items, lazy_extra_fields, rename_fields};
use crate::scalars::{replacements, run_typify};
use crate::schema::{SchemaSet, for_each_subschema_mut, ref_name};

pub use diff::{Change, ChangeKind, diff};

/// The shared definitions file of a tenant folder.
pub const COMMON_FILE: &str = "common.json";

/// The runtime scalars: a copy of the workspace's `schemas/common/scalars.json`, inside the crate
/// so that it packages; `cargo xtask codegen` writes the copy and `--check` fails if it differs.
const SCALARS: &str = include_str!("scalars.json");

/// Read-only companion fields (`__r` labels, `__l` lists, …): never generated, kept in `extra`.
const COMPANION_SUFFIXES: &[&str] = &["__r", "__l", "__o", "__v", "__p", "__e", "__relation_ids"];

/// Whether a field is a read-only companion of another (`owner__r`).
pub fn is_companion(field: &str) -> bool {
    COMPANION_SUFFIXES.iter().any(|s| field.ends_with(s))
}

/// One object's schema, made from the vendor's metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct PulledObject {
    /// The object's API name (`AccountObj`; useasy: `customer`), also its file name stem.
    pub api_name: String,
    /// Its display name.
    pub display_name: String,
    /// The schema file.
    pub schema: Value,
    /// How many fields the metadata listed.
    pub fields_seen: usize,
    /// How many became properties.
    pub fields_typed: usize,
    /// Fields left out, and why (companions, deleted fields); their values stay in `extra`.
    pub skipped: Vec<(String, String)>,
}

impl PulledObject {
    /// The file name in a tenant folder: `<api name>.json`.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.api_name)
    }

    /// The object's property schemas by field.
    pub fn properties(&self) -> Option<&Map<String, Value>> {
        self.schema
            .pointer(&format!(
                "/$defs/{}/properties",
                crate::schema::ptr_token(&self.api_name)
            ))
            .and_then(Value::as_object)
    }
}

/// The `common.json` of a tenant folder of `vendor`.
pub fn common_schema(vendor: Vendor) -> Result<Value> {
    let scalars: Value = serde_json::from_str(SCALARS)
        .map_err(|e| err!("the embedded scalars.json is not JSON: {e}"))?;
    let mut defs = scalars
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| err!("the embedded scalars.json has no $defs"))?;
    if vendor == Vendor::Fxiaoke {
        defs.insert("AttachmentFile".into(), fxiaoke::attachment_file());
    }
    Ok(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "共享定义 / Shared definitions",
        "description": format!(
            "运行时标量与共享结构 / The runtime scalars (decoded leniently, re-encoded exactly as received; see schemas/README.md §4) and shared shapes of {} tenant schemas. Written by `crm {} … pull`; do not edit.",
            vendor.name(),
            vendor.name()
        ),
        "$defs": defs,
    }))
}

/// Writes pulled objects into the tenant folder `dir`: `<OBJECT>.json` for each, `common.json`,
/// and `names.json` with a Rust name pinned for every new object, field and option (`requested`
/// type names by API name, for objects pulled the first time). Names already in `names.json`
/// never change. Returns the files written or changed.
pub fn write_pulled(
    vendor: Vendor,
    dir: &Path,
    objects: &[PulledObject],
    requested: &BTreeMap<String, String>,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).map_err(|e| err!("cannot create {}: {e}", dir.display()))?;
    let common = common_schema(vendor)?;
    let reserved = common
        .get("$defs")
        .and_then(Value::as_object)
        .map(|d| d.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    let mut book = NameBook::load(dir, reserved)?;
    for o in objects {
        book.object(&o.api_name, requested.get(&o.api_name).map(String::as_str))?;
    }
    for o in objects {
        pin_object_names(&mut book, &o.api_name, &o.schema, &o.api_name)?;
    }
    book.validate()?;
    let mut files: Vec<(String, String)> = vec![(COMMON_FILE.to_owned(), pretty_json(&common))];
    for o in objects {
        files.push((o.file_name(), pretty_json(&o.schema)));
    }
    files.push((NAMES_FILE.to_owned(), book.to_json()));
    let mut written = Vec::new();
    for (name, text) in files {
        let file = GeneratedFile {
            path: name.clone(),
            contents: text,
        };
        if file.write_if_changed(&dir.join(&name))? {
            written.push(name);
        }
    }
    Ok(written)
}

/// The definition an object property's values come from: its `$ref`, or its items' `$ref`.
fn value_ref(prop: &Value) -> Option<&str> {
    ref_name(prop).or_else(|| prop.get("items").and_then(ref_name))
}

/// Names the fields and option enums of the object defined as `def` in `doc` (a schema file,
/// or a single definition with the object's properties).
fn pin_object_names(book: &mut NameBook, api: &str, doc: &Value, def: &str) -> Result<()> {
    let defs = doc.get("$defs").and_then(Value::as_object);
    let object = defs
        .and_then(|d| d.get(def))
        .ok_or_else(|| err!("{api}: no definition `{def}`"))?;
    let props = object
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    book.fields(api, props.keys().map(String::as_str));
    for (field, prop) in &props {
        let Some(target) = value_ref(prop) else {
            continue;
        };
        let Some(values) = defs
            .and_then(|d| d.get(target))
            .filter(|e| e.get("x-crm-open-enum") == Some(&Value::Bool(true)))
            .and_then(open_enum_values)
        else {
            continue;
        };
        let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        book.options(api, field, &values);
    }
    Ok(())
}

/// Renames every `$ref` to a definition in `renames`.
fn rewrite_refs(v: &mut Value, renames: &BTreeMap<String, String>) {
    if let Some(Value::String(r)) = v.get_mut("$ref")
        && let Some(name) = r.strip_prefix("#/$defs/")
        && let Some(new) = renames.get(name)
    {
        *r = format!("#/$defs/{new}");
    }
    for_each_subschema_mut(v, |_, child| rewrite_refs(child, renames));
}

/// The module of a tenant folder.
pub(crate) fn generate(
    vendor: Vendor,
    generated_by: &str,
    set: &SchemaSet,
    mut bundle: Bundle,
    dir: &Path,
) -> Result<GeneratedFile> {
    let shown = set.display(dir);
    let rt = vendor.crate_path();
    // The open enums' closed enums are written here, with pinned variant names.
    for known in bundle.open_enums.values() {
        bundle.defs.remove(known);
    }
    let objects = bundle.api_names();
    if objects.is_empty() {
        bail!(
            "{shown}: no object definitions (with \"x-crm-api-name\"); pull some with `crm {} … pull --out {shown}`",
            vendor.name()
        );
    }
    let object_defs: BTreeSet<&String> = objects.values().collect();
    let reserved: Vec<String> = bundle
        .defs
        .keys()
        .filter(|d| !object_defs.contains(d) && !bundle.open_enums.contains_key(*d))
        .cloned()
        .collect();
    let mut book = NameBook::load(dir, reserved.clone())?;

    // Names: pinned ones, then new ones for anything not pinned yet.
    let mut enum_names: BTreeMap<String, String> = BTreeMap::new();
    let mut owners: BTreeMap<String, (String, String)> = BTreeMap::new();
    let doc = json!({ "$defs": bundle_defs_json(&bundle) });
    for (api, def) in &objects {
        book.object(api, None)?;
        pin_object_names(&mut book, api, &doc, def)?;
        let props = properties(&bundle.defs[def.as_str()]);
        for (field, prop) in &props {
            if let Some(target) = value_ref(prop).filter(|t| bundle.open_enums.contains_key(*t))
                && let Some(e) = book.objects.get(api).and_then(|o| o.options.get(field))
            {
                enum_names
                    .entry(target.to_owned())
                    .or_insert_with(|| e.type_name.clone());
                owners
                    .entry(target.to_owned())
                    .or_insert_with(|| (api.clone(), field.clone()));
            }
        }
    }
    book.validate()
        .map_err(|e| e.context(format!("{shown}/{NAMES_FILE}")))?;

    // typify sees every definition under its Rust name.
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for (api, def) in &objects {
        renames.insert(def.clone(), book.objects[api.as_str()].type_name.clone());
    }
    for e in bundle.open_enums.keys() {
        let name = match enum_names.get(e) {
            Some(n) => n.clone(),
            None => crate::names::pascal_case(e),
        };
        renames.insert(e.clone(), name);
    }
    let mut seen = BTreeSet::new();
    for name in bundle.defs.keys().map(|d| renames.get(d).unwrap_or(d)) {
        if !is_type_name(name) {
            bail!("{shown}: definition name `{name}` is not a Rust type name typify keeps");
        }
        if !seen.insert(name.clone()) {
            bail!("{shown}: two definitions are both named `{name}` in Rust");
        }
    }
    let mut defs = BTreeMap::new();
    for (name, def) in &bundle.defs {
        let mut schema = def.schema.clone();
        rewrite_refs(&mut schema, &renames);
        defs.insert(
            renames.get(name).unwrap_or(name).clone(),
            Def {
                file: def.file.clone(),
                schema,
            },
        );
    }
    let open_enums: BTreeMap<String, String> = bundle
        .open_enums
        .keys()
        .map(|e| (renames[e].clone(), renames[e].clone()))
        .collect();
    let renamed = Bundle {
        defs,
        runtime: bundle.runtime.clone(),
        open_enums: open_enums.clone(),
        operations: Vec::new(),
        auth_flows: Vec::new(),
    };
    let mut file = run_typify(&shown, &renamed, &replacements(&renamed, rt, &open_enums))?;

    for (api, def) in &objects {
        let names = &book.objects[api.as_str()];
        let props = properties(&bundle.defs[def.as_str()]);
        let wanted: BTreeMap<String, String> = props
            .keys()
            .filter_map(|f| Some((f.clone(), names.fields.get(f)?.clone())))
            .collect();
        let missing = rename_fields(&mut file, &names.type_name, &wanted);
        if !missing.is_empty() {
            bail!(
                "{shown}: typify generated no field for {} of {api}",
                missing.join(", ")
            );
        }
    }
    let runtime_path = |name: &str| -> Result<syn::Path> {
        syn::parse_str(&format!("{rt}::{name}")).map_err(|e| err!("bad runtime path {rt}: {e}"))
    };
    lazy_extra_fields(
        &mut file,
        &runtime_path("MapKey")?,
        &runtime_path("ExtraFields")?,
    );

    let mut extra: Vec<TokenStream> = Vec::new();
    for (def, name) in &renames {
        let Some(schema) = bundle
            .open_enums
            .contains_key(def)
            .then(|| &bundle.defs[def.as_str()].schema)
        else {
            continue;
        };
        let pinned = owners
            .get(def)
            .and_then(|(api, field)| book.objects.get(api)?.options.get(field))
            .map(|o| o.variants.clone())
            .unwrap_or_default();
        extra.push(known_enum(name, schema, &pinned)?);
    }
    if vendor == Vendor::Fxiaoke {
        let rt_path: syn::Path = syn::parse_str(rt).map_err(|e| err!("bad path {rt}: {e}"))?;
        for api in objects.keys() {
            let ty = format_ident!("{}", book.objects[api.as_str()].type_name);
            extra.push(quote! {
                impl #rt_path::NamedObject for #ty {
                    const API_NAME: &'static str = #api;
                }
            });
        }
    }
    drop_unused_error_module(&mut file);
    let more: syn::File =
        syn::parse2(quote!(#(#extra)*)).map_err(|e| err!("generated enums do not parse: {e}"))?;
    file.items.extend(more.items);
    allow_on_items(&mut file);
    let body = prettyplease::unparse(&file);
    let dir_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.clone());
    let crate_name = rt.trim_start_matches("::");
    Ok(GeneratedFile {
        path: "tenant.rs".into(),
        contents: format!(
            "// @generated by {generated_by} from the schemas in `{dir_name}`; DO NOT EDIT.\n\
             // Typed objects of a {vendor} tenant: a struct per object (fields not listed are kept in\n\
             // `extra`, as JSON text) and an enum per select field, used as `{crate_name}::OpenEnum<…>`. Needs `{crate_name}`,\n\
             // `serde`, `serde_json` and `schemars` 1.x.\n\n{body}",
            vendor = vendor.name(),
        ),
    })
}

/// typify always writes `pub mod error { ConversionError }` for its `TryFrom` impls; a tenant
/// module has none (no patterns or bounded strings), so the module goes unless something uses
/// it.
fn drop_unused_error_module(file: &mut syn::File) {
    use quote::ToTokens;
    let is_error_mod = |item: &syn::Item| matches!(item, syn::Item::Mod(m) if m.ident == "error");
    let used = file
        .items
        .iter()
        .filter(|i| !is_error_mod(i))
        .any(|i| i.to_token_stream().to_string().contains("ConversionError"));
    if !used {
        file.items.retain(|i| !is_error_mod(i));
    }
}

/// The bundle's definitions as one JSON object (for name pinning).
fn bundle_defs_json(bundle: &Bundle) -> Value {
    Value::Object(
        bundle
            .defs
            .iter()
            .map(|(k, d)| (k.clone(), d.schema.clone()))
            .collect(),
    )
}

fn properties(def: &Def) -> Map<String, Value> {
    def.schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The closed enum of an open enum's listed values, with the pinned variant names, the labels
/// of `x-crm-option-labels`, `value()`, `label()`, `ALL`, `Display` and `FromStr`.
fn known_enum(
    name: &str,
    schema: &Value,
    pinned: &BTreeMap<String, String>,
) -> Result<TokenStream> {
    let values: Vec<String> = open_enum_values(schema)
        .map(|vs| {
            vs.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let labels = schema.get("x-crm-option-labels").and_then(Value::as_object);
    let ident = format_ident!("{name}");
    let description = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let docs = crate::operations::doc_lines(description);
    let mut taken = BTreeSet::new();
    let mut variants = Vec::new();
    let mut value_arms = Vec::new();
    let mut label_arms = Vec::new();
    let mut parse_arms = Vec::new();
    let mut all = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let vname = match pinned.get(value) {
            Some(v) => v.clone(),
            None => format!("Option{}", i + 1),
        };
        if !taken.insert(vname.clone()) {
            bail!("enum {name}: variant name `{vname}` is used twice");
        }
        let v = format_ident!("{vname}");
        let label = labels
            .and_then(|l| l.get(value))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let doc = if label.is_empty() {
            format!(" `{value}`")
        } else {
            format!(" {label} (`{value}`)")
        };
        variants.push(quote! {
            #[doc = #doc]
            #[serde(rename = #value)]
            #v,
        });
        value_arms.push(quote!(Self::#v => #value,));
        label_arms.push(quote!(Self::#v => #label,));
        parse_arms.push(quote!(#value => ::std::result::Result::Ok(Self::#v),));
        all.push(quote!(Self::#v));
    }
    let not_an_option = format!("not an option of {name}: ");
    Ok(quote! {
        #(#docs)*
        #[derive(::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #ident {
            #(#variants)*
        }
        impl #ident {
            /// Every option the schema lists, in the tenant's order.
            pub const ALL: &'static [Self] = &[#(#all),*];
            /// The option's value: what the vendor sends and expects.
            pub const fn value(self) -> &'static str {
                match self { #(#value_arms)* }
            }
            /// The option's label in the tenant when the schema was pulled.
            pub const fn label(self) -> &'static str {
                match self { #(#label_arms)* }
            }
        }
        impl ::std::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.value())
            }
        }
        impl ::std::str::FromStr for #ident {
            type Err = ::std::string::String;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    #(#parse_arms)*
                    _ => ::std::result::Result::Err(::std::format!("{}{:?}", #not_an_option, s)),
                }
            }
        }
    })
}

/// A property's description: the label first (Chinese kept), then the vendor's name and type
/// and what the value is.
pub(crate) fn field_description(
    label: &str,
    api: &str,
    ty: &str,
    what: &str,
    note: &str,
) -> String {
    let label = label.trim();
    let head = if label.is_empty() { api } else { label };
    let mut text = format!("{head} / `{api}` ({ty}): {what}");
    if !note.trim().is_empty() {
        text.push_str(". ");
        text.push_str(note.trim());
    }
    text
}

/// An open enum definition of option `values` (`(value, label)`, in the tenant's order).
pub(crate) fn open_enum_def(description: String, values: &[(String, String)]) -> Value {
    let mut labels = Map::new();
    let mut listed = Vec::new();
    for (value, label) in values {
        if listed.contains(value) {
            continue;
        }
        listed.push(value.clone());
        labels.insert(value.clone(), Value::String(label.clone()));
    }
    json!({
        "description": description,
        "x-crm-open-enum": true,
        "x-crm-option-labels": labels,
        "anyOf": [{ "enum": listed }, { "type": "string" }],
    })
}

/// A `$ref` to a shared definition in `common.json`.
pub(crate) fn common_ref(name: &str) -> Value {
    json!({ "$ref": format!("{COMMON_FILE}#/$defs/{name}") })
}
