//! Value types that absorb the vendors' wire quirks (documented at the crate root).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Serialize, Serializer};

mod boolean;
mod decimal;
mod integer;
mod open_enum;
mod text;
mod time;

#[cfg(test)]
mod tests;

pub use boolean::{BoolForm, StrBool};
pub use decimal::LenientDecimal;
pub use integer::{EpochMillis, LenientInt};
pub use open_enum::OpenEnum;
pub use text::{LenientString, TextForm};
pub use time::{ChinaDateTime, InvalidDate, LenientDate, china_offset};

/// How a number appeared on the wire: as a JSON number or as a JSON string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WireForm {
    /// A JSON number (`1`).
    #[default]
    Number,
    /// A JSON string (`"1"`).
    String,
}

/// How a value that carries nothing appeared on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum EmptyForm {
    /// `""`, what the vendors send for an unset date, time or number.
    #[default]
    EmptyString,
    /// `null`.
    Null,
}

impl EmptyForm {
    fn serialize<S: Serializer>(self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::EmptyString => serializer.serialize_str(""),
            Self::Null => serializer.serialize_unit(),
        }
    }

    /// The wire text, for `Debug`.
    fn as_json(self) -> &'static str {
        match self {
            Self::EmptyString => "\"\"",
            Self::Null => "null",
        }
    }
}

/// A JSON scalar kept exactly as received because it does not read as the type expected there
/// (`"abc"` where a decimal belongs, `2` for a boolean). It is written back unchanged.
///
/// `Display` shows the text a person would read (a string without quotes, a number or boolean
/// as JSON); `Debug` shows it as JSON.
///
/// ```
/// use crm_runtime::StrBool;
///
/// let b: StrBool = serde_json::from_str("2")?;
/// let raw = b.unparsed().expect("2 is not a boolean");
/// assert_eq!(raw.to_json(), serde_json::json!(2));
/// assert_eq!(raw.to_string(), "2");
/// assert_eq!(serde_json::to_string(&b)?, "2");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Unparsed {
    /// A JSON string.
    String(String),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON boolean.
    Bool(bool),
}

impl Unparsed {
    /// The value as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::String(s) => serde_json::Value::String(s.clone()),
            Self::Number(n) => serde_json::Value::Number(n.clone()),
            Self::Bool(b) => serde_json::Value::Bool(*b),
        }
    }

    /// The string, when a JSON string was received.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            Self::Number(_) | Self::Bool(_) => None,
        }
    }
}

impl fmt::Display for Unparsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(s) => f.write_str(s),
            Self::Number(n) => fmt::Display::fmt(n, f),
            Self::Bool(b) => fmt::Display::fmt(b, f),
        }
    }
}

impl fmt::Debug for Unparsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(s) => fmt::Debug::fmt(s, f),
            Self::Number(n) => fmt::Display::fmt(n, f),
            Self::Bool(b) => fmt::Display::fmt(b, f),
        }
    }
}

/// Writes the scalar back exactly as it was received.
impl Serialize for Unparsed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::String(s) => serializer.serialize_str(s),
            Self::Number(n) => n.serialize(serializer),
            Self::Bool(b) => serializer.serialize_bool(*b),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading one scalar off the wire
// ---------------------------------------------------------------------------------------------

/// A non-empty JSON scalar as the deserializer handed it over, before a type reads it.
pub(crate) enum Scalar<'de> {
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(Cow<'de, str>),
}

impl Scalar<'_> {
    fn into_unparsed(self) -> Unparsed {
        match self {
            Self::Bool(b) => Unparsed::Bool(b),
            Self::I64(v) => Unparsed::Number(v.into()),
            Self::U64(v) => Unparsed::Number(v.into()),
            // JSON has no NaN or infinity; another deserializer might, and then text is all
            // that can be kept.
            Self::F64(v) => serde_json::Number::from_f64(v)
                .map(Unparsed::Number)
                .unwrap_or_else(|| Unparsed::String(v.to_string())),
            Self::Str(s) => Unparsed::String(s.into_owned()),
        }
    }
}

/// What one scalar position held.
pub(crate) enum Read<'de> {
    Empty(EmptyForm),
    Scalar(Scalar<'de>),
}

/// Reads one scalar and hands it to `finish` inside the visitor, so that a typed scalar is
/// built where the deserializer borrows the text (no intermediate value to move out).
struct ScalarVisitor<F> {
    expecting: &'static str,
    finish: F,
}

impl<'de, T, F: FnOnce(Read<'de>) -> T> Visitor<'de> for ScalarVisitor<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok((self.finish)(Read::Empty(EmptyForm::Null)))
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok((self.finish)(Read::Empty(EmptyForm::Null)))
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        Ok((self.finish)(Read::Scalar(Scalar::Bool(v))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Ok((self.finish)(Read::Scalar(Scalar::I64(v))))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Ok((self.finish)(Read::Scalar(Scalar::U64(v))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Ok((self.finish)(Read::Scalar(Scalar::F64(v))))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<T, E> {
        Ok((self.finish)(read_string(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok((self.finish)(read_string(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        Ok((self.finish)(read_string(Cow::Owned(v))))
    }
}

fn read_string(s: Cow<'_, str>) -> Read<'_> {
    if s.is_empty() {
        Read::Empty(EmptyForm::EmptyString)
    } else {
        Read::Scalar(Scalar::Str(s))
    }
}

/// Reads one JSON scalar; arrays and objects are errors that say what was `expecting`.
pub(crate) fn read_scalar<'de, D: Deserializer<'de>>(
    deserializer: D,
    expecting: &'static str,
) -> Result<Read<'de>, D::Error> {
    read_scalar_into(deserializer, expecting, |read| read)
}

/// Reads one JSON scalar and turns it into `T` with `finish`.
fn read_scalar_into<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    expecting: &'static str,
    finish: impl FnOnce(Read<'de>) -> T,
) -> Result<T, D::Error> {
    deserializer.deserialize_any(ScalarVisitor { expecting, finish })
}

// ---------------------------------------------------------------------------------------------
// The three states every typed scalar has
// ---------------------------------------------------------------------------------------------

/// A value of type `V`, an empty value, or a scalar kept as received.
#[derive(Clone)]
pub(crate) enum Repr<V> {
    Value(V),
    Empty(EmptyForm),
    Unparsed(Unparsed),
}

impl<V> Repr<V> {
    /// Reads a scalar; `parse` turns the forms the type knows into a value (`None`: unparsed).
    fn decode<'de, D: Deserializer<'de>>(
        deserializer: D,
        expecting: &'static str,
        parse: impl FnOnce(&Scalar<'de>) -> Option<V>,
    ) -> Result<Self, D::Error> {
        read_scalar_into(deserializer, expecting, |read| match read {
            Read::Empty(form) => Self::Empty(form),
            Read::Scalar(scalar) => match parse(&scalar) {
                Some(value) => Self::Value(value),
                None => Self::Unparsed(scalar.into_unparsed()),
            },
        })
    }

    fn value(&self) -> Option<&V> {
        match self {
            Self::Value(v) => Some(v),
            Self::Empty(_) | Self::Unparsed(_) => None,
        }
    }

    fn empty_form(&self) -> Option<EmptyForm> {
        match self {
            Self::Empty(form) => Some(*form),
            Self::Value(_) | Self::Unparsed(_) => None,
        }
    }

    fn unparsed(&self) -> Option<&Unparsed> {
        match self {
            Self::Unparsed(raw) => Some(raw),
            Self::Value(_) | Self::Empty(_) => None,
        }
    }

    /// Equal values (by `same`), any two empty values, or the same unparsed scalar.
    fn eq_by(&self, other: &Self, same: impl FnOnce(&V, &V) -> bool) -> bool {
        match (self, other) {
            (Self::Value(a), Self::Value(b)) => same(a, b),
            (Self::Empty(_), Self::Empty(_)) => true,
            (Self::Unparsed(a), Self::Unparsed(b)) => a == b,
            _ => false,
        }
    }

    fn serialize<S: Serializer>(
        &self,
        serializer: S,
        value: impl FnOnce(&V, S) -> Result<S::Ok, S::Error>,
    ) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(v) => value(v, serializer),
            Self::Empty(form) => form.serialize(serializer),
            Self::Unparsed(raw) => raw.serialize(serializer),
        }
    }

    /// `Debug` of the empty and unparsed states as `Name("")`, `Name(null)`,
    /// `Name(unparsed "abc")`; values as `value` writes them.
    fn debug(
        &self,
        f: &mut fmt::Formatter<'_>,
        name: &str,
        value: impl FnOnce(&V, &mut fmt::Formatter<'_>) -> fmt::Result,
    ) -> fmt::Result {
        match self {
            Self::Value(v) => value(v, f),
            Self::Empty(form) => write!(f, "{name}({})", form.as_json()),
            Self::Unparsed(raw) => write!(f, "{name}(unparsed {raw:?})"),
        }
    }

    /// `Display`: the value as `value` writes it, nothing when empty, the text when unparsed.
    fn display(
        &self,
        f: &mut fmt::Formatter<'_>,
        value: impl FnOnce(&V, &mut fmt::Formatter<'_>) -> fmt::Result,
    ) -> fmt::Result {
        match self {
            Self::Value(v) => value(v, f),
            Self::Empty(_) => Ok(()),
            Self::Unparsed(raw) => fmt::Display::fmt(raw, f),
        }
    }
}

/// The members every scalar held in a [`Repr`] has alike: the state accessors
/// (`is_empty`, `empty_form`, `unparsed`, the last documented with what the type holds) and
/// `Deserialize` (one read of the scalar, then the type's own `read`, the rest unparsed).
macro_rules! repr_scalar {
    ($ty:ident, not: $what:literal, expecting: $expecting:expr, read: $read:path) => {
        impl $ty {
            /// Whether the vendor sent `""` or `null`.
            pub fn is_empty(&self) -> bool {
                self.0.empty_form().is_some()
            }

            /// Which empty form was sent, if the value is empty.
            pub fn empty_form(&self) -> Option<$crate::scalars::EmptyForm> {
                self.0.empty_form()
            }

            #[doc = concat!("The scalar as received, when it is not ", $what, ".")]
            pub fn unparsed(&self) -> Option<&$crate::scalars::Unparsed> {
                self.0.unparsed()
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::scalars::Repr::decode(deserializer, $expecting, $read).map(Self)
            }
        }
    };
}
pub(crate) use repr_scalar;

/// `JsonSchema` of a scalar: named after the type, with the schema given (the patterns in
/// `scalars.json`).
macro_rules! scalar_schema {
    ($ty:ident, $schema:tt) => {
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }
    };
}
pub(crate) use scalar_schema;

/// How a number-like value is written back.
#[derive(Clone, Debug)]
pub(crate) enum NumberWire {
    /// A JSON number written from the value (`1`; values built with `number()`).
    Number,
    /// A JSON float, kept bit for bit so that `1000.0` stays `1000.0`.
    Float(f64),
    /// A JSON string that is the value's own rendering (`"300.00"`, `"20"`).
    Text,
    /// A JSON string that renders differently from the value (`" 20"`, `"1e3"`, `"007"`).
    RawText(Box<str>),
}

impl NumberWire {
    fn form(&self) -> WireForm {
        match self {
            Self::Number | Self::Float(_) => WireForm::Number,
            Self::Text | Self::RawText(_) => WireForm::String,
        }
    }

    /// `Text` when `value` renders exactly as `raw`, else `RawText`.
    fn for_string(value: &impl fmt::Display, raw: &str) -> Self {
        if renders_as(value, raw) {
            Self::Text
        } else {
            Self::RawText(raw.into())
        }
    }
}

/// Whether `value`'s `Display` output is exactly `text`, without allocating.
fn renders_as(value: &impl fmt::Display, text: &str) -> bool {
    struct Compare<'a> {
        rest: &'a str,
    }
    impl fmt::Write for Compare<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            match self.rest.strip_prefix(s) {
                Some(rest) => {
                    self.rest = rest;
                    Ok(())
                }
                None => Err(fmt::Error),
            }
        }
    }
    let mut compare = Compare { rest: text };
    fmt::write(&mut compare, format_args!("{value}")).is_ok() && compare.rest.is_empty()
}
