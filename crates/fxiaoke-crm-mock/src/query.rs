//! Evaluation of `search_query_info` on stored records: parsing and validation (paging rules,
//! operators and their arity), filters, orders, projection and the page.
//!
//! Comparison rules (module docs of [`super`] list them as assumptions):
//! - a record value is seen as a list of text scalars: a string is itself, a number its
//!   decimal text, a boolean `"true"`/`"false"`, a list its elements, `null`/missing nothing;
//! - two scalars compare as decimals when both are numbers (`"300.00"` = `"300"`, epoch ms),
//!   else as text; `_id` always as text;
//! - a filter on a list field matches when any element matches; negated operators are the
//!   exact complement of their positive (so they match records without the field).

use std::cmp::Ordering;
use std::ops::Bound;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::index::IdIndex;
use super::{ApiFail, codes, order_index, store};

/// The filter operators of the document and docs/vendors.md §1.5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operator {
    Eq,
    N,
    Gt,
    Gte,
    Lt,
    Lte,
    Like,
    NLike,
    Is,
    Isn,
    In,
    Nin,
    Between,
    NBetween,
    StartWith,
    EndWith,
    Contains,
    HasAnyOf,
    NHasAnyOf,
    Exists,
    NExists,
}

/// The wire names of the operators.
pub(crate) const OPERATORS: &[(&str, Operator)] = &[
    ("EQ", Operator::Eq),
    ("N", Operator::N),
    ("GT", Operator::Gt),
    ("GTE", Operator::Gte),
    ("LT", Operator::Lt),
    ("LTE", Operator::Lte),
    ("LIKE", Operator::Like),
    ("NLIKE", Operator::NLike),
    ("IS", Operator::Is),
    ("ISN", Operator::Isn),
    ("IN", Operator::In),
    ("NIN", Operator::Nin),
    ("BETWEEN", Operator::Between),
    ("NBETWEEN", Operator::NBetween),
    ("STARTWITH", Operator::StartWith),
    ("ENDWITH", Operator::EndWith),
    ("CONTAINS", Operator::Contains),
    ("HASANYOF", Operator::HasAnyOf),
    ("NHASANYOF", Operator::NHasAnyOf),
    ("EXISTS", Operator::Exists),
    ("NEXISTS", Operator::NExists),
];

impl Operator {
    /// The operator of a wire name (exact, upper case).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        OPERATORS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, op)| *op)
    }

    /// How many values the operator needs: `(min, max)`.
    fn arity(self) -> (usize, Option<usize>) {
        use Operator::*;
        match self {
            Is | Isn | Exists | NExists => (0, None),
            Between | NBetween => (2, Some(2)),
            _ => (1, None),
        }
    }
}

/// One parsed filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) field: String,
    pub(crate) op: Operator,
    pub(crate) values: Vec<String>,
}

/// One parsed order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Order {
    pub(crate) field: String,
    pub(crate) asc: bool,
}

/// Paging limits of the mock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_limit: u32,
    pub(crate) max_offset: u32,
}

/// A parsed and validated `search_query_info`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SearchQuery {
    /// Effective page size (clamped to the maximum).
    pub(crate) limit: u64,
    pub(crate) offset: u64,
    pub(crate) filters: Vec<Filter>,
    pub(crate) orders: Vec<Order>,
    /// Fields to return (`_id` always added); `None`: all.
    pub(crate) projection: Option<Vec<String>>,
}

/// Default page size.
pub(crate) const DEFAULT_LIMIT: u64 = 20;

fn int_param(value: Option<&Value>, name: &str) -> Result<Option<i64>, ApiFail> {
    let bad = || ApiFail::param(format!("the parameter {name} must be an integer"));
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if n.is_u64() {
                Ok(Some(i64::MAX))
            } else {
                match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                    _ => Err(bad()),
                }
            }
        }
        Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

fn filter_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn list<'a>(value: Option<&'a Value>, name: &str) -> Result<&'a [Value], ApiFail> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(ApiFail::param(format!(
            "the parameter {name} must be a list"
        ))),
    }
}

fn parse_filter(value: &Value, index: usize) -> Result<Filter, ApiFail> {
    let Value::Object(f) = value else {
        return Err(ApiFail::param(format!(
            "filters[{index}] must be an object"
        )));
    };
    let field = match f.get("field_name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(ApiFail::missing(&format!("filters[{index}].field_name"))),
    };
    let op_name = match f.get("operator") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(ApiFail::missing(&format!("filters[{index}].operator"))),
    };
    let op = Operator::parse(op_name)
        .ok_or_else(|| ApiFail::param(format!("filters[{index}]: unknown operator {op_name:?}")))?;
    let raw = match f.get("field_values") {
        Some(Value::Array(items)) => items.as_slice(),
        None | Some(Value::Null) if op.arity().0 == 0 => &[],
        _ => {
            return Err(ApiFail::param(format!(
                "filters[{index}].field_values must be a list (even for one value)"
            )));
        }
    };
    let values = raw
        .iter()
        .map(filter_value)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            ApiFail::param(format!("filters[{index}].field_values must hold scalars"))
        })?;
    let (min, max) = op.arity();
    if values.len() < min || max.is_some_and(|max| values.len() > max) {
        let wanted = match max {
            Some(max) if max == min => format!("exactly {min}"),
            _ => format!("at least {min}"),
        };
        return Err(ApiFail::param(format!(
            "filters[{index}]: operator {op_name} needs {wanted} value(s) in field_values, got {}",
            values.len()
        )));
    }
    Ok(Filter { field, op, values })
}

fn parse_order(value: &Value, index: usize) -> Result<Order, ApiFail> {
    let Value::Object(o) = value else {
        return Err(ApiFail::param(format!("orders[{index}] must be an object")));
    };
    let field = match o.get("fieldName") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(ApiFail::missing(&format!("orders[{index}].fieldName"))),
    };
    let asc = match o.get("isAsc") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiFail::param(format!(
                "orders[{index}].isAsc must be a boolean"
            )));
        }
    };
    Ok(Order { field, asc })
}

/// Parses and validates `search_query_info` (absent: defaults).
pub(crate) fn parse(info: Option<&Value>, limits: Limits) -> Result<SearchQuery, ApiFail> {
    let empty = Map::new();
    let info = match info {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err(ApiFail::missing("search_query_info")),
    };
    let requested = int_param(info.get("limit"), "limit")?.unwrap_or(DEFAULT_LIMIT as i64);
    if requested < 1 {
        return Err(ApiFail::param(format!(
            "limit must be at least 1, got {requested}"
        )));
    }
    let requested = requested as u64;
    let limit = requested.min(u64::from(limits.max_limit.max(1)));
    let offset = int_param(info.get("offset"), "offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(ApiFail::param(format!(
            "offset must not be negative, got {offset}"
        )));
    }
    let offset = offset as u64;
    if offset > u64::from(limits.max_offset) {
        let max = limits.max_offset;
        return Err(ApiFail::new(
            codes::OFFSET_OUT_OF_RANGE,
            format!("offset out of range {max}"),
            format!("offset 不能超过{max}"),
        ));
    }
    if !offset.is_multiple_of(requested) && !offset.is_multiple_of(limit) {
        return Err(ApiFail::param(format!(
            "offset must be a multiple of limit (offset {offset}, limit {requested})"
        )));
    }
    let filters = list(info.get("filters"), "filters")?
        .iter()
        .enumerate()
        .map(|(i, f)| parse_filter(f, i))
        .collect::<Result<Vec<_>, _>>()?;
    let orders = list(info.get("orders"), "orders")?
        .iter()
        .enumerate()
        .map(|(i, o)| parse_order(o, i))
        .collect::<Result<Vec<_>, _>>()?;
    let projection = match info.get("fieldProjection") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) if items.is_empty() => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ApiFail::param("fieldProjection must be a list of field names"))?,
        ),
        Some(_) => {
            return Err(ApiFail::param(
                "fieldProjection must be a list of field names",
            ));
        }
    };
    Ok(SearchQuery {
        limit,
        offset,
        filters,
        orders,
        projection,
    })
}

/// A decimal when `s` is a plain number (`-12`, `300.00`, `1.5e3`); never for ids like
/// `5a99…` or text with separators.
pub(crate) fn number(s: &str) -> Option<Decimal> {
    let bytes = s.as_bytes();
    let mut i = 0;
    if matches!(bytes.first(), Some(b'-' | b'+')) {
        i = 1;
    }
    let mut digits = 0;
    let mut dot = false;
    let mut exp = false;
    while i < bytes.len() {
        match bytes[i] {
            b'0'..=b'9' => digits += 1,
            b'.' if !dot && !exp => dot = true,
            b'e' | b'E' if !exp && digits > 0 => {
                exp = true;
                if matches!(bytes.get(i + 1), Some(b'-' | b'+')) {
                    i += 1;
                }
                if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            _ => return None,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    if exp {
        Decimal::from_scientific(s).ok()
    } else {
        Decimal::from_str(s).ok()
    }
}

/// The scalars of a record value.
fn scalars(value: Option<&Value>) -> Vec<String> {
    fn one(v: &Value) -> Option<String> {
        match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => Some(other.to_string()),
        }
    }
    match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
    }
}

fn is_empty(elems: &[String]) -> bool {
    elems.iter().all(String::is_empty)
}

/// Compares two scalars of `field` (numbers as decimals, `_id` and text as text).
fn compare(field: &str, a: &str, b: &str) -> Ordering {
    if field != "_id"
        && let (Some(x), Some(y)) = (number(a), number(b))
    {
        return x.cmp(&y);
    }
    a.cmp(b)
}

fn equal(field: &str, a: &str, b: &str) -> bool {
    a == b || compare(field, a, b) == Ordering::Equal
}

/// Whether `record` satisfies `filter`.
pub(crate) fn matches(record: &Map<String, Value>, filter: &Filter) -> bool {
    use Operator::*;
    let field = filter.field.as_str();
    let value = record.get(field);
    let elems = scalars(value);
    let vals = &filter.values;
    let any_eq = || {
        elems
            .iter()
            .any(|e| vals.iter().any(|v| equal(field, e, v)))
    };
    let first = vals.first().map(String::as_str).unwrap_or_default();
    let any_cmp = |ok: fn(Ordering) -> bool| elems.iter().any(|e| ok(compare(field, e, first)));
    let any_text = |ok: fn(&str, &str) -> bool| elems.iter().any(|e| vals.iter().any(|v| ok(e, v)));
    let between = || {
        let (lo, hi) = match vals.as_slice() {
            [lo, hi, ..] => (lo.as_str(), hi.as_str()),
            _ => return false,
        };
        elems.iter().any(|e| {
            compare(field, e, lo) != Ordering::Less && compare(field, e, hi) != Ordering::Greater
        })
    };
    let eq = || any_eq() || (vals.iter().any(String::is_empty) && is_empty(&elems));
    match filter.op {
        Eq => eq(),
        N => !eq(),
        Gt => any_cmp(|o| o == Ordering::Greater),
        Gte => any_cmp(|o| o != Ordering::Less),
        Lt => any_cmp(|o| o == Ordering::Less),
        Lte => any_cmp(|o| o != Ordering::Greater),
        Like => any_text(|e, v| e.contains(v)),
        NLike => !any_text(|e, v| e.contains(v)),
        Is => is_empty(&elems),
        Isn => !is_empty(&elems),
        In | Contains | HasAnyOf => any_eq(),
        Nin | NHasAnyOf => !any_eq(),
        Between => between(),
        NBetween => !between(),
        StartWith => any_text(|e, v| e.starts_with(v)),
        EndWith => any_text(|e, v| e.ends_with(v)),
        Exists => value.is_some_and(|v| !v.is_null()),
        NExists => value.is_none_or(Value::is_null),
    }
}

/// Sort key of a value: numbers, then text, then missing (a total order).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    Num(Decimal),
    Text(String),
    Missing,
}

pub(crate) fn key(field: &str, value: Option<&Value>) -> Key {
    match scalars(value).into_iter().find(|s| !s.is_empty()) {
        None => Key::Missing,
        Some(s) if field == "_id" => Key::Text(s),
        Some(s) => match number(&s) {
            Some(n) => Key::Num(n),
            None => Key::Text(s),
        },
    }
}

fn id_of(record: &Map<String, Value>) -> &str {
    record
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// How the mock sorts what a query's orders leave open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sorting {
    /// Empty values are the smallest (first when ascending), instead of the largest.
    pub(crate) empties_first: bool,
    /// Ties on every requested order come in a random order (a new one on every call), as a
    /// database returns them, instead of by `_id`.
    pub(crate) unstable_ties: bool,
}

pub(crate) fn compare_key(a: &Key, b: &Key, empties_first: bool) -> Ordering {
    match (a, b) {
        (Key::Missing, Key::Missing) => Ordering::Equal,
        (Key::Missing, _) if empties_first => Ordering::Less,
        (_, Key::Missing) if empties_first => Ordering::Greater,
        _ => a.cmp(b),
    }
}

/// Orders two records by their precomputed order keys; ties (and no orders) by `_id`
/// ascending, or by a random tie-breaker when ties are unstable.
fn compare_keyed(a: &Keyed<'_>, b: &Keyed<'_>, orders: &[Order], sorting: Sorting) -> Ordering {
    for ((ka, kb), order) in a.keys.iter().zip(&b.keys).zip(orders) {
        let o = compare_key(ka, kb, sorting.empties_first);
        let o = if order.asc { o } else { o.reverse() };
        if o != Ordering::Equal {
            return o;
        }
    }
    if sorting.unstable_ties {
        a.tie.cmp(&b.tie)
    } else {
        a.id.cmp(b.id)
    }
}

/// A matching record with its sort keys, computed once per query.
struct Keyed<'a> {
    keys: Vec<Key>,
    id: &'a str,
    /// A random tie-breaker (unstable ties only).
    tie: u64,
    record: &'a Map<String, Value>,
}

/// The fields of `record` to return.
pub(crate) fn project(
    record: &Map<String, Value>,
    projection: Option<&[String]>,
) -> Map<String, Value> {
    let mut out = match projection {
        None => record.clone(),
        Some(fields) => fields
            .iter()
            .filter_map(|f| record.get(f).map(|v| (f.clone(), v.clone())))
            .collect(),
    };
    if let Some(id) = record.get("_id") {
        out.entry("_id").or_insert_with(|| id.clone());
    }
    out.retain(|_, v| !v.is_null());
    out
}

/// [`project`] of a record the caller owns: its values are moved, not copied.
pub(crate) fn project_owned(
    mut record: Map<String, Value>,
    projection: Option<&[String]>,
) -> Map<String, Value> {
    let Some(fields) = projection else {
        record.retain(|_, v| !v.is_null());
        return record;
    };
    let id = record.get("_id").cloned();
    let mut out: Map<String, Value> = fields
        .iter()
        .filter_map(|f| record.remove(f).map(|v| (f.clone(), v)))
        .collect();
    if let Some(id) = id {
        out.entry("_id").or_insert(id);
    }
    out.retain(|_, v| !v.is_null());
    out
}

/// One page of a query.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Page {
    pub(crate) total: usize,
    pub(crate) records: Vec<Map<String, Value>>,
    /// The page as the records' JSON texts instead of `records` (see [`execute_indexed`]).
    pub(crate) texts: Option<Vec<String>>,
}

/// Runs `query` over `records`; `seed` drives the random tie order of unstable ties.
pub(crate) fn execute<'a>(
    records: impl IntoIterator<Item = &'a Map<String, Value>>,
    query: &SearchQuery,
    sorting: Sorting,
    seed: u64,
) -> Page {
    let mut tie = seed | 1;
    let mut hits: Vec<Keyed<'a>> = records
        .into_iter()
        .filter(|r| query.filters.iter().all(|f| matches(r, f)))
        .map(|record| {
            // xorshift64: enough to shuffle ties.
            tie ^= tie << 13;
            tie ^= tie >> 7;
            tie ^= tie << 17;
            Keyed {
                keys: query
                    .orders
                    .iter()
                    .map(|o| key(&o.field, record.get(&o.field)))
                    .collect(),
                id: id_of(record),
                tie,
                record,
            }
        })
        .collect();
    hits.sort_by(|a, b| compare_keyed(a, b, &query.orders, sorting));
    let total = hits.len();
    let skip = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let take = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let records = hits
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|hit| project(hit.record, query.projection.as_deref()))
        .collect();
    Page {
        total,
        records,
        texts: None,
    }
}

/// How a query walks the `_id` index: the range its `_id` filters allow, the direction, and
/// the filters left to check on each record.
#[derive(Debug)]
struct IdPlan<'q> {
    lo: Bound<&'q str>,
    hi: Bound<&'q str>,
    asc: bool,
    residual: Vec<&'q Filter>,
}

/// The tighter of two lower bounds (`upper`: of two upper bounds).
fn tighter<'q>(old: Bound<&'q str>, new: Bound<&'q str>, upper: bool) -> Bound<&'q str> {
    let key = |b: &Bound<&'q str>| match b {
        Bound::Included(k) | Bound::Excluded(k) => Some(*k),
        Bound::Unbounded => None,
    };
    match (key(&old), key(&new)) {
        (None, _) => new,
        (_, None) => old,
        (Some(a), Some(b)) => match (a.cmp(b), upper) {
            (Ordering::Less, false) | (Ordering::Greater, true) => new,
            (Ordering::Greater, false) | (Ordering::Less, true) => old,
            (Ordering::Equal, _) if matches!(new, Bound::Excluded(_)) => new,
            (Ordering::Equal, _) => old,
        },
    }
}

/// The index walk for `query` when its order is the `_id` order: the first order is `_id`
/// (so the others never decide, ids being unique), or there are no orders and ties are broken
/// by `_id`. `None`: the query needs the full sort.
///
/// `_id` values compare as text (see [`compare`]) and every record has a non-empty `_id`, so
/// `_id GT/GTE/LT/LTE v`, `BETWEEN lo hi` and `EQ v` (one value) are exactly key ranges of the
/// index; other filters stay to be checked on each record of the range.
fn id_plan(query: &SearchQuery, sorting: Sorting) -> Option<IdPlan<'_>> {
    let asc = match query.orders.first() {
        Some(order) if order.field == "_id" => order.asc,
        Some(_) => return None,
        None if sorting.unstable_ties => return None,
        None => true,
    };
    let mut plan = IdPlan {
        lo: Bound::Unbounded,
        hi: Bound::Unbounded,
        asc,
        residual: Vec::new(),
    };
    for filter in &query.filters {
        let first = filter.values.first().map(String::as_str);
        let (lo, hi) = match (filter.field == "_id", filter.op, first) {
            (true, Operator::Gt, Some(v)) => (Bound::Excluded(v), Bound::Unbounded),
            (true, Operator::Gte, Some(v)) => (Bound::Included(v), Bound::Unbounded),
            (true, Operator::Lt, Some(v)) => (Bound::Unbounded, Bound::Excluded(v)),
            (true, Operator::Lte, Some(v)) => (Bound::Unbounded, Bound::Included(v)),
            (true, Operator::Eq, Some(v)) if filter.values.len() == 1 => {
                (Bound::Included(v), Bound::Included(v))
            }
            (true, Operator::Between, Some(v)) if filter.values.len() == 2 => (
                Bound::Included(v),
                Bound::Included(filter.values[1].as_str()),
            ),
            _ => {
                plan.residual.push(filter);
                continue;
            }
        };
        plan.lo = tighter(plan.lo, lo, false);
        plan.hi = tighter(plan.hi, hi, true);
    }
    Some(plan)
}

/// Runs `query` over the records of one object's index: a walk of the `_id` index from the
/// query's bound that stops once the page is full when the order is the `_id` order
/// (`O(log n + offset + limit)` records read when the other filters match); a walk of the
/// object's order index (see [`super::order_index`]) for other orders with stable ties; else
/// [`execute`] over every record. `count`: whether `total` is wanted (with filters other than
/// on `_id`, counting reads the whole range); without it `total` is the page's size. `raw`:
/// an indexed page without projection comes back as the stored texts (`texts`), which are
/// exactly the records' answer form (no nulls, `_id` included), so they are never parsed.
pub(crate) fn execute_indexed(
    index: Option<&IdIndex>,
    query: &SearchQuery,
    sorting: Sorting,
    seed: u64,
    count: bool,
    raw: bool,
) -> Page {
    let Some(index) = index else {
        return Page {
            total: 0,
            records: Vec::new(),
            texts: None,
        };
    };
    // A tie scan reads one value's records: the order index has them together.
    if let Some(scan) = order_index::as_value_scan(query)
        && let Some(page) = order_index::execute_ordered(index, &scan, sorting, seed, count, raw)
    {
        return page;
    }
    let Some(plan) = id_plan(query, sorting) else {
        if let Some(page) = order_index::execute_ordered(index, query, sorting, seed, count, raw) {
            return page;
        }
        let records: Vec<Map<String, Value>> = index
            .iter()
            .filter_map(|(_, text)| store::decode(text))
            .collect();
        return execute(&records, query, sorting, seed);
    };
    let skip = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let take = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let projection = query.projection.as_deref();
    let raw = raw && projection.is_none();
    let mut texts = Vec::new();
    let mut records = Vec::new();
    let mut matched = 0usize;
    for (_, text) in index.range(plan.lo, plan.hi, plan.asc) {
        let full = matched >= skip.saturating_add(take);
        if full && (plan.residual.is_empty() || !count) {
            break;
        }
        let wanted = !full && matched >= skip;
        if plan.residual.is_empty() {
            // Skipped records are never parsed.
            if wanted && raw {
                texts.push(text.to_owned());
            } else if wanted && let Some(record) = store::decode(text) {
                records.push(project_owned(record, projection));
            }
            matched += 1;
            continue;
        }
        let Some(record) = store::decode(text) else {
            continue;
        };
        if plan.residual.iter().all(|f| matches(&record, f)) {
            if wanted && raw {
                texts.push(text.to_owned());
            } else if wanted {
                records.push(project_owned(record, projection));
            }
            matched += 1;
        }
    }
    let total = if plan.residual.is_empty() && count {
        index.count(plan.lo, plan.hi)
    } else {
        matched
    };
    Page {
        total,
        records,
        texts: raw.then_some(texts),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    const LIMITS: Limits = Limits {
        max_limit: 100,
        max_offset: 10_000,
    };

    fn rec(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    fn records() -> Vec<Map<String, Value>> {
        vec![
            rec(
                json!({"_id": "a1", "name": "20180302-000001", "payment_amount": "300.00", "payment_time": 1_517_328_000_000_i64,
                "owner": ["FSUID_A"], "remark": "首付款 alpha", "tags__c": ["x", "y"], "flag__c": true}),
            ),
            rec(
                json!({"_id": "a2", "name": "20180302-000002", "payment_amount": "20.5", "payment_time": 1_517_414_400_000_i64,
                "owner": ["FSUID_B", "FSUID_C"], "remark": "", "tags__c": ["z"], "flag__c": false}),
            ),
            rec(
                json!({"_id": "a3", "name": "20180303-000003", "payment_amount": "1000", "payment_time": 1_517_500_800_000_i64,
                "owner": ["FSUID_A"], "tags__c": [], "nullable": null}),
            ),
        ]
    }

    fn ids(op: &str, field: &str, values: Value) -> Vec<String> {
        let info =
            json!({"filters": [{"field_name": field, "field_values": values, "operator": op}]});
        let q = parse(Some(&info), LIMITS).unwrap();
        let data = records();
        execute(&data, &q, Sorting::default(), 1)
            .records
            .iter()
            .map(|r| r["_id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn eq_and_n() {
        assert_eq!(ids("EQ", "payment_amount", json!(["300"])), ["a1"]);
        assert_eq!(ids("EQ", "owner", json!(["FSUID_C"])), ["a2"]);
        assert_eq!(ids("EQ", "flag__c", json!([true])), ["a1"]);
        assert_eq!(ids("EQ", "remark", json!([""])), ["a2", "a3"]);
        assert_eq!(ids("N", "payment_amount", json!(["300.0"])), ["a2", "a3"]);
        assert_eq!(ids("N", "owner", json!(["FSUID_A"])), ["a2"]);
        assert_eq!(ids("N", "remark", json!(["首付款 alpha"])), ["a2", "a3"]);
    }

    #[test]
    fn ordering_operators_are_numeric_aware() {
        assert_eq!(ids("GT", "payment_amount", json!(["100"])), ["a1", "a3"]);
        assert_eq!(ids("GTE", "payment_amount", json!(["300"])), ["a1", "a3"]);
        assert_eq!(ids("LT", "payment_amount", json!([300])), ["a2"]);
        assert_eq!(
            ids("LTE", "payment_amount", json!(["300.00"])),
            ["a1", "a2"]
        );
        assert_eq!(
            ids("GT", "payment_time", json!(["1517328000000"])),
            ["a2", "a3"]
        );
        assert_eq!(
            ids("LT", "payment_time", json!([1_517_414_400_000_i64])),
            ["a1"]
        );
        // Text compare when not both numbers.
        assert_eq!(ids("GT", "name", json!(["20180302-000001"])), ["a2", "a3"]);
        assert_eq!(ids("GT", "_id", json!(["a1"])), ["a2", "a3"]);
        assert_eq!(ids("LTE", "_id", json!(["a2"])), ["a1", "a2"]);
    }

    #[test]
    fn text_operators() {
        assert_eq!(ids("LIKE", "remark", json!(["alpha"])), ["a1"]);
        assert_eq!(ids("NLIKE", "remark", json!(["alpha"])), ["a2", "a3"]);
        assert_eq!(ids("STARTWITH", "name", json!(["20180302"])), ["a1", "a2"]);
        assert_eq!(ids("ENDWITH", "name", json!(["03"])), ["a3"]);
        assert_eq!(ids("STARTWITH", "owner", json!(["FSUID_B"])), ["a2"]);
    }

    #[test]
    fn emptiness_and_existence() {
        assert_eq!(ids("IS", "remark", json!([])), ["a2", "a3"]);
        assert_eq!(ids("IS", "remark", json!([""])), ["a2", "a3"]);
        assert_eq!(ids("IS", "tags__c", json!([])), ["a3"]);
        assert_eq!(ids("ISN", "remark", json!([])), ["a1"]);
        assert_eq!(ids("EXISTS", "remark", json!([])), ["a1", "a2"]);
        assert_eq!(ids("EXISTS", "nullable", json!([])), Vec::<String>::new());
        assert_eq!(ids("NEXISTS", "remark", json!([])), ["a3"]);
        assert_eq!(ids("NEXISTS", "nullable", json!([])), ["a1", "a2", "a3"]);
        // IS/ISN/EXISTS/NEXISTS accept a missing field_values.
        let info = json!({"filters": [{"field_name": "remark", "operator": "IS"}]});
        assert!(parse(Some(&info), LIMITS).is_ok());
    }

    #[test]
    fn set_operators() {
        assert_eq!(ids("IN", "owner", json!(["FSUID_C", "FSUID_X"])), ["a2"]);
        assert_eq!(
            ids("IN", "payment_amount", json!(["1000.00", "20.50"])),
            ["a2", "a3"]
        );
        assert_eq!(ids("NIN", "owner", json!(["FSUID_A"])), ["a2"]);
        assert_eq!(ids("NIN", "remark", json!(["x"])), ["a1", "a2", "a3"]);
        assert_eq!(ids("CONTAINS", "tags__c", json!(["y"])), ["a1"]);
        assert_eq!(ids("HASANYOF", "tags__c", json!(["z", "y"])), ["a1", "a2"]);
        assert_eq!(ids("NHASANYOF", "tags__c", json!(["z"])), ["a1", "a3"]);
    }

    #[test]
    fn between_is_inclusive() {
        assert_eq!(
            ids("BETWEEN", "payment_amount", json!(["20.5", "300"])),
            ["a1", "a2"]
        );
        assert_eq!(
            ids("NBETWEEN", "payment_amount", json!(["20.5", "300"])),
            ["a3"]
        );
        assert_eq!(
            ids(
                "BETWEEN",
                "payment_time",
                json!(["1517414400000", "1517500800000"])
            ),
            ["a2", "a3"]
        );
    }

    #[test]
    fn filters_are_anded() {
        let info = json!({"filters": [
            {"field_name": "owner", "field_values": ["FSUID_A"], "operator": "EQ"},
            {"field_name": "payment_amount", "field_values": ["500"], "operator": "GT"}]});
        let q = parse(Some(&info), LIMITS).unwrap();
        let data = records();
        let page = execute(&data, &q, Sorting::default(), 1);
        assert_eq!(page.total, 1);
        assert_eq!(page.records[0]["_id"], json!("a3"));
    }

    #[test]
    fn bad_filters_are_rejected() {
        let bad = |f: Value| parse(Some(&json!({"filters": [f]})), LIMITS).unwrap_err();
        let e = bad(json!({"field_name": "a", "field_values": ["1"], "operator": "NE"}));
        assert_eq!(e.code, codes::PARAM);
        assert!(e.message.contains("unknown operator"), "{e:?}");
        assert_eq!(
            bad(json!({"field_name": "a", "field_values": ["1"], "operator": "eq"})).code,
            codes::PARAM
        );
        assert_eq!(
            bad(json!({"field_name": "a", "field_values": "1", "operator": "EQ"})).code,
            codes::PARAM
        );
        assert_eq!(
            bad(json!({"field_name": "a", "field_values": [], "operator": "EQ"})).code,
            codes::PARAM
        );
        assert_eq!(
            bad(json!({"field_name": "a", "field_values": ["1"], "operator": "BETWEEN"})).code,
            codes::PARAM
        );
        assert_eq!(
            bad(json!({"field_name": "a", "field_values": [["1"]], "operator": "IN"})).code,
            codes::PARAM
        );
        assert_eq!(
            bad(json!({"field_values": ["1"], "operator": "EQ"})).code,
            codes::PARAM
        );
        assert_eq!(
            bad(json!({"field_name": "a", "field_values": ["1"]})).code,
            codes::PARAM
        );
        assert_eq!(bad(json!("EQ")).code, codes::PARAM);
        assert_eq!(
            parse(Some(&json!({"filters": {}})), LIMITS)
                .unwrap_err()
                .code,
            codes::PARAM
        );
        assert_eq!(
            parse(
                Some(&json!({"orders": [{"fieldName": "a", "isAsc": "yes"}]})),
                LIMITS
            )
            .unwrap_err()
            .code,
            codes::PARAM
        );
    }

    #[test]
    fn every_operator_name_parses() {
        for (name, op) in OPERATORS {
            assert_eq!(Operator::parse(name), Some(*op));
        }
        assert_eq!(OPERATORS.len(), 21);
        assert_eq!(Operator::parse("NEQ"), None);
    }

    #[test]
    fn paging_rules() {
        let q = parse(None, LIMITS).unwrap();
        assert_eq!((q.limit, q.offset), (20, 0));
        let q = parse(Some(&json!({"limit": 1000, "offset": 200})), LIMITS).unwrap();
        assert_eq!((q.limit, q.offset), (100, 200));
        let q = parse(Some(&json!({"limit": "5", "offset": "10"})), LIMITS).unwrap();
        assert_eq!((q.limit, q.offset), (5, 10));
        let q = parse(Some(&json!({"limit": 100, "offset": 10_000})), LIMITS).unwrap();
        assert_eq!(q.offset, 10_000);

        let e = parse(Some(&json!({"limit": 100, "offset": 10_100})), LIMITS).unwrap_err();
        assert_eq!(
            e,
            ApiFail::new(10013, "offset out of range 10000", "offset 不能超过10000")
        );
        let e = parse(Some(&json!({"limit": 20, "offset": 30})), LIMITS).unwrap_err();
        assert_eq!(e.code, codes::PARAM);
        assert!(e.message.contains("multiple"));
        assert_eq!(
            parse(Some(&json!({"limit": 0})), LIMITS).unwrap_err().code,
            codes::PARAM
        );
        assert_eq!(
            parse(Some(&json!({"limit": -5})), LIMITS).unwrap_err().code,
            codes::PARAM
        );
        assert_eq!(
            parse(Some(&json!({"offset": -20})), LIMITS)
                .unwrap_err()
                .code,
            codes::PARAM
        );
        assert_eq!(
            parse(Some(&json!({"limit": "x"})), LIMITS)
                .unwrap_err()
                .code,
            codes::PARAM
        );
        assert_eq!(
            parse(Some(&json!({"limit": 1.5})), LIMITS)
                .unwrap_err()
                .code,
            codes::PARAM
        );
        assert_eq!(
            parse(Some(&json!([])), LIMITS).unwrap_err().code,
            codes::PARAM
        );
        // Huge values do not overflow.
        let e = parse(
            Some(&json!({"limit": u64::MAX, "offset": u64::MAX})),
            LIMITS,
        )
        .unwrap_err();
        assert_eq!(e.code, 10013);
    }

    #[test]
    fn page_slices_after_sorting() {
        let data: Vec<_> = (0..45)
            .map(|i| rec(json!({"_id": format!("id{i:03}"), "n": (i * 7) % 45})))
            .collect();
        let q = parse(Some(&json!({"limit": 20, "offset": 40})), LIMITS).unwrap();
        let page = execute(&data, &q, Sorting::default(), 1);
        assert_eq!(page.total, 45);
        assert_eq!(page.records.len(), 5);
        assert_eq!(page.records[0]["_id"], json!("id040"));
        let q = parse(Some(&json!({"limit": 20, "offset": 60})), LIMITS).unwrap();
        assert!(execute(&data, &q, Sorting::default(), 1).records.is_empty());
    }

    #[test]
    fn orders_are_numeric_aware_with_id_tiebreak() {
        let data = vec![
            rec(json!({"_id": "c", "amount": "9", "k": "b"})),
            rec(json!({"_id": "a", "amount": "10", "k": "b"})),
            rec(json!({"_id": "b", "amount": "9.00", "k": "a"})),
            rec(json!({"_id": "d", "k": "a"})),
            rec(json!({"_id": "e", "amount": "abc", "k": "a"})),
        ];
        let run = |orders: Value| {
            let q = parse(Some(&json!({"orders": orders})), LIMITS).unwrap();
            execute(&data, &q, Sorting::default(), 1)
                .records
                .iter()
                .map(|r| r["_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(json!([])), ["a", "b", "c", "d", "e"]);
        assert_eq!(
            run(json!([{"fieldName": "amount", "isAsc": true}])),
            ["b", "c", "a", "e", "d"]
        );
        assert_eq!(
            run(json!([{"fieldName": "amount", "isAsc": false}])),
            ["d", "e", "a", "b", "c"]
        );
        assert_eq!(
            run(
                json!([{"fieldName": "k", "isAsc": true}, {"fieldName": "amount", "isAsc": false}])
            ),
            ["d", "e", "b", "a", "c"]
        );
    }

    #[test]
    fn sorting_mixed_values_never_panics() {
        let values = [
            json!("2"),
            json!("10"),
            json!("1a"),
            json!(3),
            json!(true),
            json!(null),
            json!(["x", 1]),
            json!({"a": 1}),
            json!(""),
            json!("1e3"),
            json!("-0"),
            json!("NaN"),
            json!("inf"),
        ];
        let data: Vec<_> = values
            .iter()
            .cycle()
            .take(200)
            .enumerate()
            .map(|(i, v)| rec(json!({"_id": format!("{:03}", (i * 37) % 200), "v": v})))
            .collect();
        for asc in [true, false] {
            let q = parse(
                Some(&json!({"limit": 100, "orders": [{"fieldName": "v", "isAsc": asc}]})),
                LIMITS,
            )
            .unwrap();
            assert_eq!(execute(&data, &q, Sorting::default(), 1).total, 200);
        }
    }

    #[test]
    fn projection_keeps_id() {
        let q = parse(
            Some(&json!({"fieldProjection": ["name", "missing"]})),
            LIMITS,
        )
        .unwrap();
        let data = records();
        let page = execute(&data, &q, Sorting::default(), 1);
        assert_eq!(
            page.records[0],
            rec(json!({"_id": "a1", "name": "20180302-000001"}))
        );
        // An empty projection returns everything; nulls are never returned.
        let q = parse(Some(&json!({"fieldProjection": []})), LIMITS).unwrap();
        let page = execute(&data, &q, Sorting::default(), 1);
        assert!(page.records[0].contains_key("remark"));
        assert!(!page.records[2].contains_key("nullable"));
        assert_eq!(
            parse(Some(&json!({"fieldProjection": [1]})), LIMITS)
                .unwrap_err()
                .code,
            codes::PARAM
        );
    }

    #[test]
    fn id_bounds_meet() {
        // Two bounds on one key: the exclusive one wins, whatever the filters' order.
        let run = |filters: Value| {
            let q = parse(Some(&json!({"filters": filters})), LIMITS).unwrap();
            let data = records();
            let mut index = IdIndex::default();
            for r in &data {
                index.insert(
                    r["_id"].as_str().unwrap(),
                    serde_json::to_string(r).unwrap().into(),
                );
            }
            let page = execute_indexed(Some(&index), &q, Sorting::default(), 1, true, false);
            let ids: Vec<String> = page
                .records
                .iter()
                .map(|r| r["_id"].as_str().unwrap().to_owned())
                .collect();
            (page.total, ids)
        };
        let f =
            |op: &str, v: &str| json!({"field_name": "_id", "field_values": [v], "operator": op});
        assert_eq!(
            run(json!([f("GTE", "a2"), f("GT", "a2")])),
            (1, vec!["a3".to_owned()])
        );
        assert_eq!(
            run(json!([f("GT", "a2"), f("GTE", "a2")])),
            (1, vec!["a3".to_owned()])
        );
        assert_eq!(
            run(json!([f("LTE", "a2"), f("LT", "a2")])),
            (1, vec!["a1".to_owned()])
        );
        assert_eq!(
            run(json!([f("LT", "a2"), f("LTE", "a2")])),
            (1, vec!["a1".to_owned()])
        );
        assert_eq!(
            run(json!([f("GTE", "a2"), f("LTE", "a2")])),
            (1, vec!["a2".to_owned()])
        );
        assert_eq!(run(json!([f("GT", "a3"), f("LT", "a1")])), (0, vec![]));
        // A remaining filter is checked on each record of the range, and counted.
        let amount =
            json!({"field_name": "payment_amount", "field_values": ["100"], "operator": "GT"});
        assert_eq!(
            run(json!([f("GT", "a0"), amount])),
            (2, vec!["a1".to_owned(), "a3".to_owned()])
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(number("300.00"), number("300"));
        assert_eq!(number("1.5e3"), number("1500"));
        assert_eq!(number("+7"), number("7"));
        for s in [
            "", "-", ".", "1_000", "5a99", "1e", "e5", " 1", "NaN", "inf", "1.2.3", "0x10",
        ] {
            assert_eq!(number(s), None, "{s}");
        }
        assert!(number("99999999999999999999999999999999999").is_none());
        assert!(number("1e99").is_none());
    }
}
