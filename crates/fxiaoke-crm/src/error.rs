//! Fxiaoke's result envelope `{errorCode, errorMessage, errorDescription, traceId}` and how its
//! codes are classified (VENDORS.md §1.7).

use serde::Deserialize;

use crate::Error;
use crm_runtime::{ApiError, LenientInt};

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
    /// corpAccessToken missing or expired: refresh and retry once.
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

/// Whether a code is documented as transient: system busy, rate or call limit, service
/// timeout. Quota exhaustion, permission and parameter errors are not.
pub fn is_retryable_code(code: i64) -> bool {
    matches!(
        code,
        codes::BUSY | codes::CALL_LIMIT | codes::RATE_LIMITED | codes::SERVICE_TIMEOUT
    )
}

/// `errorCode` is an integer; a numeric string (`"0"`) is read too, and anything else is not
/// success either.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "errorCode")]
    error_code: Option<LenientInt>,
    #[serde(rename = "errorMessage", default)]
    error_message: Option<String>,
    #[serde(rename = "errorDescription", default)]
    error_description: Option<String>,
    #[serde(rename = "traceId", default)]
    trace_id: Option<String>,
}

/// Returns the vendor error carried by `body`, if its `errorCode` is not 0. Success is judged
/// by the code only, never by the message (the vendor's advice).
pub(crate) fn check(operation: &'static str, body: &[u8]) -> Result<()> {
    let Ok(envelope) = serde_json::from_slice::<Envelope>(body) else {
        return Ok(()); // left to the typed decode, which reports the path
    };
    status(
        operation,
        envelope.error_code.as_ref(),
        envelope.error_message,
        envelope.error_description,
        envelope.trace_id,
    )
}

/// `Ok` for `errorCode` 0 (or none), else the vendor error with its classification. A code
/// that is not an integer (`""`, `"abc"`) is an error too, reported with its text.
pub(crate) fn status(
    operation: &'static str,
    code: Option<&LenientInt>,
    message: Option<String>,
    description: Option<String>,
    trace_id: Option<String>,
) -> Result<()> {
    let Some(code) = code else {
        return Ok(());
    };
    if code.get() == Some(codes::OK) {
        return Ok(());
    }
    Err(Error::Api(ApiError {
        vendor: VENDOR,
        operation,
        code: code.to_string(),
        message: message.unwrap_or_default(),
        description,
        trace_id,
        retryable: code.get().is_some_and(is_retryable_code),
    }))
}

/// The numeric code of a vendor error of this crate.
pub fn api_code(error: &Error) -> Option<i64> {
    error
        .api()
        .filter(|a| a.vendor == VENDOR)
        .and_then(|a| a.code.parse().ok())
}
