//! The secret and the signatures never reach `Debug`, errors, logs (TRACE level) or recordings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use openapi_crm::Customer;
use openapi_crm::TransportOptions;
use openapi_crm_mock::MockUseasy;

fn assert_clean(what: &str, text: &str, secret: &str, signatures: &[String]) {
    assert!(
        !text.contains(secret),
        "{what} contains the secret:\n{text}"
    );
    for s in signatures {
        assert!(
            !text.contains(s.as_str()),
            "{what} contains a signature {s}:\n{text}"
        );
    }
}

// The only test in this binary: it installs the global subscriber, so every thread's events
// (the paging task, the mock server) are captured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_and_signatures_are_never_printed() {
    crm_testkit::bounded(async {
        let capture = crm_testkit::CapturedLogs::globally();

        let record_dir = crm_testkit::TempDir::new("useasy-redaction");
        // A vendor that quotes a refused signature in its message.
        let mock = MockUseasy::start_live(openapi_crm_mock::LiveTenant {
            echo_secrets: true,
            ..Default::default()
        })
        .await
        .unwrap();
        mock.insert_many((0..25).map(|i| Customer::named(format!("客户{i}"))));
        let secret = mock.credentials().secret.expose_secret().to_owned();
        let client = mock
            .client_builder()
            .with_record_dir(record_dir.path())
            .build()
            .unwrap();

        // Successful calls of every kind, a retried 5xx, and failures.
        let added = client.add(&Customer::named("张三")).await.unwrap();
        let id = added.id.unwrap();
        client.customer(&id).await.unwrap();
        mock.control().fail_next(1, 503);
        let all: Vec<_> =
            futures::TryStreamExt::try_collect::<Vec<_>>(client.customers().page_size(10).stream())
                .await
                .unwrap();
        assert_eq!(all.len(), 26);
        client.field_configs().await.unwrap();
        client.delete(&id).await.unwrap();
        let api_error = client.customer(&id).await.unwrap_err();
        let wrong = mock
            .client_builder()
            .app_secret(format!("{secret}x"))
            .build()
            .unwrap();
        let auth_error = wrong.customers().send().await.unwrap_err();
        assert_eq!(auth_error.api_code(), Some("401"));
        // 5xx bodies that echo the whole request, headers (the signature) included.
        mock.control().echo_next(Some("/openapi/crm/list"), 4, 502);
        let echo_error = client.customers().send().await.unwrap_err();
        assert!(
            echo_error.to_string().contains("upstream error"),
            "{echo_error}"
        );

        let signatures: Vec<String> = mock
            .seen_signatures()
            .iter()
            .map(|s| s.expose_secret().to_owned())
            .collect();
        assert!(signatures.len() >= 8, "{}", signatures.len());

        // Debug of the client, its configuration, errors.
        for (what, text) in [
            ("client Debug", format!("{client:?}")),
            ("wrong client Debug", format!("{wrong:?}")),
            ("credentials Debug", format!("{:?}", mock.credentials())),
            ("mock Debug", format!("{mock:?}")),
            ("API error", format!("{api_error} {api_error:?}")),
            ("auth error", format!("{auth_error} {auth_error:?}")),
            ("echo error", format!("{echo_error} {echo_error:?}")),
        ] {
            assert_clean(what, &text, &secret, &signatures);
            assert!(!text.contains(&format!("{secret}x")), "{what}");
        }
        assert!(format!("{client:?}").contains("[redacted]"));

        // Everything logged, at TRACE.
        let logs = capture.text();
        assert!(logs.contains("response"), "the capture works:\n{logs}");
        assert!(
            logs.contains("retrying"),
            "the retried 5xx was logged:\n{logs}"
        );
        assert_clean("tracing output", &logs, &secret, &signatures);

        // Recordings: the signature header is there, redacted.
        let mut files = 0;
        for entry in std::fs::read_dir(&record_dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            assert_clean("recording", &text, &secret, &signatures);
            assert!(text.contains(r#""signature": "[redacted]""#), "{text}");
            files += 1;
        }
        assert!(files >= 5, "{files} recordings");
    })
    .await;
}
