//! Property test of the indexed query: for random records, filters, orders and keyset bounds,
//! a `query` call answers exactly what a naive full scan (filter every record, sort, slice)
//! answers. The reference below is written from the comparison rules of the module docs, not
//! from `query.rs`, and works on the records as generated, not as stored.

use std::cmp::Ordering;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::handlers::handle;
use super::*;

const API: &str = "Prop__c";

/// One generated record: `amount` (an integer, sent as a JSON number) and `tag` may be missing.
#[derive(Clone, Debug)]
struct Rec {
    id: String,
    amount: Option<i32>,
    tag: Option<&'static str>,
}

/// One generated filter.
#[derive(Clone, Debug)]
enum F {
    /// `_id` with GT, GTE, LT, LTE, EQ: compared as text.
    Id(&'static str, String),
    /// `_id BETWEEN lo hi`.
    IdBetween(String, String),
    /// `amount GT x` / `amount LTE x`: numbers; a record without amount never matches.
    AmountGt(i32),
    AmountLte(i32),
    /// `amount EQ x`: pins one value of an `amount` order (the order index then narrows by `_id`).
    AmountEq(i32),
    /// `amount ISN` (`true`) or `amount IS`: has a value, or not.
    AmountSet(bool),
    /// `tag EQ t`, `tag N t`, `tag STARTWITH t`.
    Tag(&'static str, &'static str),
}

fn id_of(k: u16) -> String {
    format!("5a99{k:04x}")
}

fn rec_strategy() -> impl Strategy<Value = Vec<Rec>> {
    prop::collection::btree_map(
        0_u16..300,
        (
            prop::option::of(-20_i32..20),
            prop::option::of(prop::sample::select(vec!["a", "b", "ab", ""])),
        ),
        0..70,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(k, (amount, tag))| Rec {
                id: id_of(k),
                amount,
                tag,
            })
            .collect()
    })
}

fn filter_strategy() -> impl Strategy<Value = F> {
    // Often one of a few keys, so that two bounds of one query meet.
    let key =
        prop_oneof![0_u16..310, prop::sample::select(vec![100_u16, 150, 200])].prop_map(id_of);
    prop_oneof![
        3 => (prop::sample::select(vec!["GT", "GTE", "LT", "LTE", "EQ"]), key.clone())
            .prop_map(|(op, k)| F::Id(op, k)),
        1 => (key.clone(), key).prop_map(|(a, b)| F::IdBetween(a, b)),
        1 => (-22_i32..22).prop_map(F::AmountGt),
        1 => (-22_i32..22).prop_map(F::AmountLte),
        1 => (-22_i32..22).prop_map(F::AmountEq),
        1 => any::<bool>().prop_map(F::AmountSet),
        1 => (prop::sample::select(vec!["EQ", "N", "STARTWITH"]),
              prop::sample::select(vec!["a", "b", "ab"]))
            .prop_map(|(op, t)| F::Tag(op, t)),
    ]
}

impl F {
    fn wire(&self) -> Value {
        let (field, op, values) = match self {
            F::Id(op, k) => ("_id", *op, json!([k])),
            F::IdBetween(a, b) => ("_id", "BETWEEN", json!([a, b])),
            F::AmountGt(x) => ("amount", "GT", json!([x.to_string()])),
            F::AmountLte(x) => ("amount", "LTE", json!([x])),
            F::AmountEq(x) => ("amount", "EQ", json!([x.to_string()])),
            F::AmountSet(set) => ("amount", if *set { "ISN" } else { "IS" }, json!([])),
            F::Tag(op, t) => ("tag", *op, json!([t])),
        };
        json!({"field_name": field, "operator": op, "field_values": values})
    }

    fn accepts(&self, r: &Rec) -> bool {
        match self {
            F::Id(op, k) => {
                let o = r.id.as_str().cmp(k.as_str());
                match *op {
                    "GT" => o == Ordering::Greater,
                    "GTE" => o != Ordering::Less,
                    "LT" => o == Ordering::Less,
                    "LTE" => o != Ordering::Greater,
                    _ => o == Ordering::Equal,
                }
            }
            F::IdBetween(a, b) => a.as_str() <= r.id.as_str() && r.id.as_str() <= b.as_str(),
            F::AmountGt(x) => r.amount.is_some_and(|a| a > *x),
            F::AmountLte(x) => r.amount.is_some_and(|a| a <= *x),
            F::AmountEq(x) => r.amount == Some(*x),
            F::AmountSet(set) => r.amount.is_some() == *set,
            F::Tag(op, t) => {
                let has = |ok: &dyn Fn(&str) -> bool| r.tag.is_some_and(ok);
                match *op {
                    "EQ" => has(&|v| v == *t),
                    "N" => !has(&|v| v == *t),
                    _ => has(&|v| v.starts_with(*t)),
                }
            }
        }
    }
}

/// The orders tried: none (by `_id`), `_id` either way, and non-`_id` orders (the order
/// index): amount (numbers: filters on it narrow) and tag (text, and sometimes `""`, which
/// sorts as missing but compares as text: its filters are checked record by record), missing
/// values last when ascending, ties by `_id` ascending.
const ORDERS: &[&str] = &[
    "none",
    "id_asc",
    "id_desc",
    "amount_asc",
    "amount_desc",
    "tag_asc",
    "tag_desc",
];

fn naive(
    records: &[Rec],
    filters: &[F],
    order: &str,
    offset: usize,
    limit: usize,
) -> (usize, Vec<String>) {
    let mut hits: Vec<&Rec> = records
        .iter()
        .filter(|r| filters.iter().all(|f| f.accepts(r)))
        .collect();
    // Missing amounts are the largest value.
    let amount = |r: &Rec| r.amount.map_or((1, 0), |a| (0, a));
    // An empty tag is no value for sorting.
    let tag = |r: &Rec| r.tag.filter(|t| !t.is_empty()).map_or((1, ""), |t| (0, t));
    match order {
        "id_desc" => hits.sort_by(|a, b| b.id.cmp(&a.id)),
        "amount_asc" => hits.sort_by(|a, b| amount(a).cmp(&amount(b)).then(a.id.cmp(&b.id))),
        "amount_desc" => hits.sort_by(|a, b| amount(b).cmp(&amount(a)).then(a.id.cmp(&b.id))),
        "tag_asc" => hits.sort_by(|a, b| tag(a).cmp(&tag(b)).then(a.id.cmp(&b.id))),
        "tag_desc" => hits.sort_by(|a, b| tag(b).cmp(&tag(a)).then(a.id.cmp(&b.id))),
        _ => hits.sort_by(|a, b| a.id.cmp(&b.id)),
    }
    let page = hits
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| r.id.clone())
        .collect();
    (hits.len(), page)
}

fn orders_json(order: &str) -> Value {
    match order {
        "id_asc" => json!([{"fieldName": "_id", "isAsc": true}]),
        "id_desc" => json!([{"fieldName": "_id", "isAsc": false}, {"fieldName": "amount"}]),
        "amount_asc" => json!([{"fieldName": "amount", "isAsc": true}]),
        "amount_desc" => json!([{"fieldName": "amount", "isAsc": false}]),
        "tag_asc" => json!([{"fieldName": "tag", "isAsc": true}]),
        "tag_desc" => json!([{"fieldName": "tag", "isAsc": false}]),
        _ => json!([]),
    }
}

fn insert(shared: &Shared, r: &Rec) {
    let mut m = Map::new();
    m.insert("_id".into(), json!(r.id));
    if let Some(a) = r.amount {
        m.insert("amount".into(), json!(a));
    }
    if let Some(t) = r.tag {
        m.insert("tag".into(), json!(t));
    }
    shared
        .state()
        .store
        .insert_backdoor(API, m, 1_700_000_000_000, "FSUID_A");
}

/// One `query` call against `records` (what the mock holds), checked against [`naive`].
fn check(
    shared: &Shared,
    records: &[Rec],
    filters: &[F],
    order: &str,
    (limit, offset, count): (usize, usize, bool),
) -> Result<(), TestCaseError> {
    let c = &shared.credentials;
    let token = handle(
        shared,
        "/cgi/corpAccessToken/get/V2",
        json!({
            "appId": c.app_id, "appSecret": c.app_secret, "permanentCode": c.permanent_code
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap_or_default()["corpAccessToken"]
        .clone();
    let body = json!({
        "corpAccessToken": token, "corpId": c.corp_id, "currentOpenUserId": c.open_user_id,
        "data": {
            "dataObjectApiName": API,
            "find_explicit_total_num": count,
            "search_query_info": {
                "limit": limit, "offset": offset,
                "filters": filters.iter().map(F::wire).collect::<Vec<_>>(),
                "orders": orders_json(order),
            },
        },
    });
    let answer = handle(
        shared,
        "/cgi/crm/custom/v2/data/query",
        body.to_string().as_bytes(),
    )
    .unwrap_or_default();
    prop_assert_eq!(answer["errorCode"].as_i64(), Some(0), "{}", answer);
    let (total, expected) = naive(records, filters, order, offset, limit);
    let list = answer["data"]["dataList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let got: Vec<String> = list
        .iter()
        .map(|r| r["_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    prop_assert_eq!(&got, &expected);
    let want_total = if count { total as i64 } else { 0 };
    prop_assert_eq!(answer["data"]["total"].as_i64(), Some(want_total));
    // The records come back whole, in the wire form (numbers as strings).
    for item in &list {
        let r = records.iter().find(|r| item["_id"] == json!(r.id));
        prop_assert!(r.is_some());
        if let Some(r) = r {
            prop_assert_eq!(
                &item["amount"],
                &r.amount.map_or(Value::Null, |a| json!(a.to_string()))
            );
            prop_assert_eq!(&item["tag"], &r.tag.map_or(Value::Null, |t| json!(t)));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Also after another user's writes: the second query must not be answered from an order
    /// index built before them.
    #[test]
    fn indexed_query_equals_a_full_scan(
        mut records in rec_strategy(),
        filters in prop::collection::vec(filter_strategy(), 0..4),
        order in prop::sample::select(ORDERS.to_vec()),
        limit in 1_usize..8,
        page in 0_usize..4,
        count in any::<bool>(),
        deleted in any::<prop::sample::Index>(),
        created in (300_u16..310, prop::option::of(-20_i32..20)),
    ) {
        let shared = Shared::new(MockSettings::without_rate_limits());
        // Inserted in a scrambled order so the index is not built by appends only.
        let mut order_of_insert: Vec<&Rec> = records.iter().collect();
        order_of_insert.sort_by_key(|r| r.id.bytes().rev().collect::<Vec<u8>>());
        for r in order_of_insert {
            insert(&shared, r);
        }
        let paging = (limit, page * limit, count);
        check(&shared, &records, &filters, order, paging)?;

        if !records.is_empty() {
            let gone = records.remove(deleted.index(records.len()));
            prop_assert!(shared.state().store.remove(API, &gone.id));
        }
        let new = Rec { id: id_of(created.0), amount: created.1, tag: Some("b") };
        insert(&shared, &new);
        records.push(new);
        check(&shared, &records, &filters, order, paging)?;
    }
}
