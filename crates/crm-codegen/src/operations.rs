//! The operation list (`operations.json`): loading and checking it, and emitting one marker
//! type with its `OperationSpec` and one client method per operation.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::bundle::{Bundle, Def};
use crate::error::{Result, bail, err};
use crate::names::pascal_case;

/// One entry of `operations.json` (schemas/README.md §8).
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// The declared auth flows this operation works with (`authFlows`; empty when the vendor
    /// declares none).
    pub auth_flows: Vec<String>,
    /// Paging style.
    pub paging: String,
    /// `read` / `write`.
    pub effect: String,
    /// Whether it may be retried.
    pub retry_safe: bool,
    /// Documentation.
    pub doc: String,
}

/// One auth flow of the top-level `authFlows` of `operations.json` (schemas/README.md §8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthFlow {
    /// The flow's name (`legacy`, `oauth2`).
    pub name: String,
    /// The operation that issues its token (declared with `"auth": "none"`).
    pub token: String,
    /// `body` or `header`: where its credentials travel.
    pub carrier: String,
    /// `$defs` name whose properties are its credentials.
    pub credentials: String,
    /// Documentation.
    pub doc: String,
}

/// Reads the top-level `authFlows` of `doc`, checking every key.
fn load_flows(file: &str, doc: &Value, defs: &BTreeMap<String, Def>) -> Result<Vec<AuthFlow>> {
    let Some(flows) = doc.get("authFlows") else {
        return Ok(Vec::new());
    };
    let flows = flows
        .as_object()
        .ok_or_else(|| err!("{file}: /authFlows: expected an object of flow name → flow"))?;
    let mut out = Vec::new();
    for (name, flow) in flows {
        let at = format!("{file}: /authFlows/{name}");
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            bail!("{at}: a flow name is lowercase letters and digits");
        }
        let s = |key: &str| -> Result<String> {
            flow.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| err!("{at}/{key}: missing or not a string"))
        };
        let carrier = s("in")?;
        if carrier != "body" && carrier != "header" {
            bail!("{at}/in: `{carrier}` must be body or header");
        }
        let credentials = s("credentials")?;
        if !defs.contains_key(&credentials) {
            bail!("{at}/credentials: no definition `{credentials}` in the schema folders");
        }
        out.push(AuthFlow {
            name: name.clone(),
            token: s("token")?,
            carrier,
            credentials,
            doc: s("doc")?,
        });
    }
    Ok(out)
}

/// Reads the operations of `doc` (the file shown as `file`) and its auth flows, checking every
/// key, that the input and output types are among `defs`, that every operation names declared
/// flows, and that each flow's token operation exists, needs no auth and belongs to the flow.
pub(crate) fn load(
    file: &str,
    doc: &Value,
    defs: &BTreeMap<String, Def>,
) -> Result<(Vec<Operation>, Vec<AuthFlow>)> {
    let flows = load_flows(file, doc, defs)?;
    let list = doc
        .get("operations")
        .and_then(Value::as_array)
        .ok_or_else(|| err!("{file}: expected {{\"operations\": [ … ]}}"))?;
    let mut ops = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, op) in list.iter().enumerate() {
        let at = format!("{file}: /operations/{i}");
        let s = |key: &str| -> Result<String> {
            op.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| err!("{at}/{key}: missing or not a string"))
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
                bail!("{at}/{key}: no definition `{ty}` in the schema folders");
            }
        }
        let auth = s("auth")?;
        if auth != "none" && auth != "default" {
            bail!("{at}/auth: `{auth}` must be none or default");
        }
        let auth_flows: Vec<String> = match op.get("authFlows") {
            None if flows.is_empty() => Vec::new(),
            None => bail!(
                "{at}/authFlows: missing: /authFlows declares flows, so every operation lists those it works with"
            ),
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| err!("{at}/authFlows: expected a list of flow names"))?,
            Some(_) => bail!("{at}/authFlows: expected a non-empty list of flow names"),
        };
        if let Some(unknown) = auth_flows
            .iter()
            .find(|f| !flows.iter().any(|d| &d.name == *f))
        {
            bail!("{at}/authFlows: `{unknown}` is not declared in /authFlows");
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
            .ok_or_else(|| err!("{at}/retrySafe: missing or not a boolean"))?;
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
            auth_flows,
            paging,
            effect,
            retry_safe,
            doc: s("doc")?,
        });
    }
    for flow in &flows {
        let at = format!("{file}: /authFlows/{}/token", flow.name);
        let Some(token) = ops.iter().find(|o| o.name == flow.token) else {
            bail!("{at}: no operation `{}`", flow.token);
        };
        if token.auth != "none" || token.auth_flows != [flow.name.clone()] {
            bail!(
                "{at}: the token operation `{}` must have \"auth\": \"none\" and \"authFlows\": [\"{}\"]",
                flow.token,
                flow.name
            );
        }
    }
    Ok((ops, flows))
}

/// The Rust type of definition `def_name` as the operations module names it: a runtime type,
/// or `super::types::Name`.
fn rust_type_name(bundle: &Bundle, runtime: &str, def_name: &str) -> TokenStream {
    let replaced = match (
        bundle.runtime.get(def_name),
        bundle.open_enums.get(def_name),
    ) {
        (Some(rt), _) => Some(format!("{runtime}::{rt}")),
        (None, Some(known)) => Some(format!("{runtime}::OpenEnum<{known}>")),
        (None, None) => None,
    };
    if let Some(path) = replaced {
        let path: syn::Type = syn::parse_str(&path).unwrap_or_else(|_| syn::parse_quote!(()));
        return quote!(#path);
    }
    let ident = format_ident!("{}", pascal_case(def_name));
    quote!(super::types::#ident)
}

/// `///` lines.
pub(crate) fn doc_lines(doc: &str) -> Vec<TokenStream> {
    doc.lines()
        .map(|l| {
            let l = format!(" {l}");
            quote!(#[doc = #l])
        })
        .collect()
}

/// The operations module of a vendor crate: `ALL`, one marker type implementing
/// `crm_runtime::operation::Operation` per operation, one `crate::Client` method each (none for
/// the token exchanges, sent without auth), and a `NamedObject` impl for every definition with
/// `x-crm-api-name`.
pub(crate) fn generate(schema_dir: &str, bundle: &Bundle, runtime: &str) -> TokenStream {
    let rt: syn::Path = syn::parse_str(runtime).unwrap_or_else(|_| syn::parse_quote!(crm_runtime));
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
        let auth_flows = &op.auth_flows;
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
        let input = rust_type_name(bundle, runtime, &op.input);
        let output = rust_type_name(bundle, runtime, &op.output);
        let mut doc = op.doc.clone();
        let _ = write!(
            doc,
            "\n\n`{} {}`{}; input `{}`, output `{}`; {}{}.",
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
            },
            match op.auth_flows.as_slice() {
                [] => String::new(),
                [one] => format!("; auth flow `{one}` only"),
                many => format!(
                    "; auth flows {}",
                    many.iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        );
        let docs = doc_lines(&doc);
        let marker_doc = format!(" Marker for the `{name}` operation.");
        markers.push(quote! {
            #[doc = #marker_doc]
            #[derive(Clone, Copy, Debug, Default)]
            pub struct #marker;
            impl #rt::operation::Operation for #marker {
                type Input = #input;
                type Output = #output;
                const SPEC: #rt::OperationSpec = #rt::OperationSpec {
                    name: #name,
                    method: #rt::HttpMethod::#method,
                    path: #path,
                    alt_path: #alt,
                    auth: #rt::Auth::#auth,
                    auth_flows: &[#(#auth_flows),*],
                    paging: #rt::Paging::#paging,
                    effect: #rt::Effect::#effect,
                    retry_safe: #retry,
                    input_type: #input_name,
                    output_type: #output_name,
                };
            }
        });
        specs.push(quote!(<#marker as #rt::operation::Operation>::SPEC));
        // An operation sent without the client's auth is the credential exchange itself: its
        // answer is the secret token, and the token cache (single flight, the endpoint's own
        // limit, redaction) is its only caller, so it gets no public method.
        if op.auth == "none" {
            continue;
        }
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
                impl #rt::NamedObject for super::types::#ty {
                    const API_NAME: &'static str = #api;
                }
            })
        })
        .collect();

    let flows: Vec<TokenStream> = bundle
        .auth_flows
        .iter()
        .map(|f| {
            let (name, token, credentials) = (&f.name, &f.token, &f.credentials);
            let carrier = if f.carrier == "header" {
                quote!(Header)
            } else {
                quote!(Body)
            };
            quote! {
                #rt::AuthFlowSpec {
                    name: #name,
                    token_operation: #token,
                    carrier: #rt::AuthCarrier::#carrier,
                    credentials_type: #credentials,
                }
            }
        })
        .collect();

    let mut flows_doc = String::from(
        "The auth flows `operations.json` declares (`authFlows`), in name order; empty when the\nvendor has one way of authenticating.",
    );
    for f in &bundle.auth_flows {
        let _ = write!(
            flows_doc,
            "\n- `{}` (token: `{}`): {}",
            f.name, f.token, f.doc
        );
    }
    let flows_doc = doc_lines(&flows_doc);

    let module_doc = format!(
        " Operations of `schemas/{schema_dir}/operations.json`: one marker type and one client method each."
    );
    quote! {
        #![doc = #module_doc]
        #![allow(clippy::all, clippy::pedantic)]

        /// Every operation's descriptor, in the order of `operations.json`.
        pub const ALL: &[#rt::OperationSpec] = &[#(#specs),*];

        #(#flows_doc)*
        pub const AUTH_FLOWS: &[#rt::AuthFlowSpec] = &[#(#flows),*];

        #(#markers)*

        impl crate::Client {
            #(#methods)*
        }

        #(#named)*
    }
}
