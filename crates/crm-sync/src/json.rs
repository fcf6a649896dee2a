//! Comparing JSON documents by value, not by text.
//!
//! A vendor may send the same record with its keys in another order, and PostgreSQL gives
//! `jsonb` back with its own key order and spacing. Two documents are the same when their
//! canonical forms are equal: object keys sorted (byte order), a repeated key resolved to its
//! last value (as `jsonb` and serde do), strings decoded and re-encoded, numbers compared by
//! their exact decimal value (`1`, `1.0` and `10e-1` are equal; `0.1` and
//! `0.10000000000000001` are not, which a comparison through `f64` would get wrong).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::value::RawValue;

/// Whether two JSON texts hold the same value. Text that is not JSON equals nothing but
/// identical text.
pub(crate) fn same_value(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (canonical(a), canonical(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A 64-bit fingerprint of the value of a JSON text (equal values, equal fingerprints).
pub(crate) fn fingerprint(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    match canonical(text) {
        Ok(c) => c.hash(&mut h),
        Err(_) => text.hash(&mut h),
    }
    h.finish()
}

/// The canonical text of a JSON value (for comparison only; not meant for display).
pub(crate) fn canonical(text: &str) -> Result<String, serde_json::Error> {
    let mut out = String::with_capacity(text.len());
    write_canonical(text, &mut out)?;
    Ok(out)
}

fn write_canonical(text: &str, out: &mut String) -> Result<(), serde_json::Error> {
    let t = text.trim_matches([' ', '\t', '\n', '\r']);
    match t.as_bytes().first() {
        Some(b'{') => {
            let map: BTreeMap<String, &RawValue> = serde_json::from_str(t)?;
            out.push('{');
            for (i, (key, value)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out)?;
                out.push(':');
                write_canonical(value.get(), out)?;
            }
            out.push('}');
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(t)?;
            out.push('[');
            for (i, value) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(value.get(), out)?;
            }
            out.push(']');
        }
        Some(b'"') => {
            let s: String = serde_json::from_str(t)?;
            write_string(&s, out)?;
        }
        Some(b'-' | b'0'..=b'9') => {
            // Validates the literal; the value itself is normalised from the text.
            let _: &RawValue = serde_json::from_str(t)?;
            write_number(t, out);
        }
        _ => {
            let v: serde_json::Value = serde_json::from_str(t)?;
            out.push_str(match v {
                serde_json::Value::Bool(true) => "true",
                serde_json::Value::Bool(false) => "false",
                _ => "null",
            });
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut String) -> Result<(), serde_json::Error> {
    out.push_str(&serde_json::to_string(s)?);
    Ok(())
}

/// Writes a valid JSON number literal as `[-]DIGITSeEXP` with no leading or trailing zeros
/// in DIGITS (zero is `0`), so equal decimal values give equal text.
fn write_number(literal: &str, out: &mut String) {
    let (negative, rest) = match literal.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, literal),
    };
    let (mantissa, exponent) = rest.split_once(['e', 'E']).unwrap_or((rest, "0"));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = int.chars().chain(frac.chars()).collect();
    let lead = digits.len() - digits.trim_start_matches('0').len();
    let significant = digits.trim_matches('0');
    if significant.is_empty() {
        out.push('0');
        return;
    }
    let trail = digits.len() - lead - significant.len();
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let Ok(exponent) = exponent.parse::<i128>() else {
        // An exponent beyond 128 bits: keep the literal (equal only to the same text).
        out.push_str(literal);
        return;
    };
    let scale = exponent - frac.len() as i128 + trail as i128;
    if negative {
        out.push('-');
    }
    out.push_str(significant);
    let _ = write!(out, "e{scale}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_spacing_do_not_matter() {
        assert!(same_value(
            r#"{"a":1,"b":{"x":[1,2],"y":null}}"#,
            r#"{ "b": {"y": null, "x": [1, 2]}, "a": 1 }"#
        ));
    }

    #[test]
    fn array_order_and_values_do_matter() {
        assert!(!same_value(r#"[1,2]"#, r#"[2,1]"#));
        assert!(!same_value(r#"{"a":"1"}"#, r#"{"a":1}"#));
        assert!(!same_value(r#"{"a":true}"#, r#"{"a":false}"#));
        assert!(!same_value(r#"{"a":null}"#, r#"{}"#));
        assert!(!same_value(r#"{"a":1}"#, r#"{"a":1,"b":1}"#));
    }

    #[test]
    fn numbers_compare_by_exact_decimal_value() {
        for (a, b) in [
            ("1", "1.0"),
            ("100", "1e2"),
            ("100", "1E+2"),
            ("0.5", "5e-1"),
            ("-0", "0"),
            ("0.000", "0e10"),
            ("12345678901234567890123", "1.2345678901234567890123e22"),
        ] {
            assert!(same_value(a, b), "{a} = {b}");
            assert_eq!(fingerprint(a), fingerprint(b), "{a} = {b}");
        }
        for (a, b) in [
            ("0.1", "0.10000000000000001"),
            ("12345678901234567890123", "12345678901234567890124"),
            ("-1", "1"),
            ("1", "10"),
        ] {
            assert!(!same_value(a, b), "{a} != {b}");
        }
    }

    #[test]
    fn strings_compare_decoded() {
        assert!(same_value(r#""é\u0041""#, r#""\u00e9A""#));
        assert!(!same_value(r#""a""#, r#""A""#));
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_like_jsonb() {
        assert!(same_value(r#"{"a":1,"a":2}"#, r#"{"a":2}"#));
    }

    #[test]
    fn text_that_is_not_json_equals_only_itself() {
        assert!(same_value("{", "{"));
        assert!(!same_value("{", "{ "));
        assert!(canonical("[1,").is_err());
    }
}
