//! Vendor-neutral runtime shared by the `fxiaoke-crm`, `openapi-crm` and `u8-contacts` clients.
//!
//! - [`scalars`]: value types for the vendors' wire quirks (decimals as strings or numbers,
//!   epoch milliseconds, China time, `"1"`/`"0"` booleans, open enums, text sent as numbers),
//!   used by generated code; they decode every JSON scalar (`""`, `null` and odd values
//!   included) and re-encode exactly what was read;
//! - [`ExtraFields`]: the fields a record type does not know, kept as the vendor's JSON text
//!   and parsed only when read;
//! - [`SecretString`]: secrets that never reach `Debug`, logs or errors;
//! - [`operation`]: the operation descriptors that codegen emits and the clients execute.
//!
//! ```
//! use crm_runtime::LenientDecimal;
//! let a: LenientDecimal = serde_json::from_str("\"300.00\"")?;
//! let b: LenientDecimal = serde_json::from_str("300")?;
//! assert_eq!(a, b);
//! assert_eq!(serde_json::to_string(&a)?, "\"300.00\"");
//! # Ok::<(), serde_json::Error>(())
//! ```

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

mod extra;
pub mod operation;
pub mod scalars;
mod secret;

#[doc(hidden)]
pub use extra::Capture;
pub use extra::{ExtraFields, Iter as ExtraFieldsIter};
pub use operation::{Auth, AuthCarrier, AuthFlowSpec, Effect, HttpMethod, OperationSpec, Paging};
pub use scalars::{
    BoolForm, ChinaDateTime, EmptyForm, EpochMillis, LenientDate, LenientDecimal, LenientInt,
    LenientString, OpenEnum, StrBool, TextForm, Unparsed, WireForm, china_offset,
};
pub use secret::{Keep, REDACTED, SecretString, remember, scrub};
pub mod decode;
pub mod registry;

pub use decode::{DecodeError, RawRecord};
pub use registry::NamedObject;
pub mod error;
pub mod paginate;
pub mod record;
pub mod redact;
pub mod request;
pub mod token;
pub mod transport;

pub use error::{ApiError, ApiErrorKind, Error, Outcome, TransportKind};
pub use paginate::{Page, paginate};
pub use redact::Redactor;
pub use token::{TokenCache, YOUNG_TOKEN};
pub use transport::{
    HttpRequest, HttpResponse, RateLimit, RateLimits, RetryPolicy, Transport, TransportConfig,
    TransportOptions,
};
