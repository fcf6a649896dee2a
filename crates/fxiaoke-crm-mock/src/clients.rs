//! Clients wired to the embedded mock.

use fxiaoke_crm::{RateLimits, TransportOptions};

use crate::MockFxiaoke;
use fxiaoke_crm::{AuthFlow, Client, ClientBuilder, Result};

impl MockFxiaoke {
    /// A builder preconfigured for this mock: its URL and credentials in the mock's
    /// [`auth_flow`](MockFxiaoke::auth_flow) (legacy: the administrator's `FSUID_…` open user
    /// id; OAuth2: the same administrator's numeric employee id), and [`crm_mock::client_options`]: short retry delays and
    /// timeouts, so tests run fast. Adjust it before `build()`.
    pub fn client_builder(&self) -> ClientBuilder {
        let c = self.credentials();
        let builder = Client::builder()
            .base_url(self.base_url().to_string())
            .app_id(c.app_id)
            .app_secret(c.app_secret)
            .permanent_code(c.permanent_code);
        let builder = match self.auth_flow() {
            AuthFlow::Legacy => builder.open_user_id(c.open_user_id),
            AuthFlow::OAuth2 => builder
                .auth_flow(AuthFlow::OAuth2)
                .employee_id(c.employee_id),
        };
        crm_mock::client_options(builder)
    }

    /// A client for this mock.
    pub fn client(&self) -> Result<Client> {
        self.client_builder().build()
    }

    /// A client for this mock without client-side rate limits (the mock's own quotas, set in
    /// [`MockSettings`](crate::MockSettings), still apply).
    pub fn unlimited_client(&self) -> Result<Client> {
        self.client_builder()
            .with_rate_limits(RateLimits::off())
            .build()
    }
}
