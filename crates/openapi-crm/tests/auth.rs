//! Signature checking, replay protection and retries against the embedded mock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use openapi_crm::TransportOptions;
use std::collections::HashSet;
use std::time::Duration;

use openapi_crm::{Customer, Error, RetryPolicy, SecretString};
use openapi_crm::{signed_headers, unix_timestamp, verify_signature};
use openapi_crm_mock::MockUseasy;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn assert_auth_error(e: &Error, needle: &str) {
    let Error::Api(api) = e else {
        panic!("expected an API error, got {e:?}");
    };
    assert_eq!(api.vendor, "useasy");
    assert_eq!(api.code, "401", "{api}");
    assert!(api.message.contains(needle), "{api}");
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn wrong_secret_is_an_auth_api_error_not_a_decode_error() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock
            .client_builder()
            .app_secret("not-the-secret")
            .build()
            .unwrap();
        let e = client.customers().send().await.unwrap_err();
        assert_auth_error(&e, "signature invalid");
        let api = e.api().unwrap();
        assert_eq!(api.description.as_deref(), Some("HTTP 401"));
        assert!(api.trace_id.is_some());
        assert_eq!(
            mock.control().calls("/openapi/crm/list"),
            1,
            "an auth failure is not retried"
        );

        // The same when the server answers HTTP 200 with the failed envelope.
        mock.set_auth_error_status(200);
        let e = client.field_configs().await.unwrap_err();
        assert_auth_error(&e, "signature invalid");
        assert_eq!(e.api().unwrap().description, None);

        // A wrong appid is reported as such.
        mock.set_auth_error_status(401);
        let client = mock.client_builder().app_id("9999").build().unwrap();
        let e = client.add(&Customer::named("x")).await.unwrap_err();
        assert_auth_error(&e, "unknown appid");
    })
    .await;
}

/// Sends one signed list request with the given timestamp and nonce, bypassing the client.
async fn raw_list(
    mock: &MockUseasy,
    secret: &SecretString,
    timestamp: &str,
    nonce: &str,
) -> (u16, Value) {
    let appid = mock.credentials().appid.clone();
    let url = mock.base_url().join("openapi/crm/list").unwrap();
    let mut request = reqwest::Client::new().post(url).body("{}");
    for (k, v) in signed_headers(secret, &appid, timestamp, nonce) {
        request = request.header(k, v);
    }
    let response = request
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_replayed_nonce_is_rejected() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let secret = mock.credentials().secret.clone();
        let ts = unix_timestamp();
        let (status, body) = raw_list(&mock, &secret, &ts, "123456").await;
        assert_eq!(
            (status, body["success"].as_bool()),
            (200, Some(true)),
            "{body}"
        );
        // Exactly the same signed request again: a replay.
        let (status, body) = raw_list(&mock, &secret, &ts, "123456").await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["code"], "401");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("nonce already used"),
            "{body}"
        );
        // The same nonce with a new timestamp (new signature) is still a reused nonce.
        let later = (ts.parse::<i64>().unwrap() + 1).to_string();
        let (status, _) = raw_list(&mock, &secret, &later, "123456").await;
        assert_eq!(status, 401);
        // A fresh nonce passes.
        let (status, _) = raw_list(&mock, &secret, &ts, "654321").await;
        assert_eq!(status, 200);
    })
    .await;
}

#[tokio::test]
async fn stale_timestamps_bad_nonces_and_missing_headers_are_rejected() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let secret = mock.credentials().secret.clone();
        let now: i64 = unix_timestamp().parse().unwrap();
        for skew in [-301, 400] {
            let (status, body) =
                raw_list(&mock, &secret, &(now + skew).to_string(), "111111").await;
            assert_eq!(status, 401, "{body}");
            assert!(
                body["message"]
                    .as_str()
                    .unwrap()
                    .contains("timestamp expired"),
                "{body}"
            );
        }
        // Within 5 minutes is fine.
        let (status, _) = raw_list(&mock, &secret, &(now - 240).to_string(), "222222").await;
        assert_eq!(status, 200);
        let (status, body) = raw_list(&mock, &secret, &now.to_string(), "12345").await;
        assert_eq!(status, 401);
        assert!(
            body["message"].as_str().unwrap().contains("6-digit"),
            "{body}"
        );

        let url = mock.base_url().join("openapi/crm/list").unwrap();
        let response = reqwest::Client::new()
            .post(url)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401);
        let body: Value = response.json().await.unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("appid") && message.contains("signature"),
            "{message}"
        );
    })
    .await;
}

#[tokio::test]
async fn reads_are_retried_on_5xx() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start_with_sample_data(5).await.unwrap();
        let client = mock.client().unwrap();
        mock.control().fail_next(2, 503);
        let page = client.customers().send().await.unwrap();
        assert_eq!(page.count, Some(5.into()));
        assert_eq!(mock.control().calls("/openapi/crm/list"), 3);

        // A read retried on 502/504 as well, through find-by-id.
        let id = mock.customers()[0].id.clone().unwrap();
        mock.control().fail_next(1, 502);
        mock.control().fail_next(1, 504);
        assert!(client.customer(&id).await.unwrap().is_some());

        // Retries give up after max_attempts.
        mock.control().fail_next(10, 500);
        let e = client.customers().send().await.unwrap_err();
        assert!(matches!(e, Error::HttpStatus { status: 500, .. }), "{e}");
        mock.control().clear_faults();
    })
    .await;
}

#[tokio::test]
async fn every_attempt_is_signed_afresh() {
    crm_testkit::bounded(async {
        // A bare server that fails the first two attempts (the mock's fault injection answers before
        // its signature check, so it cannot see them); wiremock keeps every request it received.
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
            .up_to_n_times(2)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!(
                {"success": true, "code": "200", "message": "200 ok!", "data": {"list": [], "count": 0}}
            )))
            .with_priority(2)
            .mount(&server)
            .await;
        let secret = SecretString::from("s3cret");
        let client = openapi_crm::Client::builder()
            .base_url(server.uri())
            .app_id("1090")
            .app_secret(secret.clone())
            .with_retry_policy(
                RetryPolicy::default()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(5))
                    .with_max_backoff(Duration::from_millis(20))
                    .with_max_total_backoff(Duration::from_secs(1)),
            )
            .build()
            .unwrap();
        client.customers().send().await.unwrap();
        let header = |r: &wiremock::Request, k: &str| {
            r.headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let seen: Vec<(String, String, String)> = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    header(r, "nonce"),
                    header(r, "timestamp"),
                    header(r, "signature"),
                )
            })
            .collect();
        assert_eq!(seen.len(), 3);
        assert_eq!(
            seen.iter().map(|s| &s.0).collect::<HashSet<_>>().len(),
            3,
            "a new nonce per attempt"
        );
        assert_eq!(
            seen.iter().map(|s| &s.2).collect::<HashSet<_>>().len(),
            3,
            "a new signature per attempt"
        );
        for (nonce, timestamp, signature) in &seen {
            assert!(
                verify_signature(&secret, "1090", timestamp, nonce, signature),
                "{nonce} {timestamp}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn add_is_not_retried_once_sent() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        mock.control().fail_next(1, 503);
        let e = client.add(&Customer::named("once")).await.unwrap_err();
        assert!(
            matches!(&e, Error::OutcomeUnknown { source, .. } if matches!(**source, Error::HttpStatus { status: 503, .. })),
            "{e:?}"
        );
        assert_eq!(e.outcome(), openapi_crm::Outcome::Unknown);
        assert!(!e.is_retryable());
        assert_eq!(mock.control().calls("/openapi/crm/add"), 1);
        assert!(mock.customers().is_empty());
        // A dropped connection is not retried for add either (it may have been applied).
        mock.control().drop_next(1);
        assert!(client.add(&Customer::named("once")).await.is_err());
        assert_eq!(mock.control().calls("/openapi/crm/add"), 2);
    })
    .await;
}

#[tokio::test]
async fn update_is_retried_after_a_5xx_and_add_and_delete_after_a_429_a_window_later() {
    crm_testkit::bounded(async {
        use openapi_crm_mock::paths;
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        let throttled = r#"{"success":false,"code":"429","message":"too many requests"}"#;

        // add: refused with 429 (not applied), so sent again one window (1 s) later.
        mock.control()
            .respond_next(Some(paths::ADD), 1, 429, throttled);
        let started = std::time::Instant::now();
        let mut stored = client.add(&Customer::named("retried")).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(mock.control().calls(paths::ADD), 2);
        assert_eq!(mock.customers().len(), 1, "added once");

        // update: sending the same fields twice ends the same, so a 5xx is retried.
        stored.customer_name = Some("renamed".into());
        mock.control().fail_next_on(paths::UPDATE, 1, 503);
        client.update(&stored).await.unwrap();
        assert_eq!(mock.control().calls(paths::UPDATE), 2);
        let id = stored.id.clone().unwrap();
        assert_eq!(
            mock.customer(&id).and_then(|c| c.customer_name),
            Some("renamed".into())
        );

        // delete: like add.
        mock.control()
            .respond_next(Some(paths::DELETE), 1, 429, throttled);
        client.delete(&id).await.unwrap();
        assert_eq!(mock.control().calls(paths::DELETE), 2);
        assert!(mock.customers().is_empty());

        // A 429 envelope with Retry-After: waited as asked, not one window of the limit.
        let short_window = crm_testkit::strict(mock.client_builder())
            .with_retry_policy(crm_testkit::fast_retries())
            .with_rate_limits(
                openapi_crm::RateLimits::off()
                    .with_global(openapi_crm::RateLimit::new(100, Duration::from_millis(100))),
            )
            .build()
            .unwrap();
        mock.control().inject(
            Some(paths::ADD),
            1,
            openapi_crm_mock::Fault::Respond {
                status: 429,
                body: throttled.into(),
                headers: vec![("retry-after".into(), "1".into())],
            },
        );
        let started = std::time::Instant::now();
        short_window.add(&Customer::named("later")).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "Retry-After honoured"
        );
        assert_eq!(mock.customers().len(), 1, "added once");
    })
    .await;
}

#[tokio::test]
async fn the_mock_enforces_ten_requests_per_second() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = crm_testkit::strict(mock.client_builder()).build().unwrap();
        let calls = (0..15).map(|_| {
            let c = client.clone();
            async move { c.customers().send().await }
        });
        let results = futures::future::join_all(calls).await;
        let throttled: Vec<&Error> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(throttled.len() >= 5, "{} throttled", throttled.len());
        for e in &throttled {
            assert_eq!(e.api_code(), Some("429"), "{e}");
            assert!(e.is_retryable(), "HTTP 429 stays retryable");
        }
        assert_eq!(mock.rate_limiter().rejected(), throttled.len() as u64);
    })
    .await;
}

#[test]
fn a_client_built_with_defaults_has_the_documented_limit_timeouts_and_retries() {
    let client = openapi_crm::Client::builder()
        .base_url("http://127.0.0.1:9/")
        .app_id("1090")
        .app_secret("secret-value")
        .build()
        .unwrap();
    let transport = &client.config().transport;
    crm_testkit::assert_documented_transport_defaults(transport);
    // "openAPI接口频次均为10次/秒": 10 a second for all calls together.
    let limits = &transport.rate_limits;
    assert_eq!(
        limits.global,
        Some(openapi_crm::RateLimit::new(10, Duration::from_secs(1)))
    );
    assert_eq!((limits.per_path, limits.overrides.len()), (None, 0));
}
