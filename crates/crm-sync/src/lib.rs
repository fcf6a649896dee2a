//! Keeps a copy of CRM records in SQLite (embedded, the default) or PostgreSQL, exactly once
//! per key, resumable after a crash at any instant.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! use crm_sync::{Page, PageStream, Read, Record, Source, SourceKind, Store, SyncOptions, Vendor};
//!
//! /// Customers held in memory. A real source calls the vendor in `pages`, one call per page.
//! struct Customers {
//!     rows: Vec<(&'static str, &'static str)>,
//!     calls: AtomicU64,
//! }
//!
//! impl Source for Customers {
//!     fn vendor(&self) -> Vendor {
//!         Vendor::Useasy
//!     }
//!     fn object(&self) -> &str {
//!         "customers"
//!     }
//!     fn kind(&self) -> SourceKind {
//!         SourceKind::FullPass // no modified-since filter: every run is a full pass
//!     }
//!     fn pages(&self, _read: Read) -> PageStream<'_> {
//!         self.calls.fetch_add(1, Ordering::Relaxed);
//!         let page = self
//!             .rows
//!             .iter()
//!             .map(|(id, json)| Record::from_json(*id, *json, None))
//!             .collect::<Result<Vec<_>, _>>()
//!             .map(Page::new)
//!             .map_err(Into::into);
//!         Box::pin(futures::stream::iter([page]))
//!     }
//!     fn vendor_calls(&self) -> u64 {
//!         self.calls.load(Ordering::Relaxed)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::env::temp_dir().join(format!("crm-sync-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let store = Store::open(&format!("sqlite://{}", dir.join("crm.db").display())).await?;
//!
//! let mut source = Customers {
//!     rows: vec![
//!         ("c1", r#"{"id":"c1","payment_amount":"12.50"}"#),
//!         ("c2", r#"{"id":"c2","payment_amount":"3.00"}"#),
//!     ],
//!     calls: AtomicU64::new(0),
//! };
//! let first = store.sync(&source, &SyncOptions::default()).await?;
//! let counts = first.counts;
//! assert_eq!((counts.fetched, counts.inserted, counts.vendor_calls), (2, 2, 1));
//! println!("{first}");
//!
//! // c1 comes back with its keys in another order (same value), c2 is gone.
//! source.rows = vec![("c1", r#"{"payment_amount":"12.50","id":"c1"}"#)];
//! let second = store.sync(&source, &SyncOptions::default()).await?;
//! assert_eq!((second.counts.unchanged, second.counts.marked_deleted), (1, 1));
//!
//! let rows = store.records(Vendor::Useasy, "customers").await?;
//! assert_eq!(rows.len(), 2);
//! assert_eq!(rows[0].record, r#"{"id":"c1","payment_amount":"12.50"}"#);
//! assert!(!rows[0].deleted && rows[1].deleted);
//!
//! store.close().await;
//! std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
//!
//! # What a sync guarantees
//!
//! - **Exactly once per key.** `crm_records` has one row per `(vendor, object, id)`; every
//!   write is an upsert, so reading a record twice (the lookback, a retried run) never
//!   duplicates it. Records are never deleted physically: a full pass marks them `deleted`.
//! - **Resumable at any instant.** The upserts of a page, the cursor move and the run's counts
//!   commit in one transaction. Killing the process anywhere (`kill -9`) leaves whole pages
//!   and a cursor at the last stored record; the next run continues from there and ends in
//!   the same table as a run that was never interrupted.
//! - **Incremental reads** ([`SourceKind::Incremental`], Fxiaoke): the cursor is
//!   `(modified_at, id)`, read by keyset ([`Read::Incremental`]), so any number of records
//!   sharing one millisecond is read exactly once. Each run starts at the stored cursor minus
//!   [`SyncOptions::lookback`] (default 10 minutes) to catch late-committed changes. The
//!   cursor never moves backwards and never past a record not stored.
//! - **Full passes** ([`SourceKind::FullPass`], useasy and U8 always; Fxiaoke with
//!   [`SyncOptions::full`]) insert new records, update changed ones (JSON compared by value:
//!   key order and spacing do not matter), touch unchanged ones only in `last_synced_at`,
//!   and after the stream ended normally mark every record of the object not seen as
//!   `deleted`. A record that comes back clears its flag. A full pass leaves the
//!   incremental cursor where it is.
//! - **Failures never complete a run.** A source error, exhausted quota or invalid record
//!   marks the run `failed`, marks nothing deleted, and keeps what was stored before.
//! - **One sync per object at a time.** A second sync of the same vendor and object fails
//!   with [`Error::Busy`] (or waits up to [`SyncOptions::lock_wait`]); the lock dies with its
//!   process, so a killed sync never blocks the next one.
//! - **Dry run** ([`SyncOptions::dry_run`]) reads and classifies, and writes nothing.
//!
//! Every timestamp in the tables is an integer of epoch milliseconds (UTC). The crate's
//! README shows the tables and queries on them.
//!
//! # Writing a source
//!
//! Implement [`Source`]: say the vendor, the object and the [`SourceKind`], answer
//! [`Source::pages`] with a stream of pages (one vendor call each is typical), yield vendor
//! errors as `Err` items (never end the stream quietly on an error), and count vendor calls.
//! An incremental source answers [`Read::Incremental`] in strictly ascending
//! `(modified_at, id)` order; the engine computes the cursor from the records themselves.
//! With the `test-util` feature, [`fake::FakeSource`] is a complete example.
//!
//! # The vendors' sources
//!
//! The features `fxiaoke`, `useasy` and `u8` add `vendors`: `FxiaokeObject` (any Fxiaoke
//! object, incremental by `(last_modified_time, _id)`), `UseasyCustomers` and `U8Contacts`
//! (full passes), on the SDK clients: what `crm ... sync` runs.
//!
//! # Testing code built on this crate
//!
//! The `test-util` feature adds `fake` (an in-memory source that behaves like a live tenant)
//! and `testing` (a fresh database on a throw-away PostgreSQL server, started on first use).

// A published crate: every public item is documented (the workspace only warns).
#![deny(missing_docs)]

mod engine;
mod error;
mod json;
mod options;
mod source;
mod store;

#[cfg(feature = "test-util")]
pub mod fake;
#[cfg(feature = "test-util")]
pub mod testing;
#[cfg(any(feature = "fxiaoke", feature = "useasy", feature = "u8"))]
pub mod vendors;

pub use error::{BoxError, Error};
pub use options::{DEFAULT_LOOKBACK, Progress, RunCounts, SyncMode, SyncOptions, SyncSummary};
pub use source::{
    Cursor, Page, PageStream, Read, Record, Source, SourceError, SourceKind, UnknownVendor, Vendor,
};
pub use store::{RunStatus, SCHEMA_VERSION, Store, StoreKind, StoredRecord, SyncRun, redact_url};
