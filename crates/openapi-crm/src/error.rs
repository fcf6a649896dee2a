//! useasy's response envelope and how failures are classified (crate root, § Errors).

use serde::Deserialize;

use crate::Error;
use crm_runtime::decode::WireCode;
use crm_runtime::{ApiError, ApiErrorKind, Transport};

/// The vendor name used in errors, spans and recordings.
pub const VENDOR: &str = "useasy";

/// The `code` of a successful response.
pub const SUCCESS_CODE: &str = "200";

/// Result of every call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a code means. useasy publishes no code table; its codes look like HTTP statuses
/// (`"200"` is success), so they are read that way: an assumption, not a documented fact.
pub fn kind_of(code: &str) -> ApiErrorKind {
    match code {
        "401" | "403" => ApiErrorKind::Auth,
        "429" => ApiErrorKind::RateLimited,
        "404" => ApiErrorKind::NotFound,
        c if c.starts_with('4') && c.len() == 3 => ApiErrorKind::InvalidRequest,
        c if c.starts_with('5') && c.len() == 3 => ApiErrorKind::Server,
        _ => ApiErrorKind::Other,
    }
}

/// The fields every useasy response carries. `code` is read as a string or a number (a gateway
/// may send either).
#[derive(Deserialize)]
pub(crate) struct Envelope {
    #[serde(default)]
    pub(crate) success: Option<bool>,
    #[serde(default)]
    pub(crate) code: Option<WireCode>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default, rename = "traceId")]
    pub(crate) trace_id: Option<String>,
}

impl Envelope {
    /// Whether this is a useasy envelope at all: every answer the document shows has
    /// `success` (a gateway's `{"code":503,"message":"upstream busy"}` has only `code`).
    pub(crate) fn is_envelope(&self) -> bool {
        self.success.is_some()
    }

    /// The vendor error this envelope reports, if it reports one.
    fn failure(self, operation: &'static str) -> Option<ApiError> {
        let code = self.code.map(|WireCode(c)| c);
        let failed =
            self.success == Some(false) || code.as_deref().is_some_and(|c| c != SUCCESS_CODE);
        if !failed {
            return None;
        }
        let code = code.unwrap_or_default();
        // Not retryable: no vendor code is documented as transient (see the crate docs).
        Some(
            ApiError::new(
                VENDOR,
                operation,
                code.clone(),
                self.message.unwrap_or_default(),
            )
            .with_kind(kind_of(&code))
            .with_trace_id(self.trace_id.filter(|t| !t.is_empty())),
        )
    }

    /// `Ok` for a successful envelope, the vendor error for a failed one, and an
    /// [`Error::Protocol`] for a body that is no useasy envelope (no `success`: a gateway's
    /// answer), which is retried and never read as an empty result.
    pub(crate) fn into_result(
        self,
        transport: &Transport,
        operation: &'static str,
        body: &[u8],
    ) -> Result<()> {
        if !self.is_envelope() {
            return Err(transport.protocol_error(operation, "no `success`", body));
        }
        match self.failure(operation) {
            Some(api) => Err(Error::Api(api)),
            None => Ok(()),
        }
    }
}

/// Returns the vendor error carried by a 2xx `body`, if any, or an [`Error::Protocol`] when
/// the body is not a useasy envelope (not a JSON object, or no `success`).
pub(crate) fn check(transport: &Transport, operation: &'static str, body: &[u8]) -> Result<()> {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(envelope) => envelope.into_result(transport, operation, body),
        Err(_) => Err(transport.protocol_error(operation, "not a JSON object", body)),
    }
}

/// Turns a non-2xx response whose body is a failed useasy envelope into an [`Error::Api`] (the
/// HTTP status goes into `description`; HTTP 429 and 5xx stay retryable, with their
/// `Retry-After`). Any other error is returned unchanged.
///
/// A non-2xx response whose whole body is the vendor envelope (a bad signature answers
/// HTTP 401 with `{"success":false,"code":"401",...}`) becomes an [`Error::Api`] carrying the
/// status; any other body stays the given [`Error::HttpStatus`].
pub(crate) fn from_status(error: Error, body: &[u8]) -> Error {
    let Error::HttpStatus {
        operation,
        status,
        retry_after,
        ..
    } = error
    else {
        return error;
    };
    let Ok(envelope) = serde_json::from_slice::<Envelope>(body) else {
        return error;
    };
    let retryable = error.is_retryable();
    match envelope.failure(operation) {
        Some(api) => Error::Api(
            api.with_description(Some(format!("HTTP {status}")))
                .with_retryable(retryable)
                .with_retry_after(retry_after),
        ),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn transport() -> Transport {
        Transport::new(
            VENDOR,
            crm_runtime::TransportConfig::new(crm_runtime::RateLimits::off()),
            crm_runtime::Redactor::default(),
        )
        .unwrap()
    }

    #[test]
    fn envelope_failures() {
        let t = transport();
        let check = |body: &[u8]| check(&t, "op", body);
        assert!(check(br#"{"success":true,"message":"200 ok!","code":"200","data":null}"#).is_ok());
        assert!(check(br#"{"success":true,"code":200,"data":null}"#).is_ok());
        for foreign in [
            &b"not json"[..],
            br#"{"code":503,"message":"upstream busy"}"#,
            br#"{"data":{"list":[],"count":0}}"#,
        ] {
            let e = check(foreign).unwrap_err();
            assert!(
                matches!(e, Error::Protocol { .. }) && e.is_retryable(),
                "{e}"
            );
        }
        let e =
            check(br#"{"success":false,"message":"bad","code":"500","traceId":"t1"}"#).unwrap_err();
        let api = e.api().unwrap();
        assert_eq!(
            (
                api.code.as_str(),
                api.message.as_str(),
                api.trace_id.as_deref()
            ),
            ("500", "bad", Some("t1"))
        );
        assert!(!api.retryable);
        // A numeric code.
        assert_eq!(
            check(br#"{"success":false,"code":401,"message":"x"}"#)
                .unwrap_err()
                .api_code(),
            Some("401")
        );
        // `success: false` with code 200 is still a failure.
        assert!(check(br#"{"success":false,"code":"200","message":"?"}"#).is_err());
    }

    #[test]
    fn non_2xx_envelopes_become_api_errors() {
        let http_after = |status, body: &str, retry_after| {
            let error = Error::HttpStatus {
                operation: "op",
                status,
                excerpt: body.chars().take(20).collect(),
                retry_after,
            };
            from_status(error, body.as_bytes())
        };
        let http = |status, body: &str| http_after(status, body, None);
        let e = http(
            401,
            r#"{"success":false,"code":"401","message":"签名验证失败"}"#,
        );
        let api = e.api().unwrap();
        assert_eq!(api.code, "401");
        assert_eq!(api.description.as_deref(), Some("HTTP 401"));
        assert!(!e.is_retryable());
        let e = http(
            429,
            r#"{"success":false,"code":"429","message":"too many"}"#,
        );
        assert!(e.api().is_some() && e.is_retryable());
        // The server's Retry-After stays with the error: the retry waits that long.
        let seven = Some(std::time::Duration::from_secs(7));
        let e = http_after(
            429,
            r#"{"success":false,"code":"429","message":"too many"}"#,
            seven,
        );
        assert_eq!(e.api().and_then(|a| a.retry_after), seven);
        let e = http(503, "injected fault: HTTP 503");
        assert!(matches!(e, Error::HttpStatus { status: 503, .. }) && e.is_retryable());
    }

    #[test]
    fn codes_read_as_http_statuses_give_the_kind() {
        for (code, kind) in [
            ("401", ApiErrorKind::Auth),
            ("403", ApiErrorKind::Auth),
            ("429", ApiErrorKind::RateLimited),
            ("404", ApiErrorKind::NotFound),
            ("400", ApiErrorKind::InvalidRequest),
            ("422", ApiErrorKind::InvalidRequest),
            ("500", ApiErrorKind::Server),
            ("503", ApiErrorKind::Server),
            ("200", ApiErrorKind::Other),
            ("4001", ApiErrorKind::Other),
            ("", ApiErrorKind::Other),
        ] {
            assert_eq!(kind_of(code), kind, "{code:?}");
        }
    }
}
