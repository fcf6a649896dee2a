//! Typed async client for the 纷享销客 **Fxiaoke (ShareCRM) CRM V2** object data API:
//! token management, typed objects, queries as streams, and an embedded mock server
//! (feature `mock`).
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use fxiaoke_crm::types::PaymentObj;
//! use fxiaoke_crm::{FilterOperator, WriteOptions};
//! use futures::TryStreamExt;
//!
//! // A fake Fxiaoke tenant; use `Client::from_env()` against a real one.
//! let mock = fxiaoke_crm::mock::MockFxiaoke::start().await?;
//! let client = mock.client()?;
//!
//! let payment = PaymentObj {
//!     account_id: Some("2d58af2dbb4d4ecd931e80ef18xxxxxx".into()),
//!     payment_amount: Some("300.00".parse()?),
//!     remark: Some("首付款".into()),
//!     ..Default::default()
//! };
//! let id = client.create(&payment).await?.ok_or("no dataId")?;
//!
//! let large: Vec<PaymentObj> = client
//!     .query::<PaymentObj>()
//!     .filter("payment_amount", FilterOperator::Gte, ["100"])
//!     .stream()
//!     .try_collect()
//!     .await?;
//! assert_eq!(large.len(), 1);
//!
//! // Read, change one field, send only that field.
//! let original: PaymentObj = client.get(&id).await?;
//! let mut changed = original.clone();
//! changed.remark = Some("尾款".into());
//! client.update_changes(&original, &changed, &WriteOptions::default()).await?;
//! client.delete("PaymentObj", &[&id]).await?; // voids, then deletes
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))] fn main() {}
//! ```

mod auth;
mod client;
mod error;
mod keyset;
#[rustfmt::skip]
pub mod generated;
#[cfg(feature = "mock")]
pub mod mock;
#[cfg(feature = "mock")]
mod mock_support;
mod objects;
mod query;

pub use auth::{CorpToken, Operator};
pub use client::{
    Client, ClientBuilder, Config, DEFAULT_BASE_URL, ENDPOINT_RATE_LIMIT, ENV_VARS,
    TOKEN_RATE_LIMIT, default_rate_limits,
};
pub use crm_runtime::{
    ApiError, ApiErrorKind, Error, NamedObject, Outcome, RateLimit, RateLimits, RawRecord,
    RetryPolicy, SecretString, TransportConfig,
};
// The value types of generated fields, so that generated code (this crate's and a tenant
// module from `crm codegen` or `crm_codegen::Generator`) names them through this crate alone.
#[doc(hidden)]
pub use crm_runtime::decode::MapKey;
pub use crm_runtime::{
    BoolForm, ChinaDateTime, EmptyForm, EpochMillis, ExtraFields, LenientDate, LenientDecimal,
    LenientInt, LenientString, OpenEnum, StrBool, TextForm, Unparsed, WireForm,
};
pub use error::{Result, VENDOR, api_code, codes, is_retryable_code, kind_of};
pub use generated::types;
pub use generated::types::ObjectData;
pub use keyset::KeyValue;
pub use objects::{Details, READ_ONLY_FIELDS, WriteOptions, from_object_data, to_object_data};
pub use query::{
    FilterOperator, MAX_OFFSET, MAX_PAGE_SIZE, Position, Query, QueryPage, StreamPage,
};
