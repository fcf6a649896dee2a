//! What the engine pulls records from: the [`Source`] trait and the values it yields.
//!
//! A source is one object of one vendor (`fxiaoke`/`AccountObj`, `useasy`/`customers`,
//! `u8`/`contacts`). It answers a [`Read`] with a stream of [`Page`]s. The engine never looks
//! inside a source's errors: they are stored in the run row as text and handed back in
//! [`Error::Source`](crate::Error::Source).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use futures::stream::BoxStream;
use serde::Serialize;
use serde_json::value::RawValue;

/// An error of a source (transport, vendor error code, quota exhaustion, decoding). Opaque to
/// the engine: it ends the run as failed and is returned inside [`Error::Source`](crate::Error::Source).
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The pages of one read, in the order the vendor returned them.
pub type PageStream<'a> = BoxStream<'a, Result<Page, SourceError>>;

/// The vendor a record comes from; stored as [`Vendor::as_str`] in the `vendor` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Vendor {
    /// 纷享销客 Fxiaoke / ShareCRM (`fxiaoke`): incremental by `(last_modified_time, _id)`.
    Fxiaoke,
    /// 有逸 useasy (`useasy`): full passes only.
    Useasy,
    /// 用友 Yonyou U8 (`u8`): full passes only.
    U8,
}

impl Vendor {
    /// Every vendor, in a stable order.
    pub const ALL: [Vendor; 3] = [Vendor::Fxiaoke, Vendor::Useasy, Vendor::U8];

    /// The name stored in the `vendor` column: `fxiaoke`, `useasy` or `u8`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Vendor::Fxiaoke => "fxiaoke",
            Vendor::Useasy => "useasy",
            Vendor::U8 => "u8",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not `fxiaoke`, `useasy` or `u8`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown vendor {0:?}: expected fxiaoke, useasy or u8")]
pub struct UnknownVendor(pub String);

impl FromStr for Vendor {
    type Err = UnknownVendor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Vendor::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownVendor(s.to_owned()))
    }
}

/// How a source can be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// The source answers [`Read::Incremental`] with a keyset read in ascending
    /// `(modified_at, id)` order (Fxiaoke), and [`Read::Full`] with a full pass.
    Incremental,
    /// The source has no modified-since filter (useasy, U8): every run is a full pass and
    /// it is only ever asked for [`Read::Full`].
    FullPass,
}

/// A position in the `(modified_at, id)` order of an incremental source: the key of the
/// last record stored. Ordered by `modified_at`, then by `id` compared byte by byte.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cursor {
    /// The record's modification time, epoch milliseconds (Fxiaoke `last_modified_time`).
    pub modified_at: i64,
    /// The record's id (Fxiaoke `_id`); the tie-breaker among records of one millisecond.
    pub id: String,
}

impl Cursor {
    /// A cursor at `(modified_at, id)`.
    pub fn new(modified_at: i64, id: impl Into<String>) -> Self {
        Cursor {
            modified_at,
            id: id.into(),
        }
    }

    /// The position `lookback` before this one: the start of the millisecond
    /// `modified_at - lookback` (an empty id sorts before every real id). This is where an
    /// incremental run starts reading.
    pub fn minus(&self, lookback: Duration) -> Cursor {
        let back = i64::try_from(lookback.as_millis()).unwrap_or(i64::MAX);
        Cursor {
            modified_at: self.modified_at.saturating_sub(back),
            id: String::new(),
        }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {:?})", self.modified_at, self.id)
    }
}

/// What the engine asks a source to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// A full pass: every record that exists now, at least once, in any order (typically by
    /// id). Records missing from a completed full pass are marked deleted, so a source must
    /// not skip live records (for example by offset paging under concurrent deletes).
    Full,
    /// A keyset read of an incremental source: every record whose `(modified_at, id)` is
    /// greater than `after` (all records when `None`), in strictly ascending
    /// `(modified_at, id)` order. With the filters of Fxiaoke that is
    /// `last_modified_time EQ t AND _id GT id` until a short page, then
    /// `last_modified_time GT t`, so any number of records sharing one millisecond is read
    /// exactly once. An empty `after.id` means "from the start of millisecond
    /// `after.modified_at`" (the engine asks that after subtracting the lookback).
    Incremental {
        /// Where to start, exclusive; `None` for the beginning.
        after: Option<Cursor>,
    },
}

/// One record as the vendor sent it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Record {
    /// The vendor's id of the record (Fxiaoke `_id`, useasy customer id, U8 contact code).
    /// Must not be empty.
    pub id: String,
    /// The record, exactly as the vendor sent it (valid JSON; stored as is in SQLite and as
    /// `jsonb` in PostgreSQL).
    pub json: Box<RawValue>,
    /// The vendor's modification time in epoch milliseconds, when it has one. Required for
    /// every record of a [`Read::Incremental`] read: it is half of the cursor.
    pub modified_at: Option<i64>,
}

impl Record {
    /// A record from its id, its JSON and its modification time.
    pub fn new(id: impl Into<String>, json: Box<RawValue>, modified_at: Option<i64>) -> Self {
        Record {
            id: id.into(),
            json,
            modified_at,
        }
    }

    /// A record from JSON text (checked to be valid JSON, kept byte for byte).
    pub fn from_json(
        id: impl Into<String>,
        json: impl Into<String>,
        modified_at: Option<i64>,
    ) -> Result<Self, serde_json::Error> {
        Ok(Record::new(
            id,
            RawValue::from_string(json.into())?,
            modified_at,
        ))
    }

    /// A record from any serializable value (a typed SDK record, a `serde_json::Value`).
    pub fn from_value<T: Serialize + ?Sized>(
        id: impl Into<String>,
        value: &T,
        modified_at: Option<i64>,
    ) -> Result<Self, serde_json::Error> {
        Ok(Record::new(
            id,
            serde_json::value::to_raw_value(value)?,
            modified_at,
        ))
    }

    /// The key of this record in an incremental read, if it has a modification time.
    pub fn key(&self) -> Option<Cursor> {
        self.modified_at.map(|m| Cursor::new(m, self.id.clone()))
    }

    /// Compares the `(modified_at, id)` key of this record with a cursor (`None` when the
    /// record has no modification time).
    pub(crate) fn cmp_key(&self, cursor: &Cursor) -> Option<Ordering> {
        self.modified_at.map(|m| {
            m.cmp(&cursor.modified_at)
                .then_with(|| self.id.as_str().cmp(cursor.id.as_str()))
        })
    }
}

/// One page of a read: usually what one vendor call returned.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Page {
    /// The records of the page, in the order the vendor returned them.
    pub records: Vec<Record>,
    /// How many records the whole read will return, when the vendor says so (Fxiaoke
    /// `data.total`); only passed on to progress reports.
    pub total: Option<u64>,
}

impl Page {
    /// A page of records.
    pub fn new(records: Vec<Record>) -> Self {
        Page {
            records,
            total: None,
        }
    }

    /// The same page with the vendor's total for the whole read.
    pub fn with_total(mut self, total: u64) -> Self {
        self.total = Some(total);
        self
    }
}

impl From<Vec<Record>> for Page {
    fn from(records: Vec<Record>) -> Self {
        Page::new(records)
    }
}

/// One object of one vendor that the engine can read pages from.
///
/// The trait is object safe (the engine takes `&dyn Source`) and needs no async-trait
/// crate: [`Source::pages`] returns a boxed stream that may borrow the source.
///
/// # What a source promises
///
/// - [`Read::Incremental`]: records in strictly ascending `(modified_at, id)` order, every
///   record with a `modified_at`, every record after the position exactly once (the keyset
///   described at [`Read::Incremental`]); a stream that ends without an error has read to
///   the end. The engine checks the order and the ids and fails the run otherwise.
/// - [`Read::Full`]: every record that exists, at least once, any order.
/// - An error (vendor error, quota exhausted, network) is yielded as an `Err` item, never
///   turned into a quiet end of the stream: only a stream that ends normally completes a run.
/// - [`Source::vendor_calls`] counts every call made to the vendor, so the engine can
///   report the calls one run made.
pub trait Source: Send + Sync {
    /// The vendor of the records.
    fn vendor(&self) -> Vendor;

    /// The object name stored in the `object` column (Fxiaoke API name such as
    /// `AccountObj`; `customers` for useasy; `contacts` for U8).
    fn object(&self) -> &str;

    /// Whether the source can read incrementally.
    fn kind(&self) -> SourceKind;

    /// Starts a read. Called once per run.
    fn pages(&self, read: Read) -> PageStream<'_>;

    /// Vendor calls made by this source so far (the engine reports the difference over a run).
    fn vendor_calls(&self) -> u64;
}

/// A reference to a source, or a boxed one, is that source: every method forwards.
macro_rules! forward_source {
    ($($pointer:ty),*) => {$(
        impl<S: Source + ?Sized> Source for $pointer {
            fn vendor(&self) -> Vendor {
                (**self).vendor()
            }
            fn object(&self) -> &str {
                (**self).object()
            }
            fn kind(&self) -> SourceKind {
                (**self).kind()
            }
            fn pages(&self, read: Read) -> PageStream<'_> {
                (**self).pages(read)
            }
            fn vendor_calls(&self) -> u64 {
                (**self).vendor_calls()
            }
        }
    )*};
}

forward_source!(&S, Box<S>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors_round_trip_through_their_names() {
        for v in Vendor::ALL {
            assert_eq!(v.as_str().parse::<Vendor>(), Ok(v));
        }
        assert!("salesforce".parse::<Vendor>().is_err());
    }

    #[test]
    fn the_lookback_position_starts_at_the_beginning_of_its_millisecond() {
        let c = Cursor::new(1_000_000, "b");
        assert_eq!(c.minus(Duration::from_secs(600)), Cursor::new(400_000, ""));
        assert!(Cursor::new(5, "") < Cursor::new(5, "0"));
        assert_eq!(
            Cursor::new(i64::MIN + 1, "a")
                .minus(Duration::MAX)
                .modified_at,
            i64::MIN
        );
    }

    #[test]
    fn cursors_order_by_time_then_by_id_bytes() {
        assert!(Cursor::new(1, "z") < Cursor::new(2, "a"));
        assert!(Cursor::new(1, "B") < Cursor::new(1, "a"));
        assert!(Cursor::new(1, "a") < Cursor::new(1, "ab"));
    }

    #[test]
    fn records_keep_json_text_as_given_and_serialize_values() {
        // Text is checked and kept byte for byte (spacing and key order included).
        let text = Record::from_json("c1", r#"{ "b":1,  "a":"x" }"#, Some(5)).unwrap();
        assert_eq!(text.json.get(), r#"{ "b":1,  "a":"x" }"#);
        assert_eq!((text.id.as_str(), text.modified_at), ("c1", Some(5)));
        assert!(Record::from_json("c2", "{not json", None).is_err());

        // A value is serialized: a typed record as its own `Serialize` writes it.
        #[derive(Serialize)]
        struct Customer<'a> {
            id: &'a str,
            amount: &'a str,
        }
        let typed = Record::from_value(
            "c3",
            &Customer {
                id: "c3",
                amount: "12.50",
            },
            None,
        )
        .unwrap();
        assert_eq!(typed.json.get(), r#"{"id":"c3","amount":"12.50"}"#);
        let value = Record::from_value("c4", &serde_json::json!({"n": 1}), None).unwrap();
        assert_eq!(value.json.get(), r#"{"n":1}"#);
    }
}
