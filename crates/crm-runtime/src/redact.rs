//! Removes secrets from what the runtime logs and records.

use serde_json::Value;
use url::Url;

use crate::REDACTED;

/// Knows where a vendor puts its secrets: JSON keys, query parameters, headers.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    json_keys: Vec<&'static str>,
    query_keys: Vec<&'static str>,
    header_names: Vec<&'static str>,
}

impl Redactor {
    /// A redactor for secrets at these JSON keys (at any depth), query parameters and headers
    /// (matched case-insensitively).
    pub fn new(
        json_keys: &[&'static str],
        query_keys: &[&'static str],
        header_names: &[&'static str],
    ) -> Self {
        Self {
            json_keys: json_keys.to_vec(),
            query_keys: query_keys.to_vec(),
            header_names: header_names.to_vec(),
        }
    }

    /// Replaces every secret scalar in `value`, at any depth. A secret key is a plain name
    /// (`corpAccessToken`) or `parent.name` (`token.id`) for a name that is secret only there.
    pub fn redact_json(&self, value: &mut Value) {
        self.redact_in(value, "");
    }

    fn is_secret_key(&self, parent: &str, key: &str) -> bool {
        self.json_keys.iter().any(|s| match s.split_once('.') {
            Some((p, k)) => p.eq_ignore_ascii_case(parent) && k.eq_ignore_ascii_case(key),
            None => s.eq_ignore_ascii_case(key),
        })
    }

    fn redact_in(&self, value: &mut Value, parent: &str) {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if self.is_secret_key(parent, k)
                        && !v.is_object()
                        && !v.is_array()
                        && !v.is_null()
                    {
                        *v = Value::String(REDACTED.into());
                    } else {
                        self.redact_in(v, k);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_in(v, parent)),
            _ => {}
        }
    }

    /// A body as text with its secrets replaced (non-JSON bodies are returned as text).
    pub fn redact_body(&self, body: &[u8]) -> String {
        match serde_json::from_slice::<Value>(body) {
            Ok(mut v) => {
                self.redact_json(&mut v);
                v.to_string()
            }
            Err(_) => String::from_utf8_lossy(body).into_owned(),
        }
    }

    /// Whether a JSON path (`data.token.id`, `items[3].corpAccessToken`) ends at a secret key.
    pub fn is_secret_path(&self, path: &str) -> bool {
        let segments: Vec<&str> = path
            .split('.')
            .map(|s| s.split('[').next().unwrap_or(s))
            .filter(|s| !s.is_empty())
            .collect();
        match segments.as_slice() {
            [] => false,
            [key] => self.is_secret_key("", key),
            [.., parent, key] => self.is_secret_key(parent, key),
        }
    }

    /// The URL with secret query parameters replaced.
    pub fn redact_url(&self, url: &Url) -> String {
        let mut url = url.clone();
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let secret = self.query_keys.iter().any(|s| s.eq_ignore_ascii_case(&k));
                    (
                        k.into_owned(),
                        if secret {
                            REDACTED.to_owned()
                        } else {
                            v.into_owned()
                        },
                    )
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        url.to_string()
    }

    /// Whether a header carries a secret.
    pub fn is_secret_header(&self, name: &str) -> bool {
        self.header_names
            .iter()
            .any(|s| s.eq_ignore_ascii_case(name))
    }

    /// Headers with secret values replaced.
    pub fn redact_headers(&self, headers: &[(String, String)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(k, v)| {
                let v = if self.is_secret_header(k) {
                    REDACTED.to_owned()
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_everywhere() {
        let r = Redactor::new(
            &["corpAccessToken", "appSecret", "token.id"],
            &["app_secret", "token"],
            &["signature"],
        );
        let body = br#"{"corpAccessToken":"SECRET-T0K","data":{"nested":{"appSecret":"s3"}},"keep":"x","token":{"id":"t1d","expiresIn":7200},"id":"kept"}"#;
        let text = r.redact_body(body);
        assert!(
            !text.contains("SECRET-T0K") && !text.contains("s3") && !text.contains("t1d"),
            "{text}"
        );
        assert!(
            text.contains("keep") && text.contains("kept") && text.contains("7200"),
            "{text}"
        );
        let url = Url::parse("https://h/system/token?from_account=a&app_secret=S3CRET&token=T0KEN")
            .unwrap();
        let u = r.redact_url(&url);
        assert!(
            !u.contains("S3CRET") && !u.contains("T0KEN") && u.contains("from_account=a"),
            "{u}"
        );
        assert!(r.is_secret_path("token.id") && r.is_secret_path("a[2].corpAccessToken"));
        assert!(!r.is_secret_path("id") && !r.is_secret_path("data.dataList[0]._id"));
        let h = r.redact_headers(&[
            ("Signature".into(), "sig".into()),
            ("appid".into(), "1".into()),
        ]);
        assert_eq!(h[0].1, REDACTED);
        assert_eq!(h[1].1, "1");
    }
}
