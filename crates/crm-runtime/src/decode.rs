//! JSON decoding with the path of the failing value in the error.

use std::fmt;

use serde::de::DeserializeOwned;

/// How many characters of a body an error message shows at most.
pub const EXCERPT_CHARS: usize = 200;

/// A response (or fixture) that did not match its type. Carries the JSON path of the value that
/// failed (`data.dataList[3].create_time`), the reason and an excerpt of the body.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
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
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    serde_json::from_slice(bytes).or_else(|_| from_slice_with_path(bytes))
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
