//! The HTTP side of the mock: routes, authentication, filters, paging. Nothing here panics on
//! a request: parameters are parsed leniently and every bad value becomes an errcode.

use std::ops::Bound;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State as Shared};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{NaiveDate, NaiveTime};
use crm_runtime::{LenientInt, LenientString, SecretString};
use serde::Serialize;
use serde_json::Value;

use super::state::{Injection, State};
use super::{DEFAULT_ROWS_PER_PAGE, codes, paths};
use u8_contacts::ExtraFields;
use u8_contacts::types::{BatchGetResponse, Contact, GetContactResponse, TokenInfo, TokenResponse};

const JSON: &str = "application/json;charset=UTF-8";

/// The routes of the fake gateway.
pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route(paths::TOKEN, get(token))
        .route(paths::BATCH_GET, get(batch_get))
        .route(paths::GET, get(get_one))
        .fallback(unknown_path)
        .with_state(state)
}

/// A U8 error envelope `{"errcode": …, "errmsg": …}` (HTTP 200, like the document's example).
#[derive(Debug)]
struct U8Error {
    code: String,
    message: String,
}

impl U8Error {
    fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
    fn missing(name: &str) -> Self {
        Self::new(codes::MISSING_PARAMETER, format!("缺少必填参数: {name}"))
    }
    fn invalid(name: &str, value: &str) -> Self {
        // Echo at most a short prefix of what was sent; never echo a credential (no credential
        // is ever validated through this path).
        let shown: String = value.chars().take(32).collect();
        Self::new(
            codes::INVALID_PARAMETER,
            format!("参数{name}格式错误: {shown:?}"),
        )
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, JSON)], body).into_response()
}

fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "errcode": code, "errmsg": message }).to_string()
}

fn respond(result: Result<String, U8Error>) -> Response {
    match result {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => json_response(StatusCode::OK, error_body(&e.code, &e.message)),
    }
}

fn injected(injection: Injection) -> Response {
    match injection {
        Injection::Errcode { code, message } => {
            json_response(StatusCode::OK, error_body(&code, &message))
        }
        Injection::Raw(body) => json_response(StatusCode::OK, body),
    }
}

fn to_body<T: Serialize>(value: &T) -> Result<String, U8Error> {
    serde_json::to_string(value)
        .map_err(|e| U8Error::new(codes::INTERNAL, format!("服务器内部错误: {e}")))
}

/// The query string as name/value pairs (percent-decoding never fails; bad UTF-8 is replaced).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The first value of `name`; an empty or blank value counts as absent.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    fn required(&self, name: &str) -> Result<&str, U8Error> {
        self.get(name).ok_or_else(|| U8Error::missing(name))
    }

    /// A positive integer (`"1"`, `" 20 "`), or `default` when absent.
    fn positive(&self, name: &str, default: u64) -> Result<u64, U8Error> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| U8Error::invalid(name, v)),
        }
    }
}

// --- /system/token ------------------------------------------------------------------------

async fn token(Shared(state): Shared<Arc<State>>, RawQuery(query): RawQuery) -> Response {
    state.count_token_call();
    if let Some(injection) = state.take_injection(paths::TOKEN) {
        return injected(injection);
    }
    respond(issue_token(&state, &Params::parse(query.as_deref())))
}

fn issue_token(state: &State, params: &Params) -> Result<String, U8Error> {
    let from_account = params.required("from_account")?;
    let app_key = params.required("app_key")?;
    let app_secret = params.required("app_secret")?;
    let c = &state.credentials;
    if from_account != c.from_account
        || app_key != c.app_key
        || app_secret != c.app_secret.expose_secret()
    {
        return Err(U8Error::new(
            codes::BAD_CREDENTIALS,
            "app_key或app_secret错误",
        ));
    }
    let (id, lifetime) = state.issue_token(app_key);
    // Whole seconds, rounded up, so a sub-second lifetime still reads as "expires soon".
    let seconds = lifetime.as_secs() + u64::from(lifetime.subsec_nanos() > 0);
    let response = TokenResponse {
        errcode: Some("0".into()),
        errmsg: Some(String::new()),
        token: Some(TokenInfo {
            appkey: Some(app_key.to_owned()),
            expires_in: Some(LenientInt::number(
                i64::try_from(seconds).unwrap_or(i64::MAX),
            )),
            id: Some(SecretString::new(id)),
            extra: ExtraFields::new(),
        }),
        extra: ExtraFields::new(),
    };
    to_body(&response)
}

// --- authentication of business calls ---------------------------------------------------

fn authorize(state: &State, params: &Params) -> Result<(), U8Error> {
    let from_account = params.required("from_account")?;
    let to_account = params.required("to_account")?;
    let app_key = params.required("app_key")?;
    let token = params.required("token")?;
    let c = &state.credentials;
    if from_account != c.from_account || app_key != c.app_key {
        return Err(U8Error::new(
            codes::BAD_CREDENTIALS,
            "from_account或app_key错误",
        ));
    }
    if !state.token_valid(token, app_key) {
        let message = if state
            .echo_secrets
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            format!("token无效或已过期: {token}")
        } else {
            "token无效或已过期".to_owned()
        };
        return Err(U8Error::new(codes::TOKEN_INVALID, message));
    }
    if to_account != c.to_account {
        let shown: String = to_account.chars().take(32).collect();
        return Err(U8Error::new(
            codes::NOT_AUTHORIZED,
            format!("提供方{shown}未授权此应用"),
        ));
    }
    if let Some(ds) = params.get("ds_sequence")
        && !ds.trim().parse::<u64>().is_ok_and(|n| n >= 1)
    {
        return Err(U8Error::invalid("ds_sequence", ds));
    }
    Ok(())
}

// --- filters ------------------------------------------------------------------------------

/// 关键字 (keyword) filters: the field contains the value (case-insensitively, like SQL
/// Server's default `LIKE '%…%'`).
const KEYWORD_FILTERS: &[&str] = &[
    "name",
    "ccusname",
    "direct_leader",
    "charge_person",
    "email",
    "favorite",
    "wechat",
];

/// Exact filters: the field equals the value.
const EXACT_FILTERS: &[&str] = &[
    "ccuscode",
    "direct_leader_code",
    "charge_person_code",
    "title",
    "sex",
    "position",
    "mobile_phone",
    "office_phone",
    "qq",
];

/// A text field of a contact, as stored.
fn text_field<'a>(c: &'a Contact, field: &str) -> Option<&'a LenientString> {
    match field {
        "name" => c.name.as_ref(),
        "ccuscode" => c.ccuscode.as_ref(),
        "ccusname" => c.ccusname.as_ref(),
        "direct_leader_code" => c.direct_leader_code.as_ref(),
        "direct_leader" => c.direct_leader.as_ref(),
        "charge_person_code" => c.charge_person_code.as_ref(),
        "charge_person" => c.charge_person.as_ref(),
        "title" => c.title.as_ref(),
        "sex" => c.sex.as_ref(),
        "position" => c.position.as_ref(),
        "mobile_phone" => c.mobile_phone.as_ref(),
        "office_phone" => c.office_phone.as_ref(),
        "email" => c.email.as_ref(),
        "favorite" => c.favorite.as_ref(),
        "wechat" => c.wechat.as_ref(),
        "qq" => c.qq.as_ref(),
        "native" => c.native.as_ref(),
        _ => None,
    }
}

/// The text a filter matches a stored field against, by the mock's own reading of the value it
/// answers with: a string as it is, a number or boolean as its JSON text (`"qq": 10000` is
/// `10000`, as some tenants send it, docs/vendors.md §3.3), nothing else (`null`, absent) as
/// empty text.
fn text(c: &Contact, field: &str) -> String {
    match wire(text_field(c, field)) {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A date as U8 writes one, read by the mock itself from the document: the contact pages type
/// `birthday` as a date, and U8 dates are `yyyy-MM-dd` or `yyyy-MM-dd HH:mm:ss.fff` without a
/// zone (docs/vendors.md §0 quirks, §3.3). So: `yyyy-MM-dd`, optionally followed by
/// ` HH:mm:ss` and a fraction of 1 to 9 digits; the date part is the date. Anything else
/// (`""`, U8's unknown birthday, included) is no date.
fn u8_date(s: &str) -> Option<NaiveDate> {
    let (day, rest) = (s.get(..10)?, s.get(10..)?);
    let digits_and_dashes = day.bytes().enumerate().all(|(i, c)| match i {
        4 | 7 => c == b'-',
        _ => c.is_ascii_digit(),
    });
    if !digits_and_dashes {
        return None;
    }
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    if rest.is_empty() {
        return Some(date);
    }
    let time = rest.strip_prefix(' ')?;
    let (hms, fraction) = match time.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (time, None),
    };
    let hms_shape = hms.len() == 8
        && hms.bytes().enumerate().all(|(i, c)| match i {
            2 | 5 => c == b':',
            _ => c.is_ascii_digit(),
        });
    let fraction_shape = fraction
        .is_none_or(|f| (1..=9).contains(&f.len()) && f.bytes().all(|c| c.is_ascii_digit()));
    (hms_shape && fraction_shape && NaiveTime::parse_from_str(hms, "%H:%M:%S").is_ok())
        .then_some(date)
}

/// A stored field as the mock answers it: its JSON wire value (`None` when absent).
fn wire<T: Serialize>(field: Option<&T>) -> Option<Value> {
    field.and_then(|v| serde_json::to_value(v).ok())
}

/// The date of a stored date field, by the mock's own reading of the text it answers with.
fn stored_date<T: Serialize>(field: Option<&T>) -> Option<NaiveDate> {
    match wire(field)? {
        Value::String(s) => u8_date(&s),
        _ => None,
    }
}

/// Whether a stored boolean field is set, by the mock's own reading of the value it answers
/// with: the document types it boolean and U8 sends `"1"`/`"0"` (docs/vendors.md §3.3); `true`
/// and `1`, and `"true"` in any letter case, read as set too. Empty or anything else is not set.
fn stored_flag<T: Serialize>(field: Option<&T>) -> bool {
    match wire(field) {
        Some(Value::Bool(b)) => b,
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        Some(Value::String(s)) => {
            let s = s.trim();
            s == "1" || s.eq_ignore_ascii_case("true")
        }
        _ => false,
    }
}

fn flag(name: &str, value: &str) -> Result<bool, U8Error> {
    match value.trim() {
        "1" | "true" | "True" | "TRUE" => Ok(true),
        "0" | "false" | "False" | "FALSE" => Ok(false),
        _ => Err(U8Error::invalid(name, value)),
    }
}

/// The filters of one `batch_get` request, validated.
#[derive(Debug, Default)]
struct Filter {
    code_begin: Option<String>,
    code_end: Option<String>,
    keywords: Vec<(&'static str, String)>,
    exact: Vec<(&'static str, String)>,
    be_main_linker: Option<bool>,
    default: Option<bool>,
    birthday: Option<NaiveDate>,
}

impl Filter {
    fn parse(params: &Params) -> Result<Self, U8Error> {
        let mut f = Filter {
            code_begin: params.get("code_begin").map(str::to_owned),
            code_end: params.get("code_end").map(str::to_owned),
            ..Filter::default()
        };
        for name in KEYWORD_FILTERS {
            if let Some(v) = params.get(name) {
                f.keywords.push((name, v.to_lowercase()));
            }
        }
        for name in EXACT_FILTERS {
            if let Some(v) = params.get(name) {
                f.exact.push((name, v.to_owned()));
            }
        }
        f.be_main_linker = params
            .get("be_main_linker")
            .map(|v| flag("be_main_linker", v))
            .transpose()?;
        f.default = params
            .get("default")
            .map(|v| flag("default", v))
            .transpose()?;
        if let Some(v) = params.get("birthday") {
            f.birthday = Some(u8_date(v.trim()).ok_or_else(|| U8Error::invalid("birthday", v))?);
        }
        Ok(f)
    }

    /// The key range of `code_begin` and `code_end` (both inclusive).
    fn code_range(&self) -> (Bound<&str>, Bound<&str>) {
        fn bound(b: Option<&str>) -> Bound<&str> {
            b.map_or(Bound::Unbounded, Bound::Included)
        }
        (
            bound(self.code_begin.as_deref()),
            bound(self.code_end.as_deref()),
        )
    }

    /// Whether the code bounds are the only filters.
    fn codes_only(&self) -> bool {
        self.keywords.is_empty()
            && self.exact.is_empty()
            && self.be_main_linker.is_none()
            && self.default.is_none()
            && self.birthday.is_none()
    }

    fn matches(&self, c: &Contact) -> bool {
        // The mock sets every stored code itself, as a string equal to the contact's key.
        let code = c.code.as_deref().unwrap_or("");
        self.code_begin.as_deref().is_none_or(|b| code >= b)
            && self.code_end.as_deref().is_none_or(|e| code <= e)
            && self
                .keywords
                .iter()
                .all(|(f, v)| text(c, f).to_lowercase().contains(v.as_str()))
            && self.exact.iter().all(|(f, v)| text(c, f) == *v)
            && self
                .be_main_linker
                .is_none_or(|b| stored_flag(c.be_main_linker.as_ref()) == b)
            && self
                .default
                .is_none_or(|b| stored_flag(c.default.as_ref()) == b)
            && self
                .birthday
                .is_none_or(|d| stored_date(c.birthday.as_ref()) == Some(d))
    }
}

// --- /api/customercontacts/batch_get -----------------------------------------------------

async fn batch_get(Shared(state): Shared<Arc<State>>, RawQuery(query): RawQuery) -> Response {
    if let Some(injection) = state.take_injection(paths::BATCH_GET) {
        return injected(injection);
    }
    respond(list(&state, &Params::parse(query.as_deref())))
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn lenient(n: u64) -> LenientInt {
    LenientInt::new(i64::try_from(n).unwrap_or(i64::MAX))
}

fn list(state: &State, params: &Params) -> Result<String, U8Error> {
    authorize(state, params)?;
    let page_index = params.positive("page_index", 1)?;
    let requested_rows = params.positive("rows_per_page", DEFAULT_ROWS_PER_PAGE)?;
    let filter = Filter::parse(params)?;
    let (records, row_count, rows_per_page) = {
        let mut data = state.data();
        state.before_list(&mut data);
        let rows = data
            .max_page_size
            .map_or(requested_rows, |max| requested_rows.min(max.max(1)));
        let skip = page_index.saturating_sub(1).saturating_mul(rows);
        // The code bounds are a key range of the index (a contact's code is its key); only
        // other filters need each contact of the range read, and only they make the count a
        // walk: without them a page reads its own contacts and the count is a range count.
        let (lo, hi) = filter.code_range();
        let codes_only = filter.codes_only();
        let mut row_count: u64 = 0;
        let mut records = Vec::new();
        let end = skip.saturating_add(rows);
        for (_, c) in data.contacts.range(lo, hi, true) {
            if codes_only && row_count >= end {
                break;
            }
            if !filter.matches(c) {
                continue;
            }
            if row_count >= skip && records.len() < to_usize(rows) {
                records.push(c.clone());
            }
            row_count += 1;
        }
        if codes_only {
            row_count = u64::try_from(data.contacts.count(lo, hi)).unwrap_or(u64::MAX);
        }
        (records, row_count, rows)
    };
    if row_count == 0 {
        // As a real tenant answers an empty result (docs/vendors.md §3b).
        return Err(U8Error::new(
            codes::NO_MATCH,
            "未检索到匹配的[客户联系人]。",
        ));
    }
    let response = BatchGetResponse {
        customercontacts: Some(records),
        errcode: Some("0".into()),
        errmsg: Some(String::new()),
        page_count: Some(lenient(row_count.div_ceil(rows_per_page))),
        page_index: Some(lenient(page_index)),
        row_count: Some(lenient(row_count)),
        rows_per_page: Some(lenient(rows_per_page)),
        extra: ExtraFields::new(),
    };
    to_body(&response)
}

// --- /api/customercontacts/get ------------------------------------------------------------

async fn get_one(Shared(state): Shared<Arc<State>>, RawQuery(query): RawQuery) -> Response {
    if let Some(injection) = state.take_injection(paths::GET) {
        return injected(injection);
    }
    respond(find(&state, &Params::parse(query.as_deref())))
}

fn find(state: &State, params: &Params) -> Result<String, U8Error> {
    authorize(state, params)?;
    let id = params.required("id")?;
    let contact = state.data().contacts.get(id).cloned();
    let Some(contact) = contact else {
        let shown: String = id.chars().take(32).collect();
        return Err(U8Error::new(
            codes::NOT_FOUND,
            format!("客户联系人{shown}不存在"),
        ));
    };
    to_body(&GetContactResponse {
        customercontacts: Some(contact),
        errcode: Some("0".into()),
        errmsg: Some(String::new()),
        extra: ExtraFields::new(),
    })
}

// --- anything else ------------------------------------------------------------------------

async fn unknown_path(uri: Uri) -> Response {
    let path: String = uri.path().chars().take(100).collect();
    json_response(
        StatusCode::NOT_FOUND,
        error_body(codes::UNKNOWN_API, &format!("接口不存在: {path}")),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn contact(json: serde_json::Value) -> Contact {
        serde_json::from_value(json).unwrap()
    }

    fn filter(query: &str) -> Result<Filter, U8Error> {
        Filter::parse(&Params::parse(Some(query)))
    }

    #[test]
    fn dates_are_read_in_the_documented_forms() {
        let day = NaiveDate::from_ymd_opt(1990, 2, 3);
        for text in [
            "1990-02-03",
            "1990-02-03 00:00:00",
            "1990-02-03 00:00:00.000",
            "1990-02-03 23:59:59.5",
            "1990-02-03 10:00:00.1234567",
        ] {
            assert_eq!(u8_date(text), day, "{text}");
        }
        for text in [
            "",
            "xxxxx",
            "1990-2-3",
            "1990/02/03",
            "19900203",
            "1990-02-30",
            "1990-13-03",
            "1990-02-03T00:00:00",
            "1990-02-03 ",
            "1990-02-03 00:00",
            "1990-02-03 24:00:00",
            "1990-02-03 00:00:00.",
            "1990-02-03 00:00:00.0000000000",
            "1990-02-03 00:00:00Z",
            " 1990-02-03",
            "+199-02-03",
        ] {
            assert_eq!(u8_date(text), None, "{text:?}");
        }
    }

    /// The `birthday` filter matches the date part of the stored text, whichever documented
    /// form the filter and the stored value take; an empty, absent or odd birthday never matches.
    #[test]
    fn the_birthday_filter_matches_every_documented_form() {
        let same_day = [
            contact(serde_json::json!({"code": "1", "birthday": "1990-02-03"})),
            contact(serde_json::json!({"code": "2", "birthday": "1990-02-03 00:00:00.000"})),
            contact(serde_json::json!({"code": "3", "birthday": "1990-02-03 08:30:00"})),
        ];
        let others = [
            contact(serde_json::json!({"code": "4", "birthday": "1990-02-04"})),
            contact(serde_json::json!({"code": "5", "birthday": ""})),
            contact(serde_json::json!({"code": "6", "birthday": null})),
            contact(serde_json::json!({"code": "7"})),
            contact(serde_json::json!({"code": "8", "birthday": "1990-02-03T00:00:00"})),
            contact(serde_json::json!({"code": "9", "birthday": "03/02/1990"})),
            contact(serde_json::json!({"code": "10", "birthday": 19_900_203})),
        ];
        for query in [
            "birthday=1990-02-03",
            "birthday=1990-02-03%2000:00:00",
            "birthday=1990-02-03+00:00:00.000",
            "birthday=%201990-02-03%20",
        ] {
            let f = filter(query).unwrap_or_else(|e| panic!("{query}: {e:?}"));
            for c in &same_day {
                assert!(f.matches(c), "{query} must match {c:?}");
            }
            for c in &others {
                assert!(!f.matches(c), "{query} must not match {c:?}");
            }
        }
        for query in [
            "birthday=1990-02-30",
            "birthday=1990-13-45",
            "birthday=x",
            "birthday=1990%2F02%2F03",
            "birthday=1990-02-03T00:00:00",
        ] {
            let e = filter(query).expect_err(query);
            assert_eq!(e.code, codes::INVALID_PARAMETER, "{query}");
        }
    }

    /// Keyword and exact filters match the text of the stored wire value: a number as its JSON
    /// text, keywords case-insensitively.
    #[test]
    fn text_filters_read_the_stored_wire_value() {
        let c = contact(serde_json::json!({
            "code": "1", "name": "张三", "qq": 10000, "email": "Zhang.San@Example.cn",
            "mobile_phone": "13800000000", "sex": null
        }));
        for (query, expected) in [
            ("qq=10000", true),
            ("qq=1000", false),
            ("name=%E4%B8%89", true),
            ("email=example", true),
            ("email=EXAMPLE.CN", true),
            ("mobile_phone=13800000000", true),
            ("mobile_phone=1380000", false),
            ("sex=%E7%94%B7", false),
            ("wechat=x", false),
        ] {
            assert_eq!(filter(query).unwrap().matches(&c), expected, "{query}");
        }
    }

    #[test]
    fn flags_read_the_stored_wire_value() {
        let f = filter("be_main_linker=1&default=0").unwrap();
        for (main, default, expected) in [
            (serde_json::json!("1"), serde_json::json!("0"), true),
            (serde_json::json!(true), serde_json::json!(false), true),
            (serde_json::json!(1), serde_json::json!(0), true),
            (serde_json::json!(" True "), serde_json::json!(""), true),
            (serde_json::json!("0"), serde_json::json!("0"), false),
            (serde_json::json!(""), serde_json::json!("0"), false),
            (serde_json::json!("是"), serde_json::json!("0"), false),
            (serde_json::json!(2), serde_json::json!("0"), false),
            (serde_json::json!("1"), serde_json::json!("1"), false),
        ] {
            let c = contact(
                serde_json::json!({"code": "1", "be_main_linker": main, "default": default}),
            );
            assert_eq!(f.matches(&c), expected, "{main} / {default}");
        }
        let absent = contact(serde_json::json!({"code": "1"}));
        assert!(filter("be_main_linker=0").unwrap().matches(&absent));
        assert!(!filter("be_main_linker=1").unwrap().matches(&absent));
    }
}
