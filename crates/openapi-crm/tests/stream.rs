//! Streaming every customer across pages, within the vendor's rate limit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use openapi_crm::TransportOptions;
use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use openapi_crm::{Customer, Error, field};
use openapi_crm_mock::MockUseasy;
use tokio::time::timeout;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn collect(
    stream: futures::stream::BoxStream<'static, openapi_crm::Result<Customer>>,
) -> Vec<Customer> {
    crm_testkit::bounded_for(Duration::from_secs(60), stream.try_collect())
        .await
        .unwrap()
}

#[tokio::test]
async fn streams_2345_customers_each_exactly_once() {
    let mock = MockUseasy::start_with_sample_data(2345).await.unwrap();
    let client = mock.client().unwrap();
    let all = collect(client.customers().stream()).await;
    assert_eq!(all.len(), 2345);
    let ids: HashSet<String> = all.iter().map(|c| c.id.clone().unwrap()).collect();
    assert_eq!(ids.len(), 2345, "no customer twice");
    let expected: HashSet<String> = mock
        .customers()
        .into_iter()
        .map(|c| c.id.unwrap())
        .collect();
    assert_eq!(ids, expected, "every customer");
    assert_eq!(
        mock.control().calls("/openapi/crm/list"),
        24,
        "23 full pages of 100 and one of 45"
    );
    assert_eq!(mock.rate_limiter().rejected(), 0);
}

#[tokio::test]
async fn the_rate_limit_is_never_tripped_by_a_long_stream() {
    // 36 requests: three and a half times the per-second quota, well past the limiter's burst.
    let mock = MockUseasy::start_with_sample_data(700).await.unwrap();
    let client = mock.client().unwrap();
    let started = Instant::now();
    let all = collect(client.customers().page_size(20).stream()).await;
    let elapsed = started.elapsed();
    assert_eq!(all.len(), 700);
    assert_eq!(mock.control().calls("/openapi/crm/list"), 35);
    // The stream was throttled (not 35 requests at once) and no request was refused.
    assert!(elapsed >= Duration::from_millis(2500), "{elapsed:?}");
    assert_eq!(mock.rate_limiter().rejected(), 0, "no HTTP 429");
}

#[tokio::test]
async fn filtered_streams_and_start_pages() {
    let mock = MockUseasy::start_with_sample_data(120).await.unwrap();
    let client = mock.client().unwrap();
    let private = collect(
        client
            .customers()
            .empty(field::OPEN_SEA_IDS)
            .page_size(25)
            .stream(),
    )
    .await;
    assert_eq!(private.len(), 96);
    assert!(private.iter().all(|c| c.open_sea_ids.is_none()));
    // By page number, starting at page 3 of 50: the last 20.
    let tail = collect(
        client
            .customers()
            .page_size(50)
            .page(3)
            .stream_by_page_number(),
    )
    .await;
    assert_eq!(tail.len(), 20);
    assert_eq!(tail[0].customer_name.as_deref(), Some("测试客户0101"));
    // Nothing matches: one request, no records.
    let none = collect(client.customers().eq(field::MOBILE, "nope").stream()).await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_server_clamping_the_page_size_loses_nothing() {
    // The mock serves at most 500 per page; asking for 1000 gives short pages below `count`.
    let mock = MockUseasy::start_with_sample_data(1200).await.unwrap();
    let client = mock.client().unwrap();
    let all = collect(client.customers().page_size(1000).stream()).await;
    assert_eq!(all.len(), 1200);
    assert_eq!(
        all.iter()
            .map(|c| c.id.clone())
            .collect::<HashSet<_>>()
            .len(),
        1200
    );
    assert_eq!(mock.control().calls("/openapi/crm/list"), 3);
}

#[tokio::test]
async fn a_server_ignoring_the_cursor_or_the_page_ends_the_stream_with_an_error() {
    // Always the same full page and a large count: without the checks this would never end.
    let list: Vec<_> = (0..2)
        .map(
            |i| serde_json::json!({"_id": format!("68577000064377241{i}"), "customerName": "same"}),
        )
        .collect();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!(
            {"success": true, "code": "200", "message": "200 ok!", "data": {"list": list, "count": 1000}}
        )))
        .mount(&server)
        .await;
    let client = openapi_crm::Client::builder()
        .base_url(server.uri())
        .app_id("1090")
        .app_secret("s")
        .build()
        .unwrap();
    let bounded = |stream: futures::stream::BoxStream<'static, openapi_crm::Result<Customer>>| {
        timeout(Duration::from_secs(10), stream.collect::<Vec<_>>())
    };
    // Keyset: the second page repeats ids at or before the cursor.
    let results = bounded(client.customers().page_size(2).stream())
        .await
        .expect("bounded");
    assert_eq!(results.len(), 3, "page 1, then the error");
    let err = results[2].as_ref().unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("stream_by_page_number"), "{err}");
    // By page number: a page of nothing new.
    let results = bounded(client.customers().page_size(2).stream_by_page_number())
        .await
        .expect("bounded");
    assert_eq!(results.len(), 3, "page 1, then the error");
    assert!(
        matches!(results[2], Err(Error::NoProgress { .. })),
        "{:?}",
        results[2]
    );
}

#[tokio::test]
async fn an_error_mid_stream_ends_it() {
    let mock = MockUseasy::start_with_sample_data(30).await.unwrap();
    let client = mock
        .client_builder()
        .with_retry_policy(openapi_crm::RetryPolicy::none())
        .build()
        .unwrap();
    let mut stream = client.customers().page_size(10).stream();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.customer_name.as_deref(), Some("测试客户0001"));
    mock.control().fail_next_on("/openapi/crm/list", 5, 500);
    let mut seen = 1;
    let mut error = None;
    while let Some(item) = timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("bounded")
    {
        match item {
            Ok(_) => seen += 1,
            Err(e) => error = Some(e),
        }
    }
    // The prefetched second page may or may not have arrived before the fault.
    assert!(seen == 10 || seen == 20, "{seen}");
    assert!(
        matches!(error, Some(Error::HttpStatus { status: 500, .. })),
        "{error:?}"
    );
}
