//! What changed in a tenant since its schemas were pulled: fields added, removed or retyped,
//! options added or removed.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use super::value_ref;
use crate::bundle::open_enum_values;

/// One kind of change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ChangeKind {
    /// The metadata has a field the schema does not.
    FieldAdded {
        /// Its field type.
        field_type: String,
    },
    /// The schema has a field the metadata no longer lists (deleted, or hidden from the
    /// operator who asked).
    FieldRemoved,
    /// The field's type changed.
    FieldRetyped {
        /// The type in the schema.
        from: String,
        /// The type now.
        to: String,
    },
    /// A select field has a new option.
    OptionAdded {
        /// The option's value.
        value: String,
        /// Its label.
        label: String,
    },
    /// A select field lost an option.
    OptionRemoved {
        /// The option's value.
        value: String,
    },
}

impl ChangeKind {
    /// `field-added`, `field-removed`, `field-retyped`, `option-added`, `option-removed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeKind::FieldAdded { .. } => "field-added",
            ChangeKind::FieldRemoved => "field-removed",
            ChangeKind::FieldRetyped { .. } => "field-retyped",
            ChangeKind::OptionAdded { .. } => "option-added",
            ChangeKind::OptionRemoved { .. } => "option-removed",
        }
    }
}

/// One change of one field of one object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// The object (API name; useasy: `customer`).
    pub object: String,
    /// The field (API name or id).
    pub field: String,
    /// What changed.
    pub kind: ChangeKind,
    /// The field's label (now, or in the schema when removed).
    pub label: String,
}

impl Change {
    /// What changed, in words.
    pub fn detail(&self) -> String {
        match &self.kind {
            ChangeKind::FieldAdded { field_type } => format!("new field ({field_type})"),
            ChangeKind::FieldRemoved => {
                "no longer listed (deleted, or hidden from this operator)".to_owned()
            }
            ChangeKind::FieldRetyped { from, to } => format!("type {from} → {to}"),
            ChangeKind::OptionAdded { value, label } => format!("new option {value:?} {label}"),
            ChangeKind::OptionRemoved { value } => format!("option {value:?} no longer listed"),
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} ({}): {}",
            self.object,
            self.field,
            self.kind.as_str(),
            self.label,
            self.detail()
        )
    }
}

/// What one field of a schema file says: its type, label and options.
struct Field {
    ty: String,
    label: String,
    options: Vec<(String, String)>,
}

fn fields(doc: &Value, object: &str) -> BTreeMap<String, Field> {
    let defs = doc.get("$defs").and_then(Value::as_object);
    let props = defs
        .and_then(|d| d.get(object))
        .and_then(|o| o.get("properties"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    props
        .iter()
        .map(|(name, p)| {
            let ty = p
                .get("x-crm-field-type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let label = p
                .get("x-crm-label")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let options = value_ref(p)
                .and_then(|t| defs?.get(t))
                .map(|e| {
                    let labels: Map<String, Value> = e
                        .get("x-crm-option-labels")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    open_enum_values(e)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(|v| {
                            let l = labels.get(v).and_then(Value::as_str).unwrap_or_default();
                            (v.to_owned(), l.to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            (name.clone(), Field { ty, label, options })
        })
        .collect()
}

/// The changes from the schema file `old` to the schema `fresh` made from the metadata now, for
/// object `object` (the definition of that name in both).
pub fn diff(object: &str, old: &Value, fresh: &Value) -> Vec<Change> {
    let before = fields(old, object);
    let after = fields(fresh, object);
    let mut changes = Vec::new();
    let change = |field: &str, kind: ChangeKind, label: &str| Change {
        object: object.to_owned(),
        field: field.to_owned(),
        kind,
        label: label.to_owned(),
    };
    for (name, now) in &after {
        let Some(was) = before.get(name) else {
            changes.push(change(
                name,
                ChangeKind::FieldAdded {
                    field_type: now.ty.clone(),
                },
                &now.label,
            ));
            continue;
        };
        if was.ty != now.ty {
            changes.push(change(
                name,
                ChangeKind::FieldRetyped {
                    from: was.ty.clone(),
                    to: now.ty.clone(),
                },
                &now.label,
            ));
        }
        for (value, label) in &now.options {
            if !was.options.iter().any(|(v, _)| v == value) {
                changes.push(change(
                    name,
                    ChangeKind::OptionAdded {
                        value: value.clone(),
                        label: label.clone(),
                    },
                    &now.label,
                ));
            }
        }
        for (value, _) in &was.options {
            if !now.options.iter().any(|(v, _)| v == value) {
                changes.push(change(
                    name,
                    ChangeKind::OptionRemoved {
                        value: value.clone(),
                    },
                    &now.label,
                ));
            }
        }
    }
    for (name, was) in &before {
        if !after.contains_key(name) {
            changes.push(change(name, ChangeKind::FieldRemoved, &was.label));
        }
    }
    changes.sort();
    changes
}
