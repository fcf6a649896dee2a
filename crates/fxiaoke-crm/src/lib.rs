//! Typed async client for the 纷享销客 **Fxiaoke (ShareCRM) CRM V2** object data API:
//! token management in both of the vendor's auth flows (legacy body token and OAuth2 headers),
//! typed objects, queries as streams. The example runs against the embedded mock server of the
//! separate crate `fxiaoke-crm-mock` (a dev-dependency).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use fxiaoke_crm::types::PaymentObj;
//! use fxiaoke_crm::{FilterOperator, WriteOptions};
//! use futures::TryStreamExt;
//!
//! // A fake Fxiaoke tenant; use `Client::from_env()` against a real one.
//! let mock = fxiaoke_crm_mock::MockFxiaoke::start().await?;
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
//! ```
//!
//! # Tokens
//!
//! The client fetches, caches and refreshes the access token itself (one fetch at a time, the
//! token endpoint's 10 calls/min, the token redacted everywhere). The token exchange has no
//! public method, so nothing can bypass that cache:
//!
//! ```compile_fail
//! # async fn f(client: fxiaoke_crm::Client) {
//! let input = serde_json::from_value(serde_json::json!({})).unwrap();
//! let token = client.get_corp_access_token(&input).await;
//! # }
//! ```
//!
//! # Authentication: which flow your tenant was given
//!
//! Fxiaoke authenticates in two ways ([`AuthFlow`]; docs/vendors.md §1.2, §1.10), with the
//! same `appId`, `appSecret` and `permanentCode`:
//!
//! - **Legacy** (the default): `POST /cgi/corpAccessToken/get/V2`, then `corpAccessToken`,
//!   `corpId` and `currentOpenUserId` at the top of every JSON body. The operator is an
//!   `FSUID_…` open user id ([`ClientBuilder::open_user_id`], or
//!   [`ClientBuilder::operator_mobile`]). Your documents show these body keys.
//! - **OAuth2**, handed to tenants onboarding now: `POST /oauth2.0/token` with
//!   `grantType: "app_secret"`, then the headers `authorization: Bearer <accessToken>`,
//!   `x-fs-ea` and `x-fs-userid`; the body keeps only the operation's input. The operator is a
//!   numeric CRM employee id ([`ClientBuilder::employee_id`], e.g. `1000`), or an `FSUID_…` id
//!   with [`ClientBuilder::convert_user_id`] (which sends `"convertUserId": true`, so that
//!   every employee id of the request and its answer is an `FSUID_…` id). Your documents show
//!   `/oauth2.0/token` and the `x-fs-*` headers.
//!
//! A client speaks one flow and one id style: an operator of the other style is a
//! configuration error that names both, and [`Client::change_owner`] refuses owners of the
//! other style, so no request mixes them. Everything else is the same in both flows: one token
//! fetch at a time, refreshed around 6,600 s, at most 10 token calls a minute, and one refresh
//! and repeat after `20016`. `Client::from_env` reads `FXIAOKE_AUTH=legacy|oauth2`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use fxiaoke_crm::{AuthFlow, Client};
//!
//! // A fake tenant; against a real one, leave out `base_url` and use your credentials.
//! let mock = fxiaoke_crm_mock::MockFxiaoke::start_in(AuthFlow::OAuth2).await?;
//! let c = mock.credentials();
//! let oauth2 = || {
//!     Client::builder()
//!         .base_url(mock.base_url().as_str())
//!         .auth_flow(AuthFlow::OAuth2)
//!         .app_id(c.app_id.clone())
//!         .app_secret(c.app_secret.clone())
//!         .permanent_code(c.permanent_code.clone())
//! };
//! let client = oauth2().employee_id("1000").build()?; // x-fs-userid: 1000
//! assert!(!client.objects().await?.is_empty());
//!
//! // An FSUID_ operator needs convertUserId; without it the styles would mix.
//! assert!(oauth2().open_user_id(c.open_user_id.clone()).build().is_err());
//! let fsuid = oauth2().convert_user_id(true).open_user_id(c.open_user_id.clone()).build()?;
//! assert!(!fsuid.objects().await?.is_empty());
//! # Ok(()) }
//! ```

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

mod auth;
mod client;
mod error;
#[rustfmt::skip]
mod generated;
mod keyset;
mod objects;
mod query;

// Client and configuration.
pub use auth::{AuthFlow, CorpToken, OAUTH2_GRANT_TYPE, OAuth2Token, Operator, REFRESH_MARGIN};
pub use client::{
    Client, ClientBuilder, Config, DEFAULT_BASE_URL, ENDPOINT_RATE_LIMIT, ENV_VARS,
    TOKEN_RATE_LIMIT, default_rate_limits,
};

// Operations: records, writes and queries.
// Every operation of the API and the auth flows it accepts, as data.
pub use generated::operations::{ALL as OPERATIONS, AUTH_FLOWS};
pub use generated::types;
pub use generated::types::ObjectData;
pub use keyset::KeyValue;
pub use objects::{Details, READ_ONLY_FIELDS, WriteOptions, from_object_data, to_object_data};
pub use query::{
    FilterOperator, MAX_OFFSET, MAX_PAGE_SIZE, Position, Query, QueryPage, StreamPage,
};

// Errors: the vendor's codes and how they are classified.
pub use error::{Result, VENDOR, api_code, codes, is_retryable_code, kind_of};

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
