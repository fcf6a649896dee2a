//! Edits of typify's input and output: optional arrays as `Option<Vec<T>>` (before), records
//! that deserialize in one pass, pinned field names and per-item lint allowances (after). Every
//! edit works on syn's tree, reading names, wire names and types from typify's own output, so
//! the schema stays the only source.

use std::collections::BTreeMap;

use quote::{ToTokens, quote};
use serde_json::Value;

use crate::schema::for_each_subschema_mut;

/// typify turns an optional array into `Vec<T>` with `skip_serializing_if = "Vec::is_empty"`,
/// which would drop `"attachment": []` on re-encode, and on an update `[]` (clear) and absent
/// (leave unchanged) mean different things. Declaring such properties nullable makes typify emit
/// `Option<Vec<T>>`, which keeps the two apart. Only typify's input changes; validation still
/// uses the hand-written schema.
pub(crate) fn optional_arrays_as_options(v: &mut Value) {
    if let Value::Object(map) = v {
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
    }
    for_each_subschema_mut(v, |_, child| optional_arrays_as_options(child));
}

/// The text of a field's `#[serde(...)]` attributes, joined.
fn serde_attrs(field: &syn::Field) -> String {
    field
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .map(|a| a.to_token_stream().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The JSON key of a field: its `rename`, else its name.
fn wire_name(field: &syn::Field, serde: &str) -> Option<String> {
    let ident = field.ident.as_ref()?;
    Some(
        serde
            .split("rename = \"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
            .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned()),
    )
}

/// serde derives `#[serde(flatten)]` by buffering every unrecognised key as `Content` and
/// deserializing the catch-all map from that buffer afterwards, which roughly halves the decode
/// speed of records with custom fields. For each all-optional struct with a flattened
/// `serde_json::Map` (every record; they derive `Default`), this replaces the derived
/// `Deserialize` with one pass over the map: a known key (borrowed from the input, not
/// allocated) goes straight into its field, any other key straight into `extra`. Field names,
/// wire names and types all come from typify's output. `map_key` is the path of the runtime's
/// borrowed-key type (`::crm_runtime::decode::MapKey`).
pub(crate) fn single_pass_deserialize(file: &mut syn::File, map_key: &syn::Path) {
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
            let serde = serde_attrs(field);
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
            if let Some(wire) = wire_name(field, &serde) {
                known.push((ident.clone(), wire));
            }
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
                            while let ::std::option::Option::Some(key) = map.next_key::<#map_key<'de>>()? {
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

/// Gives the fields of struct `type_name` their pinned names (`wire name → Rust name`), adding
/// `#[serde(rename = "…")]` where the two now differ. Returns the wire names it did not find.
pub(crate) fn rename_fields(
    file: &mut syn::File,
    type_name: &str,
    names: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut missing: Vec<String> = names.keys().cloned().collect();
    for item in &mut file.items {
        let syn::Item::Struct(st) = item else {
            continue;
        };
        if st.ident != type_name {
            continue;
        }
        let syn::Fields::Named(fields) = &mut st.fields else {
            continue;
        };
        for field in fields.named.iter_mut() {
            let serde = serde_attrs(field);
            if serde.contains("flatten") {
                continue;
            }
            let Some(wire) = wire_name(field, &serde) else {
                continue;
            };
            let Some(pinned) = names.get(&wire) else {
                continue;
            };
            missing.retain(|m| *m != wire);
            let ident = syn::Ident::new(pinned, proc_macro2::Span::call_site());
            if field.ident.as_ref() == Some(&ident) {
                continue;
            }
            if !serde.contains("rename = \"") {
                field
                    .attrs
                    .push(syn::parse_quote!(#[serde(rename = #wire)]));
            }
            field.ident = Some(ident);
        }
    }
    missing
}

/// Puts `#[allow(...)]` on every top-level item, so that the file works as a module file and
/// inside `include!` (where inner attributes are not allowed).
pub(crate) fn allow_on_items(file: &mut syn::File) {
    let allow: syn::Attribute = syn::parse_quote!(#[allow(
        clippy::all,
        clippy::pedantic,
        dead_code,
        missing_docs,
        unused_imports,
        irrefutable_let_patterns,
        non_camel_case_types
    )]);
    for item in &mut file.items {
        let attrs = match item {
            syn::Item::Struct(i) => &mut i.attrs,
            syn::Item::Enum(i) => &mut i.attrs,
            syn::Item::Impl(i) => &mut i.attrs,
            syn::Item::Mod(i) => &mut i.attrs,
            syn::Item::Fn(i) => &mut i.attrs,
            syn::Item::Const(i) => &mut i.attrs,
            syn::Item::Type(i) => &mut i.attrs,
            syn::Item::Use(i) => &mut i.attrs,
            _ => continue,
        };
        attrs.insert(0, allow.clone());
    }
}
