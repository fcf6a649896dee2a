//! `crm` against mocks that behave like live tenants (loopback only): other users writing while
//! an export runs, equal sort keys in a new order on every call, gateway answers without the
//! vendor's envelope. The situations of the exactness issue, end to end: exit 0 and every
//! stable record exactly once, in order when ordered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};

use common::*;
use fxiaoke_crm_mock::{Churn, LiveTenant, MockFxiaoke, MockSettings};
use serde_json::{Value, json};

const QUERY_PATH: &str = "/cgi/crm/v2/data/query";

use crm_testkit::records::fxiaoke_payment as payment;

async fn fxiaoke_mock(live: LiveTenant, n: usize, distinct: usize) -> MockFxiaoke {
    let mock = MockFxiaoke::start_with(MockSettings::without_rate_limits().with_live(live))
        .await
        .unwrap();
    mock.insert_many("PaymentObj", (0..n).map(|i| payment(i, distinct)));
    mock
}

fn ids(mock: &MockFxiaoke) -> HashSet<String> {
    mock.records("PaymentObj")
        .iter()
        .map(|r| r["_id"].as_str().unwrap().to_owned())
        .collect()
}

/// `crm fxiaoke <args>` against `mock`, run off the async threads that serve the mock.
async fn crm_fxiaoke(mock: &MockFxiaoke, args: &[&str]) -> Run {
    fxiaoke_cmd(mock, args)
        .env("CRM_RETRIES", "5")
        .run_async()
        .await
}

/// The exported ids, checked: none twice, every record present from start to end once.
fn exact(run: &Run, before: &HashSet<String>, after: &HashSet<String>) -> Vec<Value> {
    let records = run.jsonl();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in &records {
        *counts.entry(str_of(r, "_id").to_owned()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "written twice: {twice:?}");
    let missing: Vec<_> = before
        .intersection(after)
        .filter(|id| !counts.contains_key(*id))
        .collect();
    assert!(missing.is_empty(), "missing: {missing:?}");
    records
}

fn amounts(records: &[Value]) -> Vec<f64> {
    records
        .iter()
        .map(|r| str_of(r, "payment_amount").parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_while_others_create_and_delete_is_exact() {
    let live = LiveTenant {
        churn: Some(Churn {
            every: 3,
            creates: 1,
            deletes: 1,
            edits: 0,
            seed: 1,
        }),
        ..LiveTenant::busy(3)
    };
    let mock = fxiaoke_mock(live, 12_345, 20).await;
    let before = ids(&mock);
    let run = crm_fxiaoke(&mock, &["query", "PaymentObj"]).await.ok();
    let after = ids(&mock);
    assert_ne!(before, after, "the tenant changed during the export");
    exact(&run, &before, &after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_on_repeating_amounts_is_exact_and_in_order() {
    for n in [3_000, 12_000] {
        let live = LiveTenant {
            unstable_ties: true,
            ..LiveTenant::default()
        };
        let mock = fxiaoke_mock(live, n, 20).await;
        let all = ids(&mock);
        let run = crm_fxiaoke(
            &mock,
            &["query", "PaymentObj", "--order", "payment_amount:desc"],
        )
        .await
        .ok();
        let records = exact(&run, &all, &all);
        assert_eq!(records.len(), n);
        assert!(
            amounts(&records).windows(2).all(|w| w[0] >= w[1]),
            "descending"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordered_export_of_25000_records() {
    let live = LiveTenant {
        unstable_ties: true,
        ..LiveTenant::default()
    };
    let mock = fxiaoke_mock(live, 25_000, 37).await;
    let all = ids(&mock);
    let run = crm_fxiaoke(
        &mock,
        &[
            "query",
            "PaymentObj",
            "--order",
            "payment_amount",
            "--fields",
            "_id,payment_amount",
        ],
    )
    .await
    .ok();
    let records = exact(&run, &all, &all);
    assert_eq!(records.len(), 25_000);
    assert!(
        amounts(&records).windows(2).all(|w| w[0] <= w[1]),
        "ascending"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_answers_without_envelope_are_retried_never_a_short_export() {
    let mock = fxiaoke_mock(LiveTenant::default(), 5_000, 20).await;
    mock.control().respond_every(
        Some(QUERY_PATH),
        20,
        200,
        fxiaoke_crm_mock::GATEWAY_BUSY_BODY,
    );
    let all = ids(&mock);
    let run = crm_fxiaoke(&mock, &["query", "PaymentObj"]).await.ok();
    assert_eq!(exact(&run, &all, &all).len(), 5_000);

    // Without retries: a non-zero exit naming the operation, never exit 0 with records missing.
    let mock = fxiaoke_mock(LiveTenant::default(), 5_000, 20).await;
    mock.control().respond_every(
        Some(QUERY_PATH),
        13,
        200,
        fxiaoke_crm_mock::GATEWAY_BUSY_BODY,
    );
    let run = fxiaoke_cmd(&mock, &["query", "PaymentObj"])
        .env("CRM_RETRIES", "0")
        .run_async()
        .await;
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("query_data"), "{}", run.stderr);
    assert!(run.stderr.contains("upstream busy"), "{}", run.stderr);
    assert!(run.lines().len() < 5_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_or_token_reaches_the_output_at_any_verbosity() {
    // The first token call fails with HTTP 500 bodies that echo the request; later, another
    // administrator resets the authorization and the vendor quotes the refused token in its
    // 20016 message.
    let live = LiveTenant {
        echo_secrets: true,
        ..LiveTenant::default()
    };
    let mock = fxiaoke_mock(live, 500, 7).await;
    mock.on_query(|tenant, _, call| {
        if call % 7 == 3 {
            tenant.expire_tokens();
        }
    });
    let dir = TempDir::new("cli-secrets");
    let record = dir.join("recordings");
    let record = record.to_str().unwrap();
    for verbosity in ["-v", "-vv", "-vvv"] {
        mock.control()
            .echo_next(Some("/cgi/corpAccessToken/get/V2"), 1, 500);
        let run = crm_fxiaoke(
            &mock,
            &[
                verbosity,
                "--record",
                record,
                "query",
                "PaymentObj",
                "--page-size",
                "50",
            ],
        )
        .await
        .ok();
        assert_eq!(run.lines().len(), 500);
        if verbosity == "-vvv" {
            assert!(run.stderr.contains("TRACE"), "{:.500}", run.stderr);
            assert!(run.stderr.contains("upstream error"), "the echo was logged");
            assert!(run.stderr.contains("20016"), "the refusal was logged");
        }
        let c = mock.credentials();
        let mut secrets = vec![c.app_secret.clone(), c.permanent_code.clone()];
        secrets.extend(mock.issued_tokens());
        assert!(secrets.len() >= 4, "at least two tokens were issued");
        let mut texts = vec![run.stdout.clone(), run.stderr.clone()];
        for entry in std::fs::read_dir(dir.join("recordings")).unwrap() {
            texts.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
        for secret in &secrets {
            for text in &texts {
                assert!(
                    !text.contains(secret.as_str()),
                    "{verbosity}: {secret} leaked into {:.300}",
                    text
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn useasy_customers_with_empty_times_export_whole_and_unchanged() {
    use openapi_crm_mock::MockUseasy;
    let mock = MockUseasy::start().await.unwrap();
    mock.set_rate_limiting(false);
    let customers = (0..2_345).map(|i| {
        let mut c = json!({"customerName": format!("客户{i}"), "createMethod": ""});
        if i % 3 == 0 {
            c["assignTime"] = json!("");
        }
        serde_json::from_value::<openapi_crm::Customer>(c).unwrap()
    });
    mock.insert_many(customers);
    for format in ["jsonl", "json", "csv"] {
        let run = useasy_cmd(&mock, &["customers", "list", "--format", format])
            .run_async()
            .await
            .ok();
        match format {
            "jsonl" => {
                let records = run.jsonl();
                assert_eq!(records.len(), 2_345);
                let empty = records
                    .iter()
                    .filter(|r| r.get("assignTime") == Some(&json!("")))
                    .count();
                assert_eq!(empty, 782, "\"\" stays \"\"");
            }
            "json" => {
                let all: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
                assert_eq!(all.len(), 2_345);
            }
            _ => assert_eq!(run.lines().len(), 2_346, "header and every customer"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn u8_contacts_with_numbers_for_strings_export_whole_and_unchanged() {
    use u8_contacts_mock::{MockU8, sample_contacts};
    let mock = MockU8::start().await.unwrap();
    let contacts = sample_contacts(1_234)
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut v = serde_json::to_value(&c).unwrap();
            if i % 2 == 0 {
                v["qq"] = json!(10_000 + i);
            }
            serde_json::from_value::<u8_contacts::Contact>(v).unwrap()
        });
    mock.insert_many(contacts);
    let run = crm(&["u8", "contacts", "list"])
        .u8_env(&mock)
        .env("CRM_NO_RATE_LIMITS", "true")
        .run_async()
        .await
        .ok();
    let records = run.jsonl();
    assert_eq!(records.len(), 1_234);
    let numbers = records.iter().filter(|r| r["qq"].is_number()).count();
    assert_eq!(numbers, 617, "numbers stay numbers");
}
