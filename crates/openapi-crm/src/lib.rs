//! Typed async client for the 有逸 **useasy** customer API (CRM客户管理接口: add, update, list,
//! find by id, delete customers; the customer field configuration), with HMAC request signing,
//! the vendor's 10 requests/second limit built in, custom fields by display name, a paging
//! stream. The example runs against the embedded mock server of the separate crate
//! `openapi-crm-mock` (a dev-dependency).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures::TryStreamExt;
//! use openapi_crm::Customer;
//!
//! // A fake useasy server with sample customers; use `Client::from_env()` against the real one.
//! let mock = openapi_crm_mock::MockUseasy::start_with_sample_data(30).await?;
//! let client = mock.client()?;
//!
//! // Add a customer with a custom field set by its display name.
//! let mut customer = Customer::named("张三");
//! client.set_custom_field(&mut customer, "详细地址", "杭州市西湖区文三路 1 号").await?;
//! let stored = client.add(&customer).await?;
//! let id = stored.id.clone().unwrap_or_default();
//! println!("added {id}, created {:?}", stored.create_time);
//!
//! // Every customer without an open sea, page after page.
//! let private: Vec<Customer> = client.customers().empty("openSeaIds").stream().try_collect().await?;
//! println!("{} customers have no open sea", private.len());
//!
//! let found = client.customer(&id).await?;
//! assert_eq!(found.and_then(|c| c.customer_name).as_deref(), Some("张三"));
//! # Ok(()) }
//! ```
//!
//! - [`Client`]: configuration ([`Client::builder`], [`Client::from_env`] with `USEASY_APPID`,
//!   `USEASY_SECRET`, optional `USEASY_BASE_URL`), one method per operation (generated:
//!   [`Client::add_customer`], [`Client::update_customer`], [`Client::list_customers`],
//!   [`Client::find_customer_by_id`], [`Client::find_customer_by_id_short`],
//!   [`Client::delete_customer`], [`Client::list_field_configs`]) and convenience wrappers
//!   returning the record ([`Client::add`], [`Client::update`], [`Client::customer`],
//!   [`Client::delete`], [`Client::customers`]).
//! - [`signature`]: the signature, `base64(HMAC-SHA256(secret, appid + timestamp + nonce))`,
//!   computed afresh for every attempt (see [Signature](#signature)).
//! - [`FieldConfigs`]: custom fields by display name, validated against choices and cascade
//!   options (see [Custom fields](#custom-fields)).
//! - Errors: [`Error`] (shared by the three vendor crates). A response with `success: false` or
//!   a `code` other than `"200"` is an [`Error::Api`] with the vendor's code, message and trace
//!   id; see [Errors](#errors) for what is retried.
//!
//! **Finding a customer by id**: the document's heading says `GET /openapi/crm/{id}`, but its
//! only example calls `/openapi/crm/findById/{id}`. [`Client::find_customer_by_id`] (and
//! [`Client::customer`]) use the example's path, because it is the one shown working;
//! [`Client::find_customer_by_id_short`] uses the heading's.
//!
//! # Signature
//!
//! useasy's request signature (docs/vendors.md §2.2, help.useasy.cn 鉴权说明): no token; every request
//! carries the headers `appid`, `nonce`, `timestamp` and
//!
//! ```text
//! signature = base64( HMAC-SHA256( key = secret, message = appid + timestamp + nonce ) )
//! ```
//!
//! with plain concatenation (no separators), the timestamp in Unix **seconds**, a fresh 6-digit
//! nonce, and standard Base64 with `=` padding (44 characters). The body is not signed. The
//! server rejects a timestamp more than 5 minutes from its clock, and (assumed, as 7moor's
//! identical scheme does) a nonce reused within 5 minutes.
//!
//! The client signs every attempt afresh (a retry gets a new nonce and timestamp) and never
//! reuses one of its own nonces within 5 minutes.
//!
//! # Errors
//!
//! useasy's response envelope `{success, message, code, traceId, data}` and how failures are
//! classified.
//!
//! `code` is a string, `"200"` meaning success (docs/vendors.md §2.3). A response with
//! `success: false` or any other code is an [`Error::Api`] carrying the
//! vendor's code, message and trace id. The same envelope in the body of a non-2xx HTTP response
//! (e.g. HTTP 401 for a bad signature) is reported the same way, not as a bare HTTP error.
//!
//! **No error-code table is published** (docs/vendors.md §2.3, unknown), and no throttling code is
//! documented, so no vendor code is classified as retryable. Only the transport's own rules
//! apply: network failures, HTTP 429 and HTTP 5xx are retried (for retry-safe operations), also
//! when their body is an envelope.
//!
//! # Custom fields
//!
//! Custom fields: the account's field configuration (查询客户字段配置列表), cached in the client,
//! and setting / reading a customer's fields by their display name with validation against the
//! configured choices and cascade options.
//!
//! ## Value formats (assumed; the vendor document does not show a custom-field value)
//!
//! A custom field's value travels on the customer record under the field id
//! (`CustomerFieldVO.field`, e.g. `text_6ts9_1687316347239`; `param` and `glFieldId` are used
//! when `field` is missing; in the document's example all three are equal).
//!
//! | field configuration | value accepted | value written |
//! |---|---|---|
//! | no `choices`, no `options` (e.g. `type: "text"`) | any JSON value (a string for text) | as given |
//! | `choices` (下拉, `ChoicesDubbo`) | a choice **key** or its **label** (`value`); or an array of them (multi-select) | the key(s) |
//! | cascade `options` (级联, `CascadeOptionsDubbo`) | an array: one key or label per level, from the top, following `children` | the keys |
//! | any | `null` (clear the field) | `null` |
//!
//! A cascade path must have at least `fillLevel` and at most `level` entries (when those are
//! positive). Writing choice **keys** (not labels) is an assumption: `ChoicesDubbo` pairs a key
//! with a display value, and a key is what such systems usually store. If the real server
//! expects labels, bypass the translation with [`Customer::set_field`] (no validation).

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

mod auth;
mod client;
mod customers;
mod error;
mod fields;
#[rustfmt::skip]
mod generated;
mod typed;

// Client and configuration.
pub use auth::{
    HEADER_APPID, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, REPLAY_WINDOW, signature,
    signed_headers, unix_timestamp, verify_signature,
};
pub use client::{
    CONTENT_TYPE, Client, ClientBuilder, Config, DEFAULT_BASE_URL, DEFAULT_RATE_LIMIT, ENV_VARS,
};

// Operations: customers, queries and custom fields.
pub use customers::{CustomerQuery, DEFAULT_PAGE_SIZE, PREFETCH_PAGES, SearchOperator, field};
pub use fields::{FIELD_CONFIG_TTL, FieldConfigs, FieldState, field_key};
// Every operation of the API and the auth flows it accepts, as data.
pub use generated::operations::{ALL as OPERATIONS, AUTH_FLOWS};
pub use generated::types;
pub use generated::types::{
    CascadeOptionsDubbo, ChildOptionDubbo, ChoicesDubbo, Customer, CustomerFieldVo, CustomerPage,
    SearchCondition, SearchOperatorKnown,
};

// Errors: the envelope's code and how it is classified.
pub use error::{Result, SUCCESS_CODE, VENDOR, kind_of};

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
