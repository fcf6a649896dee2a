//! The error type shared by the three clients (each re-exports it as its own `Error`).
//!
//! Every error's `Display` and `Debug` pass through [`scrub`], so a
//! vendor message or body excerpt that echoes a secret or a token never prints it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::DecodeError;
use crate::secret::scrub;

/// What a vendor error code means, as each vendor crate classifies its own code table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// Credentials, token or permission: fix the configuration.
    Auth,
    /// Too many calls in a short window: wait and repeat.
    RateLimited,
    /// A daily or purchased quota is used up: not before it resets.
    QuotaExhausted,
    /// The record or object does not exist.
    NotFound,
    /// The request itself is wrong (a parameter, a value, a rule of the vendor).
    InvalidRequest,
    /// The vendor failed on its side (busy, exception, timeout): a write may have been applied.
    Server,
    /// Any other code.
    Other,
}

/// An error returned by the vendor's API: a well-formed response whose code says "failed".
///
/// Built by the vendor crates with [`ApiError::new`] and the `with_*` setters (the struct is
/// `#[non_exhaustive]`, so that fields can be added in a minor release); read its fields.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The vendor (`fxiaoke`, `useasy`, `u8`).
    pub vendor: &'static str,
    /// The operation that failed.
    pub operation: &'static str,
    /// The vendor's error code, as text (`20016`, `30021`, ...).
    pub code: String,
    /// The vendor's message.
    pub message: String,
    /// The vendor's longer description, when it sends one.
    pub description: Option<String>,
    /// The vendor's trace id, when it sends one (quote it to the vendor's support).
    pub trace_id: Option<String>,
    /// Whether the vendor documents this code as transient (busy, rate limited).
    pub retryable: bool,
    /// What the code means.
    pub kind: ApiErrorKind,
    /// How long to wait before calling again, when the code says (a rate-limit window).
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// The error `code` with `message` of `vendor`'s `operation`: no description or trace id,
    /// not retryable, of kind [`ApiErrorKind::Other`], no wait asked for.
    pub fn new(
        vendor: &'static str,
        operation: &'static str,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            vendor,
            operation,
            code: code.into(),
            message: message.into(),
            description: None,
            trace_id: None,
            retryable: false,
            kind: ApiErrorKind::Other,
            retry_after: None,
        }
    }

    /// The vendor's longer description.
    pub fn with_description(mut self, description: Option<String>) -> Self {
        self.description = description;
        self
    }

    /// The vendor's trace id.
    pub fn with_trace_id(mut self, trace_id: Option<String>) -> Self {
        self.trace_id = trace_id;
        self
    }

    /// Whether the vendor documents the code as transient.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// What the code means.
    pub fn with_kind(mut self, kind: ApiErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// How long to wait before calling again.
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = format!(
            "{} {} failed with code {}: {}",
            self.vendor, self.operation, self.code, self.message
        );
        if let Some(d) = self
            .description
            .as_deref()
            .filter(|d| !d.is_empty() && *d != self.message)
        {
            text.push_str(&format!(" ({d})"));
        }
        if let Some(t) = &self.trace_id {
            text.push_str(&format!(" [trace id {t}]"));
        }
        f.write_str(&scrub(&text))
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!(
            "ApiError {{ vendor: {:?}, operation: {:?}, code: {:?}, kind: {:?}, message: {:?}, description: {:?}, trace_id: {:?}, retryable: {} }}",
            self.vendor,
            self.operation,
            self.code,
            self.kind,
            self.message,
            self.description,
            self.trace_id,
            self.retryable
        );
        f.write_str(&scrub(&text))
    }
}

/// What kind of transport failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// Could not connect.
    Connect,
    /// The request or connection timed out.
    Timeout,
    /// The connection broke while sending or receiving.
    Io,
    /// The request could not be built (bad URL, ...).
    Request,
}

/// Whether a failed call may have changed something at the vendor: see [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing was applied: rejected before sending, or by the vendor.
    NotApplied,
    /// It was sent and no definite answer came back: it may have been applied.
    Unknown,
}

/// The underlying cause of a transport error (the HTTP client's error, with no URL in it).
pub type ErrorSource = Arc<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong calling a vendor.
///
/// # Was a failed write applied?
///
/// A failed write is in one of two states, and [`Error::outcome`] says which:
///
/// - [`Outcome::NotApplied`]: rejected before it was sent (a bad argument, a connection that
///   never opened, the client's own deadline) or rejected by the vendor (validation,
///   permission, an expired token, a rate-limit code). Nothing changed; fix the cause and send
///   it again.
/// - [`Outcome::Unknown`] ([`Error::OutcomeUnknown`]): the request was sent and no definite
///   answer came back (a timeout or a broken connection after sending, an HTTP 5xx, a gateway
///   page instead of the vendor's answer, a vendor "service exception"). It may or may not have
///   been applied: read the record back before repeating a write that is not idempotent.
///   [`Error::is_retryable`] is then true only for an idempotent write.
#[derive(Clone)]
#[non_exhaustive]
pub enum Error {
    /// The request did not get a complete HTTP response.
    Transport {
        /// The operation.
        operation: &'static str,
        /// What kind of failure.
        kind: TransportKind,
        /// Details (never contains secrets: URLs are stripped of their query).
        message: String,
        /// The HTTP client's error.
        source: Option<ErrorSource>,
    },
    /// The vendor answered with a non-success HTTP status.
    HttpStatus {
        /// The operation.
        operation: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The beginning of the response body.
        excerpt: String,
        /// How long the vendor asked to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// The response body was larger than the configured cap.
    ResponseTooLarge {
        /// The operation.
        operation: &'static str,
        /// The configured cap in bytes.
        limit: usize,
    },
    /// An HTTP 2xx answer that is not the vendor's answer at all: no envelope (a gateway's
    /// `{"code":503,"message":"upstream busy"}`, an HTML page). Transient, so it is retried like
    /// an HTTP 502; it is never read as an empty page.
    Protocol {
        /// The operation.
        operation: &'static str,
        /// The vendor whose envelope was expected.
        vendor: &'static str,
        /// What is missing or wrong.
        detail: String,
        /// The beginning of the body, secrets redacted.
        excerpt: String,
    },
    /// The vendor returned an error code.
    Api(ApiError),
    /// One record of a page could not be decoded into the requested type. The stream goes on
    /// with the next record: see [`Error::is_record`].
    Record {
        /// The operation.
        operation: &'static str,
        /// The record's id, when it has one.
        id: Option<String>,
        /// Where in the page and why.
        source: DecodeError,
    },
    /// The response did not match the expected type.
    Decode {
        /// The operation.
        operation: &'static str,
        /// Where and why.
        source: DecodeError,
    },
    /// The client is misconfigured: a bad base URL, a setting that cannot be read, an HTTP
    /// client that cannot be built.
    Config(String),
    /// A credential the client needs was not set; the message names each one (and its
    /// environment variable where the client reads one).
    MissingCredential(String),
    /// An argument out of the range the API accepts, or missing where the operation needs it
    /// (a page size of 0, an update without `_id`, a value that does not fit its field).
    /// Raised before anything is sent.
    InvalidArgument(String),
    /// A field name the vendor's field configuration does not know (useasy custom fields by
    /// display name); the message lists the known names.
    UnknownField {
        /// The name or id asked for.
        field: String,
        /// What was looked up and what is known.
        message: String,
    },
    /// A record or request body could not be encoded as the JSON the operation sends.
    Encode {
        /// The operation (or the record type, for conversions).
        operation: String,
        /// Why.
        message: String,
    },
    /// A paginated listing stopped making progress (the same page again), which would loop.
    NoProgress {
        /// The operation.
        operation: &'static str,
        /// What repeated.
        detail: String,
    },
    /// The call did not finish within its overall deadline (all attempts and waits together).
    Deadline {
        /// The operation.
        operation: &'static str,
        /// The deadline.
        after: Duration,
        /// The last failure before it, if any.
        last: Option<Box<Error>>,
    },
    /// A write was sent and no definite answer came back: it may or may not have been applied
    /// (see [`Error`]). `source` says what happened.
    OutcomeUnknown {
        /// The operation.
        operation: &'static str,
        /// Whether repeating the write cannot apply it twice.
        idempotent: bool,
        /// What went wrong after the write was sent.
        source: Box<Error>,
    },
    /// An operation over several records stopped part-way: `done` were handled, `not_done`
    /// were not (the first of them failed with `source`, whose [`Error::outcome`] says whether
    /// it may have been applied).
    Partial {
        /// The operation.
        operation: &'static str,
        /// Records handled.
        done: Vec<String>,
        /// Records not handled (the first one failed).
        not_done: Vec<String>,
        /// Why it stopped.
        source: Box<Error>,
    },
    /// A bug: code run for this operation panicked (the panic is reported, not propagated).
    Panic {
        /// The operation.
        operation: &'static str,
        /// The panic message.
        message: String,
    },
}

impl Error {
    /// The text of `Display`, before scrubbing.
    fn render(&self) -> String {
        match self {
            Error::Transport {
                operation,
                kind,
                message,
                ..
            } => format!("{operation}: network error ({kind:?}): {message}"),
            Error::HttpStatus {
                operation,
                status,
                excerpt,
                ..
            } => format!("{operation}: HTTP {status}: {excerpt}"),
            Error::ResponseTooLarge { operation, limit } => {
                format!("{operation}: response larger than the {limit}-byte limit")
            }
            Error::Protocol {
                operation,
                vendor,
                detail,
                excerpt,
            } => format!(
                "{operation}: the response is not a {vendor} answer ({detail}); body starts: {excerpt}"
            ),
            Error::Api(api) => api.to_string(),
            Error::Record {
                operation,
                id,
                source,
            } => format!(
                "{operation}: record {} cannot be decoded {source}",
                id.as_deref().unwrap_or("without an id")
            ),
            Error::Decode { operation, source } => {
                format!("{operation}: cannot decode the response {source}")
            }
            Error::Config(message) | Error::MissingCredential(message) => {
                format!("configuration error: {message}")
            }
            Error::InvalidArgument(message) => format!("invalid argument: {message}"),
            Error::UnknownField { message, .. } => format!("unknown field: {message}"),
            Error::Encode { operation, message } => {
                format!("{operation}: cannot encode the request: {message}")
            }
            Error::NoProgress { operation, detail } => format!(
                "{operation}: pagination made no progress ({detail}); stopped to avoid an endless loop"
            ),
            Error::Deadline {
                operation,
                after,
                last,
            } => match last {
                Some(last) => format!(
                    "{operation}: no answer within the {after:?} deadline (last: {})",
                    last.render()
                ),
                None => format!("{operation}: no answer within the {after:?} deadline"),
            },
            Error::OutcomeUnknown {
                operation, source, ..
            } => format!(
                "{operation}: the write was sent but its outcome is unknown (it may have been applied; check before repeating it): {}",
                source.render()
            ),
            Error::Partial {
                operation,
                done,
                not_done,
                source,
            } => format!(
                "{operation}: stopped part-way: done {done:?}, not done {not_done:?}: {}",
                source.render()
            ),
            Error::Panic { operation, message } => {
                format!("{operation}: internal error: {message}")
            }
        }
    }

    /// The structure for `Debug`, before scrubbing.
    fn structure(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport {
                operation,
                kind,
                message,
                source,
            } => f
                .debug_struct("Transport")
                .field("operation", operation)
                .field("kind", kind)
                .field("message", message)
                .field("source", &source.as_ref().map(|s| s.to_string()))
                .finish(),
            Error::HttpStatus {
                operation,
                status,
                excerpt,
                retry_after,
            } => f
                .debug_struct("HttpStatus")
                .field("operation", operation)
                .field("status", status)
                .field("excerpt", excerpt)
                .field("retry_after", retry_after)
                .finish(),
            Error::ResponseTooLarge { operation, limit } => f
                .debug_struct("ResponseTooLarge")
                .field("operation", operation)
                .field("limit", limit)
                .finish(),
            Error::Protocol {
                operation,
                vendor,
                detail,
                excerpt,
            } => f
                .debug_struct("Protocol")
                .field("operation", operation)
                .field("vendor", vendor)
                .field("detail", detail)
                .field("excerpt", excerpt)
                .finish(),
            Error::Api(api) => f.debug_tuple("Api").field(api).finish(),
            Error::Record {
                operation,
                id,
                source,
            } => f
                .debug_struct("Record")
                .field("operation", operation)
                .field("id", id)
                .field("path", &source.path)
                .field("message", &source.message)
                .field("excerpt", &source.excerpt)
                .finish(),
            Error::Decode { operation, source } => f
                .debug_struct("Decode")
                .field("operation", operation)
                .field("path", &source.path)
                .field("message", &source.message)
                .field("excerpt", &source.excerpt)
                .finish(),
            Error::Config(message) => f.debug_tuple("Config").field(message).finish(),
            Error::MissingCredential(message) => {
                f.debug_tuple("MissingCredential").field(message).finish()
            }
            Error::InvalidArgument(message) => {
                f.debug_tuple("InvalidArgument").field(message).finish()
            }
            Error::UnknownField { field, message } => f
                .debug_struct("UnknownField")
                .field("field", field)
                .field("message", message)
                .finish(),
            Error::Encode { operation, message } => f
                .debug_struct("Encode")
                .field("operation", operation)
                .field("message", message)
                .finish(),
            Error::NoProgress { operation, detail } => f
                .debug_struct("NoProgress")
                .field("operation", operation)
                .field("detail", detail)
                .finish(),
            Error::Deadline {
                operation,
                after,
                last,
            } => f
                .debug_struct("Deadline")
                .field("operation", operation)
                .field("after", after)
                .field("last", last)
                .finish(),
            Error::OutcomeUnknown {
                operation,
                idempotent,
                source,
            } => f
                .debug_struct("OutcomeUnknown")
                .field("operation", operation)
                .field("idempotent", idempotent)
                .field("source", source)
                .finish(),
            Error::Partial {
                operation,
                done,
                not_done,
                source,
            } => f
                .debug_struct("Partial")
                .field("operation", operation)
                .field("done", done)
                .field("not_done", not_done)
                .field("source", source)
                .finish(),
            Error::Panic { operation, message } => f
                .debug_struct("Panic")
                .field("operation", operation)
                .field("message", message)
                .finish(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&scrub(&self.render()))
    }
}

impl fmt::Debug for Error {
    /// The variant and its fields (`{:#?}` pretty-prints), secrets scrubbed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Structure<'a>(&'a Error);
        impl fmt::Debug for Structure<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.structure(f)
            }
        }
        let text = if f.alternate() {
            format!("{:#?}", Structure(self))
        } else {
            format!("{:?}", Structure(self))
        };
        f.write_str(&scrub(&text))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport {
                source: Some(s), ..
            } => Some(&**s),
            Error::Record { source, .. } | Error::Decode { source, .. } => Some(source),
            Error::Api(api) => Some(api),
            Error::OutcomeUnknown { source, .. } | Error::Partial { source, .. } => Some(&**source),
            Error::Deadline { last: Some(l), .. } => Some(&**l),
            _ => None,
        }
    }
}

impl std::error::Error for ApiError {}

impl Error {
    /// Whether repeating the same call may succeed: transport failures, HTTP 429 and 5xx,
    /// answers without the vendor's envelope, and vendor codes classified transient. Never for
    /// a write that is not idempotent and may have been applied ([`Error::OutcomeUnknown`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { kind, .. } => *kind != TransportKind::Request,
            Error::HttpStatus { status, .. } => *status == 429 || (500..=599).contains(status),
            Error::Protocol { .. } => true,
            Error::Api(api) => api.retryable,
            Error::OutcomeUnknown {
                idempotent, source, ..
            } => *idempotent && source.is_retryable(),
            _ => false,
        }
    }

    /// Whether the request may have reached the vendor (so a non-idempotent write must not be
    /// repeated blindly). Connect failures and errors raised before sending never reached it.
    pub fn may_have_been_sent(&self) -> bool {
        !matches!(
            self,
            Error::Transport {
                kind: TransportKind::Connect | TransportKind::Request,
                ..
            } | Error::Config(_)
                | Error::MissingCredential(_)
                | Error::InvalidArgument(_)
                | Error::UnknownField { .. }
                | Error::Encode { .. }
                | Error::Deadline { last: None, .. }
        )
    }

    /// Whether the vendor definitely did not apply the call, having answered with a rejection
    /// (an API error that is not a vendor-side failure, or an HTTP 4xx).
    pub(crate) fn is_rejection(&self) -> bool {
        match self {
            Error::Api(api) => api.kind != ApiErrorKind::Server,
            Error::HttpStatus { status, .. } => (400..500).contains(status),
            _ => false,
        }
    }

    /// Whether a failed write may have been applied: see [`Error`]. A read's failure is
    /// always [`Outcome::NotApplied`].
    pub fn outcome(&self) -> Outcome {
        match self {
            Error::OutcomeUnknown { .. } => Outcome::Unknown,
            Error::Deadline { last: Some(l), .. } => l.outcome(),
            Error::Partial { source, .. } => source.outcome(),
            _ => Outcome::NotApplied,
        }
    }

    /// Wraps the failure of a write that may have been applied into
    /// [`Error::OutcomeUnknown`]; any other error is returned as it is. The transport calls it
    /// for every failed write.
    pub fn after_write(self, operation: &'static str, idempotent: bool) -> Error {
        if self.may_have_been_sent()
            && !self.is_rejection()
            && !matches!(
                self,
                Error::OutcomeUnknown { .. } | Error::Panic { .. } | Error::Deadline { .. }
            )
        {
            Error::OutcomeUnknown {
                operation,
                idempotent,
                source: Box::new(self),
            }
        } else {
            self
        }
    }

    /// Whether this is one record that could not be typed ([`Error::Record`]): a stream yields
    /// it and goes on, so a consumer can log it and skip to the next record.
    pub fn is_record(&self) -> bool {
        matches!(self, Error::Record { .. })
    }

    /// The vendor error, if this is one (also inside [`Error::OutcomeUnknown`]).
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            Error::OutcomeUnknown { source, .. } | Error::Partial { source, .. } => source.api(),
            _ => None,
        }
    }

    /// The vendor's error code, if this is a vendor error.
    pub fn api_code(&self) -> Option<&str> {
        self.api().map(|a| a.code.as_str())
    }

    /// The kind of the vendor error, if this is one.
    pub fn api_kind(&self) -> Option<ApiErrorKind> {
        self.api().map(|a| a.kind)
    }

    /// Credentials, token or permission were refused (by the vendor, or HTTP 401/403).
    pub fn is_auth(&self) -> bool {
        self.api_kind() == Some(ApiErrorKind::Auth)
            || matches!(
                self,
                Error::HttpStatus {
                    status: 401 | 403,
                    ..
                }
            )
    }

    /// The vendor said: too many calls (its rate-limit code, or HTTP 429).
    pub fn is_rate_limited(&self) -> bool {
        self.api_kind() == Some(ApiErrorKind::RateLimited)
            || matches!(self, Error::HttpStatus { status: 429, .. })
    }

    /// A daily or purchased quota is used up.
    pub fn is_quota_exhausted(&self) -> bool {
        self.api_kind() == Some(ApiErrorKind::QuotaExhausted)
    }

    /// The record or object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.api_kind() == Some(ApiErrorKind::NotFound)
            || matches!(self, Error::HttpStatus { status: 404, .. })
    }

    /// The caller's input was refused before anything was sent: an argument out of range, an
    /// unknown field name, a record that cannot be encoded. (Settings and credentials are
    /// [`Error::Config`] and [`Error::MissingCredential`].)
    pub fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            Error::InvalidArgument(_) | Error::UnknownField { .. } | Error::Encode { .. }
        )
    }

    /// How long the vendor asked to wait before the next call (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::HttpStatus { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Replaces each of `secrets` wherever this error quotes text from the wire (a vendor
    /// message, a body excerpt, a transport message), in case a vendor echoes a secret back
    /// outside the keys the redactor knows. (`Display` and `Debug` scrub every secret the
    /// process knows anyway; this cleans the public fields too.)
    pub fn redact_values(self, secrets: &[&str]) -> Error {
        let clean = |text: String| {
            secrets.iter().filter(|s| !s.is_empty()).fold(text, |t, s| {
                if t.contains(s) {
                    t.replace(s, crate::REDACTED)
                } else {
                    t
                }
            })
        };
        match self {
            Error::Api(mut api) => {
                api.message = clean(api.message);
                api.description = api.description.map(clean);
                Error::Api(api)
            }
            Error::Decode {
                operation,
                mut source,
            } => {
                source.message = clean(source.message);
                source.excerpt = clean(source.excerpt);
                Error::Decode { operation, source }
            }
            Error::Record {
                operation,
                id,
                mut source,
            } => {
                source.message = clean(source.message);
                source.excerpt = clean(source.excerpt);
                Error::Record {
                    operation,
                    id,
                    source,
                }
            }
            Error::Protocol {
                operation,
                vendor,
                detail,
                excerpt,
            } => Error::Protocol {
                operation,
                vendor,
                detail,
                excerpt: clean(excerpt),
            },
            Error::HttpStatus {
                operation,
                status,
                excerpt,
                retry_after,
            } => Error::HttpStatus {
                operation,
                status,
                excerpt: clean(excerpt),
                retry_after,
            },
            Error::Transport {
                operation,
                kind,
                message,
                source,
            } => Error::Transport {
                operation,
                kind,
                message: clean(message),
                source,
            },
            Error::OutcomeUnknown {
                operation,
                idempotent,
                source,
            } => Error::OutcomeUnknown {
                operation,
                idempotent,
                source: Box::new(source.redact_values(secrets)),
            },
            other => other,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn api(kind: ApiErrorKind) -> Error {
        Error::Api(ApiError {
            vendor: "fxiaoke",
            operation: "create_data",
            code: "1".into(),
            message: "m".into(),
            description: None,
            trace_id: None,
            retryable: kind == ApiErrorKind::RateLimited,
            kind,
            retry_after: None,
        })
    }

    #[test]
    fn debug_is_structural_and_display_is_scrubbed() {
        let token = crate::SecretString::new("TOKEN-echoed-by-the-vendor-0123");
        let e = Error::HttpStatus {
            operation: "query_data",
            status: 500,
            excerpt: format!("echo: corpAccessToken={}", token.expose_secret()),
            retry_after: None,
        };
        let debug = format!("{e:?}");
        assert!(debug.starts_with("HttpStatus {"), "{debug}");
        assert!(debug.contains("status: 500"), "{debug}");
        for text in [debug, format!("{e:#?}"), e.to_string()] {
            assert!(!text.contains(token.expose_secret()), "{text}");
            assert!(text.contains(crate::REDACTED), "{text}");
        }
    }

    #[test]
    fn writes_that_may_have_been_applied_are_told_apart() {
        let timeout = || Error::Transport {
            operation: "create_data",
            kind: TransportKind::Timeout,
            message: "timed out".into(),
            source: None,
        };
        let unknown = timeout().after_write("create_data", false);
        assert_eq!(unknown.outcome(), Outcome::Unknown);
        assert!(!unknown.is_retryable(), "a create is not idempotent");
        assert!(timeout().after_write("update_data", true).is_retryable());
        let refused = Error::Transport {
            operation: "create_data",
            kind: TransportKind::Connect,
            message: "refused".into(),
            source: None,
        };
        assert_eq!(
            refused.after_write("create_data", false).outcome(),
            Outcome::NotApplied
        );
        for rejected in [
            api(ApiErrorKind::InvalidRequest),
            api(ApiErrorKind::RateLimited),
        ] {
            assert_eq!(
                rejected.after_write("create_data", false).outcome(),
                Outcome::NotApplied
            );
        }
        assert_eq!(
            api(ApiErrorKind::Server)
                .after_write("create_data", false)
                .outcome(),
            Outcome::Unknown
        );
        let five_hundred = Error::HttpStatus {
            operation: "create_data",
            status: 502,
            excerpt: String::new(),
            retry_after: None,
        };
        assert_eq!(
            five_hundred.after_write("create_data", false).outcome(),
            Outcome::Unknown
        );
    }

    #[test]
    fn kinds_have_predicates() {
        assert!(api(ApiErrorKind::Auth).is_auth());
        assert!(api(ApiErrorKind::RateLimited).is_rate_limited());
        assert!(api(ApiErrorKind::QuotaExhausted).is_quota_exhausted());
        assert!(api(ApiErrorKind::NotFound).is_not_found());
        assert!(
            api(ApiErrorKind::RateLimited)
                .after_write("x", false)
                .is_rate_limited()
        );
    }
}
