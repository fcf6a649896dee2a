//! The order index: one object's records sorted by the orders of an ordered query (ties by
//! `_id`), built on the first query that asks for that order and kept until the object
//! changes, so that the pages of an ordered export read their own range instead of parsing
//! and sorting every record each time.
//!
//! A page narrows the sorted records to the range its filters on the first order's field
//! allow (`GT`, `GTE`, `LT`, `LTE`, one-value `EQ`, `BETWEEN`, `IS`, `ISN`) by binary search, and within
//! one pinned value (an `EQ` on that field) to the range its `_id` bounds allow when ties go
//! by `_id`; every other filter is checked on each record of the range. Narrowing is exact
//! only where the filter comparisons (see [`super::query`]) agree with the sort keys: every
//! record's value of the field is missing, `null` or one non-empty scalar, all of them
//! numbers or none of them (a number filter value for numbers). Otherwise the field's filters
//! are checked record by record, over the whole sorted list; the answer is the same either way.

use std::cmp::Ordering;
use std::ops::Bound;

use serde_json::Value;

use super::index::IdIndex;
use super::query::{
    Filter, Key, Operator, Order, Page, SearchQuery, Sorting, compare_key, key, matches, number,
    project_owned,
};
use super::store;

/// What every value of the first order's field is, when they allow exact narrowing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Uniform {
    /// Numbers (and missing values).
    Numbers,
    /// Non-numeric text (and missing values).
    Text,
}

/// One record's place in the order.
#[derive(Debug)]
struct Entry {
    keys: Vec<Key>,
    id: Box<str>,
}

/// One object's records sorted by some orders; see the module docs.
#[derive(Debug)]
pub(crate) struct OrderIndex {
    orders: Vec<Order>,
    empties_first: bool,
    entries: Vec<Entry>,
    uniform: Option<Uniform>,
}

impl OrderIndex {
    /// Sorts the records of `index` by `orders` (ties by `_id`).
    fn build(index: &IdIndex, orders: &[Order], empties_first: bool) -> Self {
        let field = orders.first().map(|o| o.field.as_str()).unwrap_or_default();
        let mut uniform = Some(None::<Uniform>);
        let mut entries: Vec<Entry> = index
            .iter()
            .filter_map(|(id, text)| {
                let record = store::decode(text)?;
                let kind = match record.get(field) {
                    None | Some(Value::Null) => None,
                    Some(Value::Array(_) | Value::Object(_)) => Some(None),
                    Some(Value::String(s)) if s.is_empty() => Some(None),
                    Some(_) => match key(field, record.get(field)) {
                        Key::Num(_) => Some(Some(Uniform::Numbers)),
                        Key::Text(_) => Some(Some(Uniform::Text)),
                        Key::Missing => Some(None),
                    },
                };
                uniform = match (uniform, kind) {
                    (u, None) => u,
                    (Some(None), Some(k)) => k.map(Some),
                    (Some(Some(u)), Some(Some(k))) if u == k => Some(Some(u)),
                    _ => None,
                };
                Some(Entry {
                    keys: orders
                        .iter()
                        .map(|o| key(&o.field, record.get(&o.field)))
                        .collect(),
                    id: id.into(),
                })
            })
            .collect();
        entries.sort_by(|a, b| compare_entries(a, b, orders, empties_first));
        Self {
            orders: orders.to_vec(),
            empties_first,
            entries,
            // No value at all: nothing matches a comparison, any kind narrows to nothing.
            uniform: uniform.map(|u| u.unwrap_or(Uniform::Text)),
        }
    }

    /// Whether ties on every order go by `_id` ascending (no further order, or `_id` next).
    fn ties_by_id(&self) -> bool {
        match self.orders.get(1) {
            None => true,
            Some(order) => order.field == "_id" && order.asc,
        }
    }

    /// The range of entries the filters on the first order's field allow, and the filters left
    /// to check on each record of it.
    fn narrow<'q>(&self, filters: &'q [Filter]) -> (usize, usize, Vec<&'q Filter>) {
        let (mut start, mut end) = (0, self.entries.len());
        let mut residual = Vec::new();
        let mut pinned = false;
        let Some(first) = self.orders.first() else {
            return (start, end, filters.iter().collect());
        };
        for filter in filters {
            match self.value_range(first, filter) {
                Some((lo, hi, pins)) => {
                    start = start.max(lo);
                    end = end.min(hi);
                    pinned |= pins;
                }
                None => residual.push(filter),
            }
        }
        end = end.max(start);
        if pinned && self.ties_by_id() {
            // One value of the first order: the range is sorted by `_id`.
            let mut left = Vec::new();
            for filter in residual {
                match id_bounds(filter) {
                    Some((lo, hi)) => {
                        let slice = &self.entries[start..end];
                        let from = slice.partition_point(|e| below(&e.id, lo));
                        let to = slice.partition_point(|e| !above(&e.id, hi));
                        (start, end) = (start + from, (start + to).max(start + from));
                    }
                    None => left.push(filter),
                }
            }
            residual = left;
        }
        (start, end, residual)
    }

    /// The entries `filter` on the first order's field can match, as a range, and whether it
    /// pins one value; `None` when the filter is not on that field or cannot narrow exactly.
    fn value_range(&self, first: &Order, filter: &Filter) -> Option<(usize, usize, bool)> {
        if filter.field != first.field {
            return None;
        }
        let uniform = self.uniform?;
        // Where the keys with a value are: missing values sort to one end. (With uniform
        // values, "empty" is exactly "missing or null".)
        let missing_first = self.empties_first == first.asc;
        let with_value = |e: &Entry| !matches!(e.keys.first(), Some(Key::Missing) | None);
        let (a, b) = if missing_first {
            (
                self.entries.partition_point(|e| !with_value(e)),
                self.entries.len(),
            )
        } else {
            (0, self.entries.partition_point(with_value))
        };
        match filter.op {
            Operator::Isn => return Some((a, b, false)),
            Operator::Is if missing_first => return Some((0, a, true)),
            Operator::Is => return Some((b, self.entries.len(), true)),
            _ => {}
        }
        let value = |i: usize| -> Option<&str> {
            filter
                .values
                .get(i)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let (lo, hi, pins) = match (filter.op, filter.values.len()) {
            (Operator::Gt, 1) => (Bound::Excluded(value(0)?), Bound::Unbounded, false),
            (Operator::Gte, 1) => (Bound::Included(value(0)?), Bound::Unbounded, false),
            (Operator::Lt, 1) => (Bound::Unbounded, Bound::Excluded(value(0)?), false),
            (Operator::Lte, 1) => (Bound::Unbounded, Bound::Included(value(0)?), false),
            (Operator::Eq, 1) => (Bound::Included(value(0)?), Bound::Included(value(0)?), true),
            (Operator::Between, 2) => (
                Bound::Included(value(0)?),
                Bound::Included(value(1)?),
                false,
            ),
            _ => return None,
        };
        // The filter value must compare with the stored keys as the filter compares them.
        let cmp = |k: &Key, v: &str| -> Option<Ordering> {
            match (uniform, k) {
                (Uniform::Numbers, Key::Num(x)) => number(v).map(|d| x.cmp(&d)),
                (Uniform::Text, Key::Text(s)) => Some(s.as_str().cmp(v)),
                _ => None,
            }
        };
        if uniform == Uniform::Numbers {
            for bound in [lo, hi] {
                if let Bound::Included(v) | Bound::Excluded(v) = bound
                    && number(v).is_none()
                {
                    return None;
                }
            }
        }
        let block = &self.entries[a..b];
        let key_of = |e: &Entry| e.keys.first().cloned().unwrap_or(Key::Missing);
        // `below`: the key is under the lower bound; `over`: above the upper bound.
        let below_lo = |e: &Entry| match lo {
            Bound::Included(v) => cmp(&key_of(e), v) == Some(Ordering::Less),
            Bound::Excluded(v) => cmp(&key_of(e), v) != Some(Ordering::Greater),
            Bound::Unbounded => false,
        };
        let over_hi = |e: &Entry| match hi {
            Bound::Included(v) => cmp(&key_of(e), v) == Some(Ordering::Greater),
            Bound::Excluded(v) => cmp(&key_of(e), v) != Some(Ordering::Less),
            Bound::Unbounded => false,
        };
        let (from, to) = if first.asc {
            (
                block.partition_point(below_lo),
                block.partition_point(|e| !over_hi(e)),
            )
        } else {
            (
                block.partition_point(over_hi),
                block.partition_point(|e| !below_lo(e)),
            )
        };
        Some((a + from, a + to.max(from), pins))
    }
}

/// `entries` order: the orders' keys, then `_id` ascending.
fn compare_entries(a: &Entry, b: &Entry, orders: &[Order], empties_first: bool) -> Ordering {
    for ((ka, kb), order) in a.keys.iter().zip(&b.keys).zip(orders) {
        let o = compare_key(ka, kb, empties_first);
        let o = if order.asc { o } else { o.reverse() };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.id.cmp(&b.id)
}

/// The `_id` range of an `_id` filter (`_id` compares as text), if it is one.
fn id_bounds(filter: &Filter) -> Option<(Bound<&str>, Bound<&str>)> {
    if filter.field != "_id" {
        return None;
    }
    let v = |i: usize| filter.values.get(i).map(String::as_str);
    Some(match (filter.op, filter.values.len()) {
        (Operator::Gt, 1) => (Bound::Excluded(v(0)?), Bound::Unbounded),
        (Operator::Gte, 1) => (Bound::Included(v(0)?), Bound::Unbounded),
        (Operator::Lt, 1) => (Bound::Unbounded, Bound::Excluded(v(0)?)),
        (Operator::Lte, 1) => (Bound::Unbounded, Bound::Included(v(0)?)),
        (Operator::Eq, 1) => (Bound::Included(v(0)?), Bound::Included(v(0)?)),
        (Operator::Between, 2) => (Bound::Included(v(0)?), Bound::Included(v(1)?)),
        _ => return None,
    })
}

fn below(id: &str, lo: Bound<&str>) -> bool {
    match lo {
        Bound::Included(v) => id < v,
        Bound::Excluded(v) => id <= v,
        Bound::Unbounded => false,
    }
}

fn above(id: &str, hi: Bound<&str>) -> bool {
    match hi {
        Bound::Included(v) => id > v,
        Bound::Excluded(v) => id >= v,
        Bound::Unbounded => false,
    }
}

/// One page of an ordered query from the object's order index, or `None` when the query is
/// not one the index serves (no orders, or `_id` first). With unstable ties, the records that
/// tie on every order come in a new random order (from `seed`) on every call: the walk reads
/// on to the end of the tie group the page ends in, and each group is shuffled before the
/// page is cut. `count` and `raw` as for [`super::query::execute_indexed`].
pub(crate) fn execute_ordered(
    index: &IdIndex,
    query: &SearchQuery,
    sorting: Sorting,
    seed: u64,
    count: bool,
    raw: bool,
) -> Option<Page> {
    let first = query.orders.first()?;
    if first.field == "_id" {
        return None;
    }
    let ordered = index.order_index(
        |kept| kept.orders == query.orders && kept.empties_first == sorting.empties_first,
        || OrderIndex::build(index, &query.orders, sorting.empties_first),
    );
    let (start, end, residual) = ordered.narrow(&query.filters);
    if sorting.unstable_ties {
        return Some(shuffled_page(
            index,
            &ordered,
            (start, end, &residual),
            query,
            seed,
            count,
            raw,
        ));
    }
    let skip = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let take = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let projection = query.projection.as_deref();
    let raw = raw && projection.is_none();
    let (mut texts, mut records) = (Vec::new(), Vec::new());
    let mut matched = 0usize;
    for entry in ordered.entries.get(start..end).unwrap_or_default() {
        let full = matched >= skip.saturating_add(take);
        if full && (residual.is_empty() || !count) {
            break;
        }
        let wanted = !full && matched >= skip;
        let Some(text) = index.get(&entry.id) else {
            continue;
        };
        if residual.is_empty() && !wanted {
            matched += 1;
            continue;
        }
        let Some(record) = store::decode(text) else {
            continue;
        };
        if !residual.iter().all(|f| matches(&record, f)) {
            continue;
        }
        if wanted && raw {
            texts.push(text.to_owned());
        } else if wanted {
            records.push(project_owned(record, projection));
        }
        matched += 1;
    }
    let total = if residual.is_empty() && count {
        end.saturating_sub(start)
    } else {
        matched
    };
    Some(Page {
        total,
        records,
        texts: raw.then_some(texts),
    })
}

/// [`execute_ordered`] with unstable ties: the matches up to the end of the tie group the page
/// ends in, each tie group shuffled, then the page.
fn shuffled_page(
    index: &IdIndex,
    ordered: &OrderIndex,
    (start, end, residual): (usize, usize, &[&Filter]),
    query: &SearchQuery,
    seed: u64,
    count: bool,
    raw: bool,
) -> Page {
    let skip = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let take = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let wanted_end = skip.saturating_add(take);
    let mut hits: Vec<&Entry> = Vec::new();
    let mut total = 0usize;
    for entry in ordered.entries.get(start..end).unwrap_or_default() {
        let group_done =
            hits.len() >= wanted_end && hits.last().is_some_and(|last| last.keys != entry.keys);
        if group_done && (residual.is_empty() || !count) {
            break;
        }
        let matched = residual.is_empty()
            || index
                .get(&entry.id)
                .and_then(store::decode)
                .is_some_and(|record| residual.iter().all(|f| matches(&record, f)));
        if matched {
            total += 1;
            if !group_done {
                hits.push(entry);
            }
        }
    }
    let total = if residual.is_empty() && count {
        end.saturating_sub(start)
    } else {
        total
    };
    // xorshift64: enough to shuffle ties.
    let mut state = seed | 1;
    let mut roll = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for group in hits.chunk_by_mut(|a, b| a.keys == b.keys) {
        for i in (1..group.len()).rev() {
            let j = usize::try_from(roll() % (i as u64 + 1)).unwrap_or(0);
            group.swap(i, j);
        }
    }
    let projection = query.projection.as_deref();
    let raw = raw && projection.is_none();
    let (mut texts, mut records) = (Vec::new(), Vec::new());
    for entry in hits.iter().skip(skip).take(take) {
        let Some(text) = index.get(&entry.id) else {
            continue;
        };
        if raw {
            texts.push(text.to_owned());
        } else if let Some(record) = store::decode(text) {
            records.push(project_owned(record, projection));
        }
    }
    Page {
        total,
        records,
        texts: raw.then_some(texts),
    }
}

/// A tie scan (`f EQ v` and `_id` bounds, ordered by `_id` ascending: one value's records by
/// `_id`) as the same query ordered by `(f, _id)`, which the order index answers from the
/// value's range; `None` for any other query.
pub(crate) fn as_value_scan(query: &SearchQuery) -> Option<SearchQuery> {
    let [order] = query.orders.as_slice() else {
        return None;
    };
    if order.field != "_id" || !order.asc {
        return None;
    }
    let pinned = query
        .filters
        .iter()
        .find(|f| f.field != "_id" && f.op == Operator::Eq && f.values.len() == 1)?;
    let mut scan = query.clone();
    scan.orders = vec![
        Order {
            field: pinned.field.clone(),
            asc: true,
        },
        order.clone(),
    ];
    Some(scan)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::super::query::{Limits, parse};
    use super::*;

    /// Ten records: amounts 1, 1, 1, 2, 2, 2, 2, 3, 3, and one without.
    fn index() -> IdIndex {
        let mut index = IdIndex::default();
        for (i, amount) in [1, 1, 1, 2, 2, 2, 2, 3, 3].into_iter().enumerate() {
            let text = json!({"_id": format!("id{i}"), "amount": amount.to_string()});
            index.insert(&format!("id{i}"), text.to_string().into());
        }
        index.insert("id9", json!({"_id": "id9"}).to_string().into());
        index
    }

    fn page(index: &IdIndex, info: serde_json::Value) -> (Vec<String>, usize) {
        let limits = Limits {
            max_limit: 100,
            max_offset: 10_000,
        };
        let query = parse(Some(&info), limits).unwrap();
        let page = execute_ordered(index, &query, Sorting::default(), 1, true, false).unwrap();
        let ids = page
            .records
            .iter()
            .map(|r| r["_id"].as_str().unwrap().to_owned())
            .collect();
        (ids, page.total)
    }

    #[test]
    fn a_pinned_value_narrows_by_id() {
        let index = index();
        let within = |op: &str, id: &str| {
            page(
                &index,
                json!({"limit": 10, "offset": 0, "orders": [{"fieldName": "amount", "isAsc": true}],
                       "filters": [
                           {"field_name": "amount", "operator": "EQ", "field_values": ["2"]},
                           {"field_name": "_id", "operator": op, "field_values": [id]}]}),
            )
        };
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(within("GT", "id4"), (ids(&["id5", "id6"]), 2));
        assert_eq!(within("GTE", "id4"), (ids(&["id4", "id5", "id6"]), 3));
        assert_eq!(within("LT", "id4"), (ids(&["id3"]), 1));
        assert_eq!(within("LTE", "id4"), (ids(&["id3", "id4"]), 2));
        assert_eq!(within("GT", "id6"), (ids(&[]), 0));
    }

    #[test]
    fn value_bounds_and_missing_values() {
        let index = index();
        let by = |asc: bool, op: &str, v: &str| {
            page(
                &index,
                json!({"limit": 10, "offset": 0, "orders": [{"fieldName": "amount", "isAsc": asc}],
                       "filters": [{"field_name": "amount", "operator": op, "field_values": [v]}]}),
            )
            .0
        };
        assert_eq!(
            by(true, "GT", "1"),
            ["id3", "id4", "id5", "id6", "id7", "id8"]
        );
        assert_eq!(
            by(false, "LT", "3"),
            ["id3", "id4", "id5", "id6", "id0", "id1", "id2"]
        );
        assert_eq!(by(true, "GTE", "3.00"), ["id7", "id8"]);
        // Not a number: compared as text, record by record ("1" < "a").
        assert!(by(true, "GT", "a").is_empty());
        // No filter: the record without an amount sorts last ascending, first descending.
        let all = |asc: bool| {
            page(
                &index,
                json!({"limit": 10, "offset": 0,
                       "orders": [{"fieldName": "amount", "isAsc": asc}]}),
            )
            .0
        };
        assert_eq!(all(true).last().map(String::as_str), Some("id9"));
        assert_eq!(all(false).first().map(String::as_str), Some("id9"));
    }

    #[test]
    fn the_index_is_rebuilt_after_a_write() {
        let mut index = index();
        let info =
            json!({"limit": 3, "offset": 0, "orders": [{"fieldName": "amount", "isAsc": true}]});
        assert_eq!(page(&index, info.clone()).0, ["id0", "id1", "id2"]);
        index.insert(
            "id00",
            json!({"_id": "id00", "amount": "0"}).to_string().into(),
        );
        assert_eq!(page(&index, info.clone()).0, ["id00", "id0", "id1"]);
        index.remove("id0");
        assert_eq!(page(&index, info).0, ["id00", "id1", "id2"]);
    }

    #[test]
    fn unstable_ties_shuffle_within_groups_only() {
        let index = index();
        let limits = Limits {
            max_limit: 100,
            max_offset: 10_000,
        };
        let unstable = Sorting {
            unstable_ties: true,
            ..Sorting::default()
        };
        let amounts = |page: &Page| -> Vec<String> {
            page.records
                .iter()
                .map(|r| {
                    r.get("amount")
                        .and_then(|a| a.as_str())
                        .unwrap_or("-")
                        .to_owned()
                })
                .collect()
        };
        let mut orders_seen = std::collections::BTreeSet::new();
        for seed in 1..40 {
            // Pages of 2 cut through the tie groups; together they hold every record once.
            let mut all_amounts = Vec::new();
            for offset in (0..10).step_by(2) {
                let info = json!({"limit": 2, "offset": offset,
                                  "orders": [{"fieldName": "amount", "isAsc": true}]});
                let query = parse(Some(&info), limits).unwrap();
                let page = execute_ordered(&index, &query, unstable, seed, true, false).unwrap();
                assert_eq!(page.total, 10);
                all_amounts.extend(amounts(&page));
            }
            assert_eq!(
                all_amounts,
                ["1", "1", "1", "2", "2", "2", "2", "3", "3", "-"]
            );
            let info = json!({"limit": 10, "offset": 0,
                              "orders": [{"fieldName": "amount", "isAsc": true}]});
            let query = parse(Some(&info), limits).unwrap();
            let whole = execute_ordered(&index, &query, unstable, seed, true, false).unwrap();
            let whole: Vec<String> = whole
                .records
                .iter()
                .map(|r| r["_id"].as_str().unwrap().to_owned())
                .collect();
            let mut sorted = whole.clone();
            sorted.sort();
            assert_eq!(sorted.len(), 10);
            sorted.dedup();
            assert_eq!(sorted.len(), 10, "every record once: {whole:?}");
            orders_seen.insert(whole);
        }
        assert!(
            orders_seen.len() > 5,
            "ties come in new orders: {}",
            orders_seen.len()
        );
    }
}
