//! Odd but legal values fxiaoke tenants send (docs/vendors.md §1.6 and §3b: `version` as `"3"` or
//! `3`, department ids as numbers, codes as strings): each decodes through the generated types
//! and re-encodes exactly as received.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use crm_runtime::{EmptyForm, WireForm};
use crm_testkit::roundtrip;
use fxiaoke_crm::types::{BaseResult, GetUserByMobileResult, PaymentObj, QueryResult};
use serde_json::{Value, json};

#[test]
fn version_as_a_number_or_a_string() {
    let number: PaymentObj = roundtrip(json!({"_id": "a", "version": 3}));
    let string: PaymentObj = roundtrip(json!({"_id": "a", "version": "3"}));
    let (number, string) = (number.version.unwrap(), string.version.unwrap());
    assert_eq!((number.get(), string.get()), (Some(3), Some(3)));
    assert_eq!(number, string, "equal values, whatever the form");
    assert_eq!(
        (number.wire_form(), string.wire_form()),
        (Some(WireForm::Number), Some(WireForm::String))
    );
}

#[test]
fn error_codes_as_numbers_or_strings() {
    let page: QueryResult = roundtrip(json!({
        "errorCode": "0", "errorMessage": "OK",
        "data": {"total": 1, "offset": 0, "limit": 5, "dataList": [{"_id": "a", "version": 3}]}
    }));
    assert_eq!(page.error_code.get(), Some(0));
    let base: BaseResult = roundtrip(json!({"errorCode": 0, "errorMessage": "success"}));
    assert_eq!(base.error_code, page.error_code);
    let failed: BaseResult = roundtrip(json!({"errorCode": "20016", "errorMessage": "token"}));
    assert_eq!(failed.error_code.get(), Some(20016));
}

#[test]
fn empty_and_odd_numbers_in_a_record() {
    let payment: PaymentObj = roundtrip(json!({
        "_id": "a", "payment_amount": "", "create_time": "",
        "payment_time": "1517328000000", "last_modified_time": 1517328000000_i64,
        "total_num": 2.0
    }));
    let amount = payment.payment_amount.unwrap();
    assert_eq!(
        (amount.get(), amount.empty_form()),
        (None, Some(EmptyForm::EmptyString))
    );
    assert!(payment.create_time.unwrap().is_empty());
    assert_eq!(
        payment.payment_time.unwrap().get(),
        payment.last_modified_time.unwrap().get()
    );
    assert_eq!(payment.total_num.unwrap().get(), Some(2));

    let float: PaymentObj = roundtrip(json!({"_id": "b", "payment_amount": 1000.0}));
    assert_eq!(float.payment_amount.unwrap().to_string(), "1000");
    let scaled: PaymentObj = roundtrip(json!({"_id": "c", "payment_amount": "300.00"}));
    assert_eq!(scaled.payment_amount.unwrap().to_string(), "300.00");
    let garbage: PaymentObj = roundtrip(json!({"_id": "d", "payment_amount": "n/a"}));
    assert_eq!(garbage.payment_amount.unwrap().get(), None);
}

/// `null` for a field reads as absent and is written back as absent (the documented rule), so
/// `roundtrip` does not apply.
#[test]
fn a_null_member_is_written_back_as_absent() {
    let payment: PaymentObj =
        crm_runtime::decode::from_str(r#"{"_id":"a","notification_time":null}"#).unwrap();
    assert_eq!(serde_json::to_value(&payment).unwrap(), json!({"_id": "a"}));
}

#[test]
fn department_ids_as_numbers_strings_or_null() {
    let result: GetUserByMobileResult = roundtrip(json!({
        "errorCode": 0, "errorMessage": "success",
        "empList": [{
            "openUserId": "FSUID_1", "name": "张三",
            "mainDepartmentIds": [1001], "departmentIds": [1001, "1002", null, ""]
        }]
    }));
    let employee = &result.emp_list.unwrap()[0];
    let ids: Vec<Option<i64>> = employee
        .department_ids
        .iter()
        .flatten()
        .map(|id| id.get())
        .collect();
    assert_eq!(ids, [Some(1001), Some(1002), None, None]);
}

mod through_the_client {
    use super::*;
    use fxiaoke_crm::Error;

    async fn server_with(query_body: Value) -> (wiremock::MockServer, fxiaoke_crm::Client) {
        crate::common::query_server(json!("0"), query_body).await
    }

    #[tokio::test]
    async fn a_string_error_code_of_zero_is_success() {
        crm_testkit::bounded(async {
            let records = json!([
                {"_id": "a", "version": 3, "payment_amount": 1000.0},
                {"_id": "b", "version": "3", "payment_amount": "", "create_time": ""}
            ]);
            let (_server, client) = server_with(json!({
                "errorCode": "0", "errorMessage": "OK",
                "data": {"total": 2, "offset": 0, "limit": 100, "dataList": records}
            }))
            .await;
            let page = client.query::<PaymentObj>().send().await.unwrap();
            assert_eq!(serde_json::to_value(&page.records).unwrap(), records);
            assert_eq!(page.records[0].version, page.records[1].version);
        })
        .await;
    }

    #[tokio::test]
    async fn a_string_error_code_is_still_an_error() {
        crm_testkit::bounded(async {
            let (_server, client) = server_with(json!({
                "errorCode": "30002", "errorMessage": "daily quota exceeded"
            }))
            .await;
            let err = client.query::<PaymentObj>().send().await.unwrap_err();
            assert!(matches!(&err, Error::Api(_)), "{err:?}");
            assert_eq!(fxiaoke_crm::api_code(&err), Some(30002));
        })
        .await;
    }
}
