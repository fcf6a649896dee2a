//! The corp access token (`/cgi/corpAccessToken/get/V2`) and the operator identity.

use std::time::Duration;

use crm_runtime::SecretString;
use crm_runtime::operation::Operation;

use crate::generated::operations::{GetCorpAccessToken, GetUserByMobile};
use crate::generated::types::{CorpAccessTokenRequest, GetUserByMobileArg};
use crate::{Client, Error, Result};

/// Refresh this long before expiry. Fxiaoke returns the same token when asked again within
/// 6,600 s of its 7,200 s lifetime and a new one after (docs/vendors.md §1.2), so refreshing at
/// 6,600 s gets a fresh token while the old one is still valid.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(600);

/// A corp access token and the corp it belongs to.
#[derive(Clone, Debug)]
pub struct CorpToken {
    /// `corpAccessToken`.
    pub access_token: SecretString,
    /// `corpId` (`FSCID_…`).
    pub corp_id: String,
}

/// Whose permissions business calls run with (`currentOpenUserId`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operator {
    /// An `FSUID_…` open user id.
    OpenUserId(String),
    /// A mobile number, resolved once through `/cgi/user/getByMobile`.
    Mobile(String),
}

impl Client {
    /// Fetches a new token; called through the cache (one at a time).
    pub(crate) async fn fetch_token(&self) -> Result<(CorpToken, Duration)> {
        let config = &self.inner.config;
        let request = CorpAccessTokenRequest {
            app_id: config.app_id.clone(),
            app_secret: config.app_secret.clone(),
            permanent_code: config.permanent_code.clone(),
        };
        // Sent directly: `execute` would ask the cache for a token to fetch a token.
        let body = crm_runtime::request::to_object(GetCorpAccessToken::SPEC.name, &request)?;
        let result = self
            .send::<GetCorpAccessToken, <GetCorpAccessToken as Operation>::Output>(
                GetCorpAccessToken::SPEC.path,
                body,
                &crate::client::decode_checked,
            )
            .await
            .map_err(|e| {
                e.redact_values(&[
                    config.app_secret.expose_secret(),
                    config.permanent_code.expose_secret(),
                ])
            })?;
        let access_token = result
            .corp_access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::Config("get_corp_access_token: the response has no corpAccessToken".into())
            })?;
        let corp_id = result.corp_id.filter(|c| !c.is_empty()).ok_or_else(|| {
            Error::Config("get_corp_access_token: the response has no corpId".into())
        })?;
        let lifetime = Duration::from_secs(result.expires_in.unwrap_or(7200).clamp(1, 7200) as u64);
        Ok((
            CorpToken {
                access_token,
                corp_id,
            },
            lifetime,
        ))
    }

    /// The operator's open user id, resolving a mobile number once.
    pub async fn operator_open_user_id(&self) -> Result<String> {
        let id = self
            .inner
            .operator_id
            .get_or_try_init(|| async {
                match &self.inner.config.operator {
                    Operator::OpenUserId(id) => Ok(id.clone()),
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
