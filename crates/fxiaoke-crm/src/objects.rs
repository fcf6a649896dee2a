//! Typed object operations: records that know their API name (`PaymentObj`, ...) and the
//! generic [`ObjectData`] for any other object, custom `__c` objects included.

use std::collections::BTreeMap;

use crm_runtime::NamedObject;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::generated::types::{
    ChangeOwnerArg, ChangeOwnerData, CreateArg, CreateData, DescribeArg, DescribeResult,
    DetailsMap, GetArg, GetData, IdListArg, IdListData, InvalidArg, InvalidData, ObjectData,
    ObjectListArg, ObjectSummary, OwnerChange, UpdateArg, UpdateData,
};
use crate::{Client, Error, ExtraFields, Result};

/// Top-level write flags. Unset flags are not sent, so the vendor's defaults apply (workflow
/// and approval flow **are triggered by default**).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteOptions {
    /// `triggerWorkFlow` (vendor default true; most preset objects run their workflow anyway).
    pub trigger_work_flow: Option<bool>,
    /// `triggerApprovalFlow` (vendor default true).
    pub trigger_approval_flow: Option<bool>,
    /// `hasSpecifyTime`: honour a given `create_time` (create only).
    pub has_specify_time: Option<bool>,
    /// `hasSpecifyCreatedBy`: honour a given `created_by` (create only).
    pub has_specify_created_by: Option<bool>,
    /// `includeDetailIds`: return the ids of created details (create only).
    pub include_detail_ids: Option<bool>,
    /// `skipDataStatusValidate`: allow editing locked records (custom objects, update only).
    pub skip_data_status_validate: Option<bool>,
    /// Send the record's `version` with an update. The vendor document does not say whether
    /// `version` is checked (optimistic locking) or ignored, so it is not sent unless asked:
    /// with it, a vendor that checks it refuses an update of a record changed meanwhile.
    pub send_version: bool,
}

impl WriteOptions {
    /// Neither workflow nor approval flow (typical for data migration).
    pub fn without_flows() -> Self {
        Self {
            trigger_work_flow: Some(false),
            trigger_approval_flow: Some(false),
            ..Self::default()
        }
    }

    /// `triggerWorkFlow`.
    pub fn with_trigger_work_flow(mut self, on: bool) -> Self {
        self.trigger_work_flow = Some(on);
        self
    }

    /// `triggerApprovalFlow`.
    pub fn with_trigger_approval_flow(mut self, on: bool) -> Self {
        self.trigger_approval_flow = Some(on);
        self
    }

    /// `hasSpecifyTime` (create only).
    pub fn with_has_specify_time(mut self, on: bool) -> Self {
        self.has_specify_time = Some(on);
        self
    }

    /// `hasSpecifyCreatedBy` (create only).
    pub fn with_has_specify_created_by(mut self, on: bool) -> Self {
        self.has_specify_created_by = Some(on);
        self
    }

    /// `includeDetailIds` (create only).
    pub fn with_include_detail_ids(mut self, on: bool) -> Self {
        self.include_detail_ids = Some(on);
        self
    }

    /// `skipDataStatusValidate` (custom objects, update only).
    pub fn with_skip_data_status_validate(mut self, on: bool) -> Self {
        self.skip_data_status_validate = Some(on);
        self
    }

    /// Send the record's `version` with an update (see [`WriteOptions::send_version`]).
    pub fn with_send_version(mut self, send: bool) -> Self {
        self.send_version = send;
        self
    }
}

/// Detail records of a master record (`details`), keyed by the detail object's API name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Details(BTreeMap<String, Vec<ObjectData>>);

impl Details {
    /// No details.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a typed detail record (`OrderPaymentObj`, ...).
    pub fn with_record<T: NamedObject + Serialize>(mut self, record: &T) -> Result<Self> {
        let data = to_object_data(T::API_NAME, record)?;
        self.0.entry(T::API_NAME.to_owned()).or_default().push(data);
        Ok(self)
    }

    /// Adds a generic detail record of any API name.
    pub fn with_object(mut self, api_name: &str, mut record: ObjectData) -> Self {
        record
            .object_describe_api_name
            .get_or_insert_with(|| api_name.to_owned());
        self.0.entry(api_name.to_owned()).or_default().push(record);
        self
    }

    fn into_map(self) -> Option<DetailsMap> {
        (!self.0.is_empty()).then(|| DetailsMap(self.0.into_iter().collect()))
    }
}

/// Converts any record to the generic form with its API name set.
pub fn to_object_data<T: Serialize>(api_name: &str, record: &T) -> Result<ObjectData> {
    let mut value = serde_json::to_value(record).map_err(|e| Error::Encode {
        operation: api_name.to_owned(),
        message: e.to_string(),
    })?;
    if let Value::Object(map) = &mut value {
        map.entry("dataObjectApiName")
            .or_insert_with(|| api_name.into());
    }
    crm_runtime::decode::from_value(&value).map_err(|e| Error::Encode {
        operation: api_name.to_owned(),
        message: format!("not an object record: {e}"),
    })
}

/// Converts a generic record into a typed one.
pub fn from_object_data<T: DeserializeOwned>(record: &ObjectData) -> Result<T> {
    let value = serde_json::to_value(record).map_err(|e| Error::Encode {
        operation: "get_data".to_owned(),
        message: e.to_string(),
    })?;
    crm_runtime::decode::from_value(&value).map_err(|source| Error::Decode {
        operation: "get_data",
        source,
    })
}

impl Client {
    /// Creates a typed record (its API name comes from its type); returns the new `_id`, or
    /// `None` when the vendor's answer has no `dataId` (documented for custom `__c` objects:
    /// the record was created, look it up by a field of yours).
    pub async fn create<T: NamedObject + Serialize>(&self, record: &T) -> Result<Option<String>> {
        self.create_with_details(record, Details::new(), &WriteOptions::default())
            .await
    }

    /// Creates a typed record with detail records and write flags; returns the new `_id`
    /// (`None`: see [`Client::create`]).
    pub async fn create_with_details<T: NamedObject + Serialize>(
        &self,
        record: &T,
        details: Details,
        options: &WriteOptions,
    ) -> Result<Option<String>> {
        self.create_object(
            T::API_NAME,
            to_object_data(T::API_NAME, record)?,
            details,
            options,
        )
        .await
    }

    /// Creates a record of any object (custom `__c` objects use the custom path by themselves);
    /// returns the new `_id`, or `None` when the answer has no `dataId` (the custom-object API
    /// is documented to answer without it).
    pub async fn create_object(
        &self,
        api_name: &str,
        mut record: ObjectData,
        details: Details,
        options: &WriteOptions,
    ) -> Result<Option<String>> {
        record.data_object_api_name = Some(api_name.to_owned());
        let arg = CreateArg {
            data: CreateData {
                object_data: record,
                details: details.into_map(),
                fill_out_owner: None,
                need_convert_lookup: None,
                extra: ExtraFields::new(),
            },
            trigger_work_flow: options.trigger_work_flow,
            trigger_approval_flow: options.trigger_approval_flow,
            has_specify_time: options.has_specify_time,
            has_specify_created_by: options.has_specify_created_by,
            include_detail_ids: options.include_detail_ids,
            extra: ExtraFields::new(),
        };
        Ok(self
            .create_data(&arg)
            .await?
            .data_id
            .filter(|id| !id.is_empty()))
    }

    /// Reads a typed record by `_id`.
    pub async fn get<T: NamedObject + DeserializeOwned>(&self, id: &str) -> Result<T> {
        from_object_data(&self.get_object(T::API_NAME, id).await?)
    }

    /// Reads a record of any object by `_id`.
    pub async fn get_object(&self, api_name: &str, id: &str) -> Result<ObjectData> {
        let arg = GetArg {
            data: GetData {
                data_object_api_name: api_name.to_owned(),
                object_data_id: id.to_owned(),
                extra: ExtraFields::new(),
            },
            include_null: None,
            extra: ExtraFields::new(),
        };
        self.get_data(&arg)
            .await?
            .data
            .ok_or_else(|| Error::Decode {
                operation: "get_data",
                source: crm_runtime::DecodeError::new("data", "missing record", ""),
            })
    }

    /// Updates a typed record; it must carry its `_id`. Fields left `None` are not sent, so
    /// they keep their values; the fields the server owns ([`READ_ONLY_FIELDS`]: `owner`,
    /// `life_status`, times, `version` unless [`WriteOptions::send_version`], ...) and the
    /// companion fields (`__r`, `__l`, `__o`, ...) are never sent. To send only what you changed
    /// in a record you read, use [`Client::update_changes`]. `owner` changes through
    /// [`Client::change_owner`].
    pub async fn update<T: NamedObject + Serialize>(
        &self,
        record: &T,
        options: &WriteOptions,
    ) -> Result<()> {
        self.update_object(
            T::API_NAME,
            to_object_data(T::API_NAME, record)?,
            Details::new(),
            options,
        )
        .await
    }

    /// Updates a record with only the fields that differ between `original` (as read, e.g. by
    /// [`Client::get`]) and `changed`: a field set to `None` in `changed` is sent as `null`
    /// (cleared), read-only and companion fields never. Nothing to send is no call at all.
    ///
    /// ```no_run
    /// # async fn demo(client: fxiaoke_crm::Client, id: &str) -> fxiaoke_crm::Result<()> {
    /// use fxiaoke_crm::{WriteOptions, types::PaymentObj};
    /// let original: PaymentObj = client.get(id).await?;
    /// let mut changed = original.clone();
    /// changed.remark = Some("尾款".into());
    /// client.update_changes(&original, &changed, &WriteOptions::default()).await?; // sends `remark`
    /// # Ok(()) }
    /// ```
    pub async fn update_changes<T: NamedObject + Serialize>(
        &self,
        original: &T,
        changed: &T,
        options: &WriteOptions,
    ) -> Result<()> {
        let encode = |record: &T| match serde_json::to_value(record) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(Error::Encode {
                operation: format!("update of {}", T::API_NAME),
                message: "the record does not encode as a JSON object".to_owned(),
            }),
            Err(e) => Err(Error::Encode {
                operation: format!("update of {}", T::API_NAME),
                message: e.to_string(),
            }),
        };
        let (before, after) = (encode(original)?, encode(changed)?);
        let id = after
            .get("_id")
            .or_else(|| before.get("_id"))
            .cloned()
            .unwrap_or(Value::Null);
        let mut diff = Map::new();
        for (key, value) in &after {
            if before.get(key) != Some(value) {
                diff.insert(key.clone(), value.clone());
            }
        }
        for key in before.keys() {
            if !after.contains_key(key) {
                diff.insert(key.clone(), Value::Null);
            }
        }
        if options.send_version
            && let Some(version) = before.get("version")
        {
            diff.insert("version".into(), version.clone());
        }
        diff.retain(|key, _| is_writable(key, options));
        if diff.is_empty() {
            return Ok(());
        }
        diff.insert("_id".into(), id);
        let record: ObjectData =
            crm_runtime::decode::from_value(&Value::Object(diff)).map_err(|e| Error::Encode {
                operation: format!("update of {}", T::API_NAME),
                message: e.to_string(),
            })?;
        self.update_object(T::API_NAME, record, Details::new(), options)
            .await
    }

    /// Updates a record of any object; it must carry its `_id`.
    pub async fn update_object(
        &self,
        api_name: &str,
        mut record: ObjectData,
        details: Details,
        options: &WriteOptions,
    ) -> Result<()> {
        if record.id.as_deref().is_none_or(str::is_empty) {
            return Err(Error::InvalidArgument(format!(
                "update of {api_name}: the record has no _id"
            )));
        }
        record.data_object_api_name = Some(api_name.to_owned());
        strip_read_only(&mut record, options);
        let arg = UpdateArg {
            data: UpdateData {
                object_data: record,
                details: details.into_map(),
                skip_data_status_validate: options.skip_data_status_validate,
                extra: ExtraFields::new(),
            },
            trigger_work_flow: options.trigger_work_flow,
            trigger_approval_flow: options.trigger_approval_flow,
            extra: ExtraFields::new(),
        };
        self.update_data(&arg).await.map(drop)
    }

    /// Voids (作废) a record: the first step of deleting it; [`Client::recover`] undoes it.
    pub async fn invalid(&self, api_name: &str, id: &str) -> Result<()> {
        let arg = InvalidArg {
            data: InvalidData {
                data_object_api_name: api_name.to_owned(),
                object_data_id: id.to_owned(),
                extra: ExtraFields::new(),
            },
            extra: ExtraFields::new(),
        };
        self.invalid_data(&arg).await.map(drop)
    }

    /// Deletes records the documented way: void each, then delete them ("删除之前请先作废数据").
    ///
    /// A void that fails part-way is an [`Error::Partial`] naming the records voided so far
    /// (`done`: voided, not deleted; [`Client::recover`] restores them) and those not touched;
    /// nothing is deleted then.
    pub async fn delete(&self, api_name: &str, ids: &[&str]) -> Result<()> {
        for (i, id) in ids.iter().enumerate() {
            if let Err(e) = self.invalid(api_name, id).await {
                let owned = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect();
                return Err(Error::Partial {
                    operation: "invalid_data",
                    done: owned(ids.get(..i).unwrap_or_default()),
                    not_done: owned(ids.get(i..).unwrap_or_default()),
                    source: Box::new(e),
                });
            }
        }
        self.delete_invalid(api_name, ids).await
    }

    /// Deletes records that are already voided.
    pub async fn delete_invalid(&self, api_name: &str, ids: &[&str]) -> Result<()> {
        self.delete_data(&id_list(api_name, ids)).await.map(drop)
    }

    /// Restores voided records.
    pub async fn recover(&self, api_name: &str, ids: &[&str]) -> Result<()> {
        self.recover_data(&id_list(api_name, ids)).await.map(drop)
    }

    /// Changes the owner of a record (`ownerId` is a list, even for one owner). The owners are
    /// employee ids in the style of the configured flow (`FSUID_…` in the legacy flow and with
    /// `convert_user_id`, numeric in the OAuth2 flow otherwise); an id of the other style is an
    /// [`Error::Config`](crate::Error::Config) before anything is sent.
    pub async fn change_owner(&self, api_name: &str, id: &str, owners: &[&str]) -> Result<()> {
        self.config().check_user_ids("change_owner", owners)?;
        let arg = ChangeOwnerArg {
            data: ChangeOwnerData {
                data_object_api_name: api_name.to_owned(),
                data: vec![OwnerChange {
                    object_data_id: id.to_owned(),
                    owner_id: owners.iter().map(|s| (*s).to_owned()).collect(),
                }],
                extra: ExtraFields::new(),
            },
            extra: ExtraFields::new(),
        };
        self.change_owner_data(&arg).await.map(drop)
    }

    /// The objects of the tenant (`/cgi/crm/v2/object/list`).
    pub async fn objects(&self) -> Result<Vec<ObjectSummary>> {
        let result = self.list_objects(&ObjectListArg(Map::new())).await?;
        Ok(result.data.and_then(|d| d.objects).unwrap_or_default())
    }

    /// The description of an object: its fields, types and options.
    pub async fn describe(&self, api_name: &str) -> Result<DescribeResult> {
        let arg = DescribeArg {
            api_name: api_name.to_owned(),
            include_detail: None,
            extra: ExtraFields::new(),
        };
        self.describe_object(&arg).await
    }
}

/// Fields the server owns: an update never sends them (the server ignores or refuses them;
/// `owner` changes through `changeOwner`). `version` is sent only with
/// [`WriteOptions::send_version`].
pub const READ_ONLY_FIELDS: &[&str] = &[
    "owner",
    "owner_department",
    "created_by",
    "create_time",
    "last_modified_by",
    "last_modified_time",
    "life_status",
    "lock_status",
    "is_deleted",
    "object_describe_id",
    "object_describe_api_name",
    "version",
    "searchAfterId",
    "total_num",
];

/// Suffixes of the read-only companion fields (docs/vendors.md §1.6): labels, lookups' names,
/// "other" texts, ...
const COMPANION_SUFFIXES: &[&str] = &["__r", "__l", "__o", "__v", "__p", "__e", "__relation_ids"];

/// Whether an update may send `field`.
fn is_writable(field: &str, options: &WriteOptions) -> bool {
    if field == "version" {
        return options.send_version;
    }
    !READ_ONLY_FIELDS.contains(&field) && !COMPANION_SUFFIXES.iter().any(|s| field.ends_with(s))
}

/// Removes what an update must not send from `record` (see [`Client::update`]).
fn strip_read_only(record: &mut ObjectData, options: &WriteOptions) {
    record.owner = None;
    record.created_by = None;
    record.create_time = None;
    record.last_modified_by = None;
    record.last_modified_time = None;
    record.life_status = None;
    record.lock_status = None;
    record.is_deleted = None;
    record.object_describe_id = None;
    record.object_describe_api_name = None;
    record.owner_department = None;
    if !options.send_version {
        record.version = None;
    }
    record.extra.retain(|key, _| is_writable(key, options));
}

fn id_list(api_name: &str, ids: &[&str]) -> IdListArg {
    IdListArg {
        data: IdListData {
            data_object_api_name: api_name.to_owned(),
            id_list: ids.iter().map(|s| (*s).to_owned()).collect(),
            extra: ExtraFields::new(),
        },
        extra: ExtraFields::new(),
    }
}
