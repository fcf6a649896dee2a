//! JSON decoding with the path of the failing value in the error.

use std::fmt;

use serde::de::DeserializeOwned;

/// How many characters of a body an error message shows at most.
pub const EXCERPT_CHARS: usize = 200;

/// A response (or fixture) that did not match its type. Carries the JSON path of the value that
/// failed (`data.dataList[3].create_time`), the reason and an excerpt of the body.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct DecodeError {
    /// The JSON path of the failing value (`.` for the root).
    pub path: String,
    /// What was wrong.
    pub message: String,
    /// The beginning of the body.
    pub excerpt: String,
}

impl DecodeError {
    /// A decode error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>, body: &str) -> Self {
        let path = path.into();
        Self {
            path: if path.is_empty() { ".".into() } else { path },
            message: message.into(),
            excerpt: excerpt(body, EXCERPT_CHARS),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at `{}`: {} (body starts: {})",
            self.path, self.message, self.excerpt
        )
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The first `max` characters of `body`, with an ellipsis when cut.
pub fn excerpt(body: &str, max: usize) -> String {
    let mut out: String = body.chars().take(max).collect();
    if body.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// Decodes `json` as `T`; an error names the JSON path of the failing value.
///
/// Path tracking costs on every value, so the input is decoded plainly first and only a failure
/// is decoded again with `serde_path_to_error` to find where it failed.
pub fn from_str<T: DeserializeOwned>(json: &str) -> Result<T, DecodeError> {
    serde_json::from_str(json).or_else(|_| from_str_with_path(json))
}

fn from_str_with_path<T: DeserializeOwned>(json: &str) -> Result<T, DecodeError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        DecodeError::new(path, e.into_inner().to_string(), json)
    })
}

/// Decodes `bytes` as `T`; an error names the JSON path of the failing value (see [`from_str`]
/// for why the path is found only after a failure).
///
/// The body is checked as UTF-8 once and then read as text: `serde_json` reading bytes checks
/// every string it keeps on its own, which on a page of short strings costs more than one
/// pass over the whole body. A body that is not UTF-8 is read as bytes, so the error (or the
/// value, when the bad bytes sit in a skipped value) is the one bytes give.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(json) => from_str(json),
        Err(_) => serde_json::from_slice(bytes).or_else(|_| from_slice_with_path(bytes)),
    }
}

fn from_slice_with_path<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        DecodeError::new(
            path,
            e.into_inner().to_string(),
            &String::from_utf8_lossy(bytes),
        )
    })
}

/// Decodes a JSON value as `T`; an error names the JSON path of the failing value.
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        DecodeError::new(path, e.into_inner().to_string(), &value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Page {
        items: Vec<Item>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        n: i64,
    }

    #[test]
    fn path_in_error() {
        let e = from_str::<Page>(r#"{"items":[{"n":1},{"n":"x"}]}"#).unwrap_err();
        assert_eq!(e.path, "items[1].n");
        assert!(e.to_string().contains("items[1].n"), "{e}");
        let e = from_str::<Page>(r#"{"items":[{"n":1},"#).unwrap_err();
        assert!(e.message.contains("EOF"), "{e}");
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Named {
        name: String,
    }

    /// `from_slice` reads a UTF-8 body as text and any other as bytes: the same values and
    /// errors as `serde_json::from_slice`, with the path.
    #[test]
    fn slices_decode_as_serde_json_reads_bytes() {
        let text = "{\"name\":\"客户\",\"skipped\":1}";
        assert_eq!(
            from_slice::<Named>(text.as_bytes()).unwrap(),
            Named {
                name: "客户".into()
            }
        );
        // A bad byte in a kept string is an error at its path.
        let bad = b"{\"skipped\":1,\"name\":\"\xff\"}";
        assert!(serde_json::from_slice::<Named>(bad).is_err());
        let e = from_slice::<Named>(bad).unwrap_err();
        assert_eq!(e.path, "name", "{e}");
        // In a value the type skips, serde_json never looks at it: neither do we.
        let skipped = b"{\"skipped\":\"\xff\",\"name\":\"a\"}";
        assert_eq!(
            from_slice::<Named>(skipped).unwrap(),
            serde_json::from_slice::<Named>(skipped).unwrap()
        );
        let e = from_slice::<Named>(b"{\"name\":1}").unwrap_err();
        assert_eq!(e.path, "name", "{e}");
    }
}

/// A map key borrowed from the input when it has no escapes (most keys), used by the generated
/// single-pass `Deserialize` impls so that matching a known key allocates nothing.
#[derive(Debug)]
pub struct MapKey<'de>(pub std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for MapKey<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = MapKey<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(MapKey(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MapKey(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(MapKey(std::borrow::Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The values of the top-level fields `names` of the JSON object `json`, in the order of
/// `names` (`None` for an absent field); every other field is skipped without being built.
/// Streams read a record's `_id` and order fields this way, whatever type the record decodes
/// into.
pub fn pick_fields(
    json: &str,
    names: &[&str],
) -> Result<Vec<Option<serde_json::Value>>, DecodeError> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess};

    struct Pick<'n>(&'n [&'n str]);

    impl<'de> serde::de::Visitor<'de> for Pick<'_> {
        type Value = Vec<Option<serde_json::Value>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut values = vec![None; self.0.len()];
            while let Some(key) = map.next_key::<MapKey<'de>>()? {
                match self.0.iter().position(|n| *n == key.0) {
                    Some(i) => {
                        if let Some(slot) = values.get_mut(i) {
                            *slot = Some(map.next_value::<serde_json::Value>()?);
                        }
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(values)
        }
    }

    impl<'de> DeserializeSeed<'de> for Pick<'_> {
        type Value = Vec<Option<serde_json::Value>>;

        fn deserialize<D: serde::Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    let mut de = serde_json::Deserializer::from_str(json);
    Pick(names)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| DecodeError::new("", e.to_string(), json))
}

/// The JSON text of the top-level fields `names` of the JSON object `json`, in the order of
/// `names` (`None` for an absent field; of a repeated key, the last, as a parser would keep).
///
/// `json` must be JSON that serde_json has already checked, such as a `RawValue`'s text (a
/// record of an answer parsed as a whole): this only follows the structure (strings, nesting)
/// and does not check the text again, which makes it several times cheaper than
/// [`pick_fields`]. Streams read each record's `_id` and order values this way before they
/// request the next page. On text that is not a JSON object it fails (it never panics, whatever
/// the text).
pub fn pick_raw_fields<'a>(
    json: &'a str,
    names: &[&str],
) -> Result<Vec<Option<&'a str>>, DecodeError> {
    let fail = |at: usize| {
        DecodeError::new(
            "",
            format!("not a JSON object (at byte {at} of the record)"),
            json,
        )
    };
    let mut values = vec![None; names.len()];
    let mut scan = Scan {
        bytes: json.as_bytes(),
        at: 0,
    };
    scan.whitespace();
    if !scan.eat(b'{') {
        return Err(fail(scan.at));
    }
    scan.whitespace();
    if scan.eat(b'}') {
        return Ok(values);
    }
    loop {
        if !scan.eat(b'"') {
            return Err(fail(scan.at));
        }
        let key_start = scan.at;
        let (key_end, escaped) = scan.string_end().ok_or_else(|| fail(key_start))?;
        scan.at = key_end + 1;
        scan.whitespace();
        if !scan.eat(b':') {
            return Err(fail(scan.at));
        }
        scan.whitespace();
        let value_start = scan.at;
        scan.skip_value().ok_or_else(|| fail(value_start))?;
        let key = json
            .get(key_start..key_end)
            .ok_or_else(|| fail(key_start))?;
        let unescaped: std::borrow::Cow<'_, str> = if escaped {
            // A key with escapes (`"_i\u0064"`) is compared by what it spells.
            let quoted = json.get(key_start - 1..=key_end).unwrap_or_default();
            serde_json::from_str::<String>(quoted)
                .map(std::borrow::Cow::Owned)
                .map_err(|_| fail(key_start))?
        } else {
            std::borrow::Cow::Borrowed(key)
        };
        if let Some(slot) = names
            .iter()
            .position(|n| *n == unescaped)
            .and_then(|i| values.get_mut(i))
        {
            *slot = json.get(value_start..scan.at);
        }
        scan.whitespace();
        if scan.eat(b',') {
            scan.whitespace();
            continue;
        }
        if scan.eat(b'}') {
            return Ok(values);
        }
        return Err(fail(scan.at));
    }
}

/// One record of a list read by [`KeyedList`]: the values of the picked fields, and where its
/// first and last keys are (to find the record's extent in the answer's text afterwards).
#[derive(Debug, Clone)]
pub struct KeyedRecord<'de> {
    /// The first key, borrowed from the input (`None`: no keys, or a key with escapes).
    first_key: Option<&'de str>,
    /// The last key, likewise.
    last_key: Option<&'de str>,
    /// The JSON text of each picked field (`None`: absent), in the order of the names.
    pub picked: Vec<Option<&'de serde_json::value::RawValue>>,
}

impl KeyedRecord<'_> {
    /// Where the record lies in `text`, the text it was read from: from its `{` to its `}`.
    /// `None` when that cannot be told from its keys (an empty record, a first or last key
    /// with escapes, which the parser copies), or `text` is not the text it was read from.
    pub fn span_in(&self, text: &str) -> Option<std::ops::Range<usize>> {
        let offset = |part: &str| (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize);
        let bytes = text.as_bytes();
        // Back from the first key's opening quote, over whitespace, to the `{`.
        let mut start = offset(self.first_key?)?.checked_sub(1)?;
        if bytes.get(start) != Some(&b'"') {
            return None;
        }
        loop {
            start = start.checked_sub(1)?;
            match bytes.get(start)? {
                b' ' | b'\n' | b'\r' | b'\t' => {}
                b'{' => break,
                _ => return None,
            }
        }
        // Forward from the last key over its value to the `}`.
        let last = self.last_key?;
        let mut scan = Scan {
            bytes,
            at: offset(last)?.checked_add(last.len())?,
        };
        if !scan.eat(b'"') {
            return None;
        }
        scan.whitespace();
        if !scan.eat(b':') {
            return None;
        }
        scan.whitespace();
        scan.skip_value()?;
        scan.whitespace();
        if !scan.eat(b'}') {
            return None;
        }
        text.get(start..scan.at).map(|_| start..scan.at)
    }
}

/// Reads a JSON list of records (or `null`) in one pass, as the records' extents and the
/// values of the fields `names`, without building anything else: what a stream needs to
/// request its next page. Each record's JSON text is found afterwards with
/// [`KeyedRecord::span_in`]. Deserializes to `None` for `null`.
#[derive(Debug, Clone, Copy)]
pub struct KeyedList<'n> {
    /// The fields to pick from each record.
    pub names: &'n [&'n str],
}

impl<'de> serde::de::DeserializeSeed<'de> for KeyedList<'_> {
    type Value = Option<Vec<KeyedRecord<'de>>>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeyedList<'_> {
    type Value = Option<Vec<KeyedRecord<'de>>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(100));
        while let Some(record) = seq.next_element_seed(KeyedRecordSeed(self.names))? {
            records.push(record);
        }
        Ok(Some(records))
    }
}

/// One record of a [`KeyedList`].
struct KeyedRecordSeed<'n>(&'n [&'n str]);

impl<'de> serde::de::DeserializeSeed<'de> for KeyedRecordSeed<'_> {
    type Value = KeyedRecord<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeyedRecordSeed<'_> {
    type Value = KeyedRecord<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record (a JSON object)")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut record = KeyedRecord {
            first_key: None,
            last_key: None,
            picked: vec![None; self.0.len()],
        };
        let mut first = true;
        while let Some(key) = map.next_key::<MapKey<'de>>()? {
            let borrowed = match key.0 {
                std::borrow::Cow::Borrowed(k) => Some(k),
                std::borrow::Cow::Owned(_) => None,
            };
            if first {
                record.first_key = borrowed;
                first = false;
            }
            record.last_key = borrowed;
            match self.0.iter().position(|n| *n == key.0) {
                Some(i) => {
                    let value = map.next_value::<&'de serde_json::value::RawValue>()?;
                    if let Some(slot) = record.picked.get_mut(i) {
                        *slot = Some(value);
                    }
                }
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(record)
    }
}

/// A cursor over JSON text already known to be valid (see [`pick_raw_fields`]).
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scan<'_> {
    fn whitespace(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    /// Steps over `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        let next = self.bytes.get(self.at) == Some(&byte);
        if next {
            self.at += 1;
        }
        next
    }

    /// The index of the quote that ends the string whose contents start at `self.at`, and
    /// whether the string has escapes.
    fn string_end(&self) -> Option<(usize, bool)> {
        // Most strings of a record (keys, ids, codes) are short: a plain loop finds their end
        // sooner than setting up a vector search.
        const SHORT: usize = 24;
        let mut i = self.at;
        let mut escaped = false;
        let short_end = self.bytes.len().min(i + SHORT);
        while i < short_end {
            match self.bytes.get(i)? {
                b'"' => return Some((i, escaped)),
                // A backslash escapes the next byte (`\"`, `\\`; `\u` needs no care).
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        loop {
            i += memchr::memchr2(b'"', b'\\', self.bytes.get(i..)?)?;
            if self.bytes.get(i) == Some(&b'"') {
                return Some((i, escaped));
            }
            escaped = true;
            i += 2;
        }
    }

    /// Steps over one value (the cursor on its first byte).
    fn skip_value(&mut self) -> Option<()> {
        match *self.bytes.get(self.at)? {
            b'"' => {
                self.at += 1;
                self.at = self.string_end()?.0 + 1;
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match *self.bytes.get(self.at)? {
                        b'"' => {
                            self.at += 1;
                            self.at = self.string_end()?.0;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                self.at += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.at += 1;
                }
            }
            _ => {
                // A number, `true`, `false` or `null`: up to the next delimiter.
                let rest = self.bytes.get(self.at..)?;
                self.at += rest
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                    .unwrap_or(rest.len());
            }
        }
        Some(())
    }
}

/// Decodes one record of a page, `raw` being its JSON text at `{list_path}[{index}]` of the
/// response; a failure is an [`Error::Record`](crate::Error::Record) naming the record's `id`
/// and the JSON path, so that a stream can report it and go on.
pub fn record<T: DeserializeOwned>(
    operation: &'static str,
    list_path: &str,
    index: usize,
    raw: &str,
    id: Option<&str>,
) -> Result<T, crate::Error> {
    from_str::<T>(raw).map_err(|mut source| {
        source.path = if source.path == "." {
            format!("{list_path}[{index}]")
        } else {
            format!("{list_path}[{index}].{}", source.path)
        };
        crate::Error::Record {
            operation,
            id: id.map(str::to_owned),
            source,
        }
    })
}

#[cfg(test)]
mod pick_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn picks_only_the_named_fields() {
        let got = pick_fields(
            r#"{"x":[1,{"y":2}],"_id":"a1","amount":"9.50","amount2":null}"#,
            &["_id", "amount", "missing", "amount2"],
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                Some(serde_json::json!("a1")),
                Some(serde_json::json!("9.50")),
                None,
                Some(serde_json::Value::Null)
            ]
        );
        assert!(pick_fields("[1]", &["_id"]).is_err());
    }

    #[test]
    fn raw_picks_read_the_structure_only() {
        let json = r#" { "x" : [1, {"_id": "no", "s": "a\"]}"}], "_id":"a1" ,"n":-1.5e3,
            "e\u0073c": "\\\"", "amount2":null, "_id": "last", "o": {"_id": {}} } "#;
        let got = pick_raw_fields(json, &["_id", "n", "esc", "amount2", "o", "missing"]).unwrap();
        assert_eq!(
            got,
            vec![
                Some(r#""last""#),
                Some("-1.5e3"),
                Some(r#""\\\"""#),
                Some("null"),
                Some(r#"{"_id": {}}"#),
                None
            ]
        );
        assert_eq!(pick_raw_fields("{}", &["_id"]).unwrap(), vec![None]);
        for bad in [
            "[1]",
            "",
            "{",
            r#"{"a":"#,
            r#"{"a":1"#,
            r#"{"a" 1}"#,
            r#"{"a":"x}"#,
            "{\"a\":[}",
        ] {
            assert!(pick_raw_fields(bad, &["a"]).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// On any JSON object, the scan finds what a parser finds.
        #[test]
        fn raw_picks_agree_with_parsed_picks(
            fields in proptest::collection::vec(
                ("(_id|a|b|k\\\\|\"|é)", any_json()),
                0..6,
            ),
            spaces in "[ \n\t]{0,2}",
        ) {
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}{spaces}:{spaces}{v}", serde_json::to_string(k).unwrap()))
                .collect();
            let json = format!("{spaces}{{{spaces}{}{spaces}}}", body.join(&format!(",{spaces}")));
            let names = ["_id", "a", "k\\", "\"", "é", "none"];
            let raw = pick_raw_fields(&json, &names).unwrap();
            let parsed = pick_fields(&json, &names).unwrap();
            let raw: Vec<Option<serde_json::Value>> = raw
                .into_iter()
                .map(|t| t.map(|t| serde_json::from_str(t).unwrap()))
                .collect();
            proptest::prop_assert_eq!(raw, parsed);
        }
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("false".to_owned()),
            any::<i32>().prop_map(|n| format!("{n}")),
            Just("-0.5e-3".to_owned()),
            "[a-z\\\\\"{}\\[\\],: 客]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| format!("[ {} ]", v.join(" , "))),
                prop::collection::vec(("[a-z_]{1,3}", inner), 0..3).prop_map(|v| {
                    let body: Vec<String> = v
                        .into_iter()
                        .map(|(k, x)| format!("\"{k}\" :{x}"))
                        .collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    #[test]
    fn a_keyed_list_finds_each_record_and_its_keys_in_one_pass() {
        use serde::de::DeserializeSeed;
        let text = r#"{"list": [ {"_id":"a","n":[1,{"x":"]}"}]} ,
            {  "n" : 2 , "_id" : "b", "s": "\"}"  }, {"\u0061": 1, "_id": "c"}, {}, {"_id":"d","z":{}}]}"#;
        let mut de = serde_json::Deserializer::from_str(text);
        struct Answer<'a>(Option<Vec<KeyedRecord<'a>>>);
        impl<'de> serde::Deserialize<'de> for Answer<'de> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = Answer<'de>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("an answer")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Answer<'de>, A::Error> {
                        let mut list = None;
                        while let Some(_key) = map.next_key::<MapKey<'de>>()? {
                            list = map.next_value_seed(KeyedList { names: &["_id"] })?;
                        }
                        Ok(Answer(list))
                    }
                }
                d.deserialize_map(V)
            }
        }
        let Answer(list) = serde::Deserialize::deserialize(&mut de).unwrap();
        let list = list.unwrap();
        let spans: Vec<Option<&str>> = list
            .iter()
            .map(|r| r.span_in(text).map(|s| &text[s]))
            .collect();
        assert_eq!(
            spans,
            [
                Some(r#"{"_id":"a","n":[1,{"x":"]}"}]}"#),
                Some(r#"{  "n" : 2 , "_id" : "b", "s": "\"}"  }"#),
                None, // the first key has escapes
                None, // no keys
                Some(r#"{"_id":"d","z":{}}"#),
            ]
        );
        let ids: Vec<Option<&str>> = list.iter().map(|r| r.picked[0].map(|v| v.get())).collect();
        assert_eq!(
            ids,
            [
                Some(r#""a""#),
                Some(r#""b""#),
                Some(r#""c""#),
                None,
                Some(r#""d""#)
            ]
        );
        assert!(list[0].span_in("another text").is_none());
        let null = KeyedList { names: &["_id"] }
            .deserialize(&mut serde_json::Deserializer::from_str("null"))
            .unwrap();
        assert!(null.is_none());
    }

    #[test]
    fn a_record_error_names_the_record_and_the_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct R {
            n: i64,
        }
        let e = record::<R>(
            "query_data",
            "data.dataList",
            3,
            r#"{"n":"x"}"#,
            Some("id9"),
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("id9") && text.contains("data.dataList[3].n"),
            "{text}"
        );
        assert!(e.is_record());
    }
}

/// A vendor's envelope code (`errorCode`, `code`, `errcode`) as text, whether it arrived as a
/// JSON string (`"0"`, `"200"`) or a number (`0`, `200`). Anything else fails to decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireCode(pub String);

impl<'de> serde::Deserialize<'de> for WireCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;
        impl serde::de::Visitor<'_> for CodeVisitor {
            type Value = WireCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a code as a string or a number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<WireCode, E> {
                Ok(WireCode(v.trim().to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<WireCode, E> {
                Ok(WireCode(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<WireCode, E> {
                Ok(WireCode(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<WireCode, E> {
                // `200.0` is the code 200.
                if v.fract() == 0.0 && v.abs() < 1e15 {
                    Ok(WireCode(format!("{}", v as i64)))
                } else {
                    Ok(WireCode(v.to_string()))
                }
            }
        }
        deserializer.deserialize_any(CodeVisitor)
    }
}

/// Where `raw`, a value borrowed from `text` by `serde_json::from_str`, lies in `text`; `None`
/// if it is not a part of `text`.
pub fn span_in(text: &str, raw: &serde_json::value::RawValue) -> Option<std::ops::Range<usize>> {
    // A borrowed `RawValue` is a slice of the input, so its address tells its place.
    let start = (raw.get().as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let end = start.checked_add(raw.get().len())?;
    text.get(start..end).map(|_| start..end)
}

/// The id field `field` of a record's JSON text (checked JSON, e.g. a `RawValue`'s), as text: a
/// JSON string, or a number as written; `None` when absent, `null` or another kind of value.
pub fn raw_id(record: &str, field: &str) -> Option<String> {
    let text = pick_raw_fields(record, &[field]).ok()?.pop().flatten()?;
    match serde_json::from_str::<serde_json::Value>(text).ok()? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One record of a page exactly as the vendor sent it: its JSON text, sharing the answer's
/// buffer (no copy, nothing parsed). Streams of raw records hand these out; writing the text
/// is what an export that passes records through does.
#[derive(Clone)]
pub struct RawRecord {
    text: std::sync::Arc<str>,
    span: std::ops::Range<usize>,
}

impl RawRecord {
    /// The record's JSON text.
    pub fn json(&self) -> &str {
        self.text.get(self.span.clone()).unwrap_or_default()
    }

    /// The record as a `serde_json` raw value (a copy of its text).
    pub fn to_raw_value(&self) -> Box<serde_json::value::RawValue> {
        // The text was checked to be JSON when the answer was read.
        serde_json::value::RawValue::from_string(self.json().to_owned())
            .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned())
    }
}

impl fmt::Debug for RawRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawRecord").field(&self.json()).finish()
    }
}

/// The records of one answer, kept as the answer's text and each record's place in it and
/// decoded only when read: a stream reads what paging needs (each record's id and order
/// values) in its fetch task, requests the next page, and leaves the decoding to the consumer,
/// so that decoding one page overlaps with fetching the next.
#[derive(Debug, Clone)]
pub struct RawRecords {
    operation: &'static str,
    list_path: &'static str,
    text: std::sync::Arc<str>,
    entries: Vec<RawEntry>,
}

#[derive(Debug, Clone)]
struct RawEntry {
    /// The record's index in the answer's list (for error paths).
    index: usize,
    span: std::ops::Range<usize>,
    id: Option<String>,
}

impl RawRecords {
    /// No records yet, of an answer whose text is `text`, its records at `{list_path}[i]`.
    pub fn new(
        operation: &'static str,
        list_path: &'static str,
        text: std::sync::Arc<str>,
    ) -> Self {
        Self {
            operation,
            list_path,
            text,
            entries: Vec::new(),
        }
    }

    /// Adds record `index` of the list, at `span` of the text (see [`span_in`]), with its id.
    pub fn push(&mut self, index: usize, span: std::ops::Range<usize>, id: Option<String>) {
        self.entries.push(RawEntry { index, span, id });
    }

    /// The records `list` of an answer whose text is `text` (each borrowed from it, as
    /// `serde_json::from_str` hands them out), in order, their records at `{list_path}[i]`.
    pub fn of_list(
        operation: &'static str,
        list_path: &'static str,
        text: &str,
        list: &[&serde_json::value::RawValue],
    ) -> Result<Self, DecodeError> {
        let mut records = Self::new(operation, list_path, std::sync::Arc::from(text));
        records.entries.reserve(list.len());
        for (index, raw) in list.iter().enumerate() {
            let span = span_in(text, raw).ok_or_else(|| {
                DecodeError::new(
                    format!("{list_path}[{index}]"),
                    "the record is not a part of the answer's text",
                    "",
                )
            })?;
            records.push(index, span, None);
        }
        Ok(records)
    }

    /// Names the records by id, in order (for errors; e.g. ids read after they were added).
    pub fn name(&mut self, ids: impl IntoIterator<Item = Option<String>>) {
        for (entry, id) in self.entries.iter_mut().zip(ids) {
            entry.id = id;
        }
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keeps the records whose flag is `true` (in order; records past the flags are dropped).
    pub fn retain_flagged(&mut self, keep: &[bool]) {
        let mut flags = keep.iter();
        self.entries
            .retain(|_| flags.next().copied().unwrap_or(false));
    }

    /// Every record decoded as `T`, in order, each when the iterator reaches it; one that does
    /// not fit is an [`Error::Record`](crate::Error::Record) naming its id and JSON path.
    pub fn decode<T: DeserializeOwned>(self) -> impl Iterator<Item = Result<T, crate::Error>> {
        let Self {
            operation,
            list_path,
            text,
            entries,
        } = self;
        entries.into_iter().map(move |e| {
            let json = text.get(e.span).unwrap_or_default();
            record::<T>(operation, list_path, e.index, json, e.id.as_deref())
        })
    }

    /// Every record as the vendor sent it, sharing this answer's text.
    pub fn raw(self) -> impl Iterator<Item = RawRecord> {
        let text = self.text;
        self.entries.into_iter().map(move |e| RawRecord {
            text: text.clone(),
            span: e.span,
        })
    }
}

#[cfg(test)]
mod raw_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::value::RawValue;

    #[test]
    fn records_are_decoded_when_read_and_errors_name_them() {
        let text = r#"{"list":[{"n":1}, {"n":"x"} ,{"n":3}]}"#;
        #[derive(serde::Deserialize)]
        struct Answer<'a> {
            #[serde(borrow)]
            list: Vec<&'a RawValue>,
        }
        let answer: Answer<'_> = serde_json::from_str(text).unwrap();
        let shared: std::sync::Arc<str> = text.into();
        let mut records = RawRecords::new("list", "list", shared.clone());
        for (i, raw) in answer.list.iter().enumerate() {
            let span = span_in(text, raw).unwrap();
            assert_eq!(&text[span.clone()], raw.get());
            records.push(i, span, Some(format!("id{i}")));
        }
        assert!(span_in("other text", answer.list[0]).is_none());
        let raw: Vec<String> = records.clone().raw().map(|r| r.json().to_owned()).collect();
        assert_eq!(raw, [r#"{"n":1}"#, r#"{"n":"x"}"#, r#"{"n":3}"#]);
        assert_eq!(
            records.clone().raw().nth(1).unwrap().to_raw_value().get(),
            r#"{"n":"x"}"#
        );

        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct N {
            n: i64,
        }
        let decoded: Vec<Result<N, crate::Error>> = records.clone().decode().collect();
        assert_eq!(decoded[0].as_ref().unwrap(), &N { n: 1 });
        let e = decoded[1].as_ref().unwrap_err().to_string();
        assert!(e.contains("id1") && e.contains("list[1].n"), "{e}");
        records.retain_flagged(&[false, true]);
        assert_eq!(records.len(), 1);
        assert_eq!(records.raw().next().unwrap().json(), r#"{"n":"x"}"#);
    }
}
