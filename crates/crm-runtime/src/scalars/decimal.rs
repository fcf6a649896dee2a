//! [`LenientDecimal`]: exact decimals sent as numbers or strings.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::{EmptyForm, NumberWire, Repr, Scalar, WireForm, repr_scalar, scalar_schema};

/// An exact decimal that arrives as a JSON number (`1`, `12.5`) or a numeric string
/// (`"300.00"`, `"1e3"`), as fxiaoke sends money and numbers.
///
/// - **Value**: a number, or a string of the form `[+-]digits[.digits][e[+-]digits]` (spaces
///   around it allowed). Strings never go through `f64`; floats are read through their shortest
///   decimal representation, and only when that reads back as the same `f64`.
/// - **Empty**: `""` or `null` ([`EmptyForm`]); [`get`](Self::get) is `None`.
/// - **Unparsed**: any other scalar (`"abc"`, `true`, `"1_000"`, a float beyond the decimal's
///   range); [`get`](Self::get) is `None` and [`unparsed`](Self::unparsed) has it.
///
/// Serialization writes exactly what was read: `1` stays `1`, `1000.0` stays `1000.0`,
/// `"300.00"` keeps its scale, `" 1e3"` stays `" 1e3"`. Equality compares values (`1` equals
/// `"1.00"`). Values built in code ([`new`](Self::new)) serialize as strings, which is what
/// fxiaoke documents for numbers and currency.
///
/// ```
/// use crm_runtime::LenientDecimal;
/// use rust_decimal::Decimal;
///
/// for wire in ["1", "1000.0", r#""300.00""#, r#""""#, "null", r#""abc""#] {
///     let d: LenientDecimal = serde_json::from_str(wire)?;
///     assert_eq!(serde_json::to_string(&d)?, wire);
/// }
/// let d: LenientDecimal = serde_json::from_str(r#""300.00""#)?;
/// assert_eq!(d.get(), Some(Decimal::new(30000, 2)));
/// assert_eq!(d.to_string(), "300.00");
/// let empty: LenientDecimal = serde_json::from_str(r#""""#)?;
/// assert!(empty.is_empty() && empty.get().is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct LenientDecimal(Repr<DecimalValue>);

#[derive(Clone)]
struct DecimalValue {
    value: Decimal,
    wire: NumberWire,
}

impl LenientDecimal {
    /// A decimal that serializes as a JSON string (the vendors' documented form).
    pub fn new(value: Decimal) -> Self {
        Self(Repr::Value(DecimalValue {
            value,
            wire: NumberWire::Text,
        }))
    }

    /// A decimal that serializes as a JSON number.
    pub fn number(value: Decimal) -> Self {
        Self(Repr::Value(DecimalValue {
            value,
            wire: NumberWire::Number,
        }))
    }

    /// No value, written as `""` or `null`.
    pub fn empty(form: EmptyForm) -> Self {
        Self(Repr::Empty(form))
    }

    /// The exact value; `None` when the field is empty or unparsed.
    pub fn get(&self) -> Option<Decimal> {
        self.0.value().map(|v| v.value)
    }

    /// The form a value arrived in (or will be written in); `None` when there is no value.
    pub fn wire_form(&self) -> Option<WireForm> {
        self.0.value().map(|v| v.wire.form())
    }
}

impl From<Decimal> for LenientDecimal {
    fn from(value: Decimal) -> Self {
        Self::new(value)
    }
}

impl From<i64> for LenientDecimal {
    fn from(value: i64) -> Self {
        Self::new(Decimal::from(value))
    }
}

impl FromStr for LenientDecimal {
    type Err = rust_decimal::Error;

    /// Parses a decimal for use in code (strictly: `"abc"` and `""` are errors); the result
    /// serializes as a string in its canonical form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal(s).map(Self::new)
    }
}

/// Whether `s` is `[+-]digits[.digits][(e|E)[+-]digits]` (or `.digits`), spaces around
/// allowed: the pattern of `schemas/common/scalars.json`. `rust_decimal` alone would also take
/// `1_000`.
fn is_decimal_literal(s: &str) -> bool {
    let s = s.trim();
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (mantissa, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(frac) => digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// The decimal a numeric string means, exactly; `Err` when it is not one or does not fit.
fn parse_decimal(s: &str) -> Result<Decimal, rust_decimal::Error> {
    if !is_decimal_literal(s) {
        return Err(rust_decimal::Error::from("not a decimal number"));
    }
    let s = s.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.contains(['e', 'E']) {
        Decimal::from_scientific(s)
    } else {
        // Exact: more digits than a Decimal holds is an error, not a rounding.
        Decimal::from_str_exact(s)
    }
}

fn read_decimal(scalar: &Scalar<'_>) -> Option<DecimalValue> {
    let (value, wire) = match scalar {
        Scalar::I64(v) => (Decimal::from(*v), NumberWire::Number),
        Scalar::U64(v) => (Decimal::from(*v), NumberWire::Number),
        Scalar::F64(v) => {
            let value = Decimal::from_str_exact(&v.to_string()).ok()?;
            // Only where the decimal means the same float (no digits lost in range limits).
            if value.to_string().parse::<f64>().ok()? != *v {
                return None;
            }
            (value, NumberWire::Float(*v))
        }
        Scalar::Str(s) => {
            let value = parse_decimal(s).ok()?;
            (value, NumberWire::for_string(&value, s))
        }
        Scalar::Bool(_) => return None,
    };
    Some(DecimalValue { value, wire })
}

impl PartialEq for LenientDecimal {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_by(&other.0, |a, b| a.value == b.value)
    }
}

impl fmt::Debug for LenientDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f, "LenientDecimal", |v, f| match &v.wire {
            NumberWire::Number | NumberWire::Float(_) => write!(f, "{}", v.value),
            NumberWire::Text => write!(f, "{:?}", v.value.to_string()),
            NumberWire::RawText(raw) => write!(f, "{raw:?}"),
        })
    }
}

/// The value with its scale (`300.00`); nothing when empty; the text when unparsed.
impl fmt::Display for LenientDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display(f, |v, f| fmt::Display::fmt(&v.value, f))
    }
}

impl Serialize for LenientDecimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer, |v, serializer| match &v.wire {
            NumberWire::Text => serializer.collect_str(&v.value),
            NumberWire::RawText(raw) => serializer.serialize_str(raw),
            NumberWire::Float(f) => serializer.serialize_f64(*f),
            NumberWire::Number => {
                if v.value.scale() == 0 {
                    if let Ok(i) = i64::try_from(v.value) {
                        return serializer.serialize_i64(i);
                    }
                    if let Ok(u) = u64::try_from(v.value) {
                        return serializer.serialize_u64(u);
                    }
                }
                // Built in code with a fraction: the nearest float is the best a JSON number
                // can carry.
                let f: f64 = v
                    .value
                    .to_string()
                    .parse()
                    .map_err(serde::ser::Error::custom)?;
                serializer.serialize_f64(f)
            }
        })
    }
}

repr_scalar!(
    LenientDecimal,
    not: "a decimal",
    expecting: "a number, a numeric string, \"\" or null",
    read: read_decimal
);

scalar_schema!(
    LenientDecimal,
    {
        "description": "A decimal as a JSON number or a numeric string; \"\" or null for none.",
        "anyOf": [
            { "type": "number" },
            { "type": "string", "pattern": r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$" },
            { "const": "" },
            { "type": "null" }
        ]
    }
);
