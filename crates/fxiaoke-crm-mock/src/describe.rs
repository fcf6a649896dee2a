//! Objects a test defines, with their fields ([`MockFxiaoke::define_object`]): what `describe`
//! and `object/list` answer for them, and the wire form their records are stored in.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use fxiaoke_crm_mock::{MockFxiaoke, describe};
//!
//! let mock = MockFxiaoke::start().await?;
//! mock.define_object(describe::object("object_visit__c", "拜访", [
//!     describe::field("amount__c", "currency", "金额"),
//!     describe::select_field("level__c", "select_one", "级别", &[("h3mB6wAoj", "重要")]),
//! ]));
//! mock.insert("object_visit__c", serde_json::json!({ "amount__c": 12.5, "level__c": "h3mB6wAoj" })
//!     .as_object().cloned().unwrap_or_default());
//! let client = mock.client()?;
//! let described = client.describe("object_visit__c").await?;
//! let fields = described.data.and_then(|d| d.describe).and_then(|d| d.fields).unwrap_or_default();
//! assert_eq!(fields["level__c"].options.as_ref().map(Vec::len), Some(1));
//! assert!(fields.contains_key("_id"), "every object has the system fields");
//! assert_eq!(mock.records("object_visit__c")[0]["amount__c"], "12.5", "currency is a string");
//! # Ok(()) }
//! ```
//!
//! A defined object's describe is its definition plus the system fields (`_id`, `name`,
//! `owner`, times, `life_status`, …) it does not define itself; unlike objects known only from
//! their records, no field is inferred from records. Records are stored as the API answers
//! them, by each field's type (docs/vendors.md §1.6): `number`/`currency`/`percentile`/`count`
//! numbers as strings, `date`/`date_time`/`time` numeric strings as epoch-ms numbers, a single
//! `employee`/`department` id as a list; other values as given.

use serde_json::{Map, Value, json};

use super::MockFxiaoke;
use super::store::{self, Store};
use fxiaoke_crm::ExtraFields;
use fxiaoke_crm::types::{FieldDescribe, FieldOption, ObjectDescribe};

/// A field of `field_type` (`"text"`, `"currency"`, `"date_time"`, `"employee"`, …) for
/// [`object`].
pub fn field(api_name: &str, field_type: &str, label: &str) -> FieldDescribe {
    FieldDescribe {
        api_name: Some(api_name.to_owned()),
        type_: Some(field_type.parse().unwrap_or_else(|e| match e {})),
        label: Some(label.to_owned()),
        is_required: Some(false),
        ..FieldDescribe::default()
    }
}

/// A select field (`select_one` / `select_many`) with its options as `(value, label)`.
pub fn select_field(
    api_name: &str,
    field_type: &str,
    label: &str,
    options: &[(&str, &str)],
) -> FieldDescribe {
    FieldDescribe {
        options: Some(options.iter().map(|(v, l)| option(v, l)).collect()),
        ..field(api_name, field_type, label)
    }
}

/// One option of a select field.
pub fn option(value: &str, label: &str) -> FieldOption {
    FieldOption {
        label: label.to_owned(),
        value: Value::String(value.to_owned()),
        extra: ExtraFields::new(),
    }
}

/// An object's describe with these fields (keyed by their `api_name`).
pub fn object(
    api_name: &str,
    display_name: &str,
    fields: impl IntoIterator<Item = FieldDescribe>,
) -> ObjectDescribe {
    ObjectDescribe {
        api_name: Some(api_name.to_owned()),
        display_name: Some(display_name.to_owned()),
        fields: Some(
            fields
                .into_iter()
                .map(|f| (f.api_name.clone().unwrap_or_default(), f))
                .collect(),
        ),
        extra: ExtraFields::new(),
    }
}

fn define_type(api_name: &str) -> &'static str {
    if api_name.ends_with("__c") {
        "custom"
    } else {
        "package"
    }
}

impl Store {
    /// Stores a definition (replacing one of the same API name); `None` if it has no API name.
    pub(crate) fn define(&mut self, describe: &ObjectDescribe) -> Option<String> {
        let api = describe.api_name.clone().filter(|a| !a.is_empty())?;
        let mut value = serde_json::to_value(describe).ok()?;
        let fields = value
            .get_mut("fields")
            .and_then(Value::as_object_mut)
            .map(std::mem::take)
            .unwrap_or_default();
        let mut described = Map::new();
        for f in store::SYSTEM_FIELDS {
            if !fields.contains_key(f.api_name) {
                described.insert(
                    f.api_name.to_owned(),
                    super::handlers::field_json(*f, "system"),
                );
            }
        }
        for (name, mut f) in fields {
            if let Value::Object(m) = &mut f {
                m.entry("api_name").or_insert_with(|| json!(name));
                m.entry("define_type")
                    .or_insert_with(|| json!(define_type(&name)));
                m.entry("is_active").or_insert(Value::Bool(true));
                m.entry("is_required").or_insert(Value::Bool(false));
                m.entry("description").or_insert_with(|| json!(""));
            }
            described.insert(name, f);
        }
        if let Value::Object(m) = &mut value {
            m.insert("fields".into(), Value::Object(described));
            m.entry("define_type")
                .or_insert_with(|| json!(define_type(&api)));
            m.entry("is_active").or_insert(Value::Bool(true));
        }
        self.defined.insert(api.clone(), value);
        Some(api)
    }

    /// The describe of a defined object, as the API answers it.
    pub(crate) fn defined(&self, api_name: &str) -> Option<&Value> {
        self.defined.get(api_name)
    }

    /// The display names of the defined objects, by API name.
    pub(crate) fn defined_names(&self) -> impl Iterator<Item = (&str, &str)> {
        self.defined.iter().map(|(api, d)| {
            let display = d.get("display_name").and_then(Value::as_str).unwrap_or(api);
            (api.as_str(), display)
        })
    }

    /// Brings `record` to the wire form: by field type for a defined object, else by the
    /// heuristics of [`store::normalize`].
    pub(crate) fn normalize(&self, api_name: &str, record: &mut Map<String, Value>) {
        let Some(fields) = self
            .defined
            .get(api_name)
            .and_then(|d| d.get("fields"))
            .and_then(Value::as_object)
        else {
            return store::normalize(api_name, record);
        };
        record.retain(|_, v| !v.is_null());
        let mut rest = Map::new();
        for (name, value) in std::mem::take(record) {
            let ty = fields
                .get(&name)
                .filter(|_| !store::SYSTEM_FIELDS.iter().any(|s| s.api_name == name))
                .and_then(|f| f.get("type"))
                .and_then(Value::as_str);
            match ty {
                Some(ty) => {
                    record.insert(name, wire_form(ty, value));
                }
                None => {
                    rest.insert(name, value);
                }
            }
        }
        store::normalize(api_name, &mut rest);
        record.extend(rest);
    }
}

/// A value of a field of type `ty` as the API answers it.
fn wire_form(ty: &str, value: Value) -> Value {
    match (ty, value) {
        ("number" | "currency" | "percentile" | "count", Value::Number(n)) => {
            Value::String(n.to_string())
        }
        ("date" | "date_time" | "time", Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(ms) => Value::from(ms),
            Err(_) => Value::String(s),
        },
        ("employee" | "employee_many" | "department" | "department_many", Value::String(s)) => {
            Value::Array(vec![Value::String(s)])
        }
        (_, v) => v,
    }
}

impl MockFxiaoke {
    /// Defines (or redefines) an object: `describe` answers with these fields, their types,
    /// labels and options, plus the system fields; `object/list` lists it; its records (from
    /// [`insert`](Self::insert) or the API) are stored in the wire form of their field types.
    /// Build one with [`object`], [`field`] and [`select_field`], or take one from
    /// [`describe_of`](Self::describe_of) and change it (add a field, an option). Records
    /// already stored are kept as they are.
    pub fn define_object(&self, describe: ObjectDescribe) {
        self.shared.state().store.define(&describe);
    }

    /// What `describe` answers for a defined object now (`None` for objects that are not
    /// defined: the four preset objects and objects known only from their records).
    pub fn describe_of(&self, api_name: &str) -> Option<ObjectDescribe> {
        let state = self.shared.state();
        let value = state.store.defined(api_name)?;
        serde_json::from_value(value.clone()).ok()
    }
}
