//! [`FxiaokeObject`]: one Fxiaoke object (any API name), read incrementally by
//! `(last_modified_time, _id)`.

use futures::StreamExt;
use fxiaoke_crm::{FilterOperator, Position, StreamPage};
use serde_json::value::RawValue;

use super::{Keys, end_after_error, records};
use crate::source::{Page, PageStream, Read, Record, Source, SourceError, SourceKind, Vendor};

/// The field an incremental read orders and filters by.
pub(crate) const MODIFIED_FIELD: &str = "last_modified_time";

/// One object of Fxiaoke CRM V2 (a preset object such as `AccountObj`, or a custom `__c`
/// object) as a [`Source`]: [`SourceKind::Incremental`].
///
/// - [`Read::Incremental`] is the SDK's keyset stream of
///   `query_as::<Box<RawValue>>(object)` ordered by `last_modified_time` ascending (the stream
///   ends the order with `_id`). After a cursor `(t, id)` it resumes with
///   [`Query::after`](fxiaoke_crm::Query::after), i.e. `last_modified_time EQ t AND _id GT id`,
///   then `last_modified_time GT t`: any number of records sharing one millisecond is read
///   exactly once, at any depth, with no offset cap. A cursor with an empty id (the start of
///   the lookback window) reads from the start of millisecond `t` with the filter
///   `last_modified_time GTE t`.
/// - [`Read::Full`] is the plain `_id` stream of every record (voided ones included: the
///   API returns them, with `life_status: "invalid"`).
/// - Each record is stored as the vendor sent it, keyed by `_id`, with `last_modified_time`
///   (epoch ms, a JSON number or a numeric string) as its `modified_at`. A record without a
///   readable `last_modified_time` fails an incremental run (the engine cannot place it);
///   a full pass stores it without one.
/// - A vendor error, an exhausted quota or a network failure ends the stream with that
///   error (a [`fxiaoke_crm::Error`] inside the [`SourceError`]).
#[derive(Clone, Debug)]
pub struct FxiaokeObject {
    client: fxiaoke_crm::Client,
    object: String,
    page_size: u32,
}

impl FxiaokeObject {
    /// The object `api_name` read through `client`, 100 records per call (the API's most).
    pub fn new(client: fxiaoke_crm::Client, api_name: impl Into<String>) -> Self {
        Self {
            client,
            object: api_name.into(),
            page_size: fxiaoke_crm::MAX_PAGE_SIZE,
        }
    }

    /// Records per call, clamped to `1..=`[`fxiaoke_crm::MAX_PAGE_SIZE`].
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, fxiaoke_crm::MAX_PAGE_SIZE);
        self
    }

    /// The records per call.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// The client.
    pub fn client(&self) -> &fxiaoke_crm::Client {
        &self.client
    }
}

/// A record keyed by `_id`, with `last_modified_time` as its modification time.
fn record(raw: Box<RawValue>, keys: Keys) -> Record {
    let id = keys.id.and_then(|s| s.id()).unwrap_or_default();
    let modified_at = keys.modified.and_then(|s| s.epoch_millis());
    Record::new(id, raw, modified_at)
}

/// One page of the SDK's stream as a page of records; any error (a record that could not be
/// read never happens with `Box<RawValue>`, but would count too) fails the page.
fn page(page: fxiaoke_crm::Result<StreamPage<Box<RawValue>>>) -> Result<Page, SourceError> {
    let page = page?;
    let raws = page
        .records
        .into_iter()
        .collect::<fxiaoke_crm::Result<Vec<Box<RawValue>>>>()?;
    records("fxiaoke", raws, record, "_id", Some(MODIFIED_FIELD)).map(Page::new)
}

impl Source for FxiaokeObject {
    fn vendor(&self) -> Vendor {
        Vendor::Fxiaoke
    }

    fn object(&self) -> &str {
        &self.object
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Incremental
    }

    fn pages(&self, read: Read) -> PageStream<'_> {
        let query = self
            .client
            .query_as::<Box<RawValue>>(&self.object)
            .page_size(self.page_size);
        let query = match read {
            Read::Full => query,
            Read::Incremental { after } => {
                let query = query.order_by(MODIFIED_FIELD, true);
                match after {
                    None => query,
                    Some(start) if start.id.is_empty() => query.filter(
                        MODIFIED_FIELD,
                        FilterOperator::Gte,
                        [start.modified_at.to_string()],
                    ),
                    Some(after) => query.after(Position {
                        values: vec![Some(after.modified_at.to_string())],
                        id: after.id,
                    }),
                }
            }
        };
        end_after_error(query.pages().map(page).boxed())
    }

    fn vendor_calls(&self) -> u64 {
        self.client.requests_sent()
    }
}
