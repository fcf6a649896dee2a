//! An embedded, stateful fake of the U8 OpenAPI gateway, for your tests,
//! examples and demos. It serves the three documented endpoints on `127.0.0.1:<random port>`:
//!
//! | endpoint | behaviour |
//! |---|---|
//! | `GET /system/token?from_account&app_key&app_secret` | checks the three against [`MockU8::credentials`]; issues a 32-hex token with `expiresIn` (default 7200 s) |
//! | `GET /api/customercontacts/batch_get` | checks `from_account`, `to_account`, `app_key`, `token`; applies every documented filter; pages by `page_index`/`rows_per_page` in code order |
//! | `GET /api/customercontacts/get?id=<code>` | one contact by code |
//!
//! Filters follow the document: `code_begin`/`code_end` are an inclusive range on the contact
//! code (string comparison); `name`, `ccusname`, `direct_leader`, `charge_person`, `email`,
//! `favorite`, `wechat` (the document's 关键字, keyword) match when the field contains the value
//! (case-insensitively); `ccuscode`, `direct_leader_code`, `charge_person_code`, `title`, `sex`,
//! `position`, `mobile_phone`, `office_phone`, `qq` must be equal; `be_main_linker` and
//! `default` take `1`/`0` (or `true`/`false`); `birthday` takes a date `yyyy-MM-dd` and matches
//! the date part. An empty parameter counts as absent. Responses look like the document's
//! example: every value a string (`"1"`/`"0"` flags, `""` for empty fields), paging metadata
//! `page_index`, `rows_per_page`, `row_count`, `page_count` as strings, `"errcode":"0"`.
//! `rows_per_page` defaults to [`DEFAULT_ROWS_PER_PAGE`] and is unlimited unless you set
//! [`MockU8::set_max_page_size`] (the real maximum is unknown).
//!
//! # Error codes are the mock's own
//!
//! U8 publishes no error-code table (docs/vendors.md §3.5): the real codes for bad credentials, an
//! expired token, a bad parameter or a missing record are **unknown**. The mock uses the codes
//! in [`codes`], chosen to be plausible, always as `{"errcode":"…","errmsg":"…"}` with HTTP 200.
//! Only `30021` 此应用未上线 comes from the document. Do not match on these codes in production
//! code. The one behaviour the client relies on is that a token error's message mentions
//! "token" (the client then fetches a new token and repeats the call once).
//!
//! # Faults
//!
//! [`MockU8::control`] injects transport faults (HTTP status, delay, dropped connection) and
//! counts calls per path; [`MockU8::fail_next_with_errcode`] makes the next calls answer with a
//! vendor error envelope; [`MockU8::respond_next_raw`] answers one call with any body (to test
//! decoding); [`MockU8::expire_tokens`] invalidates every issued token.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use u8_contacts_mock::MockU8;
//!
//! let mock = MockU8::start_with_sample_data(30).await?;
//! let client = mock.client()?;
//! let page = client.batch_get().ccusname("鹏程").page_size(2).send().await?;
//! assert_eq!(page.customercontacts.map(|c| c.len()), Some(2));
//!
//! mock.fail_next_with_errcode(1, "30021", "此应用未上线");
//! let err = client.contact("00000001").await.unwrap_err();
//! assert_eq!(err.api_code(), Some("30021"));
//! # Ok(()) }
//! ```

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

mod handlers;
mod sample;
mod state;

/// The plumbing every vendor mock shares: fault injection ([`MockControl`], [`Fault`]), the
/// request hook, and the body of a gateway that answers HTTP 200 without the vendor's envelope.
pub use crm_mock::{Churn, Fault, GATEWAY_BUSY_BODY, MockControl, RequestHook};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use u8_contacts::TransportOptions;

use crm_mock::MockServer;
use crm_runtime::{RateLimits, SecretString};
use url::Url;

pub use sample::sample_contacts;
use state::{Injection, State};

use u8_contacts::types::Contact;
use u8_contacts::{Client, ClientBuilder, Result};

/// The paths the mock serves.
pub mod paths {
    /// `GET /system/token`.
    pub const TOKEN: &str = "/system/token";
    /// `GET /api/customercontacts/batch_get`.
    pub const BATCH_GET: &str = "/api/customercontacts/batch_get";
    /// `GET /api/customercontacts/get`.
    pub const GET: &str = "/api/customercontacts/get";
}

/// The error codes the mock answers with. **Invented** except [`codes::APP_NOT_ONLINE`]: U8's real
/// codes are unknown (docs/vendors.md §3.5).
pub mod codes {
    /// Wrong `from_account`, `app_key` or `app_secret` (`app_key或app_secret错误`).
    pub const BAD_CREDENTIALS: &str = "40001";
    /// A required parameter is missing (`缺少必填参数: …`).
    pub const MISSING_PARAMETER: &str = "40002";
    /// A parameter has a bad value, e.g. `page_index=abc` (`参数…格式错误`).
    pub const INVALID_PARAMETER: &str = "40003";
    /// `to_account` has not authorized the application (`提供方…未授权此应用`).
    pub const NOT_AUTHORIZED: &str = "40004";
    /// No contact with that code (`客户联系人…不存在`).
    pub const NOT_FOUND: &str = "40005";
    /// An unknown path (HTTP 404).
    pub const UNKNOWN_API: &str = "40400";
    /// The token is unknown or expired (`token无效或已过期`).
    pub const TOKEN_INVALID: &str = "40006";
    /// A query matched nothing (`未检索到匹配的[客户联系人]。`): U8 answers an empty result with
    /// this error instead of an empty list (seen from a real tenant on another resource,
    /// docs/vendors.md §3b).
    pub const NO_MATCH: &str = "20002";
    /// The application is not online (`此应用未上线`); from the document's error example. The
    /// mock sends it only when told to ([`MockU8::fail_next_with_errcode`](super::MockU8::fail_next_with_errcode)).
    pub const APP_NOT_ONLINE: &str = "30021";
    /// The mock could not encode its answer (never expected).
    pub const INTERNAL: &str = "50000";
}

/// Rows per page when a request sends no `rows_per_page` (the official SDK's default).
pub const DEFAULT_ROWS_PER_PAGE: u64 = 20;

/// Token lifetime unless changed with [`MockU8::set_token_lifetime`] (2 hours, docs/vendors.md §3.2).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(7200);

/// The credentials the mock accepts.
#[derive(Clone)]
#[non_exhaustive]
pub struct MockCredentials {
    /// 调用方id (the document's example value `openapi_dev`).
    pub from_account: String,
    /// 提供方id (`openapi_ent`).
    pub to_account: String,
    /// 应用编码 (`opa6fdd4bea98b95ad7`).
    pub app_key: String,
    /// The application secret.
    pub app_secret: SecretString,
}

impl Default for MockCredentials {
    fn default() -> Self {
        Self {
            from_account: "openapi_dev".into(),
            to_account: "openapi_ent".into(),
            app_key: "opa6fdd4bea98b95ad7".into(),
            app_secret: SecretString::new("mocksecret5f2c0e1d9a7b4c38e6f10d2a"),
        }
    }
}

impl fmt::Debug for MockCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockCredentials")
            .field("from_account", &self.from_account)
            .field("to_account", &self.to_account)
            .field("app_key", &self.app_key)
            .field("app_secret", &self.app_secret)
            .finish()
    }
}

/// A running fake U8 gateway with its data. Stops when dropped. Needs a Tokio runtime.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mock = u8_contacts_mock::MockU8::start_with_sample_data(10).await?;
/// let contact = mock.client()?.contact("00000003").await?;
/// assert_eq!(contact.and_then(|c| c.code).as_deref(), Some("00000003"));
/// assert_eq!(mock.token_calls(), 1);
/// # Ok(()) }
/// ```
pub struct MockU8 {
    server: MockServer,
    state: Arc<State>,
}

impl fmt::Debug for MockU8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockU8")
            .field("base_url", &self.base_url().as_str())
            .field("credentials", &self.state.credentials)
            .field("contacts", &self.state.data().contacts.len())
            .finish_non_exhaustive()
    }
}

impl MockU8 {
    /// Starts an empty mock on `127.0.0.1:0`.
    pub async fn start() -> std::io::Result<MockU8> {
        let state = Arc::new(State::new(MockCredentials::default()));
        let control = MockControl::new();
        let server = MockServer::start(handlers::router(state.clone()), control).await?;
        Ok(MockU8 { server, state })
    }

    /// Starts an empty mock with these live-tenant behaviours.
    pub async fn start_live(live: LiveTenant) -> std::io::Result<MockU8> {
        let mock = Self::start().await?;
        mock.set_churn(live.churn);
        mock.state
            .echo_secrets
            .store(live.echo_secrets, std::sync::atomic::Ordering::Relaxed);
        mock.control().gateway_body_every(live.gateway_body_every);
        Ok(mock)
    }

    /// Runs `hook` just before every `batch_get` is answered, with the contacts and the
    /// request's number (1 for the first): a test's way to play other users writing while a
    /// stream reads. It runs under the mock's data lock: use the [`Contacts`] it is given.
    pub fn on_batch_get(&self, hook: impl Fn(&mut Contacts<'_>, u64) + Send + Sync + 'static) {
        self.state.add_list_hook(Arc::new(hook));
    }

    /// Starts other users' writes from the next `batch_get` on, replacing the running ones
    /// ([`LiveTenant::churn`] at start), or stops them (`None`): a test switches them on for
    /// the read it checks and off to let the tenant settle.
    pub fn set_churn(&self, churn: Option<Churn>) {
        self.state.churn.set(churn);
    }

    /// The codes of every contact the churn added, edited or deleted so far: the contacts a
    /// read during the churn may see in either state (every other one it must see once).
    pub fn churned_codes(&self) -> std::collections::BTreeSet<String> {
        self.state.churn.touched()
    }

    /// Starts a mock holding `n` realistic, deterministic sample contacts (codes `"00000001"`
    /// to `format!("{n:08}")`, spread over customers such as `0215` 天津鹏程电子有限公司 and
    /// `0111` 云飞电子科技集团; see [`sample_contacts`]).
    pub async fn start_with_sample_data(n: usize) -> std::io::Result<MockU8> {
        let mock = Self::start().await?;
        mock.insert_many(sample_contacts(n));
        Ok(mock)
    }

    /// Adds or replaces a contact, keyed by its code; returns the code. A contact without a
    /// code gets the next free 8-digit one. Fields left `None` are stored as U8 sends empty
    /// values: `""`, and `"0"` for the two flags.
    pub fn insert(&self, contact: Contact) -> String {
        self.state.insert(contact)
    }

    /// [`MockU8::insert`] for many contacts; returns their codes.
    pub fn insert_many(&self, contacts: impl IntoIterator<Item = Contact>) -> Vec<String> {
        self.state.insert_many(contacts)
    }

    /// Removes a contact; returns it if it existed.
    pub fn remove(&self, code: &str) -> Option<Contact> {
        self.state.data().contacts.remove(code)
    }

    /// Removes every contact.
    pub fn clear(&self) {
        self.state.data().contacts.clear();
    }

    /// Every stored contact, in code order (as stored: normalized, see [`MockU8::insert`]).
    pub fn contacts(&self) -> Vec<Contact> {
        self.state.data().contacts.values().cloned().collect()
    }

    /// The stored contact with this code.
    pub fn contact(&self, code: &str) -> Option<Contact> {
        self.state.data().contacts.get(code).cloned()
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> Url {
        self.server.base_url()
    }

    /// Transport fault injection (`fail_next`, `delay_next`, `drop_next`) and call counts per
    /// path (`calls(paths::BATCH_GET)`).
    pub fn control(&self) -> &Arc<MockControl> {
        self.server.control()
    }

    /// The credentials the mock accepts.
    pub fn credentials(&self) -> &MockCredentials {
        &self.state.credentials
    }

    /// A client builder for this mock: its URL and credentials, [`crm_mock::client_options`]
    /// (short retry delays and timeouts) and no client-side rate limit (set one with
    /// `.with_rate_limits(…)` to test it). Adjust and `.build()`.
    pub fn client_builder(&self) -> ClientBuilder {
        let c = &self.state.credentials;
        crm_mock::client_options(
            Client::builder()
                .base_url(self.base_url().as_str())
                .from_account(c.from_account.clone())
                .to_account(c.to_account.clone())
                .app_key(c.app_key.clone())
                .app_secret(c.app_secret.clone()),
        )
        .with_rate_limits(RateLimits::off())
    }

    /// `self.client_builder().build()`.
    pub fn client(&self) -> Result<Client> {
        self.client_builder().build()
    }

    /// A client without client-side rate limits: [`MockU8::client`], whose builder already
    /// turns them off (the name says so where a test depends on it).
    pub fn unlimited_client(&self) -> Result<Client> {
        self.client()
    }

    /// Invalidates every token issued so far: the next business call with one gets
    /// [`codes::TOKEN_INVALID`] `token无效或已过期`.
    pub fn expire_tokens(&self) {
        self.state.expire_tokens();
    }

    /// The lifetime of tokens issued from now on (`expiresIn`, rounded up to whole seconds);
    /// the mock rejects a token once it has passed. Default [`DEFAULT_TOKEN_LIFETIME`].
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.state.data().token_lifetime = lifetime;
    }

    /// How many requests the token endpoint answered (successful or not; requests consumed by
    /// an injected transport fault are not counted, see `control().calls(paths::TOKEN)`).
    pub fn token_calls(&self) -> u64 {
        self.state.token_calls()
    }

    /// Every token issued so far, oldest first (for tests that check a token never leaks).
    pub fn issued_tokens(&self) -> Vec<SecretString> {
        self.state
            .issued_tokens()
            .into_iter()
            .map(SecretString::new)
            .collect()
    }

    /// Caps `rows_per_page` (the response then echoes the capped value and a `page_count` to
    /// match), like a gateway with a maximum page size. `None` (the default) means no cap.
    pub fn set_max_page_size(&self, max: Option<u64>) {
        self.state.data().max_page_size = max;
    }

    /// The next `n` requests, to any of the three endpoints, answer
    /// `{"errcode": errcode, "errmsg": errmsg}`, e.g. `("30021", "此应用未上线")`.
    pub fn fail_next_with_errcode(&self, n: usize, errcode: &str, errmsg: &str) {
        self.state.inject(None, n, Self::errcode(errcode, errmsg));
    }

    /// Like [`MockU8::fail_next_with_errcode`], for requests to `path` only (see [`paths`]).
    pub fn fail_next_with_errcode_on(&self, path: &str, n: usize, errcode: &str, errmsg: &str) {
        self.state
            .inject(Some(path), n, Self::errcode(errcode, errmsg));
    }

    /// The next request to `path` gets `body` verbatim (HTTP 200, JSON content type), e.g. a
    /// malformed record to test decoding.
    pub fn respond_next_raw(&self, path: &str, body: impl Into<String>) {
        self.state
            .inject(Some(path), 1, Injection::Raw(body.into()));
    }

    /// Drops every pending errcode or raw injection (not the transport faults of
    /// [`MockU8::control`]).
    pub fn clear_injections(&self) {
        self.state.clear_injections();
    }

    fn errcode(code: &str, message: &str) -> Injection {
        Injection::Errcode {
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// How the mock behaves like a live tenant instead of a frozen fixture. Everything is off by
/// default. (The mock lists by `code`, which has no ties, so there is no tie behaviour.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveTenant {
    /// Other users adding, editing and deleting contacts while a client reads: writes just
    /// before every `every`-th `batch_get` is answered. A create copies a random contact under
    /// a new random 8-digit code; an edit changes `position`. [`MockU8::set_churn`] changes it
    /// while the mock runs; [`MockU8::churned_codes`] lists the contacts it touched.
    pub churn: Option<Churn>,
    /// Every n-th request to a path (counted per path) answers HTTP 200 with
    /// [`GATEWAY_BUSY_BODY`], which has neither `errcode`
    /// nor data.
    pub gateway_body_every: Option<u64>,
    /// Error messages quote what was sent: a refused token comes back in the message.
    pub echo_secrets: bool,
}

/// The mock's contacts, as a hook of [`MockU8::on_batch_get`] sees them.
pub struct Contacts<'a> {
    pub(crate) contacts: &'a mut crm_mock::index::OrderedIndex<Contact>,
}

impl fmt::Debug for Contacts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contacts").finish_non_exhaustive()
    }
}

impl Contacts<'_> {
    /// The codes, ascending.
    pub fn codes(&self) -> Vec<String> {
        self.contacts.keys().map(str::to_owned).collect()
    }

    /// One contact.
    pub fn get(&self, code: &str) -> Option<&Contact> {
        self.contacts.get(code)
    }

    /// Adds or replaces a contact under `code`.
    pub fn insert(&mut self, code: &str, mut contact: Contact) {
        contact.code = Some(code.to_owned().into());
        self.contacts.insert(code, contact);
    }

    /// Changes a contact in place; `false` if there is none. Its `code` stays `code` (the
    /// code is the contact's identity: [`insert`](Self::insert) under another code to move it).
    pub fn edit(&mut self, code: &str, change: impl FnOnce(&mut Contact)) -> bool {
        self.contacts
            .get_mut(code)
            .map(|c| {
                change(c);
                c.code = Some(code.to_owned().into());
            })
            .is_some()
    }

    /// Deletes a contact; `false` if there is none.
    pub fn delete(&mut self, code: &str) -> bool {
        self.contacts.remove(code).is_some()
    }
}

/// The built-in [`Churn`]'s writes before the `call`-th `batch_get`, if due.
pub(crate) fn run_churn(control: &crm_mock::ChurnControl, contacts: &mut Contacts<'_>, call: u64) {
    let Some(mut writes) = control.due(call) else {
        return;
    };
    let churn = writes.churn();
    for _ in 0..churn.deletes {
        if let Some(code) = writes.dice().pick(&contacts.codes())
            && contacts.delete(&code)
        {
            writes.touch(code);
        }
    }
    for _ in 0..churn.edits {
        if let Some(code) = writes.dice().pick(&contacts.codes()) {
            let position = format!("岗位{:x}", writes.dice().roll() & 0xffff);
            if contacts.edit(&code, |c| c.position = Some(position.into())) {
                writes.touch(code);
            }
        }
    }
    for _ in 0..churn.creates {
        let dice = writes.dice();
        let template = dice
            .pick(&contacts.codes())
            .and_then(|code| contacts.get(&code).cloned())
            .unwrap_or_default();
        let code = format!("{:08}", dice.roll() % 100_000_000);
        contacts.insert(&code, template);
        writes.touch(code);
    }
}
