//! U8's error envelope `{errcode, errmsg}` and how its codes are classified.

use serde::Deserialize;

use crate::Error;
use crm_runtime::decode::WireCode;
use crm_runtime::{ApiError, ApiErrorKind, Transport};

/// The vendor name used in errors, spans and recordings.
pub const VENDOR: &str = "u8";

/// Result of every call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The `errcode` U8 answers for a query that matches nothing (`未检索到匹配的[交易单位]。`, seen
/// from a real tenant on another resource, docs/vendors.md §3b) instead of an empty list.
pub const NO_MATCH: &str = "20002";

/// The fields every U8 response may carry. `errcode` is a string (`"0"` = success) or a number.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: Option<WireCode>,
    #[serde(default)]
    errmsg: Option<String>,
}

/// The envelope of `body` and whether it has the key `resource`, without building the
/// resource's value (a page of records).
fn read_envelope(body: &[u8], resource: &str) -> serde_json::Result<(Envelope, bool)> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

    struct Read<'r>(&'r str);

    impl<'de> Visitor<'de> for Read<'_> {
        type Value = (Envelope, bool);

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut envelope = Envelope {
                errcode: None,
                errmsg: None,
            };
            let mut has_resource = false;
            while let Some(key) = map.next_key::<crm_runtime::decode::MapKey<'de>>()? {
                match &*key.0 {
                    "errcode" => envelope.errcode = map.next_value()?,
                    "errmsg" => envelope.errmsg = map.next_value()?,
                    k => {
                        has_resource |= k == self.0;
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok((envelope, has_resource))
        }
    }

    impl<'de> DeserializeSeed<'de> for Read<'_> {
        type Value = (Envelope, bool);

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    let mut de = serde_json::Deserializer::from_slice(body);
    let read = Read(resource).deserialize(&mut de)?;
    de.end()?;
    Ok(read)
}

/// What a 2xx body says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Data to decode.
    Data,
    /// No match (`errcode` [`NO_MATCH`] on a read): an empty result, not an error.
    NoMatch,
}

/// Reads the envelope of a 2xx `body` whose data sits under `resource` (`customercontacts`,
/// `token`). The official SDK treats a missing or empty `errcode` as success; a body with
/// neither `errcode` nor `resource` is not a U8 answer at all (a gateway's
/// `{"code":503,"message":"upstream busy"}`) and is an [`Error::Protocol`], retried and never
/// read as an empty page. For a read (`no_match_is_empty`), [`NO_MATCH`] is an empty result
/// unless its message is about the token.
pub(crate) fn check(
    transport: &Transport,
    operation: &'static str,
    body: &[u8],
    resource: &str,
    no_match_is_empty: bool,
) -> Result<Answer> {
    let Ok((envelope, has_resource)) = read_envelope(body, resource) else {
        return Err(transport.protocol_error(operation, "not a JSON object with a code", body));
    };
    let code = match envelope.errcode {
        None if has_resource => return Ok(Answer::Data),
        None => {
            return Err(transport.protocol_error(
                operation,
                format!("neither errcode nor {resource}"),
                body,
            ));
        }
        Some(WireCode(code)) => code,
    };
    if code.is_empty() || code == "0" {
        return Ok(Answer::Data);
    }
    // Not retryable: U8 publishes no error-code table; no code is known to be transient.
    let api = ApiError::new(VENDOR, operation, code, envelope.errmsg.unwrap_or_default());
    let kind = kind_of(&api);
    let api = api.with_kind(kind);
    if no_match_is_empty && api.code == NO_MATCH && !is_token_error(&api) {
        return Ok(Answer::NoMatch);
    }
    Err(Error::Api(api))
}

/// What a code means. U8 publishes no code table: a failed token call, a message about the
/// token, the app key or secret or the authorization, and the documented `30021` (此应用未上线,
/// the application is not online) are auth errors.
pub fn kind_of(api: &ApiError) -> ApiErrorKind {
    let message = api.message.to_lowercase();
    let about_auth = ["app_key", "app_secret", "授权"]
        .iter()
        .any(|w| message.contains(w));
    if api.operation == "get_token" || is_token_error(api) || about_auth || api.code == "30021" {
        ApiErrorKind::Auth
    } else {
        ApiErrorKind::Other
    }
}

/// Whether a vendor error says the token is missing, invalid or expired. U8 publishes no code
/// for this (docs/vendors.md §3.5), so the message decides: it mentions the token (`token`, `令牌`).
/// The client then fetches a new token and repeats the call once.
pub(crate) fn is_token_error(api: &ApiError) -> bool {
    let m = api.message.to_lowercase();
    m.contains("token") || m.contains("令牌")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[rustfmt::skip] // a table: one case a line
    fn auth_is_read_from_the_operation_the_code_and_the_message() {
        use ApiErrorKind::*;
        const GET: &str = "get_contact";
        const LIST: &str = "batch_get_contacts";
        // (operation, code, message, a token rejection, kind)
        for (operation, code, message, token, kind) in [
            // Any failure of the token call.
            ("get_token", "99999", "系统繁忙", false, Auth),
            // The token named, in English or Chinese: a token rejection, refreshed once.
            (GET, "40005", "Token expired", true, Auth),
            (LIST, "1", "令牌已失效", true, Auth),
            // The app key, secret or authorization named; the documented 30021.
            (GET, "1", "invalid APP_KEY", false, Auth),
            (GET, "1", "app_secret错误", false, Auth),
            (GET, "1", "未授权", false, Auth),
            (GET, "30021", "此应用未上线", false, Auth),
            // Anything else.
            (GET, "40005", "客户联系人不存在", false, Other),
            (LIST, "20002", "没有符合条件的数据", false, Other),
        ] {
            let error = ApiError::new(VENDOR, operation, code, message);
            assert_eq!(is_token_error(&error), token, "{error:?}");
            assert_eq!(kind_of(&error), kind, "{error:?}");
        }
    }
}
