//! Support for the generated type registries (`<vendor>::generated::registry`): decode any
//! schema type by name, for the fixture tests and for `cargo xtask drift`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::DecodeError;

/// A value decoded through its generated type.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The typed value's `Debug` rendering (secrets redacted).
    pub debug: String,
    /// The typed value encoded back to JSON.
    pub reencoded: serde_json::Value,
}

/// Decodes `json` as `T` (errors carry the JSON path) and re-encodes it.
pub fn decode_roundtrip<T: DeserializeOwned + Serialize + std::fmt::Debug>(
    json: &str,
) -> Result<Decoded, DecodeError> {
    let value: T = crate::decode::from_str(json)?;
    let reencoded =
        serde_json::to_value(&value).map_err(|e| DecodeError::new("", e.to_string(), json))?;
    Ok(Decoded {
        debug: format!("{value:#?}"),
        reencoded,
    })
}

/// A record type that knows its vendor object name (fxiaoke `dataObjectApiName`).
pub trait NamedObject {
    /// The vendor's API name of the object, e.g. `PaymentObj`.
    const API_NAME: &'static str;
}
