//! The mock's HTTP side: rate limit, signature check, routing and the envelope.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::rules::{self, REPLAY_WINDOW, headers as auth};
use super::store::{Reject, bad_request, parse_search};
use super::{Injection, MockState};

/// Nonces seen recently, per appid, against replay.
#[derive(Debug, Default)]
pub(crate) struct NonceLog {
    seen: HashMap<(String, String), Instant>,
}

impl NonceLog {
    /// Records `nonce`; `false` if it was already used within the replay window.
    fn first_use(&mut self, appid: &str, nonce: &str) -> bool {
        let now = Instant::now();
        self.seen
            .retain(|_, at| now.duration_since(*at) < REPLAY_WINDOW);
        let key = (appid.to_owned(), nonce.to_owned());
        if self.seen.contains_key(&key) {
            return false;
        }
        self.seen.insert(key, now);
        true
    }
}

pub(crate) fn router(state: Arc<MockState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

fn trace_id(state: &MockState) -> String {
    format!(
        "mock-{:016x}",
        state.trace_seq.fetch_add(1, Ordering::Relaxed)
    )
}

fn ok(state: &MockState, data: Value) -> Response {
    let body = json!({
        "success": true,
        "message": "200 ok!",
        "code": "200",
        "traceId": trace_id(state),
        "data": data,
    });
    (StatusCode::OK, Json(body)).into_response()
}

fn fail(state: &MockState, status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "success": false,
        "message": message,
        "code": code,
        "traceId": trace_id(state),
        "data": null,
    });
    (status, Json(body)).into_response()
}

fn rejected(state: &MockState, reject: Reject) -> Response {
    fail(state, StatusCode::OK, reject.code, &reject.message)
}

fn header_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Checks the signature headers; the error message says what is wrong.
fn authenticate(state: &MockState, headers: &HeaderMap) -> Result<(), String> {
    let appid = header_value(headers, auth::APPID);
    let nonce = header_value(headers, auth::NONCE);
    let timestamp = header_value(headers, auth::TIMESTAMP);
    let signature = header_value(headers, auth::SIGNATURE);
    if let Some(sig) = signature {
        let mut seen = state.signatures.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= 1024 {
            seen.pop_front();
        }
        seen.push_back(sig.to_owned());
    }
    let (Some(appid), Some(nonce), Some(timestamp), Some(signature)) =
        (appid, nonce, timestamp, signature)
    else {
        let missing: Vec<&str> = [
            (auth::APPID, appid.is_none()),
            (auth::NONCE, nonce.is_none()),
            (auth::TIMESTAMP, timestamp.is_none()),
            (auth::SIGNATURE, signature.is_none()),
        ]
        .into_iter()
        .filter_map(|(n, absent)| absent.then_some(n))
        .collect();
        return Err(format!(
            "缺少鉴权请求头 missing authentication header(s): {}",
            missing.join(", ")
        ));
    };
    if appid != state.credentials.appid {
        return Err(format!("appid不存在 unknown appid {appid:?}"));
    }
    if nonce.len() != 6 || !nonce.bytes().all(|b| b.is_ascii_digit()) {
        return Err("nonce必须为6位随机数 nonce must be a 6-digit number".into());
    }
    let Ok(ts) = timestamp.parse::<i64>() else {
        return Err("timestamp无效 timestamp must be Unix seconds".into());
    };
    let skew = chrono::Utc::now()
        .timestamp()
        .saturating_sub(ts)
        .unsigned_abs();
    if skew > REPLAY_WINDOW.as_secs() {
        return Err(format!(
            "时间戳过期 timestamp expired: {skew} s from server time (more than 5 minutes)"
        ));
    }
    let expected = rules::signature(
        state.credentials.secret.expose_secret(),
        appid,
        timestamp,
        nonce,
    );
    if expected.is_empty() || expected != signature {
        if state.echo_secrets.load(Ordering::Relaxed) {
            return Err(format!("签名验证失败 signature invalid: {signature}"));
        }
        return Err("签名验证失败 signature invalid".into());
    }
    let mut nonces = state.nonces.lock().unwrap_or_else(|e| e.into_inner());
    if !nonces.first_use(appid, nonce) {
        return Err("nonce重复 nonce already used within 5 minutes (replay rejected)".into());
    }
    Ok(())
}

/// The JSON object of a POST body (`{}` when empty).
fn object(body: &[u8]) -> Result<Map<String, Value>, Reject> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_request(
            "请求体必须是JSON对象 the body must be a JSON object",
        )),
        Err(e) => Err(bad_request(format!(
            "请求体不是合法JSON the body is not valid JSON: {e}"
        ))),
    }
}

/// A positive integer member (number or numeric string), or `default` when absent.
fn positive(body: &Map<String, Value>, key: &str, default: i64) -> Result<i64, Reject> {
    let n = match body.get(key) {
        None | Some(Value::Null) => return Ok(default),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    match n {
        Some(n) if n > 0 => Ok(n),
        _ => Err(bad_request(format!(
            "{key}必须是正整数 `{key}` must be a positive integer"
        ))),
    }
}

#[derive(Clone, Copy)]
enum Route<'a> {
    Add,
    Update,
    List,
    Delete,
    FieldList,
    Find(&'a str),
}

fn route(path: &str) -> Option<(Route<'_>, bool)> {
    // (route, whether GET is allowed besides POST)
    let rest = path.strip_prefix("/openapi/crm/")?;
    Some(match rest {
        "add" => (Route::Add, false),
        "update" => (Route::Update, false),
        "list" => (Route::List, false),
        "delete" => (Route::Delete, false),
        "config/field/list" => (Route::FieldList, false),
        _ => {
            let id = rest.strip_prefix("findById/").unwrap_or(rest);
            if id.is_empty() || id.contains('/') {
                return None;
            }
            (Route::Find(id), true)
        }
    })
}

async fn handle(
    State(state): State<Arc<MockState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let state = &*state;
    let appid = header_value(&headers, auth::APPID).unwrap_or("-");
    if state.rate_limiting.load(Ordering::Relaxed) && !state.limiter.check(appid) {
        return fail(
            state,
            StatusCode::TOO_MANY_REQUESTS,
            "429",
            "请求过于频繁 too many requests: openAPI calls are limited to 10 per second",
        );
    }
    if let Err(message) = authenticate(state, &headers) {
        let status = StatusCode::from_u16(state.auth_error_status.load(Ordering::Relaxed))
            .unwrap_or(StatusCode::UNAUTHORIZED);
        return fail(state, status, "401", &message);
    }
    let allowed = route(uri.path()).filter(|(r, _)| match r {
        Route::Find(_) => {
            let curl_form = uri.path().contains("/findById/");
            match state.find_by_id_forms.load(Ordering::Relaxed) {
                super::FIND_CURL_ONLY => curl_form,
                super::FIND_HEADING_ONLY => !curl_form,
                _ => true,
            }
        }
        _ => true,
    });
    let Some((route, get_allowed)) = allowed else {
        return fail(
            state,
            StatusCode::NOT_FOUND,
            "404",
            "接口不存在 no such endpoint",
        );
    };
    if method != Method::POST && !(get_allowed && method == Method::GET) {
        return fail(
            state,
            StatusCode::METHOD_NOT_ALLOWED,
            "405",
            "请求方法不支持 method not allowed",
        );
    }
    let body = if method == Method::POST {
        match object(&body) {
            Ok(map) => map,
            Err(reject) => {
                return fail(state, StatusCode::BAD_REQUEST, reject.code, &reject.message);
            }
        }
    } else {
        Map::new()
    };
    match state.next_injection(uri.path()) {
        Some(Injection::Code(code, message)) => {
            return fail(state, StatusCode::OK, &code, &message);
        }
        Some(Injection::Raw(body)) => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
        }
        None => {}
    }
    let mut store = state.store();
    let max_page_size = store.max_page_size;
    let result = match route {
        Route::Add => store.add(body),
        Route::Update => store.update(body),
        Route::Find(id) => store.find(id),
        Route::Delete => store.delete(&body).map(|()| Value::Null),
        Route::FieldList => Ok(store.field_list(&body)),
        Route::List => (|| {
            let limit = positive(&body, "limit", super::DEFAULT_LIMIT)?;
            let limit = max_page_size.map_or(limit, |max| limit.min(max.max(1)));
            let page = positive(&body, "page", 1)?;
            let conditions = parse_search(body.get("search"))?;
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            let page = usize::try_from(page).unwrap_or(usize::MAX);
            state.before_list(&mut store);
            Ok(store.list(&conditions, limit, page))
        })(),
    };
    drop(store);
    match result {
        Ok(data) => ok(state, data),
        Err(reject) => rejected(state, reject),
    }
}
