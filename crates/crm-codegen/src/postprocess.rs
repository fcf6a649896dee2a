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

/// How a known field of a record gets its value when its key is absent.
enum Missing {
    /// `#[serde(default)]`, or an `Option` (serde reads an absent `Option` as `None`).
    Default,
    /// `#[serde(default = "path")]`.
    Function(syn::ExprPath),
    /// Required: absent is an error.
    Error,
}

/// A known field as the record's `Deserialize` reads it.
struct KnownField {
    ident: syn::Ident,
    wire: String,
    missing: Missing,
}

/// Reads a field's `#[serde(...)]` attributes: `None` when one is not understood here (then the
/// record keeps serde's derived `Deserialize`).
fn known_field(field: &syn::Field) -> Option<KnownField> {
    let ident = field.ident.clone()?;
    let mut wire = ident.to_string().trim_start_matches("r#").to_owned();
    let mut missing = None;
    let mut understood = true;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                wire = meta.value()?.parse::<syn::LitStr>()?.value();
            } else if meta.path.is_ident("default") {
                missing = Some(if meta.input.peek(syn::Token![=]) {
                    Missing::Function(meta.value()?.parse::<syn::LitStr>()?.parse()?)
                } else {
                    Missing::Default
                });
            } else if meta.path.is_ident("skip_serializing_if") {
                meta.value()?.parse::<syn::LitStr>()?;
            } else {
                understood = false;
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                }
            }
            Ok(())
        });
        understood &= parsed.is_ok();
    }
    let is_option = matches!(&field.ty, syn::Type::Path(p)
        if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Option"));
    let missing = missing.unwrap_or(if is_option {
        Missing::Default
    } else {
        Missing::Error
    });
    understood.then_some(KnownField {
        ident,
        wire,
        missing,
    })
}

/// Whether `ty` is typify's catch-all map, `::serde_json::Map<String, Value>`.
fn is_json_map(ty: &syn::Type) -> bool {
    let text = ty.to_token_stream().to_string();
    text.contains("serde_json :: Map") && text.contains("serde_json :: Value")
}

/// The catch-all of records. typify flattens a `serde_json::Map` into every object that may
/// carry custom fields; for each such struct this
///
/// - changes the map to `extra_fields` (the runtime's `ExtraFields`), which keeps each unknown
///   field's JSON text, parses it only when read and writes it back unchanged: building a
///   `Value` for every custom field on every decode was most of a page's decode time;
/// - replaces the derived `Deserialize` with one pass over the map. serde derives
///   `#[serde(flatten)]` by buffering every unrecognised key as `Content` and deserializing the
///   catch-all from that buffer afterwards, which costs time and loses the raw text (`1.50`
///   would come back as `1.5`). Here a known key (borrowed from the input, not allocated) goes
///   straight into its field and any other key's text straight into `extra`.
///
/// Field names, wire names, defaults and types all come from typify's output; a struct with a
/// `serde` attribute this does not understand keeps its derived `Deserialize` (which still
/// works, through the buffer). `map_key` is the path of the runtime's borrowed-key type.
pub(crate) fn lazy_extra_fields(
    file: &mut syn::File,
    map_key: &syn::Path,
    extra_fields: &syn::Path,
) {
    let mut impls = Vec::new();
    for item in &mut file.items {
        let syn::Item::Struct(st) = item else {
            continue;
        };
        let struct_serde = st.attrs.iter().any(|a| a.path().is_ident("serde"));
        let syn::Fields::Named(fields) = &mut st.fields else {
            continue;
        };
        let flattened: Vec<usize> = fields
            .named
            .iter()
            .enumerate()
            .filter(|(_, f)| serde_attrs(f).contains("flatten"))
            .map(|(i, _)| i)
            .collect();
        let [index] = flattened[..] else {
            continue;
        };
        let Some(field) = fields.named.iter_mut().nth(index) else {
            continue;
        };
        if !is_json_map(&field.ty) {
            continue;
        }
        field.ty = syn::parse_quote!(#extra_fields);
        let Some(extra) = field.ident.clone() else {
            continue;
        };
        let known: Option<Vec<KnownField>> = fields
            .named
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .map(|(_, f)| known_field(f))
            .collect();
        let Some(known) = known.filter(|_| !struct_serde) else {
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
        let local = |f: &KnownField| {
            quote::format_ident!("field_{}", f.ident.to_string().trim_start_matches("r#"))
        };
        let declare = known.iter().map(|f| {
            let local = local(f);
            quote!(let mut #local = ::std::option::Option::None;)
        });
        let arms = known.iter().map(|f| {
            let (local, wire) = (local(f), &f.wire);
            quote!(#wire => #local = ::std::option::Option::Some(map.next_value()?),)
        });
        let finish = known.iter().map(|f| {
            let (ident, local, wire) = (&f.ident, local(f), &f.wire);
            let value = match &f.missing {
                Missing::Default => quote!(#local.unwrap_or_default()),
                Missing::Function(path) => quote!(#local.unwrap_or_else(#path)),
                Missing::Error => quote!(match #local {
                    ::std::option::Option::Some(value) => value,
                    ::std::option::Option::None => {
                        return ::std::result::Result::Err(
                            <A::Error as ::serde::de::Error>::missing_field(#wire),
                        );
                    }
                }),
            };
            quote!(#ident: #value,)
        });
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
                            #(#declare)*
                            let mut #extra = <#extra_fields>::new();
                            while let ::std::option::Option::Some(key) = map.next_key::<#map_key<'de>>()? {
                                match key.0.as_ref() {
                                    #(#arms)*
                                    _ => map.next_value_seed(#extra.capture(&key.0))?,
                                }
                            }
                            ::std::result::Result::Ok(#name {
                                #(#finish)*
                                #extra,
                            })
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
