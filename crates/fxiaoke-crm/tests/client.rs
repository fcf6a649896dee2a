//! The fxiaoke client against its embedded mock (and wiremock for hand-made bodies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use fxiaoke_crm::TransportOptions;
use std::collections::HashSet;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use fxiaoke_crm::types::{
    GoodsReceivedNoteObj, GoodsReceivedNoteProductObj, OrderPaymentObj, PaymentObj,
};
use fxiaoke_crm::{
    AuthFlow, Details, Error, FilterOperator, ObjectData, RateLimit, RateLimits, WriteOptions,
    api_code,
};
use fxiaoke_crm_mock::{MockFxiaoke, MockSettings};
use serde_json::{Map, Value, json};

fn record(i: usize) -> Map<String, Value> {
    json!({
        "account_id": format!("acc{:04}", i % 50),
        "payment_amount": format!("{}.00", 100 + i),
        "payment_time": 1_517_328_000_000_i64 + i as i64 * 86_400_000,
        "remark": format!("第{i}笔"),
        "field_a1b2__c": format!("custom {i}"),
    })
    .as_object()
    .unwrap()
    .clone()
}

/// Runs each named test, an `async fn(AuthFlow)`, once per auth flow: `legacy::<name>` and
/// `oauth2::<name>`, each against a mock whose client builder uses that flow.
macro_rules! in_both_flows {
    ($($name:ident),* $(,)?) => {
        mod legacy {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crm_testkit::bounded(super::$name(fxiaoke_crm::AuthFlow::Legacy)).await;
                }
            )*
        }
        mod oauth2 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crm_testkit::bounded(super::$name(fxiaoke_crm::AuthFlow::OAuth2)).await;
                }
            )*
        }
    };
}

in_both_flows!(
    create_get_update_with_details_and_custom_fields,
    invalid_delete_recover_change_owner,
    custom_objects_use_the_custom_path,
    query_filters_orders_projection_and_metadata,
    a_token_expiring_mid_export_loses_and_duplicates_nothing,
    a_burst_of_5xx_and_a_dropped_connection_are_retried,
    a_write_is_not_repeated_after_it_may_have_reached_the_vendor,
    writes_tell_not_applied_from_outcome_unknown,
    a_rate_limited_write_was_not_applied_and_is_retried_after_the_window,
    a_call_deadline_bounds_every_attempt_and_wait,
    a_300_page_export_never_trips_the_rate_limit,
    twenty_concurrent_calls_on_a_cold_cache_make_one_token_call,
    wrong_credentials_and_missing_config_are_clear,
    a_token_refused_right_after_a_refresh_is_an_auth_error_not_a_token_call_per_call,
    a_delete_that_fails_part_way_says_which_records_were_voided,
);

/// A mock whose client builder uses `flow`.
async fn start(flow: AuthFlow) -> MockFxiaoke {
    MockFxiaoke::start_in(flow).await.unwrap()
}

async fn mock_without_limits(flow: AuthFlow) -> MockFxiaoke {
    MockFxiaoke::start_with(MockSettings::without_rate_limits().with_auth_flow(flow))
        .await
        .unwrap()
}

/// Every business call reached the mock in `flow`, none in the other.
fn used_only(mock: &MockFxiaoke, flow: AuthFlow) {
    for other in AuthFlow::ALL {
        let calls = mock.calls_in_flow(other);
        if other == flow {
            assert!(calls > 0, "no business call in the {flow} flow");
        } else {
            assert_eq!(calls, 0, "{calls} business calls in the {other} flow");
        }
    }
}

/// An employee id in the style of `flow` (the mock's sales rep), and one of the other style.
fn owner_ids(flow: AuthFlow) -> (&'static str, &'static str) {
    match flow {
        AuthFlow::Legacy => ("FSUID_NEWOWNER", "1001"),
        AuthFlow::OAuth2 => ("1001", "FSUID_NEWOWNER"),
    }
}

/// `builder` with an operator of `flow`'s style.
fn with_operator(
    builder: fxiaoke_crm::ClientBuilder,
    flow: AuthFlow,
) -> fxiaoke_crm::ClientBuilder {
    match flow {
        AuthFlow::Legacy => builder.open_user_id("u"),
        AuthFlow::OAuth2 => builder.auth_flow(flow).employee_id("1"),
    }
}

fn unlimited(mock: &MockFxiaoke) -> fxiaoke_crm::Client {
    mock.unlimited_client().unwrap()
}

async fn create_get_update_with_details_and_custom_fields(flow: AuthFlow) {
    let mock = start(flow).await;
    let client = mock.client().unwrap();
    let mut payment = PaymentObj {
        account_id: Some("2d58af2dbb4d4ecd931e80ef18xxxxxx".into()),
        payment_amount: Some("300.00".parse().unwrap()),
        payment_time: Some(crm_runtime::EpochMillis::new(1_517_328_000_000)),
        remark: Some("002测试".into()),
        ..Default::default()
    };
    payment.extra.set("field_x9__c", json!("自定义值")).unwrap();
    let detail = OrderPaymentObj {
        order_id: Some("974789b4d13040fcbb9d0ae35cxxxxxx".into()),
        payment_amount: Some("300.00".parse().unwrap()),
        ..Default::default()
    };
    let details = Details::new().with_record(&detail).unwrap();
    let id = client
        .create_with_details(&payment, details, &WriteOptions::without_flows())
        .await
        .unwrap()
        .expect("the preset API answers dataId");
    assert!(!id.is_empty());
    assert_eq!(
        mock.records("OrderPaymentObj").len(),
        1,
        "the detail is stored"
    );

    let mut got: PaymentObj = client.get(&id).await.unwrap();
    assert_eq!(
        got.payment_amount.as_ref().unwrap().get(),
        Some("300".parse().unwrap())
    );
    assert_eq!(
        got.extra.get_value("field_x9__c"),
        Some(json!("自定义值")),
        "custom field round-trips"
    );
    assert_eq!(
        got.life_status.as_ref().map(ToString::to_string).as_deref(),
        Some("normal")
    );

    got.remark = Some("测试更新003".into());
    client.update(&got, &WriteOptions::default()).await.unwrap();
    let again: PaymentObj = client.get(&id).await.unwrap();
    assert_eq!(again.remark.as_deref(), Some("测试更新003"));
    assert_eq!(
        again.extra.get_value("field_x9__c"),
        Some(json!("自定义值"))
    );

    // A typed record of another object.
    let note = GoodsReceivedNoteObj {
        warehouse_id: Some("5ab9e468830bdbc390daebb7".into()),
        goods_received_type: Some("1".into()),
        ..Default::default()
    };
    let line = GoodsReceivedNoteProductObj {
        product_id: Some("a86b57c8065140d1ae2922679603ebe5".into()),
        goods_received_amount: Some("10009".parse().unwrap()),
        unit: Some("只".into()),
        ..Default::default()
    };
    let note_id = client
        .create_with_details(
            &note,
            Details::new().with_record(&line).unwrap(),
            &WriteOptions::default(),
        )
        .await
        .unwrap()
        .unwrap();
    let note: GoodsReceivedNoteObj = client.get(&note_id).await.unwrap();
    assert_eq!(
        note.warehouse_id.as_deref(),
        Some("5ab9e468830bdbc390daebb7")
    );
    used_only(&mock, flow);
}

async fn invalid_delete_recover_change_owner(flow: AuthFlow) {
    let mock = start(flow).await;
    let client = mock.client().unwrap();
    let a = mock.insert("PaymentObj", record(1));
    let b = mock.insert("PaymentObj", record(2));

    // Deleting a live record directly is refused by the vendor; `delete` voids first.
    let direct = client
        .delete_invalid("PaymentObj", &[&a])
        .await
        .unwrap_err();
    assert!(direct.api().is_some(), "{direct}");
    client.delete("PaymentObj", &[&a]).await.unwrap();
    assert!(
        client.get_object("PaymentObj", &a).await.is_err(),
        "deleted"
    );

    client.invalid("PaymentObj", &b).await.unwrap();
    let voided = client.get_object("PaymentObj", &b).await.unwrap();
    assert_eq!(voided.life_status.unwrap().to_string(), "invalid");
    client.recover("PaymentObj", &[&b]).await.unwrap();
    let back = client.get_object("PaymentObj", &b).await.unwrap();
    assert_eq!(back.life_status.unwrap().to_string(), "normal");

    let (owner, other_style) = owner_ids(flow);
    client
        .change_owner("PaymentObj", &b, &[owner])
        .await
        .unwrap();
    let owned = client.get_object("PaymentObj", &b).await.unwrap();
    assert_eq!(
        owned.owner,
        Some(vec![owner.to_owned()]),
        "in the flow's id style"
    );
    // An owner of the other style would mix the styles in one request: refused before sending.
    let calls = mock.control().calls("/cgi/crm/v2/data/changeOwner");
    let err = client
        .change_owner("PaymentObj", &b, &[other_style])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert!(err.to_string().contains(other_style), "{err}");
    assert_eq!(mock.control().calls("/cgi/crm/v2/data/changeOwner"), calls);
    used_only(&mock, flow);
}

async fn custom_objects_use_the_custom_path(flow: AuthFlow) {
    let mock = start(flow).await;
    let client = mock.client().unwrap();
    let mut data = ObjectData::default();
    data.extra.set("name", json!("试用项目")).unwrap();
    data.extra.set("field_budget__c", json!("1200.50")).unwrap();
    client
        .create_object(
            "object_Nyeoj__c",
            data,
            Details::new(),
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(mock.control().calls("/cgi/crm/custom/v2/data/create"), 1);
    assert_eq!(mock.control().calls("/cgi/crm/v2/data/create"), 0);
    let rows: Vec<ObjectData> = client
        .query_object("object_Nyeoj__c")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].extra.get_value("field_budget__c"),
        Some(json!("1200.50"))
    );
    assert_eq!(mock.control().calls("/cgi/crm/custom/v2/data/query"), 1);
    used_only(&mock, flow);
}

async fn query_filters_orders_projection_and_metadata(flow: AuthFlow) {
    let mock = start(flow).await;
    let client = mock.client().unwrap();
    mock.insert_many("PaymentObj", (0..30).map(record));

    let page = client
        .query::<PaymentObj>()
        .filter("payment_amount", FilterOperator::Gte, ["120"])
        .filter(
            "account_id",
            FilterOperator::In,
            ["acc0021", "acc0022", "acc0025"],
        )
        .order_by("payment_amount", false)
        .fields(["_id", "payment_amount", "account_id"])
        .page_size(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total, Some(3));
    let amounts: Vec<String> = page
        .records
        .iter()
        .map(|p| p.payment_amount.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(amounts, ["125.00", "122.00"]);
    assert!(
        page.records[0].remark.is_none(),
        "projection drops other fields"
    );

    let like: Vec<PaymentObj> = client
        .query::<PaymentObj>()
        .filter("remark", FilterOperator::Like, ["第1"])
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(like.len(), 11, "第1 and 第10..第19");

    let objects = client.objects().await.unwrap();
    assert!(objects.iter().any(|o| o.describe_api_name == "PaymentObj"));
    let describe = client.describe("PaymentObj").await.unwrap();
    let fields = describe
        .data
        .and_then(|d| d.describe)
        .and_then(|d| d.fields)
        .unwrap();
    assert!(fields.contains_key("payment_amount"));
    used_only(&mock, flow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_of_12345_records_returns_each_once_across_the_offset_limit() {
    crm_testkit::bounded(async {
        let mock = mock_without_limits(AuthFlow::Legacy).await;
        mock.insert_many("PaymentObj", (0..12_345).map(record));
        let client = unlimited(&mock);
        let mut ids = HashSet::new();
        let mut stream = client.query::<PaymentObj>().stream();
        while let Some(p) = stream.next().await {
            let p = p.unwrap();
            assert!(ids.insert(p.id.clone().unwrap()), "duplicate {:?}", p.id);
        }
        assert_eq!(ids.len(), 12_345);
        // 101 offset pages (0..=10,000) then the _id cursor for the rest.
        assert!(mock.control().calls("/cgi/crm/v2/data/query") >= 124);
    })
    .await;
}

async fn a_token_expiring_mid_export_loses_and_duplicates_nothing(flow: AuthFlow) {
    let mock = mock_without_limits(flow).await;
    mock.insert_many("PaymentObj", (0..1_000).map(record));
    let client = unlimited(&mock);
    let mut ids = HashSet::new();
    let mut stream = client.query::<PaymentObj>().page_size(50).stream();
    let mut n = 0;
    while let Some(p) = stream.next().await {
        n += 1;
        if n == 333 {
            mock.expire_tokens();
        }
        assert!(ids.insert(p.unwrap().id.unwrap()));
    }
    assert_eq!(ids.len(), 1_000);
    assert_eq!(client.token_fetches(), 2, "one refresh after 20016");
    used_only(&mock, flow);
}

async fn a_burst_of_5xx_and_a_dropped_connection_are_retried(flow: AuthFlow) {
    let mock = start(flow).await;
    mock.insert("PaymentObj", record(1));
    let client = mock.client().unwrap();
    client.query::<PaymentObj>().send().await.unwrap(); // warm the token
    mock.control().fail_next(3, 503);
    let page = client.query::<PaymentObj>().send().await.unwrap();
    assert_eq!(page.records.len(), 1);
    mock.control().drop_next(1);
    assert_eq!(
        client
            .query::<PaymentObj>()
            .send()
            .await
            .unwrap()
            .records
            .len(),
        1
    );
    used_only(&mock, flow);
}

async fn a_write_is_not_repeated_after_it_may_have_reached_the_vendor(flow: AuthFlow) {
    let mock = start(flow).await;
    let client = mock.client().unwrap();
    client.objects().await.unwrap(); // warm the token
    mock.control()
        .fail_next_on("/cgi/crm/v2/data/create", 1, 503);
    let err = client.create(&PaymentObj::default()).await.unwrap_err();
    match &err {
        Error::OutcomeUnknown { source, .. } => {
            assert!(
                matches!(**source, Error::HttpStatus { status: 503, .. }),
                "{err}"
            );
        }
        other => panic!("expected an unknown outcome, got {other:?}"),
    }
    assert_eq!(err.outcome(), fxiaoke_crm::Outcome::Unknown);
    assert!(!err.is_retryable(), "a create may not be repeated blindly");
    assert_eq!(
        mock.control().calls("/cgi/crm/v2/data/create"),
        1,
        "create is not retry-safe"
    );
    used_only(&mock, flow);
}

async fn writes_tell_not_applied_from_outcome_unknown(flow: AuthFlow) {
    let mock = start(flow).await;
    let client = mock.client().unwrap();
    client.objects().await.unwrap();
    // Rejected by the vendor: not applied, and no retry of a write that is not retry-safe.
    let bad = PaymentObj {
        id: Some("no-such-record".into()),
        ..Default::default()
    };
    let err = client
        .update(&bad, &WriteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.outcome(), fxiaoke_crm::Outcome::NotApplied, "{err}");
    assert!(err.api().is_some());
    // A broken connection after sending: unknown.
    mock.control().drop_next(1);
    let err = client.create(&PaymentObj::default()).await.unwrap_err();
    assert_eq!(err.outcome(), fxiaoke_crm::Outcome::Unknown, "{err:?}");
    // Never sent (nothing listens): not applied, so even a create is retried.
    let closed = with_operator(fxiaoke_crm::Client::builder(), flow)
        .base_url("http://127.0.0.1:9/")
        .app_id("a")
        .app_secret("s")
        .permanent_code("p")
        .with_retry_policy(fxiaoke_crm::RetryPolicy::none())
        .build()
        .unwrap();
    let err = closed.create(&PaymentObj::default()).await.unwrap_err();
    assert_eq!(err.outcome(), fxiaoke_crm::Outcome::NotApplied, "{err:?}");
    used_only(&mock, flow);
}

async fn a_rate_limited_write_was_not_applied_and_is_retried_after_the_window(flow: AuthFlow) {
    let mock = start(flow).await;
    let window = Duration::from_millis(400);
    let client = mock
        .client_builder()
        .with_rate_limits(RateLimits::off().with_per_path(RateLimit::new(100, window)))
        .build()
        .unwrap();
    client.objects().await.unwrap();
    let path = "/cgi/crm/v2/data/create";
    mock.control().respond_next(
        Some(path),
        1,
        200,
        r#"{"errorCode":30004,"errorMessage":"rate limit","errorDescription":"per second"}"#,
    );
    let started = std::time::Instant::now();
    let id = client
        .create(&PaymentObj::default())
        .await
        .unwrap()
        .unwrap();
    assert!(!id.is_empty());
    assert!(started.elapsed() >= window, "waited one window");
    assert_eq!(mock.control().calls(path), 2, "retried once, created once");
    assert_eq!(mock.records("PaymentObj").len(), 1);
    // HTTP 429 with Retry-After: waited as asked.
    mock.control().inject(
        Some(path),
        1,
        fxiaoke_crm_mock::Fault::Respond {
            status: 429,
            body: "slow down".into(),
            headers: vec![("retry-after".into(), "1".into())],
        },
    );
    let started = std::time::Instant::now();
    client.create(&PaymentObj::default()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(mock.records("PaymentObj").len(), 2);

    // While one call waits out a rate-limit answer, every other call to that endpoint waits
    // too (the vendor counts per endpoint); a call to another endpoint does not.
    mock.control().respond_next(
        Some(path),
        1,
        200,
        r#"{"errorCode":30004,"errorMessage":"rate limit","errorDescription":"per second"}"#,
    );
    let started = std::time::Instant::now();
    let payment = PaymentObj::default();
    let throttled = client.create(&payment);
    let others = async {
        tokio::time::sleep(window / 4).await;
        client.objects().await.unwrap();
        let other_endpoint = started.elapsed();
        client.create(&PaymentObj::default()).await.unwrap();
        (other_endpoint, started.elapsed())
    };
    let (throttled, (other_endpoint, same_endpoint)) = tokio::join!(throttled, others);
    throttled.unwrap();
    assert!(
        other_endpoint < window,
        "another endpoint is not held: {other_endpoint:?}"
    );
    assert!(
        same_endpoint >= window,
        "the same endpoint waits: {same_endpoint:?}"
    );
    assert_eq!(mock.records("PaymentObj").len(), 4);
    used_only(&mock, flow);
}

async fn a_call_deadline_bounds_every_attempt_and_wait(flow: AuthFlow) {
    let mock = start(flow).await;
    let client = mock
        .client_builder()
        .with_call_deadline(Duration::from_millis(300))
        .build()
        .unwrap();
    client.objects().await.unwrap();
    mock.control().delay_next(1, Duration::from_secs(3));
    let started = std::time::Instant::now();
    let err = client.objects().await.unwrap_err();
    assert!(matches!(err, Error::Deadline { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    used_only(&mock, flow);
}

async fn a_300_page_export_never_trips_the_rate_limit(flow: AuthFlow) {
    // The documented 100 calls / 20 s per endpoint, with the window shortened to 1 s on both
    // sides so the test stays short.
    let window = Duration::from_secs(1);
    let settings = MockSettings::default().with_rate_limit(Some((100, window)));
    let mock = MockFxiaoke::start_with(settings.with_auth_flow(flow))
        .await
        .unwrap();
    mock.insert_many("PaymentObj", (0..3_000).map(record));
    let client = mock
        .client_builder()
        .with_rate_limits(RateLimits::off().with_per_path(RateLimit::new(100, window)))
        .build()
        .unwrap();
    let n = client
        .query::<PaymentObj>()
        .page_size(10)
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    assert_eq!(n, 3_000);
    assert!(mock.control().calls("/cgi/crm/v2/data/query") >= 300);
    assert_eq!(mock.rate_limit_rejections(), 0);
    used_only(&mock, flow);
}

async fn twenty_concurrent_calls_on_a_cold_cache_make_one_token_call(flow: AuthFlow) {
    let mock = start(flow).await;
    mock.insert("PaymentObj", record(1));
    let client = mock.client().unwrap();
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.query::<PaymentObj>().send().await })
    });
    for c in futures::future::join_all(calls).await {
        c.unwrap().unwrap();
    }
    assert_eq!(mock.token_calls(), 1);
    assert_eq!(client.token_fetches(), 1);
    used_only(&mock, flow);
}

#[tokio::test]
async fn the_operator_can_be_resolved_from_a_mobile_number() {
    crm_testkit::bounded(async {
        let mock = MockFxiaoke::start().await.unwrap();
        let creds = mock.credentials();
        let client = mock
            .client_builder()
            .operator_mobile(creds.mobile.clone())
            .build()
            .unwrap();
        assert_eq!(
            client.operator_open_user_id().await.unwrap(),
            creds.open_user_id
        );
        client.objects().await.unwrap();
        client.objects().await.unwrap();
        assert_eq!(
            mock.control().calls("/cgi/user/getByMobile"),
            1,
            "resolved once"
        );
    })
    .await;
}

async fn wrong_credentials_and_missing_config_are_clear(flow: AuthFlow) {
    let mock = start(flow).await;
    let client = mock.client_builder().app_secret("wrong").build().unwrap();
    let err = client.objects().await.unwrap_err();
    assert!(
        err.api().is_some(),
        "an API error, not a decode error: {err}"
    );
    assert!(err.is_auth(), "{err}");
    let err = fxiaoke_crm::Client::builder()
        .auth_flow(flow)
        .app_id("x")
        .build()
        .unwrap_err();
    let text = err.to_string();
    let operator = match flow {
        AuthFlow::Legacy => "open_user_id (or operator_mobile)",
        AuthFlow::OAuth2 => "employee_id",
    };
    assert!(
        text.contains("app_secret") && text.contains("permanent_code") && text.contains(operator),
        "{text}"
    );
    // The token call of the flow was refused; no business call was made.
    let token_path = match flow {
        AuthFlow::Legacy => "/cgi/corpAccessToken/get/V2",
        AuthFlow::OAuth2 => "/oauth2.0/token",
    };
    assert!(mock.control().calls(token_path) > 0);
    assert_eq!(mock.token_calls(), mock.control().calls(token_path));
}

#[tokio::test]
async fn ordered_streams_go_past_the_offset_limit_in_order() {
    crm_testkit::bounded(async {
        let mock = mock_without_limits(AuthFlow::Legacy).await;
        mock.insert_many("PaymentObj", (0..10_150).map(record));
        let client = unlimited(&mock);
        let records: Vec<PaymentObj> = client
            .query::<PaymentObj>()
            .order_by("payment_amount", true)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(records.len(), 10_150);
        let ids: std::collections::HashSet<_> = records.iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids.len(), 10_150, "every record once");
        let amounts: Vec<_> = records
            .iter()
            .map(|r| r.payment_amount.as_ref().unwrap().get().unwrap())
            .collect();
        assert!(amounts.windows(2).all(|w| w[0] <= w[1]), "in order");
    })
    .await;
}

mod wire {
    //! Bodies the mock would never send, served by wiremock.
    use super::*;

    async fn server_with(query_body: Value) -> (wiremock::MockServer, fxiaoke_crm::Client) {
        crate::common::query_server(json!(0), query_body).await
    }

    #[tokio::test]
    async fn a_malformed_body_gives_a_decode_error_with_its_path() {
        crm_testkit::bounded(async {
            // An odd scalar ("create_time": "yesterday") decodes, kept unparsed; an object where
            // epoch milliseconds belong cannot.
            let (_server, client) = server_with(json!({
                "errorCode": 0, "errorMessage": "OK",
                "data": {"total": 1, "dataList": [{"_id": "a"}, {"_id": "b", "create_time": {"day": "yesterday"}}]}
            }))
            .await;
            let err = client.query::<PaymentObj>().send().await.unwrap_err();
            match err {
                Error::Record { source, id, .. } => {
                    assert_eq!(source.path, "data.dataList[1].create_time");
                    assert_eq!(id.as_deref(), Some("b"));
                }
                other => panic!("expected a record error, got {other}"),
            }
        })
        .await;
    }

    #[tokio::test]
    async fn unknown_vendor_codes_surface_as_api_errors() {
        crm_testkit::bounded(async {
            let (_server, client) = server_with(json!({
                "errorCode": 123456, "errorMessage": "新的错误", "errorDescription": "something new", "traceId": "T-1"
            }))
            .await;
            let err = client.query::<PaymentObj>().send().await.unwrap_err();
            assert_eq!(api_code(&err), Some(123456));
            let api = err.api().unwrap();
            assert_eq!(api.trace_id.as_deref(), Some("T-1"));
            assert!(!api.retryable);
            assert!(err.to_string().contains("新的错误"), "{err}");
        })
        .await;
    }
}

async fn a_token_refused_right_after_a_refresh_is_an_auth_error_not_a_token_call_per_call(
    flow: AuthFlow,
) {
    let mock = start(flow).await;
    let client = mock.client().unwrap();
    client.objects().await.unwrap();
    assert_eq!(client.token_fetches(), 1);
    // From now on every query is refused with 20016, whatever the token.
    mock.control().respond_every(
        Some("/cgi/crm/v2/data/query"),
        1,
        200,
        r#"{"errorCode":20016,"errorMessage":"the cropId,cropAccessToken or authorization is error"}"#,
    );
    for _ in 0..5 {
        let err = client.query::<PaymentObj>().send().await.unwrap_err();
        assert!(err.is_auth(), "{err}");
        assert!(err.to_string().contains("issued"), "{err}");
    }
    assert_eq!(
        client.token_fetches(),
        2,
        "one refresh, then errors without spending the token quota"
    );
    used_only(&mock, flow);
}

async fn a_delete_that_fails_part_way_says_which_records_were_voided(flow: AuthFlow) {
    let mock = start(flow).await;
    let client = mock.client().unwrap();
    let a = mock.insert("PaymentObj", record(1));
    let c = mock.insert("PaymentObj", record(3));
    let err = client
        .delete("PaymentObj", &[&a, "no-such-record", &c])
        .await
        .unwrap_err();
    match &err {
        Error::Partial { done, not_done, .. } => {
            assert_eq!(done, &vec![a.clone()]);
            assert_eq!(not_done, &vec!["no-such-record".to_owned(), c.clone()]);
        }
        other => panic!("expected a partial failure, got {other:?}"),
    }
    assert_eq!(err.outcome(), fxiaoke_crm::Outcome::NotApplied);
    let records = mock.records("PaymentObj");
    assert_eq!(records.len(), 2, "nothing deleted");
    let voided: Vec<&str> = records
        .iter()
        .filter(|r| r["life_status"] == "invalid")
        .map(|r| r["_id"].as_str().unwrap())
        .collect();
    assert_eq!(voided, vec![a.as_str()], "only the first was voided");
    used_only(&mock, flow);
}

#[tokio::test]
async fn an_update_sends_only_what_was_changed_and_never_read_only_fields() {
    crm_testkit::bounded(async {
        use wiremock::MockServer;
        let server = common::wire_server(
            json!(0),
            "/cgi/crm/v2/data/update",
            json!({"errorCode": 0, "errorMessage": "OK"}),
        )
        .await;
        let client = common::wire_client(&server).build().unwrap();
        // A record as `get` returns it: server-owned and companion fields included.
        let original: PaymentObj = serde_json::from_value(json!({
            "_id": "5a9922dd0000000000000001", "name": "20180302-000001",
            "payment_amount": "300.00", "remark": "首付款", "payment_term": "2",
            "owner": ["FSUID_1"], "life_status": "normal", "version": "3",
            "create_time": 1519985373616_i64, "last_modified_time": 1519985373616_i64,
            "account_id__r": "样例客户", "field_x__c": "kept", "field_x__c__r": "标签"
        }))
        .unwrap();
        let mut changed = original.clone();
        changed.remark = Some("尾款".into());
        changed.payment_term = None;
        async fn sent(server: &MockServer) -> Value {
            let requests = server.received_requests().await.unwrap();
            let body: Value = requests.last().unwrap().body_json().unwrap();
            body["data"]["object_data"].clone()
        }
        client
            .update_changes(&original, &changed, &WriteOptions::default())
            .await
            .unwrap();
        let data = sent(&server).await;
        let mut keys: Vec<&str> = data
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            vec!["_id", "dataObjectApiName", "payment_term", "remark"],
            "{data}"
        );
        assert_eq!(data["payment_term"], Value::Null, "cleared");
        // Opting in to version.
        client
            .update_changes(
                &original,
                &changed,
                &WriteOptions::default().with_send_version(true),
            )
            .await
            .unwrap();
        assert_eq!(sent(&server).await["version"], json!("3"));
        // A whole-record update still never sends what the server owns.
        client
            .update(&changed, &WriteOptions::default())
            .await
            .unwrap();
        let data = sent(&server).await;
        for owned in [
            "owner",
            "life_status",
            "version",
            "create_time",
            "last_modified_time",
            "account_id__r",
            "field_x__c__r",
        ] {
            assert!(data.get(owned).is_none(), "{owned} sent: {data}");
        }
        assert_eq!(data["field_x__c"], json!("kept"));
        // Nothing changed: no call.
        let before = server.received_requests().await.unwrap().len();
        client
            .update_changes(&original, &original, &WriteOptions::default())
            .await
            .unwrap();
        assert_eq!(server.received_requests().await.unwrap().len(), before);
    })
    .await;
}

#[tokio::test]
async fn page_sizes_and_offsets_out_of_range_are_refused_with_the_range() {
    crm_testkit::bounded(async {
        let mock = MockFxiaoke::start().await.unwrap();
        let client = mock.client().unwrap();
        for size in [0, 101] {
            let err = client
                .query::<PaymentObj>()
                .page_size(size)
                .send()
                .await
                .unwrap_err();
            assert!(err.to_string().contains("1..=100"), "{err}");
            let first = client
                .query::<PaymentObj>()
                .page_size(size)
                .stream()
                .next()
                .await
                .unwrap();
            assert!(first.unwrap_err().to_string().contains("1..=100"));
        }
        let err = client
            .query::<PaymentObj>()
            .offset(10_100)
            .send()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("0..=10000"), "{err}");
        assert_eq!(
            mock.control().calls("/cgi/crm/v2/data/query"),
            0,
            "nothing sent"
        );
    })
    .await;
}

#[test]
fn a_client_built_with_defaults_has_the_documented_limits_timeouts_and_retries() {
    let client = common::offline_client();
    let transport = &client.config().transport;
    crm_testkit::assert_documented_transport_defaults(transport);
    // Tokens are replaced 600 s before they expire (the cache's rule, tested in crm-runtime).
    assert_eq!(fxiaoke_crm::REFRESH_MARGIN, Duration::from_secs(600));
    let limits = &transport.rate_limits;
    // 100 calls per 20 s per endpoint; 10 a minute to each flow's token endpoint.
    assert_eq!(
        limits.per_path,
        Some(fxiaoke_crm::RateLimit::new(100, Duration::from_secs(20)))
    );
    assert_eq!(limits.global, None);
    let token_paths: HashSet<&str> = limits.overrides.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        token_paths,
        HashSet::from(["/cgi/corpAccessToken/get/V2", "/oauth2.0/token"])
    );
    assert!(
        limits
            .overrides
            .iter()
            .all(|(_, l)| { (l.max_calls, l.window) == (10, Duration::from_secs(60)) })
    );
}
