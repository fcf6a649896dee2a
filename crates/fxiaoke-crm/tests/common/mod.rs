//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use fxiaoke_crm::{AuthFlow, TransportOptions};
use fxiaoke_crm_mock::{LiveTenant, MockFxiaoke, MockSettings};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A client of the legacy flow built with every default, for a server that is never called
/// (port 9: nothing listens).
pub fn offline_client() -> fxiaoke_crm::Client {
    fxiaoke_crm::Client::builder()
        .base_url("http://127.0.0.1:9/")
        .app_id("a")
        .app_secret("s")
        .permanent_code("p")
        .open_user_id("u")
        .build()
        .unwrap()
}

/// A wiremock server for bodies the mock would never send: the legacy token call succeeds with
/// `token_error_code` as its `errorCode` (`0` or `"0"`), and every POST to `api_path` answers
/// `body`.
pub async fn wire_server(token_error_code: Value, api_path: &str, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cgi/corpAccessToken/get/V2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errorCode": token_error_code, "errorMessage": "success",
            "corpAccessToken": "TOKEN-0123456789abcdef", "corpId": "FSCID_1", "expiresIn": 7200
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(api_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

/// A client builder for a [`wire_server`], with legacy credentials.
pub fn wire_client(server: &MockServer) -> fxiaoke_crm::ClientBuilder {
    fxiaoke_crm::Client::builder()
        .base_url(server.uri())
        .app_id("FSAID_1")
        .app_secret("APP-SECRET-xyz")
        .permanent_code("PERMANENT-CODE-xyz")
        .open_user_id("FSUID_1")
}

/// A [`wire_server`] answering every query with `query_body`, and a client of it without
/// retries.
pub async fn query_server(
    token_error_code: Value,
    query_body: Value,
) -> (MockServer, fxiaoke_crm::Client) {
    let server = wire_server(token_error_code, "/cgi/crm/v2/data/query", query_body).await;
    let client = wire_client(&server)
        .with_retry_policy(fxiaoke_crm::RetryPolicy::none())
        .build()
        .unwrap();
    (server, client)
}

/// A mock in `flow` whose vendor echoes secrets (`LiveTenant::echo_secrets`: refused tokens
/// quoted in 20016 messages, request bodies in 500 answers), holding one payment.
pub async fn echoing_mock(flow: AuthFlow) -> MockFxiaoke {
    let mock = MockFxiaoke::start_with(
        MockSettings::default()
            .with_live(LiveTenant {
                echo_secrets: true,
                ..LiveTenant::default()
            })
            .with_auth_flow(flow),
    )
    .await
    .unwrap();
    mock.insert(
        "PaymentObj",
        json!({"remark": "r", "payment_amount": "1.00"})
            .as_object()
            .unwrap()
            .clone(),
    );
    mock
}

/// The wrong secret the redaction tests configure, so that the vendor refuses (and echoes) it.
pub const WRONG_SECRET: &str = "wrong-secret-value";

/// Fails if any of `texts` holds the mock's app secret or permanent code, [`WRONG_SECRET`], or
/// a token the mock issued.
pub fn assert_no_mock_secret(mock: &MockFxiaoke, texts: &[String]) {
    let creds = mock.credentials();
    let tokens = mock.issued_tokens();
    assert!(!tokens.is_empty(), "the mock issued tokens");
    crm_testkit::assert_no_secret(
        [
            creds.app_secret.as_str(),
            creds.permanent_code.as_str(),
            WRONG_SECRET,
        ]
        .into_iter()
        .chain(tokens.iter().map(String::as_str)),
        texts,
    );
}

/// A client of `mock` that records every exchange into a fresh temp dir `name`; the client
/// and the dir (removed when dropped).
pub fn recording_client(
    mock: &MockFxiaoke,
    name: &str,
) -> (fxiaoke_crm::Client, crm_testkit::TempDir) {
    let recordings = crm_testkit::TempDir::new(name);
    let client = mock
        .client_builder()
        .with_record_dir(recordings.path())
        .build()
        .unwrap();
    (client, recordings)
}

/// The texts a redaction test searches for secrets once its own calls are made: a client
/// with [`WRONG_SECRET`] is refused first; then the TRACE log (checked to hold the spans and
/// the echoing 20016 answer), the clients' `Debug`, the refusal, and `echo_err` (an error
/// quoting a request echo) in all their forms.
pub async fn texts_to_search(
    mock: &MockFxiaoke,
    logs: &crm_testkit::CapturedLogs,
    client: &fxiaoke_crm::Client,
    echo_err: &fxiaoke_crm::Error,
) -> Vec<String> {
    let bad = mock
        .client_builder()
        .app_secret(WRONG_SECRET)
        .build()
        .unwrap();
    let err = bad.objects().await.unwrap_err();
    let logged = logs.text();
    assert!(
        logged.contains("crm.call"),
        "spans are logged: {logged:.300}"
    );
    assert!(
        logged.contains("errorCode\":20016"),
        "the echoing 20016 answer was logged: {logged:.300}"
    );
    vec![
        logged,
        format!("{client:?}"),
        format!("{bad:?}"),
        format!("{err}"),
        format!("{err:?}"),
        echo_err.to_string(),
        format!("{echo_err:?}"),
        format!("{echo_err:#?}"),
    ]
}
