//! Fxiaoke's two ways to authenticate (docs/vendors.md §1.2, §1.10), their tokens and the
//! operator identity.
//!
//! | | [`AuthFlow::Legacy`] (default) | [`AuthFlow::OAuth2`] |
//! |---|---|---|
//! | token call | `POST /cgi/corpAccessToken/get/V2` | `POST /oauth2.0/token`, `grantType: "app_secret"` |
//! | token answer | `corpAccessToken`, `corpId`, `expiresIn` | `accessToken`, `ea`, `expiresIn` |
//! | business calls carry | body keys `corpAccessToken`, `corpId`, `currentOpenUserId` | headers `authorization: Bearer …`, `x-fs-ea`, `x-fs-userid` |
//! | the body keeps | those three keys and the operation's input | the operation's input only (plus `convertUserId: true` when asked) |
//! | operator id | an `FSUID_…` open user id | a numeric CRM employee id (`1000`); an `FSUID_…` id with `convertUserId: true` |
//!
//! Both flows use the same credentials (`appId`, `appSecret`, `permanentCode`), the same token
//! cache (one fetch at a time, refreshed around 6,600 s), the same token-endpoint limit
//! (10 calls a minute) and the same answer to `20016` (one refresh, one repeat). A request
//! carries one flow's credentials, never both, and one id style, never both: the client checks
//! the operator's style against the flow when it is built.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crm_runtime::operation::Operation;
use crm_runtime::{AuthFlowSpec, SecretString};

use crate::generated::operations::{
    AUTH_FLOWS, GetCorpAccessToken, GetOauth2Token, GetUserByMobile,
};
use crate::generated::types::{CorpAccessTokenRequest, GetUserByMobileArg, OAuth2TokenRequest};
use crate::{Client, Error, Result};

/// Refresh this long before expiry. Fxiaoke returns the same token when asked again within
/// 6,600 s of its 7,200 s lifetime and a new one after (docs/vendors.md §1.2), so refreshing at
/// 6,600 s gets a fresh token while the old one is still valid. The same in both flows.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(600);

/// The `grantType` of the OAuth2 client-credentials token call.
pub const OAUTH2_GRANT_TYPE: &str = "app_secret";

/// Which of Fxiaoke's two ways to authenticate a client uses.
///
/// Tenants onboarded on the current open platform (developer.fxiaoke.com/openapi_v2) are
/// handed the OAuth2 flow: their documents show `/oauth2.0/token` and the `authorization`,
/// `x-fs-ea` and `x-fs-userid` headers, and name the operator by a numeric employee id
/// (`1000`). Older integrations, and documents that show `corpAccessToken` and
/// `currentOpenUserId: "FSUID_…"` in the body, use the legacy flow. The same `appId`,
/// `appSecret` and `permanentCode` work in both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AuthFlow {
    /// `POST /cgi/corpAccessToken/get/V2`; `corpAccessToken`, `corpId` and
    /// `currentOpenUserId` (an `FSUID_…` open user id) at the top of every body.
    #[default]
    Legacy,
    /// `POST /oauth2.0/token` (`grantType: "app_secret"`); `authorization: Bearer <token>`,
    /// `x-fs-ea` and `x-fs-userid` headers; the operator is a numeric employee id, or an
    /// `FSUID_…` id with [`ClientBuilder::convert_user_id`](crate::ClientBuilder::convert_user_id).
    OAuth2,
}

impl AuthFlow {
    /// Both flows.
    pub const ALL: [AuthFlow; 2] = [AuthFlow::Legacy, AuthFlow::OAuth2];

    /// The flow's name in `schemas/fxiaoke/operations.json` and in `FXIAOKE_AUTH`: `legacy`
    /// or `oauth2`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::OAuth2 => "oauth2",
        }
    }

    /// The flow as the schema declares it (`authFlows` of `operations.json`).
    pub fn spec(self) -> Option<&'static AuthFlowSpec> {
        AUTH_FLOWS.iter().find(|f| f.name == self.as_str())
    }
}

impl fmt::Display for AuthFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthFlow {
    type Err = Error;

    /// `legacy` or `oauth2`, in any case.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "legacy" => Ok(Self::Legacy),
            "oauth2" => Ok(Self::OAuth2),
            other => Err(Error::Config(format!(
                "unknown Fxiaoke auth flow {other:?}: expected legacy or oauth2"
            ))),
        }
    }
}

/// A corp access token of the legacy flow and the corp it belongs to.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CorpToken {
    /// `corpAccessToken`.
    pub access_token: SecretString,
    /// `corpId` (`FSCID_…`).
    pub corp_id: String,
}

/// An access token of the OAuth2 flow and the enterprise account it belongs to.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OAuth2Token {
    /// `accessToken`, sent as `authorization: Bearer <accessToken>`.
    pub access_token: SecretString,
    /// `ea`, sent as `x-fs-ea`.
    pub ea: String,
}

/// What the token cache holds: one flow's token.
#[derive(Clone, Debug)]
pub(crate) enum Token {
    Legacy(CorpToken),
    OAuth2(OAuth2Token),
}

impl Token {
    /// The secret part.
    pub(crate) fn secret(&self) -> &SecretString {
        match self {
            Self::Legacy(t) => &t.access_token,
            Self::OAuth2(t) => &t.access_token,
        }
    }
}

/// Whose permissions business calls run with: `currentOpenUserId` (legacy) or `x-fs-userid`
/// (OAuth2). Choose a CRM administrator: data permissions follow this user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operator {
    /// An `FSUID_…` open user id: the legacy flow's style, and the OAuth2 flow's with
    /// `convertUserId: true`.
    OpenUserId(String),
    /// A numeric CRM employee id (`1000`; CRM → 人员 → 系统名 → 员工ID): the OAuth2 flow's
    /// default style.
    EmployeeId(String),
    /// A mobile number, resolved once through `/cgi/user/getByMobile` (legacy flow only).
    Mobile(String),
}

/// The two styles of employee ids. One request never mixes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdStyle {
    /// `FSUID_…`.
    OpenUserId,
    /// Digits only.
    Numeric,
}

impl IdStyle {
    /// The style of `id`, if it has one of the two (the system user `-10000` and other odd
    /// values have neither).
    pub(crate) fn of(id: &str) -> Option<Self> {
        let id = id.trim();
        if id.starts_with("FSUID_") {
            Some(Self::OpenUserId)
        } else if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
            Some(Self::Numeric)
        } else {
            None
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::OpenUserId => "an FSUID_ open user id",
            Self::Numeric => "a numeric employee id",
        }
    }
}

impl crate::Config {
    /// The id style requests of this configuration use: `FSUID_…` in the legacy flow and in
    /// the OAuth2 flow with `convert_user_id`, numeric in the OAuth2 flow otherwise.
    pub(crate) fn id_style(&self) -> IdStyle {
        match (self.auth_flow, self.convert_user_id) {
            (AuthFlow::OAuth2, false) => IdStyle::Numeric,
            _ => IdStyle::OpenUserId,
        }
    }

    /// What the configured flow and `convertUserId` make of employee ids, for error messages.
    fn style_setting(&self) -> String {
        match self.auth_flow {
            AuthFlow::Legacy => "the legacy flow (currentOpenUserId)".to_owned(),
            AuthFlow::OAuth2 => format!(
                "the oauth2 flow with convert_user_id = {} (x-fs-userid)",
                self.convert_user_id
            ),
        }
    }

    /// Checks that the operator fits the flow: an error names the id and the setting it
    /// contradicts, so that no request mixes the two id styles.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.auth_flow == AuthFlow::Legacy && self.convert_user_id {
            return Err(Error::Config(
                "fxiaoke-crm: convert_user_id applies to the oauth2 flow only (the legacy flow always uses FSUID_ open user ids)".into(),
            ));
        }
        let (what, id, kind) = match &self.operator {
            Operator::Mobile(_) if self.auth_flow == AuthFlow::OAuth2 => {
                return Err(Error::Config(
                    "fxiaoke-crm: operator_mobile needs the legacy flow: /cgi/user/getByMobile is documented for it only, and in the oauth2 flow it would itself need an operator (x-fs-userid); give employee_id (or open_user_id with convert_user_id)".into(),
                ));
            }
            Operator::Mobile(_) => return Ok(()),
            Operator::OpenUserId(id) => ("open_user_id", id, IdStyle::OpenUserId),
            Operator::EmployeeId(id) => ("employee_id", id, IdStyle::Numeric),
        };
        let expected = self.id_style();
        let given = IdStyle::of(id);
        // The id must look like what its setter says. A legacy open user id of another form is
        // left to the vendor (private deployments); the header flow is strict.
        let unlike = match given {
            Some(g) => g != kind,
            None => kind == IdStyle::Numeric || self.auth_flow == AuthFlow::OAuth2,
        };
        if unlike {
            let is = given.map_or(
                "neither an FSUID_ open user id nor a numeric employee id",
                IdStyle::describe,
            );
            return Err(Error::Config(format!(
                "fxiaoke-crm: {what} {id:?} is {is}; {}",
                fix_hint(self.auth_flow, expected)
            )));
        }
        if kind != expected {
            return Err(Error::Config(format!(
                "fxiaoke-crm: {what} {id:?} is {}, but {} expects {}: {}",
                kind.describe(),
                self.style_setting(),
                expected.describe(),
                fix_hint(self.auth_flow, expected)
            )));
        }
        Ok(())
    }

    /// Checks employee ids a caller passes (owners of `change_owner`) against the configured
    /// style; ids of neither style are left to the vendor.
    pub(crate) fn check_user_ids(&self, what: &str, ids: &[&str]) -> Result<()> {
        let expected = self.id_style();
        match ids
            .iter()
            .find(|id| IdStyle::of(id).is_some_and(|s| s != expected))
        {
            Some(id) => Err(Error::Config(format!(
                "{what}: {id:?} is {}, but {} expects {}; one request never mixes the two id styles",
                IdStyle::of(id).map_or("", IdStyle::describe),
                self.style_setting(),
                expected.describe()
            ))),
            None => Ok(()),
        }
    }
}

/// How to configure the operator for `flow` and `style`.
fn fix_hint(flow: AuthFlow, style: IdStyle) -> &'static str {
    match (flow, style) {
        (AuthFlow::Legacy, _) => {
            "give open_user_id(\"FSUID_…\") (FXIAOKE_OPEN_USER_ID), or choose the oauth2 flow for numeric employee ids"
        }
        (AuthFlow::OAuth2, IdStyle::Numeric) => {
            "give employee_id(\"1000\") (FXIAOKE_EMPLOYEE_ID), or set convert_user_id(true) (FXIAOKE_CONVERT_USER_ID=true) to use an FSUID_ open user id"
        }
        (AuthFlow::OAuth2, IdStyle::OpenUserId) => {
            "give open_user_id(\"FSUID_…\") (FXIAOKE_OPEN_USER_ID), or leave convert_user_id false to use a numeric employee id"
        }
    }
}

impl Client {
    /// Fetches a new token of the configured flow; called through the cache (one at a time).
    pub(crate) async fn fetch_token(&self) -> Result<(Token, Duration)> {
        let config = &self.inner.config;
        let redact = |e: Error| {
            e.redact_values(&[
                config.app_secret.expose_secret(),
                config.permanent_code.expose_secret(),
            ])
        };
        // Sent directly: `execute` would ask the cache for a token to fetch a token.
        match config.auth_flow {
            AuthFlow::Legacy => {
                let request = CorpAccessTokenRequest {
                    app_id: config.app_id.clone(),
                    app_secret: config.app_secret.clone(),
                    permanent_code: config.permanent_code.clone(),
                };
                let body =
                    crm_runtime::request::to_object(GetCorpAccessToken::SPEC.name, &request)?;
                let result = self
                    .send::<GetCorpAccessToken, <GetCorpAccessToken as Operation>::Output>(
                        GetCorpAccessToken::SPEC.path,
                        body,
                        Vec::new(),
                        &crate::client::decode_checked,
                    )
                    .await
                    .map_err(redact)?;
                let name = GetCorpAccessToken::SPEC.name;
                let access_token =
                    required_secret(result.corp_access_token, name, "corpAccessToken")?;
                let corp_id = required_text(result.corp_id, name, "corpId")?;
                Ok((
                    Token::Legacy(CorpToken {
                        access_token,
                        corp_id,
                    }),
                    lifetime(result.expires_in),
                ))
            }
            AuthFlow::OAuth2 => {
                let request = OAuth2TokenRequest {
                    app_id: config.app_id.clone(),
                    app_secret: config.app_secret.clone(),
                    permanent_code: config.permanent_code.clone(),
                    grant_type: OAUTH2_GRANT_TYPE.to_owned(),
                };
                let body = crm_runtime::request::to_object(GetOauth2Token::SPEC.name, &request)?;
                let result = self
                    .send::<GetOauth2Token, <GetOauth2Token as Operation>::Output>(
                        GetOauth2Token::SPEC.path,
                        body,
                        Vec::new(),
                        &crate::client::decode_checked,
                    )
                    .await
                    .map_err(redact)?;
                let name = GetOauth2Token::SPEC.name;
                let access_token = required_secret(result.access_token, name, "accessToken")?;
                let ea = required_text(result.ea, name, "ea")?;
                Ok((
                    Token::OAuth2(OAuth2Token { access_token, ea }),
                    lifetime(result.expires_in),
                ))
            }
        }
    }

    /// The operator's id as business calls send it (`currentOpenUserId` or `x-fs-userid`),
    /// resolving a mobile number once (legacy flow).
    pub async fn operator_open_user_id(&self) -> Result<String> {
        let id = self
            .inner
            .operator_id
            .get_or_try_init(|| async {
                match &self.inner.config.operator {
                    Operator::OpenUserId(id) | Operator::EmployeeId(id) => Ok(id.clone()),
                    Operator::Mobile(mobile) => {
                        let arg = GetUserByMobileArg {
                            mobile: mobile.clone(),
                        };
                        let result = self
                            .call_with_token::<GetUserByMobile, <GetUserByMobile as Operation>::Output>(
                                &arg,
                                None,
                                &crate::client::decode_checked,
                            )
                            .await?;
                        result
                            .emp_list
                            .unwrap_or_default()
                            .into_iter()
                            .find_map(|e| Some(e.open_user_id).filter(|id| !id.is_empty()))
                            .ok_or_else(|| {
                                Error::Config(format!(
                                    "no employee with the mobile number {mobile} (getByMobile)"
                                ))
                            })
                    }
                }
            })
            .await?;
        Ok(id.clone())
    }
}

/// A secret the token answer must carry.
fn required_secret(
    value: Option<SecretString>,
    operation: &str,
    key: &str,
) -> Result<SecretString> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::Config(format!("{operation}: the response has no {key}")))
}

/// A text the token answer must carry.
fn required_text(value: Option<String>, operation: &str, key: &str) -> Result<String> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::Config(format!("{operation}: the response has no {key}")))
}

/// A token answer's `expiresIn` as a lifetime (7,200 s when absent; at most 7,200 s).
fn lifetime(expires_in: Option<i64>) -> Duration {
    Duration::from_secs(expires_in.unwrap_or(7200).clamp(1, 7200) as u64)
}
