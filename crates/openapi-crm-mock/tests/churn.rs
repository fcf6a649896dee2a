//! The churn of other users: `set_churn` switches it while the mock runs and `churned_ids`
//! names exactly the customers it changed.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use openapi_crm::Customer;
use openapi_crm_mock::{Churn, LiveTenant, MockUseasy};
use serde_json::{Map, Value};

fn by_id(mock: &MockUseasy) -> BTreeMap<String, Map<String, Value>> {
    mock.records()
        .into_iter()
        .map(|r| (r["_id"].as_str().unwrap().to_owned(), r))
        .collect()
}

#[tokio::test]
async fn the_churn_runs_while_switched_on_and_names_every_customer_it_changed() {
    let mock = MockUseasy::start_live(LiveTenant::default()).await.unwrap();
    mock.insert_many((0..30).map(|i| Customer::named(format!("客户{i}"))));
    let client = mock.unlimited_client().unwrap();
    let start = by_id(&mock);

    mock.set_churn(Some(Churn {
        every: 1,
        creates: 1,
        deletes: 1,
        edits: 1,
        seed: 5,
    }));
    for _ in 0..4 {
        client.customers().send().await.unwrap();
    }
    let churned = by_id(&mock);
    let touched = mock.churned_ids();
    let changed = crm_mock::check_touched(&start, &churned, &touched).unwrap();
    assert!(changed >= 3, "{changed} changed");

    mock.set_churn(None);
    for _ in 0..3 {
        client.customers().send().await.unwrap();
    }
    assert_eq!(by_id(&mock), churned, "no writes once switched off");
    assert_eq!(mock.churned_ids(), touched);
}
