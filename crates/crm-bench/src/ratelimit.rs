//! Rate-limited sync: a long export against an embedded mock that enforces the vendor's quota
//! (exact sliding window), through a client that keeps to the same quota. Measures the rate the
//! export reaches as a fraction of the allowed rate, and the limit errors the mock answered.

use fxiaoke_crm::TransportOptions;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::{BenchError, FXIAOKE_QUERY_PATH};

/// What one rate-limited export did.
#[derive(Debug, Clone, PartialEq)]
pub struct RateResult {
    /// `fxiaoke` or `useasy`.
    pub vendor: &'static str,
    /// The quota: calls per window.
    pub max_calls: u32,
    /// The quota's window, in seconds.
    pub window_secs: f64,
    /// How long the export ran, in seconds.
    pub secs: f64,
    /// Requests that reached the mock's rate-limited path.
    pub requests: u64,
    /// Records received.
    pub records: u64,
    /// Requests the mock rejected for the quota (`30004`, HTTP 429).
    pub limit_errors: u64,
    /// Errors the export saw (after the client's retries).
    pub client_errors: u64,
}

impl RateResult {
    /// The quota as calls per second.
    pub fn allowed_rate(&self) -> f64 {
        f64::from(self.max_calls) / self.window_secs
    }

    /// Requests per second reached.
    pub fn achieved_rate(&self) -> f64 {
        self.requests as f64 / self.secs
    }

    /// `achieved / allowed`.
    pub fn fraction(&self) -> f64 {
        self.achieved_rate() / self.allowed_rate()
    }
}

/// What [`drain_for`] saw.
struct Drained {
    records: u64,
    errors: u64,
    secs: f64,
    /// `requests()` read at the deadline, before the stream (and its fetch task) is dropped.
    requests: u64,
}

/// Drains streams made by `make` until `duration` is over (a stream that ends is started again,
/// like a sync that loops).
async fn drain_for<T, E>(
    duration: Duration,
    mut make: impl FnMut() -> BoxStream<'static, Result<T, E>>,
    requests: impl Fn() -> u64,
) -> Drained {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + duration;
    let (mut records, mut errors) = (0u64, 0u64);
    loop {
        let mut stream = make();
        loop {
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Err(_) => {
                    return Drained {
                        records,
                        errors,
                        secs: started.elapsed().as_secs_f64(),
                        requests: requests(),
                    };
                }
                Ok(None) => break,
                Ok(Some(Ok(_))) => records += 1,
                Ok(Some(Err(_))) => {
                    errors += 1;
                    break;
                }
            }
        }
    }
}

/// Fxiaoke: the mock allows 100 calls per `window` per path (the documented quota is 100 per
/// 20 s; a shortened window keeps the run short), the client keeps to
/// `RateLimit::new(100, window)` per path; the export runs `duration` over `records` records.
pub async fn fxiaoke(
    window: Duration,
    duration: Duration,
    records: usize,
) -> Result<RateResult, BenchError> {
    use fxiaoke_crm::{RateLimit, types::PaymentObj};
    use fxiaoke_crm_mock::{MockFxiaoke, MockSettings};
    const MAX: u32 = 100;
    let mock = MockFxiaoke::start_with(
        MockSettings::default().with_rate_limit(Some((MAX as usize, window))),
    )
    .await?;
    mock.insert_many(
        crate::payloads::FXIAOKE_OBJECT,
        (0..records).map(crate::payloads::fxiaoke_record),
    );
    let mut limits = fxiaoke_crm::default_rate_limits();
    limits.per_path = Some(RateLimit::new(MAX, window));
    let client = mock.client_builder().with_rate_limits(limits).build()?;
    let drained = drain_for(
        duration,
        || {
            client
                .query::<PaymentObj>()
                .page_size(crate::export::PAGE_SIZE as u32)
                .stream()
        },
        || mock.control().calls(FXIAOKE_QUERY_PATH),
    )
    .await;
    Ok(RateResult {
        vendor: "fxiaoke",
        max_calls: MAX,
        window_secs: window.as_secs_f64(),
        secs: drained.secs,
        requests: drained.requests,
        records: drained.records,
        limit_errors: mock.rate_limit_rejections(),
        client_errors: drained.errors,
    })
}

/// useasy: the mock allows 10 requests per second (its fixed, documented quota), the client
/// keeps to its default `RateLimit::new(10, 1 s)`; the export runs `duration` over `records`
/// customers, 100 per page.
pub async fn useasy(duration: Duration, records: usize) -> Result<RateResult, BenchError> {
    use openapi_crm_mock::{MockUseasy, RATE_LIMIT_PER_SECOND, paths};
    let mock = MockUseasy::start_with_sample_data(records).await?;
    let client = mock.client()?;
    let drained = drain_for(
        duration,
        || client.customers().page_size(100).stream(),
        || mock.control().calls(paths::LIST),
    )
    .await;
    Ok(RateResult {
        vendor: "useasy",
        max_calls: RATE_LIMIT_PER_SECOND as u32,
        window_secs: 1.0,
        secs: drained.secs,
        requests: drained.requests,
        records: drained.records,
        limit_errors: mock.rate_limiter().rejected(),
        client_errors: drained.errors,
    })
}
