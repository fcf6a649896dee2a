//! Customer streams against a mock that behaves like a live tenant: other users adding, editing
//! and deleting customers between pages, gateway answers without the useasy envelope.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use openapi_crm::TransportOptions;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use openapi_crm::{Customer, Error, RateLimits};
use openapi_crm_mock::{Churn, LiveTenant, MockUseasy};
use proptest::prelude::*;
use serde_json::value::RawValue;

fn client(mock: &MockUseasy) -> openapi_crm::Client {
    mock.set_rate_limiting(false);
    mock.client_builder()
        .with_rate_limits(RateLimits::off())
        .with_retry_policy(crm_testkit::fast_retries())
        .build()
        .unwrap()
}

fn ids(mock: &MockUseasy) -> HashSet<String> {
    mock.customers()
        .into_iter()
        .map(|c| c.id.unwrap())
        .collect()
}

fn customers(n: usize) -> impl Iterator<Item = Customer> {
    (0..n).map(|i| Customer::named(format!("客户{i:05}")))
}

/// Collects a stream, checking exactly-once for the customers present from start to end, never
/// twice, and ascending `_id` order.
async fn check_exact(mock: &MockUseasy, page_size: u32) -> Vec<String> {
    let before = ids(mock);
    let delivered: Vec<Customer> = tokio::time::timeout(
        Duration::from_secs(60),
        client(mock)
            .customers()
            .page_size(page_size)
            .stream()
            .try_collect(),
    )
    .await
    .expect("bounded")
    .unwrap();
    let after = ids(mock);
    let delivered: Vec<String> = delivered.into_iter().map(|c| c.id.unwrap()).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &delivered {
        *counts.entry(id).or_default() += 1;
    }
    assert!(counts.values().all(|n| *n == 1), "never twice");
    for id in before.intersection(&after) {
        assert_eq!(counts.get(id.as_str()), Some(&1), "customer {id}");
    }
    let numeric: Vec<u64> = delivered.iter().map(|i| i.parse().unwrap()).collect();
    assert!(numeric.windows(2).all(|w| w[0] < w[1]), "ascending _id");
    delivered
}

#[tokio::test]
async fn a_stream_is_exact_while_other_users_add_and_delete() {
    // `check_exact` bounds the stream.
    let mock = MockUseasy::start_live(LiveTenant {
        churn: Some(Churn {
            every: 2,
            creates: 2,
            deletes: 2,
            edits: 1,
            seed: 5,
        }),
        gateway_body_every: None,
        echo_secrets: false,
    })
    .await
    .unwrap();
    mock.insert_many(customers(2_345));
    let before = ids(&mock);
    check_exact(&mock, 100).await;
    assert_ne!(before, ids(&mock), "the tenant changed during the stream");
}

#[tokio::test]
async fn gateway_answers_are_retried_never_an_early_end() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start_live(LiveTenant {
            churn: None,
            gateway_body_every: Some(5),
            echo_secrets: false,
        })
        .await
        .unwrap();
        mock.insert_many(customers(2_000));
        assert_eq!(check_exact(&mock, 100).await.len(), 2_000);
        mock.control().clear_faults();
        mock.control().respond_next(
            Some("/openapi/crm/list"),
            1,
            200,
            openapi_crm_mock::GATEWAY_BUSY_BODY,
        );
        let strict = crm_testkit::strict(mock.client_builder()).build().unwrap();
        let results: Vec<_> = strict.customers().stream().collect().await;
        let err = results.last().unwrap().as_ref().unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn raw_records_stream_exactly_as_stored() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        mock.insert_many(customers(150));
        let raw: Vec<Box<RawValue>> = client(&mock)
            .customers()
            .page_size(40)
            .stream_as()
            .try_collect()
            .await
            .unwrap();
        let stored: Vec<serde_json::Value> = mock
            .records()
            .into_iter()
            .map(serde_json::Value::Object)
            .collect();
        let streamed: Vec<serde_json::Value> = raw
            .iter()
            .map(|r| serde_json::from_str(r.get()).unwrap())
            .collect();
        assert_eq!(streamed, stored);
    })
    .await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Random tenants, page sizes and schedules of adds, edits and deletes between pages: every
    /// customer present throughout comes exactly once, nothing twice, in `_id` order.
    #[test]
    fn customer_streams_are_exact_against_a_live_mock(
        n in 0usize..300,
        page_size in 1u32..40,
        every in 1u64..4,
        creates in 0u32..4,
        deletes in 0u32..4,
        seed in any::<u64>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mock = MockUseasy::start_live(LiveTenant {
                churn: Some(Churn { every, creates, deletes, edits: 1, seed }),
                gateway_body_every: None,
                echo_secrets: false,
            })
            .await
            .unwrap();
            mock.insert_many(customers(n));
            check_exact(&mock, page_size).await;
        });
    }
}
