//! The mock's records: one table per object API name, system fields, wire-form normalisation,
//! master–detail links, the catalogue of known objects and the sample data.

use std::collections::BTreeMap;

use chrono::DateTime;
use crm_mock::CHINA_TIME;
use serde_json::{Map, Value, json};

use super::ApiFail;
use super::index::IdIndex;

/// Fields the server owns: an update never changes them (`owner` only through changeOwner).
const IMMUTABLE_ON_UPDATE: &[&str] = &[
    "_id",
    "dataObjectApiName",
    "object_describe_api_name",
    "object_describe_id",
    "owner",
    "created_by",
    "create_time",
    "last_modified_by",
    "last_modified_time",
    "life_status",
    "is_deleted",
    "lock_status",
    "version",
];

/// Integer fields that stay JSON numbers.
const NUMERIC_FIELDS: &[&str] = &["version", "total_num"];

/// Employee fields: always lists.
const EMPLOYEE_FIELDS: &[&str] = &["owner", "created_by", "last_modified_by"];

/// Prefix of generated ids (a plausible ObjectId timestamp; the rest is a counter).
const ID_PREFIX: u32 = 0x5a99_22dd;

/// Whether `field` holds a date (epoch ms): the two system times, every field of a known object
/// typed date/date_time/time, and every field whose name (before a `__c` suffix) ends in
/// `time` or `date`.
pub(crate) fn is_date_field(api_name: &str, field: &str) -> bool {
    if let Some(def) =
        object_def(api_name).and_then(|o| o.fields.iter().find(|f| f.api_name == field))
    {
        return matches!(def.ty, "date" | "date_time" | "time");
    }
    let stem = field.strip_suffix("__c").unwrap_or(field);
    stem.ends_with("time") || stem.ends_with("date")
}

/// Brings the values of `record` to the wire form the API answers with: numbers become strings
/// (except dates, `version` and `total_num`), dates become epoch-ms numbers when sent as
/// numeric strings, a single employee id becomes a list, `null` values are dropped.
pub(crate) fn normalize(api_name: &str, record: &mut Map<String, Value>) {
    record.retain(|_, v| !v.is_null());
    for (field, value) in record.iter_mut() {
        if EMPLOYEE_FIELDS.contains(&field.as_str()) {
            if let Value::String(s) = value {
                *value = Value::Array(vec![Value::String(std::mem::take(s))]);
            }
            continue;
        }
        if NUMERIC_FIELDS.contains(&field.as_str()) {
            continue;
        }
        if is_date_field(api_name, field) {
            if let Value::String(s) = value
                && let Ok(ms) = s.trim().parse::<i64>()
            {
                *value = Value::from(ms);
            }
            continue;
        }
        if let Value::Number(n) = value {
            *value = Value::String(n.to_string());
        }
    }
}

/// The detail-to-master link field: `PaymentObj` → `payment_id`, `GoodsReceivedNoteObj` →
/// `goods_received_note_id`, custom `object_x__c` → `object_x_id__c`.
pub(crate) fn link_field(master_api_name: &str) -> String {
    if let Some(stem) = master_api_name.strip_suffix("__c") {
        return format!("{stem}_id__c");
    }
    let stem = master_api_name
        .strip_suffix("Obj")
        .unwrap_or(master_api_name);
    let mut out = String::with_capacity(stem.len() + 4);
    for (i, c) in stem.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out.push_str("_id");
    out
}

/// `yyyyMMdd` of epoch ms in China time.
fn china_day(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&CHINA_TIME).format("%Y%m%d").to_string())
        .unwrap_or_else(|| "19700101".to_owned())
}

fn str_list(values: &[&str]) -> Value {
    Value::Array(
        values
            .iter()
            .map(|v| Value::String((*v).to_owned()))
            .collect(),
    )
}

fn is_nonempty_list(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Array(a)) if !a.is_empty())
}

fn version_of(record: &Map<String, Value>) -> i64 {
    match record.get("version") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

/// How a new record came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Through the API: system fields are the server's, except `create_time` / `created_by`
    /// when the flags allow them.
    Api {
        honor_time: bool,
        honor_created_by: bool,
    },
    /// Through [`super::MockFxiaoke::insert`]: given values win, missing ones are filled in.
    Backdoor,
}

/// Who and when for a write.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stamp<'a> {
    pub(crate) now_ms: i64,
    pub(crate) user: &'a str,
}

/// One object's records, by `_id`, each kept as its JSON text (see [`IdIndex`]).
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) records: IdIndex,
    name_seq: u64,
}

/// A stored record's JSON text as a map. The text was written by [`encode`], so it always
/// parses; a text that did not would read as no record rather than panic.
pub(crate) fn decode(text: &str) -> Option<Map<String, Value>> {
    serde_json::from_str(text).ok()
}

/// The compact form of a record: its JSON text.
fn encode(record: &Map<String, Value>) -> Box<str> {
    // Serialising a map of JSON values cannot fail (its keys are strings).
    serde_json::to_string(record)
        .unwrap_or_default()
        .into_boxed_str()
}

/// Every record of the mock.
#[derive(Debug, Default)]
pub(crate) struct Store {
    tables: BTreeMap<String, Table>,
    next_id: u64,
    /// Master `(api, id)` → its details `(api, id)`.
    links: BTreeMap<(String, String), Vec<(String, String)>>,
    /// Objects defined by tests, as `describe` answers them (see `describe.rs`).
    pub(crate) defined: BTreeMap<String, Value>,
}

impl Store {
    fn new_id(&mut self) -> String {
        loop {
            self.next_id += 1;
            let id = format!("{ID_PREFIX:08x}{:016x}", self.next_id);
            if !self.tables.values().any(|t| t.records.contains(&id)) {
                return id;
            }
        }
    }

    /// The API names that have (or had) records.
    pub(crate) fn api_names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// Whether `api_name` has a table.
    pub(crate) fn has_object(&self, api_name: &str) -> bool {
        self.tables.contains_key(api_name)
    }

    /// The table of `api_name`, if it has one.
    pub(crate) fn table(&self, api_name: &str) -> Option<&Table> {
        self.tables.get(api_name)
    }

    /// The records of `api_name` by `_id`, each parsed from its JSON text.
    pub(crate) fn iter(&self, api_name: &str) -> impl Iterator<Item = Map<String, Value>> {
        self.tables
            .get(api_name)
            .into_iter()
            .flat_map(|t| t.records.iter())
            .filter_map(|(_, text)| decode(text))
    }

    /// The `_id`s of `api_name`, ascending (no record is parsed).
    pub(crate) fn ids(&self, api_name: &str) -> Vec<String> {
        self.tables
            .get(api_name)
            .into_iter()
            .flat_map(|t| t.records.iter())
            .map(|(id, _)| id.to_owned())
            .collect()
    }

    /// The number of records of `api_name` and the total size of their JSON texts in bytes.
    pub(crate) fn size(&self, api_name: &str) -> (usize, usize) {
        self.tables
            .get(api_name)
            .map_or((0, 0), |t| (t.records.len(), t.records.text_bytes()))
    }

    /// Copies of the records of `api_name`, by `_id`.
    pub(crate) fn records(&self, api_name: &str) -> Vec<Map<String, Value>> {
        self.iter(api_name).collect()
    }

    /// One record (a copy).
    pub(crate) fn get(&self, api_name: &str, id: &str) -> Option<Map<String, Value>> {
        decode(self.tables.get(api_name)?.records.get(id)?)
    }

    /// Whether the record exists (nothing is parsed).
    pub(crate) fn contains(&self, api_name: &str, id: &str) -> bool {
        self.tables
            .get(api_name)
            .is_some_and(|t| t.records.contains(id))
    }

    /// Changes a stored record through `edit`; `false` if there is no such record.
    fn modify(
        &mut self,
        api_name: &str,
        id: &str,
        edit: impl FnOnce(&mut Map<String, Value>),
    ) -> bool {
        let Some(table) = self.tables.get_mut(api_name) else {
            return false;
        };
        let Some(mut record) = table.records.get(id).and_then(decode) else {
            return false;
        };
        edit(&mut record);
        table.records.insert(id, encode(&record));
        true
    }

    /// Creates a record; returns its `_id`. Fails only for an API create with an `_id` that
    /// exists already.
    pub(crate) fn create(
        &mut self,
        api_name: &str,
        mut record: Map<String, Value>,
        stamp: Stamp<'_>,
        origin: Origin,
    ) -> Result<String, ApiFail> {
        self.normalize(api_name, &mut record);
        record.remove("dataObjectApiName");
        let backdoor = origin == Origin::Backdoor;
        let (honor_time, honor_created_by) = match origin {
            Origin::Api {
                honor_time,
                honor_created_by,
            } => (honor_time, honor_created_by),
            Origin::Backdoor => (true, true),
        };

        let given_id = match record.get("_id") {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            _ => None,
        };
        let id = match given_id {
            Some(id) if !backdoor && self.contains(api_name, &id) => {
                return Err(ApiFail::business(
                    format!("数据已存在: {api_name} {id}"),
                    "a record with this _id exists already",
                ));
            }
            Some(id) => id,
            None => self.new_id(),
        };

        let now = stamp.now_ms;
        let create_time = match record.get("create_time") {
            Some(Value::Number(n)) if honor_time => n.as_i64().unwrap_or(now),
            _ => now,
        };
        let user = str_list(&[stamp.user]);
        let created_by = match record.get("created_by") {
            Some(v) if honor_created_by && is_nonempty_list(Some(v)) => v.clone(),
            _ => user.clone(),
        };
        let last_modified_time = match record.get("last_modified_time") {
            Some(Value::Number(n)) if backdoor => n.as_i64().unwrap_or(create_time),
            _ if backdoor => create_time,
            _ => now.max(create_time),
        };
        let last_modified_by = match record.get("last_modified_by") {
            Some(v) if backdoor && is_nonempty_list(Some(v)) => v.clone(),
            _ if backdoor => created_by.clone(),
            _ => user.clone(),
        };
        if !is_nonempty_list(record.get("owner")) {
            record.insert("owner".into(), user);
        }
        let life_status = match record.get("life_status") {
            Some(Value::String(s)) if backdoor && !s.is_empty() => s.clone(),
            _ => "normal".to_owned(),
        };
        let is_deleted = match record.get("is_deleted") {
            Some(Value::Bool(b)) if backdoor => *b,
            _ => life_status == "invalid",
        };
        let lock_status = match record.get("lock_status") {
            Some(Value::String(s)) if backdoor && !s.is_empty() => s.clone(),
            _ => "0".to_owned(),
        };
        let version = match record.get("version") {
            Some(v @ Value::Number(_)) if backdoor => v.clone(),
            _ => Value::from(1),
        };

        record.insert("_id".into(), Value::String(id.clone()));
        record.insert("create_time".into(), Value::from(create_time));
        record.insert("created_by".into(), created_by);
        record.insert("last_modified_time".into(), Value::from(last_modified_time));
        record.insert("last_modified_by".into(), last_modified_by);
        record.insert("life_status".into(), Value::String(life_status));
        record.insert("is_deleted".into(), Value::Bool(is_deleted));
        record.insert("lock_status".into(), Value::String(lock_status));
        record.insert("version".into(), version);
        record.insert(
            "object_describe_api_name".into(),
            Value::String(api_name.to_owned()),
        );
        if !matches!(record.get("record_type"), Some(Value::String(s)) if !s.is_empty()) {
            record.insert("record_type".into(), Value::String("default__c".into()));
        }

        let table = self.tables.entry(api_name.to_owned()).or_default();
        if !matches!(record.get("name"), Some(Value::String(s)) if !s.is_empty()) {
            table.name_seq += 1;
            let name = format!("{}-{:06}", china_day(create_time), table.name_seq);
            record.insert("name".into(), Value::String(name));
        }
        table.records.insert(&id, encode(&record));
        Ok(id)
    }

    /// [`create`](Self::create) through the back door: never fails.
    pub(crate) fn insert_backdoor(
        &mut self,
        api_name: &str,
        record: Map<String, Value>,
        now_ms: i64,
        user: &str,
    ) -> String {
        let stamp = Stamp { now_ms, user };
        // Never fails: the back door replaces existing ids instead of refusing them.
        self.create(api_name, record, stamp, Origin::Backdoor)
            .unwrap_or_default()
    }

    /// Creates a detail record of `master`, linked by [`link_field`]; it inherits the master's
    /// owner unless it has one.
    pub(crate) fn create_detail(
        &mut self,
        master_api: &str,
        master_id: &str,
        detail_api: &str,
        mut record: Map<String, Value>,
        stamp: Stamp<'_>,
        origin: Origin,
    ) -> Result<String, ApiFail> {
        let link = link_field(master_api);
        record
            .entry(link)
            .or_insert_with(|| Value::String(master_id.to_owned()));
        if !is_nonempty_list(record.get("owner"))
            && let Some(owner) = self
                .get(master_api, master_id)
                .and_then(|mut m| m.remove("owner"))
        {
            record.insert("owner".into(), owner);
        }
        let id = self.create(detail_api, record, stamp, origin)?;
        self.links
            .entry((master_api.to_owned(), master_id.to_owned()))
            .or_default()
            .push((detail_api.to_owned(), id.clone()));
        Ok(id)
    }

    /// Merges `fields` into an existing record (system fields and `owner` ignored) and bumps
    /// it. `false` if there is no such record.
    pub(crate) fn update(
        &mut self,
        api_name: &str,
        id: &str,
        mut fields: Map<String, Value>,
        stamp: Stamp<'_>,
    ) -> bool {
        // Nulls clear fields: remember them before normalisation drops them.
        let cleared: Vec<String> = fields
            .iter()
            .filter(|(k, v)| v.is_null() && !IMMUTABLE_ON_UPDATE.contains(&k.as_str()))
            .map(|(k, _)| k.clone())
            .collect();
        self.normalize(api_name, &mut fields);
        self.modify(api_name, id, |record| {
            for field in cleared {
                record.remove(&field);
            }
            for (k, v) in fields {
                if !IMMUTABLE_ON_UPDATE.contains(&k.as_str()) {
                    record.insert(k, v);
                }
            }
            touch(record, stamp);
        })
    }

    /// Sets fields the server owns (life status, owner) and bumps the record.
    pub(crate) fn set_system(
        &mut self,
        api_name: &str,
        id: &str,
        fields: &[(&str, Value)],
        stamp: Stamp<'_>,
    ) -> bool {
        self.modify(api_name, id, |record| {
            for (k, v) in fields {
                record.insert((*k).to_owned(), v.clone());
            }
            touch(record, stamp);
        })
    }

    /// A record and its existing details (one level), the record first.
    pub(crate) fn family(&self, api_name: &str, id: &str) -> Vec<(String, String)> {
        let mut out = vec![(api_name.to_owned(), id.to_owned())];
        if let Some(details) = self.links.get(&(api_name.to_owned(), id.to_owned())) {
            out.extend(details.iter().filter(|(a, i)| self.contains(a, i)).cloned());
        }
        out
    }

    /// Removes a record and its links. `false` if there is no such record.
    pub(crate) fn remove(&mut self, api_name: &str, id: &str) -> bool {
        let removed = self
            .tables
            .get_mut(api_name)
            .and_then(|t| t.records.remove(id))
            .is_some();
        self.links.remove(&(api_name.to_owned(), id.to_owned()));
        removed
    }

    /// Seeds the deterministic sample data of
    /// [`MockFxiaoke::start_with_sample_data`](super::MockFxiaoke::start_with_sample_data).
    pub(crate) fn seed_samples(&mut self, n: usize, owners: &[&str]) {
        const BASE_TIME: i64 = 1_519_985_373_616; // 2018-03-02 18:09:33.616 +08:00
        const DAY: i64 = 86_400_000;
        const PAYMENT_DAY: i64 = 1_517_328_000_000; // 2018-01-31 00:00 +08:00
        let owner = |i: usize| {
            owners
                .get(i % owners.len().max(1))
                .copied()
                .unwrap_or("FSUID_MOCK")
        };
        let admin = owner(0);
        for i in 0..n {
            let create_time = BASE_TIME + (i as i64) * 3_600_000;
            let cents = ((i as i64 * 7919) % 100_000) + 100;
            let account = i % 5;
            let lines = 1 + i % 3;
            let term = ["1", "2", "3"][i % 3];
            let master = json!({
                "account_id": format!("2d58af2dbb4d4ecd931e80ef18{account:06x}"),
                "account_id__r": format!("样例客户{}", account + 1),
                "payment_amount": format!("{}.{:02}", cents / 100, cents % 100),
                "payment_time": PAYMENT_DAY + (i as i64 % 60) * DAY,
                "notification_time": PAYMENT_DAY - DAY + (i as i64 % 60) * DAY,
                "payment_term": term,
                "remark": format!("样例回款 #{}", i + 1),
                "attachment": [],
                "record_type": "default__c",
                "owner": [owner(i)],
                "owner_department": "董事会",
                "create_time": create_time,
                "last_modified_time": create_time,
            });
            let stamp = Stamp {
                now_ms: create_time,
                user: admin,
            };
            let Value::Object(master) = master else {
                continue;
            };
            let Ok(master_id) = self.create("PaymentObj", master, stamp, Origin::Backdoor) else {
                continue;
            };
            let per_line = cents / lines as i64;
            for j in 0..lines {
                let line_cents = if j + 1 == lines {
                    cents - per_line * (lines as i64 - 1)
                } else {
                    per_line
                };
                let detail = json!({
                    "order_id": format!("974789b4d13040fcbb9d0ae35c{:06x}", i * 3 + j),
                    "payment_amount": format!("{}.{:02}", line_cents / 100, line_cents % 100),
                    "remark": format!("样例回款 #{} 明细 {}", i + 1, j + 1),
                    "attachment": [],
                    "record_type": "default__c",
                    "create_time": create_time,
                    "last_modified_time": create_time,
                });
                if let Value::Object(detail) = detail {
                    let _ = self.create_detail(
                        "PaymentObj",
                        &master_id,
                        "OrderPaymentObj",
                        detail,
                        stamp,
                        Origin::Backdoor,
                    );
                }
            }
        }
        for k in 0..3_i64 {
            let create_time = BASE_TIME + k * DAY;
            let stamp = Stamp {
                now_ms: create_time,
                user: admin,
            };
            let note = json!({
                "goods_received_date": 1_520_438_400_000_i64 + k * DAY,
                "warehouse_id": "5ab9e468830bdbc390daebb7",
                "goods_received_type": "1",
                "remark": format!("样例入库单 #{}", k + 1),
                "owner": [owner(k as usize)],
                "create_time": create_time,
                "last_modified_time": create_time,
            });
            let Value::Object(note) = note else { continue };
            let Ok(note_id) = self.create("GoodsReceivedNoteObj", note, stamp, Origin::Backdoor)
            else {
                continue;
            };
            for j in 0..2_i64 {
                let line = json!({
                    "product_id": format!("a86b57c8065140d1ae29226796{:06x}", k * 2 + j),
                    "unit": "只",
                    "goods_received_amount": format!("{}", (k + 1) * 10 + j),
                    "remark": format!("样例入库 #{} 产品 {}", k + 1, j + 1),
                    "create_time": create_time,
                    "last_modified_time": create_time,
                });
                if let Value::Object(line) = line {
                    let _ = self.create_detail(
                        "GoodsReceivedNoteObj",
                        &note_id,
                        "GoodsReceivedNoteProductObj",
                        line,
                        stamp,
                        Origin::Backdoor,
                    );
                }
            }
        }
    }
}

/// Bumps `version`, `last_modified_time` (strictly increasing) and `last_modified_by`.
fn touch(record: &mut Map<String, Value>, stamp: Stamp<'_>) {
    let version = version_of(record).saturating_add(1);
    record.insert("version".into(), Value::from(version));
    let previous = record
        .get("last_modified_time")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    record.insert(
        "last_modified_time".into(),
        Value::from(stamp.now_ms.max(previous.saturating_add(1))),
    );
    record.insert("last_modified_by".into(), str_list(&[stamp.user]));
}

/// One field of a known object.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldDef {
    pub(crate) api_name: &'static str,
    pub(crate) ty: &'static str,
    pub(crate) label: &'static str,
    pub(crate) required: bool,
}

/// An object the mock knows without records.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ObjectDef {
    pub(crate) api_name: &'static str,
    pub(crate) display_name: &'static str,
    pub(crate) fields: &'static [FieldDef],
}

const fn field(
    api_name: &'static str,
    ty: &'static str,
    label: &'static str,
    required: bool,
) -> FieldDef {
    FieldDef {
        api_name,
        ty,
        label,
        required,
    }
}

/// Fields every object has.
pub(crate) const SYSTEM_FIELDS: &[FieldDef] = &[
    field("_id", "text", "数据ID", false),
    field("name", "auto_number", "编号", false),
    field("owner", "employee", "负责人", true),
    field("owner_department", "text", "负责人主属部门", false),
    field("created_by", "employee", "创建人", false),
    field("last_modified_by", "employee", "最后修改人", false),
    field("create_time", "date_time", "创建时间", false),
    field("last_modified_time", "date_time", "最后修改时间", false),
    field("life_status", "select_one", "生命状态", false),
    field("lock_status", "select_one", "锁定状态", false),
    field("is_deleted", "true_or_false", "是否作废", false),
    field("record_type", "record_type", "业务类型", true),
    field("version", "number", "版本", false),
    field("object_describe_api_name", "text", "对象描述", false),
];

/// The four objects of the document's examples.
pub(crate) const PRESET_OBJECTS: &[ObjectDef] = &[
    ObjectDef {
        api_name: "PaymentObj",
        display_name: "回款",
        fields: &[
            field("account_id", "object_reference", "客户名称", true),
            field("payment_amount", "currency", "回款金额", false),
            field("payment_time", "date", "回款日期", true),
            field("payment_term", "select_one", "回款方式", false),
            field("notification_time", "date", "通知日期", false),
            field("attachment", "file_attachment", "附件", false),
            field("remark", "long_text", "备注", false),
            field("order_id", "text", "订单编号", false),
            field("order_data_id", "text", "订单ID", false),
            field("total_num", "number", "总数", false),
        ],
    },
    ObjectDef {
        api_name: "OrderPaymentObj",
        display_name: "回款明细",
        fields: &[
            field("payment_id", "master_detail", "回款", true),
            field("order_id", "object_reference", "销售订单", true),
            field("payment_amount", "currency", "本次回款金额", true),
            field("attachment", "file_attachment", "附件", false),
            field("remark", "long_text", "备注", false),
        ],
    },
    ObjectDef {
        api_name: "GoodsReceivedNoteObj",
        display_name: "入库单",
        fields: &[
            field("goods_received_date", "date", "入库日期", true),
            field("warehouse_id", "object_reference", "仓库", true),
            field("goods_received_type", "select_one", "入库类型", true),
            field("remark", "long_text", "备注", false),
        ],
    },
    ObjectDef {
        api_name: "GoodsReceivedNoteProductObj",
        display_name: "入库单产品",
        fields: &[
            field("goods_received_note_id", "master_detail", "入库单", true),
            field("product_id", "object_reference", "产品名称", true),
            field("unit", "text", "单位", false),
            field("goods_received_amount", "number", "入库数量", true),
            field("remark", "long_text", "备注", false),
        ],
    },
];

/// A known object.
pub(crate) fn object_def(api_name: &str) -> Option<&'static ObjectDef> {
    PRESET_OBJECTS.iter().find(|o| o.api_name == api_name)
}

/// The describe type of a field seen only in records, from its values.
pub(crate) fn infer_type(api_name: &str, field: &str, value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "true_or_false",
        Value::Number(_) if is_date_field(api_name, field) => "date_time",
        Value::Number(_) => "number",
        Value::Array(items) => {
            if items.iter().any(Value::is_object) {
                "file_attachment"
            } else if items
                .iter()
                .any(|v| v.as_str().is_some_and(|s| s.starts_with("FSUID_")))
            {
                "employee"
            } else {
                "select_many"
            }
        }
        Value::Object(_) => "group",
        Value::String(s)
            if field.ends_with("_id")
                && s.len() >= 24
                && s.chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            "object_reference"
        }
        _ => "text",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    const STAMP: Stamp<'static> = Stamp {
        now_ms: 1_700_000_000_000,
        user: "FSUID_A",
    };
    const API: Origin = Origin::Api {
        honor_time: false,
        honor_created_by: false,
    };

    /// Generated names carry the China (UTC+8) day: it turns at 16:00 UTC.
    #[test]
    fn china_days_turn_at_16_utc() {
        // 2023-11-14 15:59:59.999 UTC and 16:00:00.000 UTC.
        assert_eq!(china_day(1_699_977_599_999), "20231114");
        assert_eq!(china_day(1_699_977_600_000), "20231115");
        assert_eq!(china_day(0), "19700101");
        assert_eq!(china_day(-28_800_001), "19691231");
        assert_eq!(china_day(i64::MAX), "19700101", "out of range");
    }

    #[test]
    fn link_fields() {
        assert_eq!(link_field("PaymentObj"), "payment_id");
        assert_eq!(link_field("GoodsReceivedNoteObj"), "goods_received_note_id");
        assert_eq!(link_field("AccountObj"), "account_id");
        assert_eq!(link_field("object_x__c"), "object_x_id__c");
    }

    #[test]
    fn dates_and_numbers() {
        assert!(is_date_field("PaymentObj", "payment_time"));
        assert!(is_date_field("PaymentObj", "create_time"));
        assert!(is_date_field("Foo__c", "visit_date__c"));
        assert!(!is_date_field("PaymentObj", "payment_amount"));
        let mut r = map(json!({
            "payment_amount": 1, "goods_received_amount": 2.5, "payment_time": "1517328000000",
            "owner": "FSUID_X", "version": 3, "flag__c": true, "gone": null, "amount__c": 7
        }));
        normalize("PaymentObj", &mut r);
        assert_eq!(r["payment_amount"], json!("1"));
        assert_eq!(r["goods_received_amount"], json!("2.5"));
        assert_eq!(r["payment_time"], json!(1_517_328_000_000_i64));
        assert_eq!(r["owner"], json!(["FSUID_X"]));
        assert_eq!(r["version"], json!(3));
        assert_eq!(r["flag__c"], json!(true));
        assert_eq!(r["amount__c"], json!("7"));
        assert!(!r.contains_key("gone"));
    }

    #[test]
    fn create_sets_system_fields() {
        let mut store = Store::default();
        let id = store
            .create(
                "PaymentObj",
                map(json!({"dataObjectApiName": "PaymentObj", "payment_amount": 1, "life_status": "invalid",
                    "create_time": 5, "created_by": ["FSUID_B"], "custom__c": "x"})),
                STAMP,
                API,
            )
            .unwrap();
        assert_eq!(id.len(), 24);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        let r = store.get("PaymentObj", &id).unwrap();
        assert_eq!(r["payment_amount"], json!("1"));
        assert_eq!(r["life_status"], json!("normal"));
        assert_eq!(r["is_deleted"], json!(false));
        assert_eq!(r["lock_status"], json!("0"));
        assert_eq!(r["create_time"], json!(STAMP.now_ms));
        assert_eq!(r["created_by"], json!(["FSUID_A"]));
        assert_eq!(r["owner"], json!(["FSUID_A"]));
        assert_eq!(r["record_type"], json!("default__c"));
        assert_eq!(r["object_describe_api_name"], json!("PaymentObj"));
        assert_eq!(r["name"], json!("20231115-000001"));
        assert_eq!(r["custom__c"], json!("x"));
        assert_eq!(r["version"], json!(1));
        assert!(!r.contains_key("dataObjectApiName"));

        let honored = store
            .create(
                "PaymentObj",
                map(json!({"create_time": 5, "created_by": ["FSUID_B"]})),
                STAMP,
                Origin::Api {
                    honor_time: true,
                    honor_created_by: true,
                },
            )
            .unwrap();
        let r = store.get("PaymentObj", &honored).unwrap();
        assert_eq!(r["create_time"], json!(5));
        assert_eq!(r["created_by"], json!(["FSUID_B"]));
        assert_eq!(r["name"], json!("19700101-000002"));
        assert!(id < honored);

        let dup = store.create("PaymentObj", map(json!({"_id": id})), STAMP, API);
        assert_eq!(dup.unwrap_err().code, super::super::BUSINESS_ERROR);
    }

    #[test]
    fn update_ignores_owner_and_system_fields() {
        let mut store = Store::default();
        let id = store
            .create(
                "PaymentObj",
                map(json!({"remark": "a", "x__c": 1})),
                STAMP,
                API,
            )
            .unwrap();
        let later = Stamp {
            now_ms: STAMP.now_ms,
            user: "FSUID_B",
        };
        assert!(store.update(
            "PaymentObj",
            &id,
            map(json!({"remark": "b", "owner": ["FSUID_Z"], "life_status": "invalid", "version": "9", "x__c": null, "payment_amount": 2})),
            later
        ));
        let r = store.get("PaymentObj", &id).unwrap();
        assert_eq!(r["remark"], json!("b"));
        assert_eq!(r["owner"], json!(["FSUID_A"]));
        assert_eq!(r["life_status"], json!("normal"));
        assert_eq!(r["version"], json!(2));
        assert_eq!(r["payment_amount"], json!("2"));
        assert_eq!(r["last_modified_by"], json!(["FSUID_B"]));
        assert_eq!(r["last_modified_time"], json!(STAMP.now_ms + 1));
        assert!(!r.contains_key("x__c"));
        assert!(!store.update("PaymentObj", "nope", Map::new(), later));
    }

    #[test]
    fn details_link_and_cascade() {
        let mut store = Store::default();
        let m = store
            .create("PaymentObj", map(json!({"owner": ["FSUID_O"]})), STAMP, API)
            .unwrap();
        let d = store
            .create_detail(
                "PaymentObj",
                &m,
                "OrderPaymentObj",
                map(json!({"payment_amount": "1"})),
                STAMP,
                API,
            )
            .unwrap();
        let detail = store.get("OrderPaymentObj", &d).unwrap();
        assert_eq!(detail["payment_id"], json!(m));
        assert_eq!(detail["owner"], json!(["FSUID_O"]));
        assert_eq!(store.family("PaymentObj", &m).len(), 2);
        assert!(store.remove("OrderPaymentObj", &d));
        assert_eq!(store.family("PaymentObj", &m).len(), 1);
    }

    #[test]
    fn backdoor_keeps_given_values() {
        let mut store = Store::default();
        let id = store.insert_backdoor(
            "Foo__c",
            map(json!({"_id": "abc", "life_status": "invalid", "create_time": 7, "name": "n"})),
            STAMP.now_ms,
            "FSUID_A",
        );
        assert_eq!(id, "abc");
        let r = store.get("Foo__c", "abc").unwrap();
        assert_eq!(r["life_status"], json!("invalid"));
        assert_eq!(r["is_deleted"], json!(true));
        assert_eq!(r["create_time"], json!(7));
        assert_eq!(r["last_modified_time"], json!(7));
        assert_eq!(r["name"], json!("n"));
        // Replaces.
        store.insert_backdoor(
            "Foo__c",
            map(json!({"_id": "abc"})),
            STAMP.now_ms,
            "FSUID_A",
        );
        assert_eq!(store.records("Foo__c").len(), 1);
    }

    #[test]
    fn samples_are_deterministic() {
        let mut a = Store::default();
        a.seed_samples(7, &["FSUID_A", "FSUID_B"]);
        let mut b = Store::default();
        b.seed_samples(7, &["FSUID_A", "FSUID_B"]);
        assert_eq!(a.records("PaymentObj"), b.records("PaymentObj"));
        assert_eq!(a.records("PaymentObj").len(), 7);
        assert_eq!(
            a.records("OrderPaymentObj").len(),
            1 + 2 + 3 + 1 + 2 + 3 + 1
        );
        assert_eq!(a.records("GoodsReceivedNoteObj").len(), 3);
        assert_eq!(a.records("GoodsReceivedNoteProductObj").len(), 6);
        let first = &a.records("PaymentObj")[0];
        assert_eq!(first["name"], json!("20180302-000001"));
        assert_eq!(first["payment_amount"], json!("1.00"));
        assert!(first["payment_time"].is_i64());
        // The lines of a payment add up to it.
        let third = &a.records("PaymentObj")[2];
        let total: i64 = a
            .records("OrderPaymentObj")
            .iter()
            .filter(|d| d["payment_id"] == third["_id"])
            .map(|d| {
                let s = d["payment_amount"].as_str().unwrap().replace('.', "");
                s.parse::<i64>().unwrap()
            })
            .sum();
        assert_eq!(
            total,
            third["payment_amount"]
                .as_str()
                .unwrap()
                .replace('.', "")
                .parse::<i64>()
                .unwrap()
        );
    }
}
