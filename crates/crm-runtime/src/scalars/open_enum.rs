//! [`OpenEnum`]: string enums the vendor may extend.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{EmptyForm, Read, Scalar, Unparsed, read_scalar};

/// A string enum the vendor may extend. A listed value decodes to `Known(T)`, any other string
/// to `Other(String)`; `""` and `null` to `Empty`; a number or boolean (`"lock_status": 0` where
/// `"0"` is documented) to `Unparsed`. Decoding a JSON scalar never fails, and every variant
/// re-encodes exactly what was received.
///
/// ```
/// use crm_runtime::{EmptyForm, OpenEnum};
/// # #[derive(Debug, PartialEq, serde::Serialize)]
/// # enum Color { #[serde(rename = "red")] Red }
/// # impl std::str::FromStr for Color {
/// #     type Err = ();
/// #     fn from_str(s: &str) -> Result<Self, ()> { (s == "red").then_some(Color::Red).ok_or(()) }
/// # }
///
/// let v: Vec<OpenEnum<Color>> = serde_json::from_str(r#"["red", "teal", "", 0]"#)?;
/// assert_eq!(v[0].known(), Some(&Color::Red));
/// assert_eq!(v[1], OpenEnum::Other("teal".into()));
/// assert_eq!(v[2], OpenEnum::Empty(EmptyForm::EmptyString));
/// assert!(v[3].known().is_none());
/// assert_eq!(serde_json::to_string(&v)?, r#"["red","teal","",0]"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum OpenEnum<T> {
    /// A value the schema lists.
    Known(T),
    /// A string the schema does not list (yet).
    Other(String),
    /// `""` or `null`: no value.
    Empty(EmptyForm),
    /// A number or boolean where a string belongs, kept as received.
    Unparsed(Unparsed),
}

impl<T> OpenEnum<T> {
    /// The known value, if it is one.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(t) => Some(t),
            Self::Other(_) | Self::Empty(_) | Self::Unparsed(_) => None,
        }
    }

    /// Whether the vendor sent `""` or `null`.
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Empty(_))
    }
}

impl<T> From<T> for OpenEnum<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}

/// The value's text; nothing when empty.
impl<T: fmt::Display> fmt::Display for OpenEnum<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(t) => t.fmt(f),
            Self::Other(s) => f.write_str(s),
            Self::Empty(_) => Ok(()),
            Self::Unparsed(raw) => fmt::Display::fmt(raw, f),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OpenEnum<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(t) => t.fmt(f),
            Self::Other(s) => write!(f, "Other({s:?})"),
            Self::Empty(form) => write!(f, "Empty({})", form.as_json()),
            Self::Unparsed(raw) => write!(f, "Unparsed({raw:?})"),
        }
    }
}

impl<T: FromStr> FromStr for OpenEnum<T> {
    type Err = std::convert::Infallible;

    /// A listed value, else `Other` (`""` included: this builds values, it does not decode).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(T::from_str(s)
            .map(Self::Known)
            .unwrap_or_else(|_| Self::Other(s.to_owned())))
    }
}

impl<T: Serialize> Serialize for OpenEnum<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(t) => t.serialize(serializer),
            Self::Other(s) => serializer.serialize_str(s),
            Self::Empty(form) => form.serialize(serializer),
            Self::Unparsed(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de, T: FromStr> Deserialize<'de> for OpenEnum<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(
            match read_scalar(deserializer, "a string, a number, a boolean or null")? {
                Read::Empty(form) => Self::Empty(form),
                Read::Scalar(Scalar::Str(s)) => match T::from_str(&s) {
                    Ok(t) => Self::Known(t),
                    Err(_) => Self::Other(s.into_owned()),
                },
                Read::Scalar(other) => Self::Unparsed(other.into_unparsed()),
            },
        )
    }
}

impl<T: JsonSchema> JsonSchema for OpenEnum<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Open{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let known = generator.subschema_for::<T>();
        json_schema!({
            "description": "A known value, or any other string the vendor adds later.",
            "anyOf": [known, { "type": "string" }]
        })
    }
}
