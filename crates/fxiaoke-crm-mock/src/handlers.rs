//! The HTTP side of the mock: routing, the envelope, quotas, authentication and one function
//! per operation. Every answer is built by [`handle`], a plain function of the shared state,
//! the path and the body, so it can be tested without a socket.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::oauth2::{self, HeaderAuth};
use super::query::{self, Limits};
use super::store::{self, FieldDef, Origin, Stamp};
use super::{ApiFail, Shared, codes, now_ms};

/// Largest request body read (larger ones answer `10006`).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The mock's router: every request goes through [`dispatch`].
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(dispatch).with_state(shared)
}

async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let auth = HeaderAuth::from_headers(request.headers());
    if Route::parse(&path).is_none() {
        return (
            StatusCode::NOT_FOUND,
            format!("no such endpoint in the Fxiaoke mock: {path}"),
        )
            .into_response();
    }
    if request.method() != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "the Fxiaoke API only accepts POST",
        )
            .into_response();
    }
    let answer = match to_bytes(request.into_body(), MAX_BODY).await {
        Ok(body) => respond(&shared, &path, &auth, &body),
        Err(e) => Some(Body::Value(envelope(
            &shared,
            Err(ApiFail::new(
                codes::PARAM,
                "参数不合法",
                format!("cannot read the request body: {e}"),
            )),
            "OK",
        ))),
    };
    match answer {
        Some(Body::Value(answer)) => Json(answer).into_response(),
        Some(Body::Text(text)) => {
            ([(header::CONTENT_TYPE, "application/json")], text).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// An answer: a JSON value, or its text already written (a query page, written from the stored
/// records' JSON text without parsing them).
pub(crate) enum Body {
    Value(Value),
    Text(String),
}

/// A data operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Create,
    Update,
    Get,
    Query,
    Invalid,
    Delete,
    Recover,
    ChangeOwner,
}

/// An endpoint of the mock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Token,
    OAuth2Token,
    UserByMobile,
    ObjectList,
    Describe,
    Data { custom: bool, action: Action },
}

impl Route {
    pub(crate) fn parse(path: &str) -> Option<Self> {
        match path {
            "/cgi/corpAccessToken/get/V2" => return Some(Self::Token),
            oauth2::TOKEN_PATH => return Some(Self::OAuth2Token),
            "/cgi/user/getByMobile" => return Some(Self::UserByMobile),
            "/cgi/crm/v2/object/list" => return Some(Self::ObjectList),
            "/cgi/crm/v2/object/describe" => return Some(Self::Describe),
            _ => {}
        }
        let (custom, action) = if let Some(a) = path.strip_prefix("/cgi/crm/v2/data/") {
            (false, a)
        } else {
            (true, path.strip_prefix("/cgi/crm/custom/v2/data/")?)
        };
        let action = match action {
            "create" => Action::Create,
            "update" => Action::Update,
            "get" => Action::Get,
            "query" => Action::Query,
            "invalid" => Action::Invalid,
            "delete" => Action::Delete,
            "recover" => Action::Recover,
            "changeOwner" => Action::ChangeOwner,
            _ => return None,
        };
        Some(Self::Data { custom, action })
    }
}

/// The answer to a POST of `body` to `path` without header credentials; `None` for a path the
/// mock does not serve.
#[cfg(test)]
pub(crate) fn handle(shared: &Shared, path: &str, body: &[u8]) -> Option<Value> {
    handle_with(shared, path, &HeaderAuth::default(), body)
}

/// The answer to a POST of `body` with the header credentials `auth` (OAuth2 flow) to `path`,
/// as a JSON value.
#[cfg(test)]
pub(crate) fn handle_with(
    shared: &Shared,
    path: &str,
    auth: &HeaderAuth,
    body: &[u8],
) -> Option<Value> {
    Some(match respond(shared, path, auth, body)? {
        Body::Value(v) => v,
        Body::Text(t) => serde_json::from_str(&t).unwrap_or(Value::Null),
    })
}

/// The answer to a POST of `body` with the header credentials `auth` (OAuth2 flow) to `path`.
fn respond(shared: &Shared, path: &str, auth: &HeaderAuth, body: &[u8]) -> Option<Body> {
    let route = Route::parse(path)?;
    let raw = RefCell::new(None);
    let (result, ok_message) = match route {
        Route::Token => {
            shared.token_calls.fetch_add(1, Ordering::Relaxed);
            (token(shared, path, body), "success")
        }
        Route::OAuth2Token => return Some(Body::Value(oauth2::token_answer(shared, path, body))),
        Route::UserByMobile => (business(shared, route, path, auth, body, &raw), "success"),
        _ => (business(shared, route, path, auth, body, &raw), "OK"),
    };
    let answer = envelope(shared, result, ok_message);
    Some(match raw.into_inner() {
        Some(texts) => splice(answer, texts),
        None => Body::Value(answer),
    })
}

/// The answer with the records' JSON texts as its `data.dataList` (empty in `answer`).
fn splice(mut answer: Value, texts: Vec<String>) -> Body {
    const EMPTY: &str = "\"dataList\":[]";
    // Serialising a JSON value cannot fail. The unescaped key can only be the key itself:
    // a string value holding it would have its quotes escaped.
    let text = serde_json::to_string(&answer).unwrap_or_default();
    if let Some(at) = text.find(EMPTY) {
        let mut out =
            String::with_capacity(text.len() + texts.iter().map(|t| t.len() + 1).sum::<usize>());
        out.push_str(&text[..at]);
        out.push_str("\"dataList\":[");
        out.push_str(&texts.join(","));
        out.push(']');
        out.push_str(&text[at + EMPTY.len()..]);
        return Body::Text(out);
    }
    // Not reached (the page always has the key); parse the records then.
    if let Some(list) = answer.pointer_mut("/data/dataList") {
        *list = Value::Array(
            texts
                .iter()
                .filter_map(|t| serde_json::from_str(t).ok())
                .collect(),
        );
    }
    Body::Value(answer)
}

/// `{errorCode, errorMessage, errorDescription, traceId, ...fields}`.
fn envelope(
    shared: &Shared,
    result: Result<Map<String, Value>, ApiFail>,
    ok_message: &str,
) -> Value {
    let mut out = Map::new();
    match result {
        Ok(fields) => {
            out.insert("errorCode".into(), Value::from(0));
            out.insert("errorMessage".into(), Value::from(ok_message));
            out.insert("errorDescription".into(), Value::from("success"));
            out.extend(fields);
        }
        Err(fail) => {
            out.insert("errorCode".into(), Value::from(fail.code));
            out.insert("errorMessage".into(), Value::from(fail.message));
            out.insert("errorDescription".into(), Value::from(fail.description));
        }
    }
    out.insert("traceId".into(), Value::from(shared.trace_id()));
    Value::Object(out)
}

fn fields(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// `30004` when `path` is over its quota.
pub(crate) fn check_quota(
    shared: &Shared,
    token_endpoint: bool,
    path: &str,
) -> Result<(), ApiFail> {
    let (limiter, quota) = if token_endpoint {
        (
            shared.token_limiter.as_ref(),
            shared.settings.token_rate_limit,
        )
    } else {
        (shared.limiter.as_ref(), shared.settings.rate_limit)
    };
    match (limiter, quota) {
        (Some(limiter), Some((max, window))) if !limiter.check(path) => {
            shared.rate_rejections.fetch_add(1, Ordering::Relaxed);
            Err(ApiFail::new(
                codes::RATE_LIMITED,
                "访问频率超限",
                format!("rate limit exceeded: at most {max} calls per {window:?} to {path}"),
            ))
        }
        _ => Ok(()),
    }
}

pub(crate) fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ApiFail> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiFail::new(
            codes::PARAM,
            "参数不合法",
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiFail::new(
            codes::PARAM,
            "参数不合法",
            format!("the request body is not valid JSON: {e}"),
        )),
    }
}

pub(crate) fn nonempty_str<'a>(
    map: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a str, ApiFail> {
    match map.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiFail::missing(name)),
    }
}

fn token(shared: &Shared, path: &str, body: &[u8]) -> Result<Map<String, Value>, ApiFail> {
    check_quota(shared, true, path)?;
    let body = parse_body(body)?;
    let app_id = nonempty_str(&body, "appId")?;
    let app_secret = nonempty_str(&body, "appSecret")?;
    let permanent_code = nonempty_str(&body, "permanentCode")?;
    let c = &shared.credentials;
    if app_id != c.app_id || app_secret != c.app_secret {
        return Err(ApiFail::new(
            codes::APP_CREDENTIALS,
            "appId or appSecret is error",
            "应用ID或应用密钥错误",
        ));
    }
    if permanent_code != c.permanent_code {
        return Err(ApiFail::new(
            codes::PERMANENT_CODE,
            "permanentCode is error",
            "永久授权码错误",
        ));
    }
    let token = shared.random_token();
    {
        let mut state = shared.state();
        state
            .tokens
            .insert(token.clone(), std::time::Instant::now());
        state.issued.push(token.clone());
    }
    Ok(fields([
        ("corpAccessToken", Value::from(token)),
        ("corpId", Value::from(c.corp_id.clone())),
        (
            "expiresIn",
            Value::from(shared.settings.token_lifetime.as_secs()),
        ),
    ]))
}

/// Checks the three auth keys; returns the operator (`currentOpenUserId`) when required.
fn authenticate(
    shared: &Shared,
    body: &Map<String, Value>,
    need_operator: bool,
) -> Result<String, ApiFail> {
    let invalid = || {
        ApiFail::new(
            codes::TOKEN_INVALID,
            "the cropId,cropAccessToken or authorization is error",
            "corpAccessToken 无效或已过期，或与 corpId 不匹配",
        )
    };
    let token = match body.get("corpAccessToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(invalid()),
    };
    let Some(token) = token else {
        return Err(ApiFail::new(
            codes::TOKEN_MISSING,
            "corpAccessToken为必填项，不能为空",
            "corpAccessToken is required",
        ));
    };
    let lifetime = shared.settings.token_lifetime;
    let valid = shared
        .state()
        .tokens
        .get(token)
        .is_some_and(|issued| issued.elapsed() < lifetime);
    if !valid {
        let mut fail = invalid();
        if shared.settings.live.echo_secrets {
            fail.message = format!("{}: {token}", fail.message);
        }
        return Err(fail);
    }
    match body.get("corpId") {
        Some(Value::String(s)) if *s == shared.credentials.corp_id => {}
        _ => return Err(invalid()),
    }
    if !need_operator {
        return Ok(String::new());
    }
    match body.get("currentOpenUserId") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            if shared.employee(s).is_none() {
                return Err(ApiFail::new(
                    codes::USER_NOT_FOUND,
                    format!("openUserId not found: {s}"),
                    "员工不存在",
                ));
            }
            Ok(s.clone())
        }
        _ => Err(ApiFail::new(
            codes::PARAM,
            "currentOpenUserId 不能为空",
            "the parameter currentOpenUserId is missing or illegal",
        )),
    }
}

fn business(
    shared: &Shared,
    route: Route,
    path: &str,
    auth: &HeaderAuth,
    body: &[u8],
    raw: &RefCell<Option<Vec<String>>>,
) -> Result<Map<String, Value>, ApiFail> {
    check_quota(shared, false, path)?;
    let mut body = parse_body(body)?;
    let session = oauth2::authenticate(shared, auth, &mut body)?;
    let operator = match &session {
        Some(session) => session.operator.clone(),
        None => authenticate(shared, &body, route != Route::UserByMobile)?,
    };
    // An OAuth2 session may rewrite the answer's ids: its pages are built as values.
    let raw = if session.is_none() { Some(raw) } else { None };
    let mut result = answer(shared, route, &body, &operator, raw);
    if let (Some(session), Ok(fields)) = (&session, &mut result) {
        session.present(shared, fields);
    }
    result
}

/// The answer of an authenticated business call.
fn answer(
    shared: &Shared,
    route: Route,
    body: &Map<String, Value>,
    operator: &str,
    raw: Option<&RefCell<Option<Vec<String>>>>,
) -> Result<Map<String, Value>, ApiFail> {
    match route {
        Route::Token | Route::OAuth2Token => Err(ApiFail::param("unexpected route")),
        Route::UserByMobile => user_by_mobile(shared, body),
        Route::ObjectList => Ok(object_list(shared)),
        Route::Describe => describe(shared, body),
        Route::Data { custom, action } => {
            let ctx = Ctx {
                shared,
                body,
                data: data_of(body)?,
                custom,
                operator,
                raw,
            };
            match action {
                Action::Create => ctx.create(),
                Action::Update => ctx.update(),
                Action::Get => ctx.get(),
                Action::Query => ctx.query(),
                Action::Invalid => ctx.invalid(),
                Action::Delete => ctx.delete(),
                Action::Recover => ctx.recover(),
                Action::ChangeOwner => ctx.change_owner(),
            }
        }
    }
}

fn user_by_mobile(
    shared: &Shared,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiFail> {
    let mobile = nonempty_str(body, "mobile")?.trim();
    let employees: Vec<Value> = shared
        .directory
        .iter()
        .filter(|e| e.mobile == mobile)
        .map(super::Employee::to_json)
        .collect();
    Ok(fields([("empList", Value::Array(employees))]))
}

fn data_of(body: &Map<String, Value>) -> Result<&Map<String, Value>, ApiFail> {
    match body.get("data") {
        Some(Value::Object(data)) => Ok(data),
        _ => Err(ApiFail::missing("data")),
    }
}

fn is_custom(api_name: &str) -> bool {
    api_name.ends_with("__c")
}

fn define_type(api_name: &str) -> &'static str {
    if is_custom(api_name) {
        "custom"
    } else {
        "package"
    }
}

fn object_missing(api_name: &str, why: &str) -> ApiFail {
    ApiFail::business(format!("对象不存在: {api_name}"), why.to_owned())
}

fn not_found(api_name: &str, id: &str) -> ApiFail {
    ApiFail::business(
        format!("数据不存在: {api_name} {id}"),
        "no record with this _id (never created, or deleted)",
    )
}

/// Refuses edits of voided records, and of locked ones unless `skip_status`.
fn check_editable(
    record: &Map<String, Value>,
    api_name: &str,
    skip_status: bool,
) -> Result<(), ApiFail> {
    let id = record
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if record.get("life_status").and_then(Value::as_str) == Some("invalid") {
        return Err(ApiFail::business(
            format!("数据已作废，不能编辑: {api_name} {id}"),
            "the record is voided; recover it first",
        ));
    }
    if !skip_status && record.get("lock_status").and_then(Value::as_str) == Some("1") {
        return Err(ApiFail::business(
            format!("数据已锁定: {api_name} {id}"),
            "the record is locked; send skipDataStatusValidate: true to edit it",
        ));
    }
    Ok(())
}

type Details = Vec<(String, Vec<Map<String, Value>>)>;

fn parse_details(value: Option<&Value>) -> Result<Details, ApiFail> {
    let map = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(ApiFail::param(
                "details must be a map of detail API name to a list of records",
            ));
        }
    };
    let mut out = Vec::new();
    for (api_name, items) in map {
        let bad = || ApiFail::param(format!("details.{api_name} must be a list of records"));
        if api_name.trim().is_empty() {
            return Err(ApiFail::param("details: empty detail API name"));
        }
        let records = match items {
            Value::Null => continue,
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_object().cloned().ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(bad()),
        };
        out.push((api_name.clone(), records));
    }
    Ok(out)
}

fn given_id(record: &Map<String, Value>) -> Option<&str> {
    record
        .get("_id")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn id_list(data: &Map<String, Value>) -> Result<Vec<String>, ApiFail> {
    match data.get("idList") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
                _ => Err(ApiFail::param("idList must hold record id strings")),
            })
            .collect(),
        _ => Err(ApiFail::missing("idList")),
    }
}

fn owner_ids(value: Option<&Value>, index: usize) -> Result<Vec<Value>, ApiFail> {
    let bad = || {
        ApiFail::param(format!(
            "Data[{index}].ownerId must be a non-empty list of employee ids"
        ))
    };
    let scalar = |v: &Value| match v {
        Value::String(s) if !s.trim().is_empty() => Some(Value::String(s.trim().to_owned())),
        Value::Number(n) => Some(Value::String(n.to_string())),
        _ => None,
    };
    let ids: Vec<Value> = match value {
        Some(Value::Array(items)) => items
            .iter()
            .map(scalar)
            .collect::<Option<_>>()
            .ok_or_else(bad)?,
        // One doc page writes `"[1000]"`; accept that and a single id.
        Some(Value::String(s)) if s.trim_start().starts_with('[') => {
            match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(items)) => items
                    .iter()
                    .map(scalar)
                    .collect::<Option<_>>()
                    .ok_or_else(bad)?,
                _ => return Err(bad()),
            }
        }
        Some(v @ (Value::String(_) | Value::Number(_))) => scalar(v).into_iter().collect(),
        _ => return Err(bad()),
    };
    if ids.is_empty() { Err(bad()) } else { Ok(ids) }
}

/// One data call.
struct Ctx<'a> {
    shared: &'a Shared,
    body: &'a Map<String, Value>,
    data: &'a Map<String, Value>,
    custom: bool,
    operator: &'a str,
    /// Where a query may leave its records' JSON texts instead of values (see [`Body`]).
    raw: Option<&'a RefCell<Option<Vec<String>>>>,
}

impl Ctx<'_> {
    fn stamp(&self) -> Stamp<'_> {
        Stamp {
            now_ms: now_ms(),
            user: self.operator,
        }
    }

    /// A boolean flag, at the top level or in `data`.
    fn flag(&self, name: &str) -> bool {
        [self.body.get(name), self.data.get(name)]
            .into_iter()
            .flatten()
            .any(|v| matches!(v, Value::Bool(true)) || v.as_str() == Some("true"))
    }

    /// Checks that the object's kind matches the path.
    fn check_path(&self, api_name: &str) -> Result<(), ApiFail> {
        match (is_custom(api_name), self.custom) {
            (true, false) => Err(object_missing(
                api_name,
                "custom objects (API name ending in __c) use /cgi/crm/custom/v2/data/*",
            )),
            (false, true) => Err(object_missing(
                api_name,
                "preset objects use /cgi/crm/v2/data/*; /cgi/crm/custom/v2/data/* is for API names ending in __c",
            )),
            _ => Ok(()),
        }
    }

    /// `data.dataObjectApiName`, checked against the path.
    fn api_name(&self) -> Result<&str, ApiFail> {
        let api_name = nonempty_str(self.data, "dataObjectApiName")?;
        self.check_path(api_name)?;
        Ok(api_name)
    }

    /// `data.object_data` and its `dataObjectApiName` (also accepted in `data`).
    fn object_data(&self) -> Result<(Map<String, Value>, String), ApiFail> {
        let object_data = match self.data.get("object_data") {
            Some(Value::Object(m)) => m.clone(),
            _ => return Err(ApiFail::missing("object_data")),
        };
        let api_name = match object_data
            .get("dataObjectApiName")
            .or_else(|| self.data.get("dataObjectApiName"))
        {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => return Err(ApiFail::missing("dataObjectApiName")),
        };
        self.check_path(&api_name)?;
        Ok((object_data, api_name))
    }

    fn create(&self) -> Result<Map<String, Value>, ApiFail> {
        let (object_data, api_name) = self.object_data()?;
        let details = parse_details(self.data.get("details"))?;
        let origin = Origin::Api {
            honor_time: self.flag("hasSpecifyTime"),
            honor_created_by: self.flag("hasSpecifyCreatedBy"),
        };
        let stamp = self.stamp();
        let mut state = self.shared.state();
        // Validate everything first: a failed create leaves no trace.
        let mut seen = HashSet::new();
        for (detail_api, items) in &details {
            for id in items.iter().filter_map(given_id) {
                if state.store.get(detail_api, id).is_some()
                    || !seen.insert((detail_api.as_str(), id))
                {
                    return Err(ApiFail::business(
                        format!("数据已存在: {detail_api} {id}"),
                        "a detail record with this _id exists already",
                    ));
                }
            }
        }
        let id = state.store.create(&api_name, object_data, stamp, origin)?;
        for (detail_api, items) in details {
            for item in items {
                state
                    .store
                    .create_detail(&api_name, &id, &detail_api, item, stamp, origin)?;
            }
        }
        Ok(fields([("dataId", Value::String(id))]))
    }

    fn update(&self) -> Result<Map<String, Value>, ApiFail> {
        let (object_data, api_name) = self.object_data()?;
        let id = nonempty_str(&object_data, "_id")?.to_owned();
        let details = parse_details(self.data.get("details"))?;
        let skip_status = self.flag("skipDataStatusValidate");
        let stamp = self.stamp();
        let mut state = self.shared.state();
        let record = state
            .store
            .get(&api_name, &id)
            .ok_or_else(|| not_found(&api_name, &id))?;
        check_editable(&record, &api_name, skip_status)?;
        for (detail_api, items) in &details {
            for detail_id in items.iter().filter_map(given_id) {
                let detail = state
                    .store
                    .get(detail_api, detail_id)
                    .ok_or_else(|| not_found(detail_api, detail_id))?;
                check_editable(&detail, detail_api, skip_status)?;
            }
        }
        state.store.update(&api_name, &id, object_data, stamp);
        let origin = Origin::Api {
            honor_time: false,
            honor_created_by: false,
        };
        for (detail_api, items) in details {
            for item in items {
                match given_id(&item).map(str::to_owned) {
                    Some(detail_id) => {
                        state.store.update(&detail_api, &detail_id, item, stamp);
                    }
                    None => {
                        state.store.create_detail(
                            &api_name,
                            &id,
                            &detail_api,
                            item,
                            stamp,
                            origin,
                        )?;
                    }
                }
            }
        }
        Ok(Map::new())
    }

    fn get(&self) -> Result<Map<String, Value>, ApiFail> {
        let api_name = self.api_name()?;
        let id = nonempty_str(self.data, "objectDataId")?;
        let state = self.shared.state();
        let record = state
            .store
            .get(api_name, id)
            .ok_or_else(|| not_found(api_name, id))?;
        Ok(fields([(
            "data",
            Value::Object(query::project(&record, None)),
        )]))
    }

    fn query(&self) -> Result<Map<String, Value>, ApiFail> {
        let api_name = self.api_name()?;
        let settings = &self.shared.settings;
        let limits = Limits {
            max_limit: settings.max_limit,
            max_offset: settings.max_offset,
        };
        let search = query::parse(self.data.get("search_query_info"), limits)?;
        let no_count = self.data.get("find_explicit_total_num") == Some(&Value::Bool(false))
            || self
                .body
                .get("returnTotalNum")
                .is_some_and(|v| v.as_i64() == Some(3) || v.as_str() == Some("3"));
        let mut state = self.shared.state();
        let seed = self.shared.before_query(&mut state, api_name);
        let page = query::execute_indexed(
            state.store.table(api_name).map(|t| &t.records),
            &search,
            self.shared.sorting(),
            seed,
            !no_count,
            self.raw.is_some(),
        );
        let total = if no_count { 0 } else { page.total };
        let records = page.records.into_iter().map(Value::Object).collect();
        if let (Some(raw), Some(texts)) = (self.raw, page.texts) {
            *raw.borrow_mut() = Some(texts);
        }
        Ok(fields([(
            "data",
            json!({
                "total": total,
                "offset": search.offset,
                "limit": search.limit,
                "dataList": Value::Array(records),
            }),
        )]))
    }

    fn invalid(&self) -> Result<Map<String, Value>, ApiFail> {
        let api_name = self.api_name()?;
        let id = match self.data.get("object_data_id") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.as_str(),
            Some(Value::Array(_)) => {
                return Err(ApiFail::param(
                    "object_data_id must be one id string (v2 has no batch invalid)",
                ));
            }
            _ => return Err(ApiFail::missing("object_data_id")),
        };
        let stamp = self.stamp();
        let mut state = self.shared.state();
        if state.store.get(api_name, id).is_none() {
            return Err(not_found(api_name, id));
        }
        for (a, i) in state.store.family(api_name, id) {
            let voided = state
                .store
                .get(&a, &i)
                .is_some_and(|r| r.get("life_status").and_then(Value::as_str) == Some("invalid"));
            if !voided {
                let changes = [
                    ("life_status", json!("invalid")),
                    ("is_deleted", json!(true)),
                ];
                state.store.set_system(&a, &i, &changes, stamp);
            }
        }
        Ok(Map::new())
    }

    fn delete(&self) -> Result<Map<String, Value>, ApiFail> {
        let api_name = self.api_name()?;
        let ids = id_list(self.data)?;
        let mut state = self.shared.state();
        for id in &ids {
            let record = state
                .store
                .get(api_name, id)
                .ok_or_else(|| not_found(api_name, id))?;
            if record.get("life_status").and_then(Value::as_str) != Some("invalid") {
                return Err(ApiFail::business(
                    format!("请先作废数据: {api_name} {id}"),
                    "only voided records can be deleted: call invalid first",
                ));
            }
        }
        for id in &ids {
            for (a, i) in state.store.family(api_name, id) {
                state.store.remove(&a, &i);
            }
        }
        Ok(Map::new())
    }

    fn recover(&self) -> Result<Map<String, Value>, ApiFail> {
        let api_name = self.api_name()?;
        let ids = id_list(self.data)?;
        let stamp = self.stamp();
        let mut state = self.shared.state();
        if let Some(id) = ids
            .iter()
            .find(|id| state.store.get(api_name, id).is_none())
        {
            return Err(not_found(api_name, id));
        }
        for id in &ids {
            for (a, i) in state.store.family(api_name, id) {
                let voided = state.store.get(&a, &i).is_some_and(|r| {
                    r.get("life_status").and_then(Value::as_str) == Some("invalid")
                });
                if voided {
                    let changes = [
                        ("life_status", json!("normal")),
                        ("is_deleted", json!(false)),
                    ];
                    state.store.set_system(&a, &i, &changes, stamp);
                }
            }
        }
        Ok(Map::new())
    }

    fn change_owner(&self) -> Result<Map<String, Value>, ApiFail> {
        let api_name = self.api_name()?;
        let items = match self.data.get("Data") {
            Some(Value::Array(items)) if !items.is_empty() => items,
            _ => return Err(ApiFail::missing("Data")),
        };
        let mut changes = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Value::Object(item) = item else {
                return Err(ApiFail::param(format!("Data[{index}] must be an object")));
            };
            let id = match item.get("objectDataId") {
                Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                _ => return Err(ApiFail::missing(&format!("Data[{index}].objectDataId"))),
            };
            changes.push((id, owner_ids(item.get("ownerId"), index)?));
        }
        let stamp = self.stamp();
        let mut state = self.shared.state();
        if let Some((id, _)) = changes
            .iter()
            .find(|(id, _)| state.store.get(api_name, id).is_none())
        {
            return Err(not_found(api_name, id));
        }
        for (id, owners) in changes {
            state
                .store
                .set_system(api_name, &id, &[("owner", Value::Array(owners))], stamp);
        }
        Ok(Map::new())
    }
}

fn object_list(shared: &Shared) -> Map<String, Value> {
    let state = shared.state();
    let mut names: Vec<String> = store::PRESET_OBJECTS
        .iter()
        .map(|o| o.api_name.to_owned())
        .collect();
    let defined: BTreeMap<&str, &str> = state.store.defined_names().collect();
    let others: BTreeSet<&str> = state
        .store
        .api_names()
        .chain(defined.keys().copied())
        .filter(|n| store::object_def(n).is_none())
        .collect();
    names.extend(others.into_iter().map(str::to_owned));
    let objects = names
        .iter()
        .map(|name| {
            let display = store::object_def(name)
                .map(|o| o.display_name)
                .or_else(|| defined.get(name.as_str()).copied())
                .unwrap_or(name.as_str());
            json!({
                "describeApiName": name,
                "describeDisplayName": display,
                "defineType": define_type(name),
                "isActive": true,
            })
        })
        .collect();
    fields([("data", json!({ "objects": Value::Array(objects) }))])
}

/// Read-only companion fields (`__r`, `__l`, ...), not part of a describe.
fn is_companion(field: &str) -> bool {
    ["__r", "__l", "__o", "__v", "__p", "__e", "__relation_ids"]
        .iter()
        .any(|s| field.ends_with(s))
}

pub(crate) fn field_json(def: FieldDef, define_type: &str) -> Value {
    let mut f = Map::new();
    f.insert("api_name".into(), json!(def.api_name));
    f.insert("type".into(), json!(def.ty));
    f.insert("label".into(), json!(def.label));
    f.insert("is_required".into(), json!(def.required));
    f.insert("define_type".into(), json!(define_type));
    f.insert("is_active".into(), json!(true));
    match def.ty {
        "date" => {
            f.insert("date_format".into(), json!("yyyy-MM-dd"));
            f.insert("time_zone".into(), json!("GMT+8"));
        }
        "date_time" => {
            f.insert("date_format".into(), json!("yyyy-MM-dd HH:mm"));
            f.insert("time_zone".into(), json!("GMT+8"));
        }
        "currency" => {
            f.insert("decimal_places".into(), json!(2));
        }
        _ => {}
    }
    let options = match def.api_name {
        "life_status" => json!([
            {"label": "正常", "value": "normal"}, {"label": "作废", "value": "invalid"},
            {"label": "未生效", "value": "ineffective"}, {"label": "审核中", "value": "under_review"},
            {"label": "变更中", "value": "in_change"}]),
        "lock_status" => {
            json!([{"label": "未锁定", "value": "0"}, {"label": "锁定", "value": "1"}])
        }
        _ => Value::Null,
    };
    if !options.is_null() {
        f.insert("options".into(), options);
    }
    Value::Object(f)
}

fn describe(shared: &Shared, body: &Map<String, Value>) -> Result<Map<String, Value>, ApiFail> {
    let api_name = match body.get("apiName") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.as_str(),
        _ => match body.get("data") {
            Some(Value::Object(data)) => nonempty_str(data, "apiName")?,
            _ => return Err(ApiFail::missing("apiName")),
        },
    };
    let state = shared.state();
    if let Some(defined) = state.store.defined(api_name) {
        return Ok(fields([("data", json!({ "describe": defined }))]));
    }
    let def = store::object_def(api_name);
    if def.is_none() && !state.store.has_object(api_name) {
        return Err(object_missing(
            api_name,
            "the mock knows the four objects of the document and every object that has records",
        ));
    }
    let mut described: BTreeMap<String, Value> = BTreeMap::new();
    for f in store::SYSTEM_FIELDS {
        described.insert(f.api_name.to_owned(), field_json(*f, "system"));
    }
    for f in def.map(|d| d.fields).unwrap_or_default() {
        described.insert(f.api_name.to_owned(), field_json(*f, "package"));
    }
    for record in state.store.iter(api_name) {
        for (name, value) in &record {
            if described.contains_key(name) || is_companion(name) || name == "dataObjectApiName" {
                continue;
            }
            let def = FieldDef {
                api_name: "",
                ty: store::infer_type(api_name, name, value),
                label: "",
                required: false,
            };
            let mut f = field_json(def, define_type(name));
            if let Value::Object(f) = &mut f {
                f.insert("api_name".into(), json!(name));
                f.insert("label".into(), json!(name));
            }
            described.insert(name.clone(), f);
        }
    }
    let display = def.map_or(api_name, |d| d.display_name);
    Ok(fields([(
        "data",
        json!({
            "describe": {
                "api_name": api_name,
                "display_name": display,
                "define_type": define_type(api_name),
                "is_active": true,
                "fields": described,
            }
        }),
    )]))
}
