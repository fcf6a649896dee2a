//! Fxiaoke's result envelope `{errorCode, errorMessage, errorDescription, traceId}` and how its
//! codes are classified (docs/vendors.md §1.7).

use serde::Deserialize;

use crate::Error;
use crm_runtime::decode::WireCode;
use crm_runtime::{ApiError, ApiErrorKind, Transport};

/// The vendor name used in errors, spans and recordings.
pub const VENDOR: &str = "fxiaoke";

/// Result of every call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Documented error codes the client acts on.
pub mod codes {
    /// Success.
    pub const OK: i64 = 0;
    /// System busy.
    pub const BUSY: i64 = -1;
    /// Offset out of range 10000 (also "missing corpAccessToken" in the code table).
    pub const OFFSET_OUT_OF_RANGE: i64 = 10013;
    /// Call limit exceeded.
    pub const CALL_LIMIT: i64 = 14001;
    /// The token (corpAccessToken, or the OAuth2 bearer token) missing or expired: refresh and
    /// retry once.
    pub const TOKEN_EXPIRED: i64 = 20016;
    /// Daily quota exceeded (resets at 00:00): not retryable.
    pub const DAILY_QUOTA: i64 = 30002;
    /// No OpenAPI quota bought: not retryable.
    pub const NO_QUOTA: i64 = 30003;
    /// Per-endpoint rate exceeded.
    pub const RATE_LIMITED: i64 = 30004;
    /// Service exception or timeout.
    pub const SERVICE_TIMEOUT: i64 = 50009;
}

/// What a code means, from the vendor's code table (docs/vendors.md §1.7). The `100xx` codes say
/// "a parameter is missing": an auth error when the parameter is a credential (or the call is
/// a token call of either flow), else an invalid request; `10013` is also "offset out of range 10000".
pub fn kind_of(code: i64, message: &str, operation: &str) -> ApiErrorKind {
    let lower = message.to_lowercase();
    let about_credentials = [
        "appid",
        "appsecret",
        "permanentcode",
        "corpaccesstoken",
        "corpid",
        "openuserid",
        "accesstoken",
        "authorization",
        "x-fs-",
    ]
    .iter()
    .any(|w| lower.contains(w));
    match code {
        10001..=10015
            if matches!(operation, "get_corp_access_token" | "get_oauth2_token")
                || about_credentials =>
        {
            ApiErrorKind::Auth
        }
        10001..=10015 => ApiErrorKind::InvalidRequest,
        11001..=11018 | 15003 | 20005 | 20006 | 20012 | 20014..=20017 | 20020..=20023 => {
            ApiErrorKind::Auth
        }
        codes::CALL_LIMIT | codes::RATE_LIMITED => ApiErrorKind::RateLimited,
        codes::DAILY_QUOTA | codes::NO_QUOTA => ApiErrorKind::QuotaExhausted,
        30007 | 30027 => ApiErrorKind::NotFound,
        15002 | 32000 | 40010 => ApiErrorKind::InvalidRequest,
        codes::BUSY | -2 | codes::SERVICE_TIMEOUT => ApiErrorKind::Server,
        _ => ApiErrorKind::Other,
    }
}

/// Whether a code is documented as transient: system busy, rate or call limit, service
/// timeout. Quota exhaustion, permission and parameter errors are not.
pub fn is_retryable_code(code: i64) -> bool {
    matches!(
        code,
        codes::BUSY | codes::CALL_LIMIT | codes::RATE_LIMITED | codes::SERVICE_TIMEOUT
    )
}

/// The envelope every Fxiaoke answer carries. `errorCode` is read as a number or a numeric
/// string (docs/vendors.md §3b: gateways are lenient both ways).
#[derive(Deserialize)]
pub(crate) struct Envelope {
    #[serde(rename = "errorCode", default)]
    pub(crate) error_code: Option<WireCode>,
    #[serde(rename = "errorMessage", default)]
    pub(crate) error_message: Option<String>,
    #[serde(rename = "errorDescription", default)]
    pub(crate) error_description: Option<String>,
    #[serde(rename = "traceId", default)]
    pub(crate) trace_id: Option<String>,
}

impl Envelope {
    /// `Ok` for `errorCode` 0, the vendor error for any other code, and an
    /// [`Error::Protocol`] when there is no `errorCode` at all: every Fxiaoke answer has one, so
    /// a body without it (a gateway's `{"code":503,"message":"upstream busy"}`) is not an answer
    /// and must never be read as an empty result.
    pub(crate) fn into_result(
        self,
        transport: &Transport,
        operation: &'static str,
        body: &[u8],
    ) -> Result<()> {
        let Some(WireCode(code)) = self.error_code else {
            return Err(transport.protocol_error(operation, "no errorCode", body));
        };
        let Ok(code) = code.parse::<i64>() else {
            return Err(transport.protocol_error(
                operation,
                format!("errorCode {code:?} is not a number"),
                body,
            ));
        };
        status(
            operation,
            code,
            self.error_message,
            self.error_description,
            self.trace_id,
        )
    }
}

/// Returns the vendor error carried by `body`, if its `errorCode` is not 0, or an
/// [`Error::Protocol`] if `body` is not a Fxiaoke answer (not JSON, or no `errorCode`). Success
/// is judged by the code only, never by the message (the vendor's advice).
pub(crate) fn check(transport: &Transport, operation: &'static str, body: &[u8]) -> Result<()> {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(envelope) => envelope.into_result(transport, operation, body),
        Err(_) => Err(transport.protocol_error(operation, "not a JSON object", body)),
    }
}

/// `Ok` for `errorCode` 0, else the vendor error with its classification.
pub(crate) fn status(
    operation: &'static str,
    code: i64,
    message: Option<String>,
    description: Option<String>,
    trace_id: Option<String>,
) -> Result<()> {
    if code == codes::OK {
        return Ok(());
    }
    let message = message.unwrap_or_default();
    let kind = kind_of(code, &message, operation);
    // No `retry_after`: a rate-limit answer is retried after the configured limit's window
    // (20 s by default).
    Err(Error::Api(
        ApiError::new(VENDOR, operation, code.to_string(), message)
            .with_description(description)
            .with_trace_id(trace_id)
            .with_retryable(is_retryable_code(code))
            .with_kind(kind),
    ))
}

/// The numeric code of a vendor error of this crate.
pub fn api_code(error: &Error) -> Option<i64> {
    error
        .api()
        .filter(|a| a.vendor == VENDOR)
        .and_then(|a| a.code.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_runtime::Outcome;

    /// The code table the README gives: each code's kind, whether it is retried, and what a
    /// failed write answered with it means.
    #[test]
    #[rustfmt::skip] // a table: one case a line
    fn codes_give_their_kind_retry_and_write_outcome() {
        use ApiErrorKind::*;
        use Outcome::*;
        const QUERY: &str = "query_data";
        const GET: &str = "get_data";
        const CREATE: &str = "create_data";
        for (operation, code, message, kind, retried, write) in [
            (QUERY, codes::BUSY, "系统繁忙", Server, true, Unknown),
            (QUERY, codes::CALL_LIMIT, "调用次数超限", RateLimited, true, NotApplied),
            (QUERY, codes::RATE_LIMITED, "频率超限", RateLimited, true, NotApplied),
            (QUERY, codes::SERVICE_TIMEOUT, "服务异常", Server, true, Unknown),
            (QUERY, codes::DAILY_QUOTA, "配额已用完", QuotaExhausted, false, NotApplied),
            (QUERY, codes::NO_QUOTA, "没有配额", QuotaExhausted, false, NotApplied),
            (GET, codes::TOKEN_EXPIRED, "token expired", Auth, false, NotApplied),
            (GET, 20005, "no permission", Auth, false, NotApplied),
            ("get_corp_access_token", 10006, "bad appSecret", Auth, false, NotApplied),
            (QUERY, 10006, "unknown operator FOO", InvalidRequest, false, NotApplied),
            (QUERY, 10006, "illegal corpAccessToken", Auth, false, NotApplied),
            (QUERY, codes::OFFSET_OUT_OF_RANGE, "offset", InvalidRequest, false, NotApplied),
            (GET, 30007, "数据不存在", NotFound, false, NotApplied),
            (CREATE, 32000, "数据不存在", InvalidRequest, false, NotApplied),
            (CREATE, 123_456, "something new", Other, false, NotApplied),
        ] {
            let case = format!("{operation} {code} {message}");
            let answered = status(operation, code, Some(message.into()), None, None);
            let error = answered.expect_err(&case);
            let api = error.api().expect(&case);
            assert_eq!((api.kind, api.retryable), (kind, retried), "{case}");
            assert_eq!(is_retryable_code(code), retried, "{case}");
            let outcome = error.after_write(CREATE, false).outcome();
            assert_eq!(outcome, write, "{case}: a failed write");
        }
        assert!(status(QUERY, codes::OK, None, None, None).is_ok());
    }
}
