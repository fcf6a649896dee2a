//! `cargo xtask codegen [--check]`: schemas/ → crates/<vendor>/src/generated/.
//!
//! Per vendor: load `schemas/common/*.json` and `schemas/<vendor>/*.json`, check and bundle
//! every `$defs` entry into one document (typify cannot follow cross-file `$ref`s), map the
//! `x-crm-runtime` scalars and `x-crm-open-enum` enums onto `crm_runtime` types, generate the
//! types with typify, the operation descriptors and client methods from `operations.json`, and a
//! type registry used by the fixture tests and `cargo xtask drift`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};
use serde_json::Value;

/// A vendor: its schema folder and the crate its code goes to.
pub struct Vendor {
    /// Folder under `schemas/`.
    pub schema_dir: &'static str,
    /// Crate folder under `crates/`.
    pub crate_dir: &'static str,
}

/// The three vendors.
pub const VENDORS: &[Vendor] = &[
    Vendor {
        schema_dir: "fxiaoke",
        crate_dir: "fxiaoke-crm",
    },
    Vendor {
        schema_dir: "useasy",
        crate_dir: "openapi-crm",
    },
    Vendor {
        schema_dir: "u8",
        crate_dir: "u8-contacts",
    },
];

/// Keywords typify 0.6.2 cannot turn into working code (see shared/TYPIFY.md §3–4). They are
/// allowed only inside `x-crm-runtime` and `x-crm-open-enum` definitions, which are not
/// generated.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "anyOf",
        "typify 0.6.2 generates broken code for anyOf (typify #895); use a common scalar (schemas/README.md §4), an x-crm-open-enum, or oneOf",
    ),
    (
        "allOf",
        "typify merges allOf unreliably; repeat the properties instead",
    ),
    ("if", "typify panics on if/then/else"),
    ("then", "typify panics on if/then/else"),
    ("else", "typify panics on if/then/else"),
    ("not", "typify cannot generate a useful type for not"),
];

/// One definition with where it came from.
#[derive(Clone)]
pub struct Def {
    /// The file it is defined in, relative to the repository root.
    pub file: PathBuf,
    /// The schema.
    pub schema: Value,
}

/// All definitions of one vendor, bundled.
pub struct Bundle {
    /// Definitions by name (refs rewritten to `#/$defs/Name`).
    pub defs: BTreeMap<String, Def>,
    /// `x-crm-runtime` replacements: def name → Rust path.
    pub replacements: BTreeMap<String, String>,
    /// `operations.json`.
    pub operations: Vec<Operation>,
}

/// One entry of `operations.json`.
#[derive(Clone, Debug)]
pub struct Operation {
    /// snake_case name.
    pub name: String,
    /// `GET` / `POST`.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Alternative path template.
    pub alt_path: Option<String>,
    /// Input type name.
    pub input: String,
    /// Output type name.
    pub output: String,
    /// `none` / `default`.
    pub auth: String,
    /// Paging style.
    pub paging: String,
    /// `read` / `write`.
    pub effect: String,
    /// Whether it may be retried.
    pub retry_safe: bool,
    /// Documentation.
    pub doc: String,
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

fn read_json(root: &Path, path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", rel(root, path)))?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{}:{}:{}: not valid JSON: {e}",
            rel(root, path),
            e.line(),
            e.column()
        )
    })
}

fn schema_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".json") && name != "operations.json" {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Escapes a JSON pointer token.
fn ptr_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Loads and bundles one vendor's schemas, reporting the first problem with file and pointer.
pub fn load_bundle(root: &Path, vendor: &Vendor) -> Result<Bundle> {
    let schemas = root.join("schemas");
    let mut files = schema_files(&schemas.join("common"))?;
    files.extend(schema_files(&schemas.join(vendor.schema_dir))?);

    // First pass: every file's definitions, for resolving refs.
    let mut docs: BTreeMap<PathBuf, Value> = BTreeMap::new();
    for f in &files {
        let canonical = f.canonicalize()?;
        docs.insert(canonical, read_json(root, f)?);
    }

    let mut defs: BTreeMap<String, Def> = BTreeMap::new();
    for f in &files {
        let canonical = f.canonicalize()?;
        let doc = &docs[&canonical];
        let Some(file_defs) = doc.get("$defs").and_then(Value::as_object) else {
            bail!("{}: no top-level \"$defs\" object", rel(root, f));
        };
        for (name, schema) in file_defs {
            let mut schema = schema.clone();
            let pointer = format!("/$defs/{}", ptr_token(name));
            let marked =
                schema.get("x-crm-runtime").is_some() || schema.get("x-crm-open-enum").is_some();
            check_and_rewrite(root, f, &docs, &pointer, &mut schema, marked)?;
            if let Some(prev) = defs.get(name) {
                bail!(
                    "{}: {pointer}: duplicate definition name `{name}`, also defined in {} (names must be unique across schemas/common and schemas/{})",
                    rel(root, f),
                    rel(root, &prev.file),
                    vendor.schema_dir
                );
            }
            defs.insert(
                name.clone(),
                Def {
                    file: f.strip_prefix(root).unwrap_or(f).to_path_buf(),
                    schema,
                },
            );
        }
    }

    // Runtime scalars and open enums become replacements.
    let mut replacements = BTreeMap::new();
    let mut synthesized = Vec::new();
    for (name, def) in &defs {
        let pointer = format!("/$defs/{}", ptr_token(name));
        if let Some(rt) = def.schema.get("x-crm-runtime") {
            let rt = rt.as_str().ok_or_else(|| {
                anyhow!(
                    "{}: {pointer}/x-crm-runtime: must be a string (a crm_runtime type name)",
                    def.file.display()
                )
            })?;
            replacements.insert(name.clone(), format!("::crm_runtime::{rt}"));
        } else if def.schema.get("x-crm-open-enum") == Some(&Value::Bool(true)) {
            let values = def
                .schema
                .pointer("/anyOf/0/enum")
                .and_then(Value::as_array)
                .filter(|vs| !vs.is_empty() && vs.iter().all(Value::is_string))
                .ok_or_else(|| {
                    anyhow!(
                        "{}: {pointer}: an x-crm-open-enum needs \"anyOf\": [{{\"enum\": [strings…]}}, {{\"type\": \"string\"}}]",
                        def.file.display()
                    )
                })?;
            let known = format!("{name}Known");
            let description = def
                .schema
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            synthesized.push((
                known.clone(),
                Def {
                    file: def.file.clone(),
                    schema: serde_json::json!({
                        "description": format!("The values of `{name}` that the schema lists. {description}"),
                        "type": "string",
                        "enum": values,
                    }),
                },
            ));
            replacements.insert(name.clone(), format!("::crm_runtime::OpenEnum<{known}>"));
        }
    }
    for (name, def) in synthesized {
        if let Some(prev) = defs.get(&name) {
            bail!(
                "{}: definition `{name}` clashes with the enum generated for an x-crm-open-enum in {}",
                prev.file.display(),
                def.file.display()
            );
        }
        defs.insert(name, def);
    }

    let operations = load_operations(root, vendor, &defs)?;
    Ok(Bundle {
        defs,
        replacements,
        operations,
    })
}

/// Checks one definition for constructs typify cannot handle and rewrites its `$ref`s to
/// bundle-local ones, verifying that each target exists.
fn check_and_rewrite(
    root: &Path,
    file: &Path,
    docs: &BTreeMap<PathBuf, Value>,
    pointer: &str,
    value: &mut Value,
    marked: bool,
) -> Result<()> {
    match value {
        Value::Object(map) => {
            if !marked {
                for (kw, why) in UNSUPPORTED {
                    if map.contains_key(*kw) {
                        bail!(
                            "{}: {pointer}/{kw}: unsupported construct: {why}",
                            rel(root, file)
                        );
                    }
                }
            }
            if let Some(r) = map.get("$ref") {
                let r = r.as_str().ok_or_else(|| {
                    anyhow!("{}: {pointer}/$ref: must be a string", rel(root, file))
                })?;
                let (target_file, fragment) = match r.split_once('#') {
                    Some((f, frag)) => (f, frag),
                    None => (r, ""),
                };
                let target_path = if target_file.is_empty() {
                    file.to_path_buf()
                } else {
                    file.parent().unwrap_or(root).join(target_file)
                };
                let canonical = target_path.canonicalize().map_err(|_| {
                    anyhow!(
                        "{}: {pointer}/$ref: `{r}` points to a missing file {}",
                        rel(root, file),
                        rel(root, &target_path)
                    )
                })?;
                let doc = docs.get(&canonical).ok_or_else(|| {
                    anyhow!(
                        "{}: {pointer}/$ref: `{r}` points outside this vendor's schemas and schemas/common",
                        rel(root, file)
                    )
                })?;
                let name = fragment
                    .strip_prefix("/$defs/")
                    .filter(|n| !n.contains('/'))
                    .ok_or_else(|| {
                        anyhow!(
                            "{}: {pointer}/$ref: `{r}` must point to a definition (`…#/$defs/Name`)",
                            rel(root, file)
                        )
                    })?;
                if doc
                    .pointer(&format!("/$defs/{}", ptr_token(name)))
                    .is_none()
                {
                    bail!(
                        "{}: {pointer}/$ref: `{r}`: {} has no definition `{name}`",
                        rel(root, file),
                        rel(root, &target_path)
                    );
                }
                map.insert("$ref".into(), Value::String(format!("#/$defs/{name}")));
            }
            for (k, v) in map.iter_mut() {
                if k == "$ref"
                    || k.starts_with("x-")
                    || k == "examples"
                    || k == "enum"
                    || k == "const"
                {
                    continue;
                }
                check_and_rewrite(
                    root,
                    file,
                    docs,
                    &format!("{pointer}/{}", ptr_token(k)),
                    v,
                    marked,
                )?;
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                check_and_rewrite(root, file, docs, &format!("{pointer}/{i}"), v, marked)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn load_operations(
    root: &Path,
    vendor: &Vendor,
    defs: &BTreeMap<String, Def>,
) -> Result<Vec<Operation>> {
    let path = root
        .join("schemas")
        .join(vendor.schema_dir)
        .join("operations.json");
    let file = rel(root, &path);
    let doc = read_json(root, &path)?;
    let list = doc
        .get("operations")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("{file}: expected {{\"operations\": [ … ]}}"))?;
    let mut ops = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, op) in list.iter().enumerate() {
        let at = format!("{file}: /operations/{i}");
        let s = |key: &str| -> Result<String> {
            op.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("{at}/{key}: missing or not a string"))
        };
        let name = s("name")?;
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            bail!("{at}/name: `{name}` must be snake_case");
        }
        if !seen.insert(name.clone()) {
            bail!("{at}/name: duplicate operation `{name}`");
        }
        let method = s("method")?;
        if method != "GET" && method != "POST" {
            bail!("{at}/method: `{method}` must be GET or POST");
        }
        let (input, output) = (s("input")?, s("output")?);
        for (key, ty) in [("input", &input), ("output", &output)] {
            if !defs.contains_key(ty) {
                bail!(
                    "{at}/{key}: no definition `{ty}` in schemas/{} or schemas/common",
                    vendor.schema_dir
                );
            }
        }
        let auth = s("auth")?;
        if auth != "none" && auth != "default" {
            bail!("{at}/auth: `{auth}` must be none or default");
        }
        let paging = s("paging")?;
        if !["none", "offset-limit", "page-limit", "page-index"].contains(&paging.as_str()) {
            bail!("{at}/paging: `{paging}` must be none, offset-limit, page-limit or page-index");
        }
        let effect = s("effect")?;
        if effect != "read" && effect != "write" {
            bail!("{at}/effect: `{effect}` must be read or write");
        }
        let retry_safe = op
            .get("retrySafe")
            .and_then(Value::as_bool)
            .ok_or_else(|| anyhow!("{at}/retrySafe: missing or not a boolean"))?;
        let alt_path = match op.get("altPath") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) => Some(p.clone()),
            Some(_) => bail!("{at}/altPath: must be a string"),
        };
        ops.push(Operation {
            name,
            method,
            path: s("path")?,
            alt_path,
            input,
            output,
            auth,
            paging,
            effect,
            retry_safe,
            doc: s("doc")?,
        });
    }
    Ok(ops)
}

fn typify_settings(bundle: &Bundle) -> typify::TypeSpaceSettings {
    let mut settings = typify::TypeSpaceSettings::default();
    settings
        .with_struct_builder(false)
        .with_derive("PartialEq".to_owned())
        .with_derive("::schemars::JsonSchema".to_owned())
        .with_map_type("::std::collections::BTreeMap");
    for (name, path) in &bundle.replacements {
        settings.with_replacement(name.as_str(), path.as_str(), std::iter::empty());
    }
    // typify writes no `Default` for a struct with a flattened catch-all map, even when every
    // property is optional; records need it for `..Default::default()`.
    for (name, def) in &bundle.defs {
        let schema = &def.schema;
        let has_properties = schema
            .get("properties")
            .is_some_and(|p| p.as_object().is_some_and(|m| !m.is_empty()));
        let catch_all = schema
            .get("additionalProperties")
            .is_some_and(Value::is_object);
        let all_optional = schema
            .get("required")
            .and_then(Value::as_array)
            .is_none_or(|r| r.is_empty());
        if has_properties && catch_all && all_optional {
            let mut patch = typify::TypeSpacePatch::default();
            patch.with_derive("Default");
            settings.with_patch(pascal_case(name), &patch);
        }
    }
    settings
}

/// Generated files of one vendor: path relative to the repo root → contents.
pub fn generate(root: &Path, vendor: &Vendor) -> Result<BTreeMap<PathBuf, String>> {
    let bundle = load_bundle(root, vendor)?;
    let header = format!(
        "// @generated by cargo xtask codegen from schemas/{}; DO NOT EDIT.\n",
        vendor.schema_dir
    );
    let out_dir = PathBuf::from("crates")
        .join(vendor.crate_dir)
        .join("src/generated");
    let mut files = BTreeMap::new();

    let types = generate_types(vendor, &bundle)?;
    files.insert(
        out_dir.join("types.rs"),
        format!(
            "{header}//! Types generated from the JSON Schemas in `schemas/{}` and `schemas/common`.\n\
             #![allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, irrefutable_let_patterns)]\n\n{types}",
            vendor.schema_dir
        ),
    );
    files.insert(
        out_dir.join("operations.rs"),
        format!("{header}{}", unparse(generate_operations(vendor, &bundle))?),
    );
    files.insert(
        out_dir.join("registry.rs"),
        format!("{header}{}", unparse(generate_registry(vendor, &bundle))?),
    );
    files.insert(
        out_dir.join("mod.rs"),
        format!(
            "{header}//! Code generated from `schemas/{0}`: types, operation descriptors and client\n\
             //! methods, and a registry of every schema type. Regenerate with `cargo xtask codegen`.\n\n\
             pub mod operations;\npub mod registry;\npub mod types;\n",
            vendor.schema_dir
        ),
    );
    Ok(files)
}

fn unparse(tokens: TokenStream) -> Result<String> {
    let file: syn::File = syn::parse2(tokens).context("generated code does not parse")?;
    Ok(prettyplease::unparse(&file))
}

fn generate_types(vendor: &Vendor, bundle: &Bundle) -> Result<String> {
    let mut definitions = serde_json::Map::new();
    for (name, def) in &bundle.defs {
        let mut schema = def.schema.clone();
        strip_extensions(&mut schema);
        optional_arrays_as_options(&mut schema);
        definitions.insert(name.clone(), schema);
    }
    let root: schemars08::schema::RootSchema =
        serde_json::from_value(serde_json::json!({ "definitions": definitions }))
            .context("bundled schema is not a valid JSON Schema for schemars 0.8")?;
    let settings = typify_settings(bundle);

    // typify panics on constructs it does not handle; turn that into one clear line.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(move || -> Result<TokenStream> {
        let mut space = typify::TypeSpace::new(&settings);
        space.add_root_schema(root).map_err(|e| anyhow!("{e}"))?;
        Ok(space.to_stream())
    });
    std::panic::set_hook(previous_hook);
    let tokens = match result {
        Ok(r) => r.with_context(|| format!("typify rejected schemas/{}", vendor.schema_dir))?,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".into());
            bail!(
                "typify 0.6.2 cannot handle a construct in schemas/{}: {msg}",
                vendor.schema_dir
            );
        }
    };
    let mut file: syn::File = syn::parse2(tokens).context("typify output does not parse")?;
    single_pass_deserialize(&mut file);
    Ok(prettyplease::unparse(&file))
}

/// serde derives `#[serde(flatten)]` by buffering every unrecognised key as `Content` and
/// deserializing the catch-all map from that buffer afterwards, which roughly halves the decode
/// speed of records with custom fields (shared/TYPIFY.md §7). For each all-optional struct with
/// a flattened `serde_json::Map` (every record; they derive `Default`), this replaces the derived
/// `Deserialize` with one pass over the map: a known key (borrowed from the input, not
/// allocated) goes straight into its field, any other key straight into `extra`. Field names,
/// wire names and types all come from typify's output, so the schema stays the source.
fn single_pass_deserialize(file: &mut syn::File) {
    let mut impls = Vec::new();
    for item in &mut file.items {
        let syn::Item::Struct(st) = item else {
            continue;
        };
        let syn::Fields::Named(fields) = &st.fields else {
            continue;
        };
        let derives_default = st.attrs.iter().any(|a| {
            a.path().is_ident("derive") && a.to_token_stream().to_string().contains("Default")
        });
        let mut known = Vec::new();
        let mut extra = None;
        let mut supported = derives_default;
        for field in &fields.named {
            let Some(ident) = &field.ident else { continue };
            let serde = field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("serde"))
                .map(|a| a.to_token_stream().to_string())
                .collect::<Vec<_>>()
                .join(" ");
            if serde.contains("flatten") {
                let ty = field.ty.to_token_stream().to_string();
                supported &= ty.contains("serde_json :: Map") && extra.is_none();
                extra = Some(ident.clone());
                continue;
            }
            // A field without `default`, or with a default function, needs serde's own logic.
            if !serde.contains("default") || serde.contains("default =") {
                supported = false;
            }
            let wire = serde
                .split("rename = \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
                .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
            known.push((ident.clone(), wire));
        }
        let Some(extra) = extra.filter(|_| supported) else {
            continue;
        };
        // Drop the derived Deserialize.
        for attr in &mut st.attrs {
            if !attr.path().is_ident("derive") {
                continue;
            }
            if let Ok(list) = attr.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            ) {
                let kept: Vec<&syn::Path> = list
                    .iter()
                    .filter(|p| p.segments.last().is_none_or(|s| s.ident != "Deserialize"))
                    .collect();
                *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
            }
        }
        let name = &st.ident;
        let expecting = format!("struct {name}");
        let arms = known
            .iter()
            .map(|(ident, wire)| quote!(#wire => out.#ident = map.next_value()?,));
        impls.push(syn::parse_quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    struct Visitor;
                    impl<'de> ::serde::de::Visitor<'de> for Visitor {
                        type Value = #name;
                        fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                            f.write_str(#expecting)
                        }
                        fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<#name, A::Error> {
                            let mut out = #name::default();
                            while let ::std::option::Option::Some(key) = map.next_key::<::crm_runtime::decode::MapKey<'de>>()? {
                                match key.0.as_ref() {
                                    #(#arms)*
                                    _ => {
                                        let value: ::serde_json::Value = map.next_value()?;
                                        out.#extra.insert(key.0.into_owned(), value);
                                    }
                                }
                            }
                            ::std::result::Result::Ok(out)
                        }
                    }
                    deserializer.deserialize_map(Visitor)
                }
            }
        });
    }
    file.items.extend(impls.into_iter().map(syn::Item::Impl));
}

/// typify turns an optional array into `Vec<T>` with `skip_serializing_if = "Vec::is_empty"`,
/// which would drop `"attachment": []` on re-encode, and on an update `[]` (clear) and absent
/// (leave unchanged) mean different things. Declaring such properties nullable makes typify emit
/// `Option<Vec<T>>`, which keeps the two apart. Only typify's input changes; validation still
/// uses the hand-written schema.
fn optional_arrays_as_options(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for (name, prop) in props.iter_mut() {
                    if required.contains(name) {
                        continue;
                    }
                    if let Some(ty) = prop.get_mut("type").filter(|t| *t == "array") {
                        *ty = serde_json::json!(["array", "null"]);
                    }
                }
            }
            for (k, v) in map.iter_mut() {
                if k != "enum" && k != "const" && k != "examples" && k != "default" {
                    optional_arrays_as_options(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(optional_arrays_as_options),
        _ => {}
    }
}

/// Drops `x-*` keys and `$schema`/`$id` so typify sees plain JSON Schema.
fn strip_extensions(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !k.starts_with("x-") && k != "$schema" && k != "$id");
            for (k, v) in map.iter_mut() {
                if k != "enum" && k != "const" && k != "examples" && k != "default" {
                    strip_extensions(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_extensions),
        _ => {}
    }
}

/// The Rust name typify gives a definition.
fn rust_type_name(bundle: &Bundle, def_name: &str) -> TokenStream {
    if let Some(path) = bundle.replacements.get(def_name) {
        let path: syn::Type = syn::parse_str(path).unwrap_or_else(|_| syn::parse_quote!(()));
        return quote!(#path);
    }
    let ident = format_ident!("{}", pascal_case(def_name));
    quote!(super::types::#ident)
}

/// typify's PascalCase conversion (heck's rules: word boundaries at case changes, `_`, `-`).
fn pascal_case(s: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == ' ' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            Some(p) if c.is_uppercase() && p.is_lowercase() => true,
            Some(p)
                if c.is_uppercase() && p.is_uppercase() && next.is_some_and(char::is_lowercase) =>
            {
                true
            }
            _ => false,
        };
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
        .iter()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(cs.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect()
}

fn doc_lines(doc: &str) -> Vec<TokenStream> {
    doc.lines()
        .map(|l| {
            let l = format!(" {l}");
            quote!(#[doc = #l])
        })
        .collect()
}

fn generate_operations(vendor: &Vendor, bundle: &Bundle) -> TokenStream {
    let mut markers = Vec::new();
    let mut methods = Vec::new();
    let mut specs = Vec::new();
    for op in &bundle.operations {
        let marker = format_ident!("{}", pascal_case(&op.name));
        let method_ident = format_ident!("{}", op.name);
        let name = &op.name;
        let path = &op.path;
        let alt = match &op.alt_path {
            Some(p) => quote!(Some(#p)),
            None => quote!(None),
        };
        let method = if op.method == "GET" {
            quote!(Get)
        } else {
            quote!(Post)
        };
        let auth = if op.auth == "none" {
            quote!(None)
        } else {
            quote!(Default)
        };
        let paging = match op.paging.as_str() {
            "offset-limit" => quote!(OffsetLimit),
            "page-limit" => quote!(PageLimit),
            "page-index" => quote!(PageIndex),
            _ => quote!(None),
        };
        let retry = op.retry_safe;
        let effect = if op.effect == "read" {
            quote!(Read)
        } else {
            quote!(Write)
        };
        let (input_name, output_name) = (&op.input, &op.output);
        let input = rust_type_name(bundle, &op.input);
        let output = rust_type_name(bundle, &op.output);
        let mut doc = op.doc.clone();
        let _ = write!(
            doc,
            "\n\n`{} {}`{}; input `{}`, output `{}`; {}.",
            op.method,
            op.path,
            op.alt_path
                .as_deref()
                .map(|p| format!(" (or `{p}`)"))
                .unwrap_or_default(),
            op.input,
            op.output,
            if op.retry_safe {
                "retried on transient failures"
            } else {
                "not retried once sent (not safe to repeat)"
            }
        );
        let docs = doc_lines(&doc);
        let marker_doc = format!(" Marker for the `{name}` operation.");
        markers.push(quote! {
            #[doc = #marker_doc]
            #[derive(Clone, Copy, Debug, Default)]
            pub struct #marker;
            impl ::crm_runtime::operation::Operation for #marker {
                type Input = #input;
                type Output = #output;
                const SPEC: ::crm_runtime::OperationSpec = ::crm_runtime::OperationSpec {
                    name: #name,
                    method: ::crm_runtime::HttpMethod::#method,
                    path: #path,
                    alt_path: #alt,
                    auth: ::crm_runtime::Auth::#auth,
                    paging: ::crm_runtime::Paging::#paging,
                    effect: ::crm_runtime::Effect::#effect,
                    retry_safe: #retry,
                    input_type: #input_name,
                    output_type: #output_name,
                };
            }
        });
        specs.push(quote!(<#marker as ::crm_runtime::operation::Operation>::SPEC));
        methods.push(quote! {
            #(#docs)*
            pub async fn #method_ident(&self, input: &#input) -> ::std::result::Result<#output, crate::Error> {
                self.execute::<#marker>(input).await
            }
        });
    }

    let named: Vec<TokenStream> = bundle
        .defs
        .iter()
        .filter_map(|(def_name, def)| {
            let api = def.schema.get("x-crm-api-name")?.as_str()?;
            let ty = format_ident!("{}", pascal_case(def_name));
            Some(quote! {
                impl ::crm_runtime::NamedObject for super::types::#ty {
                    const API_NAME: &'static str = #api;
                }
            })
        })
        .collect();

    let module_doc = format!(
        " Operations of `schemas/{}/operations.json`: one marker type and one client method each.",
        vendor.schema_dir
    );
    quote! {
        #![doc = #module_doc]
        #![allow(clippy::all, clippy::pedantic)]

        /// Every operation's descriptor, in the order of `operations.json`.
        pub const ALL: &[::crm_runtime::OperationSpec] = &[#(#specs),*];

        #(#markers)*

        impl crate::Client {
            #(#methods)*
        }

        #(#named)*
    }
}

fn generate_registry(vendor: &Vendor, bundle: &Bundle) -> TokenStream {
    let mut names = Vec::new();
    let mut decode_arms = Vec::new();
    let mut schema_arms = Vec::new();
    for def_name in bundle.defs.keys() {
        if bundle.replacements.contains_key(def_name) {
            continue;
        }
        let ty = format_ident!("{}", pascal_case(def_name));
        names.push(def_name.clone());
        decode_arms.push(quote!(#def_name => ::crm_runtime::registry::decode_roundtrip::<super::types::#ty>(json)));
        schema_arms.push(quote!(#def_name => ::schemars::schema_for!(super::types::#ty)));
    }
    let module_doc = format!(
        " Every generated type of `schemas/{}` by its schema name: decode, re-encode, derive a schema.",
        vendor.schema_dir
    );
    quote! {
        #![doc = #module_doc]
        #![allow(clippy::all, clippy::pedantic)]

        /// The schema names of every generated type.
        pub const TYPE_NAMES: &[&str] = &[#(#names),*];

        /// Decodes `json` into the type named `type_name`, returning its `Debug` rendering and its
        /// re-encoding; `None` if no type has that name.
        pub fn decode_roundtrip(
            type_name: &str,
            json: &str,
        ) -> ::std::option::Option<::std::result::Result<::crm_runtime::registry::Decoded, ::crm_runtime::DecodeError>> {
            Some(match type_name {
                #(#decode_arms,)*
                _ => return None,
            })
        }

        /// The JSON Schema that `schemars` derives from the generated type named `type_name`.
        pub fn derived_schema(type_name: &str) -> ::std::option::Option<::schemars::Schema> {
            Some(match type_name {
                #(#schema_arms,)*
                _ => return None,
            })
        }
    }
}

/// Writes (or, with `check`, compares) every generated file. Returns the stale files.
pub fn run(root: &Path, check: bool) -> Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for vendor in VENDORS {
        let files = generate(root, vendor)?;
        let dir = root
            .join("crates")
            .join(vendor.crate_dir)
            .join("src/generated");
        // Files in generated/ that codegen no longer writes are stale too.
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let p = e
                    .path()
                    .strip_prefix(root)
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                if !files.contains_key(&p) {
                    stale.push(p.clone());
                    if !check {
                        std::fs::remove_file(e.path())?;
                    }
                }
            }
        }
        for (path, contents) in files {
            let full = root.join(&path);
            let current = std::fs::read_to_string(&full).ok();
            if current.as_deref().map(|c| c.replace("\r\n", "\n")) == Some(contents.clone()) {
                continue;
            }
            stale.push(path.clone());
            if !check {
                std::fs::create_dir_all(full.parent().unwrap_or(root))?;
                std::fs::write(&full, contents)?;
            }
        }
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch copy of `schemas/` (and the generated files) to break on purpose.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Self {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let dir = std::env::temp_dir().join(format!("codegen-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            for sub in ["common", "fxiaoke", "useasy", "u8"] {
                let from = root.join("schemas").join(sub);
                let to = dir.join("schemas").join(sub);
                std::fs::create_dir_all(&to).unwrap();
                for e in std::fs::read_dir(from).unwrap() {
                    let p = e.unwrap().path();
                    std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
                }
            }
            for v in VENDORS {
                let from = root.join("crates").join(v.crate_dir).join("src/generated");
                let to = dir.join("crates").join(v.crate_dir).join("src/generated");
                std::fs::create_dir_all(&to).unwrap();
                for e in std::fs::read_dir(from).unwrap() {
                    let p = e.unwrap().path();
                    std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
                }
            }
            Self(dir)
        }

        fn edit(&self, file: &str, f: impl FnOnce(&mut Value)) {
            let path = self.0.join("schemas").join(file);
            let mut doc: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            f(&mut doc);
            std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        }

        fn error(&self) -> String {
            format!("{:#}", run(&self.0, true).unwrap_err())
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_committed_code_is_current_and_generation_is_deterministic() {
        let scratch = Scratch::new("same");
        assert!(
            run(&scratch.0, true).unwrap().is_empty(),
            "run `cargo xtask codegen`"
        );
        let a = generate(&scratch.0, &VENDORS[0]).unwrap();
        let b = generate(&scratch.0, &VENDORS[0]).unwrap();
        assert_eq!(a, b);
        assert!(
            a.values()
                .all(|text| text.starts_with("// @generated by cargo xtask codegen from schemas/"))
        );
    }

    #[test]
    fn removing_a_field_makes_the_check_fail() {
        let scratch = Scratch::new("removed");
        scratch.edit("u8/contacts.json", |d| {
            d["$defs"]["Contact"]["properties"]
                .as_object_mut()
                .unwrap()
                .remove("native");
        });
        let stale = run(&scratch.0, true).unwrap();
        assert_eq!(
            stale,
            [PathBuf::from("crates/u8-contacts/src/generated/types.rs")]
        );
    }

    #[test]
    fn a_missing_ref_target_names_file_and_pointer() {
        let scratch = Scratch::new("ref");
        scratch.edit("u8/contacts.json", |d| {
            d["$defs"]["Contact"]["properties"]["x"] =
                serde_json::json!({"$ref": "../common/scalars.json#/$defs/Nope"});
        });
        let e = scratch.error();
        assert!(
            e.contains("schemas/u8/contacts.json: /$defs/Contact/properties/x/$ref")
                && e.contains("no definition `Nope`"),
            "{e}"
        );
    }

    #[test]
    fn a_duplicate_definition_names_both_files() {
        let scratch = Scratch::new("dup");
        scratch.edit("u8/contacts.json", |d| {
            d["$defs"]["LenientDecimal"] =
                serde_json::json!({"type": "string", "description": "again"});
        });
        let e = scratch.error();
        assert!(
            e.contains("duplicate definition name `LenientDecimal`")
                && e.contains("schemas/common/scalars.json"),
            "{e}"
        );
    }

    #[test]
    fn an_unsupported_construct_names_file_and_pointer() {
        let scratch = Scratch::new("anyof");
        scratch.edit("useasy/customer.json", |d| {
            d["$defs"]["Customer"]["properties"]["owner"] =
                serde_json::json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        });
        let e = scratch.error();
        assert!(e.contains("schemas/useasy/customer.json: /$defs/Customer/properties/owner/anyOf: unsupported construct"), "{e}");
    }

    #[test]
    fn an_operation_with_an_unknown_type_is_rejected() {
        let scratch = Scratch::new("op");
        scratch.edit("fxiaoke/operations.json", |d| {
            d["operations"][0]["output"] = "NoSuchResult".into();
        });
        let e = scratch.error();
        assert!(e.contains("schemas/fxiaoke/operations.json: /operations/0/output: no definition `NoSuchResult`"), "{e}");
    }

    #[test]
    fn pascal() {
        assert_eq!(pascal_case("create_data"), "CreateData");
        assert_eq!(pascal_case("CustomerFieldVO"), "CustomerFieldVo");
        assert_eq!(pascal_case("PaymentObj"), "PaymentObj");
        assert_eq!(pascal_case("LifeStatusKnown"), "LifeStatusKnown");
    }
}
