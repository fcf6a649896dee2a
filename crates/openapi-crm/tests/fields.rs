//! Custom fields by display name: validation, and the round trip through add and find.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use openapi_crm::{Customer, Error};
use openapi_crm_mock::MockUseasy;
use serde_json::{Value, json};

const ADDRESS: &str = "text_6ts9_1687316347239";

fn config_error(r: openapi_crm::Result<()>) -> String {
    match r {
        Err(Error::InvalidArgument(message) | Error::UnknownField { message, .. }) => message,
        other => panic!("expected an invalid argument or unknown field, got {other:?}"),
    }
}

#[tokio::test]
async fn setting_the_address_by_name_uses_the_field_id() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        let mut c = Customer::named("张三");
        client
            .set_custom_field(&mut c, "详细地址", "杭州市西湖区文三路 1 号")
            .await
            .unwrap();
        assert_eq!(
            c.extra.get_value(ADDRESS),
            Some(json!("杭州市西湖区文三路 1 号"))
        );
        let configs = client.field_configs().await.unwrap();
        assert_eq!(configs.field_id("详细地址").unwrap(), ADDRESS);
        // The id works as a name too.
        c.set_field_by_name(&configs, ADDRESS, "新地址").unwrap();
        assert_eq!(
            c.get_field_by_name(&configs, "详细地址").unwrap(),
            Some(json!("新地址"))
        );
        assert_eq!(
            client.custom_field(&c, "详细地址").await.unwrap(),
            Some(json!("新地址"))
        );
    })
    .await;
}

#[tokio::test]
async fn custom_fields_round_trip_through_add_and_find() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        let configs = client.field_configs().await.unwrap();

        let mut c = Customer::named("李四");
        c.set_field_by_name(&configs, "详细地址", "北京市海淀区 8 号")
            .unwrap();
        c.set_field_by_name(&configs, "客户等级", "重要客户")
            .unwrap(); // a label, written as its key
        c.set_field_by_name(&configs, "所在地区", json!(["浙江省", "hz", "西湖区"]))
            .unwrap();
        // A field the configuration does not know is kept as it is.
        c.extra.set("number_x1_1700000000000", json!(42.5)).unwrap();
        assert_eq!(
            c.extra.get_value("select_k2m1_1687316400000"),
            Some(json!("A"))
        );
        assert_eq!(
            c.extra.get_value("cascade_r8p3_1687316500000"),
            Some(json!(["zj", "hz", "xh"]))
        );

        let added = client.add(&c).await.unwrap();
        let found = client
            .customer(added.id.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap();
        for (name, expected) in [
            ("详细地址", json!("北京市海淀区 8 号")),
            ("客户等级", json!("A")),
            ("所在地区", json!(["zj", "hz", "xh"])),
        ] {
            assert_eq!(
                found.get_field_by_name(&configs, name).unwrap(),
                Some(expected),
                "{name}"
            );
        }
        assert_eq!(
            found.extra.get_value("number_x1_1700000000000"),
            Some(json!(42.5))
        );
        assert_eq!(
            found.extra, c.extra,
            "every custom field came back unchanged"
        );
        let level = found
            .get_field_by_name(&configs, "客户等级")
            .unwrap()
            .unwrap();
        assert_eq!(
            configs.display_value("客户等级", &level).as_deref(),
            Some("重要客户")
        );
        let region = found.field("cascade_r8p3_1687316500000").unwrap();
        assert_eq!(
            configs.display_value("所在地区", &region).as_deref(),
            Some("浙江省/杭州市/西湖区")
        );

        // Update one custom field, clear another.
        let mut change = Customer {
            id: found.id.clone(),
            ..Default::default()
        };
        change.set_field_by_name(&configs, "客户等级", "C").unwrap();
        change
            .set_field_by_name(&configs, "详细地址", Value::Null)
            .unwrap();
        let updated = client.update(&change).await.unwrap();
        assert_eq!(
            updated.get_field_by_name(&configs, "客户等级").unwrap(),
            Some(json!("C"))
        );
        assert_eq!(
            updated.get_field_by_name(&configs, "详细地址").unwrap(),
            None
        );
        assert_eq!(
            updated.get_field_by_name(&configs, "所在地区").unwrap(),
            Some(json!(["zj", "hz", "xh"]))
        );
    })
    .await;
}

#[tokio::test]
async fn invalid_values_are_rejected_with_a_helpful_message() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        let configs = client.field_configs().await.unwrap();
        let mut c = Customer::named("王五");

        let m = config_error(c.set_field_by_name(&configs, "客户等级", "VIP"));
        assert!(m.contains("客户等级") && m.contains("\"VIP\""), "{m}");
        assert!(
            m.contains("A (重要客户)") && m.contains("B (普通客户)") && m.contains("C (潜在客户)"),
            "{m}"
        );
        let m = config_error(c.set_field_by_name(&configs, "客户等级", json!(["A", "Z"])));
        assert!(m.contains("\"Z\""), "{m}");
        let m = config_error(c.set_field_by_name(&configs, "客户等级", 1));
        assert!(m.contains("must be a string"), "{m}");

        let m =
            config_error(c.set_field_by_name(&configs, "所在地区", json!(["浙江省", "海淀区"])));
        assert!(m.contains("level 2") && m.contains("hz (杭州市)"), "{m}");
        let m = config_error(c.set_field_by_name(&configs, "所在地区", json!(["zj"])));
        assert!(m.contains("at least 2"), "{m}");
        let m =
            config_error(c.set_field_by_name(&configs, "所在地区", json!(["zj", "hz", "xh", "x"])));
        assert!(m.contains("3 level"), "{m}");
        let m = config_error(c.set_field_by_name(&configs, "所在地区", "浙江省"));
        assert!(
            m.contains("array") && m.contains(r#"["zj", "hz", "xh"]"#),
            "{m}"
        );

        let m = config_error(c.set_field_by_name(&configs, "不存在的字段", "x"));
        assert!(m.contains("不存在的字段") && m.contains("详细地址"), "{m}");
        let m = config_error(c.set_field_by_name(&configs, "旧地址", "x"));
        assert!(m.contains("deleted"), "{m}");
        let m = config_error(client.set_custom_field(&mut c, "不存在的字段", "x").await);
        assert!(m.contains("不存在的字段"), "{m}");
        assert_eq!(c.extra.len(), 0, "nothing was set");

        // A built-in field set by name goes to its typed member, and must fit its type.
        c.set_field_by_name(&configs, "客户名称", "赵六").unwrap();
        assert_eq!(c.customer_name.as_deref(), Some("赵六"));
        assert!(c.extra.is_empty());
        let m = config_error(c.set_field_by_name(&configs, "手机", "13800000000"));
        assert!(m.contains("mobile"), "{m}");
    })
    .await;
}

#[tokio::test]
async fn the_mock_rejects_values_that_bypass_validation() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        let mut c = Customer::named("x");
        c.set_field("select_k2m1_1687316400000", json!("VIP"))
            .unwrap();
        let e = client.add(&c).await.unwrap_err();
        assert_eq!(e.api_code(), Some("400"), "{e}");
        assert!(e.to_string().contains("VIP"), "{e}");
        let mut c = Customer::named("x");
        c.set_field("select_k2m1_1687316400000", json!("重要客户"))
            .unwrap();
        let e = client.add(&c).await.unwrap_err();
        assert!(e.to_string().contains("keys"), "{e}");
        assert!(mock.customers().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_new_field_is_found_after_a_refresh() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        client.field_configs().await.unwrap();
        let mut configs = mock.field_configs();
        let mut extra = configs[2].clone();
        extra.name = Some("备注2".into());
        extra.field = Some("text_new_1".into());
        configs.push(extra);
        mock.set_field_configs(configs);
        let mut c = Customer::named("x");
        client
            .set_custom_field(&mut c, "备注2", "hello")
            .await
            .unwrap();
        assert_eq!(c.extra.get_value("text_new_1"), Some(json!("hello")));
    })
    .await;
}

#[tokio::test]
async fn a_text_field_with_the_empty_cascade_template_takes_plain_text() {
    crm_testkit::bounded(async {
        let mock = MockUseasy::start().await.unwrap();
        let client = mock.client().unwrap();
        let mut configs = mock.field_configs();
        let mut text = configs
            .iter()
            .find(|c| c.type_.as_deref() == Some("text"))
            .cloned()
            .unwrap();
        text.name = Some("备注3".into());
        text.field = Some("text_template_1".into());
        // The document's 6.5 template: an empty cascade object on a text field.
        text.options = Some(
            serde_json::from_value(json!({"level": 0, "fillLevel": 0, "children": []})).unwrap(),
        );
        configs.push(text);
        mock.set_field_configs(configs);
        let mut c = Customer::named("x");
        client
            .set_custom_field(&mut c, "备注3", "一段文字")
            .await
            .unwrap();
        assert_eq!(
            c.extra.get_value("text_template_1"),
            Some(json!("一段文字"))
        );
        client.add(&c).await.unwrap();
    })
    .await;
}
