//! The mock's state: contacts, issued tokens, injected responses. Every lock is a short,
//! synchronous critical section (never held across an `.await`), and a poisoned lock is
//! recovered rather than unwrapped.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};

use crm_mock::index::OrderedIndex;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::MockCredentials;
use super::sample::normalize;
use u8_contacts::types::Contact;

/// A response the mock gives instead of handling a request normally.
#[derive(Clone, Debug)]
pub(crate) enum Injection {
    /// `{"errcode": code, "errmsg": message}` with HTTP 200.
    Errcode { code: String, message: String },
    /// This body, verbatim, with HTTP 200 and a JSON content type.
    Raw(String),
}

#[derive(Debug)]
struct IssuedToken {
    app_key: String,
    expires_at: Instant,
}

#[derive(Debug)]
pub(crate) struct Data {
    /// By code (the contact's `code`, always equal to its key), text order.
    pub(crate) contacts: OrderedIndex<Contact>,
    tokens: HashMap<String, IssuedToken>,
    issued: Vec<String>,
    pub(crate) token_lifetime: Duration,
    pub(crate) max_page_size: Option<u64>,
    next_token: u64,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) credentials: MockCredentials,
    data: Mutex<Data>,
    injections: Mutex<VecDeque<(Option<String>, Injection)>>,
    token_calls: AtomicU64,
    seed: u64,
    list_calls: AtomicU64,
    /// Other users' writes (`LiveTenant::churn`, `MockU8::set_churn`).
    pub(crate) churn: crm_mock::ChurnControl,
    list_hooks: ListHooks,
    /// Error messages quote the token that was refused.
    pub(crate) echo_secrets: std::sync::atomic::AtomicBool,
}

/// A hook run before each `batch_get`.
pub(crate) type ListHook = std::sync::Arc<dyn Fn(&mut super::Contacts<'_>, u64) + Send + Sync>;

#[derive(Default)]
struct ListHooks(Mutex<Vec<ListHook>>);

impl std::fmt::Debug for ListHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map(|h| h.len()).unwrap_or_default();
        write!(f, "{n} batch_get hooks")
    }
}

/// A 64-bit mixer (splitmix64): spreads a counter over all bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The next free code after the largest numeric code, 8 digits like U8's own.
fn next_code(contacts: &OrderedIndex<Contact>) -> String {
    let max = contacts
        .keys()
        .filter_map(|k| k.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    format!("{:08}", max.saturating_add(1))
}

impl State {
    pub(crate) fn new(credentials: MockCredentials) -> Self {
        Self {
            credentials,
            data: Mutex::new(Data {
                contacts: OrderedIndex::default(),
                tokens: HashMap::new(),
                issued: Vec::new(),
                token_lifetime: super::DEFAULT_TOKEN_LIFETIME,
                max_page_size: None,
                next_token: 0,
            }),
            injections: Mutex::new(VecDeque::new()),
            token_calls: AtomicU64::new(0),
            seed: RandomState::new().hash_one(0x5eed_u64),
            list_calls: AtomicU64::new(0),
            churn: crm_mock::ChurnControl::default(),
            list_hooks: ListHooks::default(),
            echo_secrets: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(crate) fn add_list_hook(&self, hook: ListHook) {
        self.list_hooks
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(hook);
    }

    /// Counts a `batch_get`, makes the churn's writes and runs the hooks on the locked data.
    pub(crate) fn before_list(&self, data: &mut Data) {
        let call = self.list_calls.fetch_add(1, Ordering::Relaxed) + 1;
        let hooks: Vec<ListHook> = self
            .list_hooks
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut contacts = super::Contacts {
            contacts: &mut data.contacts,
        };
        super::run_churn(&self.churn, &mut contacts, call);
        for hook in hooks {
            hook(&mut contacts, call);
        }
    }

    pub(crate) fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a contact (normalized); a missing or empty code gets the next free one.
    pub(crate) fn insert(&self, contact: Contact) -> String {
        let mut data = self.data();
        Self::insert_locked(&mut data, contact)
    }

    pub(crate) fn insert_many(&self, contacts: impl IntoIterator<Item = Contact>) -> Vec<String> {
        let mut data = self.data();
        contacts
            .into_iter()
            .map(|c| Self::insert_locked(&mut data, c))
            .collect()
    }

    fn insert_locked(data: &mut Data, contact: Contact) -> String {
        let mut contact = normalize(contact);
        let code = match contact.code.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => code.to_owned(),
            _ => next_code(&data.contacts),
        };
        contact.code = Some(code.clone().into());
        data.contacts.insert(&code, contact);
        code
    }

    // --- tokens -------------------------------------------------------------------------

    pub(crate) fn count_token_call(&self) {
        self.token_calls.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn token_calls(&self) -> u64 {
        self.token_calls.load(Ordering::Relaxed)
    }

    /// Issues a token for `app_key`; returns it and its lifetime.
    pub(crate) fn issue_token(&self, app_key: &str) -> (String, Duration) {
        let mut data = self.data();
        data.next_token += 1;
        let n = data.next_token;
        let id = format!(
            "{:016x}{:016x}",
            mix(self.seed ^ n),
            mix(self.seed.rotate_left(32) ^ n.wrapping_mul(31))
        );
        let lifetime = data.token_lifetime;
        data.tokens.insert(
            id.clone(),
            IssuedToken {
                app_key: app_key.to_owned(),
                expires_at: Instant::now() + lifetime,
            },
        );
        data.issued.push(id.clone());
        (id, lifetime)
    }

    /// Whether `token` was issued to `app_key` and has not expired.
    pub(crate) fn token_valid(&self, token: &str, app_key: &str) -> bool {
        let data = self.data();
        data.tokens
            .get(token)
            .is_some_and(|t| t.app_key == app_key && Instant::now() < t.expires_at)
    }

    pub(crate) fn expire_tokens(&self) {
        self.data().tokens.clear();
    }

    pub(crate) fn issued_tokens(&self) -> Vec<String> {
        self.data().issued.clone()
    }

    // --- injections ---------------------------------------------------------------------

    pub(crate) fn inject(&self, path: Option<&str>, n: usize, injection: Injection) {
        let mut queue = self.injections.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..n {
            queue.push_back((path.map(str::to_owned), injection.clone()));
        }
    }

    /// The first pending injection that applies to `path`, removed from the queue.
    pub(crate) fn take_injection(&self, path: &str) -> Option<Injection> {
        let mut queue = self.injections.lock().unwrap_or_else(|e| e.into_inner());
        let i = queue
            .iter()
            .position(|(p, _)| p.as_deref().is_none_or(|p| p == path))?;
        queue.remove(i).map(|(_, injection)| injection)
    }

    pub(crate) fn clear_injections(&self) {
        self.injections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
