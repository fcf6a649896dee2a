//! The app secret, permanent code and every token never reach `Debug`, errors or logs.
//! Alone in its binary: it installs the global TRACE subscriber, so every thread's events (the
//! paging task, the mock server) are captured.
#![cfg(feature = "mock")]

use fxiaoke_crm::mock::MockFxiaoke;
use fxiaoke_crm::types::PaymentObj;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_appear_in_no_debug_output_error_or_log_line() {
    let mock = MockFxiaoke::start().await.unwrap();
    mock.insert(
        "PaymentObj",
        json!({"remark": "r", "payment_amount": "1.00"})
            .as_object()
            .unwrap()
            .clone(),
    );
    let creds = mock.credentials();
    let logs = crm_testkit::CapturedLogs::globally();

    let client = mock.client().unwrap();
    client.query::<PaymentObj>().send().await.unwrap();
    mock.expire_tokens();
    client.query::<PaymentObj>().send().await.unwrap(); // 20016, refresh, retry: all logged
    let bad = mock
        .client_builder()
        .app_secret("wrong-secret-value")
        .build()
        .unwrap();
    let err = bad.objects().await.unwrap_err();

    let logged = logs.text();
    assert!(
        logged.contains("crm.call"),
        "spans are logged: {logged:.300}"
    );
    let tokens: Vec<String> = mock.issued_tokens();
    assert!(!tokens.is_empty());
    let texts = [
        logged,
        format!("{client:?}"),
        format!("{bad:?}"),
        format!("{err}"),
        format!("{err:?}"),
    ];
    for secret in [
        creds.app_secret.as_str(),
        creds.permanent_code.as_str(),
        "wrong-secret-value",
    ]
    .into_iter()
    .chain(tokens.iter().map(String::as_str))
    {
        for text in &texts {
            assert!(
                !text.contains(secret),
                "secret {secret:?} leaked into: {text:.500}"
            );
        }
    }
}
