//! Queries: a builder over `search_query_info` with every documented operator, orders,
//! projection and page size; one page with [`Query::send`], every matching record with
//! [`Query::stream`] (or page by page, with resumable positions, with [`Query::pages`]).
//!
//! # What a stream guarantees
//!
//! A stream reads by **keyset** from its first request, never by offset, so it has no 10,000
//! record limit and other users' writes cannot shift its pages:
//!
//! - Its order is **total**: the query's orders, then `_id` (ascending, unless the query orders
//!   by `_id` itself). Within a field, empty values (absent, `null`, `""`, `[]`) come last when
//!   ascending and first when descending. Records are delivered in that order.
//! - A record that matches the filters for the whole stream and whose order fields do not
//!   change is delivered **exactly once**.
//! - A record created, deleted, or whose order fields change while the stream runs may or may
//!   not be delivered; in a stream ordered by `_id` alone (the default) it is **never delivered
//!   twice**. (With other orders, a record whose order value moves ahead of the stream may be
//!   met again at its new place.)
//! - The stream ends only when the vendor says no more records match (an empty page, or a page
//!   holding all `total` matches); a short page alone is not the end. An answer that is not a
//!   Fxiaoke envelope (an HTTP 200 from a gateway without `errorCode`) is retried, then an
//!   error: never an early end.
//!
//! # How, with AND-only filters
//!
//! After a record `(v, id)` in an order on `f` descending, the rest of the order is
//! `f EQ v AND _id GT id` (the rest of the tie group, by `_id`), then `f LT v` ordered by `f`
//! desc, `_id` asc; empty values are read with `f IS`, values with `f ISN`. Several order fields
//! are read one pinned value at a time. The decisions live in the `keyset` module; calls:
//! about one per page, plus at most one per boundary between equal-value groups (none when
//! `total` is reported), plus one small request per distinct value of each order field but the
//! last.
//!
//! # Records that cannot be typed
//!
//! Each record is decoded on its own. One that does not fit the requested type is an
//! [`Error::Record`] item naming its `_id` and JSON path, and the stream goes on with the next
//! record, so a consumer may log it and skip it:
//!
//! ```no_run
//! # async fn demo(client: fxiaoke_crm::Client) -> fxiaoke_crm::Result<()> {
//! use futures::TryStreamExt;
//! use futures::StreamExt;
//! let payments: Vec<fxiaoke_crm::types::PaymentObj> = client
//!     .query()
//!     .stream()
//!     .filter(|r| std::future::ready(!matches!(r, Err(e) if e.is_record())))
//!     .try_collect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Any other error ends the stream.

use std::marker::PhantomData;
use std::sync::Arc;

use crm_runtime::decode::{
    KeyedList, KeyedRecord, MapKey, RawRecord, RawRecords, WireCode, pick_fields, pick_raw_fields,
    record, span_in,
};
use crm_runtime::{NamedObject, OpenEnum, Page, Transport, flatten_pages, paginate};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Envelope, check};
use crate::generated::operations::QueryData as QueryOperation;
pub use crate::generated::types::FilterOperatorKnown as FilterOperator;
use crate::generated::types::{
    ObjectData, QueryArg, QueryData, QueryFilter, QueryOrder, SearchQueryInfo,
};
use crate::keyset::{self, Cursor, KeyValue, PageFacts, Plan, RecordKey};
use crate::{Client, Error, ExtraFields, Result};

/// Records per page when none is set, and the most the current documents allow (`limit ≤ 100`;
/// older documents allowed 1,000 for preset objects, but 100 holds for every object).
pub const MAX_PAGE_SIZE: u32 = 100;

/// The largest `offset` the API accepts ([`Query::send`] only: streams never use offsets).
pub const MAX_OFFSET: u64 = 10_000;

/// How many pages a stream fetches ahead of the consumer.
pub const PREFETCH_PAGES: usize = 1;

/// The operation name in errors.
const OPERATION: &str = "query_data";

/// Where the records are in a query answer.
const LIST_PATH: &str = "data.dataList";

/// One page of a query.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryPage<T> {
    /// `data.total`: the number of matches (0 when the tenant disables counting).
    pub total: Option<u64>,
    /// The records of this page.
    pub records: Vec<T>,
}

/// A record's place in a stream's order: its order-field values (as filter text; `None` for
/// an empty value) and `_id`. Store it to resume a stream after that record with
/// [`Query::after`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    /// One value per order field of the query (not counting `_id`), in order.
    pub values: Vec<Option<String>>,
    /// `_id`.
    pub id: String,
}

impl Position {
    fn from_key(key: &RecordKey) -> Self {
        Self {
            values: key
                .values
                .iter()
                .map(|v| match v {
                    KeyValue::Empty => None,
                    KeyValue::Text(t) => Some(t.clone()),
                })
                .collect(),
            id: key.id.clone(),
        }
    }

    fn to_key(&self) -> RecordKey {
        RecordKey {
            values: self
                .values
                .iter()
                .map(|v| match v {
                    None => KeyValue::Empty,
                    Some(t) => KeyValue::Text(t.clone()),
                })
                .collect(),
            id: self.id.clone(),
        }
    }
}

/// The records one request of a stream delivered.
#[derive(Debug)]
pub struct StreamPage<T> {
    /// The records, each decoded or the reason it could not be ([`Error::Record`]).
    pub records: Vec<Result<T>>,
    /// The position of the last record: a stream resumed [`after`](Query::after) it
    /// continues with the next record.
    pub last: Position,
}

/// A query; from [`Client::query`] (typed) or [`Client::query_object`] (any API name).
#[derive(Debug)]
#[must_use = "a query does nothing until sent or streamed"]
pub struct Query<T> {
    client: Client,
    api_name: String,
    filters: Vec<QueryFilter>,
    orders: Vec<QueryOrder>,
    projection: Option<Vec<String>>,
    page_size: u32,
    offset: u64,
    after: Option<Position>,
    _record: PhantomData<fn() -> T>,
}

impl Client {
    /// A query over a typed object (`client.query::<PaymentObj>()`).
    pub fn query<T: NamedObject + DeserializeOwned + Send + 'static>(&self) -> Query<T> {
        self.query_as(T::API_NAME)
    }

    /// A query over any object by API name, custom `__c` objects included.
    pub fn query_object(&self, api_name: &str) -> Query<ObjectData> {
        self.query_as(api_name)
    }

    /// A query over `api_name` whose records decode as `T` (`Box<RawValue>` keeps each record
    /// exactly as the vendor sent it).
    pub fn query_as<T>(&self, api_name: &str) -> Query<T> {
        Query {
            client: self.clone(),
            api_name: api_name.to_owned(),
            filters: Vec::new(),
            orders: Vec::new(),
            projection: None,
            page_size: MAX_PAGE_SIZE,
            offset: 0,
            after: None,
            _record: PhantomData,
        }
    }
}

impl<T> Clone for Query<T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            api_name: self.api_name.clone(),
            filters: self.filters.clone(),
            orders: self.orders.clone(),
            projection: self.projection.clone(),
            page_size: self.page_size,
            offset: self.offset,
            after: self.after.clone(),
            _record: PhantomData,
        }
    }
}

impl<T> Query<T> {
    /// Adds a filter `field OP values` (time values are epoch milliseconds as strings).
    pub fn filter<V: Into<String>>(
        mut self,
        field: &str,
        operator: impl Into<OpenEnum<FilterOperator>>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.filters.push(QueryFilter {
            field_name: field.to_owned(),
            field_values: values.into_iter().map(Into::into).collect(),
            operator: operator.into(),
        });
        self
    }

    /// `field = value`.
    pub fn eq(self, field: &str, value: impl Into<String>) -> Self {
        self.filter(field, FilterOperator::Eq, [value])
    }

    /// `field IN (values)`.
    pub fn is_in<V: Into<String>>(self, field: &str, values: impl IntoIterator<Item = V>) -> Self {
        self.filter(field, FilterOperator::In, values)
    }

    /// Orders by `field`; later calls break ties of earlier ones, and streams end every order
    /// with `_id` (see the module docs).
    pub fn order_by(mut self, field: &str, ascending: bool) -> Self {
        self.orders.push(QueryOrder {
            field_name: field.to_owned(),
            is_asc: ascending,
        });
        self
    }

    /// Returns only these fields (`fieldProjection`; streams add `_id` and the order fields).
    pub fn fields<V: Into<String>>(mut self, fields: impl IntoIterator<Item = V>) -> Self {
        self.projection = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// Records per page, `1..=`[`MAX_PAGE_SIZE`] (default 100). Another value is an
    /// [`Error::InvalidArgument`] naming the valid range when the query is sent or streamed.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The offset of [`Query::send`], rounded down to a multiple of the page size as the API
    /// requires; at most [`MAX_OFFSET`] (else an [`Error::InvalidArgument`] when sent). Streams ignore
    /// it.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// The page size, checked against the range the API accepts.
    fn checked_page_size(&self) -> Result<u32> {
        if (1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            Ok(self.page_size)
        } else {
            Err(Error::InvalidArgument(format!(
                "query of {}: page size {} is out of range: 1..={MAX_PAGE_SIZE}",
                self.api_name, self.page_size
            )))
        }
    }

    /// Resumes a stream after `position` (from [`StreamPage::last`] of the same query):
    /// the stream starts with the record that follows it in the order.
    pub fn after(mut self, position: Position) -> Self {
        self.after = Some(position);
        self
    }

    /// The total order of a stream.
    fn plan(&self) -> Plan {
        let orders: Vec<(String, bool)> = self
            .orders
            .iter()
            .map(|o| (o.field_name.clone(), o.is_asc))
            .collect();
        Plan::new(&orders, self.page_size.clamp(1, MAX_PAGE_SIZE))
    }

    /// The request for one page: the user's filters and `extra` ones, these orders.
    fn arg(
        &self,
        offset: u64,
        limit: u32,
        extra: Vec<QueryFilter>,
        orders: Vec<QueryOrder>,
        projection: Option<Vec<String>>,
    ) -> QueryArg {
        let mut filters = self.filters.clone();
        filters.extend(extra);
        QueryArg {
            data: QueryData {
                data_object_api_name: self.api_name.clone(),
                search_query_info: SearchQueryInfo {
                    limit: Some(i64::from(limit)),
                    offset: Some(i64::try_from(offset).unwrap_or(i64::MAX)),
                    filters: Some(filters),
                    orders: (!orders.is_empty()).then_some(orders),
                    field_projection: projection,
                },
                search_template_id: None,
                find_explicit_total_num: None,
                extra: ExtraFields::new(),
            },
            include_null: None,
            need_return_count_num: None,
            return_total_num: None,
            extra: ExtraFields::new(),
        }
    }
}

/// A query answer read down to its records' JSON text (borrowed from the body).
#[derive(Deserialize)]
struct RawAnswer<'a> {
    #[serde(rename = "errorCode", default)]
    error_code: Option<WireCode>,
    #[serde(rename = "errorMessage", default)]
    error_message: Option<String>,
    #[serde(rename = "errorDescription", default)]
    error_description: Option<String>,
    #[serde(rename = "traceId", default)]
    trace_id: Option<String>,
    #[serde(borrow, default)]
    data: Option<RawData<'a>>,
}

#[derive(Deserialize)]
struct RawData<'a> {
    #[serde(default)]
    total: Option<WireCode>,
    #[serde(rename = "dataList", borrow, default)]
    data_list: Option<Vec<&'a RawValue>>,
}

/// Reads a query answer down to its records: the envelope is checked (a vendor error is
/// returned as such), the records are left as JSON text borrowed from the body. Returns
/// `data.total`, the body as text and the records.
fn read_answer<'b>(
    transport: &Transport,
    operation: &'static str,
    body: &'b [u8],
) -> Result<(Option<u64>, &'b str, Vec<&'b RawValue>)> {
    let (text, answer) = parse_body(transport, operation, body, |text| {
        serde_json::from_str::<RawAnswer<'_>>(text)
    })?;
    Envelope {
        error_code: answer.error_code,
        error_message: answer.error_message,
        error_description: answer.error_description,
        trace_id: answer.trace_id,
    }
    .into_result(transport, operation, body)?;
    let data = answer.data.unwrap_or(RawData {
        total: None,
        data_list: None,
    });
    let total = data.total.and_then(|WireCode(t)| t.parse::<u64>().ok());
    Ok((total, text, data.data_list.unwrap_or_default()))
}

/// Parses a query answer with `parse`, from the body checked as UTF-8 once (so that records
/// can be handed out as text without checking again). A body `parse` rejects is the vendor's
/// error if it is one, else an [`Error::Decode`].
fn parse_body<'b, A>(
    transport: &Transport,
    operation: &'static str,
    body: &'b [u8],
    parse: impl FnOnce(&'b str) -> serde_json::Result<A>,
) -> Result<(&'b str, A)> {
    let parsed = std::str::from_utf8(body)
        .map_err(|e| e.to_string())
        .and_then(|text| parse(text).map(|a| (text, a)).map_err(|e| e.to_string()));
    parsed.or_else(|message| {
        // Not the shape of a query answer: a vendor error with another `data`, a body that is
        // no answer at all, or a broken answer.
        check(transport, operation, body)?;
        Err(Error::Decode {
            operation,
            source: crm_runtime::DecodeError::new(
                "",
                message,
                &transport.redactor().redact_body(body),
            ),
        })
    })
}

/// A stream's query answer, read in one pass: the envelope, and each record's extent and key
/// fields ([`KeyedList`]); nothing else is built.
struct StreamAnswer<'a> {
    error_code: Option<WireCode>,
    error_message: Option<String>,
    error_description: Option<String>,
    trace_id: Option<String>,
    total: Option<WireCode>,
    list: Option<Vec<KeyedRecord<'a>>>,
}

/// Reads a [`StreamAnswer`], picking the fields `.0` of each record.
struct StreamAnswerSeed<'n>(&'n [&'n str]);

impl<'de> DeserializeSeed<'de> for StreamAnswerSeed<'_> {
    type Value = StreamAnswer<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for StreamAnswerSeed<'_> {
    type Value = StreamAnswer<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a query answer")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut answer = StreamAnswer {
            error_code: None,
            error_message: None,
            error_description: None,
            trace_id: None,
            total: None,
            list: None,
        };
        while let Some(key) = map.next_key::<MapKey<'de>>()? {
            match key.0.as_ref() {
                "errorCode" => answer.error_code = map.next_value()?,
                "errorMessage" => answer.error_message = map.next_value()?,
                "errorDescription" => answer.error_description = map.next_value()?,
                "traceId" => answer.trace_id = map.next_value()?,
                "data" => {
                    if let Some((total, list)) = map.next_value_seed(StreamDataSeed(self.0))? {
                        answer.total = total;
                        answer.list = list;
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(answer)
    }
}

/// `data` of a [`StreamAnswer`] (or `null`): `total` and the records.
struct StreamDataSeed<'n>(&'n [&'n str]);

/// `total` and the records of a stream's answer.
type StreamData<'a> = (Option<WireCode>, Option<Vec<KeyedRecord<'a>>>);

impl<'de> DeserializeSeed<'de> for StreamDataSeed<'_> {
    type Value = Option<StreamData<'de>>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for StreamDataSeed<'_> {
    type Value = Option<StreamData<'de>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the data of a query answer")
    }

    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let (mut total, mut list) = (None, None);
        while let Some(key) = map.next_key::<MapKey<'de>>()? {
            match key.0.as_ref() {
                "total" => total = map.next_value()?,
                "dataList" => list = map.next_value_seed(KeyedList { names: self.0 })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some((total, list)))
    }
}

/// The records of one answer of [`Query::send`], each decoded on its own.
struct Batch<T> {
    total: Option<u64>,
    records: Vec<Result<T>>,
}

/// Reads a query answer: the envelope first, then each record on its own (see the module docs).
fn decode_batch<T: DeserializeOwned>(
    transport: &Transport,
    operation: &'static str,
    body: &[u8],
) -> Result<Batch<T>> {
    let (total, _, list) = read_answer(transport, operation, body)?;
    let records =
        list.iter()
            .enumerate()
            .map(|(index, raw)| {
                // Only to name the record in an error.
                let id = pick_fields(raw.get(), &["_id"]).ok().and_then(|mut v| {
                    match v.pop().flatten() {
                        Some(Value::String(id)) => Some(id),
                        _ => None,
                    }
                });
                record::<T>(operation, LIST_PATH, index, raw.get(), id.as_deref())
            })
            .collect();
    Ok(Batch { total, records })
}

/// One answer of a stream, read down to what paging needs: each record's key (its order
/// values and `_id`), the records themselves left undecoded.
struct RawBatch {
    total: Option<u64>,
    keys: Vec<RecordKey>,
    records: RawRecords,
}

/// Reads a stream's answer (`key_fields`: order fields, then `_id`) in one pass: the envelope,
/// each record's extent and its key fields; a record without `_id`, or with an order value no
/// filter can compare, fails the page.
fn read_stream_batch(
    transport: &Transport,
    operation: &'static str,
    body: &[u8],
    key_fields: &[&str],
) -> Result<RawBatch> {
    let (text, answer) = parse_body(transport, operation, body, |text| {
        let mut de = serde_json::Deserializer::from_str(text);
        let answer = StreamAnswerSeed(key_fields).deserialize(&mut de)?;
        de.end().map(|()| answer)
    })?;
    Envelope {
        error_code: answer.error_code,
        error_message: answer.error_message,
        error_description: answer.error_description,
        trace_id: answer.trace_id,
    }
    .into_result(transport, operation, body)?;
    let total = answer.total.and_then(|WireCode(t)| t.parse::<u64>().ok());
    let list = answer.list.unwrap_or_default();
    let Some(spans) = list
        .iter()
        .map(|r| r.span_in(text))
        .collect::<Option<Vec<_>>>()
    else {
        // A record whose extent its keys do not tell (an empty record, a first or last key
        // with escapes): read the page in two passes instead.
        return read_stream_batch_in_two_passes(transport, operation, body, key_fields);
    };
    let mut records = RawRecords::new(operation, LIST_PATH, Arc::from(text));
    let mut keys = Vec::with_capacity(list.len());
    for (index, (record, span)) in list.iter().zip(spans).enumerate() {
        let raw = text.get(span.clone()).unwrap_or_default();
        let picked = record.picked.iter().map(|v| v.map(RawValue::get)).collect();
        keys.push(record_key(operation, index, raw, picked, key_fields)?);
        // Named after the decision, with the ids moved out of the keys.
        records.push(index, span, None);
    }
    Ok(RawBatch {
        total,
        keys,
        records,
    })
}

/// [`read_stream_batch`] in two passes: the records' text first, then each record's keys.
fn read_stream_batch_in_two_passes(
    transport: &Transport,
    operation: &'static str,
    body: &[u8],
    key_fields: &[&str],
) -> Result<RawBatch> {
    let (total, text, list) = read_answer(transport, operation, body)?;
    let mut records = RawRecords::new(operation, LIST_PATH, Arc::from(text));
    let mut keys = Vec::with_capacity(list.len());
    for (index, raw) in list.iter().enumerate() {
        // `raw` was checked as JSON with the whole answer: only its structure is followed.
        let picked = pick_raw_fields(raw.get(), key_fields).map_err(|e| Error::Decode {
            operation,
            source: crm_runtime::DecodeError::new(
                format!("{LIST_PATH}[{index}]"),
                e.message,
                raw.get(),
            ),
        })?;
        keys.push(record_key(operation, index, raw.get(), picked, key_fields)?);
        let span = span_in(text, raw).ok_or_else(|| Error::Decode {
            operation,
            source: crm_runtime::DecodeError::new(
                format!("{LIST_PATH}[{index}]"),
                "the record is not a part of the answer's text",
                "",
            ),
        })?;
        records.push(index, span, None);
    }
    Ok(RawBatch {
        total,
        keys,
        records,
    })
}

/// The records one request of a stream delivered, not decoded yet, and the position of the
/// last.
struct RawStreamPage {
    records: RawRecords,
    last: Position,
}

/// The order-field values and `_id` of one record (`fields`: order fields, then `_id`; `picked`:
/// their JSON text, as read from `raw`).
fn record_key(
    operation: &'static str,
    index: usize,
    raw: &str,
    picked: Vec<Option<&str>>,
    fields: &[&str],
) -> Result<RecordKey> {
    let fail = |path: String, message: String| Error::Decode {
        operation,
        source: crm_runtime::DecodeError::new(path, message, raw),
    };
    // Only the few picked values are parsed.
    let mut values = picked
        .into_iter()
        .zip(fields)
        .map(|(text, field)| {
            text.map(serde_json::from_str::<Value>)
                .transpose()
                .map_err(|e| fail(format!("{LIST_PATH}[{index}].{field}"), e.to_string()))
        })
        .collect::<Result<Vec<Option<Value>>>>()?;
    let id = match values.pop().flatten() {
        Some(Value::String(id)) if !id.is_empty() => id,
        _ => {
            return Err(fail(
                format!("{LIST_PATH}[{index}]._id"),
                "a record has no _id to continue the stream from".into(),
            ));
        }
    };
    let values = values
        .into_iter()
        .zip(fields)
        .map(|(value, field)| {
            key_value(value.as_ref()).ok_or_else(|| {
                fail(
                    format!("{LIST_PATH}[{index}].{field}"),
                    format!(
                        "record {id}: a stream cannot order by `{field}`, whose value here is a list or object no filter can compare"
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordKey { values, id })
}

/// A JSON value as a filter compares it; `None` for a list or object.
fn key_value(value: Option<&Value>) -> Option<KeyValue> {
    match value {
        None | Some(Value::Null) => Some(KeyValue::Empty),
        Some(Value::String(s)) if s.is_empty() => Some(KeyValue::Empty),
        Some(Value::String(s)) => Some(KeyValue::Text(s.clone())),
        Some(Value::Number(n)) => Some(KeyValue::Text(n.to_string())),
        Some(Value::Bool(b)) => Some(KeyValue::Text(b.to_string())),
        Some(Value::Array(items)) => match items.as_slice() {
            [] => Some(KeyValue::Empty),
            // Employee and department fields are one-element lists.
            [one] if !one.is_array() && !one.is_object() => key_value(Some(one)),
            _ => None,
        },
        Some(Value::Object(_)) => None,
    }
}

fn to_filter(f: keyset::Filter) -> QueryFilter {
    let operator = match f.op {
        keyset::Op::Eq => FilterOperator::Eq,
        keyset::Op::Gt => FilterOperator::Gt,
        keyset::Op::Gte => FilterOperator::Gte,
        keyset::Op::Lt => FilterOperator::Lt,
        keyset::Op::Lte => FilterOperator::Lte,
        keyset::Op::Is => FilterOperator::Is,
        keyset::Op::Isn => FilterOperator::Isn,
    };
    QueryFilter {
        field_name: f.field,
        field_values: f.values,
        operator: operator.into(),
    }
}

/// What a stream's requests share.
struct StreamContext<T> {
    query: Query<T>,
    plan: Plan,
    key_fields: Vec<String>,
    projection: Option<Vec<String>>,
}

impl<T: Send + 'static> StreamContext<T> {
    /// One request of the stream and the decision it leads to.
    async fn fetch(&self, cursor: Cursor) -> Result<Page<RawStreamPage, Cursor>> {
        let request = self.plan.request(&cursor);
        let orders = request
            .orders
            .into_iter()
            .map(|(field_name, is_asc)| QueryOrder { field_name, is_asc })
            .collect();
        let arg = self.query.arg(
            0,
            request.limit,
            request.filters.into_iter().map(to_filter).collect(),
            orders,
            self.projection.clone(),
        );
        let fields: Vec<&str> = self.key_fields.iter().map(String::as_str).collect();
        // Only the envelope and the keys are read here, in the fetch task: the next request
        // goes out as soon as they are, and the records are decoded by the consumer.
        let batch = self
            .query
            .client
            .execute_with::<QueryOperation, RawBatch>(&arg, |transport, operation, body| {
                read_stream_batch(transport, operation, body, &fields)
            })
            .await?;
        let decision = self
            .plan
            .decide(
                &cursor,
                PageFacts {
                    total: batch.total,
                    keys: &batch.keys,
                },
            )
            .map_err(|e| Error::Protocol {
                operation: OPERATION,
                vendor: crate::VENDOR,
                detail: e.to_string(),
                excerpt: String::new(),
            })?;
        let last = batch
            .keys
            .iter()
            .zip(&decision.deliver)
            .rfind(|(_, deliver)| **deliver)
            .map(|(key, _)| Position::from_key(key));
        let mut records = batch.records;
        records.name(batch.keys.into_iter().map(|key| Some(key.id)));
        records.retain_flagged(&decision.deliver);
        let page = last.map(|last| RawStreamPage { records, last });
        Ok(Page {
            records: page.into_iter().map(Ok).collect(),
            next: decision.next,
        })
    }
}

impl<T: DeserializeOwned + Send + 'static> Query<T> {
    /// Fetches one page at the configured offset (rounded down to a multiple of the page size),
    /// in the query's own order. A record that does not fit `T` fails the page.
    pub async fn send(self) -> Result<QueryPage<T>> {
        let page_size = self.checked_page_size()?;
        let offset = self.offset - self.offset % u64::from(page_size);
        if offset > MAX_OFFSET {
            return Err(Error::InvalidArgument(format!(
                "query of {}: offset {offset} is out of range: 0..={MAX_OFFSET} (a stream reads past it)",
                self.api_name
            )));
        }
        let arg = self.arg(
            offset,
            page_size,
            Vec::new(),
            self.orders.clone(),
            self.projection.clone(),
        );
        let batch = self
            .client
            .execute_with::<QueryOperation, Batch<T>>(&arg, decode_batch::<T>)
            .await?;
        Ok(QueryPage {
            total: batch.total,
            records: batch.records.into_iter().collect::<Result<Vec<T>>>()?,
        })
    }

    /// Every matching record, in the stream's total order, with the guarantees of the module
    /// docs. The next request is sent before this page's records are decoded: they are decoded
    /// one by one as the stream yields them.
    pub fn stream(self) -> BoxStream<'static, Result<T>> {
        flatten_pages(self.raw_pages(), |page| page.records.decode::<T>())
    }

    /// [`Query::stream`] page by page: the records each request delivered and the position of
    /// the last one, to resume from with [`Query::after`] (e.g. after a crash).
    pub fn pages(self) -> BoxStream<'static, Result<StreamPage<T>>> {
        self.raw_pages()
            .map(|page| {
                page.map(|page| StreamPage {
                    records: page.records.decode::<T>().collect(),
                    last: page.last,
                })
            })
            .boxed()
    }
}

impl<T: Send + 'static> Query<T> {
    /// [`Query::stream`] without decoding: every record exactly as the vendor sent it (its JSON
    /// text, sharing the answer's buffer), for an export that passes records through. Only
    /// what paging needs is read: the envelope, and each record's `_id` and order fields.
    pub fn stream_raw(self) -> BoxStream<'static, Result<RawRecord>> {
        flatten_pages(self.raw_pages(), |page| page.records.raw().map(Ok))
    }

    /// The pages of a stream, their records not decoded yet.
    fn raw_pages(self) -> BoxStream<'static, Result<RawStreamPage>> {
        if let Err(e) = self.checked_page_size() {
            return futures::stream::once(std::future::ready(Err(e))).boxed();
        }
        let plan = self.plan();
        let key_fields: Vec<String> = plan.key_fields().map(str::to_owned).collect();
        let projection = self.projection.clone().map(|mut fields| {
            for field in &key_fields {
                if !fields.contains(field) {
                    fields.push(field.clone());
                }
            }
            fields
        });
        let start = match &self.after {
            None => plan.start(),
            Some(position) if position.values.len() == plan.keys.len() => {
                plan.after(&position.to_key())
            }
            Some(position) => {
                let error = Error::InvalidArgument(format!(
                    "query of {}: the position to resume after has {} order values, the query orders by {} fields",
                    self.api_name,
                    position.values.len(),
                    plan.keys.len()
                ));
                return futures::stream::once(std::future::ready(Err(error))).boxed();
            }
        };
        let context = Arc::new(StreamContext {
            query: self,
            plan,
            key_fields,
            projection,
        });
        paginate(OPERATION, start, PREFETCH_PAGES, move |cursor: Cursor| {
            let context = context.clone();
            async move { context.fetch(cursor).await }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn transport() -> Transport {
        Transport::new(
            crate::VENDOR,
            crm_runtime::TransportConfig::new(crm_runtime::RateLimits::off()),
            crm_runtime::Redactor::default(),
        )
        .unwrap()
    }

    /// What a reader found: per record its text and key, and `total`.
    fn summary(batch: RawBatch) -> (Option<u64>, Vec<(String, RecordKey)>) {
        let texts: Vec<String> = batch.records.raw().map(|r| r.json().to_owned()).collect();
        (batch.total, texts.into_iter().zip(batch.keys).collect())
    }

    #[test]
    fn the_one_pass_reader_agrees_with_the_two_pass_one() {
        let t = transport();
        let bodies = [
            // Compact, as the vendor writes it; `_id` last, as in its documents.
            r#"{"errorCode":0,"errorMessage":"OK","data":{"total":2,"dataList":[{"name":"a","amount":"1.50","_id":"r1"},{"name":"b}\"","_id":"r2","x":[{"_id":"no"}]}]}}"#,
            // Pretty-printed, `data` before the envelope keys, nested records.
            "{\n  \"data\": {\n    \"dataList\": [\n      {\n        \"_id\" : \"r1\" ,\n        \"amount\": 3\n      } ,\n      { \"amount\": null, \"_id\": \"r2\", \"o\": {\"a\": [1, \"]\"]} }\n    ],\n    \"total\": 0\n  },\n  \"errorCode\": 0\n}",
            // Keys with escapes (first and last): the one-pass reader falls back.
            r#"{"errorCode":0,"data":{"dataList":[{"\u005fid":"r1","amount":"2"},{"_id":"r2","am\u006funt":"3"}]}}"#,
            // No records, and no data.
            r#"{"errorCode":0,"data":{"dataList":[],"total":0}}"#,
            r#"{"errorCode":0,"data":null}"#,
        ];
        for body in bodies {
            let fields = ["amount", "_id"];
            let one = read_stream_batch(&t, "query_data", body.as_bytes(), &fields).unwrap();
            let two = read_stream_batch_in_two_passes(&t, "query_data", body.as_bytes(), &fields)
                .unwrap();
            assert_eq!(summary(one), summary(two), "{body}");
        }
        let (_, records) =
            summary(read_stream_batch(&t, "query_data", bodies[0].as_bytes(), &["_id"]).unwrap());
        assert_eq!(
            records[1].0,
            r#"{"name":"b}\"","_id":"r2","x":[{"_id":"no"}]}"#
        );
        assert_eq!(records[1].1.id, "r2");
    }

    #[test]
    fn the_one_pass_reader_fails_like_the_two_pass_one() {
        let t = transport();
        for body in [
            // A record without `_id`, an empty record, a vendor error, broken JSON.
            r#"{"errorCode":0,"data":{"dataList":[{"name":"a"}]}}"#,
            r#"{"errorCode":0,"data":{"dataList":[{}]}}"#,
            r#"{"errorCode":10006,"errorMessage":"bad"}"#,
            r#"{"errorCode":0,"data":{"dataList":[{"_id":"r1"}"#,
            r#"{"errorCode":0,"data":{"dataList":[{"_id":"r1"}]}} trailing"#,
        ] {
            let one = read_stream_batch(&t, "query_data", body.as_bytes(), &["_id"]);
            let two = read_stream_batch_in_two_passes(&t, "query_data", body.as_bytes(), &["_id"]);
            match (one, two) {
                (Err(a), Err(b)) => assert_eq!(
                    std::mem::discriminant(&a),
                    std::mem::discriminant(&b),
                    "{body}: {a} / {b}"
                ),
                (a, b) => panic!("{body}: {:?} / {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }
}
