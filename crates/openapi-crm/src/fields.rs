//! Custom fields by display name (crate root, § Custom fields).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crm_runtime::ChinaDateTime;
use serde_json::{Map, Value};

use crate::generated::types::{
    CascadeOptionsDubbo, ChildOptionDubbo, Customer, CustomerFieldVo, FieldConfigListArg,
};
use crate::{Client, Error, Result};

/// How long [`Client::field_configs`] serves its cached copy before fetching again.
pub const FIELD_CONFIG_TTL: Duration = Duration::from_secs(600);

/// `CustomerFieldVO.status` of a deleted field (0 = disabled, 1 = enabled).
const STATUS_DELETED: i64 = -1;
/// `CustomerFieldVO.status` of an enabled field.
const STATUS_ENABLED: i64 = 1;

/// The account's customer field configurations ([`Client::field_configs`]), looked up by
/// display name or field id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldConfigs {
    fields: Vec<CustomerFieldVo>,
}

impl From<Vec<CustomerFieldVo>> for FieldConfigs {
    fn from(fields: Vec<CustomerFieldVo>) -> Self {
        Self { fields }
    }
}

/// The key under which a field's value sits on a customer: `field`, else `param`, else
/// `glFieldId`.
pub fn field_key(config: &CustomerFieldVo) -> Option<&str> {
    [&config.field, &config.param, &config.gl_field_id]
        .into_iter()
        .find_map(|k| k.as_deref().filter(|k| !k.is_empty()))
}

fn describe(config: &CustomerFieldVo) -> String {
    format!(
        "customer field {:?} ({})",
        config.name.as_deref().unwrap_or(""),
        field_key(config).unwrap_or("no field id")
    )
}

impl FieldConfigs {
    /// Wraps a configuration list (e.g. the `data` of [`Client::list_field_configs`]).
    pub fn new(fields: Vec<CustomerFieldVo>) -> Self {
        Self { fields }
    }

    /// Every configuration, in the server's order.
    pub fn fields(&self) -> &[CustomerFieldVo] {
        &self.fields
    }

    /// How many fields are configured.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no field is configured.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The field with this display name (`name`, e.g. `详细地址`) or, failing that, this field
    /// id. Among several with the same name, an enabled one wins, then any not deleted.
    pub fn find(&self, name_or_id: &str) -> Option<&CustomerFieldVo> {
        let rank = |f: &CustomerFieldVo| match f.status {
            Some(STATUS_ENABLED) => 0,
            Some(STATUS_DELETED) => 2,
            _ => 1,
        };
        let by_name = self
            .fields
            .iter()
            .filter(|f| f.name.as_deref() == Some(name_or_id))
            .min_by_key(|f| rank(f));
        by_name.or_else(|| {
            self.fields
                .iter()
                .filter(|f| {
                    [&f.field, &f.param, &f.gl_field_id]
                        .into_iter()
                        .any(|k| k.as_deref() == Some(name_or_id))
                })
                .min_by_key(|f| rank(f))
        })
    }

    /// The field with this name or id, or an [`Error::UnknownField`] listing the known names.
    pub fn get(&self, name_or_id: &str) -> Result<&CustomerFieldVo> {
        self.find(name_or_id).ok_or_else(|| {
            let mut names: Vec<&str> = self
                .fields
                .iter()
                .filter_map(|f| f.name.as_deref())
                .collect();
            let more = names.len().saturating_sub(30);
            names.truncate(30);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            Error::UnknownField {
                field: name_or_id.to_owned(),
                message: format!(
                    "no customer field named {name_or_id:?}; known fields: {}{more}",
                    names.join(", ")
                ),
            }
        })
    }

    /// The field id (the key on the customer record) of the field with this name or id.
    pub fn field_id(&self, name_or_id: &str) -> Result<&str> {
        let config = self.get(name_or_id)?;
        field_key(config)
            .ok_or_else(|| Error::InvalidArgument(format!("{} has no field id", describe(config))))
    }

    /// A value for the field with this name or id from text as a person types it (a command
    /// line's `--set 客户等级=A`), decided by the field's configuration, never by what the text
    /// looks like: a phone number typed into a text field stays text.
    ///
    /// - cascade (options with children): a path `浙江省/杭州市` (keys or labels, split at `/`);
    /// - choices: the key or label; several separated by `,` for a multi-select field
    ///   (`type` containing `multi` or `checkbox`);
    /// - `type` `number` (or `int`, `decimal`, `money`): a JSON number when the text is one;
    /// - anything else: the text.
    ///
    /// Pass the result to [`Customer::set_field_by_name`], which validates it.
    pub fn value_from_text(&self, name_or_id: &str, text: &str) -> Result<Value> {
        let config = self.get(name_or_id)?;
        let kind = config.type_.as_deref().unwrap_or_default().to_lowercase();
        if cascade_options(config).is_some() {
            return Ok(Value::Array(
                text.split('/')
                    .map(|s| Value::String(s.trim().to_owned()))
                    .collect(),
            ));
        }
        if config.choices.as_ref().is_some_and(|c| !c.is_empty()) {
            return Ok(if kind.contains("multi") || kind.contains("checkbox") {
                Value::Array(
                    text.split(',')
                        .map(|s| Value::String(s.trim().to_owned()))
                        .collect(),
                )
            } else {
                Value::String(text.to_owned())
            });
        }
        if ["number", "int", "decimal", "money"]
            .iter()
            .any(|t| kind.contains(t))
            && let Ok(Value::Number(n)) = serde_json::from_str::<Value>(text.trim())
        {
            return Ok(Value::Number(n));
        }
        Ok(Value::String(text.to_owned()))
    }

    /// Checks `value` against the field's choices or cascade options and returns the field id
    /// and the value to write (labels replaced by keys). See [Custom fields](crate#custom-fields)
    /// for the formats.
    pub fn validate(&self, name_or_id: &str, value: Value) -> Result<(String, Value)> {
        let config = self.get(name_or_id)?;
        let key = field_key(config)
            .ok_or_else(|| Error::InvalidArgument(format!("{} has no field id", describe(config))))?
            .to_owned();
        if config.status == Some(STATUS_DELETED) {
            return Err(Error::InvalidArgument(format!(
                "{} is deleted (status -1)",
                describe(config)
            )));
        }
        if value.is_null() {
            return Ok((key, value));
        }
        let value = if let Some(choices) = config.choices.as_ref().filter(|c| !c.is_empty()) {
            let pick = |v: &Value| -> Result<Value> {
                let s = v.as_str().ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "{}: a choice must be a string (key or label), not {v}",
                        describe(config)
                    ))
                })?;
                choices
                    .iter()
                    .find(|c| c.key == s)
                    .or_else(|| choices.iter().find(|c| c.value == s))
                    .map(|c| Value::String(c.key.clone()))
                    .ok_or_else(|| {
                        let allowed: Vec<String> = choices
                            .iter()
                            .map(|c| format!("{} ({})", c.key, c.value))
                            .collect();
                        Error::InvalidArgument(format!(
                            "{}: {s:?} is not one of its choices; allowed keys (labels): {}",
                            describe(config),
                            allowed.join(", ")
                        ))
                    })
            };
            match &value {
                Value::Array(items) => Value::Array(items.iter().map(pick).collect::<Result<_>>()?),
                other => pick(other)?,
            }
        } else if let Some(options) = cascade_options(config) {
            let children = options.children.as_deref().unwrap_or_default();
            let path = value.as_array().ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{}: a cascade value is an array of keys or labels, one per level from the top, e.g. {}",
                    describe(config),
                    example_path(children)
                ))
            })?;
            Value::Array(cascade_path(
                config,
                children,
                path,
                options.level,
                options.fill_level,
            )?)
        } else {
            value
        };
        Ok((key, value))
    }

    /// A readable rendering of a stored value: choice labels, or a cascade path of labels
    /// joined by `/`; other values as JSON text. `None` if the field is unknown.
    pub fn display_value(&self, name_or_id: &str, value: &Value) -> Option<String> {
        let config = self.find(name_or_id)?;
        let text = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string())
        };
        if let Some(choices) = config.choices.as_ref().filter(|c| !c.is_empty()) {
            let label = |v: &Value| {
                let s = text(v);
                choices
                    .iter()
                    .find(|c| c.key == s)
                    .map(|c| c.value.clone())
                    .unwrap_or(s)
            };
            return Some(match value {
                Value::Array(items) => items.iter().map(label).collect::<Vec<_>>().join(", "),
                other => label(other),
            });
        }
        if let (Some(options), Value::Array(path)) = (cascade_options(config), value) {
            let mut level = options.children.as_deref().unwrap_or_default();
            let mut labels = Vec::with_capacity(path.len());
            for step in path {
                let s = text(step);
                match level.iter().find(|o| o.key == s) {
                    Some(o) => {
                        labels.push(o.value.clone());
                        level = o.children.as_deref().unwrap_or_default();
                    }
                    None => {
                        labels.push(s);
                        level = &[];
                    }
                }
            }
            return Some(labels.join("/"));
        }
        Some(text(value))
    }
}

fn example_path(children: &[ChildOptionDubbo]) -> String {
    let mut keys = Vec::new();
    let mut level = children;
    while let Some(first) = level.first() {
        keys.push(format!("{:?}", first.key));
        level = first.children.as_deref().unwrap_or_default();
    }
    format!("[{}]", keys.join(", "))
}

/// The status of a customer field (`CustomerFieldVO.status`: 0 disabled, 1 enabled, -1
/// deleted), as [`CustomerFieldVo::state`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldState {
    /// `1`: in use.
    Enabled,
    /// `0`: switched off; values are kept.
    Disabled,
    /// `-1`: deleted.
    Deleted,
    /// A status the document does not list.
    Other(i64),
    /// No status sent.
    Unknown,
}

impl CustomerFieldVo {
    /// `createTime` as a China time, when it is one (the wire value stays a string: the
    /// document's own template sends `"string"` there).
    pub fn created_at(&self) -> Option<ChinaDateTime> {
        self.create_time.as_deref()?.parse().ok()
    }

    /// `updateTime` as a China time, when it is one (see [`CustomerFieldVo::created_at`]).
    pub fn updated_at(&self) -> Option<ChinaDateTime> {
        self.update_time.as_deref()?.parse().ok()
    }

    /// The field's status as a [`FieldState`] (the wire value stays in `status`).
    pub fn state(&self) -> FieldState {
        match self.status {
            Some(1) => FieldState::Enabled,
            Some(0) => FieldState::Disabled,
            Some(STATUS_DELETED) => FieldState::Deleted,
            Some(other) => FieldState::Other(other),
            None => FieldState::Unknown,
        }
    }
}

/// The cascade options of a field, if it is a cascade: options with children. The document's
/// 6.5 template shows `{"level":0,"fillLevel":0,"children":[]}` for any field, so an empty
/// cascade object says nothing: a text field with it takes plain text.
pub(crate) fn cascade_options(config: &CustomerFieldVo) -> Option<&CascadeOptionsDubbo> {
    config
        .options
        .as_ref()
        .filter(|o| o.children.as_ref().is_some_and(|c| !c.is_empty()))
}

fn cascade_path(
    config: &CustomerFieldVo,
    top: &[ChildOptionDubbo],
    path: &[Value],
    level: Option<i64>,
    fill_level: Option<i64>,
) -> Result<Vec<Value>> {
    let len = path.len() as i64;
    if let Some(min) = fill_level.filter(|n| *n > 0)
        && len < min
    {
        return Err(Error::InvalidArgument(format!(
            "{}: the cascade path needs at least {min} level(s) (fillLevel), got {len}",
            describe(config)
        )));
    }
    if let Some(max) = level.filter(|n| *n > 0)
        && len > max
    {
        return Err(Error::InvalidArgument(format!(
            "{}: the cascade has {max} level(s), got a path of {len}",
            describe(config)
        )));
    }
    let mut options = top;
    let mut keys = Vec::with_capacity(path.len());
    for (depth, step) in path.iter().enumerate() {
        let Some(s) = step.as_str() else {
            return Err(Error::InvalidArgument(format!(
                "{}: cascade level {} must be a string (key or label), not {step}",
                describe(config),
                depth + 1
            )));
        };
        let found = options
            .iter()
            .find(|o| o.key == s)
            .or_else(|| options.iter().find(|o| o.value == s));
        let Some(option) = found else {
            let allowed: Vec<String> = options
                .iter()
                .map(|o| format!("{} ({})", o.key, o.value))
                .collect();
            let allowed = if allowed.is_empty() {
                "none (the path is too long)".to_owned()
            } else {
                allowed.join(", ")
            };
            return Err(Error::InvalidArgument(format!(
                "{}: {s:?} is not an option at cascade level {}; allowed keys (labels): {allowed}",
                describe(config),
                depth + 1
            )));
        };
        keys.push(Value::String(option.key.clone()));
        options = option.children.as_deref().unwrap_or_default();
    }
    Ok(keys)
}

impl Customer {
    /// The value at any key of the record: a built-in field (`customerName`, `mobile`) or a
    /// custom field id. `None` when absent.
    pub fn field(&self, key: &str) -> Option<Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut map)) => map.remove(key),
            _ => None,
        }
    }

    /// Sets any key of the record without validation: a custom field id goes into `extra`, a
    /// built-in name (`owner`) into its typed field (an [`Error::InvalidArgument`] if the value does not
    /// fit its type). A `null` custom field is sent as `null`.
    pub fn set_field(&mut self, key: &str, value: Value) -> Result<()> {
        let mut map = match serde_json::to_value(&*self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        map.insert(key.to_owned(), value);
        *self = serde_json::from_value(Value::Object(map)).map_err(|e| {
            Error::InvalidArgument(format!(
                "customer field {key:?}: the value does not fit: {e}"
            ))
        })?;
        Ok(())
    }

    /// Sets the field with this display name (or id), validated against its configuration
    /// (choices, cascade options); see [Custom fields](crate#custom-fields) for the formats.
    ///
    /// ```
    /// # use openapi_crm::{Customer, FieldConfigs};
    /// # fn demo(configs: &FieldConfigs) -> openapi_crm::Result<()> {
    /// let mut c = Customer::named("张三");
    /// c.set_field_by_name(configs, "详细地址", "杭州市西湖区文三路 1 号")?;
    /// # Ok(()) }
    /// ```
    pub fn set_field_by_name(
        &mut self,
        configs: &FieldConfigs,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        let (key, value) = configs.validate(name, value.into())?;
        self.set_field(&key, value)
    }

    /// The value of the field with this display name (or id), as stored (choice keys; see
    /// [`FieldConfigs::display_value`] for labels). `Ok(None)` when the customer has no value;
    /// an [`Error::UnknownField`] when no field has that name.
    pub fn get_field_by_name(&self, configs: &FieldConfigs, name: &str) -> Result<Option<Value>> {
        let key = configs.field_id(name)?;
        Ok(self.field(key))
    }
}

/// The client's cached field configuration.
#[derive(Debug, Default)]
pub(crate) struct FieldConfigCache {
    slot: tokio::sync::Mutex<Option<(Instant, Arc<FieldConfigs>)>>,
}

impl Client {
    /// The account's customer field configurations, fetched once and cached for
    /// [`FIELD_CONFIG_TTL`] (one fetch at a time; clones of the client share the cache).
    pub async fn field_configs(&self) -> Result<Arc<FieldConfigs>> {
        let mut slot = self.inner.field_configs.slot.lock().await;
        if let Some((at, configs)) = slot.as_ref()
            && at.elapsed() < FIELD_CONFIG_TTL
        {
            return Ok(configs.clone());
        }
        let configs = self.fetch_field_configs().await?;
        *slot = Some((Instant::now(), configs.clone()));
        Ok(configs)
    }

    /// Fetches the field configurations again (e.g. after a field was added) and caches them.
    pub async fn refresh_field_configs(&self) -> Result<Arc<FieldConfigs>> {
        let mut slot = self.inner.field_configs.slot.lock().await;
        let configs = self.fetch_field_configs().await?;
        *slot = Some((Instant::now(), configs.clone()));
        Ok(configs)
    }

    async fn fetch_field_configs(&self) -> Result<Arc<FieldConfigs>> {
        let response = self
            .list_field_configs(&FieldConfigListArg::default())
            .await?;
        Ok(Arc::new(FieldConfigs::new(
            response.data.unwrap_or_default(),
        )))
    }

    /// Sets `customer`'s field with this display name (or id), validated against the cached
    /// configuration; an unknown name refreshes the cache once (the field may be new) before it
    /// is an [`Error::InvalidArgument`] or [`Error::UnknownField`]. Nothing is sent: add or update the customer afterwards.
    pub async fn set_custom_field(
        &self,
        customer: &mut Customer,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        let mut configs = self.field_configs().await?;
        if configs.find(name).is_none() {
            configs = self.refresh_field_configs().await?;
        }
        customer.set_field_by_name(&configs, name, value)
    }

    /// `customer`'s value of the field with this display name (or id); see
    /// [`Customer::get_field_by_name`].
    pub async fn custom_field(&self, customer: &Customer, name: &str) -> Result<Option<Value>> {
        let mut configs = self.field_configs().await?;
        if configs.find(name).is_none() {
            configs = self.refresh_field_configs().await?;
        }
        customer.get_field_by_name(&configs, name)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn field(name: &str, id: &str, status: i64) -> CustomerFieldVo {
        serde_json::from_value(serde_json::json!({"name": name, "field": id, "status": status}))
            .unwrap()
    }

    #[test]
    fn among_fields_of_one_name_an_enabled_one_wins_then_any_not_deleted() {
        let found = |fields: Vec<CustomerFieldVo>, key: &str| {
            FieldConfigs::new(fields)
                .find(key)
                .and_then(|f| f.field.clone())
        };
        let deleted = field("等级", "f_deleted", STATUS_DELETED);
        let disabled = field("等级", "f_disabled", 0);
        let enabled = field("等级", "f_enabled", STATUS_ENABLED);
        // Whatever the server's order.
        for order in [
            vec![deleted.clone(), disabled.clone(), enabled.clone()],
            vec![enabled.clone(), deleted.clone(), disabled.clone()],
            vec![disabled.clone(), enabled.clone(), deleted.clone()],
        ] {
            assert_eq!(found(order, "等级").as_deref(), Some("f_enabled"));
        }
        assert_eq!(
            found(vec![deleted.clone(), disabled.clone()], "等级").as_deref(),
            Some("f_disabled")
        );
        assert_eq!(
            found(vec![deleted.clone()], "等级").as_deref(),
            Some("f_deleted"),
            "a deleted field is still found (writing it is refused later)"
        );
        // A name first, then an id.
        assert_eq!(
            found(vec![deleted, enabled], "f_deleted").as_deref(),
            Some("f_deleted")
        );
    }
}
