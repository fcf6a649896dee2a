//! Turning a typed operation input into a path, query string or JSON body.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Error;

/// The input of an operation as a JSON object (inputs are always objects).
pub fn to_object<T: Serialize>(
    operation: &'static str,
    input: &T,
) -> Result<Map<String, Value>, Error> {
    match serde_json::to_value(input) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(Error::Encode {
            operation: operation.to_owned(),
            message: format!("the input must encode as a JSON object, not {other}"),
        }),
        Err(e) => Err(Error::Encode {
            operation: operation.to_owned(),
            message: e.to_string(),
        }),
    }
}

/// Fills `{name}` segments of `template` from (and removes them out of) `fields`.
/// A missing or empty field is a configuration error naming it.
pub fn fill_path(
    operation: &'static str,
    template: &str,
    fields: &mut Map<String, Value>,
) -> Result<String, Error> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..start + len];
        let value = match fields.remove(name) {
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "{operation}: the path parameter `{name}` is missing or empty"
                )));
            }
        };
        out.push_str(&encode_segment(&value));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The fields of an input object as query parameters: strings as they are, numbers and
/// booleans as text, `null` skipped. Nested values are a configuration error.
pub fn query_pairs(
    operation: &'static str,
    fields: &Map<String, Value>,
) -> Result<Vec<(String, String)>, Error> {
    let mut pairs = Vec::with_capacity(fields.len());
    for (k, v) in fields {
        let v = match v {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "{operation}: query parameter `{k}` must be a scalar"
                )));
            }
        };
        pairs.push((k.clone(), v));
    }
    Ok(pairs)
}

/// Joins a path onto a base URL whose own path is kept (`https://h/prefix/` + `/api/x`).
pub fn join_url(operation: &'static str, base: &url::Url, path: &str) -> Result<url::Url, Error> {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url.set_query(None);
    if url.cannot_be_a_base() {
        return Err(Error::Config(format!(
            "{operation}: base URL {base} cannot take a path"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_and_query() {
        let mut m = json!({"id": "68 5", "limit": 5, "x": null})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(
            fill_path("op", "/openapi/crm/findById/{id}", &mut m).unwrap(),
            "/openapi/crm/findById/68%205"
        );
        assert_eq!(
            query_pairs("op", &m).unwrap(),
            vec![("limit".into(), "5".into())]
        );
        assert!(fill_path("op", "/a/{missing}", &mut m).is_err());
        let base = url::Url::parse("http://127.0.0.1:8/prefix/").unwrap();
        assert_eq!(
            join_url("op", &base, "/api/x").unwrap().as_str(),
            "http://127.0.0.1:8/prefix/api/x"
        );
    }
}
