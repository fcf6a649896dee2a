//! Vendor-neutral runtime shared by the `fxiaoke-crm`, `openapi-crm` and `u8-contacts` clients.
//!
//! Each vendor crate re-exports every type of this crate that its public API uses, so an
//! application depends on one vendor crate and never names `crm_runtime` itself. What is here:
//!
//! - value types for the vendors' wire quirks ([`LenientDecimal`], [`EpochMillis`],
//!   [`ChinaDateTime`], [`StrBool`], [`OpenEnum`], …; see [Value types](#value-types)), used by
//!   generated fields;
//! - [`ExtraFields`]: the fields a record type does not know, kept as the vendor's JSON text
//!   and parsed only when read; [`RawRecord`]: one record as the vendor's JSON text;
//! - [`SecretString`]: secrets that never reach `Debug`, logs or errors ([`scrub`]);
//! - [`Error`], shared by the three clients, with [`ApiError`] for the vendor's own errors;
//! - [`TransportConfig`], [`RetryPolicy`] and [`RateLimits`], set through [`TransportOptions`]
//!   on every client builder;
//! - [`OperationSpec`]: the operation descriptors that codegen emits and the clients execute.
//!
//! Items marked `#[doc(hidden)]` (the HTTP transport, request building, decoding helpers, the
//! token cache, the type registry) are plumbing for generated code and the vendor crates, as
//! in `progenitor-client`: they are not part of the supported API.
//!
//! ```
//! use crm_runtime::LenientDecimal;
//! let a: LenientDecimal = serde_json::from_str("\"300.00\"")?;
//! let b: LenientDecimal = serde_json::from_str("300")?;
//! assert_eq!(a, b);
//! assert_eq!(serde_json::to_string(&a)?, "\"300.00\"");
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! # Value types
//!
//! Real tenants send what the documents do not promise: `"assignTime": ""` where a time
//! belongs, `"qq": 10000` where U8 documents a string, `"version": 3` next to `"version": "3"`,
//! `"errcode": 0` instead of `"0"`. Two rules hold for every type here:
//!
//! 1. **Decoding a JSON scalar never fails.** A value in a form the type knows becomes a
//!    value; `""` and `null` become an *empty* value that remembers which of the two it was
//!    ([`EmptyForm`]); any other scalar (`"abc"` for a decimal, `2` for a boolean) is kept as
//!    [`Unparsed`], so one odd field never costs the whole record. Only a JSON array or object
//!    where a scalar belongs is an error: that is a different shape, not an odd value, and the
//!    schema has to change.
//! 2. **Re-encoding writes back exactly what was read**: `""` stays `""`, `null` stays `null`,
//!    `1` stays `1`, `"1"` stays `"1"`, `1000.0` stays `1000.0`, `"300.00"` keeps its scale,
//!    `" 20"` keeps its space, an unparsed value is written back unchanged.
//!
//! Every type answers the same questions: `get()` is the value, `None` when the field is empty
//! or unparsed (so user code reads like code over `Option`); `is_empty()` and `empty_form()` tell
//! an empty value; `unparsed()` gives what could not be read. Equality compares values
//! (`1` equals `"1.00"`), treats every empty value as equal to every other, and compares
//! unparsed values by what was received.
//!
//! | type | value forms | `get()` |
//! |---|---|---|
//! | [`LenientDecimal`] | JSON number, numeric string with any scale or exponent | `Option<Decimal>` |
//! | [`LenientInt`] | JSON integer (or integral float), integer string | `Option<i64>` |
//! | [`EpochMillis`] | JSON integer (or integral float), integer string | `Option<i64>` |
//! | [`ChinaDateTime`] | `"yyyy-MM-dd HH:mm:ss[.fff]"` (UTC+8), epoch-millisecond integer | `Option<DateTime<FixedOffset>>` |
//! | [`LenientDate`] | `"yyyy-MM-dd"`, `"yyyy-MM-dd HH:mm:ss[.fff]"` | `Option<NaiveDate>` |
//! | [`StrBool`] | `"1"`/`"0"`, `"true"`/`"false"` (any case), `true`/`false`, `1`/`0` | `Option<bool>` |
//! | [`OpenEnum`] | any string: a listed one is `Known`, others `Other` | [`OpenEnum::known`] |
//! | [`LenientString`] | string, number or boolean, kept as text | [`LenientString::as_str`] |
//!
//! `""` and `null` are empty for all of them except [`LenientString`], which is text: `""` is
//! the empty text and `null` reads as empty text too.
//!
//! A `null` member of an object decoded into an `Option<T>` field is `None`, as every vendor here
//! means "absent" by it (and it is written back as absent); the empty `null` state exists for
//! the places where a scalar itself is required: array elements and required fields.
//!
//! ```
//! use crm_runtime::{ChinaDateTime, EmptyForm, LenientDecimal};
//!
//! let t: ChinaDateTime = serde_json::from_str(r#""""#)?;
//! assert_eq!(t.get(), None);
//! assert_eq!(t.empty_form(), Some(EmptyForm::EmptyString));
//! assert_eq!(serde_json::to_string(&t)?, r#""""#);
//!
//! let d: LenientDecimal = serde_json::from_str(r#""abc""#)?;
//! assert_eq!(d.get(), None);
//! assert_eq!(d.unparsed().map(|u| u.to_string()).as_deref(), Some("abc"));
//! assert_eq!(serde_json::to_string(&d)?, r#""abc""#);
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! The JSON Schema definitions in `schemas/common/scalars.json` are mapped onto these types by
//! codegen. They list the value forms and the empty forms; an unparsed value decodes but does
//! not validate, so `cargo xtask drift` still reports it.

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

mod credentials;
mod error;
mod extra;
mod paginate;
mod record;
mod redact;
mod scalars;
mod secret;
mod token;
mod transport;

// Plumbing for generated code and the vendor crates (paths that generated code names).
#[doc(hidden)]
pub mod decode;
#[doc(hidden)]
pub mod operation;
#[doc(hidden)]
pub mod registry;
#[doc(hidden)]
pub mod request;

// Value types of generated fields.
pub use decode::RawRecord;
pub use extra::{ExtraFields, Iter as ExtraFieldsIter};
pub use scalars::{
    BoolForm, ChinaDateTime, EmptyForm, EpochMillis, InvalidDate, LenientDate, LenientDecimal,
    LenientInt, LenientString, OpenEnum, StrBool, TextForm, Unparsed, WireForm, china_offset,
};

// Secrets and redaction.
pub use secret::{Keep, REDACTED, SecretString, remember, scrub};

// Errors.
pub use decode::DecodeError;
pub use error::{ApiError, ApiErrorKind, Error, ErrorSource, Outcome, TransportKind};

// Transport configuration, set on every client builder.
pub use transport::{RateLimit, RateLimits, RetryPolicy, TransportConfig, TransportOptions};

// Operation descriptors.
pub use operation::{Auth, AuthCarrier, AuthFlowSpec, Effect, HttpMethod, OperationSpec, Paging};
pub use registry::NamedObject;

/// Plumbing for the vendor crates' `lib.rs`: the types above that a vendor crate's public API
/// or its generated fields use (errors, operation descriptors, value types, transport
/// options), listed once. Each vendor crate re-exports this module whole
/// (`#[doc(inline)] pub use crm_runtime::sdk::*;`), so that its users name these types through
/// the vendor crate alone and the three crates export the same set. Users of this crate name
/// them from the root.
#[doc(hidden)]
pub mod sdk {
    pub use crate::{
        ApiError, ApiErrorKind, DecodeError, Error, ErrorSource, Outcome, TransportKind,
    };
    pub use crate::{
        Auth, AuthCarrier, AuthFlowSpec, Effect, HttpMethod, NamedObject, OperationSpec, Paging,
    };
    pub use crate::{
        BoolForm, ChinaDateTime, EmptyForm, EpochMillis, ExtraFields, ExtraFieldsIter, InvalidDate,
        LenientDate, LenientDecimal, LenientInt, LenientString, OpenEnum, RawRecord, SecretString,
        StrBool, TextForm, Unparsed, WireForm,
    };
    pub use crate::{RateLimit, RateLimits, RetryPolicy, TransportConfig, TransportOptions};
}

// Plumbing for the vendor crates: builders, transport, paging, tokens, redaction.
#[doc(hidden)]
pub use credentials::{Credential, Missing, base_url, env_var};
#[doc(hidden)]
pub use extra::Capture;
#[doc(hidden)]
pub use paginate::{Page, flatten_pages, paginate};
#[doc(hidden)]
pub use redact::Redactor;
#[doc(hidden)]
pub use token::{Issued, TokenCache, YOUNG_TOKEN, refused_young_token};
#[doc(hidden)]
pub use transport::{HttpRequest, HttpResponse, Transport};
