//! HTTP transport: timeouts, response-size cap, per-endpoint rate limits, retries with
//! exponential backoff and jitter, tracing spans, secret redaction and exchange recording.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota};
use tracing::Instrument;
use url::Url;

use crate::error::{Error, TransportKind};
use crate::operation::{Effect, HttpMethod, OperationSpec};
use crate::record::Recorder;
use crate::redact::Redactor;
use crate::secret::scrub;

/// How failed calls are retried.
///
/// Built from [`RetryPolicy::default`] or [`RetryPolicy::none`] and the `with_*` setters (the
/// struct is `#[non_exhaustive]`, so that fields can be added in a minor release):
///
/// ```
/// use std::time::Duration;
/// use crm_runtime::RetryPolicy;
///
/// let fast = RetryPolicy::default()
///     .with_initial_backoff(Duration::from_millis(1))
///     .with_max_backoff(Duration::from_millis(5));
/// assert_eq!(fast.max_attempts, 4);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Delay before the first retry; doubles each time, with jitter.
    pub initial_backoff: Duration,
    /// Upper bound of one delay.
    pub max_backoff: Duration,
    /// Upper bound of all delays of one call together.
    pub max_total_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_total_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in total, the first included (1 disables retries).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Delay before the first retry; doubles each time, with jitter.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Upper bound of one delay.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Upper bound of all delays of one call together.
    pub fn with_max_total_backoff(mut self, backoff: Duration) -> Self {
        self.max_total_backoff = backoff;
        self
    }
}

/// A documented vendor quota: at most `max_calls` per `window` ([`RateLimit::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Calls allowed per window.
    pub max_calls: u32,
    /// The window.
    pub window: Duration,
    /// Calls allowed at once before pacing starts; `None` for a tenth of `max_calls`.
    pub burst: Option<u32>,
}

impl RateLimit {
    /// `max_calls` per `window`.
    pub const fn new(max_calls: u32, window: Duration) -> Self {
        Self {
            max_calls,
            window,
            burst: None,
        }
    }

    /// The same quota with `burst` calls allowed at once. A larger burst lowers the sustained
    /// rate (the window total stays within `max_calls`).
    pub const fn with_burst(mut self, burst: u32) -> Self {
        self.burst = Some(burst);
        self
    }

    /// A GCRA quota that never lets more than `max_calls` depart within any window. After a
    /// burst of `b` at `t = 0` one call leaves per period, so a half-open window `[t, t + W)`
    /// sees at most `b + ceil(W / period) - 1` calls. The period is `W / (max - b + 1/4)`, so
    /// the bound is exactly `max`. Calls that reach the vendor up to `max * period - W` later
    /// than they left cannot push a window over either: at the steady rate that is ~80 ms for
    /// 10 calls/s and ~2 s for 100 calls/20 s. The default burst of a tenth of the quota keeps
    /// the sustained rate at about 92 % of the allowance.
    fn quota(&self) -> Option<Quota> {
        let max = self.max_calls.max(1);
        let burst = self
            .burst
            .unwrap_or(max / 10)
            .clamp(1, max.saturating_sub(1).max(1));
        let steady_quarters = 4 * u128::from(max.saturating_sub(burst)) + 1;
        // Rounded up, so that rounding never lets one call too many through.
        let nanos = (4 * self.window.as_nanos()).div_ceil(steady_quarters);
        let period = Duration::from_nanos(u64::try_from(nanos).ok()?);
        Quota::with_period(period)
            .map(|q| q.allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN)))
    }
}

/// Which rate limit applies to a request: [`RateLimits::off`] and the `with_*` setters.
///
/// ```
/// use std::time::Duration;
/// use crm_runtime::{RateLimit, RateLimits};
///
/// let limits = RateLimits::off()
///     .with_per_path(RateLimit::new(100, Duration::from_secs(20)))
///     .with_override("/token", RateLimit::new(10, Duration::from_secs(60)));
/// assert_eq!(limits.overrides.len(), 1);
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RateLimits {
    /// Applies to each path separately (fxiaoke: 100 calls / 20 s per endpoint).
    pub per_path: Option<RateLimit>,
    /// Applies to all calls together (useasy: 10 calls / s).
    pub global: Option<RateLimit>,
    /// Path-specific limits that replace `per_path` (fxiaoke token endpoint: 10 / min).
    pub overrides: Vec<(String, RateLimit)>,
}

impl RateLimits {
    /// No client-side limiting.
    pub fn off() -> Self {
        Self::default()
    }

    /// A limit for each path separately.
    pub fn with_per_path(mut self, limit: RateLimit) -> Self {
        self.per_path = Some(limit);
        self
    }

    /// A limit for all calls together.
    pub fn with_global(mut self, limit: RateLimit) -> Self {
        self.global = Some(limit);
        self
    }

    /// A limit for the calls to `path` (matched at the end of the URL path), in place of the
    /// per-path limit.
    pub fn with_override(mut self, path: impl Into<String>, limit: RateLimit) -> Self {
        self.overrides.push((path.into(), limit));
        self
    }
}

/// Transport settings shared by the three clients: [`TransportConfig::new`], then set the
/// fields (the struct is `#[non_exhaustive]`) or use [`TransportOptions`] on a client builder.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TransportConfig {
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Timeout of one attempt, from sending to the end of the body.
    pub request_timeout: Duration,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: usize,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Client-side rate limits.
    pub rate_limits: RateLimits,
    /// Folder to record exchanges into (off when `None`). Recordings hold whole records,
    /// personal data included: only the application decides to record.
    pub record_dir: Option<PathBuf>,
    /// The longest one call may take, all attempts and waits between them included (`None`:
    /// only the per-attempt timeout and the retry policy bound it).
    pub call_deadline: Option<Duration>,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl TransportConfig {
    /// Defaults: 10 s connect, 60 s per attempt, 64 MiB responses, 4 attempts, no overall
    /// deadline, no recording.
    pub fn new(rate_limits: RateLimits) -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 64 * 1024 * 1024,
            retry: RetryPolicy::default(),
            rate_limits,
            record_dir: None,
            call_deadline: None,
            user_agent: concat!("crm-runtime/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// [`TransportConfig::new`], recording into the folder named by `CRM_RECORD_DIR` when that
    /// variable is set (an explicit opt-in of the application).
    pub fn from_env(rate_limits: RateLimits) -> Self {
        Self {
            record_dir: std::env::var_os("CRM_RECORD_DIR").map(PathBuf::from),
            ..Self::new(rate_limits)
        }
    }
}

/// One HTTP request, built by a vendor client.
#[derive(Clone)]
pub struct HttpRequest {
    /// The operation (for spans, errors, rate limits and recordings).
    pub operation: &'static str,
    /// The method.
    pub method: HttpMethod,
    /// The full URL, query included.
    pub url: Url,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Vec<u8>>,
}

/// A complete HTTP response with a success status.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// How long the server asked to wait (`Retry-After` in seconds or as an HTTP date).
    pub retry_after: Option<Duration>,
    /// The body.
    pub body: Bytes,
}

/// The shared HTTP machinery of one client. Cheap to share behind an `Arc`.
pub struct Transport {
    vendor: &'static str,
    http: reqwest::Client,
    config: TransportConfig,
    limiters: Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>,
    global_limiter: Option<Arc<DefaultDirectRateLimiter>>,
    redactor: Redactor,
    recorder: Option<Recorder>,
    requests: std::sync::atomic::AtomicU64,
    /// Until when calls to a path (`""`: every path) wait after the vendor said "too many".
    cooldowns: Mutex<HashMap<String, tokio::time::Instant>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("vendor", &self.vendor)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Builds the transport of `vendor`, whose secrets `redactor` knows.
    pub fn new(
        vendor: &'static str,
        config: TransportConfig,
        redactor: Redactor,
    ) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        let global_limiter = config
            .rate_limits
            .global
            .and_then(|l| l.quota())
            .map(|q| Arc::new(DefaultDirectRateLimiter::direct(q)));
        let recorder = config
            .record_dir
            .clone()
            .map(|dir| Recorder::new(dir, vendor, redactor.clone()));
        Ok(Self {
            vendor,
            http,
            config,
            limiters: Mutex::new(HashMap::new()),
            global_limiter,
            redactor,
            recorder,
            requests: std::sync::atomic::AtomicU64::new(0),
            cooldowns: Mutex::new(HashMap::new()),
        })
    }

    /// The settings.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// The vendor name.
    pub fn vendor(&self) -> &'static str {
        self.vendor
    }

    /// The redactor of this vendor's secrets.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The limit of the calls to the URL path `path`: an override whose API path ends it (the
    /// URL may carry the base URL's own prefix), else the per-path limit.
    fn limit_for(&self, path: &str) -> Option<RateLimit> {
        let limits = &self.config.rate_limits;
        limits
            .overrides
            .iter()
            .find(|(p, _)| path.ends_with(p.as_str()))
            .map(|(_, l)| *l)
            .or(limits.per_path)
    }

    fn path_limiter(&self, path: &str) -> Option<Arc<DefaultDirectRateLimiter>> {
        let limit = self.limit_for(path)?;
        let mut map = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = map.get(path) {
            return Some(l.clone());
        }
        let limiter = Arc::new(DefaultDirectRateLimiter::direct(limit.quota()?));
        map.insert(path.to_owned(), limiter.clone());
        Some(limiter)
    }

    /// Waits for the rate limiters of `path`, and for a cooldown the vendor asked for.
    async fn throttle(&self, path: &str) {
        let until = {
            let cooldowns = self.cooldowns.lock().unwrap_or_else(|e| e.into_inner());
            [cooldowns.get(path), cooldowns.get("")]
                .into_iter()
                .flatten()
                .max()
                .copied()
        };
        if let Some(until) = until.filter(|u| *u > tokio::time::Instant::now()) {
            tracing::debug!(path, "waiting for the vendor's rate-limit window");
            tokio::time::sleep_until(until).await;
        }
        if let Some(l) = &self.global_limiter {
            until_ready(l).await;
        }
        if let Some(l) = self.path_limiter(path) {
            until_ready(&l).await;
        }
    }

    /// Sends one attempt: rate limit, send, read the body up to the cap. A non-2xx status is an
    /// [`Error::HttpStatus`].
    pub async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, Error> {
        let response = self.send_any_status(request).await?;
        if (200..300).contains(&response.status) {
            Ok(response)
        } else {
            Err(self.status_error(request.operation, &response))
        }
    }

    /// The [`Error::HttpStatus`] of a response, with a redacted excerpt of its body.
    pub fn status_error(&self, operation: &'static str, response: &HttpResponse) -> Error {
        let text = self.redactor.redact_body(&response.body);
        Error::HttpStatus {
            operation,
            status: response.status,
            excerpt: crate::decode::excerpt(&text, crate::decode::EXCERPT_CHARS),
            retry_after: response.retry_after,
        }
    }

    /// The [`Error::Protocol`] of a 2xx body that is not the vendor's answer (`detail` says what
    /// is missing), with a redacted excerpt of the body.
    pub fn protocol_error(
        &self,
        operation: &'static str,
        detail: impl Into<String>,
        body: &[u8],
    ) -> Error {
        let text = self.redactor.redact_body(body);
        Error::Protocol {
            operation,
            vendor: self.vendor,
            detail: detail.into(),
            excerpt: crate::decode::excerpt(&text, crate::decode::EXCERPT_CHARS),
        }
    }

    /// How many HTTP requests this transport has sent (every attempt counts).
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Like [`Transport::send`], but returns the response whatever its status, for vendors
    /// whose error bodies must be read whole (an envelope on an HTTP 401).
    pub async fn send_any_status(&self, request: &HttpRequest) -> Result<HttpResponse, Error> {
        let operation = request.operation;
        self.throttle(request.url.path()).await;
        let started = Instant::now();
        let method = match request.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
        };
        let mut builder = self.http.request(method, request.url.clone());
        for (name, value) in &request.headers {
            // A secret header (a bearer token, a signature) is marked sensitive, so the HTTP
            // stack never shows its value in its own `Debug` output or logs.
            builder = match reqwest::header::HeaderValue::from_str(value) {
                Ok(mut v) => {
                    v.set_sensitive(self.redactor.is_secret_header(name));
                    builder.header(name.as_str(), v)
                }
                Err(_) => builder.header(name.as_str(), value.as_str()),
            };
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/json;charset=utf-8",
                )
                .body(body.clone());
            tracing::debug!(body = %scrub(&self.redactor.redact_body(body)), "request body");
        }
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = self.read(operation, builder).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(resp) => {
                tracing::debug!(status = resp.status, latency_ms, body = %scrub(&self.redactor.redact_body(&resp.body)), "response");
            }
            Err(e) => tracing::debug!(latency_ms, error = %e, "attempt failed"),
        }
        if let Some(recorder) = &self.recorder {
            recorder.record(request, &result).await;
        }
        result
    }

    async fn read(
        &self,
        operation: &'static str,
        builder: reqwest::RequestBuilder,
    ) -> Result<HttpResponse, Error> {
        let transport_error = |e: reqwest::Error| {
            let kind = if e.is_timeout() {
                TransportKind::Timeout
            } else if e.is_connect() {
                TransportKind::Connect
            } else if e.is_builder() {
                TransportKind::Request
            } else {
                TransportKind::Io
            };
            // reqwest's message can contain the URL, and U8 URLs carry the app secret or token.
            let e = e.without_url();
            Error::Transport {
                operation,
                kind,
                message: e.to_string(),
                source: Some(std::sync::Arc::new(e)),
            }
        };
        let mut response = builder.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let limit = self.config.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Error::ResponseTooLarge { operation, limit });
        }
        let mut body = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > limit {
                return Err(Error::ResponseTooLarge { operation, limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            retry_after,
            body: Bytes::from(body),
        })
    }

    #[doc(hidden)]
    /// Decodes a response body as `T`. On failure the error carries the JSON path and an excerpt
    /// of the body **with this vendor's secrets redacted** (a token response must not leak its
    /// token through a decode error).
    pub fn decode<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
        body: &[u8],
    ) -> Result<T, Error> {
        crate::decode::from_slice::<T>(body).map_err(|mut source| {
            source.excerpt = crate::decode::excerpt(
                &self.redactor.redact_body(body),
                crate::decode::EXCERPT_CHARS,
            );
            if self.redactor.is_secret_path(&source.path) {
                // serde quotes the failing value in its message.
                source.message = format!("invalid value {}", crate::REDACTED);
            }
            Error::Decode { operation, source }
        })
    }

    #[doc(hidden)]
    /// Runs `attempt` with this transport's retry policy.
    ///
    /// - A retryable failure is repeated when that cannot apply a write twice: the operation is
    ///   retry-safe, or the request never reached the vendor, or the vendor rejected it (a
    ///   rate-limit answer is a rejection: nothing was applied).
    /// - After a rate-limit answer the next attempt waits at least as long as the vendor asked
    ///   (`Retry-After`), else one window of the configured limit (Fxiaoke: 20 s), and so does
    ///   every other call to that path: the client-side limiter slows down with it.
    /// - A failed write that may have been applied becomes [`Error::OutcomeUnknown`].
    /// - With [`TransportConfig::call_deadline`], the whole call ends by then with
    ///   [`Error::Deadline`].
    pub async fn retry<T, F, Fut>(&self, spec: &OperationSpec, attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let policy = &self.config.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(policy.initial_backoff)
            .with_max_delay(policy.max_backoff)
            .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
            .with_total_delay(Some(policy.max_total_backoff))
            .with_jitter();
        let retry_safe = spec.retry_safe;
        // One span per call; attempts, latency and the vendor code are recorded when it ends.
        let span = tracing::info_span!(
            "crm.call",
            vendor = self.vendor,
            operation = spec.name,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            code = tracing::field::Empty,
        );
        let started = Instant::now();
        let attempts = std::sync::atomic::AtomicU32::new(0);
        let last_error: Mutex<Option<String>> = Mutex::new(None);
        let mut attempt = attempt;
        let path = spec.path;
        let run = (|| {
            let n = attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            attempt().instrument(tracing::debug_span!("crm.attempt", attempt = n))
        })
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(move |e: &Error| {
            let repeatable = retry_safe || !e.may_have_been_sent() || e.is_rejection();
            e.is_retryable() && repeatable
        })
        .adjust(|e: &Error, delay: Option<Duration>| {
            let wait = self.rate_limit_wait(e, path);
            delay.map(|d| wait.map_or(d, |w| d.max(w)))
        })
        .notify(|e: &Error, delay: Duration| {
            if let Ok(mut last) = last_error.lock() {
                *last = Some(e.to_string());
            }
            tracing::warn!(error = %e, delay_ms = delay.as_millis() as u64, "retrying");
        })
        .instrument(span.clone());
        let mut result = match self.config.call_deadline {
            None => run.await,
            Some(deadline) => match tokio::time::timeout(deadline, run).await {
                Ok(result) => result,
                Err(_) => {
                    let last = last_error.lock().ok().and_then(|mut l| l.take());
                    Err(Error::Deadline {
                        operation: spec.name,
                        after: deadline,
                        last: last.map(|message| {
                            Box::new(Error::Transport {
                                operation: spec.name,
                                kind: TransportKind::Timeout,
                                message,
                                source: None,
                            })
                        }),
                    })
                }
            },
        };
        if spec.effect == Effect::Write {
            result = result.map_err(|e| e.after_write(spec.name, spec.retry_safe));
        }
        span.record(
            "attempts",
            attempts.load(std::sync::atomic::Ordering::Relaxed),
        );
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        if let Err(e) = &result {
            span.record("code", e.api_code().unwrap_or("-"));
            span.in_scope(|| tracing::debug!(error = %e, "call failed"));
        } else {
            span.in_scope(|| tracing::debug!("call succeeded"));
        }
        result
    }

    /// How long the vendor asked to wait after `error`, if it is a rate-limit answer; sets the
    /// cooldown of the path (every path, for a limit that is not per path) meanwhile.
    fn rate_limit_wait(&self, error: &Error, path: &str) -> Option<Duration> {
        if !error.is_rate_limited() {
            return None;
        }
        // The vendor's own word first, else one window of the limit the vendor counts.
        let limits = &self.config.rate_limits;
        let window = limits
            .per_path
            .or(limits.global)
            .map(|l| l.window)
            .unwrap_or(self.config.retry.initial_backoff);
        let wait = error
            .retry_after()
            .or_else(|| error.api().and_then(|a| a.retry_after))
            .unwrap_or(window);
        let key = if limits.per_path.is_some() { path } else { "" };
        let until = tokio::time::Instant::now() + wait;
        let mut cooldowns = self.cooldowns.lock().unwrap_or_else(|e| e.into_inner());
        let entry = cooldowns.entry(key.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
        Some(wait)
    }
}

/// `Retry-After` as seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`).
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds.min(3600)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now()).to_std().ok()?;
    Some(wait.min(Duration::from_secs(3600)))
}

/// The transport options every vendor client builder shares (timeouts, retries, rate limits,
/// a call deadline, recording), implemented once here: a builder only says where its
/// [`TransportConfig`] lives, starting from the vendor's default rate limits.
///
/// Bring it into scope to call the `with_*` methods (each vendor crate re-exports it):
///
/// ```
/// use std::time::Duration;
/// use crm_runtime::{RateLimits, RetryPolicy, TransportConfig, TransportOptions};
///
/// #[derive(Default)]
/// struct Builder {
///     transport: Option<TransportConfig>,
/// }
///
/// impl TransportOptions for Builder {
///     fn transport_config_mut(&mut self) -> &mut TransportConfig {
///         self.transport
///             .get_or_insert_with(|| TransportConfig::new(RateLimits::off()))
///     }
/// }
///
/// let mut builder = Builder::default()
///     .with_retry_policy(RetryPolicy::none())
///     .with_call_deadline(Duration::from_secs(30));
/// assert_eq!(builder.transport_config_mut().call_deadline, Some(Duration::from_secs(30)));
/// ```
pub trait TransportOptions: Sized {
    /// The builder's transport configuration, created with the vendor's defaults on first use.
    fn transport_config_mut(&mut self) -> &mut TransportConfig;

    /// Timeouts, retries, rate limits, deadline and recording, all at once.
    fn with_transport(mut self, config: TransportConfig) -> Self {
        *self.transport_config_mut() = config;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.transport_config_mut().retry = policy;
        self
    }

    /// Client-side rate limits (default: the vendor's documented quotas;
    /// [`RateLimits::off`] disables them).
    fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.transport_config_mut().rate_limits = limits;
        self
    }

    /// Records every exchange into `dir`, secrets redacted (see `cargo xtask drift`).
    fn with_record_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.transport_config_mut().record_dir = Some(dir.into());
        self
    }

    /// The longest one call may take, all attempts and waits included ([`Error::Deadline`]
    /// after it).
    fn with_call_deadline(mut self, deadline: Duration) -> Self {
        self.transport_config_mut().call_deadline = Some(deadline);
        self
    }

    /// Connect and per-attempt timeouts.
    fn with_timeouts(mut self, connect: Duration, request: Duration) -> Self {
        let config = self.transport_config_mut();
        config.connect_timeout = connect;
        config.request_timeout = request;
        self
    }
}

/// Waits until `limiter` admits one call, as governor's `until_ready_with_jitter` with up to
/// 1 ms of jitter did: a caller that has to wait sleeps a random 0..1 ms longer, so callers
/// released by one refill do not all come back at the same instant. (Here rather than governor's
/// `jitter` feature, which pulls rand and its generator crates into every client.)
async fn until_ready(limiter: &DefaultDirectRateLimiter) {
    let clock = DefaultClock::default();
    while let Err(not_until) = limiter.check() {
        let jitter = Duration::from_nanos(fastrand::u64(..1_000_000));
        futures_timer::Delay::new(not_until.wait_time_from(clock.now()) + jitter).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_limit_applies_whatever_prefix_the_base_url_has() {
        let token = RateLimit::new(10, Duration::from_secs(60)).with_burst(3);
        let endpoint = RateLimit::new(100, Duration::from_secs(20));
        let transport = Transport::new(
            "fxiaoke",
            TransportConfig::new(RateLimits {
                per_path: Some(endpoint),
                global: None,
                overrides: vec![("/cgi/corpAccessToken/get/V2".into(), token)],
            }),
            Redactor::default(),
        )
        .unwrap();
        for path in [
            "/cgi/corpAccessToken/get/V2",
            "/gateway/fxiaoke/cgi/corpAccessToken/get/V2",
        ] {
            assert_eq!(transport.limit_for(path), Some(token), "{path}");
        }
        assert_eq!(
            transport.limit_for("/gateway/cgi/crm/v2/data/query"),
            Some(endpoint)
        );
    }

    /// A burst at `t = 0`, then one call per period: a half-open window `[t, t + W)` (how vendors
    /// and the mocks count) sees at most `burst + ceil(W / period) - 1` calls. That must never
    /// exceed the vendor's quota, and should stay near 90 % of it by default.
    #[test]
    fn quotas_never_exceed_the_vendor_window() {
        let cases = [
            RateLimit::new(100, Duration::from_secs(20)),
            RateLimit::new(10, Duration::from_secs(1)),
            RateLimit::new(10, Duration::from_secs(60)).with_burst(3),
            RateLimit::new(1, Duration::from_secs(1)),
        ];
        for limit in cases {
            let q = limit.quota().unwrap();
            let per_window = limit
                .window
                .as_nanos()
                .div_ceil(q.replenish_interval().as_nanos());
            let most = u128::from(q.burst_size().get()) + per_window - 1;
            assert!(most <= u128::from(limit.max_calls), "{limit:?}: {most}");
        }
        let fx = RateLimit::new(100, Duration::from_secs(20))
            .quota()
            .unwrap();
        assert_eq!(fx.burst_size().get(), 10);
        assert_eq!(
            fx.replenish_interval().as_nanos(),
            (80_000_000_000_u128).div_ceil(361)
        );
        let ua = RateLimit::new(10, Duration::from_secs(1)).quota().unwrap();
        assert_eq!(ua.burst_size().get(), 1);
        assert!(
            (ua.replenish_interval().as_secs_f64() - 1.0 / 9.25).abs() < 1e-6,
            "9.25 calls/s"
        );
    }
}
