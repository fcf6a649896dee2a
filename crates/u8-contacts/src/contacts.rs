//! A typed builder over `customercontacts/batch_get`: every filter, one page or a stream of
//! every matching contact.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use crm_runtime::decode::{RawRecord, RawRecords, WireCode, raw_id};
use crm_runtime::{LenientInt, Page, Transport, flatten_pages, paginate};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::{Answer, check};
use crate::generated::operations::BatchGetContacts;
use crate::generated::types::{BatchGetQuery, BatchGetResponse, Contact};
use crate::{Client, Error, Result};

/// Rows per page when none is set. U8 documents no maximum (docs/vendors.md §3.3; the official SDK
/// uses 20); paging follows the `page_count` the server returns, so a server-side clamp is
/// harmless.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// How many pages a stream fetches ahead of the consumer.
pub const PREFETCH_PAGES: usize = 1;

/// `batch_get` with typed filters; from [`Client::batch_get`].
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until sent or streamed"]
pub struct BatchGet {
    client: Client,
    query: BatchGetQuery,
}

macro_rules! string_filters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<String>) -> Self {
                self.query.$name = Some(value.into());
                self
            }
        )*
    };
}

fn flag(b: bool) -> String {
    if b { "1" } else { "0" }.to_owned()
}

impl BatchGet {
    string_filters! {
        /// 起始联系人编码: contacts with a code ≥ this.
        code_begin,
        /// 结束联系人编码: contacts with a code ≤ this.
        code_end,
        /// 联系人名称关键字: name contains.
        name,
        /// 所属客户编码: exact customer code.
        ccuscode,
        /// 所属客户名称关键字: customer name contains.
        ccusname,
        /// 直接上级编码: exact code of the direct superior.
        direct_leader_code,
        /// 直接上级关键字: direct superior's name contains.
        direct_leader,
        /// 负责人编码: exact code of the person in charge.
        charge_person_code,
        /// 负责人关键字: the person in charge's name contains.
        charge_person,
        /// 称呼: exact form of address.
        title,
        /// 性别: exact sex (男, 女, 不详).
        sex,
        /// 职位: exact position.
        position,
        /// 手机号: exact mobile number.
        mobile_phone,
        /// 办公电话: exact office phone.
        office_phone,
        /// email关键字: e-mail contains.
        email,
        /// 个人爱好关键字: hobbies contain.
        favorite,
        /// 微信号关键字: WeChat id contains.
        wechat,
        /// QQ号: QQ number.
        qq,
    }

    /// 主要联系人: only main contacts (`true`) or only others (`false`); sent as `"1"`/`"0"`.
    pub fn be_main_linker(mut self, value: bool) -> Self {
        self.query.be_main_linker = Some(flag(value));
        self
    }

    /// 默认联系人: only default contacts (`true`) or only others; sent as `"1"`/`"0"`.
    pub fn default_contact(mut self, value: bool) -> Self {
        self.query.default = Some(flag(value));
        self
    }

    /// 生日: exact birthday, sent as `yyyy-MM-dd`.
    pub fn birthday(mut self, date: NaiveDate) -> Self {
        self.query.birthday = Some(date.format("%Y-%m-%d").to_string());
        self
    }

    /// 数据源序号: overrides the client's data source for this query.
    pub fn ds_sequence(mut self, ds: i64) -> Self {
        self.query.ds_sequence = Some(LenientInt::new(ds));
        self
    }

    /// Rows per page (default [`DEFAULT_PAGE_SIZE`]); `0` is an [`Error::InvalidArgument`] naming the
    /// valid range when the query is sent. U8 documents no maximum.
    pub fn page_size(mut self, rows: u32) -> Self {
        self.query.rows_per_page = Some(LenientInt::new(i64::from(rows)));
        self
    }

    /// The page to fetch with [`BatchGet::send`], or to start a stream at (1-based; default 1;
    /// `0` is an [`Error::InvalidArgument`] when sent).
    pub fn page(mut self, page: u32) -> Self {
        self.query.page_index = Some(LenientInt::new(i64::from(page)));
        self
    }

    /// The query with its defaults, or the error naming an argument out of range.
    fn checked(query: BatchGetQuery) -> Result<BatchGetQuery> {
        for (name, value) in [
            ("page size", &query.rows_per_page),
            ("page", &query.page_index),
        ] {
            if let Some(v) = value.as_ref().and_then(LenientInt::get).filter(|v| *v < 1) {
                return Err(Error::InvalidArgument(format!(
                    "batch_get_contacts: {name} {v} is out of range: at least 1"
                )));
            }
        }
        Ok(Self::with_defaults(query))
    }

    /// The query as it will be sent.
    pub fn query(&self) -> &BatchGetQuery {
        &self.query
    }

    fn with_defaults(mut query: BatchGetQuery) -> BatchGetQuery {
        query.page_index.get_or_insert(LenientInt::new(1));
        query
            .rows_per_page
            .get_or_insert(LenientInt::new(i64::from(DEFAULT_PAGE_SIZE)));
        query
    }

    /// Fetches one page.
    pub async fn send(self) -> Result<BatchGetResponse> {
        self.client
            .batch_get_contacts(&Self::checked(self.query)?)
            .await
    }

    /// Every matching contact (see [`BatchGet::stream_as`]).
    pub fn stream(self) -> BoxStream<'static, Result<Contact>> {
        self.stream_as::<Contact>()
    }

    /// Every matching contact decoded as `T`, page after page: the next page is requested as
    /// soon as this one is read down to its contacts' `code`s, and each contact is decoded when
    /// the stream reaches it.
    ///
    /// - The stream ends only when the server says no more match: an empty page (or the
    ///   `20002` "no match" answer), or the contacts delivered reaching `row_count` (without a
    ///   `row_count`, the page reaching `page_count`). A short page alone is not the end.
    /// - A contact is never delivered twice (they are told apart by `code`). U8 pages by number
    ///   and offers no cursor, so contacts added or deleted while the stream runs can shift
    ///   the pages and one may be missed.
    /// - A page of contacts that were all delivered already ends the stream with
    ///   [`Error::NoProgress`] (a server ignoring `page_index`).
    /// - A contact that does not fit `T` is an [`Error::Record`] item; the stream goes on.
    pub fn stream_as<T: DeserializeOwned + Send + 'static>(self) -> BoxStream<'static, Result<T>> {
        flatten_pages(self.raw_pages(), |records| records.decode::<T>())
    }

    /// [`BatchGet::stream_as`] without decoding: every contact exactly as the server sent it
    /// (its JSON text, sharing the answer's buffer), for an export that passes records
    /// through.
    pub fn stream_raw(self) -> BoxStream<'static, Result<RawRecord>> {
        flatten_pages(self.raw_pages(), |records| records.raw().map(Ok))
    }

    /// The pages of a stream, their contacts not decoded yet.
    fn raw_pages(self) -> BoxStream<'static, Result<RawRecords>> {
        let client = self.client;
        let base = match Self::checked(self.query) {
            Ok(base) => base,
            Err(e) => return futures::stream::once(std::future::ready(Err(e))).boxed(),
        };
        let start = PageCursor {
            page: base
                .page_index
                .as_ref()
                .and_then(|p| p.get())
                .unwrap_or(1)
                .max(1),
            delivered: 0,
        };
        let seen = Arc::new(Mutex::new(HashSet::<String>::new()));
        paginate(
            OPERATION,
            start,
            PREFETCH_PAGES,
            move |cursor: PageCursor| {
                let client = client.clone();
                let seen = seen.clone();
                let mut query = base.clone();
                query.page_index = Some(LenientInt::new(cursor.page));
                async move {
                    let page = client
                        .execute_with::<BatchGetContacts, RawPage>(&query, read_page)
                        .await?;
                    let n = i64::try_from(page.records.len()).unwrap_or(i64::MAX);
                    let delivered = cursor.delivered.saturating_add(n);
                    let exhausted = n == 0
                        || match (page.row_count, page.page_count) {
                            (Some(rows), _) if rows > 0 => delivered >= rows,
                            (_, Some(pages)) if pages > 0 => cursor.page >= pages,
                            _ => false,
                        };
                    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                    let fresh: Vec<bool> = page
                        .codes
                        .iter()
                        .map(|code| code.as_ref().is_none_or(|c| seen.insert(c.clone())))
                        .collect();
                    let mut records = page.records;
                    records.retain_flagged(&fresh);
                    if n > 0 && records.is_empty() {
                        return Err(Error::NoProgress {
                            operation: OPERATION,
                            detail: format!(
                                "page {} holds only contacts already delivered (a server ignoring page_index?)",
                                cursor.page
                            ),
                        });
                    }
                    Ok(Page {
                        records: if records.is_empty() {
                            Vec::new()
                        } else {
                            vec![Ok(records)]
                        },
                        next: (!exhausted).then_some(PageCursor {
                            page: cursor.page.saturating_add(1),
                            delivered,
                        }),
                    })
                }
            },
        )
    }
}

/// The operation a stream calls.
const OPERATION: &str = "batch_get_contacts";

/// Where the contacts are in a batch_get answer.
const LIST_PATH: &str = "customercontacts";

/// The page a stream fetches next and the contacts delivered before it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PageCursor {
    page: i64,
    delivered: i64,
}

/// A batch_get answer down to its contacts' JSON text and its (string) paging metadata.
#[derive(Deserialize)]
struct RawAnswer<'a> {
    #[serde(borrow, default)]
    customercontacts: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    row_count: Option<WireCode>,
    #[serde(default)]
    page_count: Option<WireCode>,
}

/// One page read down to its contacts' JSON text and `code`s; each contact is decoded later, by
/// the stream's consumer.
struct RawPage {
    codes: Vec<Option<String>>,
    records: RawRecords,
    row_count: Option<i64>,
    page_count: Option<i64>,
}

fn read_page(transport: &Transport, operation: &'static str, body: &[u8]) -> Result<RawPage> {
    if check(transport, operation, body, LIST_PATH, true)? == Answer::NoMatch {
        return Ok(RawPage {
            codes: Vec::new(),
            records: RawRecords::new(operation, LIST_PATH, Arc::from("")),
            row_count: Some(0),
            page_count: Some(0),
        });
    }
    let decode_error = |message: String| Error::Decode {
        operation,
        source: crm_runtime::DecodeError::new("", message, &transport.redactor().redact_body(body)),
    };
    // Checked as UTF-8 once, so that contacts can be handed out as text without checking again.
    let text = std::str::from_utf8(body).map_err(|e| decode_error(e.to_string()))?;
    let answer =
        serde_json::from_str::<RawAnswer<'_>>(text).map_err(|e| decode_error(e.to_string()))?;
    let count = |c: Option<WireCode>| c.and_then(|WireCode(c)| c.parse::<i64>().ok());
    let list = answer.customercontacts.unwrap_or_default();
    // Only the structure of the (checked) text is followed, and `code` alone is parsed.
    let codes: Vec<Option<String>> = list.iter().map(|raw| raw_id(raw.get(), "code")).collect();
    let mut records = RawRecords::of_list(operation, LIST_PATH, text, &list)
        .map_err(|source| Error::Decode { operation, source })?;
    records.name(codes.iter().cloned());
    Ok(RawPage {
        codes,
        records,
        row_count: count(answer.row_count),
        page_count: count(answer.page_count),
    })
}

impl Contact {
    /// The birthday as a date: `None` when the field is absent, empty (`""`, as U8 sends "no
    /// birthday") or not a date. The wire form stays in [`Contact::birthday`] for re-encoding.
    pub fn birthday_date(&self) -> Option<NaiveDate> {
        self.birthday.as_ref().and_then(|b| b.date())
    }
}

impl Client {
    /// `customercontacts/batch_get` with typed filters: `.send()` for one page, `.stream()`
    /// for every contact.
    pub fn batch_get(&self) -> BatchGet {
        BatchGet {
            client: self.clone(),
            query: BatchGetQuery::default(),
        }
    }

    /// `customercontacts/get`: one contact by its code.
    pub async fn contact(&self, code: &str) -> Result<Option<Contact>> {
        let query = crate::generated::types::GetContactQuery {
            id: code.to_owned(),
            ds_sequence: None,
        };
        Ok(self.get_contact(&query).await?.customercontacts)
    }
}
