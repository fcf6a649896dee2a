//! Table tests of each decision, then a property test that runs the decisions against a
//! simulated vendor (an independent evaluator of filters and orders) that changes its data
//! between requests, sorts empty values wherever it likes and may not count.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;

use super::*;

fn key(values: &[Option<&str>], id: &str) -> RecordKey {
    RecordKey {
        values: values
            .iter()
            .map(|v| match v {
                Some(t) => KeyValue::Text((*t).to_owned()),
                None => KeyValue::Empty,
            })
            .collect(),
        id: id.to_owned(),
    }
}

fn plan(orders: &[(&str, bool)], page_size: u32) -> Plan {
    let orders: Vec<(String, bool)> = orders.iter().map(|(f, a)| ((*f).to_owned(), *a)).collect();
    Plan::new(&orders, page_size)
}

fn cursor(pins: Vec<Pin>, step: Step) -> Cursor {
    Cursor { pins, step }
}

fn text(s: &str) -> String {
    s.to_owned()
}

/// The cursor of an id scan, without pins, after `after`.
fn ids(after: Option<&str>) -> Cursor {
    cursor(
        vec![],
        Step::Ids {
            after: after.map(text),
        },
    )
}

#[test]
fn the_order_is_made_total_by_id() {
    let p = plan(&[("amount", false), ("amount", true), ("day", true)], 10);
    assert_eq!(
        p.keys
            .iter()
            .map(|k| (k.field.as_str(), k.asc))
            .collect::<Vec<_>>(),
        vec![("amount", false), ("day", true)],
        "a field named twice counts once"
    );
    assert!(p.id_asc);
    let p = plan(&[("amount", true), ("_id", false), ("day", true)], 0);
    assert_eq!(p.keys.len(), 1, "fields after _id cannot matter");
    assert!(!p.id_asc);
    assert_eq!(p.page_size, 1, "a page holds at least one record");
    assert_eq!(
        p.key_fields().collect::<Vec<_>>(),
        vec!["amount", "_id"],
        "fields a record must carry"
    );
}

#[test]
fn streams_start_where_the_order_starts() {
    let cases = [
        (plan(&[], 10), ids(None)),
        (
            plan(&[("a", true)], 10),
            cursor(vec![], Step::Range(RangeFrom::Start)),
        ),
        (
            plan(&[("a", false)], 10),
            cursor(vec![Pin::Empty], Step::Ids { after: None }),
        ),
        (
            plan(&[("a", true), ("b", true)], 10),
            cursor(vec![], Step::Discover { beyond: None }),
        ),
        (
            plan(&[("a", false), ("b", false)], 10),
            cursor(vec![Pin::Empty, Pin::Empty], Step::Ids { after: None }),
        ),
    ];
    for (plan, expected) in cases {
        assert_eq!(plan.start(), expected, "{plan:?}");
    }
}

#[test]
fn each_step_asks_what_it_needs() {
    let f = |field: &str, op: Op, v: Option<&str>| Filter {
        field: field.to_owned(),
        op,
        values: v.map(str::to_owned).into_iter().collect(),
    };
    let p = plan(&[("a", true), ("b", false)], 50);
    let by = |field: &str, asc: bool| (field.to_owned(), asc);
    let cases = [
        (
            cursor(vec![], Step::Discover { beyond: None }),
            vec![f("a", Op::Isn, None)],
            vec![by("a", true), by("_id", true)],
            1,
        ),
        (
            cursor(
                vec![],
                Step::Discover {
                    beyond: Some(text("7")),
                },
            ),
            vec![f("a", Op::Isn, None), f("a", Op::Gt, Some("7"))],
            vec![by("a", true), by("_id", true)],
            1,
        ),
        (
            cursor(vec![Pin::Eq(text("7"))], Step::Range(RangeFrom::Start)),
            vec![f("a", Op::Eq, Some("7")), f("b", Op::Isn, None)],
            vec![by("b", false), by("_id", true)],
            50,
        ),
        (
            cursor(
                vec![Pin::Eq(text("7"))],
                Step::Range(RangeFrom::Beyond(text("3"))),
            ),
            vec![
                f("a", Op::Eq, Some("7")),
                f("b", Op::Isn, None),
                f("b", Op::Lt, Some("3")),
            ],
            vec![by("b", false), by("_id", true)],
            50,
        ),
        (
            cursor(
                vec![Pin::Eq(text("7"))],
                Step::Range(RangeFrom::AtOrBeyond {
                    value: text("3"),
                    seen: vec![text("x")],
                }),
            ),
            vec![
                f("a", Op::Eq, Some("7")),
                f("b", Op::Isn, None),
                f("b", Op::Lte, Some("3")),
            ],
            vec![by("b", false), by("_id", true)],
            50,
        ),
        (
            cursor(
                vec![Pin::Empty],
                Step::Tie {
                    value: text("3"),
                    after_id: text("x"),
                },
            ),
            vec![
                f("a", Op::Is, None),
                f("b", Op::Eq, Some("3")),
                f("_id", Op::Gt, Some("x")),
            ],
            vec![by("_id", true)],
            50,
        ),
        (
            cursor(
                vec![Pin::Empty, Pin::Empty],
                Step::Ids {
                    after: Some(text("x")),
                },
            ),
            vec![
                f("a", Op::Is, None),
                f("b", Op::Is, None),
                f("_id", Op::Gt, Some("x")),
            ],
            vec![by("_id", true)],
            50,
        ),
    ];
    for (c, filters, orders, limit) in cases {
        let r = p.request(&c);
        assert_eq!(r.filters, filters, "{c:?}");
        assert_eq!(r.orders, orders, "{c:?}");
        assert_eq!(r.limit, limit, "{c:?}");
    }
    let by_id_desc = plan(&[("_id", false)], 5);
    let r = by_id_desc.request(&ids(Some("m")));
    assert_eq!(r.filters, vec![f("_id", Op::Lt, Some("m"))]);
    assert_eq!(r.orders, vec![by("_id", false)]);
}

/// One case of [`Plan::decide`]: cursor, page keys, total → deliver mask, next cursor.
struct Case {
    name: &'static str,
    plan: Plan,
    at: Cursor,
    keys: Vec<RecordKey>,
    total: Option<u64>,
    deliver: Vec<bool>,
    next: Option<Cursor>,
}

#[test]
fn each_page_leads_to_the_right_next_request() {
    let one_asc = plan(&[("a", true)], 4);
    let one_desc = plan(&[("a", false)], 4);
    let two = plan(&[("a", true), ("b", true)], 4);
    let cases = vec![
        Case {
            name: "an id page with more to come continues after its last id",
            plan: plan(&[], 2),
            at: ids(None),
            keys: vec![key(&[], "1"), key(&[], "2")],
            total: Some(5),
            deliver: vec![true, true],
            next: Some(ids(Some("2"))),
        },
        Case {
            name: "a short page is not the end when total says more remain",
            plan: plan(&[], 4),
            at: ids(None),
            keys: vec![key(&[], "1")],
            total: Some(3),
            deliver: vec![true],
            next: Some(ids(Some("1"))),
        },
        Case {
            name: "a short page without a count is not the end either",
            plan: plan(&[], 4),
            at: ids(None),
            keys: vec![key(&[], "1")],
            total: Some(0),
            deliver: vec![true],
            next: Some(ids(Some("1"))),
        },
        Case {
            name: "a page holding every match ends an id scan",
            plan: plan(&[], 4),
            at: ids(Some("0")),
            keys: vec![key(&[], "1"), key(&[], "2")],
            total: Some(2),
            deliver: vec![true, true],
            next: None,
        },
        Case {
            name: "an empty page ends an id scan",
            plan: plan(&[], 4),
            at: ids(Some("0")),
            keys: vec![],
            total: None,
            deliver: vec![],
            next: None,
        },
        Case {
            name: "a range page whose last group is large goes on with a tie scan",
            plan: one_asc.clone(),
            at: cursor(vec![], Step::Range(RangeFrom::Start)),
            keys: vec![
                key(&[Some("1")], "a"),
                key(&[Some("2")], "b"),
                key(&[Some("2")], "c"),
                key(&[Some("2")], "d"),
            ],
            total: Some(9),
            deliver: vec![true; 4],
            next: Some(cursor(
                vec![],
                Step::Tie {
                    value: text("2"),
                    after_id: text("d"),
                },
            )),
        },
        Case {
            name: "a range page whose last group is small reads that group again",
            plan: one_asc.clone(),
            at: cursor(vec![], Step::Range(RangeFrom::Start)),
            keys: vec![
                key(&[Some("1")], "a"),
                key(&[Some("1")], "b"),
                key(&[Some("1")], "c"),
                key(&[Some("2")], "d"),
            ],
            total: Some(0),
            deliver: vec![true; 4],
            next: Some(cursor(
                vec![],
                Step::Range(RangeFrom::AtOrBeyond {
                    value: text("2"),
                    seen: vec![text("a"), text("b"), text("c"), text("d")],
                }),
            )),
        },
        Case {
            name: "re-read records and newcomers behind the cursor are skipped",
            plan: one_asc.clone(),
            at: cursor(
                vec![],
                Step::Range(RangeFrom::AtOrBeyond {
                    value: text("2"),
                    seen: vec![text("c"), text("d")],
                }),
            ),
            keys: vec![
                key(&[Some("2")], "b"),
                key(&[Some("2")], "d"),
                key(&[Some("2")], "e"),
                key(&[Some("3")], "a"),
            ],
            total: Some(4),
            deliver: vec![false, false, true, true],
            next: Some(cursor(vec![Pin::Empty], Step::Ids { after: None })),
        },
        Case {
            name: "a range page without anything new switches to a tie scan",
            plan: one_asc.clone(),
            at: cursor(
                vec![],
                Step::Range(RangeFrom::AtOrBeyond {
                    value: text("2"),
                    seen: vec![text("c"), text("d")],
                }),
            ),
            keys: vec![key(&[Some("2")], "c"), key(&[Some("2")], "d")],
            total: Some(0),
            deliver: vec![false, false],
            next: Some(cursor(
                vec![],
                Step::Tie {
                    value: text("2"),
                    after_id: text("d"),
                },
            )),
        },
        Case {
            name: "an exhausted ascending range goes on with the empty values",
            plan: one_asc.clone(),
            at: cursor(vec![], Step::Range(RangeFrom::Beyond(text("5")))),
            keys: vec![],
            total: Some(0),
            deliver: vec![],
            next: Some(cursor(vec![Pin::Empty], Step::Ids { after: None })),
        },
        Case {
            name: "an exhausted descending range ends the stream (empty values came first)",
            plan: one_desc.clone(),
            at: cursor(vec![], Step::Range(RangeFrom::Beyond(text("5")))),
            keys: vec![key(&[Some("4")], "z")],
            total: Some(1),
            deliver: vec![true],
            next: None,
        },
        Case {
            name: "the empty values of a descending field lead to its values",
            plan: one_desc.clone(),
            at: cursor(vec![Pin::Empty], Step::Ids { after: None }),
            keys: vec![],
            total: None,
            deliver: vec![],
            next: Some(cursor(vec![], Step::Range(RangeFrom::Start))),
        },
        Case {
            name: "an exhausted tie scan goes on beyond its value",
            plan: one_desc.clone(),
            at: cursor(
                vec![],
                Step::Tie {
                    value: text("5"),
                    after_id: text("a"),
                },
            ),
            keys: vec![key(&[Some("5")], "b")],
            total: Some(1),
            deliver: vec![true],
            next: Some(cursor(vec![], Step::Range(RangeFrom::Beyond(text("5"))))),
        },
        Case {
            name: "a discovered value is read as a group at the next depth, not delivered",
            plan: two.clone(),
            at: cursor(vec![], Step::Discover { beyond: None }),
            keys: vec![key(&[Some("7"), Some("1")], "q")],
            total: Some(40),
            deliver: vec![false],
            next: Some(cursor(
                vec![Pin::Eq(text("7"))],
                Step::Range(RangeFrom::Start),
            )),
        },
        Case {
            name: "a finished group leads to the next value of the field above",
            plan: two.clone(),
            at: cursor(
                vec![Pin::Eq(text("7")), Pin::Empty],
                Step::Ids { after: None },
            ),
            keys: vec![],
            total: Some(0),
            deliver: vec![],
            next: Some(cursor(
                vec![],
                Step::Discover {
                    beyond: Some(text("7")),
                },
            )),
        },
        Case {
            name: "no next value: the empty group of the field above, then the end",
            plan: two.clone(),
            at: cursor(
                vec![],
                Step::Discover {
                    beyond: Some(text("9")),
                },
            ),
            keys: vec![],
            total: Some(0),
            deliver: vec![],
            next: Some(cursor(vec![Pin::Empty], Step::Range(RangeFrom::Start))),
        },
        Case {
            name: "the last group of the last field ends the stream",
            plan: two,
            at: cursor(
                vec![Pin::Empty, Pin::Empty],
                Step::Ids {
                    after: Some(text("q")),
                },
            ),
            keys: vec![],
            total: None,
            deliver: vec![],
            next: None,
        },
    ];
    for case in cases {
        let decision = case
            .plan
            .decide(
                &case.at,
                PageFacts {
                    total: case.total,
                    keys: &case.keys,
                },
            )
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(decision.deliver, case.deliver, "{}", case.name);
        assert_eq!(decision.next, case.next, "{}", case.name);
    }
}

#[test]
fn an_empty_value_where_a_value_was_asked_is_an_error() {
    let p = plan(&[("a", true), ("b", true)], 4);
    let err = p
        .decide(
            &cursor(vec![], Step::Discover { beyond: None }),
            PageFacts {
                total: None,
                keys: &[key(&[None, None], "x")],
            },
        )
        .unwrap_err();
    assert_eq!(
        err,
        KeysetError::EmptyWhereValueAsked {
            field: text("a"),
            id: text("x")
        }
    );
}

#[test]
fn resuming_after_a_record_continues_behind_it() {
    let p = plan(&[("t", true)], 10);
    assert_eq!(
        p.after(&key(&[Some("5")], "x")),
        cursor(
            vec![],
            Step::Tie {
                value: text("5"),
                after_id: text("x")
            }
        )
    );
    assert_eq!(
        p.after(&key(&[None], "x")),
        cursor(
            vec![Pin::Empty],
            Step::Ids {
                after: Some(text("x"))
            }
        )
    );
    let p = plan(&[("a", false), ("t", true)], 10);
    assert_eq!(
        p.after(&key(&[Some("1"), Some("5")], "x")),
        cursor(
            vec![Pin::Eq(text("1"))],
            Step::Tie {
                value: text("5"),
                after_id: text("x")
            }
        )
    );
    assert_eq!(plan(&[], 3).after(&key(&[], "x")), ids(Some("x")));
}

// ---------------------------------------------------------------------------------------------
// A simulated vendor
// ---------------------------------------------------------------------------------------------

/// A record of the simulation: numeric values of the order fields (None = empty).
#[derive(Clone, Debug)]
struct SimRecord {
    values: Vec<Option<i64>>,
}

/// How the simulated vendor behaves.
#[derive(Clone, Debug)]
struct Vendor {
    /// Empty values sort first (else last), in both directions.
    empties_first: bool,
    /// Reports `total` (else 0).
    counts: bool,
    /// The largest page it returns, whatever is asked.
    max_limit: u32,
}

fn sim_cmp(a: Option<i64>, b: Option<i64>, asc: bool, empties_first: bool) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => {
            if empties_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (Some(_), None) => {
            if empties_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Some(x), Some(y)) => {
            if asc {
                x.cmp(&y)
            } else {
                y.cmp(&x)
            }
        }
    }
}

fn field_index(field: &str) -> usize {
    field
        .strip_prefix('f')
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

fn sim_matches(id: &str, r: &SimRecord, f: &Filter) -> bool {
    if f.field == "_id" {
        let v = f.values[0].as_str();
        return match f.op {
            Op::Gt => id > v,
            Op::Lt => id < v,
            _ => unreachable!("only GT/LT on _id"),
        };
    }
    let value = r.values[field_index(&f.field)];
    let arg = || f.values[0].parse::<i64>().unwrap();
    match f.op {
        Op::Is => value.is_none(),
        Op::Isn => value.is_some(),
        Op::Eq => value == Some(arg()),
        Op::Gt => value.is_some_and(|v| v > arg()),
        Op::Gte => value.is_some_and(|v| v >= arg()),
        Op::Lt => value.is_some_and(|v| v < arg()),
        Op::Lte => value.is_some_and(|v| v <= arg()),
    }
}

/// Answers a request: matches, sorted by the requested orders (empty values where the vendor
/// likes them), at most `limit` of them.
fn answer(
    vendor: &Vendor,
    data: &BTreeMap<String, SimRecord>,
    request: &Request,
) -> (Vec<(String, SimRecord)>, u64) {
    let mut hits: Vec<(String, SimRecord)> = data
        .iter()
        .filter(|(id, r)| request.filters.iter().all(|f| sim_matches(id, r, f)))
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect();
    hits.sort_by(|(ia, a), (ib, b)| {
        for (field, asc) in &request.orders {
            let o = if field == "_id" {
                if *asc { ia.cmp(ib) } else { ib.cmp(ia) }
            } else {
                let i = field_index(field);
                sim_cmp(a.values[i], b.values[i], *asc, vendor.empties_first)
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    let total = hits.len() as u64;
    hits.truncate(request.limit.min(vendor.max_limit) as usize);
    (hits, if vendor.counts { total } else { 0 })
}

/// Our documented order (empty values last ascending, first descending), for checking output.
fn our_cmp(
    plan: &Plan,
    a: &(String, Vec<Option<i64>>),
    b: &(String, Vec<Option<i64>>),
) -> Ordering {
    for (i, k) in plan.keys.iter().enumerate() {
        let o = sim_cmp(a.1[i], b.1[i], k.asc, !k.asc);
        if o != Ordering::Equal {
            return o;
        }
    }
    if plan.id_asc {
        a.0.cmp(&b.0)
    } else {
        b.0.cmp(&a.0)
    }
}

/// A change between two requests.
#[derive(Clone, Debug)]
enum Change {
    Create(Vec<Option<i64>>),
    /// Deletes the n-th record (modulo the count).
    Delete(usize),
    /// Sets field `field` of the n-th record (an edit of an order key).
    Rekey(usize, usize, Option<i64>),
}

fn value() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![1 => Just(None), 4 => (0i64..6).prop_map(Some)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Every record that exists for the whole stream with an unchanged order key is delivered
    /// exactly once; nothing is delivered twice unless its key changed; output is in order;
    /// with `_id` order nothing is ever delivered twice. Whatever the page size, the vendor's
    /// placement of empty values, its counting and its page clamp.
    #[test]
    fn keyset_streams_are_exact_on_a_changing_tenant(
        n_keys in 0usize..3,
        ascending in proptest::collection::vec(any::<bool>(), 3),
        id_desc in any::<bool>(),
        records in proptest::collection::vec(proptest::collection::vec(value(), 3), 0..60),
        page_size in 1u32..9,
        vendor_limit in 1u32..12,
        empties_first in any::<bool>(),
        counts in any::<bool>(),
        changes in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(value(), 3).prop_map(Change::Create),
                (0usize..100).prop_map(Change::Delete),
                (0usize..100, 0usize..3, value()).prop_map(|(n, f, v)| Change::Rekey(n, f, v)),
            ],
            0..20,
        ),
        change_every in 1usize..4,
    ) {
        let mut orders: Vec<(String, bool)> = (0..n_keys).map(|i| (format!("f{i}"), ascending[i])).collect();
        if id_desc {
            orders.push(("_id".to_owned(), false));
        }
        let plan = Plan::new(&orders, page_size);
        let vendor = Vendor { empties_first, counts, max_limit: vendor_limit };
        let mut data: BTreeMap<String, SimRecord> = records
            .into_iter()
            .enumerate()
            .map(|(i, values)| (format!("{i:04}"), SimRecord { values }))
            .collect();
        let mut next_id = data.len();
        // Records whose key never changes and that are never deleted.
        let mut stable: HashMap<String, Vec<Option<i64>>> =
            data.iter().map(|(id, r)| (id.clone(), r.values.clone())).collect();
        let mut delivered: Vec<(String, Vec<Option<i64>>)> = Vec::new();
        let mut changes = changes.into_iter();
        let mut at = Some(plan.start());
        let mut requests = 0usize;
        while let Some(c) = at {
            requests += 1;
            prop_assert!(requests < 2_000, "the stream does not end");
            let request = plan.request(&c);
            let (hits, total) = answer(&vendor, &data, &request);
            let keys: Vec<RecordKey> = hits
                .iter()
                .map(|(id, r)| RecordKey {
                    values: r.values[..plan.keys.len()]
                        .iter()
                        .map(|v| v.map_or(KeyValue::Empty, |v| KeyValue::Text(v.to_string())))
                        .collect(),
                    id: id.clone(),
                })
                .collect();
            let decision = plan.decide(&c, PageFacts { total: Some(total), keys: &keys }).unwrap();
            for ((id, r), deliver) in hits.iter().zip(&decision.deliver) {
                if *deliver {
                    delivered.push((id.clone(), r.values[..plan.keys.len()].to_vec()));
                }
            }
            at = decision.next;
            if requests.is_multiple_of(change_every) && let Some(change) = changes.next() {
                let ids: Vec<String> = data.keys().cloned().collect();
                match change {
                    Change::Create(values) => {
                        data.insert(format!("{next_id:04}"), SimRecord { values });
                        next_id += 1;
                    }
                    Change::Delete(n) if !ids.is_empty() => {
                        let id = &ids[n % ids.len()];
                        data.remove(id);
                        stable.remove(id);
                    }
                    Change::Rekey(n, f, v) if !ids.is_empty() => {
                        let id = &ids[n % ids.len()];
                        if let Some(r) = data.get_mut(id) && r.values[f] != v {
                            r.values[f] = v;
                            if f < plan.keys.len() {
                                stable.remove(id);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        // In order.
        for pair in delivered.windows(2) {
            prop_assert_ne!(
                our_cmp(&plan, &pair[0], &pair[1]),
                Ordering::Greater,
                "out of order: {:?} then {:?}", pair[0], pair[1]
            );
        }
        // Stable records exactly once; nothing twice (a strictly increasing sequence cannot
        // repeat a position, so only a re-keyed record may come back).
        let mut counts_by_id: HashMap<&str, usize> = HashMap::new();
        for (id, _) in &delivered {
            *counts_by_id.entry(id.as_str()).or_default() += 1;
        }
        for id in stable.keys() {
            prop_assert_eq!(counts_by_id.get(id.as_str()).copied().unwrap_or(0), 1, "stable record {}", id);
        }
        if plan.keys.is_empty() {
            prop_assert!(counts_by_id.values().all(|n| *n == 1), "with _id order never twice");
        }
    }
}
