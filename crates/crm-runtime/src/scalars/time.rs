//! [`ChinaDateTime`] and [`LenientDate`]: zone-less China times and dates.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Serialize, Serializer};

use super::{EmptyForm, Repr, Scalar, Unparsed, repr_scalar, scalar_schema};

const CHINA_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// The UTC+8 offset used by every vendor here (Asia/Shanghai has no daylight saving time).
pub fn china_offset() -> FixedOffset {
    CHINA_OFFSET
}

/// `yyyy-MM-dd HH:mm:ss`, with `.fff…` only when the time has a fraction (parsing makes the
/// fraction optional).
const CHINA_DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

// ---------------------------------------------------------------------------------------------
// ChinaDateTime
// ---------------------------------------------------------------------------------------------

/// A China-time timestamp written `yyyy-MM-dd HH:mm:ss` with no zone on the wire (useasy's
/// `createTime`, `assignTime`). Decoded as UTC+8, so it converts to any zone correctly.
///
/// - **Value**: `"yyyy-MM-dd HH:mm:ss"`, optionally with a fraction (`.000`), or a JSON integer
///   taken as epoch milliseconds (how a Java backend writes a `Date` when its date format is
///   not configured).
/// - **Empty**: `""` or `null` (useasy sends `"assignTime": ""` for a customer never
///   assigned); [`get`](Self::get) is `None`.
/// - **Unparsed**: anything else (`"2023-06-26T23:18:43"`, `"yesterday"`, `true`).
///
/// Written back as received: the same text (spaces included), the same epoch number.
/// Equality compares instants; an epoch number and the text for the same instant are equal.
///
/// ```
/// use crm_runtime::ChinaDateTime;
///
/// for wire in [r#""2023-06-26 23:18:43""#, r#""""#, "null", "1687792723000", r#""tomorrow""#] {
///     let t: ChinaDateTime = serde_json::from_str(wire)?;
///     assert_eq!(serde_json::to_string(&t)?, wire);
/// }
/// let text: ChinaDateTime = serde_json::from_str(r#""2023-06-26 23:18:43""#)?;
/// let epoch: ChinaDateTime = serde_json::from_str("1687792723000")?;
/// assert_eq!(text, epoch);
/// assert_eq!(text.to_utc().map(|t| t.to_rfc3339()).as_deref(), Some("2023-06-26T15:18:43+00:00"));
/// let never: ChinaDateTime = serde_json::from_str(r#""""#)?;
/// assert!(never.is_empty() && never.get().is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct ChinaDateTime(Repr<TimeValue>);

/// A China wall-clock time that has a UTC+8 instant (checked when built).
///
/// Kept as the wall-clock time rather than the instant: a page decodes thousands of these
/// and most are only written back, so the conversion waits until [`ChinaDateTime::get`] asks.
#[derive(Clone)]
struct TimeValue {
    local: NaiveDateTime,
    wire: TimeWire,
}

#[derive(Clone)]
enum TimeWire {
    /// The instant's own rendering, `yyyy-MM-dd HH:mm:ss[.fff]`.
    Text,
    /// A string that renders differently (spaces around it, a fraction `.000`), kept verbatim.
    RawText(Box<str>),
    /// A JSON integer of epoch milliseconds.
    EpochMillis,
}

impl TimeValue {
    /// `local` with the wire form `wire`, if it has a UTC+8 instant.
    fn new(local: NaiveDateTime, wire: TimeWire) -> Option<Self> {
        china_local(&local)?;
        Some(Self { local, wire })
    }

    /// The instant (always there: [`new`](Self::new) checked it).
    fn at(&self) -> Option<DateTime<FixedOffset>> {
        china_local(&self.local)
    }

    fn epoch_millis(&self) -> Option<i64> {
        self.at().map(|at| at.timestamp_millis())
    }
}

/// The instant a China wall-clock time means; `None` at the very edge of chrono's range.
fn china_local(naive: &NaiveDateTime) -> Option<DateTime<FixedOffset>> {
    china_offset().from_local_datetime(naive).single()
}

fn from_epoch_millis(millis: i64) -> Option<TimeValue> {
    let at = DateTime::from_timestamp_millis(millis)?.with_timezone(&china_offset());
    Some(TimeValue {
        local: at.naive_local(),
        wire: TimeWire::EpochMillis,
    })
}

/// `yyyy-MM-dd HH:mm:ss` exactly (the canonical form, as the vendors write it), read without
/// chrono's format parser, which reads the format string on every call and was a third of a
/// customer page's decode time. `None` for any other text (which then takes the general path).
pub(super) fn canonical_china_time(s: &str) -> Option<NaiveDateTime> {
    let bytes: &[u8; 19] = s.as_bytes().try_into().ok()?;
    let [
        y0,
        y1,
        y2,
        y3,
        b'-',
        mo0,
        mo1,
        b'-',
        d0,
        d1,
        b' ',
        h0,
        h1,
        b':',
        mi0,
        mi1,
        b':',
        s0,
        s1,
    ] = *bytes
    else {
        return None;
    };
    let digits = [y0, y1, y2, y3, mo0, mo1, d0, d1, h0, h1, mi0, mi1, s0, s1];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Every byte is a digit from here on: no subtraction below can wrap.
    let two = |tens: u8, ones: u8| u32::from(tens - b'0') * 10 + u32::from(ones - b'0');
    let year = i32::try_from(two(y0, y1) * 100 + two(y2, y3)).ok()?;
    let date = NaiveDate::from_ymd_opt(year, two(mo0, mo1), two(d0, d1))?;
    // A leap second (`:60`) is left to chrono.
    let time = NaiveTime::from_hms_opt(two(h0, h1), two(mi0, mi1), two(s0, s1))?;
    Some(NaiveDateTime::new(date, time))
}

fn read_china_time(scalar: &Scalar<'_>) -> Option<TimeValue> {
    match scalar {
        Scalar::Str(s) => {
            if let Some(local) = canonical_china_time(s) {
                // Canonical text renders back as itself, and a four-digit year is far inside
                // chrono's range: every such time has an instant.
                return Some(TimeValue {
                    local,
                    wire: TimeWire::Text,
                });
            }
            let local = NaiveDateTime::parse_from_str(s.trim(), CHINA_DATETIME_FORMAT).ok()?;
            let wire = if super::renders_as(&local.format(CHINA_DATETIME_FORMAT), s) {
                TimeWire::Text
            } else {
                TimeWire::RawText(s.as_ref().into())
            };
            TimeValue::new(local, wire)
        }
        Scalar::I64(millis) => from_epoch_millis(*millis),
        Scalar::U64(millis) => from_epoch_millis(i64::try_from(*millis).ok()?),
        Scalar::F64(_) | Scalar::Bool(_) => None,
    }
}

impl ChinaDateTime {
    /// The China local time given as a naive date-time. One at the very edge of chrono's
    /// range, which has no UTC+8 instant, is kept as text (unparsed) instead.
    pub fn from_local(naive: NaiveDateTime) -> Self {
        match TimeValue::new(naive, TimeWire::Text) {
            Some(value) => Self(Repr::Value(value)),
            None => Self(Repr::Unparsed(Unparsed::String(
                naive.format(CHINA_DATETIME_FORMAT).to_string(),
            ))),
        }
    }

    /// Any instant, shown in China time.
    pub fn from_instant<Tz: TimeZone>(t: DateTime<Tz>) -> Self {
        Self(Repr::Value(TimeValue {
            local: t.with_timezone(&china_offset()).naive_local(),
            wire: TimeWire::Text,
        }))
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from_instant(Utc::now())
    }

    /// No value, written as `""` or `null`.
    pub fn empty(form: EmptyForm) -> Self {
        Self(Repr::Empty(form))
    }

    /// The instant with its +08:00 offset; `None` when the field is empty or unparsed.
    pub fn get(&self) -> Option<DateTime<FixedOffset>> {
        self.0.value().and_then(TimeValue::at)
    }

    /// The instant in UTC.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        self.get().map(|t| t.with_timezone(&Utc))
    }

    /// The wall-clock time in China, as on the wire.
    pub fn naive_local(&self) -> Option<NaiveDateTime> {
        self.0.value().map(|v| v.local)
    }
}

impl FromStr for ChinaDateTime {
    type Err = chrono::ParseError;

    /// Parses `yyyy-MM-dd HH:mm:ss[.fff]` strictly (spaces around allowed); `""` is the empty
    /// value. The result serializes in the canonical form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Ok(Self::empty(EmptyForm::EmptyString));
        }
        NaiveDateTime::parse_from_str(s.trim(), CHINA_DATETIME_FORMAT).map(Self::from_local)
    }
}

impl PartialEq for ChinaDateTime {
    fn eq(&self, other: &Self) -> bool {
        // One offset for all: equal wall-clock times are equal instants.
        self.0.eq_by(&other.0, |a, b| a.local == b.local)
    }
}

impl Eq for ChinaDateTime {}

impl Hash for ChinaDateTime {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            Repr::Value(v) => (0u8, v.local).hash(state),
            Repr::Empty(_) => 1u8.hash(state),
            Repr::Unparsed(raw) => (2u8, raw).hash(state),
        }
    }
}

/// Instants are ordered; empty and unparsed values are comparable only to equal ones.
impl PartialOrd for ChinaDateTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        // One offset for all: wall-clock times order as their instants do.
        match (self.0.value(), other.0.value()) {
            (Some(a), Some(b)) => Some(a.local.cmp(&b.local)),
            _ => (self == other).then_some(Ordering::Equal),
        }
    }
}

/// `yyyy-MM-dd HH:mm:ss` in China time; nothing when empty; the text when unparsed.
impl fmt::Display for ChinaDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display(f, |v, f| {
            write!(f, "{}", v.local.format(CHINA_DATETIME_FORMAT))
        })
    }
}

impl fmt::Debug for ChinaDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f, "ChinaDateTime", |v, f| {
            let local = v.local.format(CHINA_DATETIME_FORMAT);
            match &v.wire {
                TimeWire::Text => write!(f, "ChinaDateTime({local} +08:00)"),
                TimeWire::RawText(raw) => write!(f, "ChinaDateTime({local} +08:00 from {raw:?})"),
                TimeWire::EpochMillis => match v.epoch_millis() {
                    Some(millis) => write!(f, "ChinaDateTime({local} +08:00 from {millis})"),
                    None => write!(f, "ChinaDateTime({local} +08:00)"),
                },
            }
        })
    }
}

impl Serialize for ChinaDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer, |v, serializer| match &v.wire {
            TimeWire::RawText(raw) => serializer.serialize_str(raw),
            TimeWire::EpochMillis => match v.epoch_millis() {
                Some(millis) => serializer.serialize_i64(millis),
                None => serializer.collect_str(&v.local.format(CHINA_DATETIME_FORMAT)),
            },
            TimeWire::Text => serializer.collect_str(&v.local.format(CHINA_DATETIME_FORMAT)),
        })
    }
}

repr_scalar!(
    ChinaDateTime,
    not: "a China time",
    expecting: "a China time \"yyyy-MM-dd HH:mm:ss\", epoch milliseconds, \"\" or null",
    read: read_china_time
);

scalar_schema!(
    ChinaDateTime,
    {
        "description": "China time (UTC+8) as yyyy-MM-dd HH:mm:ss, or epoch milliseconds; \"\" or null for none.",
        "anyOf": [
            { "type": "string", "pattern": r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?\s*$" },
            { "type": "integer" },
            { "const": "" },
            { "type": "null" }
        ]
    }
);

// ---------------------------------------------------------------------------------------------
// LenientDate
// ---------------------------------------------------------------------------------------------

/// A date `yyyy-MM-dd` that may be empty or carry a time part (`yyyy-MM-dd HH:mm:ss[.fff]`),
/// as U8 sends `birthday`.
///
/// - **Value**: `"yyyy-MM-dd"`, or `"yyyy-MM-dd HH:mm:ss[.fff]"` (the time is kept).
/// - **Empty**: `""` (U8's unknown birthday) or `null`; [`get`](Self::get) is `None`.
/// - **Unparsed**: anything else (`"1990-13-03"`, `"xxxxx"`, `19900203`).
///
/// Re-encodes exactly as read. Equality compares the date and the time part.
///
/// ```
/// use crm_runtime::LenientDate;
/// use chrono::NaiveDate;
///
/// for wire in [r#""1990-02-03""#, r#""1990-02-03 00:00:00.000""#, r#""""#, "null", r#""xxxxx""#] {
///     let d: LenientDate = serde_json::from_str(wire)?;
///     assert_eq!(serde_json::to_string(&d)?, wire);
/// }
/// let d: LenientDate = serde_json::from_str(r#""1990-02-03 10:00:00""#)?;
/// assert_eq!(d.get(), NaiveDate::from_ymd_opt(1990, 2, 3));
/// let unknown: LenientDate = serde_json::from_str(r#""""#)?;
/// assert!(unknown.is_empty() && unknown.get().is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct LenientDate(Repr<DateValue>);

#[derive(Clone)]
struct DateValue {
    date: NaiveDate,
    time: Option<NaiveTime>,
    raw: Box<str>,
}

impl DateValue {
    fn parse(s: &str) -> Option<Self> {
        let date = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
        let time = match s.get(10..)? {
            "" => None,
            _ => Some(
                NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                    .ok()?
                    .time(),
            ),
        };
        Some(Self {
            date,
            time,
            raw: s.into(),
        })
    }
}

fn read_date(scalar: &Scalar<'_>) -> Option<DateValue> {
    match scalar {
        Scalar::Str(s) => DateValue::parse(s),
        Scalar::Bool(_) | Scalar::I64(_) | Scalar::U64(_) | Scalar::F64(_) => None,
    }
}

impl LenientDate {
    /// No date (`""` on the wire).
    pub fn none() -> Self {
        Self::empty(EmptyForm::EmptyString)
    }

    /// No date, written as `""` or `null`.
    pub fn empty(form: EmptyForm) -> Self {
        Self(Repr::Empty(form))
    }

    /// The date; `None` when the field is empty or unparsed.
    pub fn get(&self) -> Option<NaiveDate> {
        self.0.value().map(|v| v.date)
    }

    /// The date (the same as [`get`](Self::get)).
    pub fn date(&self) -> Option<NaiveDate> {
        self.get()
    }

    /// The date with its time part, when the vendor sent one.
    pub fn datetime(&self) -> Option<NaiveDateTime> {
        self.0
            .value()
            .and_then(|v| v.time.map(|time| v.date.and_time(time)))
    }
}

impl Default for LenientDate {
    /// No date (`""`).
    fn default() -> Self {
        Self::none()
    }
}

impl From<NaiveDate> for LenientDate {
    fn from(date: NaiveDate) -> Self {
        Self(Repr::Value(DateValue {
            date,
            time: None,
            raw: date.format("%Y-%m-%d").to_string().into(),
        }))
    }
}

impl From<Option<NaiveDate>> for LenientDate {
    fn from(date: Option<NaiveDate>) -> Self {
        date.map(Self::from).unwrap_or_default()
    }
}

/// Why a date string was rejected by [`LenientDate`]'s `FromStr`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid date {0:?} (expected yyyy-MM-dd, optionally with HH:mm:ss[.fff], or \"\")")]
pub struct InvalidDate(String);

impl FromStr for LenientDate {
    type Err = InvalidDate;

    /// Parses a date strictly: `""` is no date, anything that is not a date is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Ok(Self::none());
        }
        DateValue::parse(s)
            .map(|v| Self(Repr::Value(v)))
            .ok_or_else(|| InvalidDate(s.to_owned()))
    }
}

impl PartialEq for LenientDate {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .eq_by(&other.0, |a, b| (a.date, a.time) == (b.date, b.time))
    }
}

impl Eq for LenientDate {}

impl Hash for LenientDate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            Repr::Value(v) => (0u8, v.date, v.time).hash(state),
            Repr::Empty(_) => 1u8.hash(state),
            Repr::Unparsed(raw) => (2u8, raw).hash(state),
        }
    }
}

/// The date as on the wire; nothing when empty; the text when unparsed.
impl fmt::Display for LenientDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display(f, |v, f| f.write_str(&v.raw))
    }
}

impl fmt::Debug for LenientDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f, "LenientDate", |v, f| {
            write!(f, "LenientDate({:?})", v.raw)
        })
    }
}

impl Serialize for LenientDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0
            .serialize(serializer, |v, serializer| serializer.serialize_str(&v.raw))
    }
}

repr_scalar!(
    LenientDate,
    not: "a date",
    expecting: "a date \"yyyy-MM-dd\", \"\" or null",
    read: read_date
);

scalar_schema!(
    LenientDate,
    {
        "description": "A date yyyy-MM-dd (optionally with a time part); \"\" or null for none.",
        "type": ["string", "null"],
        "pattern": r"^([0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?)?)?$"
    }
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    /// chrono's reading of a China time, as it was before the canonical fast path.
    fn general(s: &str) -> Option<(NaiveDateTime, bool)> {
        let naive = NaiveDateTime::parse_from_str(s.trim(), CHINA_DATETIME_FORMAT).ok()?;
        let canonical = super::super::renders_as(&naive.format(CHINA_DATETIME_FORMAT), s);
        Some((naive, canonical))
    }

    proptest! {
        /// Wherever the fast path reads a time, chrono reads the same one, and its text is
        /// canonical (so it is written back as received).
        #[test]
        fn the_canonical_fast_path_agrees_with_chrono(
            y in 0u32..10_000, mo in 0u32..14, d in 0u32..33,
            h in 0u32..26, mi in 0u32..62, sec in 0u32..62,
        ) {
            let text = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{sec:02}");
            if let Some(fast) = canonical_china_time(&text) {
                prop_assert_eq!(Some((fast, true)), general(&text));
            } else {
                // Only the general path may accept what the fast path declines (a leap second).
                prop_assert!(general(&text).is_none() || sec == 60, "{}", text);
            }
        }

        #[test]
        fn the_fast_path_declines_every_other_text(text in "[0-9 :.+T-]{0,24}") {
            if let Some(fast) = canonical_china_time(&text) {
                prop_assert_eq!(Some((fast, true)), general(&text));
            }
        }
    }

    #[test]
    fn non_canonical_texts_keep_their_spelling() {
        for text in [
            "2023-06-01 08:00:00.000",
            " 2023-06-01 08:00:00",
            "2023-6-01 08:00:00",
        ] {
            assert!(canonical_china_time(text).is_none(), "{text}");
        }
        let t: ChinaDateTime = serde_json::from_str(r#""2023-06-01 08:00:00.000""#).unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#""2023-06-01 08:00:00.000""#
        );
        let t: ChinaDateTime = serde_json::from_str(r#""2023-06-01 08:00:00""#).unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#""2023-06-01 08:00:00""#
        );
        assert_eq!(t.get().unwrap().to_rfc3339(), "2023-06-01T08:00:00+08:00");
    }
}
