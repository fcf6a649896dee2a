//! [`U8Contacts`]: the customer contacts of a U8 data source, read by full passes.

use serde_json::value::RawValue;

use super::{Keys, full_pass_pages};
use crate::source::{PageStream, Read, Record, Source, SourceKind, Vendor};

/// Contacts per call unless set: U8 documents no maximum, and fewer calls cost less time.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// The customer contacts of U8 as a [`Source`]: [`SourceKind::FullPass`] (the API has no
/// modified-since filter and no modification time, so every run reads every contact, and a
/// completed run marks the contacts it did not see as deleted).
///
/// - Every read is the SDK's stream `batch_get().stream_as::<Box<RawValue>>()`, grouped into
///   pages of the page size (one `batch_get` call each).
/// - Each contact is stored as the gateway sent it, keyed by `code`, without a
///   `modified_at`.
/// - U8 pages by number: a contact deleted by someone else during a pass shifts the later
///   pages, so the pass can miss a contact that still exists. It is then marked deleted
///   until the next pass sees it again (which clears the flag). The SDK documents this
///   limit of the API.
/// - The object name is `contacts`.
#[derive(Clone, Debug)]
pub struct U8Contacts {
    client: u8_contacts::Client,
    page_size: u32,
}

impl U8Contacts {
    /// The contacts read through `client` (its data source), 100 per call (`DEFAULT_PAGE_SIZE`).
    pub fn new(client: u8_contacts::Client) -> Self {
        Self {
            client,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// Contacts per call (at least 1).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.max(1);
        self
    }
}

fn record(raw: Box<RawValue>, keys: Keys) -> Record {
    let id = keys.id.and_then(|s| s.id()).unwrap_or_default();
    Record::new(id, raw, None)
}

impl Source for U8Contacts {
    fn vendor(&self) -> Vendor {
        Vendor::U8
    }

    fn object(&self) -> &str {
        "contacts"
    }

    fn kind(&self) -> SourceKind {
        SourceKind::FullPass
    }

    /// A full pass, whatever `read` asks (the engine only asks a full-pass source for
    /// [`Read::Full`]).
    fn pages(&self, _read: Read) -> PageStream<'_> {
        let stream = self
            .client
            .batch_get()
            .page_size(self.page_size)
            .stream_as::<Box<RawValue>>();
        full_pass_pages("u8", stream, self.page_size, record, "code", None)
    }

    fn vendor_calls(&self) -> u64 {
        self.client.requests_sent()
    }
}
