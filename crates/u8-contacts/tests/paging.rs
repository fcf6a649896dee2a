//! Paging: streams return every contact exactly once, follow the server's `page_count`, and
//! single pages carry the metadata as strings; `get` by code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use futures::StreamExt as _;

use common::{bounded, codes, sample_client, sample_mock};
use crm_runtime::WireForm;
use u8_contacts::Error;
use u8_contacts_mock::{MockU8, codes as errcodes, paths};

#[tokio::test]
async fn a_1234_contact_stream_returns_each_contact_exactly_once() {
    bounded(async {
        let (mock, client) = sample_client(1234).await;
        let all = codes(client.batch_get().stream()).await;
        let unique: HashSet<&str> = all.iter().map(String::as_str).collect();
        assert_eq!(all.len(), 1234, "count");
        assert_eq!(unique.len(), 1234, "no duplicates");
        assert_eq!(
            unique,
            mock.contacts()
                .iter()
                .filter_map(|c| c.code.as_deref())
                .collect::<HashSet<_>>(),
            "every stored contact"
        );
        assert!(all.windows(2).all(|w| w[0] < w[1]), "in code order");
        // 100 rows per page by default: 13 pages, one request each, one token.
        assert_eq!(mock.control().calls(paths::BATCH_GET), 13);
        assert_eq!(mock.token_calls(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_server_side_page_cap_is_followed() {
    bounded(async {
        let mock = sample_mock(60).await;
        mock.set_max_page_size(Some(25));
        let all = codes(mock.client().unwrap().batch_get().page_size(100).stream()).await;
        assert_eq!(all.len(), 60);
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), 60);
        assert_eq!(mock.control().calls(paths::BATCH_GET), 3, "25 + 25 + 10");
    })
    .await;
}

#[tokio::test]
async fn a_server_that_ignores_page_index_ends_the_stream_with_no_progress() {
    bounded(async {
        let (mock, client) = sample_client(60).await;
        // Page 1 of 6, as the server sent it; from now on every batch_get answers it again.
        let first = client.batch_get().page_size(10).send().await.unwrap();
        let page_one = serde_json::to_string(&first).unwrap();
        mock.control()
            .respond_next(Some(paths::BATCH_GET), 10, 200, &page_one);
        let items: Vec<_> = client.batch_get().page_size(10).stream().collect().await;
        let delivered = items.iter().filter(|i| i.is_ok()).count();
        assert_eq!(delivered, 10, "page 1, once");
        assert!(
            matches!(items.last(), Some(Err(Error::NoProgress { .. }))),
            "{:?}",
            items.last()
        );
        assert_eq!(items.len(), 11, "the error ends the stream");
    })
    .await;
}

#[tokio::test]
async fn an_empty_result_is_one_request() {
    bounded(async {
        let mock = MockU8::start().await.unwrap();
        let all = codes(mock.client().unwrap().batch_get().stream()).await;
        assert!(all.is_empty());
        assert_eq!(mock.control().calls(paths::BATCH_GET), 1);
    })
    .await;
}

#[tokio::test]
async fn one_page_has_string_metadata() {
    bounded(async {
        let mock = sample_mock(95).await;
        let page = mock
            .client()
            .unwrap()
            .batch_get()
            .page_size(20)
            .page(3)
            .send()
            .await
            .unwrap();
        let meta = [
            &page.page_index,
            &page.rows_per_page,
            &page.row_count,
            &page.page_count,
        ];
        assert_eq!(
            meta.map(|m| m.as_ref().and_then(|n| n.get())),
            [Some(3), Some(20), Some(95), Some(5)]
        );
        assert!(meta.iter().all(|m| {
            m.as_ref()
                .is_some_and(|n| n.wire_form() == Some(WireForm::String))
        }));
        let records = page.customercontacts.unwrap();
        assert_eq!(
            records.first().and_then(|c| c.code.as_deref()),
            Some("00000041")
        );
        assert_eq!(records.len(), 20);
        assert_eq!(page.errcode.as_deref(), Some("0"));
        assert_eq!(page.errmsg.as_deref(), Some(""));

        let beyond = mock
            .client()
            .unwrap()
            .batch_get()
            .page_size(20)
            .page(99)
            .send()
            .await
            .unwrap();
        assert_eq!(
            beyond.customercontacts.map(|c| c.len()),
            Some(0),
            "past the last page: empty"
        );
    })
    .await;
}

#[tokio::test]
async fn get_one_by_code() {
    bounded(async {
        let (mock, client) = sample_client(20).await;
        let contact = client.contact("00000008").await.unwrap().unwrap();
        assert_eq!(Some(contact.clone()), mock.contact("00000008"));
        assert_eq!(contact.ccuscode.as_deref(), Some("0215"));
        assert_eq!(contact.ccusname.as_deref(), Some("天津鹏程电子有限公司"));

        let err = client.contact("99999999").await.unwrap_err();
        let api = err.api().expect("a vendor error");
        assert_eq!(api.code, errcodes::NOT_FOUND);
        assert!(api.message.contains("99999999"), "{err}");
        assert_eq!(api.operation, "get_contact");
    })
    .await;
}

#[tokio::test]
async fn inserted_contacts_are_served_and_normalized() {
    bounded(async {
        let mock = sample_mock(3).await;
        let mut c: u8_contacts::Contact = serde_json::from_value(serde_json::json!({
            "name": "欧阳修", "ccuscode": "0999", "ccusname": "滁州醉翁亭文化有限公司", "be_main_linker": "1",
            "custom__c": "kept"
        }))
        .unwrap();
        let code = mock.insert(c.clone());
        assert_eq!(code, "00000004", "the next free code");
        c.code = Some("A-1".into());
        assert_eq!(mock.insert_many([c]), vec!["A-1".to_owned()]);

        let client = mock.client().unwrap();
        let got = client.contact("00000004").await.unwrap().unwrap();
        assert_eq!(got.name.as_deref(), Some("欧阳修"));
        assert_eq!(got.default.and_then(|d| d.get()), Some(false), "a missing flag is stored as \"0\"");
        assert_eq!(got.email.as_deref(), Some(""), "a missing text is stored as \"\"");
        assert_eq!(got.extra.get_value("custom__c"), Some(serde_json::json!("kept")));
        let customer = codes(client.batch_get().ccuscode("0999").stream()).await;
        assert_eq!(customer, vec!["00000004".to_owned(), "A-1".to_owned()]);

        assert!(mock.remove("A-1").is_some());
        assert!(matches!(client.contact("A-1").await, Err(Error::Api(_))));
    })
    .await;
}
