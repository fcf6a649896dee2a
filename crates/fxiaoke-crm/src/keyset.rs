//! The cursor decisions of a query stream, apart from the I/O: which request comes next and when
//! the stream is over. Pure functions over plain data, so every case has a table test.
//!
//! # The order
//!
//! A stream orders by the user's order fields `f1 … fk`, then by `_id` (ascending unless the
//! user ordered by `_id`), so that the order is total. Within each field, **empty** values
//! (absent, `null`, `""`, `[]`) come after every value when ascending and before every value
//! when descending, like SQL's default `NULLS LAST` / `NULLS FIRST`.
//!
//! # Keyset with AND-only filters
//!
//! The API can only AND filters, so "after the last record" (a lexicographic OR) is read as a
//! sequence of requests, each of which pins some fields and ranges over one:
//!
//! - fields before the ranged one are **pinned**: `f EQ v`, or `f IS` for the empty values;
//! - the **last** order field is read in pages ordered by `(fk, _id)` with `fk ISN` and a bound
//!   (`fk GT v`, or `fk GTE v` skipping the ids already delivered when the last value's group is
//!   small); a group that does not fit the rest of a page is finished with `fk EQ v AND
//!   _id GT id` ordered by `_id` (a *tie* scan), then the range goes on beyond `v`;
//! - an **earlier** field (`j < k`) is read one value at a time: a one-record request finds the
//!   next value `w` (`fj ISN`, `fj GT v`, ordered by `(fj, _id)`), then the group `fj EQ w` is
//!   read at the next depth;
//! - the empty values of each field are their own group (`f IS`), read where the order puts
//!   them.
//!
//! Every request pins the emptiness of the field it ranges over, so where the vendor sorts empty
//! values never matters; only the vendor's order of non-empty values of one field, and of `_id`,
//! is relied on (the same order its `GT`/`LT` filters use).
//!
//! # When a request's records are exhausted
//!
//! When the vendor says no more records match: an empty page, or a page holding all `total`
//! matches (`total` is reported and not zero; a tenant that disables counting reports `0`). A
//! short page is never taken as the end by itself.

use std::collections::HashSet;

/// One order field of a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OrderKey {
    /// The field's API name.
    pub(crate) field: String,
    /// Ascending?
    pub(crate) asc: bool,
}

/// The total order of a stream and its page size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The user's order fields before `_id` (no `_id`, no field twice).
    pub(crate) keys: Vec<OrderKey>,
    /// The direction of `_id`, the final tie-breaker.
    pub(crate) id_asc: bool,
    /// Records per request.
    pub(crate) page_size: u32,
}

impl Plan {
    /// The total order for the user's orders `(field, ascending)`: `_id` ends it (ascending
    /// unless the user ordered by `_id`, after which later fields cannot matter); a field named
    /// twice counts once.
    pub(crate) fn new(orders: &[(String, bool)], page_size: u32) -> Self {
        let mut keys: Vec<OrderKey> = Vec::new();
        let mut id_asc = true;
        for (field, asc) in orders {
            if field == "_id" {
                id_asc = *asc;
                break;
            }
            if !keys.iter().any(|k| &k.field == field) {
                keys.push(OrderKey {
                    field: field.clone(),
                    asc: *asc,
                });
            }
        }
        Self {
            keys,
            id_asc,
            page_size: page_size.max(1),
        }
    }

    /// The fields a record must carry for the stream to continue after it.
    pub(crate) fn key_fields(&self) -> impl Iterator<Item = &str> {
        self.keys
            .iter()
            .map(|k| k.field.as_str())
            .chain(std::iter::once("_id"))
    }
}

/// A value of an order field as the stream sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyValue {
    /// Absent, `null`, `""` or `[]`: matched by `IS`.
    Empty,
    /// A value, as the text a filter compares it with.
    Text(String),
}

/// A record's position in the order: its order-field values and `_id`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RecordKey {
    /// One value per [`Plan::keys`] entry.
    pub(crate) values: Vec<KeyValue>,
    /// `_id`.
    pub(crate) id: String,
}

/// How the stream reached a depth: a pinned value of an earlier field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Pin {
    /// `f IS`: the empty values.
    Empty,
    /// `f EQ v`.
    Eq(String),
}

/// Where a range over the last order field starts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum RangeFrom {
    /// At the first non-empty value.
    Start,
    /// Strictly beyond this value.
    Beyond(String),
    /// At this value or beyond, skipping the records already delivered.
    AtOrBeyond {
        /// The value.
        value: String,
        /// Ids delivered by the previous page (the value's group among them).
        seen: Vec<String>,
    },
}

/// The request at the current depth.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    /// Every order field pinned: pages by `_id`.
    Ids {
        /// The last `_id` delivered at this depth.
        after: Option<String>,
    },
    /// An earlier order field: find its next non-empty value.
    Discover {
        /// The value whose group was read last.
        beyond: Option<String>,
    },
    /// The last order field: pages over its non-empty values.
    Range(RangeFrom),
    /// The last order field: the rest of one value's group, by `_id`.
    Tie {
        /// The value.
        value: String,
        /// The last `_id` of the group delivered.
        after_id: String,
    },
}

/// The position of a stream between two requests. Every field of it is part of the next
/// request, so two different cursors never ask the same thing.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Cursor {
    /// One pin per order field before the current depth.
    pub(crate) pins: Vec<Pin>,
    /// The request at depth `pins.len()`.
    pub(crate) step: Step,
}

/// A comparison the API offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Gt,
    Gte,
    Lt,
    Lte,
    Is,
    Isn,
}

/// One filter of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) field: String,
    pub(crate) op: Op,
    pub(crate) values: Vec<String>,
}

/// What to send for a cursor (besides the user's own filters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    /// Filters ANDed to the user's.
    pub(crate) filters: Vec<Filter>,
    /// The orders, `(field, ascending)`.
    pub(crate) orders: Vec<(String, bool)>,
    /// The page size.
    pub(crate) limit: u32,
}

/// What a page told the stream.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageFacts<'a> {
    /// `data.total`, if reported.
    pub(crate) total: Option<u64>,
    /// The keys of the page's records, in page order.
    pub(crate) keys: &'a [RecordKey],
}

/// The decision after a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Per record of the page: deliver it (false for records delivered already).
    pub(crate) deliver: Vec<bool>,
    /// The next cursor, or `None` when the stream is over.
    pub(crate) next: Option<Cursor>,
}

/// Why a page cannot be continued from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeysetError {
    /// A record has an empty value for the field a `ISN` request ranged over.
    EmptyWhereValueAsked {
        /// The field.
        field: String,
        /// The record.
        id: String,
    },
}

impl std::fmt::Display for KeysetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeysetError::EmptyWhereValueAsked { field, id } => write!(
                f,
                "record {id} has no value for `{field}` although the request asked `{field} ISN`"
            ),
        }
    }
}

fn beyond_op(asc: bool) -> Op {
    if asc { Op::Gt } else { Op::Lt }
}

fn at_or_beyond_op(asc: bool) -> Op {
    if asc { Op::Gte } else { Op::Lte }
}

impl Plan {
    /// The first cursor of a stream.
    pub(crate) fn start(&self) -> Cursor {
        self.enter(Vec::new())
    }

    /// The cursor just after `key`: what follows it in the order.
    pub(crate) fn after(&self, key: &RecordKey) -> Cursor {
        let Some(last) = self.keys.len().checked_sub(1) else {
            return Cursor {
                pins: Vec::new(),
                step: Step::Ids {
                    after: Some(key.id.clone()),
                },
            };
        };
        let mut pins: Vec<Pin> = key
            .values
            .iter()
            .take(last)
            .map(|v| match v {
                KeyValue::Empty => Pin::Empty,
                KeyValue::Text(t) => Pin::Eq(t.clone()),
            })
            .collect();
        // A key shorter than the plan (never built so) is read as empty values.
        pins.resize(last, Pin::Empty);
        match key.values.get(last) {
            Some(KeyValue::Text(value)) => Cursor {
                pins,
                step: Step::Tie {
                    value: value.clone(),
                    after_id: key.id.clone(),
                },
            },
            _ => {
                pins.push(Pin::Empty);
                Cursor {
                    pins,
                    step: Step::Ids {
                        after: Some(key.id.clone()),
                    },
                }
            }
        }
    }

    /// The first cursor at depth `pins.len()`, entering the first class of its field.
    fn enter(&self, mut pins: Vec<Pin>) -> Cursor {
        loop {
            let depth = pins.len();
            let Some(key) = self.keys.get(depth) else {
                return Cursor {
                    pins,
                    step: Step::Ids { after: None },
                };
            };
            if key.asc {
                return Cursor {
                    step: self.first_value_step(depth),
                    pins,
                };
            }
            // Descending: the empty values come first.
            pins.push(Pin::Empty);
        }
    }

    /// The first request over the non-empty values of the field at `depth`.
    fn first_value_step(&self, depth: usize) -> Step {
        if depth + 1 == self.keys.len() {
            Step::Range(RangeFrom::Start)
        } else {
            Step::Discover { beyond: None }
        }
    }

    /// The non-empty values of the field at `pins.len()` are done: its empty values next
    /// (ascending), or the depth is done (descending, where they came first).
    fn values_done(&self, mut pins: Vec<Pin>) -> Option<Cursor> {
        let depth = pins.len();
        if self.keys.get(depth).is_some_and(|k| k.asc) {
            pins.push(Pin::Empty);
            Some(self.enter(pins))
        } else {
            self.depth_done(pins)
        }
    }

    /// Everything under `pins` is done: continue at the depth above.
    fn depth_done(&self, mut pins: Vec<Pin>) -> Option<Cursor> {
        loop {
            let pin = pins.pop()?;
            let depth = pins.len();
            let asc = self.keys.get(depth).is_some_and(|k| k.asc);
            match pin {
                Pin::Eq(value) => {
                    return Some(Cursor {
                        pins,
                        step: Step::Discover {
                            beyond: Some(value),
                        },
                    });
                }
                // Ascending: the empty values were the field's last group.
                Pin::Empty if asc => continue,
                Pin::Empty => {
                    return Some(Cursor {
                        step: self.first_value_step(depth),
                        pins,
                    });
                }
            }
        }
    }

    /// The request for `cursor`.
    pub(crate) fn request(&self, cursor: &Cursor) -> Request {
        let mut filters: Vec<Filter> = cursor
            .pins
            .iter()
            .zip(&self.keys)
            .map(|(pin, key)| match pin {
                Pin::Empty => filter(&key.field, Op::Is, None),
                Pin::Eq(v) => filter(&key.field, Op::Eq, Some(v)),
            })
            .collect();
        let by_id = ("_id".to_owned(), self.id_asc);
        let depth = cursor.pins.len();
        let ranged = self.keys.get(depth);
        let field = ranged.map(|k| k.field.as_str()).unwrap_or("_id");
        let asc = ranged.is_none_or(|k| k.asc);
        let (orders, limit) = match &cursor.step {
            Step::Ids { after } => {
                if let Some(after) = after {
                    filters.push(filter("_id", beyond_op(self.id_asc), Some(after)));
                }
                (vec![by_id], self.page_size)
            }
            Step::Tie { value, after_id } => {
                filters.push(filter(field, Op::Eq, Some(value)));
                filters.push(filter("_id", beyond_op(self.id_asc), Some(after_id)));
                (vec![by_id], self.page_size)
            }
            Step::Discover { beyond } => {
                filters.push(filter(field, Op::Isn, None));
                if let Some(v) = beyond {
                    filters.push(filter(field, beyond_op(asc), Some(v)));
                }
                (vec![(field.to_owned(), asc), by_id], 1)
            }
            Step::Range(from) => {
                filters.push(filter(field, Op::Isn, None));
                match from {
                    RangeFrom::Start => {}
                    RangeFrom::Beyond(v) => filters.push(filter(field, beyond_op(asc), Some(v))),
                    RangeFrom::AtOrBeyond { value, .. } => {
                        filters.push(filter(field, at_or_beyond_op(asc), Some(value)));
                    }
                }
                (vec![(field.to_owned(), asc), by_id], self.page_size)
            }
        };
        Request {
            filters,
            orders,
            limit,
        }
    }

    /// What to deliver from a page fetched at `cursor`, and where to go next.
    pub(crate) fn decide(
        &self,
        cursor: &Cursor,
        page: PageFacts<'_>,
    ) -> Result<Decision, KeysetError> {
        let keys = page.keys;
        let exhausted = keys.is_empty()
            || page
                .total
                .is_some_and(|t| t > 0 && u64::try_from(keys.len()).unwrap_or(u64::MAX) >= t);
        let depth = cursor.pins.len();
        let pins = cursor.pins.clone();
        let value_at = |key: &RecordKey| key.values.get(depth).cloned().unwrap_or(KeyValue::Empty);
        let mut deliver = vec![true; keys.len()];
        let next = match &cursor.step {
            Step::Ids { .. } => match keys.last() {
                Some(last) if !exhausted => Some(Cursor {
                    pins,
                    step: Step::Ids {
                        after: Some(last.id.clone()),
                    },
                }),
                _ => self.depth_done(pins),
            },
            Step::Tie { value, .. } => match keys.last() {
                Some(last) if !exhausted => Some(Cursor {
                    pins,
                    step: Step::Tie {
                        value: value.clone(),
                        after_id: last.id.clone(),
                    },
                }),
                _ => Some(Cursor {
                    pins,
                    step: Step::Range(RangeFrom::Beyond(value.clone())),
                }),
            },
            Step::Discover { .. } => {
                // Only the value is used; the group is read at the next depth.
                deliver = vec![false; keys.len()];
                match keys.first() {
                    None => self.values_done(pins),
                    Some(first) => match value_at(first) {
                        KeyValue::Text(w) => {
                            let mut pins = pins;
                            pins.push(Pin::Eq(w));
                            Some(self.enter(pins))
                        }
                        KeyValue::Empty => return Err(self.empty_error(depth, first)),
                    },
                }
            }
            Step::Range(from) => {
                if let RangeFrom::AtOrBeyond { value, seen } = from {
                    // Skip what was delivered, and records created meanwhile in the value's
                    // group behind the last one delivered (delivering them now would break
                    // the order; records created during a stream may or may not appear).
                    let last_seen = seen.last().map(String::as_str);
                    let seen: HashSet<&str> = seen.iter().map(String::as_str).collect();
                    let in_group = KeyValue::Text(value.clone());
                    for (d, key) in deliver.iter_mut().zip(keys) {
                        let behind = value_at(key) == in_group
                            && last_seen.is_some_and(|last| {
                                if self.id_asc {
                                    key.id.as_str() <= last
                                } else {
                                    key.id.as_str() >= last
                                }
                            });
                        *d = !seen.contains(key.id.as_str()) && !behind;
                    }
                }
                match keys.last() {
                    Some(last) if !exhausted => {
                        let KeyValue::Text(value) = value_at(last) else {
                            return Err(self.empty_error(depth, last));
                        };
                        let tail = keys
                            .iter()
                            .rev()
                            .take_while(|k| value_at(k) == KeyValue::Text(value.clone()))
                            .count();
                        let progress = deliver.iter().any(|d| *d);
                        let step = if progress && tail * 2 < keys.len() {
                            // A small group at the page's end: read it again from its start
                            // rather than spend a request on its rest.
                            Step::Range(RangeFrom::AtOrBeyond {
                                value,
                                seen: keys.iter().map(|k| k.id.clone()).collect(),
                            })
                        } else {
                            Step::Tie {
                                value,
                                after_id: last.id.clone(),
                            }
                        };
                        Some(Cursor { pins, step })
                    }
                    _ => self.values_done(pins),
                }
            }
        };
        Ok(Decision { deliver, next })
    }

    fn empty_error(&self, depth: usize, key: &RecordKey) -> KeysetError {
        KeysetError::EmptyWhereValueAsked {
            field: self
                .keys
                .get(depth)
                .map(|k| k.field.clone())
                .unwrap_or_default(),
            id: key.id.clone(),
        }
    }
}

fn filter(field: &str, op: Op, value: Option<&String>) -> Filter {
    Filter {
        field: field.to_owned(),
        op,
        values: value.cloned().into_iter().collect(),
    }
}

#[cfg(test)]
mod tests;
