//! Plumbing for the vendors' embedded mock servers: an in-process axum server on
//! `127.0.0.1:0`, fault injection, call counting and an exact sliding-window quota.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use axum::{Router, routing::get};
//! use crm_mock::{MockControl, MockServer};
//!
//! let router = Router::new().route("/ping", get(|| async { "pong" }));
//! let server = MockServer::start(router, MockControl::new()).await?;
//! let url = server.base_url().join("ping")?;
//!
//! server.control().fail_next(1, 503); // the next call fails, the one after is served
//! assert_eq!(reqwest::get(url.clone()).await?.status(), 503);
//! assert_eq!(reqwest::get(url).await?.text().await?, "pong");
//! assert_eq!(server.control().calls("/ping"), 2);
//! # Ok(()) }
//! ```

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

mod churn;
pub mod index;

pub use churn::{Churn, ChurnControl, ChurnWrites, Dice, check_touched};

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::FixedOffset;
use crm_runtime::{RetryPolicy, TransportOptions};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;
use url::Url;

/// China time, UTC+8: the zone in which fxiaoke's `describe` gives its dates (`"GMT+8"`,
/// docs/vendors.md §1.6) and useasy writes its zone-less times (§2.3). The mocks' own
/// constant, apart from the clients' `crm_runtime::china_offset()`.
pub const CHINA_TIME: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// One injected fault, applied to the next matching request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this HTTP status and a short text body.
    Status(u16),
    /// Wait this long before handling the request normally.
    Delay(Duration),
    /// Start a response and break the connection before the body is complete.
    DropConnection,
    /// Answer with this HTTP status and a text body that echoes the request (method, path with
    /// query string, body), as careless gateways do: secrets sent in the request come back.
    Echo(u16),
    /// Answer with this HTTP status and exactly this body, as a live gateway sometimes does (an
    /// HTTP 200 whose body is not the vendor's envelope: `{"code":503,"message":"upstream busy"}`).
    Respond {
        /// The HTTP status.
        status: u16,
        /// The body, sent as `application/json`.
        body: String,
        /// Extra headers (e.g. `Retry-After`).
        headers: Vec<(String, String)>,
    },
}

/// A gateway's HTTP 200 answer without any vendor envelope, as seen in front of live tenants.
pub const GATEWAY_BUSY_BODY: &str = r#"{"code":503,"message":"upstream busy"}"#;

/// Something that watches every request before it is handled: given the path and how many
/// requests reached that path so far (this one included).
pub type RequestHook = Arc<dyn Fn(&str, u64) + Send + Sync>;

/// A rule that answers every `every`-th request to a path with a fixed response.
#[derive(Clone, Debug)]
struct EveryRule {
    path: Option<String>,
    every: u64,
    status: u16,
    body: String,
}

/// Shared control of a running mock: faults to inject and the calls it has seen.
#[derive(Default)]
pub struct MockControl {
    faults: Mutex<VecDeque<(Option<String>, Fault)>>,
    calls: Mutex<HashMap<String, u64>>,
    every: Mutex<Vec<EveryRule>>,
    hooks: Mutex<Vec<RequestHook>>,
}

impl std::fmt::Debug for MockControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockControl")
            .field("faults", &self.faults)
            .field("calls", &self.calls)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl MockControl {
    /// A control with no faults.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn push(&self, path: Option<&str>, n: usize, fault: Fault) {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..n {
            faults.push_back((path.map(str::to_owned), fault.clone()));
        }
    }

    /// Fails the next `n` requests with `status`.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.push(None, n, Fault::Status(status));
    }

    /// Fails the next `n` requests to `path` with `status`.
    pub fn fail_next_on(&self, path: &str, n: usize, status: u16) {
        self.push(Some(path), n, Fault::Status(status));
    }

    /// Delays the next `n` requests by `delay`.
    pub fn delay_next(&self, n: usize, delay: Duration) {
        self.push(None, n, Fault::Delay(delay));
    }

    /// Breaks the connection of the next `n` requests mid-response.
    pub fn drop_next(&self, n: usize) {
        self.push(None, n, Fault::DropConnection);
    }

    /// Answers the next `n` requests to `path` (any path when `None`) with `status` and exactly
    /// `body`: e.g. [`GATEWAY_BUSY_BODY`] with status 200, a body without the vendor's envelope.
    pub fn respond_next(&self, path: Option<&str>, n: usize, status: u16, body: &str) {
        self.push(
            path,
            n,
            Fault::Respond {
                status,
                body: body.to_owned(),
                headers: Vec::new(),
            },
        );
    }

    /// Answers the next `n` requests to `path` (any path when `None`) with `status` and a body
    /// echoing the request ([`Fault::Echo`]).
    pub fn echo_next(&self, path: Option<&str>, n: usize, status: u16) {
        self.push(path, n, Fault::Echo(status));
    }

    /// Queues any fault for the next `n` requests to `path` (any path when `None`).
    pub fn inject(&self, path: Option<&str>, n: usize, fault: Fault) {
        self.push(path, n, fault);
    }

    /// Answers every `every`-th request to any path (counted per path) with HTTP 200 and
    /// [`GATEWAY_BUSY_BODY`], a body without the vendor's envelope, as a gateway in front of a
    /// live tenant sometimes does; nothing when `every` is `None` (the mocks' `LiveTenant`
    /// setting `gateway_body_every`).
    pub fn gateway_body_every(&self, every: Option<u64>) {
        if let Some(every) = every {
            self.respond_every(None, every, 200, GATEWAY_BUSY_BODY);
        }
    }

    /// Answers every `every`-th request to `path` (any path when `None`), counted per path, with
    /// `status` and exactly `body`, for as long as the mock runs.
    pub fn respond_every(&self, path: Option<&str>, every: u64, status: u16, body: &str) {
        self.every
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(EveryRule {
                path: path.map(str::to_owned),
                every: every.max(1),
                status,
                body: body.to_owned(),
            });
    }

    /// Calls `hook` before every request is handled (after it is counted), e.g. to change the
    /// tenant's data between the pages of a stream.
    pub fn on_request(&self, hook: impl Fn(&str, u64) + Send + Sync + 'static) {
        self.hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(hook));
    }

    /// Removes every pending fault and every periodic answer.
    pub fn clear_faults(&self) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.every.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// How many requests reached `path` (faulted ones included).
    pub fn calls(&self, path: &str) -> u64 {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// How many requests reached the mock in total.
    pub fn total_calls(&self) -> u64 {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum()
    }

    fn next_fault(&self, path: &str) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let i = faults
            .iter()
            .position(|(p, _)| p.as_deref().is_none_or(|p| p == path))?;
        faults.remove(i).map(|(_, f)| f)
    }
}

async fn fault_layer(
    State(control): State<Arc<MockControl>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let call = {
        let mut calls = control.calls.lock().unwrap_or_else(|e| e.into_inner());
        let n = calls.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    let hooks: Vec<RequestHook> = control
        .hooks
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    for hook in hooks {
        hook(&path, call);
    }
    let periodic = control
        .every
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|r| r.path.as_deref().is_none_or(|p| p == path) && call.is_multiple_of(r.every))
        .map(|r| Fault::Respond {
            status: r.status,
            body: r.body.clone(),
            headers: Vec::new(),
        });
    match control.next_fault(&path).or(periodic) {
        Some(Fault::Echo(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut head = format!(
                "upstream error, request was: {} {}\n",
                request.method(),
                request.uri()
            );
            for (name, value) in request.headers() {
                head.push_str(&format!(
                    "{name}: {}\n",
                    String::from_utf8_lossy(value.as_bytes())
                ));
            }
            let body = axum::body::to_bytes(request.into_body(), 16 * 1024 * 1024)
                .await
                .unwrap_or_default();
            let text = head + &String::from_utf8_lossy(&body);
            (status, text).into_response()
        }
        Some(Fault::Respond {
            status,
            body,
            headers,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response =
                (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    axum::http::HeaderName::from_bytes(name.as_bytes()),
                    axum::http::HeaderValue::from_str(&value),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Some(Fault::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, format!("injected fault: HTTP {}", status.as_u16())).into_response()
        }
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            next.run(request).await
        }
        Some(Fault::DropConnection) => {
            // Promise 1 KiB, then fail the body stream: the client sees a broken connection.
            let stream = futures::stream::once(async {
                Err::<bytes::Bytes, _>(std::io::Error::other("injected connection drop"))
            });
            Response::builder()
                .header(header::CONTENT_LENGTH, "1024")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        None => next.run(request).await,
    }
}

/// A running in-process mock server. Stops when dropped.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    control: Arc<MockControl>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl MockServer {
    /// Serves `router` on `127.0.0.1:0`, with fault injection and call counting in front.
    pub async fn start(router: Router, control: Arc<MockControl>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let app = router.layer(middleware::from_fn_with_state(control.clone(), fault_layer));
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "mock server stopped with an error");
            }
        });
        Ok(Self {
            addr,
            control,
            shutdown: Some(shutdown),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> Url {
        let mut url =
            Url::parse("http://127.0.0.1/").unwrap_or_else(|_| unreachable!("a constant URL"));
        // Setting the port of an http URL cannot fail.
        let _ = url.set_port(Some(self.addr.port()));
        url
    }

    /// Fault injection and call counts.
    pub fn control(&self) -> &Arc<MockControl> {
        &self.control
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// An exact sliding-window quota, as a vendor enforces it: at most `max` calls per key within
/// any `window`.
#[derive(Debug)]
pub struct WindowLimiter {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
    rejected: std::sync::atomic::AtomicU64,
}

impl WindowLimiter {
    /// `max` calls per `window` per key.
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
            rejected: Default::default(),
        }
    }

    /// Records a call for `key`; `false` if it exceeds the quota (the call is then not counted).
    pub fn check(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let q = hits.entry(key.to_owned()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        if q.len() >= self.max {
            self.rejected
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return false;
        }
        q.push_back(now);
        true
    }

    /// How many calls were rejected so far.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The retry policy of the mocks' client builders: four attempts 10 to 50 ms apart, so that
/// tests exercise retries without waiting for them.
pub fn client_retry_policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(50))
        .with_max_total_backoff(Duration::from_secs(2))
}

/// The transport options every mock's `client_builder` sets: [`client_retry_policy`] and
/// short timeouts (5 s to connect, 10 s per attempt), so that a hung call fails a test fast.
pub fn client_options<B: TransportOptions>(builder: B) -> B {
    builder
        .with_retry_policy(client_retry_policy())
        .with_timeouts(Duration::from_secs(5), Duration::from_secs(10))
}
