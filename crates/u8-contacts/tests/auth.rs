//! Tokens: cached, fetched once for concurrent callers, replaced when the gateway rejects them
//! or when they near expiry; bad credentials surface without loops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{bounded, sample_client, sample_mock};
use u8_contacts::Error;
use u8_contacts_mock::{codes, paths};

#[tokio::test]
async fn an_expired_token_is_replaced_once() {
    bounded(async {
        let (mock, client) = sample_client(10).await;
        client.batch_get().send().await.unwrap();
        assert_eq!(mock.token_calls(), 1);

        mock.expire_tokens();
        let page = client.batch_get().send().await.unwrap();
        assert_eq!(page.customercontacts.map(|c| c.len()), Some(10));
        assert_eq!(mock.token_calls(), 2, "exactly one new token");
        assert_eq!(client.token_fetches(), 2);
        assert_eq!(
            mock.control().calls(paths::BATCH_GET),
            3,
            "ok, rejected, ok"
        );

        client.contact("00000001").await.unwrap();
        assert_eq!(mock.token_calls(), 2, "the new token is cached");
    })
    .await;
}

#[tokio::test]
async fn a_token_rejected_twice_is_an_error_not_a_loop() {
    bounded(async {
        let mock = sample_mock(3).await;
        mock.fail_next_with_errcode_on(
            paths::BATCH_GET,
            5,
            codes::TOKEN_INVALID,
            "token无效或已过期",
        );
        let err = mock.client().unwrap().batch_get().send().await.unwrap_err();
        assert_eq!(err.api_code(), Some(codes::TOKEN_INVALID));
        assert_eq!(mock.token_calls(), 2, "one refresh, then the error");
        assert_eq!(mock.control().calls(paths::BATCH_GET), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_calls_on_a_cold_cache_fetch_one_token() {
    bounded(async {
        let mock = sample_mock(30).await;
        // Slow token endpoint: every caller finds the cache cold.
        mock.control().delay_next(1, Duration::from_millis(100));
        let client = mock.client().unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .batch_get()
                        .page_size(3)
                        .page(1 + i % 10)
                        .send()
                        .await
                })
            })
            .collect();
        for task in tasks {
            let page = task.await.unwrap().unwrap();
            assert_eq!(page.customercontacts.map(|c| c.len()), Some(3));
        }
        assert_eq!(mock.token_calls(), 1);
        assert_eq!(client.token_fetches(), 1);
        assert_eq!(mock.control().calls(paths::BATCH_GET), 20);
    })
    .await;
}

#[tokio::test]
async fn a_token_is_refreshed_before_it_expires() {
    bounded(async {
        let mock = sample_mock(3).await;
        mock.set_token_lifetime(Duration::from_secs(1));
        let client = mock.client().unwrap();
        client.batch_get().send().await.unwrap();
        // The client keeps a token for at most half of a short lifetime.
        tokio::time::sleep(Duration::from_millis(600)).await;
        client.batch_get().send().await.unwrap();
        assert_eq!(mock.token_calls(), 2);
        assert_eq!(
            mock.control().calls(paths::BATCH_GET),
            2,
            "never rejected: refreshed ahead"
        );
    })
    .await;
}

#[tokio::test]
async fn a_wrong_secret_is_an_api_error_of_the_token_call() {
    bounded(async {
        let mock = sample_mock(3).await;
        let client = mock
            .client_builder()
            .app_secret("not-the-secret")
            .build()
            .unwrap();
        let err = client.batch_get().send().await.unwrap_err();
        let Error::Api(api) = &err else {
            panic!("expected Error::Api, got {err}")
        };
        assert_eq!(
            (api.code.as_str(), api.operation),
            (codes::BAD_CREDENTIALS, "get_token")
        );
        assert_eq!(api.message, "app_key或app_secret错误");
        assert_eq!(mock.token_calls(), 1, "not retried");
        assert_eq!(mock.control().calls(paths::BATCH_GET), 0);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_provider_account_is_an_api_error() {
    bounded(async {
        let mock = sample_mock(3).await;
        let client = mock
            .client_builder()
            .to_account("someone_else")
            .build()
            .unwrap();
        let err = client.contact("00000001").await.unwrap_err();
        assert_eq!(err.api_code(), Some(codes::NOT_AUTHORIZED), "{err}");
        assert_eq!(mock.token_calls(), 1, "not mistaken for a token error");
    })
    .await;
}

#[tokio::test]
async fn the_data_source_is_sent_and_checked() {
    bounded(async {
        let mock = sample_mock(3).await;
        let client = mock.client_builder().ds_sequence(1).build().unwrap();
        assert_eq!(
            client
                .batch_get()
                .send()
                .await
                .unwrap()
                .row_count
                .and_then(|n| n.get()),
            Some(3)
        );
        let bad = mock.client_builder().ds_sequence(0).build().unwrap();
        assert_eq!(
            bad.batch_get().send().await.unwrap_err().api_code(),
            Some(codes::INVALID_PARAMETER)
        );
    })
    .await;
}
