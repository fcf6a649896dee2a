//! Typed async client for the 用友 Yonyou **U8 OpenAPI** customer contacts
//! (`customercontacts/batch_get`, `customercontacts/get`), with token caching, typed filters,
//! a paging stream. The example runs against the embedded mock server of the separate crate
//! `u8-contacts-mock` (a dev-dependency).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures::TryStreamExt;
//!
//! // A fake U8 gateway with sample contacts; use `Client::from_env()` against the real one.
//! let mock = u8_contacts_mock::MockU8::start_with_sample_data(50).await?;
//! let client = mock.client()?;
//!
//! let contacts: Vec<_> = client.batch_get().ccuscode("0215").stream().try_collect().await?;
//! for c in &contacts {
//!     let main = c.be_main_linker.as_ref().is_some_and(|b| b.is_true());
//!     println!("{} {} main={main}", c.code.as_deref().unwrap_or(""), c.name.as_deref().unwrap_or(""));
//! }
//! # Ok(()) }
//! ```
//!
//! The client fetches, caches and refreshes the token itself; the token exchange has no public
//! method, so nothing can bypass that cache:
//!
//! ```compile_fail
//! # async fn f(client: u8_contacts::Client) {
//! let input = serde_json::from_value(serde_json::json!({})).unwrap();
//! let token = client.get_token(&input).await;
//! # }
//! ```
//!
//! **Writes are not offered**: the vendor documents no contact write (`customercontacts/add`
//! was not found, docs/vendors.md §3.4), so this crate does not invent one.

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]
// `crm_runtime::Error` is large (its `Api` variant holds an `ApiError` of about 136 bytes), so
// every `Result<_, Error>` trips this lint. The fix belongs in crm-runtime (box the variant);
// until then it is allowed here rather than at each function.
#![allow(clippy::result_large_err)]

mod auth;
mod client;
mod contacts;
mod error;
#[rustfmt::skip]
mod generated;

// Client and configuration.
pub use auth::REFRESH_MARGIN;
pub use client::{Client, ClientBuilder, Config, DEFAULT_BASE_URL, DEFAULT_RATE_LIMIT, ENV_VARS};

// Operations: contacts and their paging.
pub use contacts::{BatchGet, DEFAULT_PAGE_SIZE};
// Every operation of the API and the auth flows it accepts, as data.
pub use generated::operations::{ALL as OPERATIONS, AUTH_FLOWS};
pub use generated::types;
pub use generated::types::Contact;

// Errors: the vendor's codes and how they are classified.
pub use error::{Result, VENDOR, kind_of};

// Runtime types: every crm-runtime type that this crate's API or its generated fields use (the
// list is `crm_runtime::sdk`, one for the three vendor crates), so that users (and tenant
// modules from `crm codegen` or `crm_codegen::Generator`) name them through this crate alone
// and never depend on `crm-runtime` themselves.
#[doc(inline)]
pub use crm_runtime::sdk::*;

// Plumbing that generated code (this crate's and tenant modules) and the fixture suite name.
#[doc(hidden)]
pub use crm_runtime::decode::MapKey;
#[doc(hidden)]
pub use generated::registry;
