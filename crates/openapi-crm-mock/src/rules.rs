//! What the mock accepts, written from the vendor document (CRM客户管理接口 §1.2, §6.4) and
//! docs/vendors.md §2, independently of the client's own checks: a client that assumes something
//! the document does not say fails against these rules instead of agreeing with itself.
//!
//! - The signature: `base64(HMAC-SHA256(key = secret, message = appid + timestamp + nonce))`
//!   with standard padded Base64 (docs/vendors.md §2.2).
//! - A customer: `customerName` a string; the contact lists (`mobile`, `email`, `qq`,
//!   `wechat`) lists of `{value, memo}` objects; `assignTime` a China time
//!   `yyyy-MM-dd HH:mm:ss` (or `""`, the document's own empty `createMethod` shows that empty
//!   strings are sent for empty values).
//! - A custom field (a key listed in the field configuration): the field's **type** and its
//!   non-empty options decide. A field with choices (`choices` not empty) takes a choice
//!   **key**, or a list of keys; a field with cascade options (`options.children` not empty)
//!   takes a list of keys, one per level from the top, at least `fillLevel` long, each a child
//!   of the one before; any other field (a text field with the empty cascade template
//!   `{"level":0,"fillLevel":0,"children":[]}` included) takes any value. A value for a deleted
//!   field (status -1) is refused (assumed).

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use openapi_crm::types::{ChildOptionDubbo, CustomerFieldVo};

/// The header names of the signature scheme.
pub(crate) mod headers {
    pub(crate) const APPID: &str = "appid";
    pub(crate) const NONCE: &str = "nonce";
    pub(crate) const TIMESTAMP: &str = "timestamp";
    pub(crate) const SIGNATURE: &str = "signature";
}

/// How far a request's timestamp may be from the server's clock, and how long a nonce may not
/// be reused (the document's 5 minutes).
pub(crate) const REPLAY_WINDOW: std::time::Duration = std::time::Duration::from_secs(300);

/// The signature a request with these values must carry.
pub(crate) fn signature(secret: &str, appid: &str, timestamp: &str, nonce: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        // HMAC takes keys of any length; unreachable, and an empty signature matches nothing.
        return String::new();
    };
    mac.update(appid.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(nonce.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `s` has the shape `yyyy-MM-dd HH:mm:ss` (digits and separators).
pub(crate) fn is_china_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// Checks the built-in fields of a customer the document describes.
pub(crate) fn check_customer(record: &Map<String, Value>) -> Result<(), String> {
    if let Some(name) = record.get("customerName")
        && !name.is_string()
    {
        return Err("customerName必须是字符串 customerName must be a string".into());
    }
    for list in ["mobile", "email", "qq", "wechat"] {
        match record.get(list) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    let ok = item
                        .as_object()
                        .is_some_and(|o| o.get("value").is_none_or(Value::is_string));
                    if !ok {
                        return Err(format!(
                            "{list}的元素必须是{{value, memo}} each {list} entry must be an object {{value, memo}}"
                        ));
                    }
                }
            }
            Some(_) => {
                return Err(format!(
                    "{list}必须是列表 {list} must be a list of {{value, memo}}"
                ));
            }
        }
    }
    for time in ["assignTime"] {
        match record.get(time) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() || is_china_time(s) => {}
            Some(other) => {
                return Err(format!(
                    "{time}格式错误 {time} must be yyyy-MM-dd HH:mm:ss, got {other}"
                ));
            }
        }
    }
    Ok(())
}

/// The field id a record uses for a configured field (`field`, else `param`, else `glFieldId`).
pub(crate) fn field_id(config: &CustomerFieldVo) -> Option<&str> {
    [&config.field, &config.param, &config.gl_field_id]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .find(|s| !s.is_empty())
}

/// Checks the value of one configured custom field.
pub(crate) fn check_custom_value(config: &CustomerFieldVo, value: &Value) -> Result<(), String> {
    let id = field_id(config).unwrap_or("?");
    if value.is_null() {
        return Ok(());
    }
    if config.status == Some(-1) {
        return Err(format!("字段已删除 field {id} is deleted"));
    }
    if let Some(choices) = config.choices.as_ref().filter(|c| !c.is_empty()) {
        let is_key = |v: &Value| {
            v.as_str()
                .is_some_and(|s| choices.iter().any(|c| c.key == s))
        };
        let ok = match value {
            Value::Array(items) => items.iter().all(is_key),
            other => is_key(other),
        };
        if !ok {
            let keys: Vec<&str> = choices.iter().map(|c| c.key.as_str()).collect();
            return Err(format!(
                "字段值无效 field {id}: {value} is not one of its choice keys ({})",
                keys.join(", ")
            ));
        }
        return Ok(());
    }
    let cascade = config
        .options
        .as_ref()
        .filter(|o| o.children.as_ref().is_some_and(|c| !c.is_empty()));
    if let Some(options) = cascade {
        let Some(path) = value.as_array() else {
            return Err(format!(
                "字段值无效 field {id}: a cascade value is a list of keys"
            ));
        };
        let fill = usize::try_from(options.fill_level.unwrap_or(0)).unwrap_or(0);
        if path.len() < fill {
            return Err(format!(
                "字段值无效 field {id}: {fill} levels are required, got {}",
                path.len()
            ));
        }
        let mut level: &[ChildOptionDubbo] = options.children.as_deref().unwrap_or_default();
        for step in path {
            let key = step.as_str().unwrap_or_default();
            let Some(child) = level.iter().find(|c| c.key == key) else {
                return Err(format!(
                    "字段值无效 field {id}: {step} is not an option key at its level"
                ));
            };
            level = child.children.as_deref().unwrap_or_default();
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_signature_matches_the_known_answers() {
        // docs/vendors.md §2.2: 7moor's published inputs and a made-up useasy case.
        assert_eq!(
            signature(
                "HWHp9xFVlbboxIU2S6DHA7sf9sGzt3",
                "2000103",
                "1608119594",
                "123221"
            ),
            "ybCwXrg9CMo39xv1kdfVLemqFmk+2Elz+vXYu1CyHlo="
        );
        assert_eq!(
            signature("test-secret", "1090", "1687792454", "123456"),
            "QGNvl+17HYEWMBy4l759YUpqN10QjmO7sZE95PLt+p8="
        );
    }

    fn config(v: Value) -> CustomerFieldVo {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn custom_values_follow_type_and_options() {
        let text = config(json!({
            "field": "text_1", "type": "text", "status": 1,
            "options": {"level": 0, "fillLevel": 0, "children": []}
        }));
        assert!(
            check_custom_value(&text, &json!("杭州市")).is_ok(),
            "the empty template is no cascade"
        );
        let select = config(json!({
            "field": "select_1", "type": "select", "status": 1,
            "choices": [{"key": "k1", "value": "A级"}]
        }));
        assert!(check_custom_value(&select, &json!("k1")).is_ok());
        assert!(
            check_custom_value(&select, &json!("A级")).is_err(),
            "labels are not keys"
        );
        let cascade = config(json!({
            "field": "cascade_1", "type": "cascade", "status": 1,
            "options": {"level": 2, "fillLevel": 1, "children": [
                {"key": "zj", "value": "浙江", "children": [{"key": "hz", "value": "杭州"}]}
            ]}
        }));
        assert!(check_custom_value(&cascade, &json!(["zj", "hz"])).is_ok());
        assert!(check_custom_value(&cascade, &json!(["zj"])).is_ok());
        assert!(check_custom_value(&cascade, &json!(["hz"])).is_err());
        assert!(check_custom_value(&cascade, &json!([])).is_err());
    }

    #[test]
    fn customers_follow_the_documented_shapes() {
        let ok =
            json!({"customerName": "x", "mobile": [{"value": "1", "memo": "m"}], "assignTime": ""});
        assert!(check_customer(ok.as_object().unwrap()).is_ok());
        let bad = json!({"customerName": "x", "mobile": "13800000000"});
        assert!(check_customer(bad.as_object().unwrap()).is_err());
        let bad = json!({"assignTime": "2024/11/14"});
        assert!(check_customer(bad.as_object().unwrap()).is_err());
    }
}
