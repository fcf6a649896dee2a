//! The client: configuration, builder, and the executor that the generated operation methods
//! call.

use std::sync::Arc;
use std::time::Duration;

use crm_runtime::operation::Operation;
use crm_runtime::{
    Auth, HttpMethod, HttpRequest, Missing, RateLimit, RateLimits, Redactor, SecretString,
    TokenCache, Transport, TransportConfig, TransportOptions, base_url, env_var, request,
};
use serde_json::{Map, Value};
use url::Url;

use crate::auth::{AuthFlow, Operator, REFRESH_MARGIN, Token};
use crate::error::{VENDOR, check, codes};
use crate::generated::operations::{ALL, AUTH_FLOWS};
use crate::{Error, Result};

/// The production gateway. The document's `open.71360.com` and the per-cloud hosts
/// (`open-hwcloud.fxiaoke.com`, `open-ale.fxiaoke.com`, `open-ksc.sharecrm.com`,
/// `open-hws.fxiaoke.com`, `open-na.sharecrm.com`) work through [`ClientBuilder::base_url`].
pub const DEFAULT_BASE_URL: &str = "https://open.fxiaoke.com";

/// The documented quota: 100 calls per 20 seconds, counted per endpoint.
pub const ENDPOINT_RATE_LIMIT: RateLimit = RateLimit::new(100, Duration::from_secs(20));

/// The token endpoint allows at most 10 calls a minute, in either flow. Three may go at once (a
/// refresh after `20016` must not wait); the rest are paced so no minute ever sees more than 10.
pub const TOKEN_RATE_LIMIT: RateLimit = RateLimit::new(10, Duration::from_secs(60)).with_burst(3);

/// The documented limits: 100 calls / 20 s per endpoint, 10 calls / minute to the token
/// endpoint of each flow (`/cgi/corpAccessToken/get/V2`, `/oauth2.0/token`: the token
/// operations of `operations::AUTH_FLOWS`).
pub fn default_rate_limits() -> RateLimits {
    AUTH_FLOWS
        .iter()
        .filter_map(|flow| ALL.iter().find(|op| op.name == flow.token_operation))
        .fold(
            RateLimits::off().with_per_path(ENDPOINT_RATE_LIMIT),
            |limits, op| limits.with_override(op.path, TOKEN_RATE_LIMIT),
        )
}

/// Operations whose legacy body carries no `currentOpenUserId` (directory calls are flat). In
/// the OAuth2 flow every business call sends `x-fs-userid`, a required header.
const WITHOUT_OPERATOR: &[&str] = &["get_user_by_mobile"];

/// Where Fxiaoke carries secrets, for redaction in logs, errors and recordings.
pub(crate) fn redactor() -> Redactor {
    Redactor::new(
        &[
            "corpAccessToken",
            "appSecret",
            "permanentCode",
            "accessToken",
        ],
        &[],
        &["authorization"],
    )
}

/// Everything the client needs. Secrets are [`SecretString`]s, so `Debug` never shows them.
#[derive(Clone, Debug)]
pub struct Config {
    /// The gateway, default [`DEFAULT_BASE_URL`].
    pub base_url: Url,
    /// `appId` (`FSAID_…`).
    pub app_id: String,
    /// `appSecret`.
    pub app_secret: SecretString,
    /// `permanentCode`: the enterprise's authorization of the app.
    pub permanent_code: SecretString,
    /// The operator whose permissions business calls use: `currentOpenUserId` (legacy) or
    /// `x-fs-userid` (OAuth2). Its id style must match the flow (see [`AuthFlow`]).
    pub operator: Operator,
    /// How the client authenticates (default [`AuthFlow::Legacy`]).
    pub auth_flow: AuthFlow,
    /// OAuth2 flow only: send `"convertUserId": true`, so that the operator and every
    /// employee id in requests and answers are `FSUID_…` open user ids. `false` (the default):
    /// numeric employee ids, the header flow's default. Must be `false` in the legacy flow,
    /// which always uses `FSUID_…` ids.
    pub convert_user_id: bool,
    /// Timeouts, retries, rate limits, recording.
    pub transport: TransportConfig,
}

/// A Fxiaoke CRM client. Cheap to clone; clones share the connection pool, the token cache and
/// the rate limiters.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) transport: Transport,
    pub(crate) tokens: TokenCache<Token>,
    pub(crate) operator_id: tokio::sync::OnceCell<String>,
}

/// Builds a [`Client`]; [`Client::builder`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    app_id: Option<String>,
    app_secret: Option<SecretString>,
    permanent_code: Option<SecretString>,
    operator: Option<Operator>,
    auth_flow: AuthFlow,
    convert_user_id: bool,
    transport: Option<TransportConfig>,
}

impl ClientBuilder {
    /// The gateway (default [`DEFAULT_BASE_URL`]).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// `appId`.
    pub fn app_id(mut self, v: impl Into<String>) -> Self {
        self.app_id = Some(v.into());
        self
    }
    /// `appSecret`.
    pub fn app_secret(mut self, v: impl Into<SecretString>) -> Self {
        self.app_secret = Some(v.into());
        self
    }
    /// `permanentCode`.
    pub fn permanent_code(mut self, v: impl Into<SecretString>) -> Self {
        self.permanent_code = Some(v.into());
        self
    }
    /// How the client authenticates: [`AuthFlow::Legacy`] (the default) or
    /// [`AuthFlow::OAuth2`].
    pub fn auth_flow(mut self, flow: AuthFlow) -> Self {
        self.auth_flow = flow;
        self
    }
    /// The operator as an `FSUID_…` open user id: `currentOpenUserId` in the legacy flow, or
    /// `x-fs-userid` in the OAuth2 flow with [`convert_user_id`](Self::convert_user_id). Choose
    /// a CRM administrator: data permissions follow this user.
    pub fn open_user_id(mut self, v: impl Into<String>) -> Self {
        self.operator = Some(Operator::OpenUserId(v.into()));
        self
    }
    /// The operator as a numeric CRM employee id (`1000`), the OAuth2 flow's `x-fs-userid`.
    pub fn employee_id(mut self, v: impl Into<String>) -> Self {
        self.operator = Some(Operator::EmployeeId(v.into()));
        self
    }
    /// The operator by mobile number, resolved once through `/cgi/user/getByMobile` (legacy
    /// flow only).
    pub fn operator_mobile(mut self, v: impl Into<String>) -> Self {
        self.operator = Some(Operator::Mobile(v.into()));
        self
    }
    /// The operator, in any of its forms.
    pub fn operator(mut self, operator: Operator) -> Self {
        self.operator = Some(operator);
        self
    }
    /// OAuth2 flow only: `true` sends `"convertUserId": true`, so that the operator (and every
    /// employee id of requests and answers) is an `FSUID_…` open user id instead of a numeric
    /// employee id. Default `false`.
    pub fn convert_user_id(mut self, convert: bool) -> Self {
        self.convert_user_id = convert;
        self
    }

    /// Builds the client; a missing credential is an [`Error::MissingCredential`] naming it; an
    /// operator whose id style does not fit the flow (an `FSUID_…` id where the OAuth2 flow
    /// expects a numeric employee id, or the other way round) is an [`Error::Config`] naming both.
    pub fn build(mut self) -> Result<Client> {
        let transport = self.transport_config_mut().clone();
        let mut missing = Missing::new();
        let app_id = missing.take("app_id", self.app_id);
        let app_secret = missing.take("app_secret", self.app_secret);
        let permanent_code = missing.take("permanent_code", self.permanent_code);
        let operator = self.operator.filter(|o| match o {
            Operator::OpenUserId(s) | Operator::EmployeeId(s) | Operator::Mobile(s) => {
                !s.is_empty()
            }
        });
        if operator.is_none() {
            missing.push(match (self.auth_flow, self.convert_user_id) {
                (AuthFlow::OAuth2, false) => "employee_id",
                (AuthFlow::OAuth2, true) => "open_user_id",
                (AuthFlow::Legacy, _) => "open_user_id (or operator_mobile)",
            });
        }
        missing.check(|names| format!("fxiaoke-crm: missing {names}"))?;
        let (Some(app_id), Some(app_secret), Some(permanent_code), Some(operator)) =
            (app_id, app_secret, permanent_code, operator)
        else {
            // Unreachable: `check` has named every absent value.
            return Err(Error::MissingCredential("fxiaoke-crm: missing".into()));
        };
        Client::new(Config {
            base_url: base_url(self.base_url.as_deref(), DEFAULT_BASE_URL)?,
            app_id,
            app_secret,
            permanent_code,
            operator,
            auth_flow: self.auth_flow,
            convert_user_id: self.convert_user_id,
            transport,
        })
    }
}

impl TransportOptions for ClientBuilder {
    fn transport_config_mut(&mut self) -> &mut TransportConfig {
        self.transport
            .get_or_insert_with(|| TransportConfig::new(default_rate_limits()))
    }
}

/// The environment variables [`Client::from_env`] needs in both flows; the operator comes from
/// one more (see there).
pub const ENV_VARS: &[&str] = &[
    "FXIAOKE_APP_ID",
    "FXIAOKE_APP_SECRET",
    "FXIAOKE_PERMANENT_CODE",
];

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from the environment:
    ///
    /// - `FXIAOKE_APP_ID`, `FXIAOKE_APP_SECRET`, `FXIAOKE_PERMANENT_CODE` ([`ENV_VARS`]);
    /// - `FXIAOKE_AUTH`: `legacy` (the default) or `oauth2` ([`AuthFlow`]);
    /// - the operator: `FXIAOKE_OPEN_USER_ID` (`FSUID_…`) or `FXIAOKE_OPERATOR_MOBILE` in the
    ///   legacy flow; `FXIAOKE_EMPLOYEE_ID` (numeric) in the OAuth2 flow, or
    ///   `FXIAOKE_OPEN_USER_ID` with `FXIAOKE_CONVERT_USER_ID=true`;
    /// - optionally `FXIAOKE_BASE_URL`.
    pub fn from_env() -> Result<Client> {
        let var = env_var;
        let flow = match var("FXIAOKE_AUTH") {
            Some(v) => v.parse::<AuthFlow>().map_err(|_| {
                Error::Config(format!("FXIAOKE_AUTH={v:?}: expected legacy or oauth2"))
            })?,
            None => AuthFlow::Legacy,
        };
        let convert = match var("FXIAOKE_CONVERT_USER_ID") {
            Some(v) => parse_bool(&v).ok_or_else(|| {
                Error::Config(format!(
                    "FXIAOKE_CONVERT_USER_ID={v:?}: expected true or false"
                ))
            })?,
            None => false,
        };
        let (open, mobile, employee) = (
            var("FXIAOKE_OPEN_USER_ID"),
            var("FXIAOKE_OPERATOR_MOBILE"),
            var("FXIAOKE_EMPLOYEE_ID"),
        );
        let operator = match (flow, convert) {
            (AuthFlow::OAuth2, false) => employee
                .map(Operator::EmployeeId)
                .or(open.map(Operator::OpenUserId))
                .or(mobile.map(Operator::Mobile)),
            _ => open
                .map(Operator::OpenUserId)
                .or(mobile.map(Operator::Mobile))
                .or(employee.map(Operator::EmployeeId)),
        };
        let mut missing = Missing::env(ENV_VARS);
        if operator.is_none() {
            missing.push(match (flow, convert) {
                (AuthFlow::OAuth2, false) => "FXIAOKE_EMPLOYEE_ID",
                (AuthFlow::OAuth2, true) => "FXIAOKE_OPEN_USER_ID",
                (AuthFlow::Legacy, _) => "FXIAOKE_OPEN_USER_ID (or FXIAOKE_OPERATOR_MOBILE)",
            });
        }
        missing.check(|names| format!("set {names}"))?;
        let mut b = Client::builder()
            .app_id(var("FXIAOKE_APP_ID").unwrap_or_default())
            .app_secret(var("FXIAOKE_APP_SECRET").unwrap_or_default())
            .permanent_code(var("FXIAOKE_PERMANENT_CODE").unwrap_or_default())
            .auth_flow(flow)
            .convert_user_id(convert);
        if let Some(operator) = operator {
            b = b.operator(operator);
        }
        if let Some(url) = var("FXIAOKE_BASE_URL") {
            b = b.base_url(url);
        }
        b.build()
    }

    /// A client from a complete configuration; checks that the operator fits the flow.
    pub fn new(config: Config) -> Result<Client> {
        config.validate()?;
        let transport = Transport::new(VENDOR, config.transport.clone(), redactor())?;
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                transport,
                tokens: TokenCache::new(REFRESH_MARGIN),
                operator_id: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// How many tokens this client has fetched (for monitoring and tests).
    pub fn token_fetches(&self) -> u64 {
        self.inner.tokens.fetch_count()
    }

    /// How many HTTP requests this client (and its clones, which share one connection pool)
    /// has sent to the vendor: every attempt counts, token requests and retries included.
    /// The difference over a piece of work is the number of vendor calls it made, e.g. the
    /// `vendor_calls` of a sync run.
    pub fn requests_sent(&self) -> u64 {
        self.inner.transport.requests_sent()
    }

    /// Runs one operation: attaches the credentials of the configured flow (legacy:
    /// `corpAccessToken`, `corpId` and `currentOpenUserId` in the body; OAuth2: the
    /// `authorization`, `x-fs-ea` and `x-fs-userid` headers), picks the custom-object path for
    /// API names ending in `__c`, sends with retries, checks `errorCode` and decodes the typed
    /// result. On `20016` (token expired) the token is replaced and the call repeated once.
    pub(crate) async fn execute<O: Operation>(&self, input: &O::Input) -> Result<O::Output> {
        self.execute_with::<O, O::Output>(input, decode_checked::<O::Output>)
            .await
    }

    /// [`Client::execute`] with a given way of turning the body into the output.
    pub(crate) async fn execute_with<O: Operation, R>(
        &self,
        input: &O::Input,
        decode: impl Decode<R>,
    ) -> Result<R> {
        let spec = O::SPEC;
        if spec.auth == Auth::None {
            let body = request::to_object(spec.name, input)?;
            return self
                .send::<O, R>(spec.path, body, Vec::new(), &decode)
                .await;
        }
        let flow = self.inner.config.auth_flow;
        if !spec.accepts_flow(flow.as_str()) {
            return Err(Error::Config(format!(
                "{}: not available in the {flow} auth flow (schemas/fxiaoke/operations.json: {})",
                spec.name,
                spec.auth_flows.join(", ")
            )));
        }
        let operator = if flow == AuthFlow::Legacy && WITHOUT_OPERATOR.contains(&spec.name) {
            None
        } else {
            Some(self.operator_open_user_id().await?)
        };
        self.call_with_token::<O, R>(input, operator.as_deref(), &decode)
            .await
    }

    /// Sends an authenticated operation, replacing a rejected token once.
    pub(crate) async fn call_with_token<O: Operation, R>(
        &self,
        input: &O::Input,
        operator: Option<&str>,
        decode: &impl Decode<R>,
    ) -> Result<R> {
        let spec = O::SPEC;
        let fields = request::to_object(spec.name, input)?;
        let path = match spec.alt_path {
            Some(alt) if is_custom_object(&fields) => alt,
            _ => spec.path,
        };
        let mut token_retry_left = true;
        loop {
            let issued = self.inner.tokens.get(|| self.fetch_token()).await?;
            let (body, headers) = self.attach(&issued.token, operator, &fields)?;
            let result = self
                .send::<O, R>(path, body, headers, decode)
                .await
                .map_err(|e| {
                    let config = &self.inner.config;
                    e.redact_values(&[
                        config.app_secret.expose_secret(),
                        config.permanent_code.expose_secret(),
                        issued.token.secret().expose_secret(),
                    ])
                });
            match result {
                Err(Error::Api(api)) if api.code == codes::TOKEN_EXPIRED.to_string() => {
                    if !token_retry_left || !issued.may_be_replaced() {
                        return Err(crm_runtime::refused_young_token(
                            api,
                            issued.issued_at.elapsed(),
                        ));
                    }
                    tracing::info!(flow = %self.inner.config.auth_flow, "token rejected (20016); fetching a new one");
                    self.inner.tokens.invalidate(issued.generation).await;
                    token_retry_left = false;
                }
                result => return result,
            }
        }
    }

    /// The body and headers of an authenticated call: the token's flow decides where the
    /// credentials go, as `operations::AUTH_FLOWS` declares (legacy: body keys, OAuth2:
    /// headers), and the body never carries the other flow's keys.
    fn attach(
        &self,
        token: &Token,
        operator: Option<&str>,
        fields: &Map<String, Value>,
    ) -> Result<(Map<String, Value>, Headers)> {
        let config = &self.inner.config;
        let mut body = Map::with_capacity(fields.len() + 3);
        let mut headers = Vec::new();
        match token {
            Token::Legacy(t) => {
                body.insert(
                    "corpAccessToken".into(),
                    t.access_token.expose_secret().into(),
                );
                body.insert("corpId".into(), t.corp_id.clone().into());
                if let Some(op) = operator {
                    body.insert("currentOpenUserId".into(), op.into());
                }
            }
            Token::OAuth2(t) => {
                let operator = operator.ok_or_else(|| {
                    Error::Config("the oauth2 flow needs an operator (x-fs-userid)".into())
                })?;
                headers.push((
                    "authorization".to_owned(),
                    format!("Bearer {}", t.access_token.expose_secret()),
                ));
                headers.push(("x-fs-ea".to_owned(), t.ea.clone()));
                headers.push(("x-fs-userid".to_owned(), operator.to_owned()));
                if config.convert_user_id {
                    body.insert("convertUserId".into(), Value::Bool(true));
                }
            }
        }
        body.extend(fields.clone());
        Ok((body, headers))
    }

    /// Sends a body (and headers) to `path` with retries, and decodes the result.
    pub(crate) async fn send<O: Operation, R>(
        &self,
        path: &str,
        body: Map<String, Value>,
        headers: Headers,
        decode: &impl Decode<R>,
    ) -> Result<R> {
        let spec = O::SPEC;
        let url = request::join_url(spec.name, &self.inner.config.base_url, path)?;
        let body = serde_json::to_vec(&body).map_err(|e| Error::Encode {
            operation: spec.name.to_owned(),
            message: e.to_string(),
        })?;
        let http = HttpRequest {
            operation: spec.name,
            method: HttpMethod::Post,
            url,
            headers,
            body: Some(body),
        };
        let transport = &self.inner.transport;
        transport
            .retry(&spec, || async {
                let response = transport.send(&http).await?;
                decode(transport, spec.name, &response.body)
            })
            .await
    }
}

/// Request headers: name, value.
pub(crate) type Headers = Vec<(String, String)>;

/// Turns a response body into an operation's output, or the vendor's error.
pub(crate) trait Decode<T>: Fn(&Transport, &'static str, &[u8]) -> Result<T> + Sync {}

impl<T, F: Fn(&Transport, &'static str, &[u8]) -> Result<T> + Sync> Decode<T> for F {}

/// The general way: read `errorCode` first, then decode the output (two passes, but any output
/// type works, and an error body never has to fit the output type).
pub(crate) fn decode_checked<T: serde::de::DeserializeOwned>(
    transport: &Transport,
    operation: &'static str,
    body: &[u8],
) -> Result<T> {
    check(transport, operation, body)?;
    transport.decode::<T>(operation, body)
}

/// Whether the request is about a custom object (API name ending in `__c`), which lives under
/// `/cgi/crm/custom/v2/`.
fn is_custom_object(fields: &Map<String, Value>) -> bool {
    let name = fields
        .get("data")
        .and_then(|d| {
            d.get("dataObjectApiName").or_else(|| {
                d.get("object_data")
                    .and_then(|o| o.get("dataObjectApiName"))
            })
        })
        .and_then(Value::as_str);
    name.is_some_and(|n| n.ends_with("__c"))
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`), in any case.
fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}
