//! A string that must never be printed: app secrets, permanent codes, tokens, signatures; and
//! the process-wide list of every such value, so that text which echoes one (a vendor's error
//! message quoting the token, a gateway page echoing the request) is scrubbed wherever it
//! leaves the process: [`scrub`].

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use aho_corasick::AhoCorasick;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What `Debug` and `Display` print instead of a secret.
pub const REDACTED: &str = "[redacted]";

/// A secret string. `Debug` and `Display` print `[redacted]`; the value is reachable only
/// through [`SecretString::expose_secret`], so it cannot reach a log line or an error message
/// by accident. Serialization writes the real value, because the vendors need it on the wire;
/// the runtime redacts known secret keys before it logs or records a body.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(Box<str>);

impl SecretString {
    /// Wraps a secret, and remembers its value for [`scrub`] for as long as the process runs.
    pub fn new(secret: impl Into<String>) -> Self {
        let secret = secret.into().into_boxed_str();
        remember(&secret, Keep::Always);
        Self(secret)
    }
    /// Wraps a per-request secret (a signature): [`scrub`] remembers it among the most recent
    /// 4,096 values only, so a client signing every request does not grow the list
    /// without bound.
    pub fn per_request(secret: impl Into<String>) -> Self {
        let secret = secret.into().into_boxed_str();
        remember(&secret, Keep::Recent);
        Self(secret)
    }

    /// The secret itself. Call it only where the value goes onto the wire.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
    /// Whether the secret is empty (a configuration error for credentials).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

impl JsonSchema for SecretString {
    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "description": "A secret; redacted in Debug output." })
    }
}

/// How long [`scrub`] remembers a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// For as long as the process runs: credentials and tokens.
    Always,
    /// Among the most recent 4,096 values: per-request values such as signatures.
    Recent,
}

/// How many per-request values ([`Keep::Recent`]) [`scrub`] remembers.
pub const RECENT_SECRETS: usize = 4096;

/// Shorter values are not remembered: scrubbing them would mangle ordinary text, and no
/// credential or token of these vendors is that short.
pub const MIN_SECRET_LEN: usize = 6;

#[derive(Default)]
struct Known {
    always: HashSet<Box<str>>,
    recent: VecDeque<Box<str>>,
    /// The matcher over every value, rebuilt lazily after a change.
    matcher: Option<Arc<AhoCorasick>>,
}

fn known() -> &'static RwLock<Known> {
    static KNOWN: OnceLock<RwLock<Known>> = OnceLock::new();
    KNOWN.get_or_init(|| RwLock::new(Known::default()))
}

/// Remembers a secret value so that [`scrub`] removes it from any text. [`SecretString`]
/// does this for every value it wraps.
pub fn remember(value: &str, keep: Keep) {
    if value.chars().count() < MIN_SECRET_LEN {
        return;
    }
    let mut known = known().write().unwrap_or_else(|e| e.into_inner());
    if known.always.contains(value) || known.recent.iter().any(|v| &**v == value) {
        return;
    }
    match keep {
        Keep::Always => {
            known.always.insert(value.into());
        }
        Keep::Recent => {
            if known.recent.len() >= RECENT_SECRETS {
                known.recent.pop_front();
            }
            known.recent.push_back(value.into());
        }
    }
    known.matcher = None;
}

/// `text` with every secret value the process knows replaced by [`REDACTED`]: configured
/// credentials, tokens issued to it, recent signatures. Applied to every error's `Display` and
/// `Debug`, the runtime's log events and recordings.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let matcher = {
        let read = known().read().unwrap_or_else(|e| e.into_inner());
        if read.always.is_empty() && read.recent.is_empty() {
            return Cow::Borrowed(text);
        }
        read.matcher.clone()
    };
    let matcher = match matcher {
        Some(m) => m,
        None => {
            let mut write = known().write().unwrap_or_else(|e| e.into_inner());
            let patterns: Vec<&str> = write
                .always
                .iter()
                .chain(write.recent.iter())
                .map(|s| &**s)
                .collect();
            match AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(patterns)
            {
                Ok(m) => {
                    let m = Arc::new(m);
                    write.matcher = Some(m.clone());
                    m
                }
                // Too many or too long patterns (never with the limits above): hide everything
                // rather than risk a leak.
                Err(_) => return Cow::Owned(REDACTED.to_owned()),
            }
        }
    };
    if !matcher.is_match(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    matcher.replace_all_with(text, &mut out, |_, _, dst| {
        dst.push_str(REDACTED);
        true
    });
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_are_scrubbed_from_any_text() {
        let secret = SecretString::new("S3CRET-value-from-config");
        remember("sig+abc/def==", Keep::Recent);
        let text = "vendor said: token S3CRET-value-from-config bad; sig sig+abc/def== too";
        assert_eq!(
            scrub(text),
            "vendor said: token [redacted] bad; sig [redacted] too"
        );
        assert!(matches!(scrub("nothing to hide"), Cow::Borrowed(_)));
        remember("short", Keep::Always);
        assert_eq!(
            scrub("a short note"),
            "a short note",
            "too short to remember"
        );
        assert_eq!(secret.expose_secret(), "S3CRET-value-from-config");
    }

    #[test]
    fn never_printed() {
        let s = SecretString::new("hunter2");
        assert_eq!(
            format!("{s:?} {s} {:?}", Some(&s)),
            "[redacted] [redacted] Some([redacted])"
        );
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"hunter2\"");
        assert_eq!(s.expose_secret(), "hunter2");
    }
}
