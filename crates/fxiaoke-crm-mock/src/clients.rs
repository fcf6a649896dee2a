//! Clients wired to the embedded mock.

use fxiaoke_crm::TransportOptions;
use std::time::Duration;

use crm_runtime::RetryPolicy;

use crate::MockFxiaoke;
use fxiaoke_crm::{AuthFlow, Client, ClientBuilder, Result};

impl MockFxiaoke {
    /// A builder preconfigured for this mock: its URL and credentials in the mock's
    /// [`auth_flow`](MockFxiaoke::auth_flow) (legacy: the administrator's `FSUID_…` open user
    /// id; OAuth2: the same administrator's numeric employee id), and short retry delays so tests
    /// run fast. Adjust it before `build()`.
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
        builder.with_retry_policy(RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            max_total_backoff: Duration::from_secs(2),
        })
    }

    /// A client for this mock.
    pub fn client(&self) -> Result<Client> {
        self.client_builder().build()
    }
}
