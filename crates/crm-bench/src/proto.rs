//! The previous catch-all, **not used by the SDK**: the hand-written single-pass `Deserialize`
//! that codegen emitted for records before their unknown fields were kept as raw JSON text,
//! kept in the decode benchmark (`typed_value_map`) to show what keeping each unknown field as a
//! `serde_json::Value` costs. [`ObjectData`] has exactly the fields and field types of the
//! generated `fxiaoke_crm::types::ObjectData`, with `extra` a `serde_json::Map`; its visitor
//! matches the known keys and inserts every other key straight into `extra`, instead of serde's
//! derived `flatten`, which first buffers every unknown key and value as `Content`
//! (docs/typify.md §7, serde #2363). The envelope types are derived like the generated ones.

use std::borrow::Cow;
use std::fmt;

use crm_runtime::{EpochMillis, LenientInt, OpenEnum};
use fxiaoke_crm::types::{LifeStatusKnown, LockStatusKnown};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// `QueryResult` with the prototype records.
#[derive(Debug, Deserialize)]
pub struct QueryResult {
    /// `data`.
    #[serde(default)]
    pub data: Option<QueryResultData>,
    /// `errorCode`.
    #[serde(rename = "errorCode")]
    pub error_code: LenientInt,
    /// `errorDescription`.
    #[serde(rename = "errorDescription", default)]
    pub error_description: Option<String>,
    /// `errorMessage`.
    #[serde(rename = "errorMessage")]
    pub error_message: String,
    /// `traceId`.
    #[serde(rename = "traceId", default)]
    pub trace_id: Option<String>,
    /// Unknown keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `QueryResultData` with the prototype records.
#[derive(Debug, Deserialize)]
pub struct QueryResultData {
    /// `dataList`.
    #[serde(rename = "dataList", default)]
    pub data_list: Option<Vec<ObjectData>>,
    /// `limit`.
    #[serde(default)]
    pub limit: Option<i64>,
    /// `offset`.
    #[serde(default)]
    pub offset: Option<i64>,
    /// `total`.
    #[serde(default)]
    pub total: Option<i64>,
    /// Unknown keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The fields of the generated `ObjectData`, with a hand-written `Deserialize`.
#[derive(Debug, Default)]
#[allow(missing_docs)]
pub struct ObjectData {
    pub create_time: Option<EpochMillis>,
    pub created_by: Option<Vec<String>>,
    pub data_object_api_name: Option<String>,
    pub id: Option<String>,
    pub is_deleted: Option<bool>,
    pub last_modified_by: Option<Vec<String>>,
    pub last_modified_time: Option<EpochMillis>,
    pub life_status: Option<OpenEnum<LifeStatusKnown>>,
    pub lock_status: Option<OpenEnum<LockStatusKnown>>,
    pub name: Option<String>,
    pub object_describe_api_name: Option<String>,
    pub object_describe_id: Option<String>,
    pub owner: Option<Vec<String>>,
    pub owner_department: Option<String>,
    pub record_type: Option<String>,
    pub version: Option<LenientInt>,
    pub extra: Map<String, Value>,
}

/// A map key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for ObjectData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RecordVisitor;
        impl<'de> Visitor<'de> for RecordVisitor {
            type Value = ObjectData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object record")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectData, A::Error> {
                let mut r = ObjectData::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "create_time" => r.create_time = map.next_value()?,
                        "created_by" => r.created_by = map.next_value()?,
                        "dataObjectApiName" => r.data_object_api_name = map.next_value()?,
                        "_id" => r.id = map.next_value()?,
                        "is_deleted" => r.is_deleted = map.next_value()?,
                        "last_modified_by" => r.last_modified_by = map.next_value()?,
                        "last_modified_time" => r.last_modified_time = map.next_value()?,
                        "life_status" => r.life_status = map.next_value()?,
                        "lock_status" => r.lock_status = map.next_value()?,
                        "name" => r.name = map.next_value()?,
                        "object_describe_api_name" => {
                            r.object_describe_api_name = map.next_value()?;
                        }
                        "object_describe_id" => r.object_describe_id = map.next_value()?,
                        "owner" => r.owner = map.next_value()?,
                        "owner_department" => r.owner_department = map.next_value()?,
                        "record_type" => r.record_type = map.next_value()?,
                        "version" => r.version = map.next_value()?,
                        _ => {
                            let value: Value = map.next_value()?;
                            r.extra.insert(key.into_owned(), value);
                        }
                    }
                }
                Ok(r)
            }
        }
        deserializer.deserialize_map(RecordVisitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::payloads;

    /// Same records, same fields, same unknown fields (parsed) as the generated type.
    #[test]
    fn decodes_like_the_generated_type() {
        let bytes = payloads::fxiaoke_query_page(0, 20, 20);
        let ours: QueryResult = serde_json::from_slice(&bytes).unwrap();
        let generated: fxiaoke_crm::types::QueryResult = serde_json::from_slice(&bytes).unwrap();
        let ours = ours.data.unwrap().data_list.unwrap();
        let generated = generated.data.unwrap().data_list.unwrap();
        assert_eq!(ours.len(), generated.len());
        for (a, b) in ours.iter().zip(&generated) {
            assert_eq!(a.extra, b.extra.to_map());
            assert_eq!(a.id, b.id);
            assert_eq!(a.owner, b.owner);
            assert_eq!(a.create_time, b.create_time);
            assert_eq!(a.version, b.version);
            assert_eq!(a.life_status, b.life_status);
            assert_eq!(a.lock_status, b.lock_status);
            assert_eq!(a.name, b.name);
        }
    }
}
