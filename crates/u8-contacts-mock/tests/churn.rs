//! The churn of other users: `set_churn` switches it while the mock runs and
//! `churned_codes` names exactly the contacts it changed.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use u8_contacts::types::Contact;
use u8_contacts_mock::{Churn, MockU8};

fn by_code(mock: &MockU8) -> BTreeMap<String, Contact> {
    mock.contacts()
        .into_iter()
        .map(|c| (c.code.clone().unwrap().to_string(), c))
        .collect()
}

#[tokio::test]
async fn the_churn_runs_while_switched_on_and_names_every_contact_it_changed() {
    let mock = MockU8::start_with_sample_data(30).await.unwrap();
    let client = mock.unlimited_client().unwrap();
    let start = by_code(&mock);

    mock.set_churn(Some(Churn {
        every: 1,
        creates: 1,
        deletes: 1,
        edits: 1,
        seed: 3,
    }));
    for _ in 0..4 {
        client.batch_get().page_size(10).send().await.unwrap();
    }
    let churned = by_code(&mock);
    let touched = mock.churned_codes();
    let changed = crm_mock::check_touched(&start, &churned, &touched).unwrap();
    assert!(changed >= 3, "{changed} changed");

    mock.set_churn(None);
    for _ in 0..3 {
        client.batch_get().page_size(10).send().await.unwrap();
    }
    assert_eq!(by_code(&mock), churned, "no writes once switched off");
    assert_eq!(mock.churned_codes(), touched);
}
