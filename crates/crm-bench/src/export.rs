//! Export throughput: every `PaymentObj` record of a Fxiaoke server, written as JSON lines to a
//! byte-counting sink (what an export to a file does, minus the disk), by the SDK's stream and
//! by the loop a user would otherwise write.

use fxiaoke_crm::TransportOptions;
use std::io::Write;
use std::time::Instant;

use futures::StreamExt;
use fxiaoke_crm::types::PaymentObj;
use fxiaoke_crm::{RateLimits, RetryPolicy};
use serde_json::{Value, json};

use crate::{BenchError, Credentials, FXIAOKE_QUERY_PATH, FXIAOKE_TOKEN_PATH};

/// Records per page, for both clients (the API's maximum).
pub const PAGE_SIZE: usize = 100;

/// The largest offset the API accepts; past it both clients switch to the `_id` cursor.
pub const MAX_OFFSET: usize = 10_000;

/// An `io::Write` that only counts bytes.
#[derive(Debug, Default)]
pub struct CountingSink {
    /// Bytes written so far.
    pub bytes: u64,
}

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What one export did.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportResult {
    /// Records written.
    pub records: u64,
    /// Wall time from the first request to the last record written.
    pub secs: f64,
    /// JSON-lines bytes written.
    pub bytes: u64,
    /// Whether the records came strictly increasing in the export's order (every record once,
    /// in order).
    pub ordered: bool,
    /// Query calls, where the export counts them (one per page stream item).
    pub calls: Option<u64>,
}

/// An export's output: JSON lines into a [`CountingSink`], the records counted.
pub(crate) struct JsonLines {
    out: std::io::BufWriter<CountingSink>,
    records: u64,
}

impl JsonLines {
    pub(crate) fn new() -> Self {
        Self {
            out: std::io::BufWriter::with_capacity(64 * 1024, CountingSink::default()),
            records: 0,
        }
    }

    /// One record given as its JSON text.
    pub(crate) fn write_json(&mut self, json: &str) -> Result<(), BenchError> {
        self.out.write_all(json.as_bytes())?;
        self.end_record()
    }

    /// One record serialized.
    pub(crate) fn write_value(&mut self, record: &impl serde::Serialize) -> Result<(), BenchError> {
        serde_json::to_writer(&mut self.out, record)?;
        self.end_record()
    }

    fn end_record(&mut self) -> Result<(), BenchError> {
        self.out.write_all(b"\n")?;
        self.records += 1;
        Ok(())
    }

    /// The result of an export that began at `started`.
    pub(crate) fn finish(
        mut self,
        started: Instant,
        ordered: bool,
        calls: Option<u64>,
    ) -> Result<ExportResult, BenchError> {
        self.out.flush()?;
        Ok(ExportResult {
            records: self.records,
            secs: started.elapsed().as_secs_f64(),
            bytes: self.out.get_ref().bytes,
            ordered,
            calls,
        })
    }
}

/// The SDK's client for a benchmark server: rate limits and retries off.
pub(crate) fn sdk_client(
    base_url: &str,
    credentials: &Credentials,
) -> Result<fxiaoke_crm::Client, BenchError> {
    Ok(fxiaoke_crm::Client::builder()
        .base_url(base_url)
        .app_id(credentials.app_id.clone())
        .app_secret(credentials.app_secret.clone())
        .permanent_code(credentials.permanent_code.clone())
        .open_user_id(credentials.open_user_id.clone())
        .with_rate_limits(RateLimits::off())
        .with_retry_policy(RetryPolicy::none())
        .build()?)
}

/// Tracks that ids strictly increase.
#[derive(Default)]
struct Order {
    last: String,
    ok: bool,
    seen: bool,
}

impl Order {
    fn new() -> Self {
        Self {
            ok: true,
            ..Self::default()
        }
    }
    fn push(&mut self, id: &str) {
        if self.seen && id <= self.last.as_str() {
            self.ok = false;
        }
        self.seen = true;
        self.last.clear();
        self.last.push_str(id);
    }
}

/// The SDK: `client.query::<PaymentObj>().stream()` (typed records, the next page prefetched
/// while this one is written), rate limits off.
pub async fn sdk(base_url: &str, credentials: &Credentials) -> Result<ExportResult, BenchError> {
    let client = sdk_client(base_url, credentials)?;
    let started = Instant::now();
    let mut out = JsonLines::new();
    let mut order = Order::new();
    let mut stream = client
        .query::<PaymentObj>()
        .page_size(PAGE_SIZE as u32)
        .stream();
    while let Some(record) = stream.next().await {
        let record = record?;
        order.push(record.id.as_deref().unwrap_or_default());
        out.write_value(&record)?;
    }
    out.finish(started, order.ok, None)
}

/// The loop a user would otherwise write: plain `reqwest` and `serde_json::Value`, one page
/// after another, the same requests as the SDK's stream (offset paging ordered by `_id` up to
/// offset 10,000, then `_id GT <last>`), no prefetch.
pub async fn naive(base_url: &str, credentials: &Credentials) -> Result<ExportResult, BenchError> {
    let base = base_url.trim_end_matches('/');
    let http = reqwest::Client::new();
    let started = Instant::now();
    let token: Value = http
        .post(format!("{base}{FXIAOKE_TOKEN_PATH}"))
        .json(&json!({
            "appId": credentials.app_id,
            "appSecret": credentials.app_secret,
            "permanentCode": credentials.permanent_code,
        }))
        .send()
        .await?
        .json()
        .await?;
    let (Some(access_token), Some(corp_id)) =
        (token["corpAccessToken"].as_str(), token["corpId"].as_str())
    else {
        return Err(BenchError::msg(format!("no token: {token}")));
    };
    let url = format!("{base}{FXIAOKE_QUERY_PATH}");
    let mut out = JsonLines::new();
    let mut order = Order::new();
    let mut offset = 0usize;
    let mut after: Option<String> = None;
    loop {
        let filters = match &after {
            Some(id) => json!([{ "field_name": "_id", "field_values": [id], "operator": "GT" }]),
            None => json!([]),
        };
        let body = json!({
            "corpAccessToken": access_token,
            "corpId": corp_id,
            "currentOpenUserId": credentials.open_user_id,
            "data": {
                "dataObjectApiName": crate::payloads::FXIAOKE_OBJECT,
                "search_query_info": {
                    "limit": PAGE_SIZE,
                    "offset": offset,
                    "filters": filters,
                    "orders": [{ "fieldName": "_id", "isAsc": true }],
                },
            },
        });
        let page: Value = http.post(&url).json(&body).send().await?.json().await?;
        if page["errorCode"].as_i64() != Some(0) {
            return Err(BenchError::msg(format!(
                "query failed: {} {}",
                page["errorCode"], page["errorMessage"]
            )));
        }
        let list = page["data"]["dataList"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        for record in list {
            order.push(record["_id"].as_str().unwrap_or_default());
            out.write_value(record)?;
        }
        if list.len() < PAGE_SIZE {
            break;
        }
        if after.is_none() && offset + PAGE_SIZE <= MAX_OFFSET {
            offset += PAGE_SIZE;
        } else {
            offset = 0;
            after = list
                .last()
                .and_then(|r| r["_id"].as_str())
                .map(str::to_owned);
            if after.is_none() {
                return Err(BenchError::msg("the last record has no _id"));
            }
        }
    }
    out.finish(started, order.ok, None)
}
