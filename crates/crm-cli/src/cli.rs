//! The command line: every command, flag and argument, with the parsers of the small query
//! languages (`--filter 'FIELD OP VALUE'`, `--search ...`, `--order FIELD:desc`).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{ArgAction, Args, Parser, Subcommand};
use fxiaoke_crm::FilterOperator;
use openapi_crm::SearchOperatorKnown;

use crate::output::Format;
use crate::sync::{
    FULL_SYNC_ABOUT, FULL_SYNC_AFTER, FX_SYNC_ABOUT, FX_SYNC_AFTER, FullSyncArgs, FxSyncArgs,
};

/// The help heading of the options every command takes.
const GLOBAL: &str = "Global options";

/// Records of sample data each embedded mock holds unless `--mock-records` says otherwise.
pub const DEFAULT_MOCK_RECORDS: usize = 250;

/// `crm`: look at and export CRM data of 纷享销客 Fxiaoke, 有逸 useasy and 用友 Yonyou U8.
#[derive(Debug, Parser)]
#[command(
    name = "crm",
    version,
    about = "Look at and export CRM data of 纷享销客 Fxiaoke, 有逸 useasy and 用友 Yonyou U8",
    long_about = "Look at and export CRM data of 纷享销客 Fxiaoke, 有逸 useasy and 用友 Yonyou U8.\n\n\
        Credentials come from the environment (FXIAOKE_*, USEASY_*, U8_*; see each vendor's --help) \
        or from flags. With --mock, any command runs against the vendor's embedded mock server \
        holding sample data, so nothing leaves this machine. Start with `crm demo`.\n\n\
        Keep a copy in your own database (SQLite or PostgreSQL, --into or CRM_DATABASE_URL): \
        `crm fxiaoke sync <OBJECT>...`, `crm useasy customers sync`, `crm u8 contacts sync`.",
    after_help = "Exit codes: 0 success, 1 internal error, 2 usage, 3 configuration or \
        authentication, 4 vendor API error, 5 network error.",
    propagate_version = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(long, short = 'f', global = true, help_heading = GLOBAL, value_enum)]
    pub format: Option<Format>,

    /// Run against the vendor's embedded mock server (sample data, no credentials, loopback only).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub mock: bool,

    /// Record every HTTP exchange (secrets redacted) as files in DIR.
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "DIR")]
    pub record: Option<PathBuf>,

    /// Never show a progress bar (it is shown on stderr only when stderr is a terminal and
    /// stdout is not, i.e. during an export to a file or a pipe).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub no_progress: bool,

    /// Log to stderr: -v info, -vv debug, -vvv trace (secrets are redacted).
    #[arg(long, short = 'v', global = true, help_heading = GLOBAL, action = ArgAction::Count)]
    pub verbose: u8,

    /// Retries of a failed request (network errors, HTTP 429/5xx, transient vendor codes) before
    /// giving up [default: 3; each vendor's rate limits still apply, so retries of the Fxiaoke
    /// token call are several seconds apart].
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "CRM_RETRIES",
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(0..=10)
    )]
    pub retries: Option<u32>,

    /// Send as fast as the server answers: the client-side rate limits (Fxiaoke 100 calls per
    /// 20 s per endpoint, useasy 10 per second) are off. For a local test server; a real vendor
    /// refuses the excess with its rate-limit error.
    #[arg(long, global = true, help_heading = GLOBAL, env = "CRM_NO_RATE_LIMITS")]
    pub no_rate_limits: bool,

    /// Records of sample data in each embedded mock (for `--mock`; tests and benchmarks).
    #[arg(
        long,
        global = true,
        hide = true,
        env = "CRM_MOCK_RECORDS",
        value_name = "N",
        default_value_t = DEFAULT_MOCK_RECORDS
    )]
    pub mock_records: usize,
}

/// The top-level commands.
// Parsed once per run: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk through the three vendors against their embedded mocks (no credentials needed).
    Demo,
    /// 纷享销客 Fxiaoke (ShareCRM) CRM V2 object data: query, get, create, update, void, delete.
    Fxiaoke(FxiaokeArgs),
    /// 有逸 useasy customers: list, get, add, update, delete, field configuration.
    Useasy(UseasyArgs),
    /// 用友 Yonyou U8 OpenAPI customer contacts: list with every batch_get filter, get.
    U8(U8Args),
    /// Generate one Rust module of a tenant's typed objects from pulled schemas (`crm fxiaoke schema pull`, `crm useasy fields pull`).
    Codegen(CodegenArgs),
    /// Print a shell completion script (e.g. `crm completions bash > ~/.local/share/bash-completion/completions/crm`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

// ---------------------------------------------------------------------------------------------
// Fxiaoke

/// `crm fxiaoke ...`.
#[derive(Debug, Args)]
pub struct FxiaokeArgs {
    /// Credentials and gateway.
    #[command(
        flatten,
        next_help_heading = "Fxiaoke configuration (flags override the environment)"
    )]
    pub config: FxiaokeConfig,
    /// The operation.
    #[command(subcommand)]
    pub command: FxiaokeCommand,
}

/// Fxiaoke configuration: flags override the environment.
#[derive(Clone, Debug, Default, Args)]
pub struct FxiaokeConfig {
    /// The gateway [default: https://open.fxiaoke.com].
    #[arg(
        long,
        global = true,
        env = "FXIAOKE_BASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub base_url: Option<String>,
    /// The app id (FSAID_...).
    #[arg(
        long,
        global = true,
        env = "FXIAOKE_APP_ID",
        value_name = "ID",
        hide_env_values = true
    )]
    pub app_id: Option<String>,
    /// The app secret (prefer the environment variable: flags are visible to other users).
    #[arg(
        long,
        global = true,
        env = "FXIAOKE_APP_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub app_secret: Option<String>,
    /// The enterprise's permanent code (prefer the environment variable).
    #[arg(
        long,
        global = true,
        env = "FXIAOKE_PERMANENT_CODE",
        value_name = "CODE",
        hide_env_values = true
    )]
    pub permanent_code: Option<String>,
    /// The auth flow your tenant was given: legacy (corpAccessToken in the body) or oauth2
    /// (/oauth2.0/token, `authorization: Bearer` headers) [default: legacy].
    #[arg(
        long = "auth",
        global = true,
        env = "FXIAOKE_AUTH",
        value_name = "FLOW",
        value_parser = parse_auth_flow
    )]
    pub auth: Option<fxiaoke_crm::AuthFlow>,
    /// The operator's open user id (FSUID_...), a CRM administrator: the legacy flow's
    /// currentOpenUserId, or the oauth2 flow's x-fs-userid with --convert-user-id.
    #[arg(
        long,
        global = true,
        env = "FXIAOKE_OPEN_USER_ID",
        value_name = "ID",
        hide_env_values = true
    )]
    pub open_user_id: Option<String>,
    /// The operator by mobile number instead of --open-user-id (legacy flow).
    #[arg(
        long,
        global = true,
        env = "FXIAOKE_OPERATOR_MOBILE",
        value_name = "MOBILE",
        hide_env_values = true
    )]
    pub operator_mobile: Option<String>,
    /// The operator's numeric employee id (e.g. 1000), the oauth2 flow's x-fs-userid.
    #[arg(
        long,
        global = true,
        env = "FXIAOKE_EMPLOYEE_ID",
        value_name = "ID",
        hide_env_values = true
    )]
    pub employee_id: Option<String>,
    /// oauth2 flow: name employees by FSUID_ open user ids instead of numeric employee ids
    /// (sends "convertUserId": true).
    #[arg(long, global = true, env = "FXIAOKE_CONVERT_USER_ID")]
    pub convert_user_id: bool,
}

/// `legacy` or `oauth2`.
fn parse_auth_flow(s: &str) -> Result<fxiaoke_crm::AuthFlow, String> {
    s.parse()
        .map_err(|_| format!("{s:?} is not an auth flow: expected legacy or oauth2"))
}

/// The Fxiaoke operations.
#[derive(Debug, Subcommand)]
pub enum FxiaokeCommand {
    /// Every record of an object matching the filters, each exactly once, in order (streamed by keyset: no 10,000-record limit).
    Query(FxQueryArgs),
    /// One record by _id.
    Get {
        /// The object's API name (PaymentObj, AccountObj, object_x__c, ...).
        object: String,
        /// The record's _id.
        id: String,
    },
    /// Create a record; prints its new _id.
    Create {
        /// The object's API name.
        object: String,
        /// The record as JSON: inline, @FILE, or - for stdin.
        #[arg(long, value_name = "JSON|@FILE|-")]
        data: String,
        /// Trigger neither the workflow nor the approval flow.
        #[arg(long)]
        no_flows: bool,
    },
    /// Update the fields given in --data of one record (owner changes need changeOwner).
    Update {
        /// The object's API name.
        object: String,
        /// The record's _id (else --data must contain "_id").
        id: Option<String>,
        /// The fields to change as JSON: inline, @FILE, or - for stdin.
        #[arg(long, value_name = "JSON|@FILE|-")]
        data: String,
        /// Trigger neither the workflow nor the approval flow.
        #[arg(long)]
        no_flows: bool,
    },
    /// Void (作废) a record: the first step of deleting it.
    Invalid {
        /// The object's API name.
        object: String,
        /// The record's _id.
        id: String,
    },
    /// Delete records the documented way: void each, then delete.
    Delete {
        /// The object's API name.
        object: String,
        /// The records' _ids.
        #[arg(required = true, num_args = 1..)]
        ids: Vec<String>,
    },
    /// The fields of an object: API name, label, type, whether required (one record per field).
    Describe {
        /// The object's API name.
        object: String,
    },
    /// The objects of the tenant.
    Objects,
    /// The tenant's objects as schemas for `crm codegen` (pull), and what changed since (diff).
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Keep a copy of objects in your database (SQLite or PostgreSQL): first sync, then only changes.
    #[command(long_about = FX_SYNC_ABOUT, after_help = FX_SYNC_AFTER)]
    Sync(FxSyncArgs),
}

/// `crm fxiaoke query`.
#[derive(Debug, Args)]
pub struct FxQueryArgs {
    /// The object's API name (PaymentObj, AccountObj, object_x__c, ...).
    pub object: String,
    /// A filter 'FIELD OP VALUE[,VALUE...]', ANDed with the others. OP is a FilterOperator name,
    /// case-insensitive: EQ N GT GTE LT LTE LIKE NLIKE IS ISN IN NIN BETWEEN NBETWEEN STARTWITH
    /// ENDWITH EXISTS NEXISTS CONTAINS HASANYOF NHASANYOF (or = != > >= < <=). Times are epoch
    /// milliseconds.
    #[arg(long = "filter", short = 'w', value_name = "'FIELD OP VALUE'", value_parser = parse_fx_filter)]
    pub filters: Vec<FxFilter>,
    /// Order by FIELD (ascending) or FIELD:desc; repeat for tie-breakers; _id breaks the last ties.
    /// Empty values come last ascending, first descending. Any number of records.
    #[arg(long = "order", value_name = "FIELD[:desc]", value_parser = parse_order)]
    pub orders: Vec<Order>,
    /// Return only these fields (_id is always added).
    #[arg(long, value_delimiter = ',', value_name = "a,b,c")]
    pub fields: Vec<String>,
    /// Records per request (1..=100).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub page_size: u32,
    /// Stop after N records.
    #[arg(long, value_name = "N")]
    pub max: Option<u64>,
}

/// A parsed `--filter`.
#[derive(Clone, Debug)]
pub struct FxFilter {
    /// The field's API name.
    pub field: String,
    /// The operator.
    pub operator: FilterOperator,
    /// The values.
    pub values: Vec<String>,
}

/// A parsed `--order`.
#[derive(Clone, Debug)]
pub struct Order {
    /// The field.
    pub field: String,
    /// Ascending (`FIELD` or `FIELD:asc`) or descending (`FIELD:desc`).
    pub ascending: bool,
}

/// Splits `FIELD OP VALUE[,VALUE...]` into its three parts (the values may be absent, e.g. for
/// `IS` and `EXISTS`, and may contain spaces; they are split on commas).
fn split_condition(s: &str) -> Result<(String, String, Vec<String>), String> {
    let s = s.trim();
    let (field, rest) = s
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("expected 'FIELD OP VALUE[,VALUE...]', got {s:?}"))?;
    let rest = rest.trim_start();
    let (op, values) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let values = values.trim();
    let values = if values.is_empty() {
        Vec::new()
    } else {
        values.split(',').map(|v| v.trim().to_owned()).collect()
    };
    Ok((field.to_owned(), op.to_owned(), values))
}

/// Parses a Fxiaoke filter.
pub fn parse_fx_filter(s: &str) -> Result<FxFilter, String> {
    let (field, op, values) = split_condition(s)?;
    let upper = op.to_ascii_uppercase();
    let name = match upper.as_str() {
        "=" | "==" => "EQ",
        "!=" | "<>" => "N",
        ">" => "GT",
        ">=" => "GTE",
        "<" => "LT",
        "<=" => "LTE",
        other => other,
    };
    let operator: FilterOperator = name.parse().map_err(|_| {
        format!(
            "unknown operator {op:?}; use one of EQ N GT GTE LT LTE LIKE NLIKE IS ISN IN NIN BETWEEN \
             NBETWEEN STARTWITH ENDWITH EXISTS NEXISTS CONTAINS HASANYOF NHASANYOF"
        )
    })?;
    Ok(FxFilter {
        field,
        operator,
        values,
    })
}

/// Parses `FIELD`, `FIELD:asc` or `FIELD:desc`.
pub fn parse_order(s: &str) -> Result<Order, String> {
    let (field, direction) = match s.rsplit_once(':') {
        Some((f, d)) => (f, d.to_ascii_lowercase()),
        None => (s, "asc".to_owned()),
    };
    if field.trim().is_empty() {
        return Err(format!("expected FIELD[:desc], got {s:?}"));
    }
    let ascending = match direction.as_str() {
        "asc" => true,
        "desc" => false,
        other => return Err(format!("unknown direction {other:?}; use asc or desc")),
    };
    Ok(Order {
        field: field.trim().to_owned(),
        ascending,
    })
}

// ---------------------------------------------------------------------------------------------
// useasy

/// `crm useasy ...`.
#[derive(Debug, Args)]
pub struct UseasyArgs {
    /// Credentials and server.
    #[command(
        flatten,
        next_help_heading = "useasy configuration (flags override the environment)"
    )]
    pub config: UseasyConfig,
    /// The resource.
    #[command(subcommand)]
    pub command: UseasyCommand,
}

/// useasy configuration: flags override the environment.
#[derive(Clone, Debug, Default, Args)]
pub struct UseasyConfig {
    /// The server [default: https://openapi.useasy.cn].
    #[arg(
        long,
        global = true,
        env = "USEASY_BASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub base_url: Option<String>,
    /// The account number (appid).
    #[arg(
        long,
        global = true,
        env = "USEASY_APPID",
        value_name = "ID",
        hide_env_values = true
    )]
    pub appid: Option<String>,
    /// The account secret (prefer the environment variable: flags are visible to other users).
    #[arg(
        long,
        global = true,
        env = "USEASY_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub secret: Option<String>,
}

/// The useasy resources.
#[derive(Debug, Subcommand)]
pub enum UseasyCommand {
    /// Customers (客户).
    #[command(subcommand)]
    Customers(CustomersCommand),
    /// The customers' custom fields as a schema for `crm codegen` (pull), and what changed since (diff).
    #[command(subcommand)]
    Fields(FieldsCommand),
}

/// `crm useasy customers ...`.
#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// Every customer matching the conditions (streamed, page after page).
    List(UseasyListArgs),
    /// One customer by _id.
    Get {
        /// The customer's _id.
        id: String,
    },
    /// Add a customer (customerName is required); prints the stored record.
    Add {
        /// The customer as JSON: inline, @FILE, or - for stdin.
        #[arg(long, value_name = "JSON|@FILE|-")]
        data: String,
        /// Set a field by its display name (e.g. 详细地址=杭州, 客户等级=重要客户, 所在地区=浙江省/杭州市);
        /// VALUE is read by the field's configured type (text stays text).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_assignment)]
        set: Vec<(String, String)>,
        /// Set a field by its display name to a JSON value, as given (e.g. 所在地区='["zj","hz"]').
        #[arg(long = "set-json", value_name = "NAME=JSON", value_parser = parse_assignment)]
        set_json: Vec<(String, String)>,
    },
    /// Update a customer with the fields given; prints the stored record.
    Update {
        /// The customer's _id (else --data must contain "_id").
        id: Option<String>,
        /// The fields as JSON: inline, @FILE, or - for stdin.
        #[arg(long, value_name = "JSON|@FILE|-", default_value = "{}")]
        data: String,
        /// Set a field by its display name (e.g. 客户等级=A); VALUE is read by the field's
        /// configured type (text stays text).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_assignment)]
        set: Vec<(String, String)>,
        /// Set a field by its display name to a JSON value, as given.
        #[arg(long = "set-json", value_name = "NAME=JSON", value_parser = parse_assignment)]
        set_json: Vec<(String, String)>,
    },
    /// Delete a customer.
    Delete {
        /// The customer's _id.
        id: String,
    },
    /// The account's customer field configuration (built-in and custom fields).
    Fields,
    /// Keep a copy of the customers in your database (SQLite or PostgreSQL); every run is a full pass.
    #[command(long_about = FULL_SYNC_ABOUT, after_help = FULL_SYNC_AFTER)]
    Sync(FullSyncArgs),
}

/// `crm useasy customers list`.
#[derive(Debug, Args)]
pub struct UseasyListArgs {
    /// A condition 'FIELD OP VALUE[,VALUE...]', ANDed with the others. OP (case-insensitive): eq
    /// and empty (documented), ne in nin like notEmpty gt gte lt lte between (unconfirmed on the
    /// real server). Custom fields by their field id (see `fields`).
    #[arg(long = "search", short = 'w', value_name = "'FIELD OP VALUE'", value_parser = parse_search)]
    pub search: Vec<Search>,
    /// Customers per request.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
    /// Stop after N customers.
    #[arg(long, value_name = "N")]
    pub max: Option<u64>,
}

/// A parsed `--search`.
#[derive(Clone, Debug)]
pub struct Search {
    /// The field.
    pub field: String,
    /// The operator.
    pub operator: SearchOperatorKnown,
    /// The values.
    pub values: Vec<String>,
}

/// Every useasy search operator.
const SEARCH_OPERATORS: [SearchOperatorKnown; 12] = [
    SearchOperatorKnown::Eq,
    SearchOperatorKnown::Empty,
    SearchOperatorKnown::Ne,
    SearchOperatorKnown::In,
    SearchOperatorKnown::Nin,
    SearchOperatorKnown::Like,
    SearchOperatorKnown::NotEmpty,
    SearchOperatorKnown::Gt,
    SearchOperatorKnown::Gte,
    SearchOperatorKnown::Lt,
    SearchOperatorKnown::Lte,
    SearchOperatorKnown::Between,
];

/// Parses a useasy search condition.
pub fn parse_search(s: &str) -> Result<Search, String> {
    let (field, op, values) = split_condition(s)?;
    let operator = SEARCH_OPERATORS
        .into_iter()
        .find(|o| o.to_string().eq_ignore_ascii_case(&op))
        .ok_or_else(|| {
            let names: Vec<String> = SEARCH_OPERATORS.iter().map(ToString::to_string).collect();
            format!("unknown operator {op:?}; use one of {}", names.join(" "))
        })?;
    Ok(Search {
        field,
        operator,
        values,
    })
}

/// Parses `NAME=VALUE`.
pub fn parse_assignment(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))?;
    if name.trim().is_empty() {
        return Err(format!("expected NAME=VALUE, got {s:?}"));
    }
    Ok((name.trim().to_owned(), value.to_owned()))
}

// ---------------------------------------------------------------------------------------------
// U8

/// `crm u8 ...`.
#[derive(Debug, Args)]
pub struct U8Args {
    /// Credentials and gateway.
    #[command(
        flatten,
        next_help_heading = "U8 configuration (flags override the environment)"
    )]
    pub config: U8Config,
    /// The resource.
    #[command(subcommand)]
    pub command: U8Command,
}

/// U8 configuration: flags override the environment.
#[derive(Clone, Debug, Default, Args)]
pub struct U8Config {
    /// The gateway [default: https://api.yonyouup.com].
    #[arg(
        long,
        global = true,
        env = "U8_BASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub base_url: Option<String>,
    /// 调用方id: the caller (developer) account.
    #[arg(
        long,
        global = true,
        env = "U8_FROM_ACCOUNT",
        value_name = "ACCOUNT",
        hide_env_values = true
    )]
    pub from_account: Option<String>,
    /// 提供方id: the provider (enterprise) account.
    #[arg(
        long,
        global = true,
        env = "U8_TO_ACCOUNT",
        value_name = "ACCOUNT",
        hide_env_values = true
    )]
    pub to_account: Option<String>,
    /// 应用编码: the application key.
    #[arg(
        long,
        global = true,
        env = "U8_APP_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub app_key: Option<String>,
    /// The application secret (prefer the environment variable: flags are visible to other users).
    #[arg(
        long,
        global = true,
        env = "U8_APP_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub app_secret: Option<String>,
    /// 数据源序号: the data source (also the batch_get filter ds_sequence) [default: the
    /// application's first].
    #[arg(
        long,
        global = true,
        env = "U8_DS_SEQUENCE",
        value_name = "N",
        hide_env_values = true
    )]
    pub ds_sequence: Option<i64>,
}

/// The U8 resources.
#[derive(Debug, Subcommand)]
pub enum U8Command {
    /// Customer contacts (客户联系人).
    #[command(subcommand)]
    Contacts(ContactsCommand),
}

/// `crm u8 contacts ...`.
// Parsed once per run: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Every contact matching the filters (customercontacts/batch_get, streamed page after page).
    List(U8ListArgs),
    /// One contact by its code (customercontacts/get).
    Get {
        /// The contact's code.
        code: String,
    },
    /// Keep a copy of the contacts in your database (SQLite or PostgreSQL); every run is a full pass.
    #[command(long_about = FULL_SYNC_ABOUT, after_help = FULL_SYNC_AFTER)]
    Sync(FullSyncArgs),
}

/// `crm u8 contacts list`: every batch_get filter as a flag.
#[derive(Debug, Args)]
pub struct U8ListArgs {
    /// 起始联系人编码: codes ≥ this.
    #[arg(long, value_name = "CODE")]
    pub code_begin: Option<String>,
    /// 结束联系人编码: codes ≤ this.
    #[arg(long, value_name = "CODE")]
    pub code_end: Option<String>,
    /// 联系人名称关键字: the name contains.
    #[arg(long)]
    pub name: Option<String>,
    /// 所属客户编码: the customer code.
    #[arg(long, value_name = "CODE")]
    pub ccuscode: Option<String>,
    /// 所属客户名称关键字: the customer name contains.
    #[arg(long, value_name = "NAME")]
    pub ccusname: Option<String>,
    /// 直接上级编码: the direct superior's code.
    #[arg(long, value_name = "CODE")]
    pub direct_leader_code: Option<String>,
    /// 直接上级关键字: the direct superior's name contains.
    #[arg(long, value_name = "NAME")]
    pub direct_leader: Option<String>,
    /// 负责人编码: the code of the person in charge.
    #[arg(long, value_name = "CODE")]
    pub charge_person_code: Option<String>,
    /// 负责人关键字: the name of the person in charge contains.
    #[arg(long, value_name = "NAME")]
    pub charge_person: Option<String>,
    /// 主要联系人: only main contacts (true) or only the others (false).
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    pub be_main_linker: Option<bool>,
    /// 称呼: the form of address.
    #[arg(long)]
    pub title: Option<String>,
    /// 性别: the sex (男, 女, 不详).
    #[arg(long)]
    pub sex: Option<String>,
    /// 生日: the birthday, yyyy-MM-dd.
    #[arg(long, value_name = "yyyy-MM-dd", value_parser = parse_date)]
    pub birthday: Option<NaiveDate>,
    /// 职位: the position.
    #[arg(long)]
    pub position: Option<String>,
    /// 手机号: the mobile number.
    #[arg(long, value_name = "NUMBER")]
    pub mobile_phone: Option<String>,
    /// 办公电话: the office phone.
    #[arg(long, value_name = "NUMBER")]
    pub office_phone: Option<String>,
    /// email关键字: the e-mail contains.
    #[arg(long)]
    pub email: Option<String>,
    /// 个人爱好关键字: the hobbies contain.
    #[arg(long)]
    pub favorite: Option<String>,
    /// 微信号关键字: the WeChat id contains.
    #[arg(long)]
    pub wechat: Option<String>,
    /// QQ号: the QQ number.
    #[arg(long)]
    pub qq: Option<String>,
    /// 默认联系人: only default contacts (true) or only the others (false).
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    pub default: Option<bool>,
    /// Contacts per request.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
    /// Stop after N contacts.
    #[arg(long, value_name = "N")]
    pub max: Option<u64>,
}

/// Parses `yyyy-MM-dd`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("expected yyyy-MM-dd, got {s:?}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Typed objects for a tenant: schema pull / diff, codegen

/// `crm fxiaoke schema ...`.
#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Describe objects and write their schemas to DIR (<OBJECT>.json, common.json, names.json).
    /// Only the fields the operator may see are described: pull as a CRM administrator.
    Pull {
        /// Objects by API name, each optionally with the Rust type name to give it the first
        /// time (AccountObj, object_8W9cb__c=Visit, ...). Names, once in DIR/names.json, stay.
        #[arg(required = true, value_name = "OBJECT[=RustName]")]
        objects: Vec<String>,
        /// The tenant schema folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Compare a fresh describe of every object in DIR with its schema: fields added, removed
    /// or retyped, options added or removed, one per line; exit 1 when something changed.
    Diff {
        /// The tenant schema folder.
        dir: PathBuf,
    },
}

/// `crm useasy fields ...`.
#[derive(Debug, Subcommand)]
pub enum FieldsCommand {
    /// Write the customers' custom fields (from the field configuration) as a schema to DIR
    /// (customer.json, common.json, names.json).
    Pull {
        /// The tenant schema folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The Rust type name of the customer record, the first time [default: Customer].
        #[arg(long, value_name = "RustName")]
        rust_name: Option<String>,
    },
    /// Compare the field configuration now with the schema in DIR; exit 1 when something changed.
    Diff {
        /// The tenant schema folder.
        dir: PathBuf,
    },
}

/// `crm codegen`.
#[derive(Debug, Args)]
pub struct CodegenArgs {
    /// Whose schemas: the module names runtime types through that vendor's crate.
    #[arg(long, value_enum)]
    pub vendor: CodegenVendor,
    /// The tenant schema folder (from `crm fxiaoke schema pull` / `crm useasy fields pull`).
    #[arg(long, value_name = "DIR")]
    pub schemas: PathBuf,
    /// The Rust file to write (byte-identical for the same schemas).
    #[arg(long, value_name = "FILE.rs")]
    pub out: PathBuf,
    /// Write nothing; exit 1 if FILE.rs is not what the schemas generate.
    #[arg(long)]
    pub check: bool,
}

/// The vendors with tenant metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CodegenVendor {
    /// Fxiaoke (crate fxiaoke-crm).
    Fxiaoke,
    /// useasy (crate openapi-crm).
    Useasy,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn filters() {
        let f = parse_fx_filter("payment_amount gte 100").unwrap();
        assert_eq!(
            (f.field.as_str(), f.operator, f.values),
            (
                "payment_amount",
                FilterOperator::Gte,
                vec!["100".to_owned()]
            )
        );
        let f = parse_fx_filter("name IN a, b ,c").unwrap();
        assert_eq!(f.values, ["a", "b", "c"]);
        let f = parse_fx_filter("remark is").unwrap();
        assert_eq!((f.operator, f.values.len()), (FilterOperator::Is, 0));
        assert_eq!(
            parse_fx_filter("x != 1").unwrap().operator,
            FilterOperator::N
        );
        assert!(parse_fx_filter("x FOO 1").is_err());
        assert!(parse_fx_filter("x").is_err());
        let s = parse_search("openSeaIds EMPTY").unwrap();
        assert_eq!(
            (s.operator, s.values.len()),
            (SearchOperatorKnown::Empty, 0)
        );
        assert_eq!(
            parse_search("x notempty").unwrap().operator,
            SearchOperatorKnown::NotEmpty
        );
        assert!(parse_search("x ~ 1").is_err());
    }

    #[test]
    fn orders() {
        assert!(parse_order("create_time").unwrap().ascending);
        assert!(!parse_order("create_time:DESC").unwrap().ascending);
        assert!(parse_order("x:sideways").is_err());
        assert!(parse_order(":desc").is_err());
    }
}
