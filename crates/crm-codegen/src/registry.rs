//! The type registry of a vendor crate: every generated type by its schema name, to decode,
//! re-encode and derive a schema by name (the fixture tests and `cargo xtask drift` use it).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::bundle::Bundle;
use crate::names::pascal_case;

/// The registry module of a vendor crate.
pub(crate) fn generate(schema_dir: &str, bundle: &Bundle, runtime: &str) -> TokenStream {
    let rt: syn::Path = syn::parse_str(runtime).unwrap_or_else(|_| syn::parse_quote!(crm_runtime));
    let mut names = Vec::new();
    let mut decode_arms = Vec::new();
    let mut schema_arms = Vec::new();
    for def_name in bundle.defs.keys() {
        if !bundle.is_generated(def_name) {
            continue;
        }
        let ty = format_ident!("{}", pascal_case(def_name));
        names.push(def_name.clone());
        decode_arms
            .push(quote!(#def_name => #rt::registry::decode_roundtrip::<super::types::#ty>(json)));
        schema_arms.push(quote!(#def_name => ::schemars::schema_for!(super::types::#ty)));
    }
    let module_doc = format!(
        " Every generated type of `schemas/{schema_dir}` by its schema name: decode, re-encode, derive a schema."
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
        ) -> ::std::option::Option<::std::result::Result<#rt::registry::Decoded, #rt::DecodeError>> {
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
