//! [`LenientInt`] and [`EpochMillis`]: integers sent as numbers or strings.

use std::fmt;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde::{Serialize, Serializer};

use super::{
    EmptyForm, NumberWire, Repr, Scalar, WireForm, china_offset, repr_scalar, scalar_schema,
};

/// An integer and how it was written.
#[derive(Clone)]
struct IntValue {
    value: i64,
    wire: NumberWire,
}

/// The impls that [`LenientInt`] and [`EpochMillis`] share, both being an [`IntValue`]:
/// equality by value, `Display` of the value (nothing when empty, the text when unparsed),
/// and the wire format (what was read is written back).
macro_rules! int_scalar_impls {
    ($($ty:ident),*) => {$(
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.0.eq_by(&other.0, |a, b| a.value == b.value)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.display(f, |v, f| fmt::Display::fmt(&v.value, f))
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer, serialize_int)
            }
        }
    )*};
}

int_scalar_impls!(LenientInt, EpochMillis);
repr_scalar!(LenientInt, not: "an integer", expecting: INT_EXPECTING, read: read_int);
repr_scalar!(EpochMillis, not: "an integer", expecting: INT_EXPECTING, read: read_int);

/// Floats up to 2^53 hold every integer exactly.
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// Whether `s` is `-?digits` with spaces around allowed (the pattern in `scalars.json`).
fn is_integer_literal(s: &str) -> bool {
    let s = s.trim();
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// An integer from a JSON integer, an integral float (`20.0`) or an integer string in `i64`
/// range; `None` for anything else.
fn read_int(scalar: &Scalar<'_>) -> Option<IntValue> {
    let (value, wire) = match scalar {
        Scalar::I64(v) => (*v, NumberWire::Number),
        Scalar::U64(v) => (i64::try_from(*v).ok()?, NumberWire::Number),
        Scalar::F64(v) if v.fract() == 0.0 && v.abs() <= MAX_EXACT_FLOAT => {
            // In range and integral (checked above), so the cast is exact.
            (*v as i64, NumberWire::Float(*v))
        }
        Scalar::Str(s) if is_integer_literal(s) => {
            let value = s.trim().parse::<i64>().ok()?;
            (value, NumberWire::for_string(&value, s))
        }
        Scalar::F64(_) | Scalar::Str(_) | Scalar::Bool(_) => return None,
    };
    Some(IntValue { value, wire })
}

fn serialize_int<S: Serializer>(v: &IntValue, serializer: S) -> Result<S::Ok, S::Error> {
    match &v.wire {
        NumberWire::Number => serializer.serialize_i64(v.value),
        NumberWire::Float(f) => serializer.serialize_f64(*f),
        NumberWire::Text => serializer.collect_str(&v.value),
        NumberWire::RawText(raw) => serializer.serialize_str(raw),
    }
}

const INT_EXPECTING: &str = "an integer, an integer string, \"\" or null";

// ---------------------------------------------------------------------------------------------
// LenientInt
// ---------------------------------------------------------------------------------------------

/// An integer that arrives as a JSON number (`20`) or a numeric string (`"20"`): U8's paging
/// metadata, fxiaoke's `errorCode` and `version`, useasy's `count`.
///
/// - **Value**: a JSON integer in `i64` range, an integral float (`20.0`, kept as a float), or
///   a string `-?digits` (spaces around allowed, kept verbatim).
/// - **Empty**: `""` or `null`; [`get`](Self::get) is `None`.
/// - **Unparsed**: anything else (`"1.5"`, `"abc"`, `true`, `1.5`, a number beyond `i64`).
///
/// Serializes in the form it arrived in; values built with [`new`](Self::new) serialize as
/// strings, with [`number`](Self::number) as numbers. Equality compares values (`20` equals
/// `"20"`).
///
/// ```
/// use crm_runtime::LenientInt;
///
/// for wire in ["0", r#""0""#, "20.0", r#""""#, "null", r#""n/a""#] {
///     let n: LenientInt = serde_json::from_str(wire)?;
///     assert_eq!(serde_json::to_string(&n)?, wire);
/// }
/// let a: LenientInt = serde_json::from_str("200")?;
/// let b: LenientInt = serde_json::from_str(r#""200""#)?;
/// assert_eq!((a.get(), a == b), (Some(200), true));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct LenientInt(Repr<IntValue>);

impl LenientInt {
    /// An integer that serializes as a JSON string.
    pub fn new(value: i64) -> Self {
        Self(Repr::Value(IntValue {
            value,
            wire: NumberWire::Text,
        }))
    }

    /// An integer that serializes as a JSON number.
    pub fn number(value: i64) -> Self {
        Self(Repr::Value(IntValue {
            value,
            wire: NumberWire::Number,
        }))
    }

    /// No value, written as `""` or `null`.
    pub fn empty(form: EmptyForm) -> Self {
        Self(Repr::Empty(form))
    }

    /// The value; `None` when the field is empty or unparsed.
    pub fn get(&self) -> Option<i64> {
        self.0.value().map(|v| v.value)
    }

    /// The form a value arrived in (or will be written in); `None` when there is no value.
    pub fn wire_form(&self) -> Option<WireForm> {
        self.0.value().map(|v| v.wire.form())
    }
}

impl From<i64> for LenientInt {
    fn from(value: i64) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for LenientInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f, "LenientInt", |v, f| match &v.wire {
            NumberWire::Number | NumberWire::Float(_) => write!(f, "{}", v.value),
            NumberWire::Text => write!(f, "\"{}\"", v.value),
            NumberWire::RawText(raw) => write!(f, "{raw:?}"),
        })
    }
}

scalar_schema!(
    LenientInt,
    {
        "description": "An integer as a JSON number or a numeric string; \"\" or null for none.",
        "anyOf": [
            { "type": "integer" },
            { "type": "string", "pattern": r"^\s*-?[0-9]+\s*$" },
            { "const": "" },
            { "type": "null" }
        ]
    }
);

// ---------------------------------------------------------------------------------------------
// EpochMillis
// ---------------------------------------------------------------------------------------------

/// Milliseconds since the Unix epoch, as fxiaoke sends dates and datetimes (`1517328000000`),
/// also accepted as a numeric string.
///
/// Reads exactly like [`LenientInt`]: a value is a JSON integer, an integral float or an
/// integer string; `""` and `null` are empty; anything else (`"yesterday"`) is unparsed. Written
/// back in the form it arrived in; values built in code are JSON numbers (the documented form).
///
/// ```
/// use crm_runtime::EpochMillis;
///
/// let t: EpochMillis = serde_json::from_str("1517328000000")?;
/// assert_eq!(t.get(), Some(1_517_328_000_000));
/// assert_eq!(t.to_china_time().map(|t| t.to_string()).as_deref(), Some("2018-01-31 00:00:00 +08:00"));
/// let none: EpochMillis = serde_json::from_str(r#""""#)?;
/// assert_eq!((none.get(), none.to_datetime()), (None, None));
/// assert_eq!(serde_json::to_string(&none)?, r#""""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct EpochMillis(Repr<IntValue>);

impl EpochMillis {
    /// A timestamp that serializes as a JSON number (the documented form).
    pub fn new(millis: i64) -> Self {
        Self(Repr::Value(IntValue {
            value: millis,
            wire: NumberWire::Number,
        }))
    }

    /// No value, written as `""` or `null`.
    pub fn empty(form: EmptyForm) -> Self {
        Self(Repr::Empty(form))
    }

    /// The milliseconds since the epoch; `None` when the field is empty or unparsed.
    pub fn get(&self) -> Option<i64> {
        self.0.value().map(|v| v.value)
    }

    /// The instant; `None` when there is no value or it is outside chrono's range.
    pub fn to_datetime(&self) -> Option<DateTime<Utc>> {
        self.get().and_then(DateTime::from_timestamp_millis)
    }

    /// The instant in China time (UTC+8), the zone fxiaoke tenants use.
    pub fn to_china_time(&self) -> Option<DateTime<FixedOffset>> {
        self.to_datetime().map(|t| t.with_timezone(&china_offset()))
    }

    /// The form a value arrived in; `None` when there is no value.
    pub fn wire_form(&self) -> Option<WireForm> {
        self.0.value().map(|v| v.wire.form())
    }
}

impl<Tz: TimeZone> From<DateTime<Tz>> for EpochMillis {
    fn from(t: DateTime<Tz>) -> Self {
        Self::new(t.timestamp_millis())
    }
}

impl fmt::Debug for EpochMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .debug(f, "EpochMillis", |v, f| match self.to_datetime() {
                Some(t) => write!(f, "EpochMillis({} = {})", v.value, t.to_rfc3339()),
                None => write!(f, "EpochMillis({})", v.value),
            })
    }
}

scalar_schema!(
    EpochMillis,
    {
        "description": "Milliseconds since the Unix epoch, as an integer or a numeric string; \"\" or null for none.",
        "anyOf": [
            { "type": "integer" },
            { "type": "string", "pattern": r"^\s*-?[0-9]+\s*$" },
            { "const": "" },
            { "type": "null" }
        ]
    }
);
