//! The client: configuration, builder, and the executor that the generated operation methods
//! call.

use std::sync::Arc;
use std::time::Duration;

use crm_runtime::operation::Operation;
use crm_runtime::{
    HttpMethod, HttpRequest, Missing, RateLimit, RateLimits, Redactor, SecretString, Transport,
    TransportConfig, TransportOptions, base_url, env_var, request,
};
use url::Url;

use crate::auth::{self, NonceGuard};
use crate::error::{self, VENDOR, check};
use crate::fields::FieldConfigCache;
use crate::{Error, Result};

/// The production server (docs/vendors.md §2.2). The document's examples use the test server
/// `http://47.99.32.215:8081`.
pub const DEFAULT_BASE_URL: &str = "https://openapi.useasy.cn";

/// "openAPI接口频次均为10次/秒": every openAPI call together, at most 10 per second
/// (docs/vendors.md §2.2). The client-side limiter keeps strictly within it.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit::new(10, Duration::from_secs(1));

/// The content type the vendor asks for on every request.
pub const CONTENT_TYPE: &str = "application/json;charset=utf-8";

/// Where useasy carries secrets, for redaction in logs, errors and recordings: the
/// `signature` header (and the same names in any JSON body or query, defensively).
pub(crate) fn redactor() -> Redactor {
    Redactor::new(
        &["signature", "secret", "secretkey"],
        &["signature", "secret"],
        &[auth::HEADER_SIGNATURE],
    )
}

/// Everything the client needs. The secret is a [`SecretString`], so `Debug` never shows it.
#[derive(Clone, Debug)]
pub struct Config {
    /// The server, default [`DEFAULT_BASE_URL`].
    pub base_url: Url,
    /// 账户编号: the account number (`appid` header), shown in the personal settings.
    pub appid: String,
    /// The account secret (secretkey, from the 开户单 / 鉴权信息 section of the account form).
    pub secret: SecretString,
    /// Timeouts, retries, rate limits, recording.
    pub transport: TransportConfig,
}

/// A useasy customer API client. Cheap to clone; clones share the connection pool, rate
/// limiter, nonce guard and field-configuration cache.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) transport: Transport,
    pub(crate) nonces: NonceGuard,
    pub(crate) field_configs: FieldConfigCache,
    /// Find-by-id works with the heading's form (`GET /openapi/crm/{id}`), learnt from the
    /// server; see [`Client::customer`].
    pub(crate) find_by_heading_form: std::sync::atomic::AtomicBool,
}

/// Builds a [`Client`]; [`Client::builder`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    appid: Option<String>,
    secret: Option<SecretString>,
    transport: Option<TransportConfig>,
}

impl ClientBuilder {
    /// The server (default [`DEFAULT_BASE_URL`]); e.g. the embedded mock's URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// The account number (the vendor's `appid`; `USEASY_APPID`).
    pub fn app_id(mut self, v: impl Into<String>) -> Self {
        self.appid = Some(v.into());
        self
    }
    /// The account secret (the HMAC key; `USEASY_SECRET`).
    pub fn app_secret(mut self, v: impl Into<SecretString>) -> Self {
        self.secret = Some(v.into());
        self
    }

    /// Builds the client; a missing credential is an [`Error::MissingCredential`] naming it.
    pub fn build(mut self) -> Result<Client> {
        let transport = self.transport_config_mut().clone();
        let mut missing = Missing::new();
        let appid = missing.take("app_id", self.appid);
        let secret = missing.take("app_secret", self.secret);
        missing.check(|names| format!("openapi-crm: missing {names}"))?;
        Client::new(Config {
            base_url: base_url(self.base_url.as_deref(), DEFAULT_BASE_URL)?,
            appid: appid.unwrap_or_default(),
            secret: secret.unwrap_or_default(),
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

fn default_rate_limits() -> RateLimits {
    RateLimits::off().with_global(DEFAULT_RATE_LIMIT)
}

/// The environment variables [`Client::from_env`] requires (`USEASY_BASE_URL` is optional).
pub const ENV_VARS: &[&str] = &["USEASY_APPID", "USEASY_SECRET"];

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `USEASY_APPID`, `USEASY_SECRET` and optionally `USEASY_BASE_URL`.
    pub fn from_env() -> Result<Client> {
        Missing::env(ENV_VARS)
            .check(|names| format!("set {names} (and optionally USEASY_BASE_URL)"))?;
        let var = |k: &str| env_var(k).unwrap_or_default();
        let mut b = Client::builder()
            .app_id(var("USEASY_APPID"))
            .app_secret(var("USEASY_SECRET"));
        if let Some(url) = env_var("USEASY_BASE_URL") {
            b = b.base_url(url);
        }
        b.build()
    }

    /// A client from a complete configuration.
    pub fn new(config: Config) -> Result<Client> {
        if config.appid.is_empty() || config.secret.is_empty() {
            return Err(Error::MissingCredential(
                "openapi-crm: app_id and app_secret must not be empty".into(),
            ));
        }
        let transport = Transport::new(VENDOR, config.transport.clone(), redactor())?;
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                transport,
                nonces: NonceGuard::default(),
                field_configs: FieldConfigCache::default(),
                find_by_heading_form: std::sync::atomic::AtomicBool::new(false),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// How many HTTP requests this client (and its clones, which share one connection pool)
    /// has sent to the vendor: every attempt counts, token requests and retries included.
    /// The difference over a piece of work is the number of vendor calls it made, e.g. the
    /// `vendor_calls` of a sync run.
    pub fn requests_sent(&self) -> u64 {
        self.inner.transport.requests_sent()
    }

    /// The authentication headers of one attempt: a fresh nonce and the current time, signed.
    fn auth_headers(&self) -> Vec<(String, String)> {
        let config = &self.inner.config;
        let nonce = self.inner.nonces.next();
        let timestamp = auth::unix_timestamp();
        auth::signed_headers(&config.secret, &config.appid, &timestamp, &nonce)
    }

    /// Runs one operation: fills `{id}` path parameters, sends the other input fields as the
    /// JSON body (`POST`) or query string (`GET`), signs every attempt afresh, retries what is
    /// safe to retry, checks the envelope and decodes the typed response.
    pub(crate) async fn execute<O: Operation>(&self, input: &O::Input) -> Result<O::Output> {
        self.execute_with::<O, O::Output>(input, |transport, operation, body| {
            check(transport, operation, body)?;
            transport.decode::<O::Output>(operation, body)
        })
        .await
    }

    /// [`Client::execute`] with a given way of turning a 2xx body into the result (which
    /// must check the envelope).
    pub(crate) async fn execute_with<O: Operation, R>(
        &self,
        input: &O::Input,
        decode: impl Fn(&Transport, &'static str, &[u8]) -> Result<R> + Sync,
    ) -> Result<R> {
        let spec = O::SPEC;
        let config = &self.inner.config;
        let mut fields = request::to_object(spec.name, input)?;
        let path = request::fill_path(spec.name, spec.path, &mut fields)?;
        let mut url = request::join_url(spec.name, &config.base_url, &path)?;
        let body = match spec.method {
            HttpMethod::Post => Some(
                serde_json::to_vec(&serde_json::Value::Object(fields)).map_err(|e| {
                    Error::Encode {
                        operation: spec.name.to_owned(),
                        message: e.to_string(),
                    }
                })?,
            ),
            HttpMethod::Get => {
                let pairs = request::query_pairs(spec.name, &fields)?;
                if !pairs.is_empty() {
                    url.query_pairs_mut().extend_pairs(pairs);
                }
                None
            }
        };
        let transport = &self.inner.transport;
        transport
            .retry(&spec, || async {
                let mut headers = self.auth_headers();
                if body.is_none() {
                    // The transport sets the content type only with a body; the vendor asks for it
                    // on every request.
                    headers.push(("content-type".to_owned(), CONTENT_TYPE.to_owned()));
                }
                let http = HttpRequest {
                    operation: spec.name,
                    method: spec.method,
                    url: url.clone(),
                    headers,
                    body: body.clone(),
                };
                let response = transport.send_any_status(&http).await?;
                if !(200..300).contains(&response.status) {
                    return Err(error::from_status(
                        transport.status_error(spec.name, &response),
                        &response.body,
                    ));
                }
                decode(transport, spec.name, &response.body)
            })
            .await
    }
}
