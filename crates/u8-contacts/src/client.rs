//! The client: configuration, builder, and the executor that the generated operation methods
//! call.

use std::sync::Arc;
use std::time::Duration;

use crm_runtime::operation::Operation;
use crm_runtime::{
    Auth, HttpMethod, HttpRequest, Missing, RateLimit, RateLimits, Redactor, SecretString,
    TokenCache, Transport, TransportConfig, TransportOptions, base_url, env_var, request,
};
use url::Url;

use crate::error::{VENDOR, check, is_token_error};
use crate::{Error, Result};

/// The production gateway.
pub const DEFAULT_BASE_URL: &str = "https://api.yonyouup.com";

/// U8 publishes no rate limit (docs/vendors.md §3.6). The client keeps to 10 calls per second unless
/// told otherwise, a conservative choice that still pages 100 contacts per call.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit::new(10, Duration::from_secs(1));

/// Where U8 carries secrets, for redaction in logs, errors and recordings.
pub(crate) fn redactor() -> Redactor {
    Redactor::new(
        &["app_secret", "token", "token.id"],
        &["app_secret", "token"],
        &[],
    )
}

/// Everything the client needs. Secrets are [`SecretString`]s, so `Debug` never shows them.
#[derive(Clone, Debug)]
pub struct Config {
    /// The gateway, default [`DEFAULT_BASE_URL`].
    pub base_url: Url,
    /// 调用方id: the caller (developer) account.
    pub from_account: String,
    /// 提供方id: the provider (enterprise) account.
    pub to_account: String,
    /// 应用编码: the application key (`opa…`).
    pub app_key: String,
    /// The application secret.
    pub app_secret: SecretString,
    /// 数据源序号: the data source; the application's first one when `None`.
    pub ds_sequence: Option<i64>,
    /// Timeouts, retries, rate limits, recording.
    pub transport: TransportConfig,
}

/// A U8 OpenAPI client. Cheap to clone; clones share the connection pool, token cache and rate
/// limiter.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) transport: Transport,
    pub(crate) tokens: TokenCache<SecretString>,
}

/// Builds a [`Client`]; [`Client::builder`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    from_account: Option<String>,
    to_account: Option<String>,
    app_key: Option<String>,
    app_secret: Option<SecretString>,
    ds_sequence: Option<i64>,
    transport: Option<TransportConfig>,
}

impl ClientBuilder {
    /// The gateway (default [`DEFAULT_BASE_URL`]); e.g. the embedded mock's URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// The caller (developer) account.
    pub fn from_account(mut self, v: impl Into<String>) -> Self {
        self.from_account = Some(v.into());
        self
    }
    /// The provider (enterprise) account.
    pub fn to_account(mut self, v: impl Into<String>) -> Self {
        self.to_account = Some(v.into());
        self
    }
    /// The application key.
    pub fn app_key(mut self, v: impl Into<String>) -> Self {
        self.app_key = Some(v.into());
        self
    }
    /// The application secret.
    pub fn app_secret(mut self, v: impl Into<SecretString>) -> Self {
        self.app_secret = Some(v.into());
        self
    }
    /// The data source number.
    pub fn ds_sequence(mut self, v: i64) -> Self {
        self.ds_sequence = Some(v);
        self
    }

    /// Builds the client; a missing credential is an [`Error::MissingCredential`] naming it.
    pub fn build(mut self) -> Result<Client> {
        let transport = self.transport_config_mut().clone();
        let mut missing = Missing::new();
        let from_account = missing.take("from_account", self.from_account);
        let to_account = missing.take("to_account", self.to_account);
        let app_key = missing.take("app_key", self.app_key);
        let app_secret = missing.take("app_secret", self.app_secret);
        missing.check(|names| format!("u8-contacts: missing {names}"))?;
        Client::new(Config {
            base_url: base_url(self.base_url.as_deref(), DEFAULT_BASE_URL)?,
            from_account: from_account.unwrap_or_default(),
            to_account: to_account.unwrap_or_default(),
            app_key: app_key.unwrap_or_default(),
            app_secret: app_secret.unwrap_or_default(),
            ds_sequence: self.ds_sequence,
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

/// The environment variables [`Client::from_env`] reads.
pub const ENV_VARS: &[&str] = &[
    "U8_FROM_ACCOUNT",
    "U8_TO_ACCOUNT",
    "U8_APP_KEY",
    "U8_APP_SECRET",
];

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `U8_FROM_ACCOUNT`, `U8_TO_ACCOUNT`, `U8_APP_KEY`, `U8_APP_SECRET` and
    /// optionally `U8_BASE_URL`, `U8_DS_SEQUENCE`.
    pub fn from_env() -> Result<Client> {
        Missing::env(ENV_VARS).check(|names| format!("set {names}"))?;
        let var = |k: &str| env_var(k).unwrap_or_default();
        let mut b = Client::builder()
            .from_account(var("U8_FROM_ACCOUNT"))
            .to_account(var("U8_TO_ACCOUNT"))
            .app_key(var("U8_APP_KEY"))
            .app_secret(var("U8_APP_SECRET"));
        if let Some(url) = env_var("U8_BASE_URL") {
            b = b.base_url(url);
        }
        if let Some(ds) = env_var("U8_DS_SEQUENCE") {
            let ds = ds.parse().map_err(|_| {
                Error::Config(format!("U8_DS_SEQUENCE must be a number, not {ds:?}"))
            })?;
            b = b.ds_sequence(ds);
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
                tokens: TokenCache::new(crate::auth::REFRESH_MARGIN),
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

    /// The path and query parameters of an operation input (the data source added).
    pub(crate) fn prepare<O: Operation>(
        &self,
        input: &O::Input,
    ) -> Result<(String, Vec<(String, String)>)> {
        let spec = O::SPEC;
        let mut fields = request::to_object(spec.name, input)?;
        let path = request::fill_path(spec.name, spec.path, &mut fields)?;
        if spec.auth == Auth::Default
            && !fields.contains_key("ds_sequence")
            && let Some(ds) = self.inner.config.ds_sequence
        {
            fields.insert("ds_sequence".into(), ds.into());
        }
        Ok((path, request::query_pairs(spec.name, &fields)?))
    }

    /// Runs one operation: adds the authentication parameters, sends with retries, checks
    /// `errcode`, decodes the typed response. A token the vendor rejects is replaced and the
    /// call repeated once.
    pub(crate) async fn execute<O: Operation>(&self, input: &O::Input) -> Result<O::Output> {
        self.execute_with::<O, O::Output>(input, |transport, operation, body| {
            check(
                transport,
                operation,
                body,
                resource_of(O::SPEC.path),
                O::SPEC.auth != Auth::None,
            )?;
            transport.decode::<O::Output>(operation, body)
        })
        .await
    }

    /// [`Client::execute`] with a given way of turning a 2xx body into the result (which must
    /// check the envelope).
    pub(crate) async fn execute_with<O: Operation, R>(
        &self,
        input: &O::Input,
        decode: impl Fn(&Transport, &'static str, &[u8]) -> Result<R> + Sync,
    ) -> Result<R> {
        let spec = O::SPEC;
        let (path, params) = self.prepare::<O>(input)?;
        if spec.auth == Auth::None {
            return self.send::<O, R>(&path, &params, None, &decode).await;
        }
        let mut token_retry_left = true;
        loop {
            let issued = self.inner.tokens.get(|| self.fetch_token()).await?;
            match self
                .send::<O, R>(&path, &params, Some(&issued.token), &decode)
                .await
            {
                Err(Error::Api(api)) if is_token_error(&api) => {
                    if !token_retry_left || !issued.may_be_replaced() {
                        return Err(crm_runtime::refused_young_token(
                            api,
                            issued.issued_at.elapsed(),
                        ));
                    }
                    tracing::info!(code = %api.code, "token rejected; fetching a new one");
                    self.inner.tokens.invalidate(issued.generation).await;
                    token_retry_left = false;
                }
                result => return result,
            }
        }
    }

    /// Sends one operation (with retries) and decodes its response.
    pub(crate) async fn send<O: Operation, R>(
        &self,
        path: &str,
        params: &[(String, String)],
        token: Option<&SecretString>,
        decode: &(impl Fn(&Transport, &'static str, &[u8]) -> Result<R> + Sync),
    ) -> Result<R> {
        let spec = O::SPEC;
        let config = &self.inner.config;
        let mut url = request::join_url(spec.name, &config.base_url, path)?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(token) = token {
                q.append_pair("from_account", &config.from_account)
                    .append_pair("to_account", &config.to_account)
                    .append_pair("app_key", &config.app_key)
                    .append_pair("token", token.expose_secret());
            }
            for (k, v) in params {
                q.append_pair(k, v);
            }
        }
        let http = HttpRequest {
            operation: spec.name,
            method: HttpMethod::Get,
            url,
            headers: Vec::new(),
            body: None,
        };
        let transport = &self.inner.transport;
        transport
            .retry(&spec, || async {
                let response = transport.send(&http).await?;
                decode(transport, spec.name, &response.body)
            })
            .await
            .map_err(|e| {
                let token = token.map(SecretString::expose_secret).unwrap_or_default();
                e.redact_values(&[self.inner.config.app_secret.expose_secret(), token])
            })
    }
}

/// The key a U8 answer puts its data under: `token` for `/system/token`, the resource name for
/// `/api/<resource>/<action>` (`customercontacts`).
pub(crate) fn resource_of(path: &str) -> &str {
    match path.strip_prefix("/api/") {
        Some(rest) => rest.split('/').next().unwrap_or(rest),
        None => path.rsplit('/').next().unwrap_or(path),
    }
}
