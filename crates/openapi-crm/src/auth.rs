//! useasy's request signature (documented at the crate root, § Signature).

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crm_runtime::SecretString;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying the account number.
pub const HEADER_APPID: &str = "appid";
/// The header carrying the 6-digit random number.
pub const HEADER_NONCE: &str = "nonce";
/// The header carrying the Unix time in seconds.
pub const HEADER_TIMESTAMP: &str = "timestamp";
/// The header carrying the signature (a secret: redacted in logs and recordings).
pub const HEADER_SIGNATURE: &str = "signature";

/// How far the server's clock may be from the request's `timestamp`, and how long a nonce is
/// remembered against replay.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(300);

/// A keyed HMAC-SHA256 over `message`.
#[allow(clippy::expect_used)] // HMAC accepts keys of any length: `new_from_slice` cannot fail.
fn mac(secret: &SecretString, message: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC-SHA256 takes a key of any length");
    mac.update(message.as_bytes());
    mac
}

/// `base64(HMAC-SHA256(key = secret, message = appid + timestamp + nonce))`, standard Base64
/// with padding.
///
/// ```
/// use openapi_crm::signature;
/// let sig = signature(&"test-secret".into(), "1090", "1687792454", "123456");
/// assert_eq!(sig.expose_secret(), "QGNvl+17HYEWMBy4l759YUpqN10QjmO7sZE95PLt+p8=");
/// assert_eq!(format!("{sig:?}"), "[redacted]");
/// ```
pub fn signature(secret: &SecretString, appid: &str, timestamp: &str, nonce: &str) -> SecretString {
    let digest = mac(secret, &format!("{appid}{timestamp}{nonce}"))
        .finalize()
        .into_bytes();
    SecretString::per_request(STANDARD.encode(digest))
}

/// Whether `provided` is the signature of `appid + timestamp + nonce` under `secret`
/// (constant-time comparison). Used by the mock server; useful to check a captured request.
pub fn verify_signature(
    secret: &SecretString,
    appid: &str,
    timestamp: &str,
    nonce: &str,
    provided: &str,
) -> bool {
    let Ok(bytes) = STANDARD.decode(provided.trim()) else {
        return false;
    };
    mac(secret, &format!("{appid}{timestamp}{nonce}"))
        .verify_slice(&bytes)
        .is_ok()
}

/// The four authentication headers for one request, given its timestamp and nonce. The
/// signature is a header value here, so keep the result out of logs (the client's transport
/// redacts the `signature` header in recordings).
pub fn signed_headers(
    secret: &SecretString,
    appid: &str,
    timestamp: &str,
    nonce: &str,
) -> Vec<(String, String)> {
    let signature = signature(secret, appid, timestamp, nonce);
    vec![
        (HEADER_APPID.to_owned(), appid.to_owned()),
        (HEADER_NONCE.to_owned(), nonce.to_owned()),
        (HEADER_TIMESTAMP.to_owned(), timestamp.to_owned()),
        (
            HEADER_SIGNATURE.to_owned(),
            signature.expose_secret().to_owned(),
        ),
    ]
}

/// The current Unix time in seconds, as the `timestamp` header.
pub fn unix_timestamp() -> String {
    chrono::Utc::now().timestamp().to_string()
}

/// Hands out 6-digit nonces (100000–999999, so no leading zero a server might strip) that
/// this client has not used within the last [`REPLAY_WINDOW`].
///
/// At the documented 10 requests/second a client sends up to 3,000 requests in 5 minutes;
/// among 3,000 random 6-digit numbers a repeat is almost certain (birthday bound), so a server
/// that rejects repeated nonces would reject some plain random ones. The guard remembers the
/// recent nonces and draws again on a repeat.
#[derive(Debug, Default)]
pub(crate) struct NonceGuard {
    recent: Mutex<Recent>,
}

#[derive(Debug, Default)]
struct Recent {
    order: VecDeque<(Instant, u32)>,
    used: HashSet<u32>,
}

impl NonceGuard {
    /// A fresh nonce.
    pub(crate) fn next(&self) -> String {
        let now = Instant::now();
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(&(at, n)) = recent.order.front() {
            if now.duration_since(at) < REPLAY_WINDOW {
                break;
            }
            recent.order.pop_front();
            recent.used.remove(&n);
        }
        let mut rng = rand::rng();
        let mut nonce = rng.random_range(100_000..1_000_000u32);
        // Bounded: with client-side rate limiting off, a caller could in theory exhaust the
        // space; a rare repeat is then better than a loop.
        for _ in 0..32 {
            if !recent.used.contains(&nonce) {
                break;
            }
            nonce = rng.random_range(100_000..1_000_000u32);
        }
        if recent.used.insert(nonce) {
            recent.order.push_back((now, nonce));
        }
        nonce.to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn known_answers() {
        // docs/vendors.md §2.2, computed with Python's hmac: 7moor's published inputs.
        let s = signature(
            &"HWHp9xFVlbboxIU2S6DHA7sf9sGzt3".into(),
            "2000103",
            "1608119594",
            "123221",
        );
        assert_eq!(
            s.expose_secret(),
            "ybCwXrg9CMo39xv1kdfVLemqFmk+2Elz+vXYu1CyHlo="
        );
        let s = signature(&"test-secret".into(), "1090", "1687792454", "123456");
        assert_eq!(
            s.expose_secret(),
            "QGNvl+17HYEWMBy4l759YUpqN10QjmO7sZE95PLt+p8="
        );
        assert!(verify_signature(
            &"test-secret".into(),
            "1090",
            "1687792454",
            "123456",
            s.expose_secret()
        ));
        assert!(!verify_signature(
            &"other".into(),
            "1090",
            "1687792454",
            "123456",
            s.expose_secret()
        ));
        assert!(!verify_signature(
            &"test-secret".into(),
            "1090",
            "1687792454",
            "123456",
            "not base64!"
        ));
    }

    #[test]
    fn nonces_are_six_digits_and_not_repeated() {
        let guard = NonceGuard::default();
        let mut seen = HashSet::new();
        for _ in 0..5000 {
            let n = guard.next();
            assert_eq!(n.len(), 6, "{n}");
            assert!(n.bytes().all(|b| b.is_ascii_digit()), "{n}");
            assert!(seen.insert(n), "repeated nonce");
        }
    }
}
