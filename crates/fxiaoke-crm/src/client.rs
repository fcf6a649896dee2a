//! The client: configuration, builder, and the executor that the generated operation methods
//! call.

use std::sync::Arc;
use std::time::Duration;

use crm_runtime::operation::Operation;
use crm_runtime::{
    Auth, HttpMethod, HttpRequest, RateLimit, RateLimits, Redactor, SecretString, TokenCache,
    Transport, TransportConfig, TransportOptions, request,
};
use serde_json::{Map, Value};
use url::Url;

use crate::auth::{CorpToken, Operator, REFRESH_MARGIN};
use crate::error::{VENDOR, check, codes};
use crate::generated::operations::GetCorpAccessToken;
use crate::{Error, Result};

/// The production gateway. The document's `open.71360.com` and the per-cloud hosts
/// (`open-hwcloud.fxiaoke.com`, `open-ale.fxiaoke.com`, `open-ksc.sharecrm.com`,
/// `open-hws.fxiaoke.com`, `open-na.sharecrm.com`) work through [`ClientBuilder::base_url`].
pub const DEFAULT_BASE_URL: &str = "https://open.fxiaoke.com";

/// The documented quota: 100 calls per 20 seconds, counted per endpoint.
pub const ENDPOINT_RATE_LIMIT: RateLimit = RateLimit::new(100, Duration::from_secs(20));

/// The token endpoint allows at most 10 calls a minute. Three may go at once (a refresh after
/// `20016` must not wait); the rest are paced so no minute ever sees more than 10.
pub const TOKEN_RATE_LIMIT: RateLimit = RateLimit::new(10, Duration::from_secs(60)).with_burst(3);

/// The documented limits: 100 calls / 20 s per endpoint, 10 token calls / minute.
pub fn default_rate_limits() -> RateLimits {
    RateLimits {
        per_path: Some(ENDPOINT_RATE_LIMIT),
        global: None,
        overrides: vec![(GetCorpAccessToken::SPEC.path.to_owned(), TOKEN_RATE_LIMIT)],
    }
}

/// Operations whose body carries no `currentOpenUserId` (directory calls are flat).
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
    /// The operator whose permissions business calls use.
    pub operator: Operator,
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
    pub(crate) tokens: TokenCache<CorpToken>,
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
    /// The operator as an `FSUID_…` open user id (`currentOpenUserId`). Choose a CRM
    /// administrator: data permissions follow this user.
    pub fn open_user_id(mut self, v: impl Into<String>) -> Self {
        self.operator = Some(Operator::OpenUserId(v.into()));
        self
    }
    /// The operator by mobile number, resolved once through `/cgi/user/getByMobile`.
    pub fn operator_mobile(mut self, v: impl Into<String>) -> Self {
        self.operator = Some(Operator::Mobile(v.into()));
        self
    }

    /// Builds the client; a missing credential is an [`Error::MissingCredential`] naming it.
    pub fn build(mut self) -> Result<Client> {
        let transport = self.transport_config_mut().clone();
        let mut missing = Vec::new();
        let app_id = self.app_id.filter(|s| !s.is_empty());
        if app_id.is_none() {
            missing.push("app_id");
        }
        let app_secret = self.app_secret.filter(|s| !s.is_empty());
        if app_secret.is_none() {
            missing.push("app_secret");
        }
        let permanent_code = self.permanent_code.filter(|s| !s.is_empty());
        if permanent_code.is_none() {
            missing.push("permanent_code");
        }
        let operator = self.operator.filter(|o| match o {
            Operator::OpenUserId(s) | Operator::Mobile(s) => !s.is_empty(),
        });
        if operator.is_none() {
            missing.push("open_user_id (or operator_mobile)");
        }
        let (Some(app_id), Some(app_secret), Some(permanent_code), Some(operator)) =
            (app_id, app_secret, permanent_code, operator)
        else {
            return Err(Error::MissingCredential(format!(
                "fxiaoke-crm: missing {}",
                missing.join(", ")
            )));
        };
        let base = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let base_url = Url::parse(base)
            .map_err(|e| Error::Config(format!("invalid base URL {base:?}: {e}")))?;
        Client::new(Config {
            base_url,
            app_id,
            app_secret,
            permanent_code,
            operator,
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

/// The environment variables [`Client::from_env`] needs.
pub const ENV_VARS: &[&str] = &[
    "FXIAOKE_APP_ID",
    "FXIAOKE_APP_SECRET",
    "FXIAOKE_PERMANENT_CODE",
    "FXIAOKE_OPEN_USER_ID",
];

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `FXIAOKE_APP_ID`, `FXIAOKE_APP_SECRET`, `FXIAOKE_PERMANENT_CODE`,
    /// `FXIAOKE_OPEN_USER_ID` (or `FXIAOKE_OPERATOR_MOBILE`) and optionally `FXIAOKE_BASE_URL`.
    pub fn from_env() -> Result<Client> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let mobile = var("FXIAOKE_OPERATOR_MOBILE");
        let missing: Vec<&str> = ENV_VARS
            .iter()
            .copied()
            .filter(|k| var(k).is_none() && !(*k == "FXIAOKE_OPEN_USER_ID" && mobile.is_some()))
            .collect();
        if !missing.is_empty() {
            return Err(Error::MissingCredential(format!(
                "set {}",
                missing.join(", ")
            )));
        }
        let mut b = Client::builder()
            .app_id(var("FXIAOKE_APP_ID").unwrap_or_default())
            .app_secret(var("FXIAOKE_APP_SECRET").unwrap_or_default())
            .permanent_code(var("FXIAOKE_PERMANENT_CODE").unwrap_or_default());
        b = match (var("FXIAOKE_OPEN_USER_ID"), mobile) {
            (Some(id), _) => b.open_user_id(id),
            (None, Some(m)) => b.operator_mobile(m),
            (None, None) => b,
        };
        if let Some(url) = var("FXIAOKE_BASE_URL") {
            b = b.base_url(url);
        }
        b.build()
    }

    /// A client from a complete configuration.
    pub fn new(config: Config) -> Result<Client> {
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

    /// Runs one operation: adds `corpAccessToken`, `corpId` and `currentOpenUserId` to the body,
    /// picks the custom-object path for API names ending in `__c`, sends with retries, checks
    /// `errorCode` and decodes the typed result. On `20016` (token expired) the token is
    /// replaced and the call repeated once.
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
            return self.send::<O, R>(spec.path, body, &decode).await;
        }
        let operator = if WITHOUT_OPERATOR.contains(&spec.name) {
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
            let mut body = Map::with_capacity(fields.len() + 3);
            body.insert(
                "corpAccessToken".into(),
                issued.token.access_token.expose_secret().into(),
            );
            body.insert("corpId".into(), issued.token.corp_id.clone().into());
            if let Some(op) = operator {
                body.insert("currentOpenUserId".into(), op.into());
            }
            body.extend(fields.clone());
            let result = self.send::<O, R>(path, body, decode).await.map_err(|e| {
                let config = &self.inner.config;
                e.redact_values(&[
                    config.app_secret.expose_secret(),
                    config.permanent_code.expose_secret(),
                    issued.token.access_token.expose_secret(),
                ])
            });
            match result {
                Err(Error::Api(api)) if api.code == codes::TOKEN_EXPIRED.to_string() => {
                    if !token_retry_left || !issued.may_be_replaced() {
                        return Err(crm_runtime::token::refused_young_token(
                            api,
                            issued.issued_at.elapsed(),
                        ));
                    }
                    tracing::info!("corpAccessToken rejected (20016); fetching a new one");
                    self.inner.tokens.invalidate(issued.generation).await;
                    token_retry_left = false;
                }
                result => return result,
            }
        }
    }

    /// Sends a body to `path` (with retries) and decodes the result.
    pub(crate) async fn send<O: Operation, R>(
        &self,
        path: &str,
        body: Map<String, Value>,
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
            headers: Vec::new(),
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
