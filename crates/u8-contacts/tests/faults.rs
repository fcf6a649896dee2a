//! Transport faults are retried (reads are retry-safe); vendor errors and malformed bodies
//! surface as typed errors, without retries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;
use u8_contacts::TransportOptions;

use common::{bounded, sample_client, sample_mock};
use u8_contacts::{Client, Error};
use u8_contacts_mock::{MockU8, paths};

/// A mock with data and a client that already holds a token.
async fn warm(n: usize) -> (MockU8, Client) {
    let (mock, client) = sample_client(n).await;
    client.batch_get().page_size(1).send().await.unwrap();
    assert_eq!(mock.control().calls(paths::BATCH_GET), 1);
    (mock, client)
}

#[tokio::test]
async fn a_5xx_burst_is_retried() {
    bounded(async {
        let (mock, client) = warm(10).await;
        mock.control().fail_next(2, 503);
        let page = client.batch_get().send().await.unwrap();
        assert_eq!(page.customercontacts.map(|c| c.len()), Some(10));
        assert_eq!(
            mock.control().calls(paths::BATCH_GET),
            1 + 3,
            "two 503s, then success"
        );
    })
    .await;
}

#[tokio::test]
async fn a_5xx_burst_on_the_token_call_is_retried() {
    bounded(async {
        let mock = sample_mock(10).await;
        mock.control().fail_next(2, 502);
        mock.client().unwrap().batch_get().send().await.unwrap();
        assert_eq!(mock.control().calls(paths::TOKEN), 3);
        assert_eq!(mock.token_calls(), 1, "only one reached the handler");
    })
    .await;
}

#[tokio::test]
async fn persistent_5xx_gives_up_after_the_policy_attempts() {
    bounded(async {
        let (mock, client) = warm(10).await;
        mock.control().fail_next_on(paths::BATCH_GET, 10, 500);
        let err = client.batch_get().send().await.unwrap_err();
        assert!(
            matches!(err, Error::HttpStatus { status: 500, .. }),
            "{err}"
        );
        assert_eq!(
            mock.control().calls(paths::BATCH_GET),
            1 + 4,
            "max_attempts = 4"
        );
        mock.control().clear_faults();
    })
    .await;
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    bounded(async {
        let (mock, client) = warm(10).await;
        mock.control().drop_next(1);
        let contact = client.contact("00000002").await.unwrap();
        assert_eq!(contact.and_then(|c| c.code).as_deref(), Some("00000002"));
        assert_eq!(mock.control().calls(paths::GET), 2, "dropped, then success");
    })
    .await;
}

#[tokio::test]
async fn a_timed_out_attempt_is_retried() {
    bounded(async {
        let mock = sample_mock(5).await;
        let client = mock
            .client_builder()
            .with_timeouts(Duration::from_secs(2), Duration::from_millis(300))
            .build()
            .unwrap();
        client.batch_get().send().await.unwrap();
        mock.control().delay_next(1, Duration::from_secs(2));
        client.batch_get().send().await.unwrap();
        assert_eq!(mock.control().calls(paths::BATCH_GET), 1 + 2);
    })
    .await;
}

#[tokio::test]
async fn an_errcode_surfaces_as_an_api_error_with_code_and_message() {
    bounded(async {
        let (mock, client) = warm(10).await;
        mock.fail_next_with_errcode(1, "30021", "此应用未上线");
        let err = client.batch_get().send().await.unwrap_err();
        let Error::Api(api) = &err else {
            panic!("expected Error::Api, got {err}")
        };
        assert_eq!(api.vendor, "u8");
        assert_eq!(api.operation, "batch_get_contacts");
        assert_eq!(api.code, "30021");
        assert_eq!(api.message, "此应用未上线");
        assert!(!err.is_retryable());
        assert_eq!(
            err.to_string(),
            "u8 batch_get_contacts failed with code 30021: 此应用未上线"
        );
        assert_eq!(mock.control().calls(paths::BATCH_GET), 2, "not retried");
        assert_eq!(mock.token_calls(), 1, "not taken for a token error");
    })
    .await;
}

#[tokio::test]
async fn an_errcode_on_a_cold_client_comes_from_the_token_call() {
    bounded(async {
        let mock = sample_mock(10).await;
        mock.fail_next_with_errcode(1, "30021", "此应用未上线");
        let client = mock.client().unwrap();
        let err = client.contact("00000001").await.unwrap_err();
        assert_eq!(
            err.api().map(|a| (a.code.as_str(), a.operation)),
            Some(("30021", "get_token"))
        );
    })
    .await;
}

#[tokio::test]
async fn a_malformed_record_is_a_decode_error_with_its_path() {
    bounded(async {
        let mock = sample_mock(10).await;
        mock.respond_next_raw(
            paths::BATCH_GET,
            // An odd scalar ("maybe") decodes and is kept; a list where a flag belongs cannot.
            r#"{"errcode":"0","customercontacts":[{"be_main_linker":["maybe"]}]}"#,
        );
        let client = mock.client().unwrap();
        let err = client.batch_get().send().await.unwrap_err();
        let Error::Decode { operation, source } = &err else {
            panic!("expected Error::Decode, got {err}")
        };
        assert_eq!(*operation, "batch_get_contacts");
        assert_eq!(source.path, "customercontacts[0].be_main_linker");
        assert!(source.message.contains("sequence"), "{err}");
        assert!(source.excerpt.contains("customercontacts"), "{err}");
        assert_eq!(mock.control().calls(paths::BATCH_GET), 1, "not retried");

        // Inside a stream, one contact that cannot be typed is the stream's item, named by
        // code and path, and the stream goes on.
        mock.respond_next_raw(
            paths::BATCH_GET,
            r#"{"errcode":"0","row_count":"2","page_count":"1","customercontacts":[{"code":"A1","be_main_linker":{"x":1}},{"code":"A2"}]}"#,
        );
        use futures::StreamExt;
        let items: Vec<_> = client.batch_get().stream().collect().await;
        assert_eq!(items.len(), 2, "{items:?}");
        assert!(
            matches!(&items[0], Err(Error::Record { id: Some(id), source, .. })
                if id == "A1" && source.path == "customercontacts[0].be_main_linker"),
            "{:?}",
            items[0]
        );
        assert_eq!(
            items[1].as_ref().unwrap().code.as_deref(),
            Some("A2")
        );
    })
    .await;
}

#[tokio::test]
async fn a_non_json_body_is_a_protocol_error_after_retries() {
    bounded(async {
        let mock = sample_mock(1).await;
        for _ in 0..4 {
            mock.respond_next_raw(paths::GET, "<html>502 Bad Gateway</html>");
        }
        let client = mock.client().unwrap();
        let err = client.contact("00000001").await.unwrap_err();
        assert!(matches!(&err, Error::Protocol { .. }), "{err}");
        assert!(err.to_string().contains("<html>"), "{err}");
        assert_eq!(mock.control().calls(paths::GET), 4, "retried like a 502");
    })
    .await;
}

#[tokio::test]
async fn a_response_over_the_size_cap_is_refused_not_retried() {
    bounded(async {
        let mock = sample_mock(100).await;
        let mut config = u8_contacts::TransportConfig::new(u8_contacts::RateLimits::off());
        config.max_response_bytes = 2_000;
        let client = mock
            .client_builder()
            .with_transport(config)
            .build()
            .unwrap();

        // A page of 100 contacts is far over 2,000 bytes.
        let e = client.batch_get().send().await.unwrap_err();
        assert!(
            matches!(e, Error::ResponseTooLarge { limit: 2_000, .. }),
            "{e}"
        );
        assert!(!e.is_retryable());
        assert_eq!(mock.control().calls(paths::BATCH_GET), 1, "not retried");

        // One contact fits.
        let code = mock.contacts()[0].code.clone().unwrap();
        assert!(client.contact(&code).await.unwrap().is_some());
    })
    .await;
}
