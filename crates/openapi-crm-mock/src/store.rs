//! The mock's data: customers as JSON objects keyed by `_id`, the field configuration, and the
//! search semantics of `list`.

use chrono::{NaiveDateTime, Utc};
use crm_mock::CHINA_TIME;
use crm_mock::index::OrderedIndex;

use serde_json::{Map, Value, json};

use super::rules;
use openapi_crm::types::{Customer, CustomerFieldVo};

/// The first generated `_id` (the list example's id); later ids grow by [`ID_STEP`], so ids stay
/// 18-digit numeric strings in creation order.
const FIRST_ID: u64 = 685_770_000_643_772_416;
const ID_STEP: u64 = 65_536;

/// Keys the server sets itself; a client cannot write them.
const READ_ONLY: &[&str] = &[
    "_id",
    "accountId",
    "createTime",
    "updateTime",
    "createAgent",
    "updateAgent",
];

/// The agent recorded for writes through the open API.
pub(crate) const OPEN_API_AGENT: &str = "openApi";

/// A failed request: envelope code and message.
#[derive(Debug)]
pub(crate) struct Reject {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

pub(crate) fn bad_request(message: impl Into<String>) -> Reject {
    Reject {
        code: "400",
        message: message.into(),
    }
}

fn not_found(id: &str) -> Reject {
    Reject {
        code: "404",
        message: format!("客户不存在 customer {id:?} not found"),
    }
}

/// A search operator the mock implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Empty,
    Ne,
    In,
    Nin,
    Like,
    NotEmpty,
    Gt,
    Gte,
    Lt,
    Lte,
    Between,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "eq" => Op::Eq,
            "empty" => Op::Empty,
            "ne" => Op::Ne,
            "in" => Op::In,
            "nin" => Op::Nin,
            "like" => Op::Like,
            "notEmpty" => Op::NotEmpty,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "between" => Op::Between,
            _ => return None,
        })
    }
}

/// One parsed search condition.
#[derive(Debug)]
pub(crate) struct Condition {
    field: String,
    op: Op,
    values: Vec<String>,
}

/// Parses the `search` member of a list request.
pub(crate) fn parse_search(search: Option<&Value>) -> Result<Vec<Condition>, Reject> {
    let items = match search {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(bad_request(
                "search必须是数组 `search` must be an array of conditions",
            ));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            return Err(bad_request(format!(
                "search[{i}] must be an object {{field, operator, value}}"
            )));
        };
        let field = match obj.get("field") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => {
                return Err(bad_request(format!(
                    "search[{i}].field must be a non-empty string"
                )));
            }
        };
        let op_name = obj
            .get("operator")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(op) = Op::parse(op_name) else {
            return Err(bad_request(format!(
                "search[{i}].operator {op_name:?} is not supported (eq, empty, ne, in, nin, like, notEmpty, gt, gte, lt, lte, between)"
            )));
        };
        let values = match obj.get("value") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(vs)) => {
                let mut values = Vec::with_capacity(vs.len());
                for v in vs {
                    match v {
                        Value::String(s) => values.push(s.clone()),
                        Value::Number(n) => values.push(n.to_string()),
                        Value::Bool(b) => values.push(b.to_string()),
                        _ => {
                            return Err(bad_request(format!(
                                "search[{i}].value must hold strings"
                            )));
                        }
                    }
                }
                values
            }
            Some(_) => {
                return Err(bad_request(format!(
                    "search[{i}].value must be an array of strings"
                )));
            }
        };
        let needed = match op {
            Op::Empty | Op::NotEmpty => 0,
            Op::Between => 2,
            _ => 1,
        };
        if values.len() < needed {
            return Err(bad_request(format!(
                "search[{i}]: operator {op_name} needs {needed} value(s), got {}",
                values.len()
            )));
        }
        out.push(Condition { field, op, values });
    }
    Ok(out)
}

/// The scalar values of a field: strings, numbers and booleans as text; arrays flattened;
/// `{value, memo}` entries by their `value`.
fn atoms(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Null => {}
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(b) => out.push(b.to_string()),
        Value::Array(items) => items.iter().for_each(|i| atoms(i, out)),
        Value::Object(o) => {
            if let Some(v) = o.get("value") {
                atoms(v, out);
            }
        }
    }
}

/// The document's time format, `yyyy-MM-dd HH:mm:ss` (whole seconds, no zone).
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// A time of the document's form, read by the mock itself: exactly `yyyy-MM-dd HH:mm:ss`.
fn parse_time(s: &str) -> Option<NaiveDateTime> {
    if !rules::is_china_time(s) {
        return None;
    }
    NaiveDateTime::parse_from_str(s, TIME_FORMAT).ok()
}

/// The current China time as the server writes it: `yyyy-MM-dd HH:mm:ss`, whole seconds.
fn now() -> String {
    Utc::now()
        .with_timezone(&CHINA_TIME)
        .format(TIME_FORMAT)
        .to_string()
}

/// Numbers by value (integers exactly: 18-digit ids do not fit an `f64`), times of the
/// document's form by time (the mock's own reading), anything else as text.
fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.trim(), b.trim());
    if let (Ok(x), Ok(y)) = (a.parse::<i128>(), b.parse::<i128>()) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (parse_time(a), parse_time(b)) {
        return x.cmp(&y);
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.cmp(b),
    }
}

impl Condition {
    fn matches(&self, record: &Map<String, Value>) -> bool {
        use std::cmp::Ordering::*;
        let mut vals = Vec::new();
        if let Some(v) = record.get(&self.field) {
            atoms(v, &mut vals);
        }
        let empty = vals.iter().all(|v| v.is_empty());
        let first = self.values.first().map(String::as_str).unwrap_or_default();
        let any = |f: &dyn Fn(&str) -> bool| vals.iter().any(|v| f(v));
        match self.op {
            Op::Empty => empty,
            Op::NotEmpty => !empty,
            Op::Eq | Op::In => any(&|v| self.values.iter().any(|x| x == v)),
            Op::Ne | Op::Nin => !any(&|v| self.values.iter().any(|x| x == v)),
            Op::Like => any(&|v| self.values.iter().any(|x| v.contains(x.as_str()))),
            Op::Gt => any(&|v| compare(v, first) == Greater),
            Op::Gte => any(&|v| compare(v, first) != Less),
            Op::Lt => any(&|v| compare(v, first) == Less),
            Op::Lte => any(&|v| compare(v, first) != Greater),
            Op::Between => {
                let last = self.values.get(1).map(String::as_str).unwrap_or_default();
                any(&|v| compare(v, first) != Less && compare(v, last) != Greater)
            }
        }
    }
}

/// The mock's records.
#[derive(Debug)]
pub(crate) struct Store {
    account_id: String,
    /// By `_id` (text order), so that a page of an unfiltered list is found by position.
    customers: OrderedIndex<Map<String, Value>>,
    next_id: u64,
    fields: Vec<CustomerFieldVo>,
    /// The largest `limit` served (`None`: unlimited).
    pub(crate) max_page_size: Option<i64>,
}

impl Store {
    pub(crate) fn new(account_id: &str) -> Self {
        Self {
            account_id: account_id.to_owned(),
            customers: OrderedIndex::default(),
            next_id: FIRST_ID,
            fields: sample_field_configs(account_id),
            max_page_size: Some(super::MAX_PAGE_SIZE),
        }
    }

    fn new_id(&mut self) -> String {
        loop {
            let id = self.next_id.to_string();
            self.next_id = self.next_id.saturating_add(ID_STEP);
            if !self.customers.contains_key(&id) {
                return id;
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.customers.len()
    }

    pub(crate) fn field_configs(&self) -> &[CustomerFieldVo] {
        &self.fields
    }

    pub(crate) fn set_field_configs(&mut self, configs: Vec<CustomerFieldVo>) {
        self.fields = configs;
    }

    /// Checks a record by the mock's own reading of the document ([`rules`]).
    fn validate(&self, record: &Map<String, Value>) -> Result<(), Reject> {
        rules::check_customer(record).map_err(bad_request)?;
        for config in &self.fields {
            let Some(id) = rules::field_id(config) else {
                continue;
            };
            if let Some(value) = record.get(id) {
                rules::check_custom_value(config, value).map_err(bad_request)?;
            }
        }
        Ok(())
    }

    /// `POST /openapi/crm/add`.
    pub(crate) fn add(&mut self, mut body: Map<String, Value>) -> Result<Value, Reject> {
        match body.get("customerName") {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            _ => return Err(bad_request("customerName不能为空 customerName is required")),
        }
        for k in READ_ONLY {
            body.remove(*k);
        }
        let now = now();
        if let Some(owner) = body.get("owner").filter(|o| !o.is_null()).cloned() {
            body.entry("firstOwner").or_insert(owner);
            body.entry("assignTime")
                .or_insert_with(|| Value::String(now.clone()));
            if let Some(at) = body.get("assignTime").cloned() {
                body.entry("firstAssignTime").or_insert(at);
            }
        }
        body.entry("createMethod")
            .or_insert_with(|| Value::String(String::new()));
        body.insert("accountId".into(), Value::String(self.account_id.clone()));
        body.insert("createTime".into(), Value::String(now.clone()));
        body.insert("updateTime".into(), Value::String(now));
        body.insert("createAgent".into(), OPEN_API_AGENT.into());
        body.insert("updateAgent".into(), OPEN_API_AGENT.into());
        self.validate(&body)?;
        let id = self.new_id();
        body.insert("_id".into(), Value::String(id.clone()));
        self.customers.insert(&id, body.clone());
        Ok(Value::Object(body))
    }

    /// `POST /openapi/crm/update`.
    pub(crate) fn update(&mut self, body: Map<String, Value>) -> Result<Value, Reject> {
        let id = match body.get("_id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(bad_request("_id不能为空 _id is required")),
        };
        if let Some(name) = body.get("customerName")
            && name.as_str().is_none_or(|s| s.trim().is_empty())
        {
            return Err(bad_request(
                "customerName不能为空 customerName must not be empty",
            ));
        }
        let Some(existing) = self.customers.get(&id) else {
            return Err(not_found(&id));
        };
        let mut record = existing.clone();
        merge_edit(&mut record, body);
        record.insert("updateAgent".into(), OPEN_API_AGENT.into());
        self.validate(&record)?;
        self.customers.insert(&id, record.clone());
        Ok(Value::Object(record))
    }

    /// `POST /openapi/crm/list`: one page and the total count of matches. Without conditions
    /// the page is read from its position in the index and the count is the index's size, so
    /// a page costs its own records, not a walk over every record before it.
    pub(crate) fn list(&self, conditions: &[Condition], limit: usize, page: usize) -> Value {
        let skip = page.saturating_sub(1).saturating_mul(limit);
        if conditions.is_empty() {
            let list: Vec<Value> = self
                .customers
                .iter_from(skip)
                .take(limit)
                .map(|(_, r)| Value::Object(r.clone()))
                .collect();
            return json!({ "list": list, "count": self.customers.len() });
        }
        let matching: Vec<&Map<String, Value>> = self
            .customers
            .values()
            .filter(|r| conditions.iter().all(|c| c.matches(r)))
            .collect();
        let list: Vec<Value> = matching
            .iter()
            .skip(skip)
            .take(limit)
            .map(|r| Value::Object((*r).clone()))
            .collect();
        json!({ "list": list, "count": matching.len() })
    }

    /// Find by id.
    pub(crate) fn find(&self, id: &str) -> Result<Value, Reject> {
        self.customers
            .get(id)
            .map(|r| Value::Object(r.clone()))
            .ok_or_else(|| not_found(id))
    }

    /// `POST /openapi/crm/delete`.
    pub(crate) fn delete(&mut self, body: &Map<String, Value>) -> Result<(), Reject> {
        let id = match body.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(bad_request("id不能为空 id is required")),
        };
        self.customers
            .remove(&id)
            .map(|_| ())
            .ok_or_else(|| not_found(&id))
    }

    /// `POST /openapi/crm/config/field/list` with its filters: `name` (contained in the field
    /// name), `type` (one of), `enabled` (status 1 / 0). `category` and `editable` are accepted
    /// and ignored (their meaning is not documented).
    pub(crate) fn field_list(&self, body: &Map<String, Value>) -> Value {
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let types: Option<Vec<&str>> = body
            .get("type")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect());
        let enabled = body.get("enabled").and_then(Value::as_bool);
        let list: Vec<Value> = self
            .fields
            .iter()
            .filter(|f| {
                name.is_none_or(|n| f.name.as_deref().is_some_and(|fname| fname.contains(n)))
            })
            .filter(|f| {
                types.as_ref().is_none_or(|ts| {
                    ts.is_empty() || f.type_.as_deref().is_some_and(|t| ts.contains(&t))
                })
            })
            .filter(|f| enabled.is_none_or(|e| f.status == Some(if e { 1 } else { 0 })))
            .filter_map(|f| serde_json::to_value(f).ok())
            .collect();
        Value::Array(list)
    }

    /// Stores a customer as given (see `MockUseasy::insert`); returns its id.
    pub(crate) fn insert_customer(&mut self, customer: Customer) -> String {
        let record = match serde_json::to_value(&customer) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        self.insert_raw(record)
    }

    /// Stores a JSON record as given, filling what the server sets when missing; its `_id` is
    /// kept when it has one (an existing one is replaced). Returns the `_id`.
    pub(crate) fn insert_raw(&mut self, mut record: Map<String, Value>) -> String {
        let id = match record
            .get("_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            Some(id) => id.to_owned(),
            None => self.new_id(),
        };
        let now = now();
        record.insert("_id".into(), Value::String(id.clone()));
        record
            .entry("accountId")
            .or_insert_with(|| Value::String(self.account_id.clone()));
        record
            .entry("createTime")
            .or_insert_with(|| Value::String(now.clone()));
        record
            .entry("updateTime")
            .or_insert_with(|| Value::String(now));
        record
            .entry("createAgent")
            .or_insert_with(|| OPEN_API_AGENT.into());
        record
            .entry("updateAgent")
            .or_insert_with(|| OPEN_API_AGENT.into());
        self.customers.insert(&id, record);
        id
    }

    /// The stored records, in `_id` order, as JSON (what `list` returns).
    pub(crate) fn raw_records(&self) -> Vec<Map<String, Value>> {
        self.customers.values().cloned().collect()
    }

    /// The `_id`s, ascending.
    pub(crate) fn ids(&self) -> Vec<String> {
        self.customers.keys().map(str::to_owned).collect()
    }

    /// A record as stored.
    pub(crate) fn raw(&self, id: &str) -> Option<&Map<String, Value>> {
        self.customers.get(id)
    }

    /// Merges `fields` into a record (`null` removes one) and moves its `updateTime` on, as
    /// another user's edit does; `false` if there is none.
    pub(crate) fn edit(&mut self, id: &str, fields: Map<String, Value>) -> bool {
        let Some(record) = self.customers.get_mut(id) else {
            return false;
        };
        merge_edit(record, fields);
        true
    }

    /// Removes a record; `false` if there is none.
    pub(crate) fn delete_id(&mut self, id: &str) -> bool {
        self.customers.remove(id).is_some()
    }

    pub(crate) fn remove(&mut self, id: &str) -> Option<Customer> {
        self.customers
            .remove(id)
            .and_then(|r| serde_json::from_value(Value::Object(r)).ok())
    }

    pub(crate) fn clear(&mut self) {
        self.customers.clear();
    }

    pub(crate) fn customers(&self) -> Vec<Customer> {
        self.customers
            .values()
            .filter_map(|r| serde_json::from_value(Value::Object(r.clone())).ok())
            .collect()
    }

    pub(crate) fn customer(&self, id: &str) -> Option<Customer> {
        self.customers
            .get(id)
            .and_then(|r| serde_json::from_value(Value::Object(r.clone())).ok())
    }

    /// `n` deterministic sample customers (see `MockUseasy::start_with_sample_data`).
    pub(crate) fn insert_samples(&mut self, n: usize) {
        let sources = ["试用申请", "官网", "转介绍"];
        let levels = ["A", "B", "C"];
        // 2023-06-26 22:57:30 China time (the list example's createTime), one minute apart.
        let base =
            chrono::NaiveDate::from_ymd_opt(2023, 6, 26).and_then(|d| d.and_hms_opt(22, 57, 30));
        for i in 0..n {
            let created = base
                .map(|b| {
                    (b + chrono::TimeDelta::minutes(i as i64))
                        .format(TIME_FORMAT)
                        .to_string()
                })
                .unwrap_or_else(now);
            let mut record = json!({
                "customerName": format!("测试客户{:04}", i + 1),
                "mobile": [{ "value": format!("1380000{:04}", i % 10_000), "memo": "主号" }],
                "customerSource": [sources[i % sources.len()]],
                "owner": if i % 2 == 0 { "8310" } else { "8311" },
                "firstOwner": if i % 2 == 0 { "8310" } else { "8311" },
                "createMethod": "API",
                "accountId": self.account_id,
                "createTime": created,
                "updateTime": created,
                "assignTime": created,
                "firstAssignTime": created,
                "createAgent": OPEN_API_AGENT,
                "updateAgent": OPEN_API_AGENT,
                (SELECT_FIELD): levels[i % levels.len()],
            });
            if let Some(obj) = record.as_object_mut() {
                if i % 5 == 0 {
                    obj.insert("openSeaIds".into(), json!(["662821403012902912"]));
                }
                if i % 2 == 0 {
                    obj.insert(
                        TEXT_FIELD.into(),
                        json!(format!("杭州市西湖区文三路{}号", i + 1)),
                    );
                }
                if i % 3 == 0 {
                    obj.insert(CASCADE_FIELD.into(), json!(["zj", "hz", "xh"]));
                }
                let id = self.new_id();
                obj.insert("_id".into(), Value::String(id.clone()));
                self.customers.insert(&id, obj.clone());
            }
        }
    }
}

/// An edit of a stored customer, the API's or another user's alike: the fields merged in
/// (`null` removes one, read-only fields are left as they are) and `updateTime` moved on.
fn merge_edit(record: &mut Map<String, Value>, fields: Map<String, Value>) {
    for (k, v) in fields {
        if READ_ONLY.contains(&k.as_str()) {
            continue;
        }
        if v.is_null() {
            record.remove(&k);
        } else {
            record.insert(k, v);
        }
    }
    record.insert("updateTime".into(), Value::String(now()));
}

/// The document's text field 详细地址.
pub(crate) const TEXT_FIELD: &str = "text_6ts9_1687316347239";
/// The mock's select field 客户等级.
pub(crate) const SELECT_FIELD: &str = "select_k2m1_1687316400000";
/// The mock's cascade field 所在地区.
pub(crate) const CASCADE_FIELD: &str = "cascade_r8p3_1687316500000";

/// The field configuration the mock serves: built-in `customerName` and `mobile`; the
/// document's text field `详细地址` (`text_6ts9_1687316347239`); a select field `客户等级`
/// (`select_k2m1_1687316400000`, choices `A` 重要客户, `B` 普通客户 (default), `C` 潜在客户); a
/// 3-level cascade field `所在地区` (`cascade_r8p3_1687316500000`, 2 levels required: 浙江省 →
/// 杭州市 → 西湖区/滨江区, 浙江省 → 宁波市, 北京市 → 海淀区); and a deleted text field `旧地址`.
pub fn sample_field_configs(account_id: &str) -> Vec<CustomerFieldVo> {
    let field =
        |id: &str, name: &str, type_: &str, status: i64, sort: i64, system: bool, extra: Value| {
            let mut v = json!({
                "accountId": account_id,
                "glFieldId": id,
                "field": id,
                "name": name,
                "param": id,
                "type": type_,
                "status": status,
                "searchable": true,
                "oplog": false,
                "choices": null,
                "options": null,
                "createTime": "2023-06-21 11:02:18",
                "updateTime": "2023-06-21 11:02:18",
                "createAgent": "662772464553308160",
                "updateAgent": "662772464553308160",
                "scenes": null,
                "sort": sort,
                "isSystem": system,
                "required": false,
            });
            if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), extra) {
                obj.extend(extra);
            }
            serde_json::from_value::<CustomerFieldVo>(v).ok()
        };
    [
        field(
            "customerName",
            "客户名称",
            "text",
            1,
            1,
            true,
            json!({ "required": true }),
        ),
        field("mobile", "手机", "phone", 1, 2, true, json!({})),
        field(
            TEXT_FIELD,
            "详细地址",
            "text",
            1,
            42,
            false,
            json!({ "searchable": false }),
        ),
        field(
            SELECT_FIELD,
            "客户等级",
            "select",
            1,
            43,
            false,
            json!({ "choices": [
                { "key": "A", "value": "重要客户", "isDefault": false },
                { "key": "B", "value": "普通客户", "isDefault": true },
                { "key": "C", "value": "潜在客户", "isDefault": false },
            ] }),
        ),
        field(
            CASCADE_FIELD,
            "所在地区",
            "cascade",
            1,
            44,
            false,
            json!({ "options": { "level": 3, "fillLevel": 2, "children": [
                { "key": "zj", "value": "浙江省", "children": [
                    { "key": "hz", "value": "杭州市", "children": [
                        { "key": "xh", "value": "西湖区" },
                        { "key": "bj", "value": "滨江区" },
                    ] },
                    { "key": "nb", "value": "宁波市" },
                ] },
                { "key": "bj", "value": "北京市", "children": [
                    { "key": "hd", "value": "海淀区" },
                ] },
            ] } }),
        ),
        field(
            "text_old0_1600000000000",
            "旧地址",
            "text",
            -1,
            99,
            false,
            json!({}),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The document's `yyyy-MM-dd HH:mm:ss` to the letter (checked apart from
    /// `rules::is_china_time`): chrono reads it, and writes it back unchanged (no fraction, no
    /// zone, zero-padded).
    fn whole_seconds(v: &Value) -> bool {
        let Some(s) = v.as_str() else { return false };
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .is_ok_and(|t| t.format("%Y-%m-%d %H:%M:%S").to_string() == s)
    }

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn now_is_china_time_in_whole_seconds() {
        let before = Utc::now().timestamp();
        let stamp = now();
        let after = Utc::now().timestamp();
        assert!(whole_seconds(&Value::String(stamp.clone())), "{stamp}");
        // Read back as UTC+8 it is the current instant.
        let read = NaiveDateTime::parse_from_str(&stamp, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp()
            - 8 * 3600;
        assert!(
            (before..=after).contains(&read),
            "{stamp}: {read} not in {before}..={after}"
        );
    }

    #[test]
    fn every_time_the_mock_writes_is_whole_seconds() {
        let mut store = Store::new("1090");
        let added = store
            .add(object(json!({"customerName": "张三", "owner": "8310"})))
            .unwrap();
        for key in ["createTime", "updateTime", "assignTime", "firstAssignTime"] {
            assert!(whole_seconds(&added[key]), "add {key}: {}", added[key]);
        }
        let id = added["_id"].as_str().unwrap().to_owned();
        let updated = store
            .update(object(json!({"_id": id, "customerName": "李四"})))
            .unwrap();
        assert!(whole_seconds(&updated["updateTime"]), "{updated}");
        assert!(store.edit(&id, object(json!({"createMethod": "x"}))));
        assert!(whole_seconds(&store.raw(&id).unwrap()["updateTime"]));
        let inserted = store.insert_raw(object(json!({"customerName": "王五"})));
        let raw = store.raw(&inserted).unwrap();
        assert!(whole_seconds(&raw["createTime"]) && whole_seconds(&raw["updateTime"]));
        let mut store = Store::new("1090");
        store.insert_samples(3);
        for r in store.raw_records() {
            assert!(whole_seconds(&r["createTime"]), "{r:?}");
            assert!(whole_seconds(&r["updateTime"]), "{r:?}");
        }
        let created: Vec<Value> = store
            .raw_records()
            .iter()
            .map(|r| r["createTime"].clone())
            .collect();
        assert_eq!(
            created,
            [
                "2023-06-26 22:57:30",
                "2023-06-26 22:58:30",
                "2023-06-26 22:59:30"
            ],
            "from the list example's time, one minute apart"
        );
    }

    /// Time conditions compare the mock's own reading of the times, and two records written in
    /// the same second tie: `gte` finds both, `gt` neither.
    #[test]
    fn time_conditions_compare_times_and_ties_are_equal() {
        let mut store = Store::new("1090");
        for (name, time) in [
            ("a", "2024-01-31 23:59:59"),
            ("b", "2024-02-01 08:00:00"),
            ("c", "2024-02-01 08:00:00"),
            ("d", "2024-02-01 08:00:01"),
        ] {
            store.insert_raw(object(json!({"customerName": name, "updateTime": time})));
        }
        let names = |op: &str, values: Value| -> Vec<String> {
            let search = json!([{"field": "updateTime", "operator": op, "value": values}]);
            let conditions = parse_search(Some(&search)).unwrap();
            store.list(&conditions, 100, 1)["list"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["customerName"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            names("gte", json!(["2024-02-01 08:00:00"])),
            ["b", "c", "d"]
        );
        assert_eq!(names("gt", json!(["2024-02-01 08:00:00"])), ["d"]);
        assert_eq!(names("lt", json!(["2024-02-01 08:00:00"])), ["a"]);
        assert_eq!(
            names(
                "between",
                json!(["2024-01-31 23:59:59", "2024-02-01 08:00:00"])
            ),
            ["a", "b", "c"]
        );
        assert_eq!(names("eq", json!(["2024-02-01 08:00:00"])), ["b", "c"]);
    }

    #[test]
    fn the_mock_reads_only_the_documented_time_form() {
        assert!(parse_time("2023-06-26 23:18:43").is_some());
        for odd in [
            "2023-06-26 23:18:43.000",
            "2023-06-26T23:18:43",
            "2023-06-26",
            "2023-02-30 00:00:00",
            "",
        ] {
            assert_eq!(parse_time(odd), None, "{odd}");
        }
    }
}
