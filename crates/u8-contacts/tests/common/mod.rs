//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crm_runtime::LenientString;
use futures::TryStreamExt;
use futures::stream::BoxStream;
use u8_contacts::{Client, Contact, Result};
use u8_contacts_mock::MockU8;

#[allow(unused_imports)] // live.rs bounds its tests by a longer limit
pub use crm_testkit::bounded;

/// A client built with every default, for a server that is never called (port 9: nothing
/// listens).
pub fn offline_client() -> Client {
    Client::builder()
        .base_url("http://127.0.0.1:9/")
        .from_account("f")
        .to_account("t")
        .app_key("k")
        .app_secret("secret-value")
        .build()
        .unwrap()
}

/// The code of a contact (`""` if none).
pub fn code(c: &Contact) -> String {
    c.code.as_deref().unwrap_or_default().to_owned()
}

/// A text field's value (`""` if none).
pub fn text(field: &Option<LenientString>) -> &str {
    field.as_deref().unwrap_or("")
}

/// The codes of every contact of a stream, in order.
pub async fn codes(stream: BoxStream<'static, Result<Contact>>) -> Vec<String> {
    stream.map_ok(|c| code(&c)).try_collect().await.unwrap()
}

/// A mock holding `n` sample contacts (`u8_contacts_mock::sample_contacts`).
pub async fn sample_mock(n: usize) -> MockU8 {
    MockU8::start_with_sample_data(n).await.unwrap()
}

/// A mock holding `n` sample contacts and a client of it.
pub async fn sample_client(n: usize) -> (MockU8, Client) {
    let mock = sample_mock(n).await;
    let client = mock.client().unwrap();
    (mock, client)
}

/// Every secret the mock knows: the app secret and every token it issued.
pub fn secrets(mock: &MockU8) -> Vec<String> {
    let mut s = vec![mock.credentials().app_secret.expose_secret().to_owned()];
    s.extend(
        mock.issued_tokens()
            .iter()
            .map(|t| t.expose_secret().to_owned()),
    );
    s
}
