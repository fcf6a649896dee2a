//! The sources of the three vendors, on their SDK clients (features `fxiaoke`, `useasy`, `u8`):
//! what `crm ... sync` runs.
//!
//! | source | vendor / object | kind | id | `modified_at` |
//! |---|---|---|---|---|
//! | [`FxiaokeObject`] | `fxiaoke` / any API name (`AccountObj`, `object_x__c`, ...) | [`SourceKind::Incremental`](crate::SourceKind::Incremental) | `_id` | `last_modified_time` (epoch ms, a number or a numeric string) |
//! | [`UseasyCustomers`] | `useasy` / `customers` | [`SourceKind::FullPass`](crate::SourceKind::FullPass) | `_id` | `updateTime` (China time `yyyy-MM-dd HH:mm:ss`, UTC+8), when it parses |
//! | [`U8Contacts`] | `u8` / `contacts` | [`SourceKind::FullPass`](crate::SourceKind::FullPass) | `code` | none |
//!
//! Every source reads records as `Box<RawValue>`, so each record is stored exactly as the
//! vendor sent it and no record can fail to decode. It counts vendor calls with the client's
//! request counter (`Client::requests_sent`: token requests and retries included), so a
//! client shared by two sources that run **at the same time** makes both counts too large;
//! the counts are exact when the sources of one client run one after another (as `crm`
//! does).
//!
//! ```no_run
//! # #[cfg(feature = "fxiaoke")]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use crm_sync::vendors::FxiaokeObject;
//! use crm_sync::{Store, SyncOptions};
//!
//! let client = fxiaoke_crm::Client::from_env()?;
//! let store = Store::open("crm.db").await?;
//! for object in ["AccountObj", "PaymentObj", "object_x__c"] {
//!     let source = FxiaokeObject::new(client.clone(), object);
//!     println!("{}", store.sync(&source, &SyncOptions::default()).await?);
//! }
//! # Ok(()) }
//! ```

#[cfg(feature = "fxiaoke")]
mod fxiaoke;
#[cfg(feature = "u8")]
mod u8;
#[cfg(feature = "useasy")]
mod useasy;

#[cfg(feature = "fxiaoke")]
pub use fxiaoke::FxiaokeObject;
#[cfg(feature = "u8")]
pub use u8::U8Contacts;
#[cfg(feature = "useasy")]
pub use useasy::UseasyCustomers;

use std::fmt;

use futures::stream::{BoxStream, StreamExt};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::source::{Page, PageStream, Record, SourceError};

/// A JSON scalar of a record, read only as far as a key needs it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    /// A string.
    Text(String),
    /// A negative or small integer.
    Int(i64),
    /// A positive integer.
    UInt(u64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// `null`, a boolean, a list or an object.
    Other,
}

impl Scalar {
    /// The value as a record id: a non-empty string, or an integer's digits.
    pub(crate) fn id(&self) -> Option<String> {
        match self {
            Scalar::Text(s) if !s.is_empty() => Some(s.clone()),
            Scalar::Int(n) => Some(n.to_string()),
            Scalar::UInt(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The value as epoch milliseconds: an integer, a whole float, or a string of digits.
    #[cfg_attr(not(feature = "fxiaoke"), allow(dead_code))]
    pub(crate) fn epoch_millis(&self) -> Option<i64> {
        match self {
            Scalar::Int(n) => Some(*n),
            Scalar::UInt(n) => i64::try_from(*n).ok(),
            // Whole and within ±2^63 (a larger float would saturate in the cast).
            Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
            Scalar::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::UInt(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// The two fields of a record a source keys it by; `None` where absent (or not an object).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Keys {
    /// The id field's value.
    pub(crate) id: Option<Scalar>,
    /// The modification-time field's value.
    pub(crate) modified: Option<Scalar>,
}

/// Reads the top-level fields `id_field` and `modified_field` of a JSON record in one pass,
/// skipping everything else without building it (a later duplicate key wins, as in
/// `serde_json::Value`).
pub(crate) fn read_keys(
    json: &str,
    id_field: &str,
    modified_field: Option<&str>,
) -> Result<Keys, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let keys = KeysSeed {
        id_field,
        modified_field,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(keys)
}

/// The fields wanted; a record's keys are read with it.
#[derive(Clone, Copy)]
struct KeysSeed<'f> {
    id_field: &'f str,
    modified_field: Option<&'f str>,
}

impl<'de> DeserializeSeed<'de> for KeysSeed<'_> {
    type Value = Keys;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Keys, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Which of the wanted fields a key is.
enum Field {
    Id,
    Modified,
    Other,
}

/// A field name, read against the fields wanted.
struct FieldSeed<'f>(KeysSeed<'f>);

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Field;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
        let wanted = self.0;
        Ok(if v == wanted.id_field {
            Field::Id
        } else if wanted.modified_field == Some(v) {
            Field::Modified
        } else {
            Field::Other
        })
    }
}

impl<'de> Visitor<'de> for KeysSeed<'_> {
    type Value = Keys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON record")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
        let mut keys = Keys::default();
        while let Some(field) = map.next_key_seed(FieldSeed(self))? {
            match field {
                Field::Id => keys.id = Some(map.next_value()?),
                Field::Modified => keys.modified = Some(map.next_value()?),
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(keys)
    }
    // Not an object: no keys (the engine then refuses the record for its missing id).
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Keys, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Keys::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Keys, E> {
        Ok(Keys::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Keys, E> {
        Ok(Keys::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Keys, E> {
        Ok(Keys::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Keys, E> {
        Ok(Keys::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Keys, E> {
        Ok(Keys::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Keys, E> {
        Ok(Keys::default())
    }
}

/// A record of a page whose keys could not be read (its JSON is not valid; never expected,
/// since the SDK hands over records it parsed).
#[derive(Debug, thiserror::Error)]
#[error("{vendor}: record {index} of a page cannot be read for its keys: {source}")]
pub(crate) struct KeysError {
    vendor: &'static str,
    index: usize,
    #[source]
    source: serde_json::Error,
}

/// Turns records into a [`Record`] each with `make`, naming the record in an error.
pub(crate) fn records(
    vendor: &'static str,
    raws: impl IntoIterator<Item = Box<RawValue>>,
    make: impl Fn(Box<RawValue>, Keys) -> Record,
    id_field: &str,
    modified_field: Option<&str>,
) -> Result<Vec<Record>, SourceError> {
    raws.into_iter()
        .enumerate()
        .map(|(index, raw)| {
            let keys =
                read_keys(raw.get(), id_field, modified_field).map_err(|source| KeysError {
                    vendor,
                    index: index + 1,
                    source,
                })?;
            Ok(make(raw, keys))
        })
        .collect()
}

/// A stream that ends right after its first error (the engine stops there anyway; this
/// makes the promise hold for any consumer).
#[cfg_attr(
    not(all(feature = "fxiaoke", feature = "useasy", feature = "u8")),
    allow(dead_code)
)]
pub(crate) fn end_after_error(stream: PageStream<'static>) -> PageStream<'static> {
    stream
        .scan(false, |failed, item| {
            let out = if *failed {
                None
            } else {
                *failed = item.is_err();
                Some(item)
            };
            std::future::ready(out)
        })
        .boxed()
}

/// The pages of a full-pass source: the vendor's stream of raw records cut into pages of
/// `page_size`, each record keyed by `id_field` (and `modified_field`) through `make`.
#[cfg(any(feature = "useasy", feature = "u8"))]
pub(crate) fn full_pass_pages<E>(
    vendor: &'static str,
    stream: BoxStream<'static, Result<Box<RawValue>, E>>,
    page_size: u32,
    make: fn(Box<RawValue>, Keys) -> Record,
    id_field: &'static str,
    modified_field: Option<&'static str>,
) -> PageStream<'static>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let size = usize::try_from(page_size).unwrap_or(usize::MAX);
    chunk(stream, size, move |raws| {
        records(vendor, raws, make, id_field, modified_field).map(Page::new)
    })
}

/// Groups a stream of records (as the useasy and U8 SDKs stream them) into pages of `size`.
/// Records read before an error come out as a page of their own, then the error, then
/// nothing more.
#[cfg_attr(
    not(all(feature = "fxiaoke", feature = "useasy", feature = "u8")),
    allow(dead_code)
)]
pub(crate) fn chunk<E, F>(
    stream: BoxStream<'static, Result<Box<RawValue>, E>>,
    size: usize,
    to_page: F,
) -> PageStream<'static>
where
    E: std::error::Error + Send + Sync + 'static,
    F: Fn(Vec<Box<RawValue>>) -> Result<Page, SourceError> + Send + 'static,
{
    struct State<E, F> {
        stream: BoxStream<'static, Result<Box<RawValue>, E>>,
        to_page: F,
        size: usize,
        pending: Option<SourceError>,
        done: bool,
    }
    let state = State {
        stream,
        to_page,
        size: size.max(1),
        pending: None,
        done: false,
    };
    futures::stream::unfold(state, |mut state| async move {
        if let Some(e) = state.pending.take() {
            state.done = true;
            return Some((Err(e), state));
        }
        if state.done {
            return None;
        }
        let mut raws = Vec::with_capacity(state.size);
        while raws.len() < state.size {
            match state.stream.next().await {
                Some(Ok(raw)) => raws.push(raw),
                Some(Err(e)) => {
                    state.pending = Some(Box::new(e));
                    break;
                }
                None => {
                    state.done = true;
                    break;
                }
            }
        }
        if raws.is_empty() {
            let e = state.pending.take()?;
            state.done = true;
            return Some((Err(e), state));
        }
        let page = (state.to_page)(raws);
        if page.is_err() {
            state.done = true;
            state.pending = None;
        }
        Some((page, state))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_without_building_the_rest() {
        let keys = read_keys(
            r#"{"name":"x","nested":{"_id":"inner"},"_id":"a1","list":[1,{"a":2}],"last_modified_time":"1704038400000"}"#,
            "_id",
            Some("last_modified_time"),
        )
        .ok();
        assert_eq!(
            keys,
            Some(Keys {
                id: Some(Scalar::Text("a1".into())),
                modified: Some(Scalar::Text("1704038400000".into())),
            })
        );
        let escaped = read_keys(r#"{"\u005fid": 7}"#, "_id", None).ok();
        assert_eq!(escaped.and_then(|k| k.id), Some(Scalar::UInt(7)));
        assert_eq!(read_keys("[1,2]", "_id", None).ok(), Some(Keys::default()));
        assert_eq!(read_keys("null", "_id", None).ok(), Some(Keys::default()));
        assert!(read_keys("{", "_id", None).is_err());
    }

    #[test]
    fn ids_and_times_are_read_leniently() {
        assert_eq!(Scalar::Text("a".into()).id().as_deref(), Some("a"));
        assert_eq!(Scalar::Text(String::new()).id(), None);
        assert_eq!(Scalar::Int(-3).id().as_deref(), Some("-3"));
        assert_eq!(Scalar::UInt(662_821_403).id().as_deref(), Some("662821403"));
        assert_eq!(Scalar::Other.id(), None);
        assert_eq!(Scalar::Float(1.5).id(), None);

        assert_eq!(
            Scalar::UInt(1_704_038_400_000).epoch_millis(),
            Some(1_704_038_400_000)
        );
        assert_eq!(Scalar::Int(-1).epoch_millis(), Some(-1));
        assert_eq!(Scalar::UInt(u64::MAX).epoch_millis(), None);
        assert_eq!(
            Scalar::Float(1.7e12).epoch_millis(),
            Some(1_700_000_000_000)
        );
        assert_eq!(Scalar::Float(1.5).epoch_millis(), None);
        assert_eq!(Scalar::Float(f64::NAN).epoch_millis(), None);
        assert_eq!(Scalar::Float(1e30).epoch_millis(), None);
        assert_eq!(
            Scalar::Text(" 1704038400000 ".into()).epoch_millis(),
            Some(1_704_038_400_000)
        );
        assert_eq!(Scalar::Text("2024-01-01".into()).epoch_millis(), None);
        assert_eq!(Scalar::Other.epoch_millis(), None);
    }

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap_or_else(|_| unreachable!("valid JSON"))
    }

    #[derive(Debug, thiserror::Error)]
    #[error("boom")]
    struct Boom;

    fn page_of(raws: Vec<Box<RawValue>>) -> Result<Page, SourceError> {
        records(
            "test",
            raws,
            |raw, keys| Record::new(keys.id.and_then(|s| s.id()).unwrap_or_default(), raw, None),
            "id",
            None,
        )
        .map(Page::new)
    }

    #[tokio::test]
    async fn chunks_keep_the_records_before_an_error_then_end() {
        let items: Vec<Result<Box<RawValue>, Boom>> = vec![
            Ok(raw(r#"{"id":"1"}"#)),
            Ok(raw(r#"{"id":"2"}"#)),
            Ok(raw(r#"{"id":"3"}"#)),
            Err(Boom),
            Ok(raw(r#"{"id":"4"}"#)),
        ];
        let pages: Vec<Result<Vec<String>, String>> =
            chunk(futures::stream::iter(items).boxed(), 2, page_of)
                .map(|p| {
                    p.map(|p| p.records.into_iter().map(|r| r.id).collect())
                        .map_err(|e| e.to_string())
                })
                .collect()
                .await;
        assert_eq!(
            pages,
            vec![
                Ok(vec!["1".to_owned(), "2".to_owned()]),
                Ok(vec!["3".to_owned()]),
                Err("boom".to_owned()),
            ]
        );

        let empty: Vec<Result<Box<RawValue>, Boom>> = Vec::new();
        let none = chunk(futures::stream::iter(empty).boxed(), 2, page_of)
            .count()
            .await;
        assert_eq!(none, 0);
    }

    #[tokio::test]
    async fn a_stream_ends_after_its_first_error() {
        let items: Vec<Result<Page, SourceError>> = vec![
            Ok(Page::default()),
            Err(Box::new(Boom)),
            Ok(Page::default()),
        ];
        let n = end_after_error(futures::stream::iter(items).boxed())
            .count()
            .await;
        assert_eq!(n, 2);
    }
}
