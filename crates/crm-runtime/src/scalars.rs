//! Value types that absorb the vendors' wire quirks.
//!
//! Each type decodes every form a vendor is known to send and, where the vendor is
//! inconsistent (a number sent as `1` in one example and `"300.00"` in the next), remembers the
//! form it arrived in so that re-encoding writes back exactly what was read. The JSON Schema
//! definitions in `schemas/common/scalars.json` are mapped onto these types by codegen.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// How a scalar appeared on the wire: as a JSON number or as a JSON string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WireForm {
    /// A JSON number (`1`).
    #[default]
    Number,
    /// A JSON string (`"1"`).
    String,
}

// ---------------------------------------------------------------------------------------------
// LenientDecimal
// ---------------------------------------------------------------------------------------------

/// An exact decimal that arrives as a JSON number (`1`) or a numeric string (`"300.00"`).
///
/// Never goes through `f64` for strings; numbers are read through their shortest decimal
/// representation. Equality compares the numeric value only (`1` equals `"1.00"`), while
/// serialization writes the form that was read, keeping the scale (`"300.00"` stays
/// `"300.00"`). Values built in code serialize as strings, which is what fxiaoke documents for
/// numbers and currency.
#[derive(Clone, Copy)]
pub struct LenientDecimal {
    value: Decimal,
    form: WireForm,
    /// Arrived as a JSON float (`1000.0`), so it is written back as one.
    float: bool,
}

impl LenientDecimal {
    /// A decimal that will serialize as a JSON string (the vendors' documented form).
    pub fn new(value: Decimal) -> Self {
        Self {
            value,
            form: WireForm::String,
            float: false,
        }
    }

    /// A decimal that will serialize as a JSON number.
    pub fn number(value: Decimal) -> Self {
        Self {
            value,
            form: WireForm::Number,
            float: false,
        }
    }

    /// The exact value.
    pub fn value(&self) -> Decimal {
        self.value
    }

    /// The form it arrived in (or will be written in).
    pub fn wire_form(&self) -> WireForm {
        self.form
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

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal(s).map(Self::new)
    }
}

fn parse_decimal(s: &str) -> Result<Decimal, rust_decimal::Error> {
    let s = s.trim();
    Decimal::from_str(s).or_else(|_| Decimal::from_scientific(s))
}

impl PartialEq for LenientDecimal {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl fmt::Debug for LenientDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.form {
            WireForm::Number => write!(f, "{}", self.value),
            WireForm::String => write!(f, "{:?}", self.value.to_string()),
        }
    }
}

impl fmt::Display for LenientDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

impl Serialize for LenientDecimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.form {
            WireForm::String => serializer.collect_str(&self.value),
            WireForm::Number => {
                if let (0, false, Ok(i)) =
                    (self.value.scale(), self.float, i64::try_from(self.value))
                {
                    return serializer.serialize_i64(i);
                }
                // Came from a JSON float: its shortest decimal form parses back to the same f64.
                let f: f64 = self
                    .value
                    .to_string()
                    .parse()
                    .map_err(serde::ser::Error::custom)?;
                serializer.serialize_f64(f)
            }
        }
    }
}

struct NumberVisitor {
    expecting: &'static str,
}

/// A number or numeric string read off the wire, before it is narrowed to a target type.
enum RawNumber<'a> {
    I64(i64),
    U64(u64),
    F64(f64),
    Str(Cow<'a, str>),
}

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = RawNumber<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(RawNumber::I64(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(RawNumber::U64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(RawNumber::F64(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(RawNumber::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(RawNumber::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(RawNumber::Str(Cow::Owned(v)))
    }
}

fn deserialize_raw_number<'de, D: Deserializer<'de>>(
    deserializer: D,
    expecting: &'static str,
) -> Result<RawNumber<'de>, D::Error> {
    deserializer.deserialize_any(NumberVisitor { expecting })
}

impl<'de> Deserialize<'de> for LenientDecimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = deserialize_raw_number(deserializer, "a number or a numeric string")?;
        let float = matches!(raw, RawNumber::F64(_));
        let (value, form) = match raw {
            RawNumber::I64(v) => (Decimal::from(v), WireForm::Number),
            RawNumber::U64(v) => (Decimal::from(v), WireForm::Number),
            RawNumber::F64(v) => (
                parse_decimal(&v.to_string()).map_err(de::Error::custom)?,
                WireForm::Number,
            ),
            RawNumber::Str(s) => (
                parse_decimal(&s).map_err(|e| {
                    de::Error::custom(format_args!("invalid decimal string {s:?}: {e}"))
                })?,
                WireForm::String,
            ),
        };
        Ok(Self { value, form, float })
    }
}

impl JsonSchema for LenientDecimal {
    fn schema_name() -> Cow<'static, str> {
        "LenientDecimal".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A decimal as a JSON number or a numeric string.",
            "anyOf": [{ "type": "number" }, { "type": "string", "pattern": r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$" }]
        })
    }
}

// ---------------------------------------------------------------------------------------------
// LenientInt
// ---------------------------------------------------------------------------------------------

/// An integer that arrives as a JSON number (`20`) or a numeric string (`"20"`), such as U8's
/// paging metadata. Serializes in the form it arrived in; values built in code serialize as
/// strings.
#[derive(Clone, Copy)]
pub struct LenientInt {
    value: i64,
    form: WireForm,
}

impl LenientInt {
    /// An integer that serializes as a JSON string.
    pub fn new(value: i64) -> Self {
        Self {
            value,
            form: WireForm::String,
        }
    }
    /// An integer that serializes as a JSON number.
    pub fn number(value: i64) -> Self {
        Self {
            value,
            form: WireForm::Number,
        }
    }
    /// The value.
    pub fn get(&self) -> i64 {
        self.value
    }
    /// The form it arrived in (or will be written in).
    pub fn wire_form(&self) -> WireForm {
        self.form
    }
}

impl From<i64> for LenientInt {
    fn from(value: i64) -> Self {
        Self::new(value)
    }
}

impl PartialEq for LenientInt {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl fmt::Debug for LenientInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.form {
            WireForm::Number => write!(f, "{}", self.value),
            WireForm::String => write!(f, "\"{}\"", self.value),
        }
    }
}

impl fmt::Display for LenientInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

impl Serialize for LenientInt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.form {
            WireForm::Number => serializer.serialize_i64(self.value),
            WireForm::String => serializer.collect_str(&self.value),
        }
    }
}

fn integral<E: de::Error>(raw: RawNumber<'_>, what: &str) -> Result<(i64, WireForm), E> {
    match raw {
        RawNumber::I64(v) => Ok((v, WireForm::Number)),
        RawNumber::U64(v) => i64::try_from(v)
            .map(|v| (v, WireForm::Number))
            .map_err(|_| E::custom(format_args!("{what} {v} is out of range"))),
        RawNumber::F64(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => {
            Ok((v as i64, WireForm::Number))
        }
        RawNumber::F64(v) => Err(E::custom(format_args!("{what} {v} is not an integer"))),
        RawNumber::Str(s) => s
            .trim()
            .parse::<i64>()
            .map(|v| (v, WireForm::String))
            .map_err(|_| E::custom(format_args!("invalid {what} string {s:?}"))),
    }
}

impl<'de> Deserialize<'de> for LenientInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = deserialize_raw_number(deserializer, "an integer or a numeric string")?;
        let (value, form) = integral(raw, "integer")?;
        Ok(Self { value, form })
    }
}

impl JsonSchema for LenientInt {
    fn schema_name() -> Cow<'static, str> {
        "LenientInt".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An integer as a JSON number or a numeric string.",
            "anyOf": [{ "type": "integer" }, { "type": "string", "pattern": r"^\s*-?[0-9]+\s*$" }]
        })
    }
}

// ---------------------------------------------------------------------------------------------
// EpochMillis
// ---------------------------------------------------------------------------------------------

/// Milliseconds since the Unix epoch, as fxiaoke sends dates and datetimes (`1517328000000`),
/// also accepted as a numeric string.
#[derive(Clone, Copy)]
pub struct EpochMillis {
    millis: i64,
    form: WireForm,
}

impl EpochMillis {
    /// A timestamp that serializes as a JSON number (the documented form).
    pub fn new(millis: i64) -> Self {
        Self {
            millis,
            form: WireForm::Number,
        }
    }
    /// The milliseconds since the epoch.
    pub fn millis(&self) -> i64 {
        self.millis
    }
    /// The instant, or `None` when it is outside chrono's range.
    pub fn to_datetime(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.millis)
    }
    /// The instant in China time (UTC+8), the zone fxiaoke tenants use.
    pub fn to_china_time(&self) -> Option<DateTime<FixedOffset>> {
        self.to_datetime().map(|t| t.with_timezone(&china_offset()))
    }
    /// The form it arrived in.
    pub fn wire_form(&self) -> WireForm {
        self.form
    }
}

impl<Tz: TimeZone> From<DateTime<Tz>> for EpochMillis {
    fn from(t: DateTime<Tz>) -> Self {
        Self::new(t.timestamp_millis())
    }
}

impl PartialEq for EpochMillis {
    fn eq(&self, other: &Self) -> bool {
        self.millis == other.millis
    }
}

impl fmt::Debug for EpochMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(t) => write!(f, "EpochMillis({} = {})", self.millis, t.to_rfc3339()),
            None => write!(f, "EpochMillis({})", self.millis),
        }
    }
}

impl fmt::Display for EpochMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.millis, f)
    }
}

impl Serialize for EpochMillis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.form {
            WireForm::Number => serializer.serialize_i64(self.millis),
            WireForm::String => serializer.collect_str(&self.millis),
        }
    }
}

impl<'de> Deserialize<'de> for EpochMillis {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = deserialize_raw_number(deserializer, "epoch milliseconds")?;
        let (millis, form) = integral(raw, "epoch milliseconds")?;
        Ok(Self { millis, form })
    }
}

impl JsonSchema for EpochMillis {
    fn schema_name() -> Cow<'static, str> {
        "EpochMillis".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Milliseconds since the Unix epoch, as an integer or a numeric string.",
            "anyOf": [{ "type": "integer" }, { "type": "string", "pattern": "^-?[0-9]+$" }]
        })
    }
}

// ---------------------------------------------------------------------------------------------
// ChinaDateTime
// ---------------------------------------------------------------------------------------------

const CHINA_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// The UTC+8 offset used by every vendor here (Asia/Shanghai has no daylight saving time).
pub fn china_offset() -> FixedOffset {
    CHINA_OFFSET
}

const CHINA_DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// A China-time timestamp written `yyyy-MM-dd HH:mm:ss` with no zone on the wire (useasy's
/// `createTime`, `assignTime`). Decoded as UTC+8, so it converts to any zone correctly.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChinaDateTime(DateTime<FixedOffset>);

impl ChinaDateTime {
    /// The China local time given as a naive date-time.
    pub fn from_local(naive: NaiveDateTime) -> Self {
        Self(DateTime::from_naive_utc_and_offset(
            naive - chrono::TimeDelta::hours(8),
            china_offset(),
        ))
    }
    /// Any instant, shown in China time.
    pub fn from_instant<Tz: TimeZone>(t: DateTime<Tz>) -> Self {
        Self(t.with_timezone(&china_offset()))
    }
    /// The current time.
    pub fn now() -> Self {
        Self::from_instant(Utc::now())
    }
    /// The instant with its +08:00 offset.
    pub fn as_datetime(&self) -> DateTime<FixedOffset> {
        self.0
    }
    /// The instant in UTC.
    pub fn to_utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }
    /// The wall-clock time in China, as on the wire.
    pub fn naive_local(&self) -> NaiveDateTime {
        self.0.naive_local()
    }
}

impl FromStr for ChinaDateTime {
    type Err = chrono::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NaiveDateTime::parse_from_str(s.trim(), CHINA_DATETIME_FORMAT).map(Self::from_local)
    }
}

impl fmt::Display for ChinaDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format(CHINA_DATETIME_FORMAT))
    }
}

impl fmt::Debug for ChinaDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChinaDateTime({} +08:00)", self)
    }
}

impl Serialize for ChinaDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChinaDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(|e| {
            de::Error::custom(format_args!(
                "invalid China time {s:?} (expected yyyy-MM-dd HH:mm:ss): {e}"
            ))
        })
    }
}

impl JsonSchema for ChinaDateTime {
    fn schema_name() -> Cow<'static, str> {
        "ChinaDateTime".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "China time (UTC+8) as yyyy-MM-dd HH:mm:ss.",
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
        })
    }
}

// ---------------------------------------------------------------------------------------------
// LenientDate
// ---------------------------------------------------------------------------------------------

/// A date `yyyy-MM-dd` that may be empty (`""` means none) or carry a time part
/// (`yyyy-MM-dd HH:mm:ss[.fff]`), as U8 sends `birthday`. Re-encodes exactly as read.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct LenientDate {
    raw: String,
    date: Option<NaiveDate>,
}

impl LenientDate {
    /// No date (`""` on the wire).
    pub fn none() -> Self {
        Self::default()
    }
    /// The date, or `None` when the vendor sent `""`.
    pub fn date(&self) -> Option<NaiveDate> {
        self.date
    }
    /// The date with its time part, when the vendor sent one.
    pub fn datetime(&self) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(&self.raw, "%Y-%m-%d %H:%M:%S%.f").ok()
    }
    /// The string as on the wire.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl From<NaiveDate> for LenientDate {
    fn from(date: NaiveDate) -> Self {
        Self {
            raw: date.format("%Y-%m-%d").to_string(),
            date: Some(date),
        }
    }
}

impl From<Option<NaiveDate>> for LenientDate {
    fn from(date: Option<NaiveDate>) -> Self {
        date.map(Self::from).unwrap_or_default()
    }
}

/// Why a date string was rejected.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid date {0:?} (expected yyyy-MM-dd, optionally with HH:mm:ss[.fff], or \"\")")]
pub struct InvalidDate(String);

impl FromStr for LenientDate {
    type Err = InvalidDate;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Ok(Self {
                raw: s.to_owned(),
                date: None,
            });
        }
        let head = s.get(..10).ok_or_else(|| InvalidDate(s.to_owned()))?;
        let date =
            NaiveDate::parse_from_str(head, "%Y-%m-%d").map_err(|_| InvalidDate(s.to_owned()))?;
        if s.len() > 10 && NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").is_err() {
            return Err(InvalidDate(s.to_owned()));
        }
        Ok(Self {
            raw: s.to_owned(),
            date: Some(date),
        })
    }
}

impl fmt::Display for LenientDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for LenientDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.date {
            Some(_) => write!(f, "LenientDate({:?})", self.raw),
            None => f.write_str("LenientDate(none)"),
        }
    }
}

impl Serialize for LenientDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for LenientDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(de::Error::custom)
    }
}

impl JsonSchema for LenientDate {
    fn schema_name() -> Cow<'static, str> {
        "LenientDate".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A date yyyy-MM-dd (optionally with a time part), or \"\" for none.",
            "type": "string",
            "pattern": r"^([0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?)?)?$"
        })
    }
}

// ---------------------------------------------------------------------------------------------
// StrBool
// ---------------------------------------------------------------------------------------------

/// How a boolean appeared on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum BoolForm {
    /// `"1"` / `"0"` (U8; the default for values built in code).
    #[default]
    OneZero,
    /// `"true"` / `"false"`.
    TrueFalseString,
    /// JSON `true` / `false`.
    Json,
    /// JSON `1` / `0`.
    Integer,
}

/// A boolean sent as `"1"`/`"0"`, `"true"`/`"false"`, `true`/`false` or `1`/`0`.
/// Re-encodes in the form it arrived in; equality compares the value only.
#[derive(Clone, Copy)]
pub struct StrBool {
    value: bool,
    form: BoolForm,
}

impl StrBool {
    /// A boolean written `"1"`/`"0"`.
    pub fn new(value: bool) -> Self {
        Self {
            value,
            form: BoolForm::OneZero,
        }
    }
    /// A boolean written in the given form.
    pub fn with_form(value: bool, form: BoolForm) -> Self {
        Self { value, form }
    }
    /// The value.
    pub fn get(&self) -> bool {
        self.value
    }
    /// The form it arrived in.
    pub fn form(&self) -> BoolForm {
        self.form
    }
    /// The value as a query-string or wire string in this value's form (`"1"`, `"true"`, ...).
    pub fn as_wire_str(&self) -> &'static str {
        match (self.form, self.value) {
            (BoolForm::OneZero | BoolForm::Integer, true) => "1",
            (BoolForm::OneZero | BoolForm::Integer, false) => "0",
            (BoolForm::TrueFalseString | BoolForm::Json, true) => "true",
            (BoolForm::TrueFalseString | BoolForm::Json, false) => "false",
        }
    }
}

impl From<bool> for StrBool {
    fn from(value: bool) -> Self {
        Self::new(value)
    }
}

impl From<StrBool> for bool {
    fn from(value: StrBool) -> Self {
        value.value
    }
}

impl PartialEq for StrBool {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl fmt::Debug for StrBool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.form {
            BoolForm::Json => write!(f, "{}", self.value),
            _ => write!(f, "{} ({:?})", self.value, self.as_wire_str()),
        }
    }
}

impl fmt::Display for StrBool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

impl Serialize for StrBool {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.form {
            BoolForm::Json => serializer.serialize_bool(self.value),
            BoolForm::Integer => serializer.serialize_u8(u8::from(self.value)),
            BoolForm::OneZero | BoolForm::TrueFalseString => {
                serializer.serialize_str(self.as_wire_str())
            }
        }
    }
}

struct StrBoolVisitor;

impl Visitor<'_> for StrBoolVisitor {
    type Value = StrBool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a boolean: "1"/"0", "true"/"false", true/false or 1/0"#)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<StrBool, E> {
        Ok(StrBool::with_form(v, BoolForm::Json))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<StrBool, E> {
        match v {
            0 | 1 => Ok(StrBool::with_form(v == 1, BoolForm::Integer)),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<StrBool, E> {
        match v {
            0 | 1 => Ok(StrBool::with_form(v == 1, BoolForm::Integer)),
            _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<StrBool, E> {
        match v.trim() {
            "1" => Ok(StrBool::with_form(true, BoolForm::OneZero)),
            "0" => Ok(StrBool::with_form(false, BoolForm::OneZero)),
            "true" => Ok(StrBool::with_form(true, BoolForm::TrueFalseString)),
            "false" => Ok(StrBool::with_form(false, BoolForm::TrueFalseString)),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

impl<'de> Deserialize<'de> for StrBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrBoolVisitor)
    }
}

impl JsonSchema for StrBool {
    fn schema_name() -> Cow<'static, str> {
        "StrBool".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A boolean as \"1\"/\"0\", \"true\"/\"false\", true/false or 1/0.",
            "anyOf": [{ "type": "boolean" }, { "enum": ["0", "1", "true", "false", 0, 1] }]
        })
    }
}

// ---------------------------------------------------------------------------------------------
// OpenEnum
// ---------------------------------------------------------------------------------------------

/// A string enum the vendor may extend. Known values decode to `Known(T)`; anything else to
/// `Other(String)`, never an error, and re-encodes unchanged.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum OpenEnum<T> {
    /// A value the schema lists.
    Known(T),
    /// A value the schema does not list yet.
    Other(String),
}

impl<T> OpenEnum<T> {
    /// The known value, if it is one.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(t) => Some(t),
            Self::Other(_) => None,
        }
    }
}

impl<T> From<T> for OpenEnum<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}

impl<T: fmt::Display> fmt::Display for OpenEnum<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(t) => t.fmt(f),
            Self::Other(s) => f.write_str(s),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OpenEnum<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(t) => t.fmt(f),
            Self::Other(s) => write!(f, "Other({s:?})"),
        }
    }
}

impl<T: FromStr> FromStr for OpenEnum<T> {
    type Err = std::convert::Infallible;
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
        }
    }
}

impl<'de, T: FromStr> Deserialize<'de> for OpenEnum<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <Cow<'de, str>>::deserialize(deserializer)?;
        Ok(match T::from_str(&s) {
            Ok(t) => Self::Known(t),
            Err(_) => Self::Other(s.into_owned()),
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip<T: Serialize + for<'de> Deserialize<'de>>(
        v: serde_json::Value,
    ) -> serde_json::Value {
        let t: T = serde_json::from_value(v).unwrap();
        serde_json::to_value(&t).unwrap()
    }

    #[test]
    fn decimal_keeps_form_and_scale() {
        for v in [
            json!(1),
            json!("300.00"),
            json!(12.5),
            json!("-0.10"),
            json!(1e3),
        ] {
            assert_eq!(roundtrip::<LenientDecimal>(v.clone()), v);
        }
        let a: LenientDecimal = serde_json::from_value(json!(1)).unwrap();
        let b: LenientDecimal = serde_json::from_value(json!("1.00")).unwrap();
        assert_eq!(a, b);
        assert_eq!(b.to_string(), "1.00");
        assert!(serde_json::from_value::<LenientDecimal>(json!("abc")).is_err());
        assert!(serde_json::from_value::<LenientDecimal>(json!(true)).is_err());
        // 0.1 + 0.2 stays exact when it arrives as a string.
        let c: LenientDecimal = serde_json::from_value(json!("0.30000000000000000001")).unwrap();
        assert_eq!(c.to_string(), "0.30000000000000000001");
    }

    #[test]
    fn epoch_millis_and_int() {
        for v in [json!(1517328000000_i64), json!("1517328000000")] {
            assert_eq!(roundtrip::<EpochMillis>(v.clone()), v);
        }
        let t: EpochMillis = serde_json::from_value(json!(1517328000000_i64)).unwrap();
        assert_eq!(
            t.to_china_time().unwrap().to_string(),
            "2018-01-31 00:00:00 +08:00"
        );
        for v in [json!(20), json!("225")] {
            assert_eq!(roundtrip::<LenientInt>(v.clone()), v);
        }
        assert!(serde_json::from_value::<LenientInt>(json!("1.5")).is_err());
        assert!(serde_json::from_value::<EpochMillis>(json!(1.5)).is_err());
    }

    #[test]
    fn china_time_is_utc_plus_8() {
        let t: ChinaDateTime = serde_json::from_value(json!("2023-06-26 23:18:43")).unwrap();
        assert_eq!(t.to_utc().to_rfc3339(), "2023-06-26T15:18:43+00:00");
        assert_eq!(
            serde_json::to_value(t).unwrap(),
            json!("2023-06-26 23:18:43")
        );
        assert!(serde_json::from_value::<ChinaDateTime>(json!("2023-06-26T23:18:43")).is_err());
    }

    #[test]
    fn lenient_date() {
        for v in [
            json!(""),
            json!("1990-02-03"),
            json!("1990-02-03 00:00:00.000"),
        ] {
            assert_eq!(roundtrip::<LenientDate>(v.clone()), v);
        }
        let d: LenientDate = serde_json::from_value(json!("")).unwrap();
        assert_eq!(d.date(), None);
        let d: LenientDate = serde_json::from_value(json!("1990-02-03 10:00:00")).unwrap();
        assert_eq!(d.date(), NaiveDate::from_ymd_opt(1990, 2, 3));
        assert!(serde_json::from_value::<LenientDate>(json!("1990-13-03")).is_err());
        assert!(serde_json::from_value::<LenientDate>(json!("1990-02-03x")).is_err());
    }

    #[test]
    fn str_bool_forms() {
        for v in [
            json!("1"),
            json!("0"),
            json!(true),
            json!("false"),
            json!(1),
        ] {
            assert_eq!(roundtrip::<StrBool>(v.clone()), v);
        }
        let b: StrBool = serde_json::from_value(json!("1")).unwrap();
        assert!(b.get());
        assert!(serde_json::from_value::<StrBool>(json!("yes")).is_err());
        assert!(serde_json::from_value::<StrBool>(json!(2)).is_err());
    }

    #[derive(Debug, PartialEq, Serialize)]
    enum Color {
        #[serde(rename = "red")]
        Red,
    }
    impl FromStr for Color {
        type Err = ();
        fn from_str(s: &str) -> Result<Self, ()> {
            (s == "red").then_some(Color::Red).ok_or(())
        }
    }

    #[test]
    fn open_enum_keeps_unknown() {
        let v: Vec<OpenEnum<Color>> = serde_json::from_value(json!(["red", "teal"])).unwrap();
        assert_eq!(v[0], OpenEnum::Known(Color::Red));
        assert_eq!(v[1], OpenEnum::Other("teal".into()));
        assert_eq!(serde_json::to_value(&v).unwrap(), json!(["red", "teal"]));
    }
}
