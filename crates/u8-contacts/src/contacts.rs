//! A typed builder over `customercontacts/batch_get`: every filter, one page or a stream of
//! every matching contact.

use chrono::NaiveDate;
use crm_runtime::{LenientInt, Page, paginate};
use futures::stream::BoxStream;

use crate::generated::types::{BatchGetQuery, BatchGetResponse, Contact};
use crate::{Client, Result};

/// Rows per page when none is set. U8 documents no maximum (VENDORS.md §3.3; the official SDK
/// uses 20); paging follows the `page_count` the server returns, so a server-side clamp is
/// harmless.
pub const DEFAULT_PAGE_SIZE: i64 = 100;

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

    /// Rows per page (default [`DEFAULT_PAGE_SIZE`]).
    pub fn page_size(mut self, rows: i64) -> Self {
        self.query.rows_per_page = Some(LenientInt::new(rows.max(1)));
        self
    }

    /// The page to fetch with [`BatchGet::send`] (1-based; default 1).
    pub fn page(mut self, page: i64) -> Self {
        self.query.page_index = Some(LenientInt::new(page.max(1)));
        self
    }

    /// The query as it will be sent.
    pub fn query(&self) -> &BatchGetQuery {
        &self.query
    }

    fn with_defaults(mut query: BatchGetQuery) -> BatchGetQuery {
        query.page_index.get_or_insert(LenientInt::new(1));
        query
            .rows_per_page
            .get_or_insert(LenientInt::new(DEFAULT_PAGE_SIZE));
        query
    }

    /// Fetches one page.
    pub async fn send(self) -> Result<BatchGetResponse> {
        self.client
            .batch_get_contacts(&Self::with_defaults(self.query))
            .await
    }

    /// Every matching contact, page after page (the next page is fetched while this one is
    /// consumed). Stops after the page whose `page_index` reaches `page_count`, or at the first
    /// empty page when the server sends no `page_count`.
    pub fn stream(self) -> BoxStream<'static, Result<Contact>> {
        let client = self.client;
        let base = Self::with_defaults(self.query);
        let start = base
            .page_index
            .as_ref()
            .and_then(LenientInt::get)
            .unwrap_or(1);
        paginate(
            "batch_get_contacts",
            start,
            PREFETCH_PAGES,
            move |page_index: i64| {
                let client = client.clone();
                let mut query = base.clone();
                query.page_index = Some(LenientInt::new(page_index));
                async move {
                    let response = client.batch_get_contacts(&query).await?;
                    let records = response.customercontacts.unwrap_or_default();
                    let last = match response.page_count.as_ref().and_then(LenientInt::get) {
                        Some(count) => page_index >= count,
                        None => records.is_empty(),
                    };
                    Ok(Page {
                        next: (!last && !records.is_empty()).then_some(page_index + 1),
                        records,
                    })
                }
            },
        )
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
