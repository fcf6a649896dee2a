//! Plumbing for the vendors' embedded mock servers: an in-process axum server on
//! `127.0.0.1:0`, fault injection, call counting and an exact sliding-window quota.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;
use url::Url;

/// One injected fault, applied to the next matching request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and a short text body.
    Status(u16),
    /// Wait this long before handling the request normally.
    Delay(Duration),
    /// Start a response and break the connection before the body is complete.
    DropConnection,
}

/// Shared control of a running mock: faults to inject and the calls it has seen.
#[derive(Debug, Default)]
pub struct MockControl {
    faults: Mutex<VecDeque<(Option<String>, Fault)>>,
    calls: Mutex<HashMap<String, u64>>,
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

    /// Removes every pending fault.
    pub fn clear_faults(&self) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
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
    *control
        .calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(path.clone())
        .or_default() += 1;
    match control.next_fault(&path) {
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
