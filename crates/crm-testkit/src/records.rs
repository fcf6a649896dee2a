//! Record builders: the JSON records the tests insert into the mocks, numbered so that every
//! test can tell them apart and order them.

use serde_json::{Map, Value, json};

/// An fxiaoke `PaymentObj` numbered `i`, whose amount is one of `distinct` values (at least
/// one): 50 accounts, amounts `100.00` upwards, a remark `第{i}笔`.
pub fn fxiaoke_payment(i: usize, distinct: usize) -> Map<String, Value> {
    object(json!({
        "account_id": format!("acc{:04}", i % 50),
        "payment_amount": format!("{}.00", 100 + (i * 7) % distinct.max(1)),
        "remark": format!("第{i}笔"),
    }))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
