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
