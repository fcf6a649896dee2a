//! Customers: a typed list builder (search conditions, one page or a stream of every match)
//! and convenience wrappers over add / update / find / delete that return the record itself.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use crm_runtime::decode::{RawRecord, RawRecords, WireCode, raw_id};
use crm_runtime::{OpenEnum, Page, Transport, flatten_pages, paginate};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::{Envelope, VENDOR, check};
use crate::generated::operations::ListCustomers;

use crate::generated::types::{
    Customer, CustomerPage, DeleteCustomerArg, FindByIdArg, ListCustomersArg, SearchCondition,
    SearchOperatorKnown,
};
use crate::{Client, Error, ExtraFields, Result};

/// A search operator: a known one ([`SearchOperatorKnown`]) or any other string, passed through.
///
/// Only **`eq`** (equals; for list fields such as `mobile`: any entry equals) and **`empty`**
/// (no value; sent with an empty value list) appear in the vendor document. The other known
/// variants (`ne`, `in`, `nin`, `like`, `notEmpty`, `gt`, `gte`, `lt`, `lte`, `between`) are the
/// usual set and **unconfirmed** for the real server; the embedded mock implements all of them.
pub type SearchOperator = OpenEnum<SearchOperatorKnown>;

/// Customers per page when none is set. The vendor documents neither a default nor a maximum
/// (docs/vendors.md §2.3, unknown); streams follow `count`, so a server that clamps the page size loses
/// nothing.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// How many pages a stream fetches ahead of the consumer.
pub const PREFETCH_PAGES: usize = 1;

/// Names of the built-in customer fields that the document shows in searches and records.
/// Custom fields are searched by their field id (`text_6ts9_1687316347239`, see
/// [`crate::FieldConfigs`]).
pub mod field {
    /// 客户id.
    pub const ID: &str = "_id";
    /// 客户名字.
    pub const CUSTOMER_NAME: &str = "customerName";
    /// 手机 (list of `{value, memo}`; the document's `eq` example searches it).
    pub const MOBILE: &str = "mobile";
    /// 邮箱.
    pub const EMAIL: &str = "email";
    /// 归属人 (agent or open-sea id).
    pub const OWNER: &str = "owner";
    /// 所属公海 (the document's `empty` example searches it).
    pub const OPEN_SEA_IDS: &str = "openSeaIds";
    /// 客户来源.
    pub const CUSTOMER_SOURCE: &str = "customerSource";
    /// 创建时间.
    pub const CREATE_TIME: &str = "createTime";
}

impl Customer {
    /// A new customer with this name (the one field the vendor requires on add).
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            customer_name: Some(name.into()),
            ..Self::default()
        }
    }
}

/// `list_customers` with typed conditions; from [`Client::customers`]. Conditions are sent as
/// given (presumably ANDed by the server; the document does not say).
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until sent or streamed"]
pub struct CustomerQuery {
    client: Client,
    arg: ListCustomersArg,
}

impl CustomerQuery {
    /// Adds the condition `field operator values`.
    pub fn search<I, V>(
        mut self,
        field: impl Into<String>,
        operator: impl Into<SearchOperator>,
        values: I,
    ) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.arg
            .search
            .get_or_insert_with(Vec::new)
            .push(SearchCondition {
                field: field.into(),
                operator: operator.into(),
                value: values.into_iter().map(Into::into).collect(),
                extra: ExtraFields::new(),
            });
        self
    }

    /// `field eq [value]`: the field equals `value` (for list fields: one entry does).
    pub fn eq(self, field: impl Into<String>, value: impl Into<String>) -> Self {
        self.search(field, SearchOperatorKnown::Eq, [value.into()])
    }

    /// `field empty []`: the field has no value.
    pub fn empty(self, field: impl Into<String>) -> Self {
        self.search(field, SearchOperatorKnown::Empty, Vec::<String>::new())
    }

    /// Customers per page (default [`DEFAULT_PAGE_SIZE`]); `0` is an [`Error::InvalidArgument`] naming
    /// the valid range when the query is sent. (The server's maximum is not documented; a
    /// server that clamps the page size loses nothing in a stream.)
    pub fn page_size(mut self, limit: u32) -> Self {
        self.arg.limit = Some(i64::from(limit));
        self
    }

    /// The page to fetch with [`CustomerQuery::send`] or to start
    /// [`CustomerQuery::stream_by_page_number`] at (1-based; default 1; `0` is an
    /// [`Error::InvalidArgument`] when sent).
    pub fn page(mut self, page: u32) -> Self {
        self.arg.page = Some(i64::from(page));
        self
    }

    /// The request with its defaults, or the error naming an argument out of range.
    fn checked(arg: ListCustomersArg) -> Result<ListCustomersArg> {
        for (name, value) in [("page size", arg.limit), ("page", arg.page)] {
            if let Some(v) = value.filter(|v| *v < 1) {
                return Err(Error::InvalidArgument(format!(
                    "list_customers: {name} {v} is out of range: at least 1"
                )));
            }
        }
        Ok(Self::with_defaults(arg))
    }

    /// The request as it will be sent.
    pub fn arg(&self) -> &ListCustomersArg {
        &self.arg
    }

    fn with_defaults(mut arg: ListCustomersArg) -> ListCustomersArg {
        arg.page.get_or_insert(1);
        arg.limit.get_or_insert(i64::from(DEFAULT_PAGE_SIZE));
        arg
    }

    /// Fetches one page: its customers and `count`, the total number of matches.
    pub async fn send(self) -> Result<CustomerPage> {
        let response = self
            .client
            .list_customers(&Self::checked(self.arg)?)
            .await?;
        Ok(response.data.unwrap_or_default())
    }

    /// Every matching customer, in `_id` order (the order of creation), each exactly once
    /// (see [`CustomerQuery::stream_as`]).
    pub fn stream(self) -> BoxStream<'static, Result<Customer>> {
        self.stream_as::<Customer>()
    }

    /// Every matching customer decoded as `T`, read by keyset: each request adds
    /// `_id gt <last _id>` to the conditions and asks for the first page, so other users' adds
    /// and deletes cannot shift the pages. The next request goes out as soon as a page is read
    /// down to its customers' `_id`s; each customer is decoded when the stream reaches it.
    ///
    /// - A customer that matches for the whole stream is delivered **exactly once**, in
    ///   ascending `_id` order; one added or deleted meanwhile may or may not be, and none is
    ///   delivered twice.
    /// - The stream ends only when the server says no more match: an empty page, or a page
    ///   holding all `count` matches of its request. A short page alone is not the end.
    /// - Assumed, not documented: the server lists customers in ascending `_id` order (the
    ///   document's ids grow with creation time) and supports `gt` on `_id` (the document shows
    ///   only `eq` and `empty`). Both are checked on every page: a page out of order is an
    ///   [`Error::Protocol`], never a silent gap. For a server without them,
    ///   [`CustomerQuery::stream_by_page_number`] pages by number instead.
    /// - A customer that does not fit `T` is an [`Error::Record`] item and the stream goes on.
    ///
    /// The start page set with [`CustomerQuery::page`] is ignored.
    pub fn stream_as<T: DeserializeOwned + Send + 'static>(self) -> BoxStream<'static, Result<T>> {
        flatten_pages(self.raw_pages(), |records| records.decode::<T>())
    }

    /// [`CustomerQuery::stream_as`] without decoding: every customer exactly as the server sent
    /// it (its JSON text, sharing the answer's buffer), for an export that passes records
    /// through.
    pub fn stream_raw(self) -> BoxStream<'static, Result<RawRecord>> {
        flatten_pages(self.raw_pages(), |records| records.raw().map(Ok))
    }

    /// The pages of a keyset stream, their customers not decoded yet.
    fn raw_pages(self) -> BoxStream<'static, Result<RawRecords>> {
        let client = self.client;
        let base = match Self::checked(self.arg) {
            Ok(base) => base,
            Err(e) => return futures::stream::once(std::future::ready(Err(e))).boxed(),
        };
        paginate(
            OPERATION,
            KeysetCursor(None),
            PREFETCH_PAGES,
            move |cursor: KeysetCursor| {
                let client = client.clone();
                let mut arg = base.clone();
                arg.page = Some(1);
                if let Some(after) = &cursor.0 {
                    arg.search
                        .get_or_insert_with(Vec::new)
                        .push(SearchCondition {
                            field: field::ID.to_owned(),
                            operator: SearchOperatorKnown::Gt.into(),
                            value: vec![after.clone()],
                            extra: ExtraFields::new(),
                        });
                }
                async move {
                    let batch = client
                        .execute_with::<ListCustomers, RawBatch>(&arg, read_batch)
                        .await?;
                    let records = if batch.records.is_empty() {
                        Vec::new()
                    } else {
                        vec![Ok(batch.records)]
                    };
                    keyset_page(cursor, batch.count, &batch.ids, records)
                }
            },
        )
    }

    /// Every matching customer by page number (`page` 1, 2, …), for a server that does not
    /// list by `_id` or lacks `gt`. Ends at an empty page or when the customers seen reach
    /// `count`. **Not exact on a changing tenant**: customers added or deleted while it runs
    /// shift the pages, so one may be missed or met twice (met twice is filtered out here).
    pub fn stream_by_page_number(self) -> BoxStream<'static, Result<Customer>> {
        let client = self.client;
        let base = match Self::checked(self.arg) {
            Ok(base) => base,
            Err(e) => return futures::stream::once(std::future::ready(Err(e))).boxed(),
        };
        let limit = base.limit.unwrap_or(i64::from(DEFAULT_PAGE_SIZE)).max(1);
        let start_page = base.page.unwrap_or(1).max(1);
        let start = PageCursor {
            page: start_page,
            seen: (start_page - 1).saturating_mul(limit),
        };
        let delivered = std::sync::Arc::new(std::sync::Mutex::new(HashSet::<String>::new()));
        paginate(
            OPERATION,
            start,
            PREFETCH_PAGES,
            move |cursor: PageCursor| {
                let client = client.clone();
                let delivered = delivered.clone();
                let mut arg = base.clone();
                arg.page = Some(cursor.page);
                async move {
                    let batch = client
                        .execute_with::<ListCustomers, RawBatch>(&arg, read_batch)
                        .await?;
                    let n = i64::try_from(batch.records.len()).unwrap_or(i64::MAX);
                    let seen = cursor.seen.saturating_add(n);
                    let more = n > 0 && batch.count.is_none_or(|count| seen < count);
                    let mut delivered = delivered.lock().unwrap_or_else(|e| e.into_inner());
                    let records: Vec<Result<Customer>> = batch
                        .ids
                        .into_iter()
                        .zip(batch.records.decode::<Customer>())
                        .filter(|(id, _)| delivered.insert(id.clone()))
                        .map(|(_, r)| r)
                        .collect();
                    if n > 0 && records.is_empty() {
                        return Err(Error::NoProgress {
                            operation: OPERATION,
                            detail: format!(
                                "page {} holds only customers already delivered (a server ignoring `page`?)",
                                cursor.page
                            ),
                        });
                    }
                    Ok(Page {
                        records,
                        next: more.then_some(PageCursor {
                            page: cursor.page + 1,
                            seen,
                        }),
                    })
                }
            },
        )
    }
}

/// Whether the server said "no such route" (HTTP 404/405), as opposed to "no such customer"
/// (an envelope with code 404 in an HTTP 200).
fn is_missing_route(e: &Error) -> bool {
    match e {
        Error::HttpStatus { status, .. } => matches!(status, 404 | 405),
        Error::Api(api) => matches!(
            api.description.as_deref(),
            Some("HTTP 404") | Some("HTTP 405")
        ),
        _ => false,
    }
}

/// The operation a stream calls.
const OPERATION: &str = "list_customers";

/// Where the customers are in a list answer.
const LIST_PATH: &str = "data.list";

/// The `_id` after which a keyset stream continues (`None`: from the start).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct KeysetCursor(Option<String>);

/// A page-number stream's page and the customers before it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PageCursor {
    page: i64,
    seen: i64,
}

/// A list answer down to its customers' JSON text.
#[derive(Deserialize)]
struct RawAnswer<'a> {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    code: Option<WireCode>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "traceId")]
    trace_id: Option<String>,
    #[serde(borrow, default)]
    data: Option<RawData<'a>>,
}

#[derive(Deserialize)]
struct RawData<'a> {
    #[serde(borrow, default)]
    list: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    count: Option<WireCode>,
}

/// One list answer read down to its customers' JSON text and `_id`s; each customer is decoded
/// later, by the stream's consumer.
struct RawBatch {
    count: Option<i64>,
    ids: Vec<String>,
    records: RawRecords,
}

fn read_batch(transport: &Transport, operation: &'static str, body: &[u8]) -> Result<RawBatch> {
    // Checked as UTF-8 once, so that customers can be handed out as text without checking again.
    let parsed = std::str::from_utf8(body)
        .map_err(|e| e.to_string())
        .and_then(|text| {
            serde_json::from_str::<RawAnswer<'_>>(text)
                .map(|answer| (text, answer))
                .map_err(|e| e.to_string())
        });
    let (text, answer) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => {
            check(transport, operation, body)?;
            return Err(Error::Decode {
                operation,
                source: crm_runtime::DecodeError::new(
                    "",
                    message,
                    &transport.redactor().redact_body(body),
                ),
            });
        }
    };
    Envelope {
        success: answer.success,
        code: answer.code,
        message: answer.message,
        trace_id: answer.trace_id,
    }
    .into_result(transport, operation, body)?;
    let data = answer.data.unwrap_or(RawData {
        list: None,
        count: None,
    });
    let list = data.list.unwrap_or_default();
    let mut ids = Vec::with_capacity(list.len());
    for (index, raw) in list.iter().enumerate() {
        // Only the structure of the (checked) text is followed, and `_id` alone is parsed.
        match raw_id(raw.get(), field::ID) {
            Some(id) if !id.is_empty() => ids.push(id),
            _ => {
                return Err(Error::Decode {
                    operation,
                    source: crm_runtime::DecodeError::new(
                        format!("{LIST_PATH}[{index}]._id"),
                        "a customer has no _id",
                        raw.get(),
                    ),
                });
            }
        }
    }
    let mut records = RawRecords::of_list(operation, LIST_PATH, text, &list)
        .map_err(|source| Error::Decode { operation, source })?;
    records.name(ids.iter().cloned().map(Some));
    Ok(RawBatch {
        count: data.count.and_then(|WireCode(c)| c.parse().ok()),
        ids,
        records,
    })
}

/// Compares two numeric `_id` strings by value (shorter is smaller), as the server orders them.
fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The decision after a keyset page (`ids`: its customers' `_id`s, `count`: the matches the
/// server reported): deliver `records` and continue after its last `_id`, or end.
fn keyset_page<R>(
    cursor: KeysetCursor,
    count: Option<i64>,
    ids: &[String],
    records: Vec<Result<R>>,
) -> Result<Page<R, KeysetCursor>> {
    let mut previous = cursor.0.as_deref();
    for id in ids {
        if previous.is_some_and(|p| id_order(id, p) != std::cmp::Ordering::Greater) {
            return Err(Error::Protocol {
                operation: OPERATION,
                vendor: VENDOR,
                detail: format!(
                    "customer {id} comes after {} in a page that should be in ascending _id order after {}: the server does not page by `_id gt`; use stream_by_page_number()",
                    previous.unwrap_or_default(),
                    cursor.0.as_deref().unwrap_or("the start")
                ),
                excerpt: String::new(),
            });
        }
        previous = Some(id);
    }
    let n = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let exhausted = n == 0 || count.is_some_and(|count| count > 0 && n >= count);
    Ok(Page {
        next: if exhausted {
            None
        } else {
            ids.last().cloned().map(|id| KeysetCursor(Some(id)))
        },
        records,
    })
}

fn required(operation: &'static str, data: Option<Customer>) -> Result<Customer> {
    data.ok_or_else(|| Error::Decode {
        operation,
        source: crm_runtime::DecodeError::new("data", "the response has no customer record", ""),
    })
}

impl Client {
    /// `list_customers` with typed conditions: `.send()` for one page, `.stream()` for every
    /// matching customer.
    pub fn customers(&self) -> CustomerQuery {
        CustomerQuery {
            client: self.clone(),
            arg: ListCustomersArg::default(),
        }
    }

    /// One customer by `_id`; `None` when the server answers success without data.
    ///
    /// The document shows two forms: its curl sends `POST /openapi/crm/findById/{id}` with the
    /// body `{}` ([`Client::find_customer_by_id`]), its heading says `GET /openapi/crm/{id}`
    /// ([`Client::find_customer_by_id_short`]). The curl's form goes first; when the server
    /// answers HTTP 404 or 405 (no such route, not "no such customer"), the other form is tried
    /// once, and the one that worked is used by this client (and its clones) from then on.
    pub async fn customer(&self, id: &str) -> Result<Option<Customer>> {
        let arg = FindByIdArg {
            id: id.to_owned(),
            extra: ExtraFields::new(),
        };
        let heading_first = self.inner.find_by_heading_form.load(Ordering::Relaxed);
        let first = self.find_in_form(&arg, heading_first).await;
        match first {
            Err(e) if is_missing_route(&e) => {
                let second = self.find_in_form(&arg, !heading_first).await;
                if second.is_ok() {
                    self.inner
                        .find_by_heading_form
                        .store(!heading_first, Ordering::Relaxed);
                }
                Ok(second?.data)
            }
            other => Ok(other?.data),
        }
    }

    async fn find_in_form(
        &self,
        arg: &FindByIdArg,
        heading_form: bool,
    ) -> Result<crate::generated::types::CustomerResult> {
        if heading_form {
            self.find_customer_by_id_short(arg).await
        } else {
            self.find_customer_by_id(arg).await
        }
    }

    /// Adds a customer and returns the stored record (with its `_id`, keep it for update and
    /// delete). `customerName` is required by the vendor and checked before sending. Not
    /// retried once sent: a repeat would create a duplicate.
    pub async fn add(&self, customer: &Customer) -> Result<Customer> {
        if customer.customer_name.as_deref().is_none_or(str::is_empty) {
            return Err(Error::InvalidArgument(
                "add_customer: customerName is required".into(),
            ));
        }
        required("add_customer", self.add_customer(customer).await?.data)
    }

    /// Updates the customer identified by its `_id` (required; checked before sending) with the
    /// fields that are set, and returns the stored record.
    pub async fn update(&self, customer: &Customer) -> Result<Customer> {
        if customer.id.as_deref().is_none_or(str::is_empty) {
            return Err(Error::InvalidArgument(
                "update_customer: _id is required".into(),
            ));
        }
        required(
            "update_customer",
            self.update_customer(customer).await?.data,
        )
    }

    /// Deletes the customer with this `_id`.
    pub async fn delete(&self, id: &str) -> Result<()> {
        if id.is_empty() {
            return Err(Error::InvalidArgument(
                "delete_customer: id is required".into(),
            ));
        }
        let arg = DeleteCustomerArg {
            id: id.to_owned(),
            extra: ExtraFields::new(),
        };
        self.delete_customer(&arg).await.map(|_| ())
    }
}
