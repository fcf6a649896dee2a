//! Unknown (custom) fields of the generated records are kept as the JSON text the vendor sent
//! and written back byte for byte, whatever their spelling, through the generated one-pass
//! `Deserialize` of a record (`ObjectData`, `PaymentObj`) and of an envelope (`QueryResult`).

#![allow(clippy::unwrap_used)]

use fxiaoke_crm::ObjectData;
use fxiaoke_crm::types::{PaymentObj, QueryResult};
use proptest::prelude::*;

/// JSON values spelled as a vendor may spell them: trailing zeros, exponents, escapes, inner
/// whitespace, nesting.
fn odd_json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("false".to_owned()),
        Just("-0".to_owned()),
        (any::<i32>(), 0usize..3).prop_map(|(n, zeros)| format!("{n}.5{}", "0".repeat(zeros))),
        (1u32..9, 0u8..20).prop_map(|(m, e)| format!("{m}E+{e}")),
        "[a-z 客户]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just(r#""\u5ba2\u6237 \"q\" \\ \/""#.to_owned()),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|v| format!("[ {} ]", v.join(" ,"))),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..3).prop_map(|v| {
                let body: Vec<String> = v
                    .into_iter()
                    .map(|(k, x)| format!("\"{k}\": {x}"))
                    .collect();
                format!("{{ {} }}", body.join(", "))
            }),
        ]
    })
}

/// A payment record: known fields (typed by `PaymentObj`, partly by `ObjectData`) and the
/// custom fields, in the order given.
fn record(custom: &[(String, String)]) -> String {
    let mut fields = vec![
        r#""_id":"65f0a1b2c3d4e5f6a7b8c9d0""#.to_owned(),
        r#""payment_amount":"300.50""#.to_owned(),
        r#""create_time":1709258400000"#.to_owned(),
        r#""remark":"首付款""#.to_owned(),
    ];
    for (i, (k, v)) in custom.iter().enumerate() {
        // Interleaved with the known fields, as the vendor writes them.
        fields.insert((i * 2) % (fields.len() + 1), format!("\"{k}\":{v}"));
    }
    format!("{{{}}}", fields.join(","))
}

proptest! {
    #[test]
    fn custom_fields_are_written_back_byte_for_byte(
        custom in prop::collection::btree_map("field_[a-z0-9]{1,5}__c", odd_json(), 0..6),
    ) {
        let custom: Vec<(String, String)> = custom.into_iter().collect();
        let text = record(&custom);
        let payment: PaymentObj = serde_json::from_str(&text).unwrap();
        let object: ObjectData = serde_json::from_str(&text).unwrap();
        let page: QueryResult = serde_json::from_str(&format!(
            r#"{{"errorCode":0,"errorMessage":"OK","unknownTop":1.50,"data":{{"dataList":[{text}],"total":1}}}}"#
        ))
        .unwrap();
        let in_page = page.data.as_ref().and_then(|d| d.data_list.as_ref()).unwrap()[0].clone();
        prop_assert_eq!(page.extra.get_json("unknownTop"), Some("1.50"));
        for (k, v) in &custom {
            let kept = format!("\"{k}\":{v}");
            prop_assert_eq!(payment.extra.get_json(k), Some(v.as_str()));
            prop_assert_eq!(object.extra.get_json(k), Some(v.as_str()));
            prop_assert_eq!(in_page.extra.get_json(k), Some(v.as_str()));
            for written in [
                serde_json::to_string(&payment).unwrap(),
                serde_json::to_string(&object).unwrap(),
                serde_json::to_string(&page).unwrap(),
            ] {
                prop_assert!(written.contains(&kept), "{} not in {}", kept, written);
            }
        }
        // `ObjectData` knows neither the payment fields nor the custom ones: they are kept as
        // text too, and the whole record re-encodes to the same JSON.
        prop_assert_eq!(object.extra.get_json("remark"), Some("\"首付款\""));
        let again: serde_json::Value = serde_json::to_value(&object).unwrap();
        let original: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(again, original);
    }
}
