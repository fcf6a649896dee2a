//! [`LenientString`]: text that may arrive as a string, a number or a boolean.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{EmptyForm, Read, Scalar, read_scalar, scalar_schema};

/// How a [`LenientString`] appeared on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TextForm {
    /// A JSON string (the documented form; also the form of text built in code).
    #[default]
    String,
    /// A JSON number (`"qq": 10000`).
    Number,
    /// A JSON boolean.
    Bool,
    /// `null`.
    Null,
}

/// Text that a vendor documents as a string but may send as a JSON number or boolean, as U8
/// tenants do (`"qq": 10000`, `"rank": 1`; docs/vendors.md §3.3) and envelope codes do
/// (`"errcode": 0`, `"code": 200`).
///
/// The text is the string, the number's JSON text (`10000`, `1.5`) or `true`/`false`; `null`
/// is empty text. Every JSON scalar decodes. Serialization writes back the form that was
/// received (`10000` stays a number, `"10000"` a string); text built in code is a string.
///
/// It reads like a string: it derefs to `str` (so `Option<LenientString>::as_deref()` gives an
/// `Option<&str>`), compares with `&str`, and equality, ordering and hashing use the text only
/// (`10000` equals `"10000"`).
///
/// ```
/// use crm_runtime::{LenientString, TextForm};
///
/// for wire in [r#""10000""#, "10000", "1.5", "true", r#""""#, "null"] {
///     let s: LenientString = serde_json::from_str(wire)?;
///     assert_eq!(serde_json::to_string(&s)?, wire);
/// }
/// let qq: LenientString = serde_json::from_str("10000")?;
/// assert_eq!((qq.as_str(), qq.form()), ("10000", TextForm::Number));
/// assert_eq!(qq, "10000");
/// assert_eq!(qq, LenientString::from("10000"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct LenientString {
    text: String,
    wire: TextWire,
}

/// The form, with the number itself so that it is written back bit for bit.
#[derive(Clone, Default)]
enum TextWire {
    #[default]
    String,
    Number(serde_json::Number),
    Bool(bool),
    Null,
}

impl LenientString {
    /// Text that serializes as a JSON string.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            wire: TextWire::String,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.text
    }

    /// Whether the text is empty (`""` or `null` on the wire).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Which empty form was sent, if the text came as `""` or `null`.
    pub fn empty_form(&self) -> Option<EmptyForm> {
        match self.wire {
            TextWire::Null => Some(EmptyForm::Null),
            TextWire::String if self.text.is_empty() => Some(EmptyForm::EmptyString),
            _ => None,
        }
    }

    /// The JSON type it arrived as (or will be written as).
    pub fn form(&self) -> TextForm {
        match self.wire {
            TextWire::String => TextForm::String,
            TextWire::Number(_) => TextForm::Number,
            TextWire::Bool(_) => TextForm::Bool,
            TextWire::Null => TextForm::Null,
        }
    }
}

impl From<&str> for LenientString {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for LenientString {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<LenientString> for String {
    fn from(text: LenientString) -> Self {
        text.text
    }
}

impl FromStr for LenientString {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

impl Deref for LenientString {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for LenientString {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Borrow<str> for LenientString {
    fn borrow(&self) -> &str {
        &self.text
    }
}

impl PartialEq for LenientString {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for LenientString {}

impl PartialEq<str> for LenientString {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for LenientString {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<String> for LenientString {
    fn eq(&self, other: &String) -> bool {
        &self.text == other
    }
}

/// Hashes the text only, like `str` (so it agrees with `Borrow<str>`).
impl Hash for LenientString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for LenientString {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LenientString {
    fn cmp(&self, other: &Self) -> Ordering {
        self.text.cmp(&other.text)
    }
}

impl fmt::Display for LenientString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// As JSON: `"text"` for a string (like `String`'s `Debug`), `10000`, `true`, `null`.
impl fmt::Debug for LenientString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.wire {
            TextWire::String => fmt::Debug::fmt(&self.text, f),
            TextWire::Number(_) | TextWire::Bool(_) => f.write_str(&self.text),
            TextWire::Null => f.write_str("null"),
        }
    }
}

impl Serialize for LenientString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.wire {
            TextWire::String => serializer.serialize_str(&self.text),
            TextWire::Number(n) => n.serialize(serializer),
            TextWire::Bool(b) => serializer.serialize_bool(*b),
            TextWire::Null => serializer.serialize_unit(),
        }
    }
}

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let read = read_scalar(deserializer, "a string, a number, a boolean or null")?;
        let wire = match read {
            Read::Empty(EmptyForm::EmptyString) => return Ok(Self::default()),
            Read::Empty(EmptyForm::Null) => TextWire::Null,
            Read::Scalar(Scalar::Str(s)) => return Ok(Self::new(s.into_owned())),
            Read::Scalar(Scalar::Bool(b)) => TextWire::Bool(b),
            Read::Scalar(Scalar::I64(v)) => TextWire::Number(v.into()),
            Read::Scalar(Scalar::U64(v)) => TextWire::Number(v.into()),
            Read::Scalar(Scalar::F64(v)) => match serde_json::Number::from_f64(v) {
                Some(n) => TextWire::Number(n),
                // JSON has no NaN or infinity; from another format, keep the text.
                None => return Ok(Self::new(v.to_string())),
            },
        };
        let text = match &wire {
            TextWire::Number(n) => n.to_string(),
            TextWire::Bool(b) => b.to_string(),
            TextWire::String | TextWire::Null => String::new(),
        };
        Ok(Self { text, wire })
    }
}

scalar_schema!(
    LenientString,
    {
        "description": "Text sent as a JSON string, number or boolean (or null).",
        "type": ["string", "number", "boolean", "null"]
    }
);
