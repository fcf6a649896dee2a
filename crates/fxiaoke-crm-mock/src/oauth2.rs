//! The OAuth2 (header) flow of the mock, beside the legacy body flow: the token endpoint
//! `POST /oauth2.0/token`, the `authorization`, `x-fs-ea` and `x-fs-userid` headers, the two
//! styles of employee ids (`convertUserId`), and the refusal of a request that mixes the flows
//! (docs/vendors.md §1.2, §1.10).
//!
//! The mock serves both flows at once, as the live gateway does (a credential-less probe found
//! both recognised): a request with any of the three headers is a header-flow request, any
//! other is a legacy one. [`MockSettings::auth_flow`] only chooses the flow of
//! [`MockFxiaoke::client_builder`] and of the credentials a test is meant to use;
//! [`MockFxiaoke::calls_in_flow`] tells which flow the business calls used.
//!
//! # Faithful to the vendor (documented or observed)
//!
//! - `POST /oauth2.0/token` takes `{appId, appSecret, permanentCode, grantType: "app_secret"}`
//!   and answers `{openUserId (the corp id, FSCID_…), accessToken, expiresIn, appId, ea,
//!   errorCode: 0, errorMessage: "success", traceId}`. A wrong or missing `appSecret` (or
//!   `appId`) answers exactly the observed body `{"errorCode":10006,"errorMessage":"the
//!   parameter appSecret is missing or illegal","errorDescription":"缺少参数或参数不合法",
//!   "error":"非法请求","error_description":"缺少参数或参数不合法"}` (no `traceId`). Its quota is
//!   the token quota of [`MockSettings::token_rate_limit`] (10 calls a minute), counted apart
//!   from the legacy token endpoint, answered `30004`.
//! - Business calls carry `authorization: Bearer <accessToken>` (one space), `x-fs-ea: <ea>`
//!   and `x-fs-userid: <operator>`; the body keeps the operation's input. A token the mock did
//!   not issue, or issued longer ago than the token lifetime, answers the observed `20016`
//!   (`"the cropId,cropAccessToken or authorization is error"`); no `authorization` at all
//!   answers `20017` as a request without any credentials does.
//! - `x-fs-userid` is a numeric employee id by default and an `FSUID_…` open user id when the
//!   body says `"convertUserId": true`; employee ids in the request (`owner`, `created_by`,
//!   `last_modified_by`, `ownerId`, and the values of filters on those fields) and in the answer
//!   (the same fields and `empList[].openUserId`) follow that style.
//!
//! # Assumed (the vendor's behaviour is unknown; chosen to be predictable)
//!
//! - A request that carries header credentials **and** any of the legacy body keys
//!   (`corpAccessToken`, `corpId`, `currentOpenUserId`) answers `10006` naming both (the
//!   documents say to use one flow per request; what the gateway does is unknown). So does a
//!   request whose employee ids mix the two styles (an `FSUID_…` owner without
//!   `convertUserId: true`, or a numeric one with it), and a non-boolean `convertUserId`.
//! - Tokens of one flow are not accepted in the other: a `corpAccessToken` sent as a bearer
//!   token answers `20016`, and the other way round.
//! - A wrong `x-fs-ea` answers `20016` (as a wrong `corpId` does); a missing or empty
//!   `x-fs-userid` answers `10006` ("x-fs-userid 不能为空"); an `x-fs-userid` of the wrong style,
//!   or of no employee, answers `20012` with a message saying which.
//! - A wrong `permanentCode` answers `10006` "the parameter permanentCode is missing or
//!   illegal", and a `grantType` other than `app_secret` (the user-facing grants are not
//!   modelled) `10006` "the parameter grantType is missing or illegal", both with `error` and
//!   `error_description`.
//! - The directory's employees have the numeric ids `1000` (the administrator) and `1001` (the
//!   sales rep). Records are stored with `FSUID_…` ids; an id without a counterpart in the
//!   directory is passed through unchanged in either direction.
//! - `getByMobile` takes the headers like every business call, `x-fs-userid` included, and
//!   answers `openUserId` in the request's style.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::handlers::{check_quota, nonempty_str, parse_body};
use super::{ApiFail, Employee, MockFxiaoke, MockSettings, Shared, codes};
use fxiaoke_crm::AuthFlow;

/// The token endpoint of the OAuth2 flow.
pub(crate) const TOKEN_PATH: &str = "/oauth2.0/token";

/// The body keys of the legacy flow; a header-flow request must carry none of them.
const LEGACY_KEYS: [&str; 3] = ["corpAccessToken", "corpId", "currentOpenUserId"];

/// Keys whose values are employee ids (a string or a list of strings), at any depth.
const EMPLOYEE_KEYS: [&str; 4] = ["owner", "created_by", "last_modified_by", "ownerId"];

/// The observed `errorDescription` and `error_description` of the token endpoint's `10006`.
const PARAM_DESCRIPTION: &str = "缺少参数或参数不合法";

impl MockSettings {
    /// These settings with `flow` as the flow of [`MockFxiaoke::client_builder`] (the mock
    /// serves both flows either way).
    pub fn with_auth_flow(mut self, flow: AuthFlow) -> Self {
        self.auth_flow = flow;
        self
    }
}

impl MockFxiaoke {
    /// Starts a mock with no records, the default settings, and `flow` as the flow of
    /// [`client_builder`](Self::client_builder).
    pub async fn start_in(flow: AuthFlow) -> std::io::Result<Self> {
        Self::start_with(MockSettings::default().with_auth_flow(flow)).await
    }

    /// The flow [`client_builder`](Self::client_builder) configures ([`MockSettings::auth_flow`]).
    pub fn auth_flow(&self) -> AuthFlow {
        self.shared.settings.auth_flow
    }

    /// How many business requests (token calls not included) came in `flow`: with header
    /// credentials (OAuth2) or without (legacy), refused ones included.
    pub fn calls_in_flow(&self, flow: AuthFlow) -> u64 {
        self.shared.flows.count(flow)
    }
}

/// Business requests per flow.
#[derive(Debug, Default)]
pub(crate) struct FlowCounts {
    legacy: AtomicU64,
    oauth2: AtomicU64,
}

impl FlowCounts {
    fn counter(&self, flow: AuthFlow) -> &AtomicU64 {
        match flow {
            AuthFlow::Legacy => &self.legacy,
            AuthFlow::OAuth2 => &self.oauth2,
        }
    }

    fn add(&self, flow: AuthFlow) {
        self.counter(flow).fetch_add(1, Ordering::Relaxed);
    }

    fn count(&self, flow: AuthFlow) -> u64 {
        self.counter(flow).load(Ordering::Relaxed)
    }
}

/// The header credentials of one request, each as sent (or missing).
#[derive(Clone, Debug, Default)]
pub(crate) struct HeaderAuth {
    authorization: Option<String>,
    ea: Option<String>,
    user_id: Option<String>,
}

impl HeaderAuth {
    /// The three headers of `headers` (names are case-insensitive; a value that is not text
    /// counts as sent but empty).
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let get = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap_or_default().to_owned())
        };
        Self {
            authorization: get("authorization"),
            ea: get("x-fs-ea"),
            user_id: get("x-fs-userid"),
        }
    }

    /// Whether the request carries any of the header flow's credentials.
    fn is_present(&self) -> bool {
        self.authorization.is_some() || self.ea.is_some() || self.user_id.is_some()
    }
}

/// The answer of `POST /oauth2.0/token`: the token fields, or an error body with the token
/// endpoint's `error` and `error_description`.
pub(crate) fn token_answer(shared: &Shared, path: &str, body: &[u8]) -> Value {
    shared.token_calls.fetch_add(1, Ordering::Relaxed);
    match issue(shared, path, body) {
        Ok(fields) => Value::Object(fields),
        Err(fail) => {
            let error = if fail.code == codes::RATE_LIMITED {
                "访问频率超限"
            } else {
                "非法请求"
            };
            serde_json::json!({
                "errorCode": fail.code,
                "errorMessage": fail.message,
                "errorDescription": fail.description,
                "error": error,
                "error_description": fail.description,
            })
        }
    }
}

/// `10006` in the token endpoint's observed words.
fn token_param(name: &str) -> ApiFail {
    ApiFail::new(
        codes::PARAM,
        format!("the parameter {name} is missing or illegal"),
        PARAM_DESCRIPTION,
    )
}

fn issue(shared: &Shared, path: &str, body: &[u8]) -> Result<Map<String, Value>, ApiFail> {
    check_quota(shared, true, path)?;
    let body = parse_body(body).map_err(|f| ApiFail::new(f.code, f.message, PARAM_DESCRIPTION))?;
    let field = |name: &str| nonempty_str(&body, name).map_err(|_| token_param(name));
    let (app_id, app_secret) = (field("appId")?, field("appSecret")?);
    let permanent_code = field("permanentCode")?;
    let grant_type = field("grantType")?;
    let c = &shared.credentials;
    if app_id != c.app_id || app_secret != c.app_secret {
        return Err(token_param("appSecret"));
    }
    if permanent_code != c.permanent_code {
        return Err(token_param("permanentCode"));
    }
    if grant_type != "app_secret" {
        return Err(token_param("grantType"));
    }
    let token = shared.random_token();
    {
        let mut state = shared.state();
        state.bearer_tokens.insert(token.clone(), Instant::now());
        state.issued.push(token.clone());
    }
    let mut out = Map::new();
    out.insert("openUserId".into(), c.corp_id.clone().into());
    out.insert("accessToken".into(), token.into());
    out.insert(
        "expiresIn".into(),
        shared.settings.token_lifetime.as_secs().into(),
    );
    out.insert("appId".into(), c.app_id.clone().into());
    out.insert("ea".into(), c.ea.clone().into());
    out.insert("errorCode".into(), 0.into());
    out.insert("errorMessage".into(), "success".into());
    out.insert("traceId".into(), shared.trace_id().into());
    Ok(out)
}

/// A header-flow request, authenticated: whose permissions it runs with and which id style it
/// speaks.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// The operator's `FSUID_…` id (how the store names employees).
    pub(crate) operator: String,
    /// Employee ids are numeric in this request (no `convertUserId: true`).
    numeric: bool,
}

/// Authenticates a business request: `Ok(None)` for a legacy one (no header credentials; the
/// legacy checks follow), `Ok(Some(session))` for a valid header-flow one, whose employee ids
/// in `body` are then rewritten to the store's `FSUID_…` form.
pub(crate) fn authenticate(
    shared: &Shared,
    headers: &HeaderAuth,
    body: &mut Map<String, Value>,
) -> Result<Option<Session>, ApiFail> {
    if !headers.is_present() {
        shared.flows.add(AuthFlow::Legacy);
        return Ok(None);
    }
    shared.flows.add(AuthFlow::OAuth2);
    let mixed: Vec<&str> = LEGACY_KEYS
        .into_iter()
        .filter(|k| body.contains_key(*k))
        .collect();
    if !mixed.is_empty() {
        return Err(ApiFail::param(format!(
            "the request mixes the two auth flows: header credentials (authorization, x-fs-ea, x-fs-userid) and the body keys {}; send one flow's credentials only",
            mixed.join(", ")
        )));
    }
    let invalid = || {
        ApiFail::new(
            codes::TOKEN_INVALID,
            "the cropId,cropAccessToken or authorization is error",
            "authorization 无效或已过期，或与 x-fs-ea 不匹配",
        )
    };
    let Some(authorization) = headers.authorization.as_deref() else {
        return Err(ApiFail::new(
            codes::TOKEN_MISSING,
            "corpAccessToken为必填项，不能为空",
            "no authorization header (and no corpAccessToken)",
        ));
    };
    let token = authorization
        .strip_prefix("Bearer ")
        .filter(|t| !t.is_empty() && !t.contains(char::is_whitespace))
        .ok_or_else(invalid)?;
    let lifetime = shared.settings.token_lifetime;
    let valid = shared
        .state()
        .bearer_tokens
        .get(token)
        .is_some_and(|issued| issued.elapsed() < lifetime);
    if !valid {
        let mut fail = invalid();
        if shared.settings.live.echo_secrets {
            fail.message = format!("{}: {authorization}", fail.message);
        }
        return Err(fail);
    }
    if headers.ea.as_deref() != Some(shared.credentials.ea.as_str()) {
        return Err(invalid());
    }
    let numeric = match body.get("convertUserId") {
        None | Some(Value::Null | Value::Bool(false)) => true,
        Some(Value::Bool(true)) => false,
        Some(_) => return Err(ApiFail::param("convertUserId must be a boolean")),
    };
    let user_id = headers
        .user_id
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            ApiFail::new(
                codes::PARAM,
                "x-fs-userid 不能为空",
                "the header x-fs-userid is missing or illegal",
            )
        })?;
    let style = Style::of(numeric);
    let employee = style.find(shared.directory, user_id).ok_or_else(|| {
        let why = match Style::of_id(user_id) {
            Some(s) if s.numeric != numeric => format!(
                "x-fs-userid {user_id} is {}, but this request uses {} ({})",
                s.name(),
                style.name(),
                style.switch()
            ),
            _ => format!("no employee {user_id}"),
        };
        ApiFail::new(codes::USER_NOT_FOUND, why, "员工不存在")
    })?;
    rewrite_ids(body, &mut |id| match Style::of_id(id) {
        Some(s) if s.numeric != numeric => Err(ApiFail::param(format!(
            "the request mixes employee id styles: {id} is {}, but x-fs-userid and convertUserId say {} ({})",
            s.name(),
            style.name(),
            style.switch()
        ))),
        _ => Ok(style
            .find(shared.directory, id)
            .map(|e| e.open_user_id.to_owned())),
    })?;
    Ok(Some(Session {
        operator: employee.open_user_id.to_owned(),
        numeric,
    }))
}

impl Session {
    /// Rewrites the employee ids of an answer into the request's style.
    pub(crate) fn present(&self, shared: &Shared, fields: &mut Map<String, Value>) {
        if !self.numeric {
            return;
        }
        let mut to_numeric = |id: &str| -> Result<Option<String>, ApiFail> {
            Ok(Style::of(false)
                .find(shared.directory, id)
                .map(|e| e.employee_id.to_owned()))
        };
        // The answer only holds ids of the store: nothing to refuse.
        let _ = rewrite_ids(fields, &mut to_numeric);
        for employee in fields
            .get_mut("empList")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(Value::String(id)) = employee.get_mut("openUserId")
                && let Ok(Some(numeric)) = to_numeric(id)
            {
                *id = numeric;
            }
        }
    }
}

/// One of the two styles of employee ids.
#[derive(Clone, Copy, Debug)]
struct Style {
    numeric: bool,
}

impl Style {
    fn of(numeric: bool) -> Self {
        Self { numeric }
    }

    /// The style of `id`: `FSUID_…`, digits only, or neither.
    fn of_id(id: &str) -> Option<Self> {
        if id.starts_with("FSUID_") {
            Some(Self::of(false))
        } else if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
            Some(Self::of(true))
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        if self.numeric {
            "numeric employee ids"
        } else {
            "FSUID_ open user ids"
        }
    }

    /// How a caller switches to this style.
    fn switch(self) -> &'static str {
        if self.numeric {
            "convertUserId is not true"
        } else {
            "convertUserId: true"
        }
    }

    /// The employee named `id` in this style.
    fn find(self, directory: &'static [Employee], id: &str) -> Option<&'static Employee> {
        directory.iter().find(|e| {
            if self.numeric {
                e.employee_id == id
            } else {
                e.open_user_id == id
            }
        })
    }
}

/// Applies `f` to every employee id of `map` (values of [`EMPLOYEE_KEYS`] at any depth, and
/// the `field_values` of a filter on one of those fields), replacing an id where `f` gives a
/// replacement; the first error of `f` stops the walk.
fn rewrite_ids(
    map: &mut Map<String, Value>,
    f: &mut impl FnMut(&str) -> Result<Option<String>, ApiFail>,
) -> Result<(), ApiFail> {
    let filter_on_employees = map
        .get("field_name")
        .and_then(Value::as_str)
        .is_some_and(|n| EMPLOYEE_KEYS.contains(&n));
    for (key, value) in map.iter_mut() {
        if EMPLOYEE_KEYS.contains(&key.as_str()) || (filter_on_employees && key == "field_values") {
            rewrite_values(value, f)?;
        } else {
            rewrite_nested(value, f)?;
        }
    }
    Ok(())
}

fn rewrite_nested(
    value: &mut Value,
    f: &mut impl FnMut(&str) -> Result<Option<String>, ApiFail>,
) -> Result<(), ApiFail> {
    match value {
        Value::Object(map) => rewrite_ids(map, f),
        Value::Array(items) => items.iter_mut().try_for_each(|v| rewrite_nested(v, f)),
        _ => Ok(()),
    }
}

/// An id, or a list of ids.
fn rewrite_values(
    value: &mut Value,
    f: &mut impl FnMut(&str) -> Result<Option<String>, ApiFail>,
) -> Result<(), ApiFail> {
    match value {
        Value::String(id) => {
            if let Some(new) = f(id)? {
                *id = new;
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| rewrite_values(v, f)),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::super::handlers::{handle, handle_with};
    use super::*;

    const QUERY: &str = "/cgi/crm/v2/data/query";
    const CREATE: &str = "/cgi/crm/v2/data/create";
    const LEGACY_TOKEN: &str = "/cgi/corpAccessToken/get/V2";

    fn token_body(shared: &Shared) -> Value {
        let c = &shared.credentials;
        json!({"appId": c.app_id, "appSecret": c.app_secret, "permanentCode": c.permanent_code, "grantType": "app_secret"})
    }

    fn token(shared: &Shared) -> String {
        let answer = handle(
            shared,
            TOKEN_PATH,
            token_body(shared).to_string().as_bytes(),
        )
        .unwrap();
        assert_eq!(answer["errorCode"], 0, "{answer}");
        answer["accessToken"].as_str().unwrap().to_owned()
    }

    fn headers(shared: &Shared, token: &str, user: &str) -> HeaderAuth {
        HeaderAuth {
            authorization: Some(format!("Bearer {token}")),
            ea: Some(shared.credentials.ea.clone()),
            user_id: Some(user.to_owned()),
        }
    }

    fn call(shared: &Shared, path: &str, auth: &HeaderAuth, body: &Value) -> Value {
        handle_with(shared, path, auth, body.to_string().as_bytes()).unwrap()
    }

    fn code(answer: &Value) -> i64 {
        answer["errorCode"].as_i64().unwrap()
    }

    fn query() -> Value {
        json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {"limit": 10, "offset": 0}}})
    }

    #[test]
    fn the_token_endpoint_answers_as_documented_and_as_observed() {
        let shared = Shared::new(MockSettings::without_rate_limits());
        let answer = handle(
            &shared,
            TOKEN_PATH,
            token_body(&shared).to_string().as_bytes(),
        )
        .unwrap();
        let c = &shared.credentials;
        assert_eq!(answer["errorCode"], 0);
        assert_eq!(answer["errorMessage"], "success");
        assert_eq!(answer["ea"], c.ea.as_str());
        assert_eq!(answer["openUserId"], c.corp_id.as_str(), "the corp id");
        assert_eq!(answer["appId"], c.app_id.as_str());
        assert_eq!(answer["expiresIn"], 7200);
        assert!(answer["accessToken"].as_str().unwrap().len() >= 32);
        // The observed 10006 body, for a wrong secret and for none at all.
        let observed = json!({"errorCode":10006,"errorMessage":"the parameter appSecret is missing or illegal","errorDescription":"缺少参数或参数不合法","error":"非法请求","error_description":"缺少参数或参数不合法"});
        let mut wrong = token_body(&shared);
        wrong["appSecret"] = json!("test");
        assert_eq!(
            handle(&shared, TOKEN_PATH, wrong.to_string().as_bytes()).unwrap(),
            observed
        );
        wrong.as_object_mut().unwrap().remove("appSecret");
        assert_eq!(
            handle(&shared, TOKEN_PATH, wrong.to_string().as_bytes()).unwrap(),
            observed
        );
        for (key, value) in [("grantType", "authorization_code"), ("permanentCode", "x")] {
            let mut body = token_body(&shared);
            body[key] = json!(value);
            let answer = handle(&shared, TOKEN_PATH, body.to_string().as_bytes()).unwrap();
            assert_eq!(code(&answer), 10006, "{answer}");
            assert!(answer["errorMessage"].as_str().unwrap().contains(key));
            assert_eq!(answer["error"], "非法请求");
        }
        assert_eq!(shared.token_calls.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn the_oauth2_token_quota_is_its_own_ten_a_minute() {
        let shared = Shared::new(MockSettings {
            token_rate_limit: Some((10, Duration::from_secs(60))),
            ..MockSettings::default()
        });
        for _ in 0..10 {
            token(&shared);
        }
        let answer = handle(
            &shared,
            TOKEN_PATH,
            token_body(&shared).to_string().as_bytes(),
        )
        .unwrap();
        assert_eq!(code(&answer), 30004, "{answer}");
        assert_eq!(answer["error"], "访问频率超限");
        // The legacy token endpoint counts apart.
        let c = &shared.credentials;
        let legacy = json!({"appId": c.app_id, "appSecret": c.app_secret, "permanentCode": c.permanent_code});
        let answer = handle(&shared, LEGACY_TOKEN, legacy.to_string().as_bytes()).unwrap();
        assert_eq!(code(&answer), 0, "{answer}");
    }

    #[test]
    fn headers_are_checked() {
        let shared = Shared::new(MockSettings::without_rate_limits());
        let t = token(&shared);
        let ok = headers(&shared, &t, "1000");
        assert_eq!(code(&call(&shared, QUERY, &ok, &query())), 0);
        let mut bad = ok.clone();
        bad.authorization = Some(t.clone());
        assert_eq!(
            code(&call(&shared, QUERY, &bad, &query())),
            20016,
            "no Bearer"
        );
        bad.authorization = Some("Bearer not-a-token".into());
        assert_eq!(code(&call(&shared, QUERY, &bad, &query())), 20016);
        bad.authorization = None;
        assert_eq!(code(&call(&shared, QUERY, &bad, &query())), 20017);
        let mut bad = ok.clone();
        bad.ea = Some("other".into());
        assert_eq!(code(&call(&shared, QUERY, &bad, &query())), 20016);
        bad.ea = None;
        assert_eq!(code(&call(&shared, QUERY, &bad, &query())), 20016);
        let mut bad = ok.clone();
        bad.user_id = Some(" ".into());
        let answer = call(&shared, QUERY, &bad, &query());
        assert_eq!(
            (code(&answer), answer["errorMessage"].as_str()),
            (10006, Some("x-fs-userid 不能为空"))
        );
        bad.user_id = Some("4242".into());
        assert_eq!(code(&call(&shared, QUERY, &bad, &query())), 20012);
        // The FSUID_ style needs convertUserId, and the numeric style must not have it.
        let admin = shared.credentials.open_user_id.clone();
        let answer = call(&shared, QUERY, &headers(&shared, &t, &admin), &query());
        assert_eq!(code(&answer), 20012, "{answer}");
        assert!(
            answer["errorMessage"]
                .as_str()
                .unwrap()
                .contains("convertUserId"),
            "{answer}"
        );
        let mut converted = query();
        converted["convertUserId"] = json!(true);
        assert_eq!(
            code(&call(
                &shared,
                QUERY,
                &headers(&shared, &t, &admin),
                &converted
            )),
            0
        );
        assert_eq!(code(&call(&shared, QUERY, &ok, &converted)), 20012);
        converted["convertUserId"] = json!("yes");
        assert_eq!(code(&call(&shared, QUERY, &ok, &converted)), 10006);
        // A legacy token is no bearer token.
        let c = &shared.credentials;
        let legacy = json!({"appId": c.app_id, "appSecret": c.app_secret, "permanentCode": c.permanent_code});
        let corp = handle(&shared, LEGACY_TOKEN, legacy.to_string().as_bytes()).unwrap();
        let corp = corp["corpAccessToken"].as_str().unwrap();
        assert_eq!(
            code(&call(
                &shared,
                QUERY,
                &headers(&shared, corp, "1000"),
                &query()
            )),
            20016
        );
        // And a bearer token is no corpAccessToken.
        let mut body = query();
        body["corpAccessToken"] = json!(t);
        body["corpId"] = json!(c.corp_id);
        body["currentOpenUserId"] = json!(admin);
        assert_eq!(
            code(&call(&shared, QUERY, &HeaderAuth::default(), &body)),
            20016
        );
        // Expired with the others.
        shared.state().bearer_tokens.clear();
        assert_eq!(code(&call(&shared, QUERY, &ok, &query())), 20016);
    }

    #[test]
    fn a_request_that_mixes_the_flows_is_refused() {
        let shared = Shared::new(MockSettings::without_rate_limits());
        let t = token(&shared);
        for key in LEGACY_KEYS {
            let mut body = query();
            body[key] = json!("x");
            let answer = call(&shared, QUERY, &headers(&shared, &t, "1000"), &body);
            assert_eq!(code(&answer), 10006, "{answer}");
            let message = answer["errorMessage"].as_str().unwrap();
            assert!(
                message.contains("mixes the two auth flows") && message.contains(key),
                "{message}"
            );
        }
        // Even a single header makes it a header-flow request.
        let mut body = query();
        body["corpAccessToken"] = json!("x");
        let only_user = HeaderAuth {
            user_id: Some("1000".into()),
            ..HeaderAuth::default()
        };
        assert_eq!(code(&call(&shared, QUERY, &only_user, &body)), 10006);
        assert_eq!(shared.flows.count(AuthFlow::OAuth2), 4);
        assert_eq!(shared.flows.count(AuthFlow::Legacy), 0);
    }

    #[test]
    fn employee_ids_follow_the_requests_style_and_never_mix() {
        let shared = Shared::new(MockSettings::without_rate_limits());
        let t = token(&shared);
        let numeric = headers(&shared, &t, "1001");
        let create = json!({"data": {"object_data": {"dataObjectApiName": "PaymentObj", "owner": ["1000"], "remark": "r"}}});
        let answer = call(&shared, CREATE, &numeric, &create);
        assert_eq!(code(&answer), 0, "{answer}");
        let stored = shared.state().store.records("PaymentObj");
        let admin = shared.credentials.open_user_id.clone();
        assert_eq!(stored[0]["owner"], json!([admin]), "stored as FSUID_");
        assert_eq!(
            stored[0]["created_by"],
            json!(["FSUID_7B8A3925E40FA68630C0D7E9C3000002"]),
            "the operator 1001"
        );
        // Filters on owner take the request's style; the answer speaks it.
        let mut by_owner = query();
        by_owner["data"]["search_query_info"]["filters"] =
            json!([{"field_name": "owner", "field_values": ["1000"], "operator": "IN"}]);
        let answer = call(&shared, QUERY, &numeric, &by_owner);
        let rows = &answer["data"]["dataList"];
        assert_eq!(rows.as_array().unwrap().len(), 1, "{answer}");
        assert_eq!(rows[0]["owner"], json!(["1000"]));
        assert_eq!(rows[0]["created_by"], json!(["1001"]));
        let mobile = json!({"mobile": "13800138000"});
        let answer = call(&shared, "/cgi/user/getByMobile", &numeric, &mobile);
        assert_eq!(answer["empList"][0]["openUserId"], "1000", "{answer}");
        // With convertUserId: FSUID_ everywhere.
        let fsuid = headers(&shared, &t, &admin);
        let mut converted = by_owner.clone();
        converted["convertUserId"] = json!(true);
        converted["data"]["search_query_info"]["filters"][0]["field_values"] = json!([admin]);
        let answer = call(&shared, QUERY, &fsuid, &converted);
        assert_eq!(
            answer["data"]["dataList"][0]["owner"],
            json!([admin]),
            "{answer}"
        );
        // Mixed styles in one request are refused.
        let mut mixed = create.clone();
        mixed["data"]["object_data"]["owner"] = json!([admin]);
        let answer = call(&shared, CREATE, &numeric, &mixed);
        assert_eq!(code(&answer), 10006, "{answer}");
        assert!(
            answer["errorMessage"]
                .as_str()
                .unwrap()
                .contains("mixes employee id styles")
        );
        let mut mixed = create;
        mixed["convertUserId"] = json!(true);
        assert_eq!(code(&call(&shared, CREATE, &fsuid, &mixed)), 10006);
        assert_eq!(
            shared.state().store.records("PaymentObj").len(),
            1,
            "nothing created"
        );
    }
}
