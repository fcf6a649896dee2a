//! [`UseasyCustomers`]: the customers of a useasy account, read by full passes.

use crm_runtime::ChinaDateTime;
use serde::Deserialize;
use serde::de::IntoDeserializer;
use serde_json::value::RawValue;

use super::{Keys, Scalar, full_pass_pages};
use crate::source::{PageStream, Read, Record, Source, SourceKind, Vendor};

/// The field read as the modification time.
pub(crate) const MODIFIED_FIELD: &str = "updateTime";

/// The customers of a useasy account as a [`Source`]: [`SourceKind::FullPass`] (the API has
/// no modified-since filter, so every run reads every customer, and a completed run marks
/// the customers it did not see as deleted).
///
/// - Every read is the SDK's keyset stream `customers().stream_as::<Box<RawValue>>()`
///   (ascending `_id`, each customer exactly once), grouped into pages of the page size (one
///   list call each).
/// - Each customer is stored as the server sent it, keyed by `_id` (a string or a number),
///   with `updateTime` (China time `yyyy-MM-dd HH:mm:ss`, UTC+8; or epoch ms) converted to
///   epoch ms as its `modified_at`, and no `modified_at` when it does not parse.
/// - The object name is `customers`.
#[derive(Clone, Debug)]
pub struct UseasyCustomers {
    client: openapi_crm::Client,
    page_size: u32,
}

impl UseasyCustomers {
    /// The customers read through `client`, 100 per call.
    pub fn new(client: openapi_crm::Client) -> Self {
        Self {
            client,
            page_size: openapi_crm::DEFAULT_PAGE_SIZE,
        }
    }

    /// Customers per call (at least 1; the server may serve fewer, which costs calls, not
    /// records).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.max(1);
        self
    }
}

/// `updateTime` as epoch ms: the China-time text or epoch number the SDK's
/// [`ChinaDateTime`] reads, `None` for anything else.
pub(crate) fn update_time_millis(value: &Scalar) -> Option<i64> {
    let time = match value {
        Scalar::Text(s) => ChinaDateTime::deserialize(s.as_str().into_deserializer()),
        Scalar::Int(n) => ChinaDateTime::deserialize((*n).into_deserializer()),
        Scalar::UInt(n) => ChinaDateTime::deserialize((*n).into_deserializer()),
        Scalar::Float(_) | Scalar::Other => return None,
    };
    let time: Result<ChinaDateTime, serde::de::value::Error> = time;
    time.ok()?.to_utc().map(|t| t.timestamp_millis())
}

fn record(raw: Box<RawValue>, keys: Keys) -> Record {
    let id = keys.id.and_then(|s| s.id()).unwrap_or_default();
    let modified_at = keys.modified.as_ref().and_then(update_time_millis);
    Record::new(id, raw, modified_at)
}

impl Source for UseasyCustomers {
    fn vendor(&self) -> Vendor {
        Vendor::Useasy
    }

    fn object(&self) -> &str {
        "customers"
    }

    fn kind(&self) -> SourceKind {
        SourceKind::FullPass
    }

    /// A full pass, whatever `read` asks (the engine only asks a full-pass source for
    /// [`Read::Full`]).
    fn pages(&self, _read: Read) -> PageStream<'_> {
        let stream = self
            .client
            .customers()
            .page_size(self.page_size)
            .stream_as::<Box<RawValue>>();
        full_pass_pages(
            "useasy",
            stream,
            self.page_size,
            record,
            "_id",
            Some(MODIFIED_FIELD),
        )
    }

    fn vendor_calls(&self) -> u64 {
        self.client.requests_sent()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_times_are_china_time() {
        // 2023-06-26 23:18:43 +08:00 = 15:18:43 UTC.
        assert_eq!(
            update_time_millis(&Scalar::Text("2023-06-26 23:18:43".into())),
            Some(1_687_792_723_000)
        );
        assert_eq!(
            update_time_millis(&Scalar::UInt(1_687_792_723_000)),
            Some(1_687_792_723_000)
        );
        assert_eq!(update_time_millis(&Scalar::Text(String::new())), None);
        assert_eq!(update_time_millis(&Scalar::Text("yesterday".into())), None);
        assert_eq!(
            update_time_millis(&Scalar::Text("2023-06-26T23:18:43".into())),
            None
        );
        assert_eq!(update_time_millis(&Scalar::Other), None);
    }
}
