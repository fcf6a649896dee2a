//! An embedded, stateful fake of the useasy customer API, for tests, examples
//! and demos. It listens on `127.0.0.1:<random port>` and stops when dropped.
//!
//! What it implements, as documented (docs/vendors.md §2, the customer API document) or assumed:
//!
//! - **Signature check** on every request: headers `appid`, `nonce` (6 digits), `timestamp`
//!   (Unix seconds) and `signature` = base64(HMAC-SHA256(secret, appid + timestamp + nonce)).
//!   A bad or missing signature, a timestamp more than 5 minutes off, or a nonce reused within
//!   5 minutes is rejected with code `"401"` and a message saying which (HTTP 401 by default;
//!   [`MockUseasy::set_auth_error_status`] `(200)` answers HTTP 200 with the envelope instead,
//!   since the real server's choice is unknown).
//! - **Rate limit**: 10 requests per second per appid, exact sliding window
//!   ([`crm_mock::WindowLimiter`]); an excess request gets HTTP 429 with code `"429"`.
//! - **Customers**: `add` (requires `customerName`; assigns an 18-digit numeric `_id`,
//!   `accountId`, China-time `createTime`/`updateTime` (`yyyy-MM-dd HH:mm:ss`, whole seconds,
//!   so writes within one second tie), `createAgent`/`updateAgent`
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
//!
//! # Error codes are the mock's own
//!
//! useasy publishes no error-code table (docs/vendors.md §2.3): the mock uses the codes in [`codes`],
//! chosen to be plausible (HTTP-like strings, as `"200"` is success). Do not match on them in
//! production code.
//!
//! # Faults
//!
//! [`MockUseasy::control`] injects transport faults (HTTP status, delay, dropped connection) and
//! counts calls per path; [`MockUseasy::fail_next_with_code`] answers the next calls with a
//! failed envelope; [`MockUseasy::respond_next_raw`] answers one call with any body (to test
//! decoding). Injections apply after the rate limit and signature check.
//!
//! No input makes it panic: every malformed request gets an error envelope.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use openapi_crm_mock::MockUseasy;
//!
//! let mock = MockUseasy::start_with_sample_data(30).await?;
//! let client = mock.client()?;
//! let page = client.customers().eq("owner", "8310").page_size(5).send().await?;
//! assert_eq!((page.count.and_then(|c| c.get()), page.list.map(|l| l.len())), (Some(15), Some(5)));
//!
//! mock.fail_next_with_code(1, "500", "系统繁忙");
//! let err = client.customers().send().await.unwrap_err();
//! assert_eq!(err.api_code(), Some("500"));
//! # Ok(()) }
//! ```

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

mod rules;
mod server;
mod store;

/// The plumbing every vendor mock shares: fault injection ([`MockControl`], [`Fault`]), the
/// request hook, and the body of a gateway that answers HTTP 200 without the vendor's envelope.
pub use crm_mock::{Churn, Fault, GATEWAY_BUSY_BODY, MockControl, RequestHook};

use openapi_crm::TransportOptions;
use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crm_mock::{ChurnControl, MockServer, WindowLimiter};
use crm_runtime::{RateLimits, SecretString};
use rand::Rng;
use rand::distr::Alphanumeric;
use url::Url;

use openapi_crm::types::{Customer, CustomerFieldVo};
use openapi_crm::{Client, ClientBuilder, Result};

pub use store::sample_field_configs;

/// The mock's account number, as in the document's examples.
pub const MOCK_APPID: &str = "1090";

/// The largest page the mock serves by default; a larger `limit` is clamped (the real maximum
/// is unknown). See [`MockUseasy::set_max_page_size`].
pub const MAX_PAGE_SIZE: i64 = 500;

/// The page size the mock uses when a list request has no `limit` (the real default is unknown).
pub const DEFAULT_LIMIT: i64 = 10;

/// Requests per second the mock accepts per appid (docs/vendors.md §2.2).
pub const RATE_LIMIT_PER_SECOND: usize = 10;

/// The request paths the mock serves.
pub mod paths {
    /// 添加客户.
    pub const ADD: &str = "/openapi/crm/add";
    /// 修改客户.
    pub const UPDATE: &str = "/openapi/crm/update";
    /// 查询客户列表.
    pub const LIST: &str = "/openapi/crm/list";
    /// 根据id删除客户.
    pub const DELETE: &str = "/openapi/crm/delete";
    /// 查询客户字段配置列表.
    pub const FIELD_LIST: &str = "/openapi/crm/config/field/list";
    /// 根据id查询客户 (the example's path; `{id}` appended).
    pub const FIND_BY_ID_PREFIX: &str = "/openapi/crm/findById/";
}

/// The envelope codes the mock answers with. Only `"200"` (success) is documented; the others
/// are the mock's own choice (HTTP-like).
pub mod codes {
    /// Success.
    pub const OK: &str = "200";
    /// Invalid request: missing `customerName`/`_id`/`id`, bad search, invalid field value.
    pub const BAD_REQUEST: &str = "400";
    /// Authentication failed: missing header, unknown appid, bad signature, stale timestamp,
    /// reused nonce (HTTP 401 unless [`super::MockUseasy::set_auth_error_status`]).
    pub const UNAUTHORIZED: &str = "401";
    /// Unknown customer id, or unknown path (then with HTTP 404).
    pub const NOT_FOUND: &str = "404";
    /// Wrong HTTP method (HTTP 405).
    pub const METHOD_NOT_ALLOWED: &str = "405";
    /// More than 10 requests per second (HTTP 429).
    pub const TOO_MANY_REQUESTS: &str = "429";
}

/// The credentials a mock accepts.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MockCredentials {
    /// The account number (`1090`, as in the document).
    pub appid: String,
    /// The secret (random per mock).
    pub secret: SecretString,
}

/// A canned answer for the next matching request.
#[derive(Debug)]
pub(crate) enum Injection {
    /// A failed envelope with this code and message (HTTP 200).
    Code(String, String),
    /// This body, verbatim, with HTTP 200.
    Raw(String),
}

/// Shared state of a running mock.
pub(crate) struct MockState {
    pub(crate) credentials: MockCredentials,
    pub(crate) store: Mutex<store::Store>,
    pub(crate) nonces: Mutex<server::NonceLog>,
    pub(crate) limiter: WindowLimiter,
    pub(crate) rate_limiting: AtomicBool,
    pub(crate) auth_error_status: AtomicU16,
    pub(crate) trace_seq: AtomicU64,
    pub(crate) signatures: Mutex<VecDeque<String>>,
    pub(crate) injections: Mutex<VecDeque<(Option<String>, Injection)>>,
    /// List requests answered so far (for [`ListHook`]s).
    pub(crate) list_calls: AtomicU64,
    /// Other users' writes ([`LiveTenant::churn`], [`MockUseasy::set_churn`]).
    pub(crate) churn: ChurnControl,
    pub(crate) list_hooks: Mutex<Vec<ListHook>>,
    /// Error messages quote what was sent (a refused signature).
    pub(crate) echo_secrets: AtomicBool,
    /// Which find-by-id paths exist: [`FIND_BOTH`], [`FIND_CURL_ONLY`], [`FIND_HEADING_ONLY`].
    pub(crate) find_by_id_forms: std::sync::atomic::AtomicU8,
}

pub(crate) const FIND_BOTH: u8 = 0;
pub(crate) const FIND_CURL_ONLY: u8 = 1;
pub(crate) const FIND_HEADING_ONLY: u8 = 2;

/// Which of the document's two find-by-id paths the mock serves (the real server's is
/// unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindByIdForms {
    /// `/openapi/crm/findById/{id}` and `/openapi/crm/{id}`, with GET or POST (the default).
    Both,
    /// Only `/openapi/crm/findById/{id}` (the curl example's); the other answers HTTP 404.
    CurlOnly,
    /// Only `/openapi/crm/{id}` (the heading's); the other answers HTTP 404.
    HeadingOnly,
}

impl MockState {
    pub(crate) fn store(&self) -> MutexGuard<'_, store::Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a list request, makes the churn's writes and runs the list hooks on the locked
    /// store.
    pub(crate) fn before_list(&self, store: &mut store::Store) {
        let call = self
            .list_calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let hooks: Vec<ListHook> = self
            .list_hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut customers = Customers { store };
        run_churn(&self.churn, &mut customers, call);
        for hook in hooks {
            hook(&mut customers, call);
        }
    }

    /// The injection for a request to `path`, if one is queued.
    pub(crate) fn next_injection(&self, path: &str) -> Option<Injection> {
        let mut queue = self.injections.lock().unwrap_or_else(|e| e.into_inner());
        let i = queue
            .iter()
            .position(|(p, _)| p.as_deref().is_none_or(|p| p == path))?;
        queue.remove(i).map(|(_, inj)| inj)
    }

    fn inject(&self, path: Option<&str>, n: usize, make: impl Fn() -> Injection) {
        let mut queue = self.injections.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..n {
            queue.push_back((path.map(str::to_owned), make()));
        }
    }
}

/// A running fake useasy server with its data. Stops when dropped. Needs a Tokio runtime. See
/// the [module docs](self).
pub struct MockUseasy {
    server: MockServer,
    state: Arc<MockState>,
}

impl fmt::Debug for MockUseasy {
    // A summary: the store is large, and the received signatures must not be printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockUseasy")
            .field("base_url", &self.base_url().as_str())
            .field("credentials", &self.state.credentials)
            .field("customers", &self.state.store().len())
            .field("rate_limited", &self.state.limiter.rejected())
            .finish_non_exhaustive()
    }
}

impl MockUseasy {
    /// Starts an empty mock on `127.0.0.1:0` (no customers; the [`sample_field_configs`]).
    pub async fn start() -> std::io::Result<MockUseasy> {
        let secret: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        let state = Arc::new(MockState {
            credentials: MockCredentials {
                appid: MOCK_APPID.to_owned(),
                secret: SecretString::new(secret),
            },
            store: Mutex::new(store::Store::new(MOCK_APPID)),
            nonces: Mutex::new(server::NonceLog::default()),
            limiter: WindowLimiter::new(RATE_LIMIT_PER_SECOND, Duration::from_secs(1)),
            rate_limiting: AtomicBool::new(true),
            auth_error_status: AtomicU16::new(401),
            trace_seq: AtomicU64::new(0),
            signatures: Mutex::new(VecDeque::new()),
            injections: Mutex::new(VecDeque::new()),
            list_calls: AtomicU64::new(0),
            churn: ChurnControl::default(),
            list_hooks: Mutex::new(Vec::new()),
            echo_secrets: AtomicBool::new(false),
            find_by_id_forms: std::sync::atomic::AtomicU8::new(FIND_BOTH),
        });
        let server = MockServer::start(server::router(state.clone()), MockControl::new()).await?;
        Ok(MockUseasy { server, state })
    }

    /// Starts an empty mock with these live-tenant behaviours.
    pub async fn start_live(live: LiveTenant) -> std::io::Result<MockUseasy> {
        let mock = Self::start().await?;
        mock.set_churn(live.churn);
        mock.state
            .echo_secrets
            .store(live.echo_secrets, std::sync::atomic::Ordering::Relaxed);
        mock.control().gateway_body_every(live.gateway_body_every);
        Ok(mock)
    }

    /// Runs `hook` just before every list request is answered, with the customers and the
    /// request's number (1 for the first): a test's way to play other users writing while a
    /// stream reads. It runs under the mock's data lock: use the [`Customers`] it is given.
    pub fn on_list(&self, hook: impl Fn(&mut Customers<'_>, u64) + Send + Sync + 'static) {
        self.state
            .list_hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(hook));
    }

    /// Starts other users' writes from the next list request on, replacing the running ones
    /// ([`LiveTenant::churn`] at start), or stops them (`None`): a test switches them on for
    /// the read it checks and off to let the tenant settle.
    pub fn set_churn(&self, churn: Option<Churn>) {
        self.state.churn.set(churn);
    }

    /// The `_id`s of every customer the churn added, edited or deleted so far: the customers a
    /// read during the churn may see in either state (every other one it must see once).
    pub fn churned_ids(&self) -> std::collections::BTreeSet<String> {
        self.state.churn.touched()
    }

    /// The stored customers as JSON, in `_id` order, exactly as `list` returns them.
    pub fn records(&self) -> Vec<serde_json::Map<String, serde_json::Value>> {
        self.state.store().raw_records()
    }

    /// Starts a mock holding `n` deterministic sample customers: names `测试客户0001`…, one mobile
    /// each (`1380000xxxx`), `customerSource` cycling 试用申请/官网/转介绍, owner `8310` (even
    /// index) or `8311` (odd), `openSeaIds` on every fifth (index divisible by 5), and the custom
    /// fields `详细地址` (even index), `客户等级` (cycling A/B/C) and `所在地区` (every third).
    pub async fn start_with_sample_data(n: usize) -> std::io::Result<MockUseasy> {
        let mock = Self::start().await?;
        mock.state.store().insert_samples(n);
        Ok(mock)
    }

    /// Stores a customer directly (no signature, no rate limit, no validation), filling `_id`,
    /// `accountId`, `createTime`, `updateTime`, `createAgent` and `updateAgent` when missing; a
    /// customer with an existing `_id` is replaced. Returns its `_id`.
    pub fn insert(&self, customer: Customer) -> String {
        self.state.store().insert_customer(customer)
    }

    /// [`MockUseasy::insert`] for many customers; returns their ids.
    pub fn insert_many(&self, customers: impl IntoIterator<Item = Customer>) -> Vec<String> {
        let mut store = self.state.store();
        customers
            .into_iter()
            .map(|c| store.insert_customer(c))
            .collect()
    }

    /// Removes a customer.
    pub fn remove(&self, id: &str) -> Option<Customer> {
        self.state.store().remove(id)
    }

    /// Removes every customer.
    pub fn clear(&self) {
        self.state.store().clear();
    }

    /// Every stored customer, in `_id` (creation) order.
    pub fn customers(&self) -> Vec<Customer> {
        self.state.store().customers()
    }

    /// The stored customer with this `_id`.
    pub fn customer(&self, id: &str) -> Option<Customer> {
        self.state.store().customer(id)
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> Url {
        self.server.base_url()
    }

    /// Fault injection and call counts (paths as in [`paths`]).
    pub fn control(&self) -> &Arc<MockControl> {
        self.server.control()
    }

    /// The appid and secret this mock accepts.
    pub fn credentials(&self) -> &MockCredentials {
        &self.state.credentials
    }

    /// A client builder for this mock: its URL and credentials, the vendor's rate limit (the
    /// default, which the mock enforces) and [`crm_mock::client_options`] (short retry delays
    /// and timeouts). Adjust and `.build()`.
    pub fn client_builder(&self) -> ClientBuilder {
        let c = &self.state.credentials;
        crm_mock::client_options(
            Client::builder()
                .base_url(self.base_url().as_str())
                .app_id(c.appid.clone())
                .app_secret(c.secret.clone()),
        )
    }

    /// `self.client_builder().build()`.
    pub fn client(&self) -> Result<Client> {
        self.client_builder().build()
    }

    /// A client without rate limits on either side: the client's limiter is off and so is
    /// the mock's quota ([`MockUseasy::set_rate_limiting`]).
    pub fn unlimited_client(&self) -> Result<Client> {
        self.set_rate_limiting(false);
        self.client_builder()
            .with_rate_limits(RateLimits::off())
            .build()
    }

    /// The field configuration the mock serves.
    pub fn field_configs(&self) -> Vec<CustomerFieldVo> {
        self.state.store().field_configs().to_vec()
    }

    /// Replaces the field configuration the mock serves (and validates custom fields against).
    pub fn set_field_configs(&self, configs: Vec<CustomerFieldVo>) {
        self.state.store().set_field_configs(configs);
    }

    /// Caps `limit` (default `Some(`[`MAX_PAGE_SIZE`]`)`); `None` serves any page size.
    pub fn set_max_page_size(&self, max: Option<i64>) {
        self.state.store().max_page_size = max;
    }

    /// The mock's rate limiter (10 requests per second per appid); `rejected()` counts the
    /// requests it answered with HTTP 429.
    pub fn rate_limiter(&self) -> &WindowLimiter {
        &self.state.limiter
    }

    /// Turns the 10 requests/second limit off (`false`) or back on (default on).
    pub fn set_rate_limiting(&self, on: bool) {
        self.state
            .rate_limiting
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Which find-by-id paths the mock serves (default [`FindByIdForms::Both`]).
    pub fn set_find_by_id_forms(&self, forms: FindByIdForms) {
        let value = match forms {
            FindByIdForms::Both => FIND_BOTH,
            FindByIdForms::CurlOnly => FIND_CURL_ONLY,
            FindByIdForms::HeadingOnly => FIND_HEADING_ONLY,
        };
        self.state
            .find_by_id_forms
            .store(value, std::sync::atomic::Ordering::Relaxed);
    }

    /// The HTTP status of authentication failures: 401 (default) or, e.g., 200 (the failure
    /// then shows only in the envelope, `success: false, code: "401"`).
    pub fn set_auth_error_status(&self, status: u16) {
        self.state
            .auth_error_status
            .store(status, std::sync::atomic::Ordering::Relaxed);
    }

    /// The next `n` authenticated requests, to any path, answer
    /// `{"success": false, "code": code, "message": message}` with HTTP 200.
    pub fn fail_next_with_code(&self, n: usize, code: &str, message: &str) {
        self.state.inject(None, n, || {
            Injection::Code(code.to_owned(), message.to_owned())
        });
    }

    /// [`MockUseasy::fail_next_with_code`] for requests to `path` only.
    pub fn fail_next_with_code_on(&self, path: &str, n: usize, code: &str, message: &str) {
        self.state.inject(Some(path), n, || {
            Injection::Code(code.to_owned(), message.to_owned())
        });
    }

    /// The next authenticated request to `path` answers `body` verbatim with HTTP 200.
    pub fn respond_next_raw(&self, path: &str, body: impl Into<String>) {
        let body = body.into();
        self.state
            .inject(Some(path), 1, || Injection::Raw(body.clone()));
    }

    /// Drops every pending [`fail_next_with_code`](MockUseasy::fail_next_with_code) and
    /// [`respond_next_raw`](MockUseasy::respond_next_raw).
    pub fn clear_injections(&self) {
        self.state
            .injections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The last (up to 1,024) signatures the mock received, valid or not, for tests that check a
    /// signature never reaches a log or an error. Requests answered by an injected transport
    /// fault ([`MockUseasy::control`]) never reach the signature check and are not included.
    pub fn seen_signatures(&self) -> Vec<SecretString> {
        self.state
            .signatures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|s| SecretString::new(s.clone()))
            .collect()
    }
}

/// How the mock behaves like a live tenant instead of a frozen fixture. Everything is off by
/// default. (The mock lists in `_id` order, which has no ties, so there is no tie behaviour.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveTenant {
    /// Other users adding, editing and deleting customers while a client reads: writes just
    /// before every `every`-th list request is answered. A create adds a customer with a random
    /// 18-digit id among the existing ones (so it lands anywhere in `_id` order); an edit
    /// changes `createMethod` and moves `updateTime` on. [`MockUseasy::set_churn`] changes it
    /// while the mock runs; [`MockUseasy::churned_ids`] lists the customers it touched.
    pub churn: Option<Churn>,
    /// Every n-th request to a path (counted per path) answers HTTP 200 with
    /// [`GATEWAY_BUSY_BODY`], a body without the useasy
    /// envelope.
    pub gateway_body_every: Option<u64>,
    /// Error messages quote what was sent: a refused signature comes back in the message.
    pub echo_secrets: bool,
}

/// Something run just before a list request is answered: see [`MockUseasy::on_list`].
pub type ListHook = Arc<dyn Fn(&mut Customers<'_>, u64) + Send + Sync>;

/// The mock's customers, as a [`ListHook`] sees them: what other users can do.
pub struct Customers<'a> {
    store: &'a mut store::Store,
}

impl fmt::Debug for Customers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Customers").finish_non_exhaustive()
    }
}

impl Customers<'_> {
    /// The `_id`s, ascending.
    pub fn ids(&self) -> Vec<String> {
        self.store.ids()
    }

    /// One customer as stored.
    pub fn record(&self, id: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
        self.store.raw(id).cloned()
    }

    /// Adds a customer as given (its `_id` kept when it has one); returns its `_id`.
    pub fn insert(&mut self, record: serde_json::Map<String, serde_json::Value>) -> String {
        self.store.insert_raw(record)
    }

    /// Merges fields into a customer and moves its `updateTime` on; `false` if there is none.
    pub fn edit(&mut self, id: &str, fields: serde_json::Map<String, serde_json::Value>) -> bool {
        self.store.edit(id, fields)
    }

    /// Deletes a customer; `false` if there is none.
    pub fn delete(&mut self, id: &str) -> bool {
        self.store.delete_id(id)
    }
}

/// The built-in [`Churn`]'s writes before the `call`-th list request, if due.
fn run_churn(control: &ChurnControl, customers: &mut Customers<'_>, call: u64) {
    let Some(mut writes) = control.due(call) else {
        return;
    };
    let churn = writes.churn();
    for _ in 0..churn.deletes {
        if let Some(id) = writes.dice().pick(&customers.ids())
            && customers.delete(&id)
        {
            writes.touch(id);
        }
    }
    for _ in 0..churn.edits {
        if let Some(id) = writes.dice().pick(&customers.ids()) {
            let mut fields = serde_json::Map::new();
            fields.insert(
                "createMethod".into(),
                format!("edited {:x}", writes.dice().roll()).into(),
            );
            if customers.edit(&id, fields) {
                writes.touch(id);
            }
        }
    }
    for _ in 0..churn.creates {
        let ids = customers.ids();
        let low: u64 = ids
            .first()
            .and_then(|i| i.parse().ok())
            .unwrap_or(685_770_000_000_000_000);
        let high: u64 = ids.last().and_then(|i| i.parse().ok()).unwrap_or(low);
        let span = high.saturating_sub(low).max(1);
        let dice = writes.dice();
        let id = low
            .saturating_add(dice.roll() % span)
            .max(100_000_000_000_000_000);
        let mut record = serde_json::Map::new();
        record.insert("_id".into(), id.to_string().into());
        record.insert(
            "customerName".into(),
            format!("新客户{:x}", dice.roll() & 0xffff).into(),
        );
        let created = customers.insert(record);
        writes.touch(created);
    }
}
