//! Every `batch_get` filter of the document, against the mock's sample data: each test
//! compares what comes back with the contacts an independent predicate selects, and checks
//! that the filter is selective (some but not all contacts).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::NaiveDate;
use common::{bounded, code, codes, sample_client, text};
use crm_runtime::StrBool;
use u8_contacts::types::BatchGetResponse;
use u8_contacts::{BatchGet, Client, Contact};
use u8_contacts_mock::paths;

const SAMPLE: usize = 80;

/// Streams `query` (7 rows per page, so every filter is also paged) and compares the codes
/// with the stored contacts that `expected` selects.
async fn check(
    label: &str,
    query: impl FnOnce(&Client) -> BatchGet,
    expected: impl Fn(&Contact) -> bool,
) {
    bounded(async {
        let (mock, client) = sample_client(SAMPLE).await;
        let all = mock.contacts();
        let want: Vec<String> = all.iter().filter(|c| expected(c)).map(code).collect();
        assert!(
            !want.is_empty() && want.len() < all.len(),
            "{label}: the sample data must make this filter selective ({} of {})",
            want.len(),
            all.len()
        );
        let got = codes(query(&client).page_size(7).stream()).await;
        assert_eq!(got, want, "{label}");
        // Bounded: one request per page plus the token.
        assert_eq!(
            mock.control().calls(paths::BATCH_GET),
            want.len().div_ceil(7) as u64
        );
        assert_eq!(mock.token_calls(), 1);
    })
    .await;
}

/// One page of `query` against a fresh mock with the sample data.
async fn one_page(query: impl FnOnce(&Client) -> BatchGet) -> BatchGetResponse {
    let (_mock, client) = sample_client(SAMPLE).await;
    query(&client).send().await.unwrap()
}

/// A stored sample contact.
async fn sample(code: &str) -> Contact {
    u8_contacts_mock::sample_contacts(SAMPLE)
        .into_iter()
        .find(|c| c.code.as_deref() == Some(code))
        .unwrap()
}

/// One test per row, `name: "label", |c| query, |c| predicate;`: [`check`] with that query of
/// the client and that predicate of a stored contact.
macro_rules! filter_tests {
    ($($name:ident: $label:literal, |$q:ident| $query:expr, |$k:ident| $expected:expr;)+) => {$(
        #[tokio::test]
        async fn $name() {
            check($label, |$q| $query, |$k| $expected).await;
        }
    )+};
}

filter_tests! {
    code_begin_is_inclusive: "code_begin",
        |c| c.batch_get().code_begin("00000063"),
        |c| text(&c.code) >= "00000063";
    code_end_is_inclusive: "code_end",
        |c| c.batch_get().code_end("00000012"),
        |c| text(&c.code) <= "00000012";
    code_range: "code_begin..code_end",
        |c| c.batch_get().code_begin("00000011").code_end("00000015"),
        |c| ("00000011"..="00000015").contains(&text(&c.code));
    name_is_a_keyword: "name",
        |c| c.batch_get().name("张"),
        |c| text(&c.name).contains('张');
    ccuscode_is_exact: "ccuscode",
        |c| c.batch_get().ccuscode("0215"),
        |c| text(&c.ccuscode) == "0215";
    ccusname_is_a_keyword: "ccusname",
        |c| c.batch_get().ccusname("电子"),
        |c| text(&c.ccusname).contains("电子");
    direct_leader_code_is_exact: "direct_leader_code",
        |c| c.batch_get().direct_leader_code("00000002"),
        |c| text(&c.direct_leader_code) == "00000002";
    charge_person_code_is_exact: "charge_person_code",
        |c| c.batch_get().charge_person_code("00040"),
        |c| text(&c.charge_person_code) == "00040";
    charge_person_is_a_keyword: "charge_person",
        |c| c.batch_get().charge_person("小容"),
        |c| text(&c.charge_person).contains("小容");
    be_main_linker_true: "be_main_linker=1",
        |c| c.batch_get().be_main_linker(true),
        |c| c.be_main_linker.as_ref().is_some_and(StrBool::is_true);
    be_main_linker_false: "be_main_linker=0",
        |c| c.batch_get().be_main_linker(false),
        |c| !c.be_main_linker.as_ref().is_some_and(StrBool::is_true);
    title_is_exact: "title",
        |c| c.batch_get().title("女士"),
        |c| text(&c.title) == "女士";
    sex_is_exact: "sex",
        |c| c.batch_get().sex("不详"),
        |c| text(&c.sex) == "不详";
    position_is_exact: "position",
        |c| c.batch_get().position("采购经理"),
        |c| text(&c.position) == "采购经理";
    email_is_a_case_insensitive_keyword: "email",
        |c| c.batch_get().email("@PengCheng-TJ"),
        |c| text(&c.email).contains("@pengcheng-tj");
    favorite_is_a_keyword: "favorite",
        |c| c.batch_get().favorite("摄影"),
        |c| text(&c.favorite).contains("摄影");
    wechat_is_a_keyword: "wechat",
        |c| c.batch_get().wechat("wx_li"),
        |c| text(&c.wechat).contains("wx_li");
    default_contact: "default",
        |c| c.batch_get().default_contact(true),
        |c| c.default.as_ref().is_some_and(StrBool::is_true);
    filters_combine_with_and: "ccuscode+be_main_linker+sex",
        |c| c.batch_get().ccuscode("0111").be_main_linker(false).sex("男"),
        |c| text(&c.ccuscode) == "0111"
            && !c.be_main_linker.as_ref().is_some_and(StrBool::is_true)
            && text(&c.sex) == "男";
}

#[tokio::test]
async fn ccuscode_prefix_matches_nothing() {
    bounded(async {
        let page = one_page(|c| c.batch_get().ccuscode("021")).await;
        assert_eq!(
            page.customercontacts.unwrap_or_default().len(),
            0,
            "exact, not a prefix"
        );
        // U8 answers "no match" (errcode 20002) instead of an empty list: an empty page.
        assert_eq!(page.row_count.and_then(|n| n.get()).unwrap_or(0), 0);
    })
    .await;
}

#[tokio::test]
async fn direct_leader_is_a_keyword() {
    bounded(async {
        let leader = text(&sample("00000001").await.name).to_owned();
        let keyword: String = leader.chars().skip(1).collect(); // the given name only
        check(
            "direct_leader",
            |c| c.batch_get().direct_leader(keyword.clone()),
            |c| text(&c.direct_leader).contains(&keyword),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn birthday_matches_the_date_part() {
    bounded(async {
        // Contact 4 has a birthday with a time part ("1981-04-06 00:00:00.000").
        let stored = sample("00000004").await.birthday.unwrap();
        assert_eq!(stored.to_string(), "1981-04-06 00:00:00.000");
        let day = NaiveDate::from_ymd_opt(1981, 4, 6).unwrap();
        check(
            "birthday",
            |c| c.batch_get().birthday(day),
            |c| c.birthday.as_ref().and_then(|b| b.date()) == Some(day),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn mobile_phone_is_exact() {
    bounded(async {
        let phone = text(&sample("00000006").await.mobile_phone).to_owned();
        assert!(!phone.is_empty());
        check(
            "mobile_phone",
            |c| c.batch_get().mobile_phone(phone.clone()),
            |c| text(&c.mobile_phone) == phone,
        )
        .await;
        bounded(async {
            let page = one_page(|c| c.batch_get().mobile_phone(&phone[..7])).await;
            assert!(
                page.customercontacts.unwrap_or_default().is_empty(),
                "exact, not a prefix"
            );
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn office_phone_is_exact() {
    bounded(async {
        let phone = text(&sample("00000005").await.office_phone).to_owned();
        assert!(!phone.is_empty());
        check(
            "office_phone",
            |c| c.batch_get().office_phone(phone.clone()),
            |c| text(&c.office_phone) == phone,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn qq_is_exact() {
    bounded(async {
        let qq = text(&sample("00000008").await.qq).to_owned();
        assert!(!qq.is_empty());
        check(
            "qq",
            |c| c.batch_get().qq(qq.clone()),
            |c| text(&c.qq) == qq,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_page_size_of_zero_is_refused_with_the_range() {
    bounded(async {
        let (_mock, client) = sample_client(3).await;
        let err = client.batch_get().page_size(0).send().await.unwrap_err();
        assert!(err.to_string().contains("at least 1"), "{err}");
    })
    .await;
}
