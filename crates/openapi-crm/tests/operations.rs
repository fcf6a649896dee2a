//! Every operation against the embedded mock (loopback only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use openapi_crm::types::{
    DeleteCustomerArg, FieldConfigListArg, FindByIdArg, ListCustomersArg, PhoneProperty,
};
use openapi_crm::{Client, Customer, Error, SearchOperator, SearchOperatorKnown, field};
use openapi_crm_mock::{MockUseasy, paths};
use serde_json::json;

fn find_arg(id: &str) -> FindByIdArg {
    FindByIdArg {
        id: id.into(),
        extra: openapi_crm::ExtraFields::new(),
    }
}

fn phone(v: &str) -> PhoneProperty {
    PhoneProperty {
        value: v.into(),
        memo: Some("王哈".into()),
        extra: openapi_crm::ExtraFields::new(),
    }
}

/// Every stored `createTime`/`updateTime` has the document's form, whole seconds:
/// `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`.
fn assert_document_times(mock: &MockUseasy) {
    for record in mock.records() {
        for key in ["createTime", "updateTime"] {
            let t = record[key].as_str().unwrap_or_default();
            let shape = t.len() == 19
                && t.bytes().enumerate().all(|(i, c)| match i {
                    4 | 7 => c == b'-',
                    10 => c == b' ',
                    13 | 16 => c == b':',
                    _ => c.is_ascii_digit(),
                });
            assert!(shape, "{key} {t:?} is not yyyy-MM-dd HH:mm:ss");
        }
    }
}

#[tokio::test]
async fn add_find_update_delete_with_the_generated_methods() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();

        let mut c = Customer::named("testCustomer");
        c.mobile = Some(vec![phone("333222111")]);
        c.customer_source = Some(vec!["试用申请".into()]);
        c.owner = Some("8310".into());
        c.assign_time = Some("2024-11-14 09:46:17".parse().unwrap());
        let added = client.add_customer(&c).await.unwrap();
        assert!(added.success);
        assert_eq!(added.code, "200");
        assert!(added.trace_id.is_some());
        let stored = added.data.unwrap();
        let id = stored.id.clone().unwrap();
        assert_eq!(id.len(), 18, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
        assert_eq!(stored.create_agent.as_deref(), Some("openApi"));
        assert_eq!(stored.update_agent.as_deref(), Some("openApi"));
        assert_eq!(stored.account_id.as_deref(), Some("1090"));
        assert!(stored.create_time.is_some() && stored.update_time.is_some());
        assert_document_times(&mock);
        assert_eq!(
            stored
                .assign_time
                .as_ref()
                .map(|t| t.to_string())
                .as_deref(),
            Some("2024-11-14 09:46:17")
        );
        assert_eq!(stored.mobile.as_ref().unwrap()[0].value, "333222111");

        // Both find-by-id paths.
        let by_example_path = client
            .find_customer_by_id(&find_arg(&id))
            .await
            .unwrap()
            .data
            .unwrap();
        let by_heading_path = client
            .find_customer_by_id_short(&find_arg(&id))
            .await
            .unwrap()
            .data
            .unwrap();
        assert_eq!(by_example_path, stored);
        assert_eq!(by_heading_path, stored);
        assert_eq!(
            mock.control().calls(&format!("/openapi/crm/findById/{id}")),
            1
        );
        assert_eq!(mock.control().calls(&format!("/openapi/crm/{id}")), 1);

        // Update: only what is sent changes.
        let change = Customer {
            id: Some(id.clone()),
            customer_name: Some("renamed".into()),
            ..Default::default()
        };
        let updated = client.update_customer(&change).await.unwrap().data.unwrap();
        assert_eq!(updated.customer_name.as_deref(), Some("renamed"));
        assert_eq!(updated.owner.as_deref(), Some("8310"));
        assert_eq!(updated.create_time, stored.create_time);
        assert_document_times(&mock);

        // List.
        let arg = ListCustomersArg {
            limit: Some(10),
            page: Some(1),
            ..Default::default()
        };
        let page = client.list_customers(&arg).await.unwrap().data.unwrap();
        assert_eq!(page.count, Some(1.into()));
        assert_eq!(page.list.unwrap()[0].id.as_deref(), Some(id.as_str()));

        // Delete, then it is gone.
        let deleted = client
            .delete_customer(&DeleteCustomerArg {
                id: id.clone(),
                extra: openapi_crm::ExtraFields::new(),
            })
            .await
            .unwrap();
        assert!(deleted.success);
        let e = client
            .find_customer_by_id(&find_arg(&id))
            .await
            .unwrap_err();
        assert_eq!(e.api_code(), Some("404"), "{e}");
        assert!(mock.customers().is_empty());
    })
    .await;
}

#[tokio::test]
async fn convenience_wrappers_return_the_record() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        let added = client.add(&Customer::named("张三")).await.unwrap();
        let id = added.id.clone().unwrap();
        let found = client.customer(&id).await.unwrap().unwrap();
        assert_eq!(found.customer_name.as_deref(), Some("张三"));

        let mut change = found.clone();
        change.owner = Some("8311".into());
        let updated = client.update(&change).await.unwrap();
        assert_eq!(updated.owner.as_deref(), Some("8311"));
        assert_eq!(mock.customer(&id).unwrap().owner.as_deref(), Some("8311"));

        client.delete(&id).await.unwrap();
        assert!(mock.customer(&id).is_none());
        let e = client.delete(&id).await.unwrap_err();
        assert_eq!(e.api_code(), Some("404"), "{e}");

        // Checked before sending.
        let calls = mock.control().total_calls();
        assert!(matches!(
            client.add(&Customer::default()).await,
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            client.update(&Customer::named("x")).await,
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            client.delete("").await,
            Err(Error::InvalidArgument(_))
        ));
        assert_eq!(mock.control().total_calls(), calls, "nothing was sent");
    })
    .await;
}

#[tokio::test]
async fn the_vendor_rejects_invalid_requests_with_an_api_error() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        // customerName is required by the server too (sent raw, bypassing the wrapper's check).
        let e = client.add_customer(&Customer::default()).await.unwrap_err();
        let api = e.api().expect("an API error");
        assert_eq!(
            (api.vendor, api.operation, api.code.as_str()),
            ("useasy", "add_customer", "400")
        );
        assert!(api.message.contains("customerName"), "{api}");
        assert!(api.trace_id.is_some());
        // An unknown operator is passed through and rejected by the mock.
        let e = client
            .customers()
            .search(
                "customerName",
                "startsWith".parse::<SearchOperator>().unwrap(),
                ["x"],
            )
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.api_code(), Some("400"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn field_configs_are_listed_and_cached() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        let all = client
            .list_field_configs(&FieldConfigListArg::default())
            .await
            .unwrap()
            .data
            .unwrap();
        let address = all
            .iter()
            .find(|f| f.name.as_deref() == Some("详细地址"))
            .unwrap();
        assert_eq!(address.field.as_deref(), Some("text_6ts9_1687316347239"));
        assert!(
            all.iter()
                .any(|f| f.choices.as_ref().is_some_and(|c| !c.is_empty()))
        );
        assert!(all.iter().any(|f| f.options.is_some()));

        let filtered = client
            .list_field_configs(&FieldConfigListArg {
                enabled: Some(true),
                type_: Some(vec!["select".into()]),
                ..Default::default()
            })
            .await
            .unwrap()
            .data
            .unwrap();
        assert_eq!(filtered.len(), 1);
        assert_eq!(filtered[0].name.as_deref(), Some("客户等级"));

        let path = "/openapi/crm/config/field/list";
        let before = mock.control().calls(path);
        let a = client.field_configs().await.unwrap();
        let b = client.clone().field_configs().await.unwrap();
        assert_eq!(a, b);
        assert_eq!(
            mock.control().calls(path),
            before + 1,
            "cached, shared by clones"
        );
        client.refresh_field_configs().await.unwrap();
        assert_eq!(mock.control().calls(path), before + 2);
    })
    .await;
}

#[tokio::test]
async fn list_builder_searches_and_pages() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start_with_sample_data(30).await.unwrap();
        let client = mock.client().unwrap();

        // Documented operators.
        let page = client
            .customers()
            .eq(field::MOBILE, "13800000007")
            .send()
            .await
            .unwrap();
        assert_eq!(page.count, Some(1.into()));
        assert_eq!(
            page.list.unwrap()[0].customer_name.as_deref(),
            Some("测试客户0008")
        );
        let page = client
            .customers()
            .empty(field::OPEN_SEA_IDS)
            .send()
            .await
            .unwrap();
        assert_eq!(
            page.count,
            Some(24.into()),
            "every fifth of 30 has an open sea"
        );

        // Paging: count is the total, the page holds at most `limit`.
        let page = client
            .customers()
            .page_size(7)
            .page(5)
            .send()
            .await
            .unwrap();
        assert_eq!(page.count, Some(30.into()));
        let list = page.list.unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].customer_name.as_deref(), Some("测试客户0029"));

        // Conditions are ANDed; other (unconfirmed) operators work on the mock.
        let page = client
            .customers()
            .eq(field::OWNER, "8310")
            .search(
                field::CUSTOMER_SOURCE,
                SearchOperatorKnown::In,
                ["官网", "转介绍"],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(page.count, Some(10.into()));
        let page = client
            .customers()
            .search(field::CUSTOMER_NAME, SearchOperatorKnown::Like, ["客户002"])
            .send()
            .await
            .unwrap();
        assert_eq!(page.count, Some(10.into()));
        let e = client
            .customers()
            .page_size(0)
            .send()
            .await
            .expect_err("a page size of 0 is refused before any call");
        assert!(e.to_string().contains("out of range"), "{e}");
        let arg = client.customers().eq("a", "b").page_size(7).arg().clone();
        assert_eq!(arg.limit, Some(7));
        assert_eq!(
            serde_json::to_value(arg.search.unwrap()).unwrap(),
            json!([{"field": "a", "operator": "eq", "value": ["b"]}])
        );
    })
    .await;
}

#[tokio::test]
async fn builder_and_env_errors_name_what_is_missing() {
    crm_testkit::bounded(async {
        let e = Client::builder().build().unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("app_id") && text.contains("app_secret"),
            "{text}"
        );
        let e = Client::builder()
            .app_id("1090")
            .app_secret("s")
            .base_url("not a url")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e}");
        if std::env::var_os("USEASY_APPID").is_none() && std::env::var_os("USEASY_SECRET").is_none()
        {
            let text = Client::from_env().unwrap_err().to_string();
            assert!(
                text.contains("USEASY_APPID") && text.contains("USEASY_SECRET"),
                "{text}"
            );
        }
        let c = Client::builder()
            .app_id("1090")
            .app_secret("s")
            .build()
            .unwrap();
        assert_eq!(c.config().base_url.as_str(), "https://openapi.useasy.cn/");
        assert_eq!(
            c.config().transport.rate_limits.global,
            Some(openapi_crm::RateLimit::new(
                10,
                std::time::Duration::from_secs(1)
            ))
        );
    })
    .await;
}

#[tokio::test]
async fn vendor_errors_and_undecodable_responses_say_what_happened() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start_with_sample_data(3).await.unwrap();
        let client = mock.client().unwrap();

        mock.fail_next_with_code(1, "500", "系统繁忙");
        let e = client.customers().send().await.unwrap_err();
        let api = e.api().unwrap();
        assert_eq!(
            (api.code.as_str(), api.message.as_str()),
            ("500", "系统繁忙")
        );
        assert!(
            !e.is_retryable(),
            "no vendor code is documented as transient"
        );
        assert_eq!(mock.control().calls(paths::LIST), 1);

        // `success: true` but a code other than "200" is a failure too.
        mock.respond_next_raw(paths::LIST, r#"{"success":true,"code":"0","message":"?"}"#);
        assert_eq!(
            client.customers().send().await.unwrap_err().api_code(),
            Some("0")
        );

        // A record that does not fit its type: a decode error with the JSON path. (An odd scalar
        // such as "createTime": "26/06/2023" decodes, kept unparsed; a string where a list belongs
        // cannot.)
        mock.respond_next_raw(
            paths::LIST,
            r#"{"success":true,"code":"200","message":"200 ok!","data":{"list":[{"_id":"1","mobile":"13800000000"}],"count":1}}"#,
        );
        let e = client.customers().send().await.unwrap_err();
        let Error::Decode { operation, source } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*operation, "list_customers");
        assert_eq!(source.path, "data.list[0].mobile", "{e}");

        // Not JSON at all: not a useasy answer, retried (four attempts), then a protocol error.
        for _ in 0..4 {
            mock.respond_next_raw(paths::LIST, "<html>gateway</html>");
        }
        let e = client.customers().send().await.unwrap_err();
        assert!(matches!(e, Error::Protocol { .. }), "{e}");
        assert!(e.to_string().contains("gateway"), "{e}");

        // Unknown keys anywhere are kept.
        mock.respond_next_raw(
            paths::LIST,
            r#"{"success":true,"code":"200","message":"200 ok!","newTop":1,"data":{"list":[{"_id":"1","tags":["x"]}],"count":1,"pages":1}}"#,
        );
        let page = client
            .list_customers(&ListCustomersArg::default())
            .await
            .unwrap();
        assert_eq!(page.extra.get_value("newTop"), Some(json!(1)));
        let data = page.data.unwrap();
        assert_eq!(data.extra.get_value("pages"), Some(json!(1)));
        assert_eq!(
            data.list.unwrap()[0].extra.get_value("tags"),
            Some(json!(["x"]))
        );
    })
    .await;
}

#[tokio::test]
async fn the_mock_answers_any_input_without_panicking() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start_with_sample_data(3).await.unwrap();
        mock.set_rate_limiting(false);
        let creds = mock.credentials().clone();
        let http = reqwest::Client::new();
        let bodies = [
            "",
            "null",
            "[]",
            "\"x\"",
            "{",
            "{\"limit\":-1}",
            "{\"limit\":\"abc\"}",
            "{\"page\":0}",
            "{\"search\":{}}",
            "{\"search\":[1]}",
            "{\"search\":[{\"field\":\"a\",\"operator\":\"between\",\"value\":[\"1\"]}]}",
            "{\"search\":[{\"field\":\"a\",\"operator\":\"eq\",\"value\":[{}]}]}",
            "{\"_id\":123}",
            "{\"id\":[]}",
            "{\"customerName\":\"\"}",
            "{\"customerName\":\"x\",\"mobile\":\"not a list\"}",
            "{\"limit\":99999999999999999999,\"page\":9223372036854775807}",
        ];
        let paths = [
            paths::ADD,
            paths::UPDATE,
            paths::LIST,
            paths::DELETE,
            paths::FIELD_LIST,
            "/openapi/crm/findById/abc",
            "/openapi/crm/findById/",
            "/openapi/crm/%FF",
            "/openapi/crm/a/b",
            "/nope",
        ];
        let mut requests = 0;
        for path in paths {
            for body in bodies {
                for method in [reqwest::Method::POST, reqwest::Method::GET] {
                    let nonce = format!("{}", 100_000 + requests);
                    let ts = openapi_crm::unix_timestamp();
                    let mut r = http.request(
                        method,
                        mock.base_url().join(path.trim_start_matches('/')).unwrap(),
                    );
                    for (k, v) in
                        openapi_crm::signed_headers(&creds.secret, &creds.appid, &ts, &nonce)
                    {
                        r = r.header(k, v);
                    }
                    let response = r.body(body).send().await.unwrap();
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap();
                    let v: serde_json::Value = serde_json::from_str(&text)
                        .unwrap_or_else(|_| panic!("{path} {body}: {text}"));
                    assert!(
                        v["code"].is_string() && status != 500,
                        "{path} {body}: {status} {text}"
                    );
                    requests += 1;
                }
            }
        }
        // Still serving.
        assert_eq!(
            mock.client()
                .unwrap()
                .customers()
                .send()
                .await
                .unwrap()
                .count,
            Some(3.into())
        );
    })
    .await;
}

#[tokio::test]
async fn find_by_id_falls_back_to_the_other_documented_form_and_remembers_it() {
    crm_testkit::bounded(async {
        use openapi_crm_mock::FindByIdForms;
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        let id = client
            .add(&Customer::named("张三"))
            .await
            .unwrap()
            .id
            .unwrap();
        let curl_path = format!("/openapi/crm/findById/{id}");
        let heading_path = format!("/openapi/crm/{id}");
        // A server with only the heading's route: one 404, then the other form, remembered.
        mock.set_find_by_id_forms(FindByIdForms::HeadingOnly);
        for _ in 0..3 {
            let found = client.customer(&id).await.unwrap().unwrap();
            assert_eq!(found.customer_name.as_deref(), Some("张三"));
        }
        assert_eq!(mock.control().calls(&curl_path), 1, "tried once");
        assert_eq!(mock.control().calls(&heading_path), 3);
        // "No such customer" is an answer, not a missing route: no fallback.
        let before = mock.control().calls(&curl_path);
        let err = client.customer("685770000000000001").await.unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert_eq!(mock.control().calls(&curl_path), before);
        // A server with only the curl's route: a fresh client uses it directly.
        mock.set_find_by_id_forms(FindByIdForms::CurlOnly);
        let fresh = mock.client().unwrap();
        fresh.customer(&id).await.unwrap().unwrap();
        assert_eq!(mock.control().calls(&heading_path), 3, "not tried");
    })
    .await;
}

#[tokio::test]
async fn a_delete_answer_with_any_data_is_a_success() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        for data in ["true", "\"685770000000000001\"", "{\"deleted\":1}", "null"] {
            mock.respond_next_raw(
                paths::DELETE,
                format!(r#"{{"success":true,"code":"200","message":"200 ok!","data":{data}}}"#),
            );
            client.delete("685770000000000001").await.unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn a_page_size_of_zero_is_refused_with_the_range() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        let err = client.customers().page_size(0).send().await.unwrap_err();
        assert!(err.to_string().contains("at least 1"), "{err}");
        let err = client.customers().page(0).send().await.unwrap_err();
        assert!(err.to_string().contains("page 0"), "{err}");
        assert_eq!(mock.control().calls(paths::LIST), 0);
    })
    .await;
}
