//! An embedded, stateful fake of the Fxiaoke CRM V2 API, for tests, examples
//! and demos: a real HTTP server on `127.0.0.1:<random port>` that keeps records in memory and
//! answers like the vendor does (docs/vendors.md §1, `docs/vendor-documents/fxiaoke-crm-v2-data-api.txt`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use fxiaoke_crm_mock::{MockFxiaoke, MockSettings};
//!
//! let mock = MockFxiaoke::start_with_sample_data(25).await?;
//! let credentials = mock.credentials(); // appId, appSecret, permanentCode, corpId, operator
//! let url = mock.base_url(); // http://127.0.0.1:<port>/
//! assert_eq!(mock.records("PaymentObj").len(), 25);
//!
//! // Deep-paging tests: lift the per-endpoint quota (100 calls / 20 s) first.
//! let unlimited = MockFxiaoke::start_with(MockSettings::without_rate_limits()).await?;
//! unlimited.control().fail_next(1, 503); // fault injection (MockControl)
//! # Ok(()) }
//! ```
//!
//! # Endpoints
//!
//! Every endpoint is `POST` with a JSON body and answers **HTTP 200** with the envelope
//! `{errorCode, errorMessage, errorDescription, traceId, ...}`, `errorCode: 0` meaning success
//! (HTTP errors only come from injected faults, an unknown path (404) or a non-POST method
//! (405)).
//!
//! | path | body | answer |
//! |---|---|---|
//! | `/cgi/corpAccessToken/get/V2` | `{appId, appSecret, permanentCode}` | `{corpAccessToken, corpId, expiresIn}` |
//! | `/oauth2.0/token` | `{appId, appSecret, permanentCode, grantType}` | `{accessToken, ea, expiresIn, …}` ([`oauth2`]) |
//! | `/cgi/user/getByMobile` | `{corpAccessToken, corpId, mobile}` | `{empList:[{openUserId, name, mobile, …}]}` |
//! | `/cgi/crm/v2/data/{create,update,get,query,invalid,delete,recover,changeOwner}` | auth keys + `data` | per operation |
//! | `/cgi/crm/custom/v2/data/…` | same, for `__c` objects | same |
//! | `/cgi/crm/v2/object/list` | auth keys | `data.objects[]` |
//! | `/cgi/crm/v2/object/describe` | auth keys + `apiName` (top level, or in `data`) | `data.describe` |
//!
//! Every business endpoint takes either flow's credentials: the legacy keys in the body, or the
//! OAuth2 headers (`authorization: Bearer …`, `x-fs-ea`, `x-fs-userid`), never both; see
//! [`oauth2`] for the header flow and its id styles.
//!
//! Tests can define objects of their own, custom fields and options included
//! ([`MockFxiaoke::define_object`], [`describe`]); `describe` then answers with that definition.
//!
//! # Faithful to the vendor (documented)
//!
//! - Auth: the three top-level keys `corpAccessToken`, `corpId`, `currentOpenUserId`; the
//!   observed messages of `20017` (no token) and `20016` (bad or expired token); token lifetime
//!   from [`MockSettings::token_lifetime`] (7,200 s), previously issued tokens stay valid until
//!   they expire; the token endpoint quota (10 calls / min) and the per-path quota
//!   (100 calls / 20 s), both exact sliding windows, answered with `30004`.
//! - Values as the API returns them: numbers and currency as **strings** (`1` → `"1"`), dates as
//!   **epoch milliseconds**, employee fields (`owner`, `created_by`, `last_modified_by`) as
//!   **lists**, `_id` of 24 hex digits, `name` as an auto number `yyyyMMdd-000001`.
//! - Preset objects on `/cgi/crm/v2/data/*`, `__c` objects on `/cgi/crm/custom/v2/data/*`.
//! - Create returns `dataId`; system fields are set by the server (`create_time` and
//!   `created_by` only honoured with `hasSpecifyTime` / `hasSpecifyCreatedBy`); `details` are
//!   stored as records of the detail object.
//! - Update changes only the sent fields and ignores `owner` (changed only by changeOwner) and
//!   the system fields; delete only accepts voided records ("请先作废数据"); invalid takes one id
//!   string, delete and recover an `idList`, changeOwner a `Data` list (capital D).
//! - Query: every documented operator, several filters ANDed, multi-key orders,
//!   `fieldProjection`, `limit` default 20, `offset` a multiple of `limit`, and `offset` above
//!   10,000 fails with exactly `{"errorCode":10013,"errorMessage":"offset out of range 10000",
//!   "errorDescription":"offset 不能超过10000"}`. Voided records are returned too (the
//!   document's example shows one with `life_status: "invalid"`).
//!
//! # Assumed (the vendor's behaviour is unknown; chosen to be predictable)
//!
//! - Error codes where none is documented: `10006` for every malformed or missing parameter
//!   (bad JSON, wrong types, a missing `currentOpenUserId` with the message
//!   "currentOpenUserId 不能为空", an unknown filter operator, an `offset` that is not a
//!   multiple of `limit`); `20016` also when `corpId` does not match the token; `20012` for an
//!   unknown `currentOpenUserId`; `20006` for a wrong `appId` or `appSecret`; `20015` for a
//!   wrong `permanentCode`; [`BUSINESS_ERROR`] (`32000`, "param error" in the code table) for
//!   every business rejection, told apart by its message: an object on the wrong path
//!   ("对象不存在"), an unknown record id ("数据不存在"), deleting a record that is not voided
//!   ("请先作废数据"), editing a voided or locked record, creating with an `_id` that exists.
//! - Paging: a `limit` above [`MockSettings::max_limit`] (100) is clamped and the answer echoes
//!   the clamped value; `offset` must be a multiple of the requested or of the clamped limit.
//!   `limit < 1` or `offset < 0` → `10006`. `data.find_explicit_total_num: false` or top-level
//!   `returnTotalNum: 3` → `total: 0`.
//! - Order: without `orders`, by `_id` ascending; with orders, ties are broken by `_id`
//!   ascending. Number-like values sort numerically, then text, missing values last when
//!   ascending (first when descending). `_id` always compares as plain text (ids have a fixed
//!   length), in orders and in filters, so the `_id GT <last>` cursor is consistent with the
//!   order.
//! - Filters compare numerically when both sides are numbers (`"300.00"`, epoch ms), else as
//!   text (case-sensitive); list fields match when any element matches; negated operators
//!   (`N`, `NLIKE`, `NIN`, `NBETWEEN`, `NHASANYOF`) are exact complements, so they also match
//!   records without the field; `IS` means missing, `null`, `""` or `[]`; `EXISTS` means present
//!   and not `null`; `CONTAINS` is treated like `HASANYOF`.
//! - Details: a detail record is linked to its master by the field `<master>_id`, the master's
//!   API name in snake case without `Obj` (`PaymentObj` → `payment_id`,
//!   `GoodsReceivedNoteObj` → `goods_received_note_id`; custom `object_x__c` →
//!   `object_x_id__c`), unless the detail already carries it. Details inherit the master's
//!   owner. Invalid, recover and delete of a master cascade to its details. Update updates
//!   details that carry an `_id` and creates those without one; unlisted details are kept.
//! - `null` values are never stored (null on update clears the field), so `includeNull` changes
//!   nothing. `version` starts at 1 and grows with every change; a `version` sent on update is
//!   ignored (no optimistic locking). Required fields are not enforced. The same-token reuse
//!   within 6,600 s is not modelled: every token call issues a new token. A `getByMobile`
//!   with an unknown number answers `errorCode 0` with an empty `empList`. `ownerId` values are
//!   not checked against the directory. Voiding a voided record succeeds without change (so
//!   "void, then delete" can be retried). Any API name is accepted on its path: an object
//!   without records queries as an empty page (only `describe` refuses unknown objects).
//! - Quotas are counted per path for every request that reaches the mock, before the body is
//!   parsed or authenticated, so a rejected call leaves no trace.
//! - The directory holds two employees: the administrator of [`MockFxiaoke::credentials`] and
//!   a sales rep (`FSUID_7B8A3925E40FA68630C0D7E9C3000002`, mobile `13900139000`).
//! - `create_time`, `last_modified_time` and every field whose name ends in `time` or `date`
//!   (before a `__c` suffix) are dates; other numbers become strings, except `version` and
//!   `total_num`.
//!
//! # Other users while you read
//!
//! [`LiveTenant`] makes the mock behave like a tenant in use. Its churn (other users creating,
//! editing and deleting records before every n-th query) can also be switched while the mock
//! runs, and names the records it touched: a read during the churn must deliver every other
//! record exactly once.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use fxiaoke_crm::types::PaymentObj;
//! use fxiaoke_crm_mock::{Churn, MockFxiaoke};
//!
//! let mock = MockFxiaoke::start_with_sample_data(30).await?;
//! let client = mock.unlimited_client()?;
//! mock.set_churn(Some(Churn { every: 1, creates: 1, deletes: 1, edits: 1, seed: 7 }));
//! client.query::<PaymentObj>().send().await?;
//! mock.set_churn(None); // let the tenant settle
//! assert!(!mock.churned_ids().is_empty());
//! # Ok(()) }
//! ```

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

mod clients;
pub mod describe;
mod handlers;
mod index;
pub mod oauth2;
mod order_index;
pub(crate) mod query;
mod store;

/// The plumbing every vendor mock shares: fault injection ([`MockControl`], [`Fault`]), the
/// request hook, and the body of a gateway that answers HTTP 200 without the vendor's envelope.
pub use crm_mock::{Churn, Fault, GATEWAY_BUSY_BODY, MockControl, RequestHook};

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crm_mock::{ChurnControl, MockServer, WindowLimiter};
use serde_json::{Map, Value};

use store::Store;

/// The code this mock uses for business rejections whose real code is unknown (wrong path for
/// the object, unknown record id, deleting a record that is not voided, ...). `32000` is
/// "param error" in the vendor's code table; the message tells the cases apart.
pub const BUSINESS_ERROR: i64 = 32000;

/// Error codes the mock answers with.
pub(crate) mod codes {
    /// Malformed, missing or illegal parameter.
    pub(crate) const PARAM: i64 = 10006;
    /// `offset` above the maximum.
    pub(crate) const OFFSET_OUT_OF_RANGE: i64 = 10013;
    /// Wrong appId or appSecret.
    pub(crate) const APP_CREDENTIALS: i64 = 20006;
    /// Unknown openUserId.
    pub(crate) const USER_NOT_FOUND: i64 = 20012;
    /// Wrong permanent code.
    pub(crate) const PERMANENT_CODE: i64 = 20015;
    /// corpAccessToken invalid or expired (or corpId mismatch).
    pub(crate) const TOKEN_INVALID: i64 = 20016;
    /// No corpAccessToken at all.
    pub(crate) const TOKEN_MISSING: i64 = 20017;
    /// Rate limit exceeded.
    pub(crate) const RATE_LIMITED: i64 = 30004;
    /// Business rejection.
    pub(crate) const BUSINESS: i64 = super::BUSINESS_ERROR;
}

/// A vendor error answer: `{errorCode, errorMessage, errorDescription}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiFail {
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) description: String,
}

impl ApiFail {
    pub(crate) fn new(
        code: i64,
        message: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            description: description.into(),
        }
    }

    /// `10006`: a parameter is missing or illegal; `detail` says which and why.
    pub(crate) fn param(detail: impl Into<String>) -> Self {
        Self::new(codes::PARAM, detail, "缺少参数 或参数 不合法")
    }

    /// `10006` in the vendor's wording for parameter `name`.
    pub(crate) fn missing(name: &str) -> Self {
        Self::param(format!("the parameter {name} is missing or illegal"))
    }

    /// A business rejection ([`BUSINESS_ERROR`]).
    pub(crate) fn business(message: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(codes::BUSINESS, message, description)
    }
}

/// Behaviour knobs of a [`MockFxiaoke`]. The defaults are the vendor's documented values.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockSettings {
    /// Lifetime of an issued `corpAccessToken` (`expiresIn`); default 7,200 s.
    pub token_lifetime: Duration,
    /// Quota per endpoint path as `(calls, window)`, answered with `30004` when exceeded;
    /// default `Some((100, 20 s))`. `None`: unlimited.
    pub rate_limit: Option<(usize, Duration)>,
    /// Quota of the token endpoint; default `Some((10, 60 s))`. `None`: unlimited.
    pub token_rate_limit: Option<(usize, Duration)>,
    /// Largest `limit` of a query; larger values are clamped. Default 100.
    pub max_limit: u32,
    /// Largest `offset` of a query; larger values fail with `10013`. Default 10,000.
    pub max_offset: u32,
    /// Live-tenant behaviours (all off by default).
    pub live: LiveTenant,
    /// The flow of [`MockFxiaoke::client_builder`]; the mock serves both either way
    /// ([`oauth2`]). Default [`AuthFlow::Legacy`](fxiaoke_crm::AuthFlow::Legacy).
    pub auth_flow: fxiaoke_crm::AuthFlow,
}

impl Default for MockSettings {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(7200),
            rate_limit: Some((100, Duration::from_secs(20))),
            token_rate_limit: Some((10, Duration::from_secs(60))),
            max_limit: 100,
            max_offset: 10_000,
            live: LiveTenant::default(),
            auth_flow: fxiaoke_crm::AuthFlow::Legacy,
        }
    }
}

impl MockSettings {
    /// The defaults without either quota: for tests that make many calls (deep paging).
    pub fn without_rate_limits() -> Self {
        Self {
            rate_limit: None,
            token_rate_limit: None,
            ..Self::default()
        }
    }

    /// These settings with `live` behaviours.
    pub fn with_live(mut self, live: LiveTenant) -> Self {
        self.live = live;
        self
    }

    /// These settings with tokens that live `lifetime`.
    pub fn with_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// These settings with a quota of `calls` per `window` on each endpoint path (`None`:
    /// unlimited).
    pub fn with_rate_limit(mut self, quota: Option<(usize, Duration)>) -> Self {
        self.rate_limit = quota;
        self
    }

    /// These settings with a quota of `calls` per `window` on the token endpoints (`None`:
    /// unlimited).
    pub fn with_token_rate_limit(mut self, quota: Option<(usize, Duration)>) -> Self {
        self.token_rate_limit = quota;
        self
    }

    /// These settings with `max` as the largest `limit` of a query.
    pub fn with_max_limit(mut self, max: u32) -> Self {
        self.max_limit = max;
        self
    }

    /// These settings with `max` as the largest `offset` of a query.
    pub fn with_max_offset(mut self, max: u32) -> Self {
        self.max_offset = max;
        self
    }
}

/// How the mock behaves like a live tenant instead of a frozen fixture, so that a client's
/// assumptions get tested. Everything is off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveTenant {
    /// Records that tie on every requested order come back in a new random order on every
    /// call, as a database returns them (off: by `_id`).
    pub unstable_ties: bool,
    /// Where empty values (absent, `null`, `""`, `[]`) sort; the vendor does not document it.
    pub empty_values: EmptyValues,
    /// Other users creating, editing and deleting records while a client reads: writes in the
    /// queried object just before every `every`-th query is answered (counted over all
    /// objects). A create copies a random record with a random new `_id` (so it lands anywhere
    /// in `_id` order), a new `name` and the current times; a delete is physical, as by another
    /// user's delete; an edit changes `remark` and moves `last_modified_time`/`version` on.
    /// [`MockFxiaoke::set_churn`] changes it while the mock runs;
    /// [`MockFxiaoke::churned_ids`] lists the records it touched.
    pub churn: Option<Churn>,
    /// Every n-th request to a path (counted per path) answers HTTP 200 with
    /// [`GATEWAY_BUSY_BODY`], a body without the
    /// Fxiaoke envelope, as a gateway in front of a live tenant sometimes does.
    pub gateway_body_every: Option<u64>,
    /// Error messages quote what was sent: a refused `corpAccessToken` comes back in the
    /// `20016` message, as some gateways do. (For bodies that echo the whole request, see
    /// [`MockControl::echo_next`](crm_mock::MockControl::echo_next).)
    pub echo_secrets: bool,
}

impl LiveTenant {
    /// Unstable ties and, every `every` queries, one create, one delete and one edit in the
    /// queried object.
    pub fn busy(every: u64) -> Self {
        Self {
            unstable_ties: true,
            churn: Some(Churn {
                every,
                creates: 1,
                deletes: 1,
                edits: 1,
                seed: 7,
            }),
            ..Self::default()
        }
    }
}

/// Where empty values sort in query orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmptyValues {
    /// After every value when ascending, before every value when descending.
    #[default]
    Largest,
    /// Before every value when ascending, after every value when descending.
    Smallest,
}

/// Something run just before a query is answered, with the tenant's data, the queried API name
/// and the number of the query (1 for the first): see [`MockFxiaoke::on_query`].
pub type QueryHook = Arc<dyn Fn(&mut Tenant<'_>, &str, u64) + Send + Sync>;

/// The mock's data, as seen by a [`QueryHook`]: what other users of the tenant can do.
pub struct Tenant<'a> {
    state: &'a mut State,
    now_ms: i64,
}

impl fmt::Debug for Tenant<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant").finish_non_exhaustive()
    }
}

impl Tenant<'_> {
    /// The `_id`s of `api_name`, ascending.
    pub fn ids(&self, api_name: &str) -> Vec<String> {
        self.state.store.ids(api_name)
    }

    /// Invalidates every token issued so far (an administrator resetting the app's
    /// authorization): the next business call answers `20016`.
    pub fn expire_tokens(&mut self) {
        self.state.tokens.clear();
        self.state.bearer_tokens.clear();
    }

    /// One record, as stored.
    pub fn record(&self, api_name: &str, id: &str) -> Option<Map<String, Value>> {
        self.state.store.get(api_name, id)
    }

    /// Stores a record as [`MockFxiaoke::insert`] does; returns its `_id`.
    pub fn insert(&mut self, api_name: &str, record: Map<String, Value>) -> String {
        self.state
            .store
            .insert_backdoor(api_name, record, self.now_ms, ADMIN_ID)
    }

    /// Changes fields of a record as an update by the administrator does (`null` clears a
    /// field; system fields and `owner` are ignored); `false` if there is no such record.
    pub fn edit(&mut self, api_name: &str, id: &str, fields: Map<String, Value>) -> bool {
        let stamp = store::Stamp {
            now_ms: self.now_ms,
            user: ADMIN_ID,
        };
        self.state.store.update(api_name, id, fields, stamp)
    }

    /// Deletes a record for good; `false` if there is no such record.
    pub fn delete(&mut self, api_name: &str, id: &str) -> bool {
        self.state.store.remove(api_name, id)
    }
}

/// The built-in [`Churn`]'s writes before the `call`-th query of `api_name`, if due.
fn run_churn(control: &ChurnControl, tenant: &mut Tenant<'_>, api_name: &str, call: u64) {
    let Some(mut writes) = control.due(call) else {
        return;
    };
    let churn = writes.churn();
    for _ in 0..churn.deletes {
        let ids = tenant.ids(api_name);
        if let Some(id) = writes.dice().pick(&ids)
            && tenant.delete(api_name, &id)
        {
            writes.touch(id);
        }
    }
    for _ in 0..churn.edits {
        let ids = tenant.ids(api_name);
        if let Some(id) = writes.dice().pick(&ids) {
            let mut fields = Map::new();
            fields.insert(
                "remark".into(),
                Value::from(format!("edited {:x}", writes.dice().roll())),
            );
            if tenant.edit(api_name, &id, fields) {
                writes.touch(id);
            }
        }
    }
    for _ in 0..churn.creates {
        let ids = tenant.ids(api_name);
        let dice = writes.dice();
        let mut record = dice
            .pick(&ids)
            .and_then(|id| tenant.record(api_name, &id))
            .unwrap_or_default();
        for system in ["name", "create_time", "last_modified_time", "version"] {
            record.remove(system);
        }
        record.insert(
            "_id".into(),
            Value::from(format!("{:08x}{:016x}", dice.roll() as u32, dice.roll())),
        );
        let id = tenant.insert(api_name, record);
        writes.touch(id);
    }
}

/// The credentials a [`MockFxiaoke`] accepts, and its administrator.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockCredentials {
    /// `appId` (`FSAID_…`).
    pub app_id: String,
    /// `appSecret`.
    pub app_secret: String,
    /// `permanentCode`.
    pub permanent_code: String,
    /// `corpId` (`FSCID_…`) the token call returns.
    pub corp_id: String,
    /// `openUserId` (`FSUID_…`) of a CRM administrator, to send as `currentOpenUserId` (or as
    /// `x-fs-userid` with `convertUserId: true`).
    pub open_user_id: String,
    /// The same administrator's numeric employee id, the OAuth2 flow's `x-fs-userid`.
    pub employee_id: String,
    /// `ea`, the enterprise account the OAuth2 token call returns (`x-fs-ea`).
    pub ea: String,
    /// Mobile number of that administrator (for `/cgi/user/getByMobile`).
    pub mobile: String,
}

impl fmt::Debug for MockCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockCredentials")
            .field("app_id", &self.app_id)
            .field("app_secret", &crm_runtime::REDACTED)
            .field("permanent_code", &crm_runtime::REDACTED)
            .field("corp_id", &self.corp_id)
            .field("open_user_id", &self.open_user_id)
            .field("employee_id", &self.employee_id)
            .field("ea", &self.ea)
            .field("mobile", &self.mobile)
            .finish()
    }
}

impl MockCredentials {
    fn fixed() -> Self {
        Self {
            app_id: "FSAID_1319a4c".into(),
            app_secret: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into(),
            permanent_code: "5D1E2F3A4B5C6D7E8F9A0B1C2D3E4F50".into(),
            corp_id: "FSCID_5A1B2C3D4E5F60718293A4B5C6D7E8F9".into(),
            open_user_id: ADMIN_ID.into(),
            employee_id: "1000".into(),
            ea: "fsmock1".into(),
            mobile: "13800138000".into(),
        }
    }
}

const ADMIN_ID: &str = "FSUID_0253C6D7FC0E3A2CBB19F336CE000001";
const SALES_ID: &str = "FSUID_7B8A3925E40FA68630C0D7E9C3000002";

/// One employee of the mock's directory.
#[derive(Clone, Debug)]
pub(crate) struct Employee {
    pub(crate) open_user_id: &'static str,
    /// The numeric employee id (OAuth2 flow).
    pub(crate) employee_id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) mobile: &'static str,
    pub(crate) main_department: i64,
    pub(crate) departments: &'static [i64],
    pub(crate) position: &'static str,
}

impl Employee {
    pub(crate) fn to_json(&self) -> Value {
        serde_json::json!({
            "openUserId": self.open_user_id,
            "name": self.name,
            "mobile": self.mobile,
            "mainDepartmentIds": [self.main_department],
            "departmentIds": self.departments,
            "position": self.position,
            "status": "normal",
            "isStop": false,
        })
    }
}

const DIRECTORY: &[Employee] = &[
    Employee {
        open_user_id: ADMIN_ID,
        employee_id: "1000",
        name: "系统管理员",
        mobile: "13800138000",
        main_department: 1000,
        departments: &[1000],
        position: "CRM管理员",
    },
    Employee {
        open_user_id: SALES_ID,
        employee_id: "1001",
        name: "张三",
        mobile: "13900139000",
        main_department: 1001,
        departments: &[1000, 1001],
        position: "销售代表",
    },
];

/// Mutable state behind one lock: the records and the issued tokens.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) store: Store,
    /// Issued tokens and when each was issued.
    pub(crate) tokens: HashMap<String, Instant>,
    /// Issued OAuth2 bearer tokens and when each was issued.
    pub(crate) bearer_tokens: HashMap<String, Instant>,
    /// Every token ever issued, expired ones included (for leak checks in tests).
    pub(crate) issued: Vec<String>,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) settings: MockSettings,
    pub(crate) credentials: MockCredentials,
    pub(crate) directory: &'static [Employee],
    state: Mutex<State>,
    pub(crate) limiter: Option<WindowLimiter>,
    pub(crate) token_limiter: Option<WindowLimiter>,
    pub(crate) token_calls: AtomicU64,
    pub(crate) rate_rejections: AtomicU64,
    pub(crate) flows: oauth2::FlowCounts,
    trace_seq: AtomicU64,
    nonce: u64,
    /// Queries answered so far (for [`QueryHook`]s).
    query_calls: AtomicU64,
    /// Other users' writes ([`LiveTenant::churn`], [`MockFxiaoke::set_churn`]).
    churn: ChurnControl,
    query_hooks: QueryHooks,
}

/// The registered [`QueryHook`]s.
#[derive(Default)]
struct QueryHooks(Mutex<Vec<QueryHook>>);

impl fmt::Debug for QueryHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.lock().map(|h| h.len()).unwrap_or_default();
        write!(f, "{n} query hooks")
    }
}

impl Shared {
    pub(crate) fn new(settings: MockSettings) -> Self {
        let churn = settings.live.churn;
        let limiter = settings
            .rate_limit
            .map(|(max, window)| WindowLimiter::new(max, window));
        let token_limiter = settings
            .token_rate_limit
            .map(|(max, window)| WindowLimiter::new(max, window));
        Self {
            settings,
            credentials: MockCredentials::fixed(),
            directory: DIRECTORY,
            state: Mutex::new(State::default()),
            limiter,
            token_limiter,
            token_calls: AtomicU64::new(0),
            rate_rejections: AtomicU64::new(0),
            flows: oauth2::FlowCounts::default(),
            trace_seq: AtomicU64::new(0),
            nonce: random_u64(0),
            query_calls: AtomicU64::new(0),
            churn: ChurnControl::new(churn),
            query_hooks: QueryHooks::default(),
        }
    }

    /// How the live-tenant settings sort query results.
    pub(crate) fn sorting(&self) -> query::Sorting {
        query::Sorting {
            empties_first: self.settings.live.empty_values == EmptyValues::Smallest,
            unstable_ties: self.settings.live.unstable_ties,
        }
    }

    /// Counts a query of `api_name` and makes the churn's writes and runs the query hooks on
    /// the locked state; returns the query's number (a seed for its tie order).
    pub(crate) fn before_query(&self, state: &mut State, api_name: &str) -> u64 {
        let call = self.query_calls.fetch_add(1, Ordering::Relaxed) + 1;
        let hooks: Vec<QueryHook> = self
            .query_hooks
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut tenant = Tenant {
            state,
            now_ms: now_ms(),
        };
        run_churn(&self.churn, &mut tenant, api_name, call);
        for hook in hooks {
            hook(&mut tenant, api_name, call);
        }
        random_u64(call)
    }

    /// The state; a panic elsewhere never poisons it for good.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh `traceId`, e.g. `E-O.mock.3f9a1c2e.17`.
    pub(crate) fn trace_id(&self) -> String {
        let n = self.trace_seq.fetch_add(1, Ordering::Relaxed) + 1;
        format!("E-O.mock.{:08x}.{n}", self.nonce & 0xffff_ffff)
    }

    /// 32 random hex digits.
    pub(crate) fn random_token(&self) -> String {
        let n = self.trace_seq.fetch_add(1, Ordering::Relaxed);
        format!(
            "{:016x}{:016x}",
            random_u64(n),
            random_u64(n ^ 0x9e37_79b9_7f4a_7c15)
        )
    }

    pub(crate) fn employee(&self, open_user_id: &str) -> Option<&Employee> {
        self.directory
            .iter()
            .find(|e| e.open_user_id == open_user_id)
    }
}

/// A random number from the standard library's randomly keyed hasher (no `rand` dependency).
fn random_u64(salt: u64) -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(salt);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    h.write_u128(nanos);
    h.finish()
}

/// Now as epoch milliseconds.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A running mock of the Fxiaoke CRM V2 API. The server stops when this is dropped.
pub struct MockFxiaoke {
    server: MockServer,
    shared: Arc<Shared>,
}

impl fmt::Debug for MockFxiaoke {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockFxiaoke")
            .field("base_url", &self.server.base_url().as_str())
            .field("settings", &self.shared.settings)
            .finish_non_exhaustive()
    }
}

impl MockFxiaoke {
    /// Starts a mock with no records and the default [`MockSettings`].
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(MockSettings::default()).await
    }

    /// Starts a mock with no records and these settings.
    pub async fn start_with(settings: MockSettings) -> std::io::Result<Self> {
        let live = settings.live.clone();
        let shared = Arc::new(Shared::new(settings));
        let router = handlers::router(shared.clone());
        let server = MockServer::start(router, MockControl::new()).await?;
        let mock = Self { server, shared };
        mock.control().gateway_body_every(live.gateway_body_every);
        Ok(mock)
    }

    /// Runs `hook` just before every query is answered, with the tenant's data, the queried
    /// API name and the query's number: a test's way to play other users writing while a
    /// stream reads. The hook runs under the mock's data lock: use the [`Tenant`] it is given,
    /// not this mock's methods.
    pub fn on_query(&self, hook: impl Fn(&mut Tenant<'_>, &str, u64) + Send + Sync + 'static) {
        self.shared
            .query_hooks
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(hook));
    }

    /// Starts other users' writes from the next query on, replacing the running ones
    /// ([`LiveTenant::churn`] at start), or stops them (`None`): a test switches them on for
    /// the read it checks and off to let the tenant settle.
    pub fn set_churn(&self, churn: Option<Churn>) {
        self.shared.churn.set(churn);
    }

    /// The `_id`s of every record the churn created, edited or deleted so far: the records a
    /// read during the churn may see in either state (every other record it must see once).
    pub fn churned_ids(&self) -> BTreeSet<String> {
        self.shared.churn.touched()
    }

    /// Deletes a record for good (as another user's delete would), `false` if there is none.
    pub fn delete(&self, api_name: &str, id: &str) -> bool {
        self.shared.state().store.remove(api_name, id)
    }

    /// Starts a mock holding `n` `PaymentObj` records (each with one to three
    /// `OrderPaymentObj` lines linked by `payment_id`) and three `GoodsReceivedNoteObj`
    /// records (with two `GoodsReceivedNoteProductObj` lines each, linked by
    /// `goods_received_note_id`). The data is deterministic: the same `n` gives the same
    /// records, ids and times. Amounts are strings with two decimals; owners alternate between
    /// the administrator and a sales rep.
    pub async fn start_with_sample_data(n: usize) -> std::io::Result<Self> {
        let mock = Self::start().await?;
        mock.shared
            .state()
            .store
            .seed_samples(n, &[ADMIN_ID, SALES_ID]);
        Ok(mock)
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> url::Url {
        self.server.base_url()
    }

    /// Fault injection and per-path call counts.
    pub fn control(&self) -> &Arc<MockControl> {
        self.server.control()
    }

    /// The credentials this mock accepts, and its administrator operator.
    pub fn credentials(&self) -> MockCredentials {
        self.shared.credentials.clone()
    }

    /// Stores a record of `api_name` directly (no auth, no quota) and returns its `_id`.
    /// Given fields are kept, system fields (`_id`, `name`, times, `owner`, `life_status`, …)
    /// are filled in when missing, values are normalised to the wire form (numbers → strings,
    /// dates → epoch ms). A record with an existing `_id` replaces it.
    pub fn insert(&self, api_name: &str, record: Map<String, Value>) -> String {
        let mut state = self.shared.state();
        state
            .store
            .insert_backdoor(api_name, record, now_ms(), ADMIN_ID)
    }

    /// [`insert`](Self::insert) for many records.
    pub fn insert_many(
        &self,
        api_name: &str,
        records: impl IntoIterator<Item = Map<String, Value>>,
    ) {
        let now = now_ms();
        let mut state = self.shared.state();
        for record in records {
            state.store.insert_backdoor(api_name, record, now, ADMIN_ID);
        }
    }

    /// The records of `api_name` as stored (wire form), ordered by `_id`; voided ones included,
    /// deleted ones not.
    pub fn records(&self, api_name: &str) -> Vec<Map<String, Value>> {
        self.shared.state().store.records(api_name)
    }

    /// The number of records of `api_name` and the total size in bytes of their JSON text (as
    /// stored, wire form, compact). A benchmark compares the mock's memory with it.
    pub fn stored_size(&self, api_name: &str) -> (usize, usize) {
        self.shared.state().store.size(api_name)
    }

    /// Invalidates every token issued so far: the next business call answers `20016`.
    pub fn expire_tokens(&self) {
        let mut state = self.shared.state();
        state.tokens.clear();
        state.bearer_tokens.clear();
    }

    /// Every token the mock has issued, expired ones included: tests assert that none of them
    /// leaks into logs or errors.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.state().issued.clone()
    }

    /// How many requests reached the token endpoints of both flows (rejected ones included).
    pub fn token_calls(&self) -> u64 {
        self.shared.token_calls.load(Ordering::Relaxed)
    }

    /// How many `30004` (rate limit) answers were given so far.
    pub fn rate_limit_rejections(&self) -> u64 {
        self.shared.rate_rejections.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod query_props;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
