//! Vendor scalars and typify: the definitions that become runtime types instead of generated
//! ones (`x-crm-runtime` scalars, `x-crm-open-enum` enums), typify's settings, and running
//! typify 0.6.2 so that a construct it cannot handle is one clear error, never a panic.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use serde_json::Value;

use crate::bundle::Bundle;
use crate::error::{Result, bail, err};
use crate::names::pascal_case;
use crate::postprocess::optional_arrays_as_options;
use crate::schema::strip_extensions;

/// What each runtime definition becomes: definition name → Rust path. `runtime` is the path
/// the runtime types are reached by (`::crm_runtime`, or a vendor crate's re-exports such as
/// `::fxiaoke_crm`); `known` names the closed enum of each open enum (definition name →
/// Rust name; by default `<Name>Known`).
pub(crate) fn replacements(
    bundle: &Bundle,
    runtime: &str,
    known: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, rt) in &bundle.runtime {
        out.insert(name.clone(), format!("{runtime}::{rt}"));
    }
    for (name, default_known) in &bundle.open_enums {
        let known = known.get(name).unwrap_or(default_known);
        out.insert(name.clone(), format!("{runtime}::OpenEnum<{known}>"));
    }
    out
}

/// typify's settings: no builders, `PartialEq` and `schemars::JsonSchema` (1.x) derived,
/// `BTreeMap` for typed maps (deterministic order), the replacements, and `Default` for every
/// all-optional record with a catch-all map.
fn typify_settings(
    bundle: &Bundle,
    replacements: &BTreeMap<String, String>,
) -> typify::TypeSpaceSettings {
    let mut settings = typify::TypeSpaceSettings::default();
    settings
        .with_struct_builder(false)
        .with_derive("PartialEq".to_owned())
        .with_derive("::schemars::JsonSchema".to_owned())
        .with_map_type("::std::collections::BTreeMap");
    for (name, path) in replacements {
        settings.with_replacement(name.as_str(), path.as_str(), std::iter::empty());
    }
    // typify writes no `Default` for a struct with a flattened catch-all map, even when every
    // property is optional; records need it for `..Default::default()`.
    for (name, def) in &bundle.defs {
        if is_optional_record(&def.schema) {
            let mut patch = typify::TypeSpacePatch::default();
            patch.with_derive("Default");
            settings.with_patch(pascal_case(name), &patch);
        }
    }
    settings
}

/// An object with properties, all optional, and a catch-all map.
pub(crate) fn is_optional_record(schema: &Value) -> bool {
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
    has_properties && catch_all && all_optional
}

/// Runs typify over every definition of `bundle` (`what` names the schemas in messages).
pub(crate) fn run_typify(
    what: &str,
    bundle: &Bundle,
    replacements: &BTreeMap<String, String>,
) -> Result<syn::File> {
    let mut definitions = serde_json::Map::new();
    for (name, def) in &bundle.defs {
        let mut schema = def.schema.clone();
        strip_extensions(&mut schema);
        optional_arrays_as_options(&mut schema);
        definitions.insert(name.clone(), schema);
    }
    let root: schemars08::schema::RootSchema =
        serde_json::from_value(serde_json::json!({ "definitions": definitions }))
            .map_err(|e| err!("bundled schema is not a valid JSON Schema for schemars 0.8: {e}"))?;
    let settings = typify_settings(bundle, replacements);

    // typify panics on constructs it does not handle; turn that into one clear line.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(move || -> Result<TokenStream> {
        let mut space = typify::TypeSpace::new(&settings);
        space.add_root_schema(root).map_err(|e| err!("{e}"))?;
        Ok(space.to_stream())
    });
    std::panic::set_hook(previous_hook);
    let tokens = match result {
        Ok(r) => r.map_err(|e| e.context(format!("typify rejected {what}")))?,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".into());
            bail!("typify 0.6.2 cannot handle a construct in {what}: {msg}");
        }
    };
    syn::parse2(tokens).map_err(|e| err!("typify output does not parse: {e}"))
}
