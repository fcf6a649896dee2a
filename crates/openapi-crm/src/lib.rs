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
//! - [`auth`]: the signature, `base64(HMAC-SHA256(secret, appid + timestamp + nonce))`,
//!   computed afresh for every attempt.
//! - [`fields`]: custom fields by display name, validated against choices and cascade options.
//! - Errors: [`Error`] (shared by the three vendor crates). A response with `success: false` or
//!   a `code` other than `"200"` is an [`Error::Api`] with the vendor's code, message and trace
//!   id; see [`error`] for what is retried.
//!
//! **Finding a customer by id**: the document's heading says `GET /openapi/crm/{id}`, but its
//! only example calls `/openapi/crm/findById/{id}`. [`Client::find_customer_by_id`] (and
//! [`Client::customer`]) use the example's path, because it is the one shown working;
//! [`Client::find_customer_by_id_short`] uses the heading's.

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

pub mod auth;
mod client;
mod customers;
pub mod error;
pub mod fields;
#[rustfmt::skip]
pub mod generated;
mod typed;

pub use client::{
    CONTENT_TYPE, Client, ClientBuilder, Config, DEFAULT_BASE_URL, DEFAULT_RATE_LIMIT, ENV_VARS,
};
pub use crm_runtime::{
    ApiError, ApiErrorKind, Error, Outcome, RateLimit, RateLimits, RawRecord, RetryPolicy,
    SecretString, TransportConfig, TransportOptions,
};
// The value types of generated fields, so that generated code (this crate's and a tenant
// module from `crm codegen` or `crm_codegen::Generator`) names them through this crate alone.
#[doc(hidden)]
pub use crm_runtime::decode::MapKey;
pub use crm_runtime::{
    BoolForm, ChinaDateTime, EmptyForm, EpochMillis, ExtraFields, LenientDate, LenientDecimal,
    LenientInt, LenientString, OpenEnum, StrBool, TextForm, Unparsed, WireForm,
};
pub use customers::{CustomerQuery, DEFAULT_PAGE_SIZE, PREFETCH_PAGES, SearchOperator, field};
pub use error::{Result, VENDOR, kind_of};
pub use fields::{FIELD_CONFIG_TTL, FieldConfigs, FieldState};
pub use generated::types;
pub use generated::types::{
    CascadeOptionsDubbo, ChildOptionDubbo, ChoicesDubbo, Customer, CustomerFieldVo, CustomerPage,
    SearchCondition, SearchOperatorKnown,
};
