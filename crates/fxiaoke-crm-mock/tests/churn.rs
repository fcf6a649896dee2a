//! The churn of other users: `set_churn` switches it while the mock runs and `churned_ids`
//! names exactly the records it changed.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use fxiaoke_crm::types::PaymentObj;
use fxiaoke_crm_mock::{Churn, MockFxiaoke};
use serde_json::{Map, Value};

fn by_id(mock: &MockFxiaoke) -> BTreeMap<String, Map<String, Value>> {
    mock.records("PaymentObj")
        .into_iter()
        .map(|r| (r["_id"].as_str().unwrap().to_owned(), r))
        .collect()
}

#[tokio::test]
async fn the_churn_runs_while_switched_on_and_names_every_record_it_changed() {
    let mock = MockFxiaoke::start_with_sample_data(40).await.unwrap();
    let client = mock.client().unwrap();
    let start = by_id(&mock);

    mock.set_churn(Some(Churn {
        every: 2,
        creates: 1,
        deletes: 1,
        edits: 2,
        seed: 11,
    }));
    for _ in 0..6 {
        client.query::<PaymentObj>().send().await.unwrap();
    }
    let churned = by_id(&mock);
    let touched = mock.churned_ids();
    // Writes before queries 2, 4 and 6: at least the three creations.
    let changed = crm_mock::check_touched(&start, &churned, &touched).unwrap();
    assert!(changed >= 3, "{changed} changed");

    mock.set_churn(None);
    for _ in 0..4 {
        client.query::<PaymentObj>().send().await.unwrap();
    }
    assert_eq!(by_id(&mock), churned, "no writes once switched off");
    assert_eq!(mock.churned_ids(), touched);
}
