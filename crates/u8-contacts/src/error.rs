//! U8's error envelope `{errcode, errmsg}` and how its codes are classified.

use serde::Deserialize;

use crate::Error;
use crm_runtime::ApiError;

/// The vendor name used in errors, spans and recordings.
pub const VENDOR: &str = "u8";

/// Result of every call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The fields every U8 response may carry. `errcode` is a string (`"0"` = success); the
/// official SDK treats a missing or empty errcode as success, and so do we. A number is
/// accepted too, in case a gateway sends one.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: Option<serde_json::Value>,
    #[serde(default)]
    errmsg: Option<String>,
}

/// Returns the vendor error carried by `body`, if any. Bodies that are not JSON objects are left
/// to the typed decode, which reports them with their path.
pub(crate) fn check(operation: &'static str, body: &[u8]) -> Result<()> {
    let Ok(envelope) = serde_json::from_slice::<Envelope>(body) else {
        return Ok(());
    };
    let code = match envelope.errcode {
        None | Some(serde_json::Value::Null) => return Ok(()),
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
    };
    if code.is_empty() || code == "0" {
        return Ok(());
    }
    Err(Error::Api(ApiError {
        vendor: VENDOR,
        operation,
        retryable: false, // U8 publishes no error-code table; no code is known to be transient.
        code,
        message: envelope.errmsg.unwrap_or_default(),
        description: None,
        trace_id: None,
    }))
}

/// Whether a vendor error says the token is missing, invalid or expired. U8 publishes no code
/// for this (VENDORS.md §3.5), so the message decides: it mentions the token (`token`, `令牌`).
/// The client then fetches a new token and repeats the call once.
pub(crate) fn is_token_error(api: &ApiError) -> bool {
    let m = api.message.to_lowercase();
    m.contains("token") || m.contains("令牌")
}
