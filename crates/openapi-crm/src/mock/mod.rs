//! An embedded, stateful fake of the useasy customer API (feature `mock`), for tests, examples
//! and demos. It listens on `127.0.0.1:<random port>` and stops when dropped.
//!
//! What it implements, as documented (VENDORS.md §2, the customer API document) or assumed:
//!
//! - **Signature check** on every request: headers `appid`, `nonce` (6 digits), `timestamp`
//!   (Unix seconds) and `signature` = base64(HMAC-SHA256(secret, appid + timestamp + nonce)).
//!   A bad or missing signature, a timestamp more than 5 minutes off, or a nonce reused within
//!   5 minutes is rejected with code `"401"` and a message saying which (HTTP 401 by default;
//!   [`MockUseasy::set_auth_error_status`] `(200)` answers HTTP 200 with the envelope instead,
//!   since the real server's choice is unknown).
//! - **Rate limit**: 10 requests per second per appid, exact sliding window
//!   ([`crm_runtime::mock::WindowLimiter`]); an excess request gets HTTP 429 with code `"429"`.
//! - **Customers**: `add` (requires `customerName`; assigns an 18-digit numeric `_id`,
//!   `accountId`, China-time `createTime`/`updateTime`, `createAgent`/`updateAgent`
//!   `"openApi"`), `update` (by `_id`; merges the fields sent, `null` removes one), `list`
//!   (search conditions ANDed; operators `eq`, `empty` as documented plus `ne`, `in`, `nin`,
//!   `like`, `notEmpty`, `gt`, `gte`, `lt`, `lte`, `between`; `limit` default 10, clamped to
//!   [`MAX_PAGE_SIZE`]; `page` 1-based; `count` = all matches; order = `_id`, i.e. creation),
//!   find by id on both `/openapi/crm/findById/{id}` and `/openapi/crm/{id}` (GET or POST), and
//!   `delete`. Unknown ids answer code `"404"`, invalid requests code `"400"` (HTTP 200). Custom
//!   field values are validated against the field configuration (choice **keys**, cascade
//!   paths of keys).
//! - **Field configuration** (`config/field/list`): the document's text field `详细地址`
//!   (`text_6ts9_1687316347239`), a select field `客户等级` with choices, a cascade field
//!   `所在地区` with options, and a few built-in fields ([`sample_field_configs`]).
//! - **Faults** through [`MockUseasy::control`]: injected HTTP statuses, delays, dropped
//!   connections, call counts.
//!
//! No input makes it panic: every malformed request gets an error envelope.

mod server;
mod store;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU16, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_runtime::mock::{MockControl, MockServer, WindowLimiter};
use crm_runtime::{RetryPolicy, SecretString};
use rand::Rng;
use rand::distr::Alphanumeric;
use url::Url;

use crate::generated::types::{Customer, CustomerFieldVo};
use crate::{Client, ClientBuilder, Result};

pub use store::sample_field_configs;

/// The mock's account number, as in the document's examples.
pub const MOCK_APPID: &str = "1090";

/// The largest page the mock serves; a larger `limit` is clamped (the real maximum is unknown).
pub const MAX_PAGE_SIZE: i64 = 500;

/// The page size the mock uses when a list request has no `limit` (the real default is unknown).
pub const DEFAULT_LIMIT: i64 = 10;

/// Requests per second the mock accepts per appid (VENDORS.md §2.2).
pub const RATE_LIMIT_PER_SECOND: usize = 10;

/// The credentials a mock accepts.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The account number.
    pub appid: String,
    /// The secret (random per mock).
    pub secret: SecretString,
}

/// Shared state of a running mock.
#[derive(Debug)]
pub(crate) struct MockState {
    pub(crate) appid: String,
    pub(crate) secret: SecretString,
    pub(crate) store: Mutex<store::Store>,
    pub(crate) nonces: Mutex<server::NonceLog>,
    pub(crate) limiter: WindowLimiter,
    pub(crate) auth_error_status: AtomicU16,
    pub(crate) trace_seq: AtomicU64,
    pub(crate) signatures: Mutex<VecDeque<String>>,
}

/// A running fake useasy server. See the [module docs](self).
#[derive(Debug)]
pub struct MockUseasy {
    server: MockServer,
    state: Arc<MockState>,
}

impl MockUseasy {
    /// Starts an empty mock (no customers; the sample field configuration).
    pub async fn start() -> std::io::Result<Self> {
        let secret: String = rand::rng().sample_iter(&Alphanumeric).take(32).map(char::from).collect();
        let state = Arc::new(MockState {
            appid: MOCK_APPID.to_owned(),
            secret: SecretString::new(secret),
            store: Mutex::new(store::Store::new(MOCK_APPID)),
            nonces: Mutex::new(server::NonceLog::default()),
            limiter: WindowLimiter::new(RATE_LIMIT_PER_SECOND, Duration::from_secs(1)),
            auth_error_status: AtomicU16::new(401),
            trace_seq: AtomicU64::new(0),
            signatures: Mutex::new(VecDeque::new()),
        });
        let server = MockServer::start(server::router(state.clone()), MockControl::new()).await?;
        Ok(Self { server, state })
    }

    /// Starts a mock holding `n` deterministic sample customers: names `测试客户0001`…, one mobile
    /// each, `customerSource` cycling 试用申请/官网/转介绍, owner `8310` (even) or `8311` (odd),
    /// `openSeaIds` set on every fifth (index divisible by 5), the custom fields `详细地址` on
    /// even ones, `客户等级` cycling A/B/C, `所在地区` on every third.
    pub async fn start_with_sample_data(n: usize) -> std::io::Result<Self> {
        let mock = Self::start().await?;
        mock.lock_store().insert_samples(n);
        Ok(mock)
    }

    fn lock_store(&self) -> std::sync::MutexGuard<'_, store::Store> {
        self.state.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> Url {
        self.server.base_url()
    }

    /// Fault injection and call counts (paths as `/openapi/crm/list`).
    pub fn control(&self) -> &Arc<MockControl> {
        self.server.control()
    }

    /// The appid and secret this mock accepts.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            appid: self.state.appid.clone(),
            secret: self.state.secret.clone(),
        }
    }

    /// A client builder aimed at this mock with its credentials, the default rate limit, and
    /// short retry delays (10 ms doubling, at most 4 attempts) so tests stay fast.
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder()
            .base_url(self.base_url().as_str())
            .appid(self.state.appid.clone())
            .secret(self.state.secret.clone())
            .retry_policy(RetryPolicy {
                max_attempts: 4,
                initial_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(200),
                max_total_backoff: Duration::from_secs(2),
            })
    }

    /// A client for this mock ([`MockUseasy::client_builder`] built).
    pub fn client(&self) -> Result<Client> {
        self.client_builder().build()
    }

    /// Stores a customer directly (no signature, no rate limit, no validation), filling `_id`,
    /// `accountId`, `createTime`, `updateTime`, `createAgent` and `updateAgent` when missing.
    /// Returns the stored record.
    pub fn insert(&self, customer: Customer) -> Customer {
        self.lock_store().insert_customer(customer)
    }

    /// Every stored customer, in `_id` (creation) order.
    pub fn customers(&self) -> Vec<Customer> {
        self.lock_store().customers()
    }

    /// The stored customer with this `_id`.
    pub fn customer(&self, id: &str) -> Option<Customer> {
        self.lock_store().customer(id)
    }

    /// The field configuration the mock serves.
    pub fn field_configs(&self) -> Vec<CustomerFieldVo> {
        self.lock_store().field_configs().to_vec()
    }

    /// Replaces the field configuration the mock serves (and validates against).
    pub fn set_field_configs(&self, configs: Vec<CustomerFieldVo>) {
        self.lock_store().set_field_configs(configs);
    }

    /// The mock's rate limiter (10 requests per second per appid); `rejected()` counts the
    /// requests it answered with HTTP 429.
    pub fn rate_limiter(&self) -> &WindowLimiter {
        &self.state.limiter
    }

    /// The HTTP status of authentication failures: 401 (default) or, e.g., 200 (the failure
    /// then shows only in the envelope, `success: false, code: "401"`).
    pub fn set_auth_error_status(&self, status: u16) {
        self.state
            .auth_error_status
            .store(status, std::sync::atomic::Ordering::Relaxed);
    }

    /// The last (up to 1,024) signatures the mock received, valid or not: for tests that assert
    /// no signature reaches a log or an error.
    pub fn seen_signatures(&self) -> Vec<String> {
        self.state
            .signatures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}
