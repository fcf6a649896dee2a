//! Building the three vendor clients: from the configuration (environment and flags), or
//! against the vendor's embedded mock with sample data (`--mock`).
//!
//! A client built against a mock holds the mock ([`Session`]), which stops when the session is
//! dropped.

use fxiaoke_crm::TransportOptions;
use std::path::PathBuf;

use crm_runtime::{RateLimits, RetryPolicy};
use fxiaoke_crm::{AuthFlow, Operator};
use fxiaoke_crm_mock::{MockFxiaoke, MockSettings};
use openapi_crm_mock::MockUseasy;
use serde_json::{Map, Value, json};
use u8_contacts_mock::MockU8;

use crate::cli::{FxiaokeConfig, U8Config, UseasyConfig};
use crate::error::{CliError, CliResult};

/// What every command shares: mock or real, recording.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Use the embedded mocks.
    pub mock: bool,
    /// Sample records in each mock.
    pub mock_records: usize,
    /// Where to record exchanges.
    pub record: Option<PathBuf>,
    /// Retries of a failed request (`None`: the client's default).
    pub retries: Option<u32>,
    /// Client-side rate limits off (a local test server).
    pub no_rate_limits: bool,
}

impl Settings {
    /// The retry policy for `--retries`, based on `base` (the client's or the mock's).
    fn retry_policy(&self, base: RetryPolicy) -> Option<RetryPolicy> {
        self.retries
            .map(|r| base.with_max_attempts(r.saturating_add(1)))
    }
}

/// The retry policy of the mocks' client builders (short delays).
fn mock_retry_policy() -> RetryPolicy {
    crm_mock::client_retry_policy()
}

/// A client, and the mock it talks to (kept running as long as the client is used).
#[derive(Debug)]
pub struct Session<C, M> {
    /// The client.
    pub client: C,
    /// The embedded mock, with `--mock`.
    pub mock: Option<M>,
}

/// A Fxiaoke client and its mock.
pub type FxiaokeSession = Session<fxiaoke_crm::Client, MockFxiaoke>;
/// A useasy client and its mock.
pub type UseasySession = Session<openapi_crm::Client, MockUseasy>;
/// A U8 client and its mock.
pub type U8Session = Session<u8_contacts::Client, MockU8>;

/// A value that is set and not empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The one-line error of a vendor whose configuration is incomplete.
fn not_configured(vendor: &str, missing: &[&str]) -> CliError {
    CliError::config(format!(
        "{vendor} is not configured: set {} (or the matching flags, see `crm {vendor} --help`), or pass --mock",
        missing.join(", ")
    ))
}

/// The values of `fields` (each named by its environment variable), or the
/// [`not_configured`] error naming every one that is not given.
fn required<'a, const N: usize>(
    vendor: &str,
    fields: [(&'static str, Option<&'a str>); N],
) -> CliResult<[&'a str; N]> {
    let missing: Vec<&str> = fields
        .iter()
        .filter_map(|(name, v)| v.is_none().then_some(*name))
        .collect();
    if !missing.is_empty() {
        return Err(not_configured(vendor, &missing));
    }
    Ok(fields.map(|(_, v)| v.unwrap_or_default()))
}

fn mock_error(vendor: &str, e: std::io::Error) -> CliError {
    CliError::internal(format!("cannot start the embedded {vendor} mock: {e}"))
}

/// A Fxiaoke client from the configuration, or against the mock.
pub async fn fxiaoke(config: &FxiaokeConfig, settings: &Settings) -> CliResult<FxiaokeSession> {
    let flow = config.auth.unwrap_or_default();
    if settings.mock {
        let mock = start_fxiaoke_mock(settings.mock_records, flow).await?;
        let mut builder = mock.client_builder().with_rate_limits(RateLimits::off());
        if config.convert_user_id {
            builder = builder
                .convert_user_id(true)
                .open_user_id(mock.credentials().open_user_id);
        }
        return session(
            builder,
            settings,
            Some(mock),
            fxiaoke_crm::ClientBuilder::build,
        );
    }
    // The operator the flow and its id style ask for; another one given instead is passed on,
    // so that the client's configuration error names it.
    let given_operators = [
        given(&config.open_user_id).map(|id| Operator::OpenUserId(id.to_owned())),
        given(&config.operator_mobile).map(|m| Operator::Mobile(m.to_owned())),
        given(&config.employee_id).map(|id| Operator::EmployeeId(id.to_owned())),
    ];
    let (operator_var, preferred) = match (flow, config.convert_user_id) {
        (AuthFlow::OAuth2, false) => ("FXIAOKE_EMPLOYEE_ID", 2),
        _ => ("FXIAOKE_OPEN_USER_ID", 0),
    };
    let operator = given_operators[preferred]
        .clone()
        .or_else(|| given_operators.into_iter().flatten().next());
    let [app_id, app_secret, permanent_code, _] = required(
        "fxiaoke",
        [
            ("FXIAOKE_APP_ID", given(&config.app_id)),
            ("FXIAOKE_APP_SECRET", given(&config.app_secret)),
            ("FXIAOKE_PERMANENT_CODE", given(&config.permanent_code)),
            (operator_var, operator.as_ref().map(|_| "")),
        ],
    )?;
    let mut builder = fxiaoke_crm::Client::builder()
        .app_id(app_id)
        .app_secret(app_secret)
        .permanent_code(permanent_code)
        .auth_flow(flow)
        .convert_user_id(config.convert_user_id);
    if let Some(operator) = operator {
        builder = builder.operator(operator);
    }
    if let Some(url) = given(&config.base_url) {
        builder = builder.base_url(url);
    }
    session(builder, settings, None, fxiaoke_crm::ClientBuilder::build)
}

/// A useasy client from the configuration, or against the mock.
pub async fn useasy(config: &UseasyConfig, settings: &Settings) -> CliResult<UseasySession> {
    if settings.mock {
        let mock = MockUseasy::start_with_sample_data(settings.mock_records)
            .await
            .map_err(|e| mock_error("useasy", e))?;
        let builder = mock.client_builder();
        return session(
            builder,
            settings,
            Some(mock),
            openapi_crm::ClientBuilder::build,
        );
    }
    let [appid, secret] = required(
        "useasy",
        [
            ("USEASY_APPID", given(&config.appid)),
            ("USEASY_SECRET", given(&config.secret)),
        ],
    )?;
    let mut builder = openapi_crm::Client::builder()
        .app_id(appid)
        .app_secret(secret);
    if let Some(url) = given(&config.base_url) {
        builder = builder.base_url(url);
    }
    session(builder, settings, None, openapi_crm::ClientBuilder::build)
}

/// A U8 client from the configuration, or against the mock.
pub async fn u8(config: &U8Config, settings: &Settings) -> CliResult<U8Session> {
    if settings.mock {
        let mock = MockU8::start_with_sample_data(settings.mock_records)
            .await
            .map_err(|e| mock_error("u8", e))?;
        let mut builder = mock.client_builder();
        if let Some(ds) = config.ds_sequence {
            builder = builder.ds_sequence(ds);
        }
        return session(
            builder,
            settings,
            Some(mock),
            u8_contacts::ClientBuilder::build,
        );
    }
    let [from, to, key, secret] = required(
        "u8",
        [
            ("U8_FROM_ACCOUNT", given(&config.from_account)),
            ("U8_TO_ACCOUNT", given(&config.to_account)),
            ("U8_APP_KEY", given(&config.app_key)),
            ("U8_APP_SECRET", given(&config.app_secret)),
        ],
    )?;
    let mut builder = u8_contacts::Client::builder()
        .from_account(from)
        .to_account(to)
        .app_key(key)
        .app_secret(secret);
    if let Some(url) = given(&config.base_url) {
        builder = builder.base_url(url);
    }
    if let Some(ds) = config.ds_sequence {
        builder = builder.ds_sequence(ds);
    }
    session(builder, settings, None, u8_contacts::ClientBuilder::build)
}

/// The custom (`__c`) fields of the CLI's Fxiaoke sample records.
pub const FX_CUSTOM_FIELDS: [&str; 2] = ["invoice_no__c", "region__c"];

/// Starts the Fxiaoke mock without its rate limits (a 10,000-record export needs more than
/// 100 query calls in 20 s), its client builder in the auth flow `flow`, and fills it with `n`
/// `PaymentObj` records that carry custom fields, plus a few records of a custom object
/// `object_demo__c`.
pub async fn start_fxiaoke_mock(n: usize, flow: AuthFlow) -> CliResult<MockFxiaoke> {
    let mock = MockFxiaoke::start_with(MockSettings::without_rate_limits().with_auth_flow(flow))
        .await
        .map_err(|e| mock_error("fxiaoke", e))?;
    let credentials = mock.credentials();
    mock.insert_many(
        "PaymentObj",
        (0..n).filter_map(|i| as_map(payment(i, &credentials.open_user_id))),
    );
    mock.insert_many(
        "object_demo__c",
        (0..n.min(5)).filter_map(|i| as_map(demo_object(i))),
    );
    Ok(mock)
}

fn as_map(v: Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Sample `PaymentObj` number `i` (deterministic).
fn payment(i: usize, owner: &str) -> Value {
    const BASE_TIME: i64 = 1_704_038_400_000; // 2024-01-01 00:00 +08:00
    const HOUR: i64 = 3_600_000;
    let cents = ((i as i64 * 7919) % 100_000) + 100;
    let account = i % 5;
    let created = BASE_TIME + i as i64 * HOUR;
    json!({
        "account_id": format!("2d58af2dbb4d4ecd931e80ef18{account:06x}"),
        "account_id__r": format!("样例客户{}", account + 1),
        "payment_amount": format!("{}.{:02}", cents / 100, cents % 100),
        "payment_time": created + 24 * HOUR,
        "payment_term": (["1", "2", "3"][i % 3]),
        "remark": format!("样例回款 #{}", i + 1),
        "record_type": "default__c",
        "owner": [owner],
        "owner_department": "销售部",
        "create_time": created,
        "last_modified_time": created,
        "invoice_no__c": format!("INV-2024-{:06}", i + 1),
        "region__c": (["华东", "华北", "华南", "西南"][i % 4]),
    })
}

/// Sample record `i` of the custom object `object_demo__c`.
fn demo_object(i: usize) -> Value {
    json!({
        "name": format!("自定义对象样例 {}", i + 1),
        "field_score__c": format!("{}", 60 + i * 7),
        "field_level__c": (["A", "B", "C"][i % 3]),
    })
}

/// The session of a configured builder: `--record`, `--retries` (on the mock's retry policy
/// with a mock, the client's default without) and `--no-rate-limits` applied, then built.
fn session<B: TransportOptions, C, M, E>(
    builder: B,
    settings: &Settings,
    mock: Option<M>,
    build: impl FnOnce(B) -> Result<C, E>,
) -> CliResult<Session<C, M>>
where
    CliError: From<E>,
{
    let retry = if mock.is_some() {
        mock_retry_policy()
    } else {
        RetryPolicy::default()
    };
    let client = build(with_settings(builder, settings, retry))?;
    Ok(Session { client, mock })
}

/// The transport settings of the command line (`--record`, `--retries`, `--no-rate-limits`),
/// applied the same way to every vendor's builder; `retry` is the policy `--retries` adjusts.
fn with_settings<B: TransportOptions>(
    mut builder: B,
    settings: &Settings,
    retry: RetryPolicy,
) -> B {
    if let Some(dir) = &settings.record {
        builder = builder.with_record_dir(dir);
    }
    if let Some(policy) = settings.retry_policy(retry) {
        builder = builder.with_retry_policy(policy);
    }
    if settings.no_rate_limits {
        builder = builder.with_rate_limits(RateLimits::off());
    }
    builder
}
