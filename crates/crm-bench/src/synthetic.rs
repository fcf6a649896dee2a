//! A synthetic Fxiaoke server for exports far larger than the embedded mock can page through.
//!
//! The embedded mock ([`fxiaoke_crm::mock::MockFxiaoke`]) answers each query page by filtering
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

use crate::payloads::{fxiaoke_index, write_fxiaoke_record};
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
}

impl SyntheticFxiaoke {
    /// Starts the server on `127.0.0.1:0`.
    pub async fn start(records: usize) -> std::io::Result<Self> {
        let app = Router::new()
            .route(FXIAOKE_TOKEN_PATH, post(token))
            .route(FXIAOKE_QUERY_PATH, post(query))
            .with_state(Shared { records });
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
    json_response(answer(shared.records, &body))
}

/// One query page: `offset`/`limit` over the records after the `_id GT` filter, if any.
fn answer(total: usize, body: &[u8]) -> Vec<u8> {
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
    let mut first = 0;
    for filter in info["filters"].as_array().into_iter().flatten() {
        let field = filter["field_name"].as_str();
        let op = filter["operator"].as_str();
        let value = filter["field_values"][0].as_str();
        match (field, op, value) {
            (Some("_id"), Some("GT"), Some(id)) => {
                first = fxiaoke_index(id).map_or(total, |i| i + 1);
            }
            _ => return error(10006, "the synthetic server only filters by `_id GT`"),
        }
    }
    let start = first.saturating_add(offset).min(total);
    let end = start.saturating_add(limit).min(total);
    let mut out = String::with_capacity(1_200 * (end - start) + 200);
    let _ = write!(
        out,
        r#"{{"errorCode":0,"errorMessage":"OK","errorDescription":"success","traceId":"E-O.synthetic.{start}","data":{{"total":{},"offset":{offset},"limit":{limit},"dataList":["#,
        total - first.min(total)
    );
    for i in start..end {
        if i > start {
            out.push(',');
        }
        write_fxiaoke_record(i, &mut out);
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
}
