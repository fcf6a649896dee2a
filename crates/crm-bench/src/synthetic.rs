//! A synthetic Fxiaoke server for exports far larger than the embedded mock can page through.
//!
//! The embedded mock ([`fxiaoke_crm_mock::MockFxiaoke`]) answers each query page by filtering
//! and sorting every stored record, so a page costs O(N log N): fine for tests, but a
//! 1,000,000-record export would need 10,000 such pages. This server speaks the same wire
//! protocol for the two calls an export makes (the token and `query` with offset paging and the
//! `_id GT` cursor, ordered by `_id`) and writes [`crate::payloads::fxiaoke_record`] records
//! on the fly ([`crate::payloads::write_fxiaoke_record`]): O(page) per request and no stored records, so only the client's memory grows
//! with the export, if anything does.

use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::payloads::{fxiaoke_index, write_fxiaoke_record, write_fxiaoke_record_modified};
use crate::{Credentials, FXIAOKE_QUERY_PATH, FXIAOKE_TOKEN_PATH};

const TOKEN: &str = "5f0c2a9e7b3d41c8a6e2f9d0b1c3e5a7";
const CORP_ID: &str = "FSCID_5A1B2C3D4E5F60718293A4B5C6D7E8F9";

/// A running synthetic server with `records` `PaymentObj` records. Stops when dropped.
#[derive(Debug)]
pub struct SyntheticFxiaoke {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

#[derive(Clone, Copy)]
struct Shared {
    records: usize,
    /// Sync mode: `last_modified_time` grows with the index in groups of this many records
    /// sharing one millisecond, and the incremental keyset's filters are answered.
    tie_group: Option<usize>,
}

/// The first `last_modified_time` of the sync mode: 2024-03-01 10:00 +08:00.
pub const SYNC_BASE_TIME: i64 = 1_709_258_400_000;

/// The `last_modified_time` of record `i` in the sync mode with groups of `group`.
pub fn sync_modified(i: usize, group: usize) -> i64 {
    SYNC_BASE_TIME + (i / group.max(1)) as i64 * 1_000
}

impl SyntheticFxiaoke {
    /// Starts the server on `127.0.0.1:0`.
    pub async fn start(records: usize) -> std::io::Result<Self> {
        Self::start_with(records, None).await
    }

    /// Starts the server in **sync mode**: the records' `last_modified_time` grows with their
    /// index, `tie_group` records sharing each millisecond (more than a page of them, as on a
    /// tenant after a bulk import), so the `(last_modified_time, _id)` order is the index
    /// order, and queries may filter `last_modified_time` (`ISN`, `IS`, `EQ`, `GT`, `GTE`,
    /// `LT`, `LTE`) and `_id GT`, ordered by `last_modified_time` and/or `_id` ascending:
    /// every request the incremental sync of `crm-sync` sends, still O(page).
    pub async fn start_for_sync(records: usize, tie_group: usize) -> std::io::Result<Self> {
        Self::start_with(records, Some(tie_group.max(1))).await
    }

    async fn start_with(records: usize, tie_group: Option<usize>) -> std::io::Result<Self> {
        let app = Router::new()
            .route(FXIAOKE_TOKEN_PATH, post(token))
            .route(FXIAOKE_QUERY_PATH, post(query))
            .with_state(Shared { records, tie_group });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            shutdown: Some(shutdown),
        })
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The credentials it accepts (any, in fact: it only checks the token of business calls).
    pub fn credentials() -> Credentials {
        Credentials {
            app_id: "FSAID_bench".into(),
            app_secret: "bench-secret".into(),
            permanent_code: "bench-permanent-code".into(),
            open_user_id: "FSUID_0253C6D7FC0E3A2CBB19F336CE000001".into(),
        }
    }
}

impl Drop for SyntheticFxiaoke {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn json_response(body: Vec<u8>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body,
    )
}

fn error(code: i64, message: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "errorCode": code,
        "errorMessage": message,
        "errorDescription": message,
        "traceId": "E-O.synthetic",
    }))
    .unwrap_or_default()
}

async fn token() -> impl IntoResponse {
    json_response(
        serde_json::to_vec(&json!({
            "errorCode": 0,
            "errorMessage": "OK",
            "corpAccessToken": TOKEN,
            "corpId": CORP_ID,
            "expiresIn": 7200,
        }))
        .unwrap_or_default(),
    )
}

async fn query(State(shared): State<Shared>, body: Bytes) -> impl IntoResponse {
    json_response(answer_with(shared, &body))
}

/// One query page of the export mode: `offset`/`limit` over the records after the `_id GT`
/// filter, if any.
#[cfg(test)]
fn answer(total: usize, body: &[u8]) -> Vec<u8> {
    answer_with(
        Shared {
            records: total,
            tie_group: None,
        },
        body,
    )
}

/// The first index whose sync-mode time is above `v` (`strict`) or at least `v`.
fn first_index(v: i64, group: usize, total: usize, strict: bool) -> usize {
    let d = v.saturating_sub(SYNC_BASE_TIME);
    // The first group whose time passes the bound.
    let g = if strict {
        if d < 0 { 0 } else { d / 1_000 + 1 }
    } else if d <= 0 {
        0
    } else {
        (d + 999) / 1_000
    };
    usize::try_from(g)
        .ok()
        .and_then(|g| g.checked_mul(group))
        .map_or(total, |i| i.min(total))
}

/// One query page: `offset`/`limit` over the index range the filters leave.
fn answer_with(shared: Shared, body: &[u8]) -> Vec<u8> {
    let total = shared.records;
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return error(10006, "the request body is not valid JSON");
    };
    if body.get("corpAccessToken").and_then(Value::as_str) != Some(TOKEN) {
        return error(20016, "corpAccessToken error");
    }
    let info = &body["data"]["search_query_info"];
    let limit = info["limit"].as_u64().unwrap_or(20).clamp(1, 100) as usize;
    let offset = info["offset"].as_u64().unwrap_or(0) as usize;
    if offset > 10_000 {
        return error(10013, "offset out of range 10000");
    }
    let (mut lo, mut hi) = (0, total);
    for filter in info["filters"].as_array().into_iter().flatten() {
        let field = filter["field_name"].as_str();
        let op = filter["operator"].as_str();
        let value = filter["field_values"][0].as_str();
        match (shared.tie_group, field, op, value) {
            (_, Some("_id"), Some("GT"), Some(id)) => {
                lo = lo.max(fxiaoke_index(id).map_or(total, |i| i + 1));
            }
            (Some(_), Some("last_modified_time"), Some("ISN"), _) => {}
            (Some(_), Some("last_modified_time"), Some("IS"), _) => hi = 0,
            (Some(group), Some("last_modified_time"), Some(op), Some(v)) => {
                let Ok(v) = v.trim().parse::<i64>() else {
                    return error(10006, "last_modified_time takes epoch milliseconds");
                };
                let (at_least, above) = (
                    first_index(v, group, total, false),
                    first_index(v, group, total, true),
                );
                match op {
                    "GT" => lo = lo.max(above),
                    "GTE" => lo = lo.max(at_least),
                    "LT" => hi = hi.min(at_least),
                    "LTE" => hi = hi.min(above),
                    "EQ" => {
                        lo = lo.max(at_least);
                        hi = hi.min(above);
                    }
                    _ => return error(10006, "an operator the synthetic server does not know"),
                }
            }
            (None, ..) => return error(10006, "the synthetic server only filters by `_id GT`"),
            _ => return error(10006, "a filter the synthetic server does not know"),
        }
    }
    if shared.tie_group.is_some() {
        for order in info["orders"].as_array().into_iter().flatten() {
            let known = matches!(
                order["fieldName"].as_str(),
                Some("_id" | "last_modified_time")
            );
            if !known || order["isAsc"].as_bool() == Some(false) {
                return error(
                    10006,
                    "the synthetic server orders by last_modified_time and _id, ascending",
                );
            }
        }
    }
    let first = lo.min(hi);
    let start = first.saturating_add(offset).min(hi);
    let end = start.saturating_add(limit).min(hi);
    let mut out = String::with_capacity(1_200 * (end - start) + 200);
    let _ = write!(
        out,
        r#"{{"errorCode":0,"errorMessage":"OK","errorDescription":"success","traceId":"E-O.synthetic.{start}","data":{{"total":{},"offset":{offset},"limit":{limit},"dataList":["#,
        hi - first
    );
    for i in start..end {
        if i > start {
            out.push(',');
        }
        match shared.tie_group {
            Some(group) => write_fxiaoke_record_modified(i, sync_modified(i, group), &mut out),
            None => write_fxiaoke_record(i, &mut out),
        }
    }
    out.push_str("]}}");
    out.into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ids(body: &[u8]) -> Vec<String> {
        let v: Value = serde_json::from_slice(body).unwrap();
        v["data"]["dataList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["_id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn pages_by_offset_and_by_cursor() {
        let q = |offset: usize, after: Option<String>| {
            let filters: Vec<Value> = after
                .into_iter()
                .map(|id| json!({"field_name": "_id", "field_values": [id], "operator": "GT"}))
                .collect();
            serde_json::to_vec(&json!({
                "corpAccessToken": TOKEN,
                "data": {"search_query_info": {"limit": 100, "offset": offset, "filters": filters}}
            }))
            .unwrap()
        };
        let page = ids(&answer(250, &q(200, None)));
        assert_eq!(page.len(), 50);
        assert_eq!(page[0], crate::payloads::fxiaoke_id(200));
        let page = ids(&answer(250, &q(0, Some(crate::payloads::fxiaoke_id(99)))));
        assert_eq!(page.len(), 100);
        assert_eq!(page[0], crate::payloads::fxiaoke_id(100));
        let v: Value = serde_json::from_slice(&answer(250, &q(20_000, None))).unwrap();
        assert_eq!(v["errorCode"], 10013);
    }

    #[test]
    fn sync_mode_answers_the_keyset_of_an_incremental_sync() {
        let shared = Shared {
            records: 1_000,
            tie_group: Some(150),
        };
        let q = |filters: Value| {
            serde_json::to_vec(&json!({
                "corpAccessToken": TOKEN,
                "data": {"search_query_info": {
                    "limit": 100, "offset": 0, "filters": filters,
                    "orders": [{"fieldName": "last_modified_time", "isAsc": true},
                               {"fieldName": "_id", "isAsc": true}],
                }}
            }))
            .unwrap()
        };
        let page = |filters: Value| -> (Vec<String>, u64) {
            let body = answer_with(shared, &q(filters));
            let v: Value = serde_json::from_slice(&body).unwrap();
            (ids(&body), v["data"]["total"].as_u64().unwrap())
        };
        let t = |i: usize| sync_modified(i, 150).to_string();
        let id = crate::payloads::fxiaoke_id;
        // The first page: ordered, 1,000 in all.
        let (first, total) = page(
            json!([{"field_name": "last_modified_time", "field_values": [], "operator": "ISN"}]),
        );
        assert_eq!((first[0].clone(), first.len(), total), (id(0), 100, 1_000));
        // The rest of a tie group: EQ t AND _id GT id.
        let (tie, total) = page(json!([
            {"field_name": "last_modified_time", "field_values": [t(160)], "operator": "EQ"},
            {"field_name": "_id", "field_values": [id(160)], "operator": "GT"},
        ]));
        assert_eq!((tie[0].clone(), total), (id(161), 139));
        // Beyond a value, and from the start of a millisecond.
        let (beyond, total) = page(
            json!([{"field_name": "last_modified_time", "field_values": [t(160)], "operator": "GT"}]),
        );
        assert_eq!((beyond[0].clone(), total), (id(300), 700));
        let (from, total) = page(
            json!([{"field_name": "last_modified_time", "field_values": [t(160)], "operator": "GTE"}]),
        );
        assert_eq!((from[0].clone(), total), (id(150), 850));
        // Empty values: none.
        let (empty, total) = page(
            json!([{"field_name": "last_modified_time", "field_values": [], "operator": "IS"}]),
        );
        assert_eq!((empty.len(), total), (0, 0));
        // Each record carries its time.
        let body = answer_with(shared, &q(json!([])));
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v["data"]["dataList"][0]["last_modified_time"].as_i64(),
            Some(SYNC_BASE_TIME)
        );
    }
}
