//! Reading the exchanges that crm-runtime's recorder (`crates/crm-runtime/src/record.rs`)
//! writes (one JSON file each), and turning a recorded request back into the operation's
//! `input` value.
//!
//! A recording is
//! `{"recording": 1, "vendor", "operation", "recordedAt", "request": {"method", "url",
//! "headers", "body"}, "response": {"status", "body"} | "error": "…"}`. Secrets were replaced by
//! `"[redacted]"` when it was written (query values, JSON keys, headers).
//!
//! The operation's input is rebuilt the way the vendor clients split it up:
//! - the JSON body (an object) as it was sent, minus the vendor's auth envelope: fxiaoke's
//!   `AuthFields` keys at the top level of the body (legacy flow), and the `OAuth2BodyFields`
//!   flags (`convertUserId`) of its OAuth2 flow, whose credentials are headers;
//! - `{name}` path parameters, matched from the end of the URL path against the operation's
//!   `path` (or `altPath`) template;
//! - the URL query parameters (as strings), minus U8's `AuthQuery` keys.
//!
//! The envelope is only split off for operations with `"auth": "default"`; the token calls
//! (`"auth": "none"`) send their input as it is.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};

/// The value the recorder writes for a secret.
pub const REDACTED: &str = "[redacted]";

/// Where a vendor's auth envelope travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Top-level keys of the JSON body.
    Body,
    /// URL query parameters.
    Query,
}

/// The auth envelope of a vendor: keys that travel with the input but are not part of it.
#[derive(Clone, Copy, Debug)]
pub struct Envelope {
    /// `$defs` name whose properties are the envelope keys.
    pub def: &'static str,
    /// Where they travel.
    pub place: Place,
}

/// Further `$defs` whose properties travel with the input at the envelope's place without
/// being part of it: fxiaoke's OAuth2 flow carries no `AuthFields` in the body (its credentials
/// are headers), only the top-level flags of `OAuth2BodyFields` (`convertUserId`).
pub fn envelope_extras(vendor: &str) -> &'static [&'static str] {
    match vendor {
        "fxiaoke" => &["OAuth2BodyFields"],
        _ => &[],
    }
}

/// The envelope of a vendor (by schema folder name), if it has one.
pub fn envelope(vendor: &str) -> Option<Envelope> {
    match vendor {
        "fxiaoke" => Some(Envelope {
            def: "AuthFields",
            place: Place::Body,
        }),
        "u8" => Some(Envelope {
            def: "AuthQuery",
            place: Place::Query,
        }),
        _ => None,
    }
}

/// The response part of a recording.
#[derive(Clone, Debug)]
pub struct RecordedResponse {
    /// HTTP status.
    pub status: u16,
    /// The body (a JSON string when the body was not JSON).
    pub body: Value,
}

/// One recorded exchange.
#[derive(Clone, Debug)]
pub struct Recording {
    /// The file, as found.
    pub path: PathBuf,
    /// Vendor (schema folder name: `fxiaoke`, `useasy`, `u8`).
    pub vendor: String,
    /// Operation name (`operations.json` `name`).
    pub operation: String,
    /// `recordedAt` (RFC 3339), or `""`.
    pub recorded_at: String,
    /// HTTP method.
    pub method: String,
    /// URL (secret query values redacted).
    pub url: String,
    /// Request body; `None` when `null` or absent.
    pub request_body: Option<Value>,
    /// The response, when the call got one.
    pub response: Option<RecordedResponse>,
    /// The error, when the call failed without a response.
    pub error: Option<String>,
}

impl Recording {
    /// The file name, for messages and fixture sources.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }

    /// The path and query of the URL.
    pub fn url_parts(&self) -> (String, Option<String>) {
        split_url(&self.url)
    }

    /// The URL query as name → value pairs, in order (decoded).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        match self.url_parts().1 {
            Some(q) => url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            None => Vec::new(),
        }
    }
}

/// What `load` found in a file.
pub enum Loaded {
    /// A recording.
    Recording(Box<Recording>),
    /// Valid JSON, but not a recording (no `"recording"` key).
    NotARecording,
}

/// Reads one file. Errors (unreadable, not JSON, a malformed recording) name the file.
pub fn load(path: &Path) -> Result<Loaded> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("{shown}: cannot read"))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{shown}:{}:{}: not valid JSON: {e}", e.line(), e.column()))?;
    let Some(version) = doc.get("recording") else {
        return Ok(Loaded::NotARecording);
    };
    if version.as_u64() != Some(1) {
        bail!("{shown}: unsupported recording format {version} (this xtask reads format 1)");
    }
    let s = |v: Option<&Value>, what: &str| -> Result<String> {
        v.and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
            anyhow!("{shown}: malformed recording: `{what}` is missing or not a string")
        })
    };
    let request = doc
        .get("request")
        .filter(|r| r.is_object())
        .ok_or_else(|| anyhow!("{shown}: malformed recording: no `request` object"))?;
    let response = match doc.get("response") {
        None | Some(Value::Null) => None,
        Some(r) => Some(RecordedResponse {
            status: r
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(|| anyhow!("{shown}: malformed recording: `response.status` is missing or not a status code"))?,
            body: r.get("body").cloned().unwrap_or(Value::Null),
        }),
    };
    Ok(Loaded::Recording(Box::new(Recording {
        path: path.to_path_buf(),
        vendor: s(doc.get("vendor"), "vendor")?,
        operation: s(doc.get("operation"), "operation")?,
        recorded_at: doc
            .get("recordedAt")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        method: s(request.get("method"), "request.method")?,
        url: s(request.get("url"), "request.url")?,
        request_body: request.get("body").filter(|b| !b.is_null()).cloned(),
        response,
        error: doc.get("error").and_then(Value::as_str).map(str::to_owned),
    })))
}

/// The `*.json` files named by `args`: files as given, folders walked recursively (sorted).
pub fn collect_files(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for a in args {
        let meta = std::fs::metadata(a).with_context(|| format!("{}: cannot read", a.display()))?;
        if meta.is_dir() {
            walk_dir(a, &mut out)?;
        } else {
            out.push(a.clone());
        }
    }
    Ok(out)
}

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("{}: cannot list", dir.display()))?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk_dir(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// Splits a URL (absolute, or a path) into its path and query; tolerant of the odd URLs the
/// vendor documents show (`http: //host/…`).
pub fn split_url(url: &str) -> (String, Option<String>) {
    let url = url.split('#').next().unwrap_or_default();
    let (before, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q.to_owned())),
        None => (url, None),
    };
    let authority = before.find("//").filter(|&i| before[..i].contains(':'));
    let path = match authority {
        Some(i) => {
            let after = &before[i + 2..];
            after
                .find('/')
                .map(|j| after[j..].to_owned())
                .unwrap_or_else(|| "/".to_owned())
        }
        None => before.to_owned(),
    };
    (path, query)
}

/// Matches `template` (`/openapi/crm/findById/{id}`) against the end of `path`; the captured
/// (percent-decoded) parameters, or `None` when it does not match.
pub fn match_path(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let t: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if p.len() < t.len() {
        return None;
    }
    let tail = &p[p.len() - t.len()..];
    let mut params = Vec::new();
    for (ts, ps) in t.iter().zip(tail) {
        match ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => params.push((name.to_owned(), percent_decode(ps))),
            None if ts == ps => {}
            None => return None,
        }
    }
    Some(params)
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The operation input rebuilt from a recorded request.
#[derive(Clone, Debug, Default)]
pub struct RequestInput {
    /// The input as a JSON value (an object unless the body was something else).
    pub value: Value,
    /// Top-level keys that came from the URL (query or path): their values are strings by
    /// nature.
    pub from_url: BTreeSet<String>,
}

/// Rebuilds the input of `rec`'s operation from its request. `templates` are the operation's
/// path templates; `envelope_keys` the vendor's auth keys to leave out (empty for
/// `"auth": "none"` operations).
pub fn request_input(
    rec: &Recording,
    templates: &[&str],
    envelope: Option<Envelope>,
    envelope_keys: &BTreeSet<String>,
) -> RequestInput {
    let strip = |place: Place, key: &str| {
        envelope.is_some_and(|e| e.place == place) && envelope_keys.contains(key)
    };
    let mut map = Map::new();
    let mut from_url = BTreeSet::new();
    match &rec.request_body {
        Some(Value::Object(body)) => {
            for (k, v) in body {
                if !strip(Place::Body, k) {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
        // A body that is not an object is checked as it is (and will not match an object type).
        Some(other) => {
            return RequestInput {
                value: other.clone(),
                from_url,
            };
        }
        None => {}
    }
    let (path, _) = rec.url_parts();
    if let Some(params) = templates
        .iter()
        .filter(|t| t.contains('{'))
        .find_map(|t| match_path(t, &path))
    {
        for (k, v) in params {
            map.insert(k.clone(), Value::String(v));
            from_url.insert(k);
        }
    }
    for (k, v) in rec.query_pairs() {
        if !strip(Place::Query, &k) {
            map.insert(k.clone(), Value::String(v));
            from_url.insert(k);
        }
    }
    RequestInput {
        value: Value::Object(map),
        from_url,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        assert_eq!(
            split_url("https://h:1/p/openapi/crm/findById/68%205?x=1#f"),
            (
                "/p/openapi/crm/findById/68%205".to_owned(),
                Some("x=1".to_owned())
            )
        );
        assert_eq!(
            split_url("http: //47.99.32.215:8081/openapi/crm/list").0,
            "/openapi/crm/list"
        );
        assert_eq!(split_url("/system/token?a=b").0, "/system/token");
        assert_eq!(
            match_path(
                "/openapi/crm/findById/{id}",
                "/p/openapi/crm/findById/68%205"
            ),
            Some(vec![("id".to_owned(), "68 5".to_owned())])
        );
        assert_eq!(
            match_path("/openapi/crm/{id}", "/openapi/crm/findById/1"),
            None
        );
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%E4%BD%A0"), "你");
    }
}
