//! The error type shared by the three clients (each re-exports it as its own `Error`).

use std::fmt;

use crate::DecodeError;

/// An error returned by the vendor's API: a well-formed response whose code says "failed".
#[derive(Clone, PartialEq, Eq)]
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
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} failed with code {}: {}",
            self.vendor, self.operation, self.code, self.message
        )?;
        if let Some(d) = self
            .description
            .as_deref()
            .filter(|d| !d.is_empty() && *d != self.message)
        {
            write!(f, " ({d})")?;
        }
        if let Some(t) = &self.trace_id {
            write!(f, " [trace id {t}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
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

/// Everything that can go wrong calling a vendor.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request did not get a complete HTTP response.
    #[error("{operation}: network error ({kind:?}): {message}")]
    Transport {
        /// The operation.
        operation: &'static str,
        /// What kind of failure.
        kind: TransportKind,
        /// Details (never contains secrets: URLs are stripped of their query).
        message: String,
    },
    /// The vendor answered with a non-success HTTP status.
    #[error("{operation}: HTTP {status}: {excerpt}")]
    HttpStatus {
        /// The operation.
        operation: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The beginning of the response body.
        excerpt: String,
    },
    /// The response body was larger than the configured cap.
    #[error("{operation}: response larger than the {limit}-byte limit")]
    ResponseTooLarge {
        /// The operation.
        operation: &'static str,
        /// The configured cap in bytes.
        limit: usize,
    },
    /// The vendor returned an error code.
    #[error("{0}")]
    Api(ApiError),
    /// An HTTP 2xx answer that is not the vendor's answer at all: no envelope (a gateway's
    /// `{"code":503,"message":"upstream busy"}`, an HTML page). Transient, so it is retried like
    /// an HTTP 502; it is never read as an empty page.
    #[error(
        "{operation}: the response is not a {vendor} answer ({detail}); body starts: {excerpt}"
    )]
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
    /// One record of a page could not be decoded into the requested type. The stream goes on
    /// with the next record: see [`Error::is_record`].
    #[error("{operation}: record {} cannot be decoded {source}", id.as_deref().unwrap_or("without an id"))]
    Record {
        /// The operation.
        operation: &'static str,
        /// The record's id, when it has one.
        id: Option<String>,
        /// Where in the page and why.
        source: DecodeError,
    },
    /// The response did not match the expected type.
    #[error("{operation}: cannot decode the response {source}")]
    Decode {
        /// The operation.
        operation: &'static str,
        /// Where and why.
        source: DecodeError,
    },
    /// The client is misconfigured (missing credential, bad base URL, invalid argument).
    #[error("configuration error: {0}")]
    Config(String),
    /// A paginated listing stopped making progress (the same page again), which would loop.
    #[error(
        "{operation}: pagination made no progress ({detail}); stopped to avoid an endless loop"
    )]
    NoProgress {
        /// The operation.
        operation: &'static str,
        /// What repeated.
        detail: String,
    },
    /// A bug: code run for this operation panicked (the panic is reported, not propagated).
    #[error("{operation}: internal error: {message}")]
    Panic {
        /// The operation.
        operation: &'static str,
        /// The panic message.
        message: String,
    },
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// Whether repeating the same call may succeed: transport failures, HTTP 429 and 5xx, and
    /// vendor codes classified transient.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { kind, .. } => *kind != TransportKind::Request,
            Error::HttpStatus { status, .. } => *status == 429 || (500..=599).contains(status),
            Error::Protocol { .. } => true,
            Error::Api(api) => api.retryable,
            _ => false,
        }
    }

    /// Whether the request may have reached the vendor (so a non-idempotent write must not be
    /// repeated blindly). Connect failures never reached it.
    pub fn may_have_been_sent(&self) -> bool {
        !matches!(
            self,
            Error::Transport {
                kind: TransportKind::Connect | TransportKind::Request,
                ..
            } | Error::Config(_)
        )
    }

    /// Replaces each of `secrets` wherever this error quotes text from the wire (a vendor
    /// message, a body excerpt, a transport message), in case a vendor echoes a secret back
    /// outside the keys the redactor knows.
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
            } => Error::HttpStatus {
                operation,
                status,
                excerpt: clean(excerpt),
            },
            Error::Transport {
                operation,
                kind,
                message,
            } => Error::Transport {
                operation,
                kind,
                message: clean(message),
            },
            other => other,
        }
    }

    /// Whether this is one record that could not be typed ([`Error::Record`]): a stream yields
    /// it and goes on, so a consumer can log it and skip to the next record.
    pub fn is_record(&self) -> bool {
        matches!(self, Error::Record { .. })
    }

    /// The vendor error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The vendor's error code, if this is a vendor error.
    pub fn api_code(&self) -> Option<&str> {
        self.api().map(|a| a.code.as_str())
    }
}
