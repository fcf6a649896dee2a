//! The tenant pipeline as a library: metadata → schemas (every field type), names pinned
//! across pulls, the generated module's shape, and differences.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use crm_codegen::tenant::{self, ChangeKind};
use crm_codegen::{Generator, NameBook, Vendor};
use serde_json::{Value, json};

/// A scratch directory, removed when the test ends.
fn temp(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("crm-codegen-{tag}-"))
        .tempdir()
        .unwrap()
}

fn describe(fields: Value) -> Value {
    json!({ "api_name": "object_t__c", "display_name": "测试", "fields": fields })
}

fn prop<'a>(o: &'a tenant::PulledObject, field: &str) -> &'a Value {
    &o.properties().unwrap()[field]
}

#[test]
fn every_fxiaoke_field_type_becomes_its_documented_property() {
    let types = [
        ("number", json!("common.json#/$defs/LenientDecimal")),
        ("currency", json!("common.json#/$defs/LenientDecimal")),
        ("percentile", json!("common.json#/$defs/LenientDecimal")),
        ("date", json!("common.json#/$defs/EpochMillis")),
        ("date_time", json!("common.json#/$defs/EpochMillis")),
        ("time", json!("common.json#/$defs/EpochMillis")),
        ("true_or_false", json!("common.json#/$defs/StrBool")),
    ];
    let mut fields = serde_json::Map::new();
    for (ty, _) in &types {
        fields.insert(format!("{ty}__c"), json!({"type": ty, "label": "标签"}));
    }
    let labelled: [(&[&str], &str); 3] = [
        (
            &[
                "text",
                "long_text",
                "object_reference",
                "master_detail",
                "email",
            ],
            "文本",
        ),
        (
            &[
                "employee",
                "department",
                "employee_many",
                "object_reference_many",
            ],
            "列表",
        ),
        (&["file_attachment", "image"], "文件"),
    ];
    for (types, label) in labelled {
        for ty in types {
            fields.insert(format!("{ty}__c"), json!({"type": ty, "label": label}));
        }
    }
    fields.insert("one__c".into(), json!({"type": "select_one", "label": "单选",
        "options": [{"label": "甲", "value": "a"}, {"label": "乙", "value": "b"}, {"label": "是", "value": true}]}));
    fields.insert(
        "many__c".into(),
        json!({"type": "select_many", "label": "多选", "options": [{"label": "甲", "value": "a"}]}),
    );
    fields.insert(
        "bare__c".into(),
        json!({"type": "select_one", "label": "无选项", "options": []}),
    );
    fields.insert(
        "f__c".into(),
        json!({"type": "formula", "label": "公式", "return_type": "number"}),
    );
    fields.insert(
        "odd__c".into(),
        json!({"type": "something_new", "label": "新类型"}),
    );
    fields.insert(
        "owner__r".into(),
        json!({"type": "text", "label": "companion"}),
    );
    let o = tenant::fxiaoke::object_schema(&describe(Value::Object(fields))).unwrap();

    for (ty, target) in &types {
        assert_eq!(prop(&o, &format!("{ty}__c"))["$ref"], *target, "{ty}");
    }
    for ty in [
        "text",
        "long_text",
        "object_reference",
        "master_detail",
        "email",
    ] {
        assert_eq!(prop(&o, &format!("{ty}__c"))["type"], "string", "{ty}");
    }
    for ty in [
        "employee",
        "department",
        "employee_many",
        "object_reference_many",
    ] {
        let p = prop(&o, &format!("{ty}__c"));
        assert_eq!(
            (&p["type"], &p["items"]["type"]),
            (&json!("array"), &json!("string")),
            "{ty}"
        );
    }
    for ty in ["file_attachment", "image"] {
        assert_eq!(
            prop(&o, &format!("{ty}__c"))["items"]["$ref"],
            "common.json#/$defs/AttachmentFile"
        );
    }
    assert_eq!(prop(&o, "one__c")["$ref"], "#/$defs/object_t__c.one__c");
    assert_eq!(
        prop(&o, "many__c")["items"]["$ref"],
        "#/$defs/object_t__c.many__c"
    );
    let one = &o.schema["$defs"]["object_t__c.one__c"];
    assert_eq!(one["x-crm-open-enum"], true);
    assert_eq!(
        one["anyOf"][0]["enum"],
        json!(["a", "b"]),
        "only string options are listed"
    );
    assert_eq!(one["x-crm-option-labels"]["b"], "乙");
    assert!(one["description"].as_str().unwrap().contains("`a` 甲"));
    assert_eq!(prop(&o, "bare__c")["type"], "string");
    assert_eq!(
        prop(&o, "f__c")["$ref"],
        "common.json#/$defs/LenientDecimal",
        "by return_type"
    );
    assert_eq!(prop(&o, "odd__c").get("type"), None, "any JSON value");
    assert!(o.properties().unwrap().get("owner__r").is_none());
    assert_eq!(
        o.skipped,
        [(
            "owner__r".to_owned(),
            "a read-only companion field".to_owned()
        )]
    );
    let object = &o.schema["$defs"]["object_t__c"];
    assert_eq!(object["additionalProperties"], json!({}));
    assert!(object.get("required").is_none(), "no field is required");
    assert!(
        prop(&o, "one__c")["description"]
            .as_str()
            .unwrap()
            .starts_with("单选 / `one__c` (select_one)")
    );
}

#[test]
fn a_useasy_text_field_with_the_empty_cascade_template_is_text() {
    let template = json!({"level": 0, "fillLevel": 0, "children": []});
    let configs = [
        json!({"field": "customerName", "name": "客户名称", "type": "text", "isSystem": true, "status": 1}),
        json!({"field": "t1", "name": "地址", "type": "text", "status": 1, "options": template}),
        json!({"field": "c1", "name": "地区", "type": "cascade", "status": 1, "options": template}),
        json!({"field": "c2", "name": "地区2", "type": "cascade", "status": 1, "options":
            {"level": 2, "fillLevel": 1, "children": [{"key": "zj", "value": "浙江", "children": [{"key": "hz", "value": "杭州"}]}]}}),
        json!({"field": "s1", "name": "等级", "type": "select", "status": 1, "choices": [{"key": "A", "value": "重要"}]}),
        json!({"field": "m1", "name": "兴趣", "type": "checkbox", "status": 1, "choices": [{"key": "x", "value": "旅游"}]}),
        json!({"field": "n1", "name": "金额", "type": "number", "status": 1}),
        json!({"field": "d1", "name": "日期", "type": "date", "status": 1}),
        json!({"field": "g1", "name": "删除", "type": "text", "status": -1}),
        json!({"param": "p1", "name": "无 field", "type": "text", "status": 0}),
    ];
    let o = tenant::useasy::customer_schema(&configs).unwrap();
    assert_eq!(prop(&o, "t1")["type"], "string");
    assert_eq!(
        (&prop(&o, "c1")["type"], &prop(&o, "c1")["items"]["type"]),
        (&json!("array"), &json!("string"))
    );
    assert_eq!(prop(&o, "c2")["items"]["$ref"], "#/$defs/customer.c2");
    assert_eq!(
        o.schema["$defs"]["customer.c2"]["anyOf"][0]["enum"],
        json!(["zj", "hz"])
    );
    assert_eq!(prop(&o, "s1")["$ref"], "#/$defs/customer.s1");
    assert_eq!(prop(&o, "m1")["items"]["$ref"], "#/$defs/customer.m1");
    assert_eq!(prop(&o, "n1")["$ref"], "common.json#/$defs/LenientDecimal");
    assert_eq!(prop(&o, "d1")["$ref"], "common.json#/$defs/LenientDate");
    assert!(
        prop(&o, "p1")["description"]
            .as_str()
            .unwrap()
            .contains("Disabled")
    );
    let props = o.properties().unwrap();
    assert!(!props.contains_key("customerName") && !props.contains_key("g1"));
    assert_eq!(o.fields_seen, 10);
    assert_eq!(o.fields_typed, 8);
}

#[test]
fn a_second_pull_keeps_every_name_and_generation_is_deterministic() {
    let scratch = temp("names");
    let dir = scratch.path().to_path_buf();
    let first = describe(json!({
        "name": {"type": "text", "label": "名称"},
        "Name__c": {"type": "text", "label": "名称c"},
        "level__c": {"type": "select_one", "label": "级别", "options": [{"label": "重要", "value": "h3mB6wAoj"}]},
    }));
    let o = tenant::fxiaoke::object_schema(&first).unwrap();
    let requested = BTreeMap::from([("object_t__c".to_owned(), "Visit".to_owned())]);
    tenant::write_pulled(Vendor::Fxiaoke, &dir, &[o], &requested).unwrap();
    let a = Generator::tenant(Vendor::Fxiaoke, &dir).module().unwrap();
    let b = Generator::tenant(Vendor::Fxiaoke, &dir).module().unwrap();
    assert_eq!(a, b, "byte-deterministic");
    assert!(
        !a.contents.contains("#!["),
        "no inner attributes: the module can be include!d"
    );
    assert!(
        !a.contents.contains("pub mod error"),
        "typify's unused error module is left out"
    );
    let before = NameBook::load(&dir, Vec::new()).unwrap();

    // The tenant adds a field whose Rust name collides, and an option; a new pull with no
    // requested name keeps `Visit`.
    let second = describe(json!({
        "name": {"type": "text", "label": "名称"},
        "Name__c": {"type": "text", "label": "名称c"},
        "NAME__c": {"type": "text", "label": "名称C"},
        "level__c": {"type": "select_one", "label": "级别", "options": [
            {"label": "新", "value": "a1"}, {"label": "重要", "value": "h3mB6wAoj"}]},
    }));
    let o = tenant::fxiaoke::object_schema(&second).unwrap();
    tenant::write_pulled(Vendor::Fxiaoke, &dir, &[o], &BTreeMap::new()).unwrap();
    let after = NameBook::load(&dir, Vec::new()).unwrap();
    let (b, a2) = (
        &before.objects["object_t__c"],
        &after.objects["object_t__c"],
    );
    assert_eq!(a2.type_name, "Visit");
    for (field, name) in &b.fields {
        assert_eq!(&a2.fields[field], name);
    }
    assert_eq!(a2.fields["NAME__c"], "name_c_2");
    assert_eq!(a2.options["level__c"].variants["h3mB6wAoj"], "H3mB6wAoj");
    assert_eq!(a2.options["level__c"].variants["a1"], "A1");
    let module = Generator::tenant(Vendor::Fxiaoke, &dir)
        .module()
        .unwrap()
        .contents;
    for expected in [
        "pub name_c:",
        "pub name_c_2:",
        "H3mB6wAoj,",
        "A1,",
        "pub struct Visit",
    ] {
        assert!(module.contains(expected), "{expected}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_names_json_is_an_error_naming_the_file() {
    let scratch = temp("badnames");
    let dir = scratch.path().to_path_buf();
    let o = tenant::fxiaoke::object_schema(&describe(json!({"name": {"type": "text"}}))).unwrap();
    tenant::write_pulled(Vendor::Fxiaoke, &dir, &[o], &BTreeMap::new()).unwrap();
    std::fs::write(
        dir.join("names.json"),
        r#"{"objects": {"object_t__c": {"type": "not a type", "fields": {}}}}"#,
    )
    .unwrap();
    let e = Generator::tenant(Vendor::Fxiaoke, &dir)
        .module()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("names.json") && e.contains("`not a type`"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn diff_lists_every_kind_of_change() {
    let old = tenant::fxiaoke::object_schema(&describe(json!({
        "a__c": {"type": "text", "label": "甲"},
        "b__c": {"type": "text", "label": "乙"},
        "s__c": {"type": "select_one", "label": "选", "options": [{"label": "一", "value": "1"}, {"label": "二", "value": "2"}]},
    })))
    .unwrap();
    let new = tenant::fxiaoke::object_schema(&describe(json!({
        "a__c": {"type": "number", "label": "甲"},
        "c__c": {"type": "date", "label": "丙"},
        "s__c": {"type": "select_one", "label": "选", "options": [{"label": "一", "value": "1"}, {"label": "三", "value": "3"}]},
    })))
    .unwrap();
    let kinds: Vec<(String, ChangeKind)> = tenant::diff("object_t__c", &old.schema, &new.schema)
        .into_iter()
        .map(|c| (c.field, c.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "a__c".to_owned(),
                ChangeKind::FieldRetyped {
                    from: "text".into(),
                    to: "number".into()
                }
            ),
            ("b__c".to_owned(), ChangeKind::FieldRemoved),
            (
                "c__c".to_owned(),
                ChangeKind::FieldAdded {
                    field_type: "date".into()
                }
            ),
            (
                "s__c".to_owned(),
                ChangeKind::OptionAdded {
                    value: "3".into(),
                    label: "三".into()
                }
            ),
            (
                "s__c".to_owned(),
                ChangeKind::OptionRemoved { value: "2".into() }
            ),
        ]
    );
    assert!(tenant::diff("object_t__c", &old.schema, &old.schema).is_empty());
}
