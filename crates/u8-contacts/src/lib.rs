//! Typed async client for the 用友 Yonyou **U8 OpenAPI** customer contacts
//! (`customercontacts/batch_get`, `customercontacts/get`), with token caching, typed filters,
//! a paging stream and an embedded mock server (feature `mock`).
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures::TryStreamExt;
//!
//! // A fake U8 gateway with sample contacts; use `Client::from_env()` against the real one.
//! let mock = u8_contacts::mock::MockU8::start_with_sample_data(50).await?;
//! let client = mock.client()?;
//!
//! let contacts: Vec<_> = client.batch_get().ccuscode("0215").stream().try_collect().await?;
//! for c in &contacts {
//!     let main = c.be_main_linker.as_ref().is_some_and(|b| b.is_true());
//!     println!("{} {} main={main}", c.code.as_deref().unwrap_or(""), c.name.as_deref().unwrap_or(""));
//! }
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))] fn main() {}
//! ```
//!
//! **Writes are not offered**: the vendor documents no contact write (`customercontacts/add`
//! was not found, docs/vendors.md §3.4), so this crate does not invent one.

// `crm_runtime::Error` is large (its `Api` variant holds an `ApiError` of about 136 bytes), so
// every `Result<_, Error>` trips this lint. The fix belongs in crm-runtime (box the variant);
// until then it is allowed here rather than at each function.
#![allow(clippy::result_large_err)]

mod auth;
mod client;
mod contacts;
mod error;
#[rustfmt::skip]
pub mod generated;
#[cfg(feature = "mock")]
pub mod mock;

pub use client::{Client, ClientBuilder, Config, DEFAULT_BASE_URL, DEFAULT_RATE_LIMIT, ENV_VARS};
pub use contacts::{BatchGet, DEFAULT_PAGE_SIZE};
pub use crm_runtime::{
    ApiError, ApiErrorKind, Error, Outcome, RateLimit, RateLimits, RawRecord, RetryPolicy,
    SecretString, TransportConfig,
};
// The type of every record's `extra` (fields the schema does not list).
pub use crm_runtime::ExtraFields;
pub use error::{Result, VENDOR, kind_of};
pub use generated::types;
pub use generated::types::Contact;
