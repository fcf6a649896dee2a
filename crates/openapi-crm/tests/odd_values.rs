//! Odd but legal values a tenant may send: each decodes through the generated types and
//! re-encodes exactly as received (`""` stays `""`, `200` stays a number).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crm_runtime::{EmptyForm, TextForm, Unparsed};
use crm_testkit::roundtrip;
use openapi_crm::types::{CustomerResult, EmptyResult, ListCustomersResult};
use serde_json::json;

#[test]
fn a_customer_never_assigned_has_an_empty_assign_time() {
    let result: CustomerResult = roundtrip(json!({
        "success": true, "message": "200 ok!", "code": "200",
        "data": {
            "_id": "685775343058800640", "customerName": "王哈", "accountId": "1090",
            "assignTime": "", "createMethod": "",
            "createTime": "2023-06-26 23:18:43", "updateTime": "2023-06-26 23:18:43"
        }
    }));
    let customer = result.data.unwrap();
    let assign = customer.assign_time.unwrap();
    assert!(assign.is_empty());
    assert_eq!(assign.get(), None);
    assert_eq!(assign.empty_form(), Some(EmptyForm::EmptyString));
    assert_eq!(customer.create_method.as_deref(), Some(""));
    assert_eq!(
        customer
            .create_time
            .and_then(|t| t.naive_local())
            .map(|t| t.to_string())
            .as_deref(),
        Some("2023-06-26 23:18:43")
    );
}

#[test]
fn numeric_codes_and_string_counts_decode() {
    let page: ListCustomersResult = roundtrip(json!({
        "success": true, "message": "200 ok!", "code": 200,
        "data": {"count": "20", "list": [{"_id": "1", "customerName": "甲", "assignTime": ""}]}
    }));
    assert_eq!(page.code, "200");
    assert_eq!(page.code.form(), TextForm::Number);
    let data = page.data.unwrap();
    assert_eq!(data.count.and_then(|c| c.get()), Some(20));
    assert_eq!(data.list.unwrap().len(), 1);

    let text: ListCustomersResult = roundtrip(json!({
        "success": true, "message": "200 ok!", "code": "200", "data": {"count": 20, "list": []}
    }));
    assert_eq!(
        (text.code.as_str(), text.code.form()),
        ("200", TextForm::String)
    );

    // A delete answer's `data` may be anything (`null` in the document, `true` elsewhere).
    let deleted: EmptyResult =
        roundtrip(json!({"success": true, "message": "200 ok!", "code": 200, "data": true}));
    assert_eq!(deleted.code, "200");
}

#[test]
fn a_time_in_an_unforeseen_form_is_kept_as_received() {
    let result: CustomerResult = roundtrip(json!({
        "success": true, "message": "200 ok!", "code": "200",
        "data": {
            "_id": "1", "assignTime": "2024/11/14 09:46", "createTime": 1687792723000_i64,
            "updateTime": "2023-06-26 23:18:43.000"
        }
    }));
    let customer = result.data.unwrap();
    let assign = customer.assign_time.unwrap();
    assert_eq!(assign.get(), None);
    assert_eq!(
        assign.unparsed().and_then(Unparsed::as_str),
        Some("2024/11/14 09:46")
    );
    // Epoch milliseconds, as a Java backend writes a date without a configured format.
    assert_eq!(
        customer.create_time.unwrap().to_string(),
        "2023-06-26 23:18:43"
    );
    assert_eq!(
        customer
            .update_time
            .and_then(|t| t.to_utc())
            .map(|t| t.to_rfc3339()),
        Some("2023-06-26T15:18:43+00:00".to_owned())
    );
}

#[test]
fn a_null_member_reads_as_absent() {
    let result: CustomerResult = crm_runtime::decode::from_str(
        r#"{"success":true,"message":"200 ok!","code":"200","data":{"_id":"1","assignTime":null}}"#,
    )
    .unwrap();
    let customer = result.data.unwrap();
    assert!(customer.assign_time.is_none());
    assert_eq!(
        serde_json::to_value(&customer).unwrap(),
        json!({"_id": "1"})
    );
}

mod through_the_client {
    use openapi_crm_mock::{MockUseasy, paths};

    #[tokio::test]
    async fn a_page_with_odd_values_reaches_the_caller_unchanged() {
        crm_testkit::bounded(async {
            let mock = MockUseasy::start_with_sample_data(3).await.unwrap();
            let body = serde_json::json!({
                "success": true, "message": "200 ok!", "code": 200,
                "data": {"count": "1", "list": [{
                    "_id": "685775343058800640", "customerName": "王哈",
                    "assignTime": "", "createMethod": "", "createTime": "2023-06-26 23:18:43"
                }]}
            });
            mock.respond_next_raw(paths::LIST, body.to_string());
            let page = mock.client().unwrap().customers().send().await.unwrap();
            assert_eq!(page.count.as_ref().and_then(|c| c.get()), Some(1));
            let customers = page.list.clone().unwrap();
            assert!(customers[0].assign_time.as_ref().unwrap().is_empty());
            assert_eq!(serde_json::to_value(&page).unwrap(), body["data"]);
        })
        .await;
    }
}

#[test]
fn field_configurations_read_their_times_and_status() {
    use openapi_crm::{CustomerFieldVo, FieldState};
    let doc: CustomerFieldVo = serde_json::from_str(
        r#"{"field":"f1","status":1,"createTime":"2023-06-21 11:02:18","updateTime":"string"}"#,
    )
    .unwrap();
    assert_eq!(doc.state(), FieldState::Enabled);
    assert_eq!(
        doc.created_at()
            .and_then(|t| t.get())
            .map(|t| t.to_rfc3339()),
        Some("2023-06-21T11:02:18+08:00".to_owned())
    );
    assert!(doc.updated_at().is_none(), "the template's \"string\"");
    assert_eq!(
        serde_json::to_value(&doc).unwrap()["updateTime"],
        "string",
        "kept as received"
    );
    for (status, state) in [
        (0, FieldState::Disabled),
        (-1, FieldState::Deleted),
        (7, FieldState::Other(7)),
    ] {
        let c: CustomerFieldVo =
            serde_json::from_value(serde_json::json!({"status": status})).unwrap();
        assert_eq!(c.state(), state);
    }
}
