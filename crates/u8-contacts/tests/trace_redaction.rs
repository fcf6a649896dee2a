//! The app secret and tokens never appear in trace output. Alone in its test binary: tracing
//! caches per-callsite interest process-wide, so an event first hit by a concurrent test on a
//! thread without a subscriber could be missed by this test's thread-local subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{bounded, secrets};
use futures::TryStreamExt;
use u8_contacts::Client;
use u8_contacts_mock::MockU8;

#[tokio::test(flavor = "current_thread")]
async fn trace_logs_show_no_secret() {
    // Thread-local: a current-thread runtime runs the client, its streams and the mock on
    // this thread, so everything they log is captured.
    let (capture, _guard) = crm_testkit::CapturedLogs::for_this_thread();

    let mock = bounded(async {
        // A vendor that quotes a refused token in its message.
        let mock = MockU8::start_live(u8_contacts_mock::LiveTenant {
            echo_secrets: true,
            ..Default::default()
        })
        .await
        .unwrap();
        mock.insert_many(u8_contacts_mock::sample_contacts(45));
        let client: Client = mock.client().unwrap();
        let all: Vec<_> = client
            .batch_get()
            .page_size(10)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 45);
        client.contact("00000003").await.unwrap();
        mock.expire_tokens(); // a refresh, logged
        mock.control().fail_next(1, 503); // a retry, logged
        client.batch_get().ccuscode("0215").send().await.unwrap();
        assert_eq!(mock.token_calls(), 2);
        // 5xx bodies that echo the request: its URL carries the token (and the token call's
        // the app secret).
        mock.control().echo_next(None, 4, 502);
        let err = client.contact("00000003").await.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("upstream error"), "{text}");
        for s in secrets(&mock) {
            assert!(
                !text.contains(s.as_str()),
                "the error leaks a secret: {text}"
            );
        }
        mock
    })
    .await;

    let log = capture.text();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "captured at TRACE level: {log}"
    );
    assert!(
        log.contains("[redacted]"),
        "the token response was logged, redacted: {log}"
    );
    assert!(
        log.contains("retrying") && log.contains("token rejected"),
        "{log}"
    );
    assert!(
        log.contains("token无效或已过期: [redacted]"),
        "the refused token was echoed, and scrubbed: {log}"
    );
    let secrets = secrets(&mock);
    assert_eq!(secrets.len(), 3, "the app secret and two tokens");
    for s in &secrets {
        assert!(
            !log.contains(s.as_str()),
            "the trace log leaks a secret: {log}"
        );
    }
}
