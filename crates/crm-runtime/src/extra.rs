//! [`ExtraFields`]: the fields of a record that its type does not know (custom fields, fields
//! added later), kept as the JSON text the vendor sent and parsed only when read.
//!
//! A record type keeps unknown fields so that they round-trip (custom `__c` fields must). Most
//! exports and syncs never look at them, so building a `serde_json::Value` (and a `String` per
//! key) for each one on every decode is wasted work: with 15 of 30 keys unknown, it was most of
//! a page's decode time. Here decoding copies each unknown field's key and raw JSON text into
//! one buffer per record, and re-encoding writes that text back unchanged.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::decode::MapKey;

/// The name under which `serde_json` passes raw JSON text through serde (its private
/// `raw::TOKEN`, used by `RawValue` since serde_json 1.0.27). It is not exported, so it is
/// spelled out here; if a serde_json release ever changed it, kept values would still decode
/// (through `Value`) and the tests `kept_bytes_are_written_back_unchanged` and
/// `decoding_copies_the_raw_text` would fail, because the text would no longer be exact.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// Below this many bytes of replaced or removed text, the buffer is not compacted.
const COMPACT_AT: usize = 4096;

/// The fields of a record that its type does not know, each kept as the JSON text the vendor
/// sent (for example `"field_x9__c": "自定义值"`), in key order.
///
/// - **Reading** parses the one value asked for: [`get`](Self::get) into any `Deserialize`
///   type, [`get_value`](Self::get_value) into a `serde_json::Value`, or
///   [`get_json`](Self::get_json) for the text itself.
/// - **Writing**: [`set`](Self::set) serializes a value, [`insert_raw`](Self::insert_raw) keeps
///   JSON text as it is, [`remove`](Self::remove) and [`retain`](Self::retain) drop fields.
/// - **Re-encoding** with `serde_json` writes every kept value's text unchanged (`1.50` stays
///   `1.50`, `"\u00e9"` stays escaped), after the typed fields when flattened into a record.
///   Other serializers see `serde_json`'s raw-value marker, as they would for a
///   `serde_json::value::RawValue`.
/// - **Equality** compares keys and JSON text: `{"a":1.0}` and `{"a":1}` differ.
/// - **`Debug`** shows each value parsed, as a `serde_json::Map` would.
///
/// ```
/// use crm_runtime::ExtraFields;
/// let mut extra: ExtraFields = serde_json::from_str(r#"{"amount__c": "12.50", "level__c": 3}"#)?;
/// assert_eq!(extra.get::<String>("amount__c").transpose()?, Some("12.50".to_owned()));
/// assert_eq!(extra.get_json("level__c"), Some("3"));
/// extra.set("region__c", "华东")?;
/// assert!(extra.contains_key("region__c"));
/// assert_eq!(
///     serde_json::to_string(&extra)?,
///     r#"{"amount__c":"12.50","level__c":3,"region__c":"华东"}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct ExtraFields {
    /// Each field's key, then its JSON text, back to back (text of replaced or removed fields
    /// stays until the next compaction).
    text: String,
    /// One entry per field, sorted by key.
    entries: Vec<Entry>,
    /// Bytes of `text` no entry points to.
    dead: usize,
}

/// Where one field is in the buffer: the key is `text[start..split]`, the JSON text
/// `text[split..end]`.
#[derive(Clone, Copy, Debug)]
struct Entry {
    start: usize,
    split: usize,
    end: usize,
}

impl ExtraFields {
    /// No fields.
    pub const fn new() -> Self {
        Self {
            text: String::new(),
            entries: Vec::new(),
            dead: 0,
        }
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a field `name` is kept.
    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// The value of field `name` parsed as `T` (`None` when there is no such field; an error
    /// when its JSON does not fit `T`). `T` may borrow from the kept text (`&str` works for a
    /// string without escapes).
    pub fn get<'a, T: Deserialize<'a>>(&'a self, name: &str) -> Option<serde_json::Result<T>> {
        self.get_json(name).map(serde_json::from_str)
    }

    /// The value of field `name` as a `serde_json::Value`.
    pub fn get_value(&self, name: &str) -> Option<Value> {
        // The text was checked to be JSON when it was kept, so it parses.
        self.get_json(name)
            .and_then(|json| serde_json::from_str(json).ok())
    }

    /// The JSON text of field `name`, exactly as received (or as [`set`](Self::set) wrote it).
    pub fn get_json(&self, name: &str) -> Option<&str> {
        let i = self.find(name).ok()?;
        self.entries.get(i).map(|e| self.json_of(e))
    }

    /// Sets field `name` to `value` serialized as JSON, replacing any value it had. Fails only
    /// when `value` cannot be serialized as JSON (e.g. a map with non-string keys).
    pub fn set(&mut self, name: &str, value: impl Serialize) -> serde_json::Result<()> {
        let json = serde_json::to_string(&value)?;
        self.push(name, &json);
        Ok(())
    }

    /// Sets field `name` to this JSON text, kept as it is, replacing any value it had.
    pub fn insert_raw(&mut self, name: &str, json: &RawValue) {
        self.push(name, json.get());
    }

    /// Removes field `name`, returning its JSON text.
    pub fn remove(&mut self, name: &str) -> Option<Box<RawValue>> {
        let i = self.find(name).ok()?;
        let entry = self.entries.remove(i);
        let removed = RawValue::from_string(self.json_of(&entry).to_owned()).ok();
        self.dead += entry.end - entry.start;
        self.maybe_compact();
        removed
    }

    /// Keeps only the fields for which `keep(name, json)` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        let text = &self.text;
        let mut dropped = 0;
        self.entries.retain(|e| {
            let kept = keep(&text[e.start..e.split], &text[e.split..e.end]);
            if !kept {
                dropped += e.end - e.start;
            }
            kept
        });
        self.dead += dropped;
        self.maybe_compact();
    }

    /// Every field as `(name, JSON text)`, in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            fields: self,
            inner: self.entries.iter(),
        }
    }

    /// Every field name, in key order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(name, _)| name)
    }

    /// Every field parsed, as a `serde_json::Map`.
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .filter_map(|(name, json)| Some((name.to_owned(), serde_json::from_str(json).ok()?)))
            .collect()
    }

    /// For generated `Deserialize` impls: a seed that reads the next map value as field
    /// `name`, keeping its JSON text.
    #[doc(hidden)]
    pub fn capture<'a>(&'a mut self, name: &'a str) -> Capture<'a> {
        Capture { fields: self, name }
    }

    fn key_of(&self, e: &Entry) -> &str {
        self.text.get(e.start..e.split).unwrap_or_default()
    }

    fn json_of(&self, e: &Entry) -> &str {
        self.text.get(e.split..e.end).unwrap_or_default()
    }

    /// The key's bytes: comparing bytes orders keys as comparing the strings does (UTF-8
    /// keeps code point order) and skips the char-boundary checks of slicing a `str`, which
    /// were most of the cost of keeping a field while decoding.
    fn key_bytes(&self, e: &Entry) -> &[u8] {
        self.text
            .as_bytes()
            .get(e.start..e.split)
            .unwrap_or_default()
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        // Records arrive with their fields in any order, but usually few: a binary search is
        // as cheap as a scan and keeps large maps fast.
        self.entries
            .binary_search_by(|e| self.key_bytes(e).cmp(name.as_bytes()))
    }

    /// Appends `name` and `json` and points the field at them.
    fn push(&mut self, name: &str, json: &str) {
        let start = self.text.len();
        self.text.reserve(name.len() + json.len());
        self.text.push_str(name);
        let split = self.text.len();
        self.text.push_str(json);
        self.place(Entry {
            start,
            split,
            end: self.text.len(),
        });
        self.maybe_compact();
    }

    /// Points the field of `entry`'s key at `entry`, whose text was just appended.
    fn place(&mut self, entry: Entry) {
        // Fast path: keys arriving in order (as this type writes them) go at the end.
        let after_last = self
            .entries
            .last()
            .is_none_or(|last| self.key_bytes(last) < self.key_bytes(&entry));
        if after_last {
            self.entries.push(entry);
            return;
        }
        match self.find(self.key_of(&entry)) {
            Ok(i) => {
                if let Some(old) = self.entries.get_mut(i) {
                    self.dead += old.end - old.start;
                    *old = entry;
                }
            }
            Err(i) => self.entries.insert(i, entry),
        }
    }

    /// Drops the text no field points to, once it is large and most of the buffer.
    fn maybe_compact(&mut self) {
        if self.dead < COMPACT_AT || self.dead * 2 < self.text.len() {
            return;
        }
        let mut text = String::with_capacity(self.text.len() - self.dead);
        for e in &mut self.entries {
            let start = text.len();
            text.push_str(self.text.get(e.start..e.end).unwrap_or_default());
            *e = Entry {
                start,
                split: start + (e.split - e.start),
                end: text.len(),
            };
        }
        self.text = text;
        self.dead = 0;
    }
}

/// The fields of an [`ExtraFields`] as `(name, JSON text)`, in key order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    fields: &'a ExtraFields,
    inner: std::slice::Iter<'a, Entry>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let e = self.inner.next()?;
        Some((self.fields.key_of(e), self.fields.json_of(e)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a ExtraFields {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl PartialEq for ExtraFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for ExtraFields {}

impl fmt::Debug for ExtraFields {
    /// As a `serde_json::Map` of the parsed values would print, so that a record's `Debug`
    /// reads the same whatever way its unknown fields are stored.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Parsed<'a>(&'a str);
        impl fmt::Debug for Parsed<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match serde_json::from_str::<Value>(self.0) {
                    Ok(value) => fmt::Debug::fmt(&value, f),
                    Err(_) => f.write_str(self.0),
                }
            }
        }
        f.debug_map()
            .entries(self.iter().map(|(name, json)| (name, Parsed(json))))
            .finish()
    }
}

impl From<Map<String, Value>> for ExtraFields {
    fn from(map: Map<String, Value>) -> Self {
        map.into_iter().collect()
    }
}

impl FromIterator<(String, Value)> for ExtraFields {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut out = Self::new();
        for (name, value) in iter {
            // A `Value` always serializes (its map keys are strings).
            out.push(&name, &value.to_string());
        }
        out
    }
}

/// JSON text that `serde_json` writes as it is.
struct RawText<'a>(&'a str);

impl Serialize for RawText<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The same calls as `RawValue`'s own `Serialize`, without building a `RawValue` (which
        // would mean copying or re-checking the text).
        let mut s = serializer.serialize_struct(RAW_TOKEN, 1)?;
        s.serialize_field(RAW_TOKEN, self.0)?;
        s.end()
    }
}

impl Serialize for ExtraFields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (name, json) in self {
            map.serialize_entry(name, &RawText(json))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ExtraFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = ExtraFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExtraFields, A::Error> {
                let mut out = ExtraFields::new();
                while let Some(key) = map.next_key::<MapKey<'de>>()? {
                    map.next_value_seed(out.capture(&key.0))?;
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

impl schemars::JsonSchema for ExtraFields {
    fn inline_schema() -> bool {
        <Map<String, Value> as schemars::JsonSchema>::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        <Map<String, Value> as schemars::JsonSchema>::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        <Map<String, Value> as schemars::JsonSchema>::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Map<String, Value> as schemars::JsonSchema>::json_schema(generator)
    }
}

/// Reads one map value as a field of an [`ExtraFields`] (see [`ExtraFields::capture`]).
#[doc(hidden)]
pub struct Capture<'a> {
    fields: &'a mut ExtraFields,
    name: &'a str,
}

impl<'de> DeserializeSeed<'de> for Capture<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let fields = self.fields;
        if fields.entries.capacity() == 0 {
            // One allocation each for a typical record's unknown fields (a dozen or two, some
            // hundred bytes) instead of several regrowths: a page holds a hundred records.
            fields.entries.reserve(16);
            fields.text.reserve(512);
        }
        let start = fields.text.len();
        fields.text.push_str(self.name);
        let split = fields.text.len();
        // serde_json hands this name the value's text as it is in the input; any other
        // deserializer (or serde's buffer for `#[serde(flatten)]`) calls `visit_newtype_struct`
        // or a plain `visit_*`, and the value is written as compact JSON.
        match deserializer.deserialize_newtype_struct(
            RAW_TOKEN,
            RawVisitor {
                out: &mut fields.text,
            },
        ) {
            Ok(()) => {
                let end = fields.text.len();
                fields.place(Entry { start, split, end });
                Ok(())
            }
            Err(e) => {
                fields.text.truncate(start);
                Err(e)
            }
        }
    }
}

/// Appends a value's JSON text to `out`.
struct RawVisitor<'a> {
    out: &'a mut String,
}

impl RawVisitor<'_> {
    fn write<E>(self, value: &Value) -> Result<(), E> {
        self.out.push_str(&value.to_string());
        Ok(())
    }
}

impl<'de> Visitor<'de> for RawVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(first) = map.next_key::<MapKey<'de>>()? else {
            self.out.push_str("{}");
            return Ok(());
        };
        if first.0 == RAW_TOKEN {
            // serde_json's raw value: one entry whose value is the JSON text.
            return map.next_value_seed(AppendStr(self.out));
        }
        // A deserializer that treats a newtype as its content and met an object.
        let mut object = Map::new();
        object.insert(first.0.into_owned(), map.next_value::<Value>()?);
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            object.insert(k, v);
        }
        self.write(&Value::Object(object))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let value = Value::deserialize(deserializer)?;
        self.write(&value)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        self.write(&Value::Array(items))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.write(&Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.write(&Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.write(&Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.write(&Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.write(&Value::from(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.write(&Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.write(&Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let value = Value::deserialize(deserializer)?;
        self.write(&value)
    }
}

/// Appends a string as it is (the JSON text of a raw value).
struct AppendStr<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for AppendStr<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for AppendStr<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("raw JSON text")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push_str(v);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// A record as the generator writes them: typed fields, then the flattened catch-all.
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Derived {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(flatten)]
        extra: ExtraFields,
    }

    /// A record as the generator writes its `Deserialize`: known keys into their fields, every
    /// other key captured straight into `extra` (no flatten buffer, so the text is exact).
    #[derive(Debug, Default, Serialize, PartialEq)]
    struct SinglePass {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(flatten)]
        extra: ExtraFields,
    }

    impl<'de> Deserialize<'de> for SinglePass {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = SinglePass;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("struct SinglePass")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SinglePass, A::Error> {
                    let mut out = SinglePass::default();
                    while let Some(key) = map.next_key::<MapKey<'de>>()? {
                        match key.0.as_ref() {
                            "name" => out.name = map.next_value()?,
                            _ => map.next_value_seed(out.extra.capture(&key.0))?,
                        }
                    }
                    Ok(out)
                }
            }
            deserializer.deserialize_map(V)
        }
    }

    const ODD: &str = r#"{"b":1.50,"a":"\u00e9\n","c":[1, {"z":null,"y":2}],"d":1e3,"e":-0}"#;

    #[test]
    fn decoding_copies_the_raw_text() {
        let extra: ExtraFields = serde_json::from_str(ODD).unwrap();
        assert_eq!(extra.len(), 5);
        assert_eq!(extra.get_json("b"), Some("1.50"));
        assert_eq!(extra.get_json("a"), Some(r#""\u00e9\n""#));
        assert_eq!(extra.get_json("c"), Some(r#"[1, {"z":null,"y":2}]"#));
        assert_eq!(extra.get_json("d"), Some("1e3"));
        assert_eq!(extra.get::<String>("a").unwrap().unwrap(), "é\n");
        assert_eq!(extra.get::<f64>("d").unwrap().unwrap(), 1000.0);
        assert!(extra.get::<String>("b").unwrap().is_err());
        assert!(extra.get::<String>("missing").is_none());
        assert_eq!(extra.get_value("c"), Some(json!([1, {"y": 2, "z": null}])));
        // From a reader the text arrives owned; it is the same text.
        let owned: ExtraFields = serde_json::from_reader(ODD.as_bytes()).unwrap();
        assert_eq!(owned, extra);
    }

    #[test]
    fn kept_bytes_are_written_back_unchanged() {
        let extra: ExtraFields = serde_json::from_str(ODD).unwrap();
        assert_eq!(
            serde_json::to_string(&extra).unwrap(),
            r#"{"a":"\u00e9\n","b":1.50,"c":[1, {"z":null,"y":2}],"d":1e3,"e":-0}"#
        );
        let record: SinglePass =
            serde_json::from_str(r#"{"x__c":1.50,"name":"n","a__c":{"k": [ ]}}"#).unwrap();
        assert_eq!(record.name.as_deref(), Some("n"));
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"name":"n","a__c":{"k": [ ]},"x__c":1.50}"#
        );
        // Through `Value` (what `serde_json::to_value` does), the kept text is parsed.
        assert_eq!(
            serde_json::to_value(&record).unwrap(),
            json!({"name": "n", "a__c": {"k": []}, "x__c": 1.5})
        );
    }

    #[test]
    fn flattened_into_a_derived_record_it_still_decodes() {
        // serde buffers unknown keys for `#[serde(flatten)]`: the text is then rebuilt from the
        // buffered value (compact), not copied.
        let record: Derived =
            serde_json::from_str(r#"{"x__c": [1, "a"], "name": "n", "y__c": {"k": true}}"#)
                .unwrap();
        assert_eq!(record.extra.get_json("x__c"), Some(r#"[1,"a"]"#));
        assert_eq!(record.extra.get_json("y__c"), Some(r#"{"k":true}"#));
        assert!(!record.extra.contains_key("name"));
        // From a `Value` too.
        let from_value: ExtraFields = serde_json::from_value(json!({"a": [1, 2]})).unwrap();
        assert_eq!(from_value.get_json("a"), Some("[1,2]"));
    }

    #[test]
    fn set_insert_remove_retain() {
        let mut extra = ExtraFields::new();
        assert!(extra.is_empty());
        extra.set("b", json!({"x": 1})).unwrap();
        extra.set("a", "text").unwrap();
        extra.insert_raw("c", &RawValue::from_string("1.50".into()).unwrap());
        assert_eq!(extra.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        extra.set("a", 7).unwrap();
        assert_eq!(extra.get::<i64>("a").unwrap().unwrap(), 7);
        assert_eq!(extra.len(), 3);
        assert_eq!(extra.remove("b").unwrap().get(), r#"{"x":1}"#);
        assert!(extra.remove("b").is_none());
        extra.retain(|name, _| name != "a");
        assert_eq!(serde_json::to_string(&extra).unwrap(), r#"{"c":1.50}"#);
        let map: Map<String, Value> = serde_json::from_str(r#"{"k":[1],"j":"v"}"#).unwrap();
        let from_map = ExtraFields::from(map.clone());
        assert_eq!(from_map.to_map(), map);
        assert!(serde_json::to_string(&from_map).unwrap() == r#"{"j":"v","k":[1]}"#);
        // A map with non-string keys cannot be a JSON value.
        let bad: std::collections::BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into();
        assert!(extra.set("bad", bad).is_err());
        assert!(!extra.contains_key("bad"));
    }

    #[test]
    fn repeated_writes_do_not_grow_without_bound() {
        let mut extra = ExtraFields::new();
        for i in 0..10_000 {
            extra.set("counter", i).unwrap();
            extra.set("other", "x".repeat(10)).unwrap();
        }
        assert_eq!(extra.get::<i64>("counter").unwrap().unwrap(), 9_999);
        assert!(extra.text.len() < 3 * COMPACT_AT, "{}", extra.text.len());
    }

    #[test]
    fn debug_reads_like_a_json_map() {
        let extra: ExtraFields = serde_json::from_str(r#"{"b":1.50,"a":["x"]}"#).unwrap();
        let map: Map<String, Value> = serde_json::from_str(r#"{"b":1.50,"a":["x"]}"#).unwrap();
        assert_eq!(format!("{extra:?}"), format!("{map:?}"));
        assert_eq!(format!("{extra:#?}"), format!("{map:#?}"));
    }

    #[test]
    fn errors_leave_nothing_behind() {
        let e = serde_json::from_str::<ExtraFields>(r#"{"a":1,"b":[1,}"#);
        assert!(e.is_err());
        let mut extra = ExtraFields::new();
        let mut de = serde_json::Deserializer::from_str("[1,");
        assert!(extra.capture("k").deserialize(&mut de).is_err());
        assert!(extra.is_empty() && extra.text.is_empty());
    }

    #[test]
    fn equality_is_on_keys_and_text() {
        let a: ExtraFields = serde_json::from_str(r#"{"x":1,"y":2}"#).unwrap();
        let b: ExtraFields = serde_json::from_str(r#"{"y":2,"x":1}"#).unwrap();
        let c: ExtraFields = serde_json::from_str(r#"{"x":1.0,"y":2}"#).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut d = a.clone();
        d.set("x", 1).unwrap();
        assert_eq!(a, d, "same text after a rewrite");
    }

    /// JSON values with the odd spellings a vendor may send: exponents, trailing zeros,
    /// escapes, inner whitespace.
    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            (any::<i32>(), 0u32..4, 0u8..3).prop_map(|(n, zeros, exp)| format!(
                "{n}.5{}{}",
                "0".repeat(zeros as usize),
                if exp > 0 {
                    format!("e{exp}")
                } else {
                    String::new()
                }
            )),
            "[a-zé\\\\\"\\n 客]{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            Just(r#""\u00e9\t""#.to_owned()),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|items| format!("[{}]", items.join(", "))),
                prop::collection::vec(("[a-z]{1,3}", inner), 0..4).prop_map(|fields| {
                    let body: Vec<String> = fields
                        .into_iter()
                        .map(|(k, v)| format!("\"{k}\" : {v}"))
                        .collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn reencoding_writes_every_kept_value_byte_for_byte(
            fields in prop::collection::btree_map("[a-z_]{1,6}(__c)?", json_text(), 0..8),
            name in proptest::option::of("[a-z]{0,5}"),
        ) {
            let mut input = String::from("{");
            if let Some(n) = &name {
                input.push_str(&format!("\"name\":{}", serde_json::to_string(n).unwrap()));
            }
            for (k, v) in fields.iter().filter(|(k, _)| *k != "name") {
                if input.len() > 1 {
                    input.push(',');
                }
                input.push_str(&format!("\"{k}\":{v}"));
            }
            input.push('}');
            let record: SinglePass = serde_json::from_str(&input).unwrap();
            let kept: Vec<(&str, &str)> = fields
                .iter()
                .filter(|(k, _)| *k != "name")
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            // The standalone type keeps the exact text too.
            let standalone: ExtraFields = serde_json::from_str(&input).unwrap();
            prop_assert_eq!(standalone.len(), kept.len() + usize::from(name.is_some()));
            let mut expected = String::from("{");
            for (k, v) in &kept {
                if expected.len() > 1 {
                    expected.push(',');
                }
                expected.push_str(&format!("\"{k}\":{v}"));
            }
            expected.push('}');
            prop_assert_eq!(serde_json::to_string(&record.extra).unwrap(), expected);
            // And decoding what was written gives the same fields back.
            let again: ExtraFields =
                serde_json::from_str(&serde_json::to_string(&record.extra).unwrap()).unwrap();
            prop_assert_eq!(&again, &record.extra);
        }
    }
}
