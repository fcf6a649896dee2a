//! The U8 token: `GET /system/token?from_account&app_key&app_secret` → `token.id`, cached for
//! its lifetime minus a margin, one token call at a time.

use std::time::Duration;

use crm_runtime::SecretString;

use crate::generated::operations::GetToken;
use crate::generated::types::{TokenQuery, TokenResponse};
use crate::{Client, Error};

/// How long before expiry a token is replaced. The official SDK uses tokens for 1 h 55 min
/// of their 2 h.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// The lifetime assumed when the vendor omits `expiresIn` (docs/vendors.md §3.2: 2 hours).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(7200);

impl Client {
    /// Fetches a new token (called through the cache, never concurrently).
    pub(crate) async fn fetch_token(&self) -> Result<(SecretString, Duration), Error> {
        let config = &self.inner.config;
        let query = TokenQuery {
            from_account: config.from_account.clone(),
            app_key: config.app_key.clone(),
            app_secret: config.app_secret.clone(),
        };
        // Not through `execute`, which would ask the cache for a token to fetch a token.
        let (path, params) = self.prepare::<GetToken>(&query)?;
        let decode = |transport: &crm_runtime::Transport, operation: &'static str, body: &[u8]| {
            crate::error::check(transport, operation, body, "token", false)?;
            transport.decode::<TokenResponse>(operation, body)
        };
        let response: TokenResponse = self
            .send::<GetToken, TokenResponse>(&path, &params, None, &decode)
            .await?;
        let token = response
            .token
            .ok_or_else(|| Error::Config("get_token: the response has no token".into()))?;
        let id = token
            .id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| Error::Config("get_token: the response has an empty token id".into()))?;
        let lifetime = token
            .expires_in
            .and_then(|s| s.get())
            .map(|s| Duration::from_secs(s.max(0) as u64))
            .filter(|d| !d.is_zero())
            .unwrap_or(DEFAULT_LIFETIME);
        Ok((id, lifetime))
    }
}
