//! Queries: a builder over `search_query_info` with every documented operator, orders,
//! projection and page size; one page with [`Query::send`], every matching record with
//! [`Query::stream`].
//!
//! Paging rules (VENDORS.md §1.5): `offset` must be a multiple of `limit` and may not pass
//! 10,000 (error `10013`). A stream therefore pages by offset up to 10,000 and then switches to
//! the documented `_id` cursor (order by `_id`, filter `_id GT <last _id>`). For that switch to
//! return every record exactly once, the offset phase is ordered by `_id` too, which is what a
//! stream does when no order is set. A stream with explicit orders cannot switch and reports an
//! error at offset 10,000 instead of silently returning a wrong set.

use std::marker::PhantomData;

use crm_runtime::operation::Operation;
use crm_runtime::{LenientInt, NamedObject, OpenEnum, OperationSpec, Page, paginate};
use futures::stream::BoxStream;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Map;

use crate::error::{check, status};
pub use crate::generated::types::FilterOperatorKnown as FilterOperator;
use crate::generated::types::{
    ObjectData, QueryArg, QueryData, QueryFilter, QueryOrder, SearchQueryInfo,
};
use crate::{Client, Error, Result};
use crm_runtime::Transport;

/// Records per page when none is set, and the most the current documents allow (`limit ≤ 100`;
/// older documents allowed 1,000 for preset objects, but 100 holds for every object).
pub const MAX_PAGE_SIZE: i64 = 100;

/// The largest `offset` the API accepts.
pub const MAX_OFFSET: i64 = 10_000;

/// How many pages a stream fetches ahead of the consumer.
pub const PREFETCH_PAGES: usize = 1;

/// One page of a query.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryPage<T> {
    /// `data.total`: the number of matches (0 when the tenant disables counting).
    pub total: Option<i64>,
    /// The records of this page.
    pub records: Vec<T>,
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
    page_size: i64,
    offset: i64,
    _record: PhantomData<fn() -> T>,
}

impl Client {
    /// A query over a typed object (`client.query::<PaymentObj>()`).
    pub fn query<T: NamedObject + DeserializeOwned + Serialize + Send + 'static>(
        &self,
    ) -> Query<T> {
        self.query_as(T::API_NAME)
    }

    /// A query over any object by API name, custom `__c` objects included.
    pub fn query_object(&self, api_name: &str) -> Query<ObjectData> {
        self.query_as(api_name)
    }

    /// A query over `api_name` whose records decode as `T`.
    pub fn query_as<T>(&self, api_name: &str) -> Query<T> {
        Query {
            client: self.clone(),
            api_name: api_name.to_owned(),
            filters: Vec::new(),
            orders: Vec::new(),
            projection: None,
            page_size: MAX_PAGE_SIZE,
            offset: 0,
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

    /// Orders by `field`; later calls break ties of earlier ones.
    pub fn order_by(mut self, field: &str, ascending: bool) -> Self {
        self.orders.push(QueryOrder {
            field_name: field.to_owned(),
            is_asc: ascending,
        });
        self
    }

    /// Returns only these fields (`fieldProjection`; `_id` is always added by streams).
    pub fn fields<V: Into<String>>(mut self, fields: impl IntoIterator<Item = V>) -> Self {
        self.projection = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// Records per page, clamped to `1..=`[`MAX_PAGE_SIZE`] (default 100).
    pub fn page_size(mut self, size: i64) -> Self {
        self.page_size = size.clamp(1, MAX_PAGE_SIZE);
        self
    }

    /// The offset of [`Query::send`], rounded down to a multiple of the page size as the API
    /// requires.
    pub fn offset(mut self, offset: i64) -> Self {
        self.offset = offset.max(0);
        self
    }

    /// The request for one page.
    fn arg(
        &self,
        offset: i64,
        extra_filter: Option<QueryFilter>,
        orders: Vec<QueryOrder>,
    ) -> QueryArg {
        let mut filters = self.filters.clone();
        filters.extend(extra_filter);
        QueryArg {
            data: QueryData {
                data_object_api_name: self.api_name.clone(),
                search_query_info: SearchQueryInfo {
                    limit: Some(self.page_size),
                    offset: Some(offset),
                    filters: Some(filters),
                    orders: (!orders.is_empty()).then_some(orders),
                    field_projection: self.projection.clone(),
                },
                search_template_id: None,
                find_explicit_total_num: None,
                extra: Map::new(),
            },
            include_null: None,
            need_return_count_num: None,
            return_total_num: None,
            extra: Map::new(),
        }
    }
}

/// The query operation with records decoded straight into `T` (no intermediate map).
struct TypedQuery<T>(PhantomData<T>);

/// A query page and its envelope, decoded in one pass (the export hot path).
#[derive(Deserialize)]
struct TypedQueryResult<T> {
    #[serde(default = "Option::default")]
    data: Option<TypedQueryData<T>>,
    #[serde(rename = "errorCode", default)]
    error_code: Option<LenientInt>,
    #[serde(rename = "errorMessage", default)]
    error_message: Option<String>,
    #[serde(rename = "errorDescription", default)]
    error_description: Option<String>,
    #[serde(rename = "traceId", default)]
    trace_id: Option<String>,
}

/// Decodes a page and its `errorCode` in one pass. A body that does not fit (an error whose
/// `data` has another shape) is read for its `errorCode` before it is reported as a decode
/// error.
fn decode_page<T: DeserializeOwned>(
    transport: &Transport,
    operation: &'static str,
    body: &[u8],
) -> Result<TypedQueryResult<T>> {
    match transport.decode::<TypedQueryResult<T>>(operation, body) {
        Ok(mut page) => {
            status(
                operation,
                page.error_code.as_ref(),
                page.error_message.take(),
                page.error_description.take(),
                page.trace_id.take(),
            )?;
            Ok(page)
        }
        Err(e) => {
            check(operation, body)?;
            Err(e)
        }
    }
}

#[derive(Deserialize)]
struct TypedQueryData<T> {
    #[serde(default)]
    total: Option<i64>,
    #[serde(rename = "dataList", default = "Vec::new")]
    data_list: Vec<T>,
}

impl<T: DeserializeOwned> Operation for TypedQuery<T> {
    type Input = QueryArg;
    type Output = TypedQueryResult<T>;
    const SPEC: OperationSpec = <crate::generated::operations::QueryData as Operation>::SPEC;
}

#[derive(Clone, Debug, PartialEq)]
enum Cursor {
    Offset(i64),
    After(String),
    /// More records match, but an ordered query cannot continue: report it after the records
    /// already fetched.
    CannotContinue(String),
}

fn record_id<T: Serialize>(record: &T) -> Option<String> {
    serde_json::to_value(record)
        .ok()?
        .get("_id")?
        .as_str()
        .map(str::to_owned)
}

impl<T: DeserializeOwned + Serialize + Send + 'static> Query<T> {
    async fn fetch(&self, arg: &QueryArg) -> Result<QueryPage<T>> {
        let result = self
            .client
            .execute_with::<TypedQuery<T>>(arg, decode_page::<T>)
            .await?;
        let data = result.data.unwrap_or(TypedQueryData {
            total: None,
            data_list: Vec::new(),
        });
        Ok(QueryPage {
            total: data.total,
            records: data.data_list,
        })
    }

    /// Fetches one page at the configured offset (rounded down to a multiple of the page size).
    pub async fn send(self) -> Result<QueryPage<T>> {
        let offset = self.offset - self.offset % self.page_size;
        let arg = self.arg(offset, None, self.orders.clone());
        self.fetch(&arg).await
    }

    /// Every matching record exactly once, page after page (the next page is fetched while
    /// this one is consumed). Stops at the first page shorter than the page size (`total` is
    /// not used: it is 0 when a tenant disables counting). See the module docs for the
    /// switch to the `_id` cursor past offset 10,000.
    pub fn stream(mut self) -> BoxStream<'static, Result<T>> {
        if let Some(fields) = self
            .projection
            .as_mut()
            .filter(|f| !f.iter().any(|f| f == "_id"))
        {
            fields.push("_id".into());
        }
        let by_id = vec![QueryOrder {
            field_name: "_id".into(),
            is_asc: true,
        }];
        let custom_order = !self.orders.is_empty();
        let orders = if custom_order {
            self.orders.clone()
        } else {
            by_id.clone()
        };
        let limit = self.page_size;
        paginate(
            "query_data",
            Cursor::Offset(0),
            PREFETCH_PAGES,
            move |cursor: Cursor| {
                let query = self.clone();
                let orders = orders.clone();
                let by_id = by_id.clone();
                async move {
                    let arg = match &cursor {
                        Cursor::CannotContinue(why) => return Err(Error::Config(why.clone())),
                        Cursor::Offset(offset) => query.arg(*offset, None, orders),
                        Cursor::After(last) => {
                            let after = QueryFilter {
                                field_name: "_id".into(),
                                field_values: vec![last.clone()],
                                operator: FilterOperator::Gt.into(),
                            };
                            query.arg(0, Some(after), by_id)
                        }
                    };
                    let page = query.fetch(&arg).await?;
                    let full = page.records.len() as i64 >= limit;
                    let last_id = page.records.last().and_then(record_id);
                    let next = match (&cursor, full) {
                        (_, false) => None,
                        (Cursor::Offset(offset), true) if offset + limit <= MAX_OFFSET => {
                            Some(Cursor::Offset(offset + limit))
                        }
                        (Cursor::Offset(_), true) if custom_order => {
                            Some(Cursor::CannotContinue(format!(
                                "query of {}: more than {MAX_OFFSET} records match and the query is ordered, so it cannot continue with the _id cursor; remove the orders or narrow the filters",
                                query.api_name
                            )))
                        }
                        (_, true) => Some(Cursor::After(last_id.ok_or_else(|| Error::Decode {
                            operation: "query_data",
                            source: crm_runtime::DecodeError::new(
                                "data.dataList[-1]._id",
                                "the last record has no _id to continue from",
                                "",
                            ),
                        })?)),
                    };
                    Ok(Page {
                        records: page.records,
                        next,
                    })
                }
            },
        )
    }
}
