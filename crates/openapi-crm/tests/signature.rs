//! Known-answer tests of the useasy signature (docs/vendors.md §2.2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use openapi_crm::SecretString;
use openapi_crm::{signature, signed_headers, verify_signature};

#[test]
fn sevenmoor_published_inputs() {
    // 7moor's published example: secret, appkey 2000103, timestamp 1608119594, nonce 123221
    // (message "20001031608119594123221"); the signature was computed with Python's hmac.
    let secret = SecretString::from("HWHp9xFVlbboxIU2S6DHA7sf9sGzt3");
    let s = signature(&secret, "2000103", "1608119594", "123221");
    assert_eq!(
        s.expose_secret(),
        "ybCwXrg9CMo39xv1kdfVLemqFmk+2Elz+vXYu1CyHlo="
    );
}

#[test]
fn useasy_made_up_case() {
    let secret = SecretString::from("test-secret");
    let s = signature(&secret, "1090", "1687792454", "123456");
    assert_eq!(
        s.expose_secret(),
        "QGNvl+17HYEWMBy4l759YUpqN10QjmO7sZE95PLt+p8="
    );
    assert_eq!(
        s.expose_secret().len(),
        44,
        "standard Base64 of 32 bytes, padded"
    );
    assert!(verify_signature(
        &secret,
        "1090",
        "1687792454",
        "123456",
        s.expose_secret()
    ));
    // Any change of input, order or key breaks it.
    assert!(!verify_signature(
        &secret,
        "1090",
        "1687792455",
        "123456",
        s.expose_secret()
    ));
    assert!(!verify_signature(
        &secret,
        "1090",
        "123456",
        "1687792454",
        s.expose_secret()
    ));
    assert!(!verify_signature(
        &"test-secreT".into(),
        "1090",
        "1687792454",
        "123456",
        s.expose_secret()
    ));
}

#[test]
fn headers_carry_the_four_values() {
    let h = signed_headers(&"test-secret".into(), "1090", "1687792454", "123456");
    let get = |k: &str| h.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("appid"), Some("1090"));
    assert_eq!(get("nonce"), Some("123456"));
    assert_eq!(get("timestamp"), Some("1687792454"));
    assert_eq!(
        get("signature"),
        Some("QGNvl+17HYEWMBy4l759YUpqN10QjmO7sZE95PLt+p8=")
    );
}

#[test]
fn signature_is_redacted_in_debug() {
    let s = signature(&"test-secret".into(), "1090", "1687792454", "123456");
    assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
}
