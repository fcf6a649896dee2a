//! Odd but legal values U8 tenants send (docs/vendors.md §3.3 and §3b: numbers and booleans where the
//! document says string): each decodes through the generated types and re-encodes exactly as
//! received.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crm_runtime::{BoolForm, EmptyForm, TextForm, Unparsed};
use crm_testkit::roundtrip;
use serde_json::{Value, json};
use u8_contacts::types::{BatchGetResponse, ErrorResponse, GetContactResponse};

fn odd_contact() -> Value {
    json!({
        "code": "00000007", "name": "张天宇", "ccuscode": "0215",
        "qq": 10000, "mobile_phone": 13800000000_u64, "be_main_linker": 1, "default": "1",
        "birthday": "", "sex": "不详", "native": false, "rank": 1
    })
}

#[test]
fn a_contact_with_numbers_where_strings_are_documented() {
    let response: GetContactResponse = roundtrip(json!({
        "errcode": 0, "errmsg": "", "customercontacts": odd_contact()
    }));
    assert_eq!(response.errcode.as_deref(), Some("0"));
    let c = response.customercontacts.unwrap();
    let qq = c.qq.unwrap();
    assert_eq!((qq.as_str(), qq.form()), ("10000", TextForm::Number));
    assert_eq!(c.mobile_phone.as_deref(), Some("13800000000"));
    assert_eq!(c.native.as_deref(), Some("false"));
    assert_eq!(c.code.as_deref(), Some("00000007"));
    let main = c.be_main_linker.unwrap();
    assert_eq!(
        (main.get(), main.form()),
        (Some(true), Some(BoolForm::Integer))
    );
    assert!(c.default.unwrap().is_true());
    let birthday = c.birthday.unwrap();
    assert_eq!(
        (birthday.get(), birthday.empty_form()),
        (None, Some(EmptyForm::EmptyString))
    );
    assert_eq!(
        c.extra.get_value("rank"),
        Some(json!(1)),
        "unknown keys are kept"
    );
}

#[test]
fn a_page_with_numeric_metadata_and_errcode() {
    let page: BatchGetResponse = roundtrip(json!({
        "page_index": 1, "rows_per_page": "20", "row_count": 2, "page_count": "",
        "customercontacts": [odd_contact(), {"code": "00000008", "qq": "10001", "be_main_linker": "0"}],
        "errcode": 0, "errmsg": ""
    }));
    assert_eq!(page.page_index.and_then(|n| n.get()), Some(1));
    assert_eq!(page.rows_per_page.and_then(|n| n.get()), Some(20));
    assert_eq!(page.row_count.and_then(|n| n.get()), Some(2));
    assert!(page.page_count.unwrap().is_empty());
    let contacts = page.customercontacts.unwrap();
    assert_eq!(
        contacts[0].qq,
        Some("10000".into()),
        "text equality ignores the JSON type"
    );
    assert_eq!(
        contacts[1].qq.as_ref().map(|q| q.form()),
        Some(TextForm::String)
    );

    let text: BatchGetResponse =
        roundtrip(json!({"errcode": "0", "errmsg": "", "page_index": "1", "customercontacts": []}));
    assert_eq!(
        text.errcode.as_ref().map(|e| e.form()),
        Some(TextForm::String)
    );
}

#[test]
fn an_error_code_as_a_number() {
    let error: ErrorResponse = roundtrip(json!({"errcode": 30021, "errmsg": "此应用未上线"}));
    assert_eq!(error.errcode, "30021");
}

#[test]
fn values_nobody_foresaw_are_kept_as_received() {
    let response: GetContactResponse = roundtrip(json!({
        "errcode": "0",
        "customercontacts": {"code": "1", "birthday": "xxxxx", "be_main_linker": "是", "default": 2}
    }));
    let c = response.customercontacts.unwrap();
    let birthday = c.birthday.unwrap();
    assert_eq!(
        (
            birthday.get(),
            birthday.unparsed().and_then(Unparsed::as_str)
        ),
        (None, Some("xxxxx"))
    );
    assert_eq!(c.be_main_linker.unwrap().to_string(), "是");
    assert_eq!(
        c.default.unwrap().unparsed().map(Unparsed::to_json),
        Some(json!(2))
    );
}

mod through_the_client {
    use u8_contacts_mock::{MockU8, paths};

    #[tokio::test]
    async fn odd_values_reach_the_caller_unchanged() {
        crm_testkit::bounded(async {
            let mock = MockU8::start_with_sample_data(3).await.unwrap();
            let client = mock.client().unwrap();
            let body = serde_json::json!({
                "errcode": 0, "errmsg": "", "page_index": 1, "rows_per_page": 20,
                "row_count": 1, "page_count": 1,
                "customercontacts": [super::odd_contact()]
            });
            mock.respond_next_raw(paths::BATCH_GET, body.to_string());
            let page = client.batch_get().send().await.unwrap();
            assert_eq!(serde_json::to_value(&page).unwrap(), body);

            mock.respond_next_raw(
                paths::GET,
                serde_json::json!({"errcode": 0, "customercontacts": super::odd_contact()})
                    .to_string(),
            );
            let contact = client.contact("00000007").await.unwrap().unwrap();
            assert_eq!(contact.qq.as_deref(), Some("10000"));
            assert_eq!(
                serde_json::to_value(&contact).unwrap(),
                super::odd_contact()
            );
        })
        .await;
    }
}

#[test]
fn an_absent_and_an_empty_birthday_both_read_as_no_date() {
    let absent: u8_contacts::Contact = serde_json::from_str(r#"{"code":"1"}"#).unwrap();
    let empty: u8_contacts::Contact =
        serde_json::from_str(r#"{"code":"2","birthday":""}"#).unwrap();
    let dated: u8_contacts::Contact =
        serde_json::from_str(r#"{"code":"3","birthday":"1990-02-28"}"#).unwrap();
    assert_eq!(absent.birthday_date(), None);
    assert_eq!(empty.birthday_date(), None);
    assert_eq!(
        dated.birthday_date(),
        chrono::NaiveDate::from_ymd_opt(1990, 2, 28)
    );
    assert_eq!(
        serde_json::to_string(&empty).unwrap(),
        r#"{"birthday":"","code":"2"}"#,
        "the wire form is kept"
    );
}
