//! Benchmarks of the CRM SDKs, each against what a user would otherwise write, measured in the
//! same run. `cargo xtask bench` runs all of them and writes `BENCHMARKS.md`.
//!
//! - `benches/decode.rs` (criterion): one response page per vendor ([`payloads`]) decoded into
//!   the generated types, into `serde_json::Value`, and into minimal strict structs
//!   ([`strict`]); plus, for Fxiaoke, the hand-written [`proto`]type of the single-pass
//!   `Deserialize` the generator emits for records, as a cross-check.
//! - The `crm-bench` binary: export throughput and memory ([`export`], against the embedded
//!   mock or the [`synthetic`] server in another process), rate-limited sync
//!   ([`ratelimit`]), and sync into SQLite and PostgreSQL ([`sync`]: records stored per
//!   second, and the calls of an incremental run). It prints one JSON object per
//!   measurement on stdout.

pub mod export;
pub mod payloads;
pub mod proto;
pub mod ratelimit;
pub mod strict;
pub mod sync;
pub mod synthetic;

/// The Fxiaoke token path.
pub const FXIAOKE_TOKEN_PATH: &str = "/cgi/corpAccessToken/get/V2";

/// The Fxiaoke query path of preset objects.
pub const FXIAOKE_QUERY_PATH: &str = "/cgi/crm/v2/data/query";

/// Fxiaoke app credentials and operator, as the `serve` mode prints them and the `export` mode
/// reads them (from the SDK's `FXIAOKE_*` environment variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `appId`.
    pub app_id: String,
    /// `appSecret`.
    pub app_secret: String,
    /// `permanentCode`.
    pub permanent_code: String,
    /// `currentOpenUserId`.
    pub open_user_id: String,
}

impl Credentials {
    /// The credentials of an embedded mock.
    pub fn of_mock(mock: &fxiaoke_crm_mock::MockFxiaoke) -> Self {
        let c = mock.credentials();
        Self {
            app_id: c.app_id,
            app_secret: c.app_secret,
            permanent_code: c.permanent_code,
            open_user_id: c.open_user_id,
        }
    }

    /// From `FXIAOKE_APP_ID`, `FXIAOKE_APP_SECRET`, `FXIAOKE_PERMANENT_CODE` and
    /// `FXIAOKE_OPEN_USER_ID`.
    pub fn from_env() -> Result<Self, BenchError> {
        let var = |k: &str| std::env::var(k).map_err(|_| BenchError::msg(format!("set {k}")));
        Ok(Self {
            app_id: var("FXIAOKE_APP_ID")?,
            app_secret: var("FXIAOKE_APP_SECRET")?,
            permanent_code: var("FXIAOKE_PERMANENT_CODE")?,
            open_user_id: var("FXIAOKE_OPEN_USER_ID")?,
        })
    }
}

/// Any failure of a measurement, as text.
#[derive(Debug)]
pub struct BenchError(String);

impl BenchError {
    /// An error with this message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

macro_rules! from_error {
    ($($t:ty),*) => {$(
        impl From<$t> for BenchError {
            fn from(e: $t) -> Self {
                Self(e.to_string())
            }
        }
    )*};
}
from_error!(
    std::io::Error,
    serde_json::Error,
    reqwest::Error,
    crm_runtime::Error,
    crm_sync::Error
);

/// Peak and current resident set size of this process, in KiB (`VmHWM`, `VmRSS` of
/// `/proc/self/status`; `None` where that file does not exist).
pub fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}
