//! Operation descriptors: what codegen knows about each endpoint, as data the clients execute.

/// The HTTP method of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`: the input goes into the query string.
    Get,
    /// `POST`: the input goes into a JSON body.
    Post,
}

impl HttpMethod {
    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// How an operation pages through results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Paging {
    /// Not paged.
    None,
    /// `offset` + `limit` (fxiaoke `search_query_info`).
    OffsetLimit,
    /// 1-based `page` + `limit` (useasy).
    PageLimit,
    /// 1-based `page_index` + `rows_per_page` (U8).
    PageIndex,
}

/// How an operation authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Auth {
    /// No vendor authentication (the token call itself).
    None,
    /// The vendor's normal authentication (token fields, signature headers, ...).
    Default,
}

/// Where the credentials of an auth flow travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthCarrier {
    /// Top-level keys of the JSON body (fxiaoke legacy: `corpAccessToken`, `corpId`, ...).
    Body,
    /// HTTP headers (fxiaoke OAuth2: `authorization: Bearer …`, `x-fs-ea`, `x-fs-userid`).
    Header,
}

/// One of a vendor's ways to authenticate, as the top-level `authFlows` of
/// `schemas/<vendor>/operations.json` declares it. A vendor with a single way declares none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AuthFlowSpec {
    /// The flow's name, as operations list it in [`OperationSpec::auth_flows`].
    pub name: &'static str,
    /// The operation that issues this flow's token.
    pub token_operation: &'static str,
    /// Where this flow's credentials travel.
    pub carrier: AuthCarrier,
    /// The schema type name whose properties are those credentials.
    pub credentials_type: &'static str,
}

/// Whether an operation changes anything at the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Only reads: a failed call changed nothing.
    Read,
    /// Changes data: a call that failed after it was sent may have been applied
    /// ([`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown)).
    Write,
}

/// One operation of a vendor API, as declared in `schemas/<vendor>/operations.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OperationSpec {
    /// The snake_case name, also the client method name.
    pub name: &'static str,
    /// The HTTP method.
    pub method: HttpMethod,
    /// Path template; `{field}` segments are filled from the input field of that name.
    pub path: &'static str,
    /// An alternative path template (fxiaoke custom `__c` objects).
    pub alt_path: Option<&'static str>,
    /// How it authenticates.
    pub auth: Auth,
    /// The vendor's auth flows ([`AuthFlowSpec::name`]) this operation works with; empty for a
    /// vendor that declares no flows (its one way of authenticating).
    pub auth_flows: &'static [&'static str],
    /// How it pages.
    pub paging: Paging,
    /// Whether it reads or writes.
    pub effect: Effect,
    /// Whether repeating it cannot change state twice, so that it may be retried.
    pub retry_safe: bool,
    /// The schema type name of the input.
    pub input_type: &'static str,
    /// The schema type name of the output.
    pub output_type: &'static str,
}

impl OperationSpec {
    /// Whether this operation works with the auth flow `flow` (always, for a vendor that
    /// declares no flows).
    pub fn accepts_flow(&self, flow: &str) -> bool {
        self.auth_flows.is_empty() || self.auth_flows.contains(&flow)
    }
}

/// Ties an operation's descriptor to its input and output types. Codegen implements it for one
/// marker type per operation.
pub trait Operation {
    /// What the caller supplies (without the vendor's auth fields).
    type Input: serde::Serialize;
    /// The decoded response.
    type Output: serde::de::DeserializeOwned;
    /// The descriptor.
    const SPEC: OperationSpec;
}
