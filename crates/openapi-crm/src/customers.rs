//! Customers: a typed list builder (search conditions, one page or a stream of every match)
//! and convenience wrappers over add / update / find / delete that return the record itself.

use crm_runtime::{LenientInt, OpenEnum, Page, paginate};
use futures::stream::BoxStream;
use serde_json::Map;

use crate::generated::types::{
    Customer, CustomerPage, DeleteCustomerArg, FindByIdArg, ListCustomersArg, SearchCondition,
    SearchOperatorKnown,
};
use crate::{Client, Error, Result};

/// A search operator: a known one ([`SearchOperatorKnown`]) or any other string, passed through.
///
/// Only **`eq`** (equals; for list fields such as `mobile`: any entry equals) and **`empty`**
/// (no value; sent with an empty value list) appear in the vendor document. The other known
/// variants (`ne`, `in`, `nin`, `like`, `notEmpty`, `gt`, `gte`, `lt`, `lte`, `between`) are the
/// usual set and **unconfirmed** for the real server; the embedded mock implements all of them.
pub type SearchOperator = OpenEnum<SearchOperatorKnown>;

/// Customers per page when none is set. The vendor documents neither a default nor a maximum
/// (VENDORS.md §2.3, unknown); streams follow `count`, so a server that clamps the page size loses
/// nothing.
pub const DEFAULT_PAGE_SIZE: i64 = 100;

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
                extra: Map::new(),
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

    /// Customers per page (default [`DEFAULT_PAGE_SIZE`]; at least 1).
    pub fn page_size(mut self, limit: i64) -> Self {
        self.arg.limit = Some(limit.max(1));
        self
    }

    /// The page to fetch with [`CustomerQuery::send`], or to start a stream at (1-based;
    /// default 1).
    pub fn page(mut self, page: i64) -> Self {
        self.arg.page = Some(page.max(1));
        self
    }

    /// The request as it will be sent.
    pub fn arg(&self) -> &ListCustomersArg {
        &self.arg
    }

    fn with_defaults(mut arg: ListCustomersArg) -> ListCustomersArg {
        arg.page.get_or_insert(1);
        arg.limit.get_or_insert(DEFAULT_PAGE_SIZE);
        arg
    }

    /// Fetches one page: its customers and `count`, the total number of matches.
    pub async fn send(self) -> Result<CustomerPage> {
        let response = self
            .client
            .list_customers(&Self::with_defaults(self.arg))
            .await?;
        Ok(response.data.unwrap_or_default())
    }

    /// Every matching customer, page after page (the next page is fetched while this one is
    /// consumed).
    ///
    /// Stops at an empty page; otherwise, when the response has a `count`, once the customers
    /// seen (counting the pages before the start page as full) reach it; without a `count`, after
    /// a page with fewer than `limit` customers. A short page below `count` does not stop the
    /// stream, so a server that clamps the page size loses nothing. A page that starts with the
    /// same customer as the one before (a server ignoring `page`) ends the stream with
    /// [`Error::NoProgress`] instead of repeating forever. Customers added or deleted while
    /// streaming can shift pages (a record seen twice or missed): the API has no cursor.
    pub fn stream(self) -> BoxStream<'static, Result<Customer>> {
        let client = self.client;
        let base = Self::with_defaults(self.arg);
        let limit = base.limit.unwrap_or(DEFAULT_PAGE_SIZE).max(1);
        let start_page = base.page.unwrap_or(1).max(1);
        let start = Cursor {
            page: start_page,
            seen: (start_page - 1).saturating_mul(limit),
            first_id: None,
        };
        paginate(
            "list_customers",
            start,
            PREFETCH_PAGES,
            move |cursor: Cursor| {
                let client = client.clone();
                let mut arg = base.clone();
                arg.page = Some(cursor.page);
                async move {
                    let response = client.list_customers(&arg).await?;
                    let data = response.data;
                    let count = data
                        .as_ref()
                        .and_then(|d| d.count.as_ref())
                        .and_then(LenientInt::get);
                    let records = data.and_then(|d| d.list).unwrap_or_default();
                    let first_id = records.first().and_then(|c| c.id.clone());
                    if first_id.is_some() && first_id == cursor.first_id {
                        return Err(Error::NoProgress {
                            operation: "list_customers",
                            detail: format!(
                                "page {} starts with the same customer as page {}",
                                cursor.page,
                                cursor.page - 1
                            ),
                        });
                    }
                    let n = records.len() as i64;
                    let seen = cursor.seen.saturating_add(n);
                    let more = n > 0
                        && match count {
                            Some(count) => seen < count,
                            None => n >= limit,
                        };
                    if more && n < limit {
                        tracing::debug!(
                            page = cursor.page,
                            n,
                            limit,
                            "short page below count: the server may clamp the page size"
                        );
                    }
                    Ok(Page {
                        next: more.then(|| Cursor {
                            page: cursor.page + 1,
                            seen,
                            first_id,
                        }),
                        records,
                    })
                }
            },
        )
    }
}

/// Where a customer stream is: the page to fetch, customers before it, and the first id of the
/// page before (loop guard).
#[derive(Clone, Debug, PartialEq)]
struct Cursor {
    page: i64,
    seen: i64,
    first_id: Option<String>,
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

    /// One customer by `_id` ([`Client::find_customer_by_id`], the document's example path
    /// `/openapi/crm/findById/{id}`); `None` when the server answers success without data.
    pub async fn customer(&self, id: &str) -> Result<Option<Customer>> {
        let arg = FindByIdArg {
            id: id.to_owned(),
            extra: Map::new(),
        };
        Ok(self.find_customer_by_id(&arg).await?.data)
    }

    /// Adds a customer and returns the stored record (with its `_id`, keep it for update and
    /// delete). `customerName` is required by the vendor and checked before sending. Not
    /// retried once sent: a repeat would create a duplicate.
    pub async fn add(&self, customer: &Customer) -> Result<Customer> {
        if customer.customer_name.as_deref().is_none_or(str::is_empty) {
            return Err(Error::Config(
                "add_customer: customerName is required".into(),
            ));
        }
        required("add_customer", self.add_customer(customer).await?.data)
    }

    /// Updates the customer identified by its `_id` (required; checked before sending) with the
    /// fields that are set, and returns the stored record.
    pub async fn update(&self, customer: &Customer) -> Result<Customer> {
        if customer.id.as_deref().is_none_or(str::is_empty) {
            return Err(Error::Config("update_customer: _id is required".into()));
        }
        required(
            "update_customer",
            self.update_customer(customer).await?.data,
        )
    }

    /// Deletes the customer with this `_id`.
    pub async fn delete(&self, id: &str) -> Result<()> {
        if id.is_empty() {
            return Err(Error::Config("delete_customer: id is required".into()));
        }
        let arg = DeleteCustomerArg {
            id: id.to_owned(),
            extra: Map::new(),
        };
        self.delete_customer(&arg).await.map(|_| ())
    }
}
