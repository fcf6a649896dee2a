//! Streams against a mock that behaves like a live tenant: ties among equal sort keys in a new
//! random order on every call, other users creating, editing and deleting records between
//! pages, gateway answers without the Fxiaoke envelope. Each test states one promise of the
//! query module docs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fxiaoke_crm::TransportOptions;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use fxiaoke_crm::types::PaymentObj;
use fxiaoke_crm::{Client, Error, ObjectData, RateLimits};
use fxiaoke_crm_mock::{Churn, EmptyValues, LiveTenant, MockFxiaoke, MockSettings};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const QUERY_PATH: &str = "/cgi/crm/v2/data/query";

use crm_testkit::records::fxiaoke_payment as payment;

async fn live_mock(live: LiveTenant) -> MockFxiaoke {
    MockFxiaoke::start_with(MockSettings::without_rate_limits().with_live(live))
        .await
        .unwrap()
}

fn client(mock: &MockFxiaoke) -> Client {
    mock.client_builder()
        .with_rate_limits(RateLimits::off())
        .with_retry_policy(crm_testkit::fast_retries())
        .build()
        .unwrap()
}

fn ids_of(mock: &MockFxiaoke) -> HashSet<String> {
    mock.records("PaymentObj")
        .iter()
        .map(|r| r["_id"].as_str().unwrap().to_owned())
        .collect()
}

fn amount(record: &ObjectData) -> f64 {
    record
        .extra
        .get::<String>("payment_amount")
        .unwrap()
        .unwrap()
        .parse()
        .unwrap()
}

async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    crm_testkit::bounded_for(Duration::from_secs(120), f).await
}

#[tokio::test]
async fn the_mock_really_shuffles_ties() {
    within(async {
        let mock = live_mock(LiveTenant {
            unstable_ties: true,
            ..LiveTenant::default()
        })
        .await;
        mock.insert_many("PaymentObj", (0..50).map(|i| payment(i, 1)));
        let client = client(&mock);
        let mut orders = HashSet::new();
        for _ in 0..5 {
            let page = client
                .query_object("PaymentObj")
                .order_by("payment_amount", true)
                .send()
                .await
                .unwrap();
            orders.insert(
                page.records
                    .iter()
                    .map(|r| r.id.clone())
                    .collect::<Vec<_>>(),
            );
        }
        assert!(
            orders.len() > 1,
            "equal amounts come back in changing orders"
        );
    })
    .await;
}

#[tokio::test]
async fn an_export_is_exact_while_other_users_create_and_delete() {
    within(async {
        let mock = live_mock(LiveTenant {
            churn: Some(Churn {
                every: 3,
                creates: 1,
                deletes: 1,
                edits: 1,
                seed: 11,
            }),
            ..LiveTenant::busy(3)
        })
        .await;
        mock.insert_many("PaymentObj", (0..12_345).map(|i| payment(i, 20)));
        let before = ids_of(&mock);
        let records: Vec<ObjectData> = client(&mock)
            .query_object("PaymentObj")
            .stream()
            .try_collect()
            .await
            .unwrap();
        let after = ids_of(&mock);
        assert_ne!(before, after, "the tenant changed during the export");
        let mut seen: HashMap<String, usize> = HashMap::new();
        for r in &records {
            *seen.entry(r.id.clone().unwrap()).or_default() += 1;
        }
        assert!(seen.values().all(|n| *n == 1), "with _id order never twice");
        for id in before.intersection(&after) {
            assert_eq!(seen.get(id), Some(&1), "record {id} existed throughout");
        }
        let ids: Vec<&String> = records.iter().map(|r| r.id.as_ref().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in _id order");
    })
    .await;
}

/// Every record once, in order, for an order on a value shared by many records; the calls
/// stay within 1.1× an unordered export plus one per boundary between values.
async fn ordered_export_is_exact(n: usize, distinct: usize) {
    let mock = live_mock(LiveTenant {
        unstable_ties: true,
        ..LiveTenant::default()
    })
    .await;
    mock.insert_many("PaymentObj", (0..n).map(|i| payment(i, distinct)));
    let client = client(&mock);
    let records: Vec<ObjectData> = client
        .query_object("PaymentObj")
        .order_by("payment_amount", false)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ordered_calls = mock.control().calls(QUERY_PATH);
    assert_eq!(records.len(), n);
    let ids: HashSet<_> = records.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), n, "every record once");
    for pair in records.windows(2) {
        let (a, b) = (amount(&pair[0]), amount(&pair[1]));
        assert!(a >= b, "descending amounts");
        if a == b {
            assert!(pair[0].id < pair[1].id, "ties by _id ascending");
        }
    }
    let all: Vec<ObjectData> = client
        .query_object("PaymentObj")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), n);
    let unordered_calls = mock.control().calls(QUERY_PATH) - ordered_calls;
    let allowed = (unordered_calls as f64 * 1.1).ceil() as u64 + distinct as u64;
    assert!(
        ordered_calls <= allowed,
        "{ordered_calls} calls ordered vs {unordered_calls} unordered (allowed {allowed})"
    );
}

#[tokio::test]
async fn an_order_on_repeating_values_delivers_every_record_once_in_order() {
    within(ordered_export_is_exact(3_000, 20)).await;
}

#[tokio::test]
async fn an_ordered_stream_goes_past_ten_thousand_records() {
    within(ordered_export_is_exact(12_000, 20)).await;
}

#[tokio::test]
async fn an_order_on_nearly_unique_values_stays_cheap() {
    within(ordered_export_is_exact(2_000, 1_000)).await;
}

#[tokio::test]
async fn gateway_answers_without_envelope_are_retried_never_an_early_end() {
    within(async {
        let mock = live_mock(LiveTenant {
            gateway_body_every: Some(7),
            ..LiveTenant::default()
        })
        .await;
        mock.insert_many("PaymentObj", (0..5_000).map(|i| payment(i, 50)));
        let records: Vec<PaymentObj> = client(&mock).query().stream().try_collect().await.unwrap();
        assert_eq!(records.len(), 5_000);

        // Without retries the same answer is an error naming the operation, not an end.
        mock.control().clear_faults();
        mock.control().respond_next(
            Some(QUERY_PATH),
            1,
            200,
            fxiaoke_crm_mock::GATEWAY_BUSY_BODY,
        );
        let strict = crm_testkit::strict(mock.client_builder()).build().unwrap();
        let results: Vec<Result<PaymentObj, Error>> = strict.query().stream().collect().await;
        let err = results.last().unwrap().as_ref().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Protocol {
                    operation: "query_data",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("upstream busy"), "{err}");
        assert!(err.is_retryable());
    })
    .await;
}

#[tokio::test]
async fn a_short_page_is_not_the_end() {
    within(async {
        // The server clamps pages to 37 records while the client asks for 100, and counts.
        let mut settings = MockSettings::without_rate_limits();
        settings.max_limit = 37;
        let mock = MockFxiaoke::start_with(settings).await.unwrap();
        mock.insert_many("PaymentObj", (0..500).map(|i| payment(i, 9)));
        for order in [None, Some(true)] {
            let mut query = client(&mock).query_object("PaymentObj");
            if let Some(asc) = order {
                query = query.order_by("payment_amount", asc);
            }
            let n = query.stream().try_collect::<Vec<_>>().await.unwrap().len();
            assert_eq!(n, 500, "order {order:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn empty_values_sort_as_documented_wherever_the_vendor_puts_them() {
    within(async {
        let mut outputs = Vec::new();
        for empty_values in [EmptyValues::Largest, EmptyValues::Smallest] {
            let mock = live_mock(LiveTenant {
                unstable_ties: true,
                empty_values,
                ..LiveTenant::default()
            })
            .await;
            for i in 0..300 {
                let mut r = payment(i, 5);
                match i % 4 {
                    0 => {
                        r.remove("payment_amount");
                    }
                    1 => {
                        r.insert("payment_amount".into(), json!(""));
                    }
                    _ => {}
                }
                mock.insert("PaymentObj", r);
            }
            for asc in [true, false] {
                let records: Vec<ObjectData> = client(&mock)
                    .query_object("PaymentObj")
                    .order_by("payment_amount", asc)
                    .page_size(17)
                    .stream()
                    .try_collect()
                    .await
                    .unwrap();
                assert_eq!(records.len(), 300);
                let empty: Vec<bool> = records
                    .iter()
                    .map(|r| {
                        r.extra
                            .get_value("payment_amount")
                            .is_none_or(|v| v.as_str() == Some(""))
                    })
                    .collect();
                let first_value = empty.iter().position(|e| !e).unwrap();
                let last_value = empty.iter().rposition(|e| !e).unwrap();
                if asc {
                    assert!(empty[last_value + 1..].iter().all(|e| *e), "empties last");
                    assert!(!empty[..=last_value].iter().any(|e| *e));
                } else {
                    assert!(empty[..first_value].iter().all(|e| *e), "empties first");
                    assert!(!empty[first_value..].iter().any(|e| *e));
                }
                outputs.push((asc, records.len()));
            }
        }
        assert_eq!(outputs.len(), 4);
    })
    .await;
}

#[tokio::test]
async fn several_order_fields_with_ties_and_empty_values() {
    within(async {
        let mock = live_mock(LiveTenant::busy(1_000_000)).await;
        for i in 0..400 {
            let mut r = payment(i, 4);
            r.insert("account_id".into(), json!(format!("acc{}", i % 3)));
            if i % 5 == 0 {
                r.remove("account_id");
            }
            mock.insert("PaymentObj", r);
        }
        let records: Vec<ObjectData> = client(&mock)
            .query_object("PaymentObj")
            .order_by("account_id", false)
            .order_by("payment_amount", true)
            .page_size(13)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(records.len(), 400);
        let keys: Vec<(Option<String>, f64, String)> = records
            .iter()
            .map(|r| {
                (
                    r.extra
                        .get_value("account_id")
                        .and_then(|v| v.as_str().map(str::to_owned)),
                    amount(r),
                    r.id.clone().unwrap(),
                )
            })
            .collect();
        for w in keys.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            // account_id descending with empty first, then amount ascending, then _id.
            let account = match (&a.0, &b.0) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => y.cmp(x),
            };
            let order = account
                .then(a.1.partial_cmp(&b.1).unwrap())
                .then(a.2.cmp(&b.2));
            assert_eq!(order, std::cmp::Ordering::Less, "{a:?} then {b:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_stream_resumes_after_a_position() {
    within(async {
        let mock = live_mock(LiveTenant::default()).await;
        mock.insert_many("PaymentObj", (0..250).map(|i| payment(i, 6)));
        let client = client(&mock);
        let query = || {
            client
                .query_object("PaymentObj")
                .order_by("payment_amount", true)
                .page_size(40)
        };
        let all: Vec<ObjectData> = query().stream().try_collect().await.unwrap();
        let mut pages = query().pages();
        let first = pages.next().await.unwrap().unwrap();
        let second = pages.next().await.unwrap().unwrap();
        drop(pages);
        let delivered = first.records.len() + second.records.len();
        // The position survives a round trip through JSON (e.g. a database).
        let saved = serde_json::to_string(&second.last).unwrap();
        let rest: Vec<ObjectData> = query()
            .after(serde_json::from_str(&saved).unwrap())
            .stream()
            .try_collect()
            .await
            .unwrap();
        let resumed: Vec<_> = first
            .records
            .into_iter()
            .chain(second.records)
            .map(Result::unwrap)
            .chain(rest)
            .map(|r| r.id)
            .collect();
        assert!(delivered > 0 && delivered < 250);
        assert_eq!(resumed, all.into_iter().map(|r| r.id).collect::<Vec<_>>());
    })
    .await;
}

#[tokio::test]
async fn a_record_that_cannot_be_typed_is_reported_and_the_stream_goes_on() {
    within(async {
        let mock = live_mock(LiveTenant::default()).await;
        mock.insert_many("PaymentObj", (0..30).map(|i| payment(i, 3)));
        let bad = mock.insert(
            "PaymentObj",
            json!({"payment_amount": "1.00", "payment_term": {"not": "a string"}})
                .as_object()
                .unwrap()
                .clone(),
        );
        let results: Vec<Result<PaymentObj, Error>> =
            client(&mock).query().page_size(7).stream().collect().await;
        assert_eq!(results.len(), 31);
        let errors: Vec<&Error> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 1);
        match errors[0] {
            Error::Record { id, source, .. } => {
                assert_eq!(id.as_deref(), Some(bad.as_str()));
                assert!(source.path.ends_with(".payment_term"), "{}", source.path);
            }
            other => panic!("expected a record error, got {other}"),
        }
        assert!(errors[0].is_record());
        // Skipping it, as the module docs show.
        let typed: Vec<PaymentObj> = client(&mock)
            .query()
            .stream()
            .filter(|r| std::future::ready(!matches!(r, Err(e) if e.is_record())))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(typed.len(), 30);
    })
    .await;
}

/// A record of the property test: its order-field values (None: absent).
#[derive(Clone, Debug)]
struct Generated {
    a: Option<u8>,
    b: Option<u8>,
}

fn generated() -> impl Strategy<Value = Generated> {
    let value = prop_oneof![1 => Just(None), 4 => (0u8..5).prop_map(Some)];
    (value.clone(), value).prop_map(|(a, b)| Generated { a, b })
}

fn to_record(g: &Generated) -> Map<String, Value> {
    let mut r = Map::new();
    if let Some(a) = g.a {
        r.insert("field_a__c".into(), json!(format!("{a}")));
    }
    if let Some(b) = g.b {
        r.insert("field_b__c".into(), json!(b));
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Against the live mock: random records with repeated keys and empty values, random page
    /// sizes, random orders and random schedules of creates, deletes and edits between pages.
    /// Records present from start to end (whose order fields the edits never touch) come
    /// exactly once, in the documented order, and nothing comes twice.
    #[test]
    fn streams_are_exact_against_a_live_mock(
        records in proptest::collection::vec(generated(), 0..120),
        page_size in 1u32..12,
        orders in proptest::collection::vec((prop_oneof![Just("field_a__c"), Just("field_b__c")], any::<bool>()), 0..3),
        every in 1u64..4,
        creates in 0u32..3,
        deletes in 0u32..3,
        seed in any::<u64>(),
        empties_smallest in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mock = live_mock(LiveTenant {
                unstable_ties: true,
                empty_values: if empties_smallest { EmptyValues::Smallest } else { EmptyValues::Largest },
                churn: Some(Churn { every, creates, deletes, edits: 1, seed }),
                gateway_body_every: None,
                echo_secrets: false,
            }).await;
            mock.insert_many("PaymentObj", records.iter().map(to_record));
            let before: BTreeMap<String, Map<String, Value>> = mock
                .records("PaymentObj")
                .into_iter()
                .map(|r| (r["_id"].as_str().unwrap().to_owned(), r))
                .collect();
            let mut query = client(&mock).query_object("PaymentObj").page_size(page_size);
            for (field, asc) in &orders {
                query = query.order_by(field, *asc);
            }
            let delivered: Vec<ObjectData> = query.stream().try_collect().await.unwrap();
            let after: HashSet<String> = ids_of(&mock);
            let mut counts: HashMap<String, usize> = HashMap::new();
            for r in &delivered {
                *counts.entry(r.id.clone().unwrap()).or_default() += 1;
            }
            // Edits change `remark` only, so every record present throughout is stable.
            for id in before.keys().filter(|id| after.contains(*id)) {
                prop_assert_eq!(counts.get(id).copied(), Some(1), "record {}", id);
            }
            prop_assert!(counts.values().all(|n| *n == 1), "nothing twice");
            // In the documented order.
            let key = |r: &ObjectData| -> Vec<(bool, Option<String>)> {
                let mut seen_fields = HashSet::new();
                orders
                    .iter()
                    .filter(|(f, _)| seen_fields.insert(*f))
                    .map(|(field, asc)| {
                        let v = r.extra.get_value(field).and_then(|v| match v {
                            Value::String(s) if !s.is_empty() => Some(s),
                            Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        });
                        (*asc, v)
                    })
                    .collect()
            };
            for pair in delivered.windows(2) {
                let (ka, kb) = (key(&pair[0]), key(&pair[1]));
                let mut order = std::cmp::Ordering::Equal;
                for ((asc, a), (_, b)) in ka.iter().zip(&kb) {
                    let o = match (a, b) {
                        (None, None) => std::cmp::Ordering::Equal,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (Some(x), Some(y)) => x.parse::<u32>().unwrap().cmp(&y.parse::<u32>().unwrap()),
                    };
                    let o = if *asc { o } else { o.reverse() };
                    if o != std::cmp::Ordering::Equal {
                        order = o;
                        break;
                    }
                }
                let order = order.then(pair[0].id.cmp(&pair[1].id));
                prop_assert_eq!(order, std::cmp::Ordering::Less, "{:?} then {:?}", pair[0].id, pair[1].id);
            }
            Ok(())
        })?;
    }
}
