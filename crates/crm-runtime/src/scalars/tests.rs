//! Examples per type, then properties over arbitrary wire forms: every JSON scalar decodes, and
//! decode → encode gives back the same bytes.

use std::str::FromStr;

use chrono::{NaiveDate, TimeZone};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::*;

/// Decodes `wire` as `T` and re-encodes it, through both JSON entry points (text borrows
/// strings, `Value` hands them over owned).
fn roundtrip<T: Serialize + DeserializeOwned>(wire: &Value) -> Result<(T, String), String> {
    let text = serde_json::to_string(wire).map_err(|e| e.to_string())?;
    let from_text: T = serde_json::from_str(&text).map_err(|e| format!("{text}: {e}"))?;
    let from_value: T = serde_json::from_value(wire.clone()).map_err(|e| format!("{text}: {e}"))?;
    let again = serde_json::to_string(&from_text).map_err(|e| e.to_string())?;
    let again_value = serde_json::to_string(&from_value).map_err(|e| e.to_string())?;
    if again != text || again_value != text {
        return Err(format!("{text} re-encoded as {again} / {again_value}"));
    }
    Ok((from_text, text))
}

fn decode<T: DeserializeOwned>(wire: Value) -> T {
    match serde_json::from_value(wire.clone()) {
        Ok(t) => t,
        Err(e) => panic!("{wire} does not decode: {e}"),
    }
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

// ---------------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------------

#[test]
fn decimal_keeps_form_and_scale() {
    for v in [
        json!(1),
        json!("300.00"),
        json!(12.5),
        json!(1000.0),
        json!("-0.10"),
        json!(1e3),
        json!(" 1e3"),
        json!("+5"),
        json!(""),
        json!(null),
        json!("abc"),
        json!(true),
        json!("1_000"),
        json!(1e300),
    ] {
        roundtrip::<LenientDecimal>(&v).unwrap();
    }
    let a: LenientDecimal = decode(json!(1));
    let b: LenientDecimal = decode(json!("1.00"));
    assert_eq!(a, b);
    assert_eq!(b.to_string(), "1.00");
    assert_eq!(b.wire_form(), Some(WireForm::String));
    // 0.1 + 0.2 stays exact when it arrives as a string.
    let c: LenientDecimal = decode(json!("0.30000000000000000001"));
    assert_eq!(c.to_string(), "0.30000000000000000001");
    let e: LenientDecimal = decode(json!("1e3"));
    assert_eq!(e.get(), Some(Decimal::from(1000)));

    for garbage in [json!("abc"), json!(true), json!("1_000"), json!(1e300)] {
        let d: LenientDecimal = decode(garbage.clone());
        assert_eq!(d.get(), None, "{garbage}");
        assert_eq!(d.unparsed().map(Unparsed::to_json), Some(garbage.clone()));
        assert!(!d.is_empty());
    }
    let empty: LenientDecimal = decode(json!(""));
    assert_eq!(
        (empty.get(), empty.empty_form()),
        (None, Some(EmptyForm::EmptyString))
    );
    assert_eq!(empty, decode::<LenientDecimal>(json!(null)));
    assert_ne!(empty, decode::<LenientDecimal>(json!("abc")));
    assert_eq!(format!("{empty:?}"), r#"LenientDecimal("")"#);
    assert_eq!(
        format!("{:?}", decode::<LenientDecimal>(json!("abc"))),
        r#"LenientDecimal(unparsed "abc")"#
    );
}

#[test]
fn integers_and_epochs_keep_their_form() {
    for v in [
        json!(20),
        json!("225"),
        json!(20.0),
        json!(" 20"),
        json!("007"),
        json!("-0"),
        json!(""),
        json!(null),
        json!("1.5"),
        json!(1.5),
        json!(true),
        json!(u64::MAX),
    ] {
        roundtrip::<LenientInt>(&v).unwrap();
        roundtrip::<EpochMillis>(&v).unwrap();
    }
    let t: EpochMillis = decode(json!(1517328000000_i64));
    assert_eq!(t.get(), Some(1_517_328_000_000));
    assert_eq!(
        t.to_china_time().map(|t| t.to_string()).as_deref(),
        Some("2018-01-31 00:00:00 +08:00")
    );
    let s: EpochMillis = decode(json!("1517328000000"));
    assert_eq!((s.clone(), s.wire_form()), (t, Some(WireForm::String)));
    let n: LenientInt = decode(json!(" 20"));
    assert_eq!((n.get(), n.to_string()), (Some(20), "20".to_owned()));
    assert_eq!(decode::<LenientInt>(json!(20)), decode(json!("20")));
    for bad in [json!("1.5"), json!(1.5), json!(true), json!(u64::MAX)] {
        let n: LenientInt = decode(bad.clone());
        assert_eq!(n.get(), None, "{bad}");
        assert_eq!(n.unparsed().map(Unparsed::to_json), Some(bad));
    }
    let yesterday: EpochMillis = decode(json!("yesterday"));
    assert_eq!((yesterday.get(), yesterday.to_datetime()), (None, None));
    assert_eq!(yesterday.to_string(), "yesterday");
}

#[test]
fn china_time_is_utc_plus_8() {
    let t: ChinaDateTime = decode(json!("2023-06-26 23:18:43"));
    assert_eq!(
        t.to_utc().map(|t| t.to_rfc3339()).as_deref(),
        Some("2023-06-26T15:18:43+00:00")
    );
    assert_eq!(
        serde_json::to_value(&t).unwrap(),
        json!("2023-06-26 23:18:43")
    );
    let epoch: ChinaDateTime = decode(json!(1687792723000_i64));
    assert_eq!(epoch, t);
    assert_eq!(epoch.to_string(), "2023-06-26 23:18:43");
    for v in [
        json!("2023-06-26 23:18:43"),
        json!("2023-06-26 23:18:43.500"),
        json!("2023-06-26 23:18:43.000"),
        json!(" 2023-06-26 23:18:43"),
        json!(1687792723000_i64),
        json!(""),
        json!(null),
        json!("2023-06-26T23:18:43"),
        json!(1.5),
        json!(false),
        json!(i64::MAX),
    ] {
        roundtrip::<ChinaDateTime>(&v).unwrap();
    }
    let iso: ChinaDateTime = decode(json!("2023-06-26T23:18:43"));
    assert_eq!(iso.get(), None);
    assert_eq!(
        iso.unparsed().and_then(Unparsed::as_str),
        Some("2023-06-26T23:18:43")
    );
    let never: ChinaDateTime = decode(json!(""));
    assert!(never.is_empty() && never.get().is_none());
    assert_eq!(never.partial_cmp(&t), None);
    assert!(t < ChinaDateTime::from_instant(chrono::Utc::now()));
    assert_eq!("".parse::<ChinaDateTime>().ok(), Some(never));
    assert!("2023-06-26T23:18:43".parse::<ChinaDateTime>().is_err());
}

#[test]
fn lenient_date() {
    for v in [
        json!(""),
        json!(null),
        json!("1990-02-03"),
        json!("1990-02-03 00:00:00.000"),
        json!("1990-13-03"),
        json!("xxxxx"),
        json!(19900203),
        json!("  "),
    ] {
        roundtrip::<LenientDate>(&v).unwrap();
    }
    let d: LenientDate = decode(json!(""));
    assert_eq!((d.date(), d.is_empty()), (None, true));
    let d: LenientDate = decode(json!("1990-02-03 10:00:00"));
    assert_eq!(d.get(), NaiveDate::from_ymd_opt(1990, 2, 3));
    assert_eq!(
        d.datetime().map(|t| t.to_string()).as_deref(),
        Some("1990-02-03 10:00:00")
    );
    let bad: LenientDate = decode(json!("1990-13-03"));
    assert_eq!(
        (bad.get(), bad.unparsed().and_then(Unparsed::as_str)),
        (None, Some("1990-13-03"))
    );
    assert!("1990-02-03x".parse::<LenientDate>().is_err());
    assert_eq!("".parse::<LenientDate>().ok(), Some(LenientDate::none()));
}

#[test]
fn str_bool_forms() {
    for v in [
        json!("1"),
        json!("0"),
        json!(true),
        json!("false"),
        json!(1),
        json!("True"),
        json!(" 1"),
        json!(""),
        json!(null),
        json!("yes"),
        json!(2),
        json!("xxxxx"),
    ] {
        roundtrip::<StrBool>(&v).unwrap();
    }
    let b: StrBool = decode(json!("1"));
    assert_eq!((b.get(), b.form()), (Some(true), Some(BoolForm::OneZero)));
    assert_eq!(b, decode(json!(true)));
    let dotnet: StrBool = decode(json!("False"));
    assert_eq!(
        (dotnet.get(), dotnet.as_wire_str()),
        (Some(false), Some("False"))
    );
    let yes: StrBool = decode(json!("yes"));
    assert_eq!((yes.get(), yes.to_string()), (None, "yes".to_owned()));
    let two: StrBool = decode(json!(2));
    assert_eq!(two.unparsed().map(Unparsed::to_json), Some(json!(2)));
}

#[test]
fn open_enum_keeps_unknown_and_odd_values() {
    let v: Vec<OpenEnum<Color>> = decode(json!(["red", "teal", "", null, 0, true]));
    assert_eq!(v[0], OpenEnum::Known(Color::Red));
    assert_eq!(v[1], OpenEnum::Other("teal".into()));
    assert_eq!(v[2], OpenEnum::Empty(EmptyForm::EmptyString));
    assert_eq!(v[3], OpenEnum::Empty(EmptyForm::Null));
    assert_eq!(v[4], OpenEnum::Unparsed(Unparsed::Number(0.into())));
    assert!(v[5].known().is_none());
    assert_eq!(
        serde_json::to_value(&v).unwrap(),
        json!(["red", "teal", "", null, 0, true])
    );
}

#[test]
fn lenient_string_reads_numbers_and_booleans_as_text() {
    for v in [
        json!("10000"),
        json!(10000),
        json!(1.5),
        json!(1000.0),
        json!(-3),
        json!(true),
        json!(""),
        json!(null),
    ] {
        roundtrip::<LenientString>(&v).unwrap();
    }
    let qq: LenientString = decode(json!(10000));
    assert_eq!((qq.as_str(), qq.form()), ("10000", TextForm::Number));
    assert_eq!(qq, LenientString::from("10000"));
    assert_eq!(format!("{qq:?}"), "10000");
    let flag: LenientString = decode(json!(true));
    assert_eq!((&*flag, flag.form()), ("true", TextForm::Bool));
    let none: LenientString = decode(json!(null));
    assert_eq!(
        (none.as_str(), none.empty_form()),
        ("", Some(EmptyForm::Null))
    );
    let text: Option<LenientString> = Some("天津".into());
    assert_eq!(text.as_deref(), Some("天津"));
    assert_eq!(format!("{:?}", text), r#"Some("天津")"#);
}

#[test]
fn null_is_absent_in_an_option_and_empty_in_an_array() {
    let absent: Option<ChinaDateTime> = decode(json!(null));
    assert!(absent.is_none());
    let list: Vec<LenientInt> = decode(json!([1, null, "", "2"]));
    assert_eq!(
        list.iter().map(LenientInt::get).collect::<Vec<_>>(),
        [Some(1), None, None, Some(2)]
    );
    assert_eq!(list[1].empty_form(), Some(EmptyForm::Null));
    assert_eq!(
        serde_json::to_value(&list).unwrap(),
        json!([1, null, "", "2"])
    );
}

#[test]
fn arrays_and_objects_are_not_scalars() {
    for wrong in [json!([1]), json!({"a": 1})] {
        assert!(serde_json::from_value::<LenientDecimal>(wrong.clone()).is_err());
        assert!(serde_json::from_value::<LenientInt>(wrong.clone()).is_err());
        assert!(serde_json::from_value::<EpochMillis>(wrong.clone()).is_err());
        assert!(serde_json::from_value::<ChinaDateTime>(wrong.clone()).is_err());
        assert!(serde_json::from_value::<LenientDate>(wrong.clone()).is_err());
        assert!(serde_json::from_value::<StrBool>(wrong.clone()).is_err());
        assert!(serde_json::from_value::<OpenEnum<Color>>(wrong.clone()).is_err());
        assert!(serde_json::from_value::<LenientString>(wrong).is_err());
    }
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn empty() -> impl Strategy<Value = Value> {
    prop_oneof![Just(json!("")), Just(Value::Null)]
}

/// Integers and floats of every size, the floats also with few digits (`12.5`).
fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON has no NaN or infinity", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        (-1_000_000i64..1_000_000, 0u32..4).prop_map(|(m, scale)| {
            let f = m as f64 / 10f64.powi(scale as i32);
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }),
    ]
}

/// `[ ][+-]digits[.digits][e±digits][ ]` with any scale.
fn numeric_string() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just(" ")],
        prop_oneof![Just(""), Just("-"), Just("+")],
        "[0-9]{1,20}",
        proptest::option::of("[0-9]{0,12}"),
        proptest::option::of("[eE][+-]?[0-9]{1,2}"),
        prop_oneof![Just(""), Just(" ")],
    )
        .prop_map(|(lead, sign, int, frac, exp, trail)| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            let exp = exp.unwrap_or_default();
            format!("{lead}{sign}{int}{frac}{exp}{trail}")
        })
}

/// A plain decimal string with at most 24 significant digits, which a `Decimal` holds exactly.
fn exact_decimal_string() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("-")],
        "[0-9]{1,12}",
        "[0-9]{0,12}",
    )
        .prop_map(|(sign, int, frac)| match frac.as_str() {
            "" => format!("{sign}{int}"),
            frac => format!("{sign}{int}.{frac}"),
        })
}

fn bool_form() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        (0u8..=1).prop_map(Value::from),
        prop_oneof![
            Just("1"),
            Just("0"),
            Just("true"),
            Just("false"),
            Just("True"),
            Just("FALSE"),
            Just(" 1 "),
        ]
        .prop_map(Value::from),
    ]
}

/// A China time with an optional fraction.
fn china_time() -> impl Strategy<Value = (String, i64)> {
    (
        1900i32..2100,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
        proptest::option::of(0u32..1000),
    )
        .prop_map(|(y, mo, d, h, mi, s, ms)| {
            let text = match ms {
                Some(ms) => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{ms:03}"),
                None => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
            };
            let millis = china_offset()
                .with_ymd_and_hms(y, mo, d, h, mi, s)
                .single()
                .map_or(0, |t| t.timestamp_millis() + i64::from(ms.unwrap_or(0)));
            (text, millis)
        })
}

/// Every kind of JSON scalar a vendor might plausibly (or implausibly) send.
fn any_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        empty(),
        json_number(),
        bool_form(),
        numeric_string().prop_map(Value::from),
        china_time().prop_map(|(text, _)| Value::from(text)),
        any::<String>().prop_map(Value::from),
        "[a-zA-Z ]{1,12}".prop_map(Value::from),
    ]
}

/// Decodes and re-encodes byte for byte, or fails the case.
fn check_roundtrip<T: Serialize + DeserializeOwned>(wire: &Value) -> Result<T, TestCaseError> {
    roundtrip::<T>(wire)
        .map(|(t, _)| t)
        .map_err(TestCaseError::fail)
}

proptest! {
    #[test]
    fn every_scalar_decodes_and_reencodes_byte_for_byte(wire in any_scalar()) {
        check_roundtrip::<LenientDecimal>(&wire)?;
        check_roundtrip::<LenientInt>(&wire)?;
        check_roundtrip::<EpochMillis>(&wire)?;
        check_roundtrip::<ChinaDateTime>(&wire)?;
        check_roundtrip::<LenientDate>(&wire)?;
        check_roundtrip::<StrBool>(&wire)?;
        check_roundtrip::<OpenEnum<Color>>(&wire)?;
        check_roundtrip::<LenientString>(&wire)?;
    }

    #[test]
    fn arrays_of_scalars_round_trip(wires in proptest::collection::vec(any_scalar(), 0..6)) {
        let wire = Value::Array(wires);
        check_roundtrip::<Vec<LenientDecimal>>(&wire)?;
        check_roundtrip::<Vec<LenientInt>>(&wire)?;
        check_roundtrip::<Vec<ChinaDateTime>>(&wire)?;
        check_roundtrip::<Vec<StrBool>>(&wire)?;
        check_roundtrip::<Vec<LenientString>>(&wire)?;
    }

    #[test]
    fn empty_forms_are_empty(wire in empty()) {
        let form = if wire.is_null() { EmptyForm::Null } else { EmptyForm::EmptyString };
        let d = check_roundtrip::<LenientDecimal>(&wire)?;
        prop_assert_eq!((d.get(), d.empty_form()), (None, Some(form)));
        let n = check_roundtrip::<LenientInt>(&wire)?;
        prop_assert_eq!((n.get(), n.empty_form()), (None, Some(form)));
        let e = check_roundtrip::<EpochMillis>(&wire)?;
        prop_assert_eq!((e.get(), e.empty_form()), (None, Some(form)));
        let t = check_roundtrip::<ChinaDateTime>(&wire)?;
        prop_assert_eq!((t.get(), t.empty_form()), (None, Some(form)));
        let date = check_roundtrip::<LenientDate>(&wire)?;
        prop_assert_eq!((date.get(), date.empty_form()), (None, Some(form)));
        let b = check_roundtrip::<StrBool>(&wire)?;
        prop_assert_eq!((b.get(), b.empty_form()), (None, Some(form)));
        let o = check_roundtrip::<OpenEnum<Color>>(&wire)?;
        prop_assert_eq!(o, OpenEnum::Empty(form));
        let s = check_roundtrip::<LenientString>(&wire)?;
        prop_assert_eq!((s.as_str(), s.empty_form()), ("", Some(form)));
    }

    #[test]
    fn numbers_and_numeric_strings_are_decimals(text in exact_decimal_string(), quoted in any::<bool>()) {
        let expected = Decimal::from_str_exact(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let wire = if quoted {
            Value::from(text.clone())
        } else {
            match serde_json::from_str::<Value>(&text) {
                Ok(number) => number,
                Err(_) => return Ok(()), // e.g. "007": not a JSON number
            }
        };
        let d = check_roundtrip::<LenientDecimal>(&wire)?;
        if quoted {
            prop_assert_eq!(d.get(), Some(expected));
            prop_assert_eq!(d.to_string(), expected.to_string());
        } else {
            // A JSON float is read through its shortest representation, which may drop digits
            // that were beyond f64 precision; integers are exact.
            prop_assert!(d.get().is_some(), "{} gave {:?}", text, d);
        }
    }

    #[test]
    fn any_decimal_string_keeps_its_text(text in numeric_string()) {
        let d = check_roundtrip::<LenientDecimal>(&Value::from(text.clone()))?;
        // Either a value or (beyond the range of a Decimal) unparsed; never lost.
        prop_assert!(d.get().is_some() || d.unparsed().and_then(Unparsed::as_str) == Some(text.as_str()));
    }

    #[test]
    fn integers_read_as_numbers_and_strings(n in any::<i64>(), spaced in any::<bool>()) {
        let text = if spaced { format!(" {n} ") } else { n.to_string() };
        for wire in [Value::from(n), Value::from(text)] {
            let i = check_roundtrip::<LenientInt>(&wire)?;
            prop_assert_eq!(i.get(), Some(n));
            let e = check_roundtrip::<EpochMillis>(&wire)?;
            prop_assert_eq!(e.get(), Some(n));
            let s = check_roundtrip::<LenientString>(&wire)?;
            prop_assert_eq!(s.trim(), n.to_string());
        }
    }

    #[test]
    fn booleans_read_in_every_form(wire in bool_form()) {
        let expected = match &wire {
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_u64() == Some(1),
            Value::String(s) => s.trim() == "1" || s.trim().eq_ignore_ascii_case("true"),
            _ => return Err(TestCaseError::fail("not a boolean form")),
        };
        let b = check_roundtrip::<StrBool>(&wire)?;
        prop_assert_eq!(b.get(), Some(expected));
        prop_assert_eq!(b, StrBool::new(expected));
    }

    #[test]
    fn china_times_read_as_text_and_epoch(time in china_time()) {
        let (text, millis) = time;
        let t = check_roundtrip::<ChinaDateTime>(&Value::from(text.clone()))?;
        let epoch = check_roundtrip::<ChinaDateTime>(&Value::from(millis))?;
        prop_assert_eq!(t.get().map(|t| t.timestamp_millis()), Some(millis));
        prop_assert_eq!(&t, &epoch);
        let date = check_roundtrip::<LenientDate>(&Value::from(text.clone()))?;
        prop_assert_eq!(date.get().map(|d| d.to_string()), text.get(..10).map(str::to_owned));
    }

    #[test]
    fn words_are_unparsed_not_lost(word in "[a-zA-Z]{1,12}") {
        let lower = word.to_ascii_lowercase();
        prop_assume!(lower != "true" && lower != "false");
        let wire = Value::from(word.clone());
        let d = check_roundtrip::<LenientDecimal>(&wire)?;
        prop_assert_eq!(d.unparsed().and_then(Unparsed::as_str), Some(word.as_str()));
        let n = check_roundtrip::<LenientInt>(&wire)?;
        prop_assert_eq!(n.unparsed().and_then(Unparsed::as_str), Some(word.as_str()));
        let e = check_roundtrip::<EpochMillis>(&wire)?;
        prop_assert_eq!(e.unparsed().and_then(Unparsed::as_str), Some(word.as_str()));
        let t = check_roundtrip::<ChinaDateTime>(&wire)?;
        prop_assert_eq!(t.unparsed().and_then(Unparsed::as_str), Some(word.as_str()));
        let date = check_roundtrip::<LenientDate>(&wire)?;
        prop_assert_eq!(date.unparsed().and_then(Unparsed::as_str), Some(word.as_str()));
        let b = check_roundtrip::<StrBool>(&wire)?;
        prop_assert_eq!(b.unparsed().and_then(Unparsed::as_str), Some(word.as_str()));
    }
}

/// Text in the canonical China-time shape: any digits (mostly impossible dates and times), or
/// a real time.
fn canonical_shape() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}",
        "[0-9]{4}-(0[0-9]|1[0-3])-[0-3][0-9] [0-2][0-9]:[0-6][0-9]:[0-6][0-9]",
        china_time().prop_map(|(text, _)| text.chars().take(19).collect()),
    ]
}

proptest! {
    /// The fast reader of `yyyy-MM-dd HH:mm:ss` reads what chrono's parser reads, and leaves
    /// only leap seconds (`:60`) and what is no time at all to the general path.
    #[test]
    fn the_canonical_china_time_reader_agrees_with_chrono(text in canonical_shape()) {
        let chrono = chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S").ok();
        match time::canonical_china_time(&text) {
            Some(fast) => prop_assert_eq!(Some(fast), chrono),
            None => prop_assert!(chrono.is_none() || text.ends_with(":60"), "{text}: {chrono:?}"),
        }
    }
}

proptest! {
    /// China times order as their instants, whether they came as text or as epoch millis.
    #[test]
    fn china_times_order_as_their_instants(a in china_time(), b in china_time()) {
        let text: ChinaDateTime = serde_json::from_value(Value::from(a.0.clone())).unwrap();
        let epoch: ChinaDateTime = serde_json::from_value(Value::from(b.1)).unwrap();
        prop_assert_eq!(text.partial_cmp(&epoch), Some(a.1.cmp(&b.1)), "{} vs {}", a.0, b.1);
    }
}
