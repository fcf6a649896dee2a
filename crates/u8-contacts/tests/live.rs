//! Contact streams against a mock that behaves like a live tenant: gateway answers without
//! `errcode` or data, other users writing between pages, "no match" answered as an error code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::sample_client;
use futures::{StreamExt, TryStreamExt};
use u8_contacts::{Contact, Error};
use u8_contacts_mock::{Churn, LiveTenant, MockU8, paths, sample_contacts};

async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    crm_testkit::bounded_for(Duration::from_secs(60), f).await
}

#[tokio::test]
async fn gateway_answers_are_retried_never_an_early_end() {
    bounded(async {
        let mock = MockU8::start_live(LiveTenant {
            churn: None,
            gateway_body_every: Some(4),
            echo_secrets: false,
        })
        .await
        .unwrap();
        mock.insert_many(sample_contacts(1_234));
        let all: Vec<Contact> = mock
            .client()
            .unwrap()
            .batch_get()
            .page_size(50)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 1_234);

        mock.control().clear_faults();
        mock.control().respond_next(
            Some(paths::BATCH_GET),
            1,
            200,
            u8_contacts_mock::GATEWAY_BUSY_BODY,
        );
        let strict = crm_testkit::strict(mock.client_builder()).build().unwrap();
        let results: Vec<_> = strict.batch_get().stream().collect().await;
        let err = results.last().unwrap().as_ref().unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("neither errcode nor customercontacts"),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_query_matching_nothing_is_an_empty_stream() {
    bounded(async {
        let (mock, client) = sample_client(10).await;
        let none: Vec<Contact> = client
            .batch_get()
            .ccuscode("nope")
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert!(none.is_empty());
        assert_eq!(mock.control().calls(paths::BATCH_GET), 1);
    })
    .await;
}

#[tokio::test]
async fn a_stream_never_delivers_a_contact_twice_while_others_write() {
    bounded(async {
        let mock = MockU8::start_live(LiveTenant {
            churn: Some(Churn {
                every: 2,
                creates: 3,
                deletes: 1,
                edits: 1,
                seed: 3,
            }),
            gateway_body_every: None,
            echo_secrets: false,
        })
        .await
        .unwrap();
        mock.insert_many(sample_contacts(800));
        let all: Vec<Contact> = mock
            .client()
            .unwrap()
            .batch_get()
            .page_size(25)
            .stream()
            .try_collect()
            .await
            .unwrap();
        let mut counts: HashMap<String, usize> = HashMap::new();
        for c in &all {
            *counts
                .entry(c.code.clone().unwrap().to_string())
                .or_default() += 1;
        }
        assert!(counts.values().all(|n| *n == 1), "never twice");
        assert!(all.len() > 700);
    })
    .await;
}
