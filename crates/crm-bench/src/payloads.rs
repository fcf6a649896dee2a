//! Deterministic, realistic response pages of the three vendors, in their wire form: the same
//! arguments always give the same bytes.
//!
//! - Fxiaoke: `PaymentObj` records as the V2 query returns them (numbers and amounts as strings,
//!   dates as epoch milliseconds, employee fields as lists) with six `field_xxxxx__c` custom
//!   fields each (text, text, number as string, select, multi-select, boolean).
//! - useasy: customers as `list` returns them (China-time date strings, `{value, memo}` lists)
//!   with the three custom fields of the mock's field configuration.
//! - U8: the mock's own sample contacts ([`u8_contacts_mock::sample_contacts`]) in a
//!   `batch_get` page, every value a string.

use serde_json::{Map, Value, json};

/// The API name of the exported fxiaoke object.
pub const FXIAOKE_OBJECT: &str = "PaymentObj";

/// The custom fields of every fxiaoke record.
pub const FXIAOKE_CUSTOM_FIELDS: [&str; 6] = [
    "field_2kQ7m__c",
    "field_Xa91c__c",
    "field_p3Lr8__c",
    "field_7vBn2__c",
    "field_M0dq5__c",
    "field_e8Hs4__c",
];

const COMPANIES: &[&str] = &[
    "杭州西湖数码科技有限公司",
    "天津鹏程电子有限公司",
    "云飞电子科技集团",
    "北京华远机械制造有限公司",
    "上海东方商贸有限公司",
    "深圳鑫达通讯设备有限公司",
    "广州南粤物流有限公司",
    "成都天府软件园发展有限公司",
    "苏州工业园区精密仪器有限公司",
    "武汉长江航运服务有限公司",
    "南京紫金山医疗器械股份有限公司",
];

const DEPARTMENTS: &[&str] = &[
    "华东大区销售部",
    "华北大区销售部",
    "董事会",
    "大客户部",
    "渠道合作部",
];

const REMARKS: &[&str] = &[
    "首付款，按合同约定分三期支付",
    "尾款，验收合格后十个工作日内到账",
    "二期款项，已开具增值税专用发票",
    "预付款，客户要求加急发货",
    "质保金，一年质保期满后退还",
];

const PROJECTS: &[&str] = &[
    "智慧园区二期改造项目",
    "华东仓储物流系统升级",
    "年度设备维保服务合同",
    "门店收银系统替换项目",
    "生产线自动化改造（一期）",
];

const OWNERS: &[&str] = &[
    "FSUID_0253C6D7FC0E3A2CBB19F336CE000001",
    "FSUID_7B8A3925E40FA68630C0D7E9C3000002",
    "FSUID_1C9D4E5F60718293A4B5C6D7E8000003",
];

fn pick<T: Copy>(items: &[T], i: usize) -> T {
    items[i % items.len()]
}

/// The `_id` of the `i`-th fxiaoke record (0-based): 24 hex digits, increasing with `i`, in the
/// mock's own id format.
pub fn fxiaoke_id(i: usize) -> String {
    format!("5a9922dd{:016x}", i + 1)
}

/// The index of a record id made by [`fxiaoke_id`] (`None` for any other string).
pub fn fxiaoke_index(id: &str) -> Option<usize> {
    let hex = id.strip_prefix("5a9922dd")?;
    let n = u64::from_str_radix(hex, 16).ok()?;
    usize::try_from(n).ok()?.checked_sub(1)
}

/// The `i`-th fxiaoke `PaymentObj` record as the query API returns it (about 1.3 KB of JSON).
pub fn fxiaoke_record(i: usize) -> Map<String, Value> {
    const DAY: i64 = 86_400_000;
    const BASE: i64 = 1_709_258_400_000; // 2024-03-01 10:00 +08:00
    let n = i as i64;
    let create_time = BASE + n * 61_000;
    let modified = create_time + (n % 7) * DAY + 3_600_000;
    let payment_day = BASE - 36_000_000 + (n % 90) * DAY;
    let cents = (n * 7_919 + 12_345) % 50_000_000 + 100;
    let owner = pick(OWNERS, i);
    let attachment = if i.is_multiple_of(4) {
        json!([{ "name": "回款凭证.pdf", "path": format!("N_202403_{:08x}_pay.pdf", i) }])
    } else {
        json!([])
    };
    let record = json!({
        "_id": fxiaoke_id(i),
        "name": format!("20240301-{:06}", i + 1),
        "account_id": format!("2d58af2dbb4d4ecd931e80ef18{:06x}", i % 997),
        "account_id__r": pick(COMPANIES, i),
        "order_id": format!("974789b4d13040fcbb9d0ae35c{:06x}", i % 4099),
        "payment_amount": format!("{}.{:02}", cents / 100, cents % 100),
        "payment_time": payment_day,
        "notification_time": payment_day - DAY,
        "payment_term": pick(&["1", "2", "3"], i),
        "remark": format!("{} (第{}笔)", pick(REMARKS, i), i % 12 + 1),
        "attachment": attachment,
        "record_type": "default__c",
        "owner": [owner],
        "owner_department": pick(DEPARTMENTS, i),
        "created_by": [owner],
        "last_modified_by": [pick(OWNERS, i + 1)],
        "create_time": create_time,
        "last_modified_time": modified,
        "life_status": "normal",
        "lock_status": "0",
        "is_deleted": false,
        "version": n % 5 + 1,
        "object_describe_api_name": FXIAOKE_OBJECT,
        "object_describe_id": "5a7a8a8be4b0c4ad6a7e1f2b",
        // Six custom fields: contract number, project, rate (number as string), select,
        // multi-select, boolean.
        "field_2kQ7m__c": format!("HT-2024-{:06}", i % 100_000),
        "field_Xa91c__c": pick(PROJECTS, i),
        "field_p3Lr8__c": format!("{}.{:02}", n % 30, (n * 7) % 100),
        "field_7vBn2__c": pick(&["option1", "option2", "option3"], i),
        "field_M0dq5__c": if i.is_multiple_of(2) { json!(["option1", "option3"]) } else { json!(["option2"]) },
        "field_e8Hs4__c": i.is_multiple_of(3),
    });
    match record {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Appends [`fxiaoke_record`]`(i)` as JSON to `out`, written directly (several times faster
/// than building the map and serializing it; the synthetic server's per-record cost).
pub fn write_fxiaoke_record(i: usize, out: &mut String) {
    const DAY: i64 = 86_400_000;
    const BASE: i64 = 1_709_258_400_000;
    let n = i as i64;
    let create_time = BASE + n * 61_000;
    write_fxiaoke_record_modified(i, create_time + (n % 7) * DAY + 3_600_000, out);
}

/// [`write_fxiaoke_record`] with `last_modified_time` = `modified` (the synthetic server's
/// sync mode sets it so that the `(last_modified_time, _id)` order is the index order).
pub fn write_fxiaoke_record_modified(i: usize, modified: i64, out: &mut String) {
    use std::fmt::Write as _;
    const DAY: i64 = 86_400_000;
    const BASE: i64 = 1_709_258_400_000;
    let n = i as i64;
    let create_time = BASE + n * 61_000;
    let payment_day = BASE - 36_000_000 + (n % 90) * DAY;
    let cents = (n * 7_919 + 12_345) % 50_000_000 + 100;
    let owner = pick(OWNERS, i);
    let attachment = if i.is_multiple_of(4) {
        format!(r#"[{{"name":"回款凭证.pdf","path":"N_202403_{i:08x}_pay.pdf"}}]"#)
    } else {
        "[]".to_owned()
    };
    let multi = if i.is_multiple_of(2) {
        r#"["option1","option3"]"#
    } else {
        r#"["option2"]"#
    };
    // Every string below is free of quotes, backslashes and control characters.
    let _ = write!(
        out,
        concat!(
            r#"{{"_id":"{id}","name":"20240301-{seq:06}","#,
            r#""account_id":"2d58af2dbb4d4ecd931e80ef18{account:06x}","account_id__r":"{company}","#,
            r#""order_id":"974789b4d13040fcbb9d0ae35c{order:06x}","#,
            r#""payment_amount":"{yuan}.{fen:02}","payment_time":{payment_day},"#,
            r#""notification_time":{notification},"payment_term":"{term}","#,
            r#""remark":"{remark} (第{nth}笔)","attachment":{attachment},"#,
            r#""record_type":"default__c","owner":["{owner}"],"owner_department":"{department}","#,
            r#""created_by":["{owner}"],"last_modified_by":["{modifier}"],"#,
            r#""create_time":{create_time},"last_modified_time":{modified},"#,
            r#""life_status":"normal","lock_status":"0","is_deleted":false,"version":{version},"#,
            r#""object_describe_api_name":"PaymentObj","object_describe_id":"5a7a8a8be4b0c4ad6a7e1f2b","#,
            r#""field_2kQ7m__c":"HT-2024-{contract:06}","field_Xa91c__c":"{project}","#,
            r#""field_p3Lr8__c":"{rate_int}.{rate_frac:02}","field_7vBn2__c":"{option}","#,
            r#""field_M0dq5__c":{multi},"field_e8Hs4__c":{flag}}}"#
        ),
        id = fxiaoke_id(i),
        seq = i + 1,
        account = i % 997,
        company = pick(COMPANIES, i),
        order = i % 4099,
        yuan = cents / 100,
        fen = cents % 100,
        payment_day = payment_day,
        notification = payment_day - DAY,
        term = pick(&["1", "2", "3"], i),
        remark = pick(REMARKS, i),
        nth = i % 12 + 1,
        attachment = attachment,
        owner = owner,
        department = pick(DEPARTMENTS, i),
        modifier = pick(OWNERS, i + 1),
        create_time = create_time,
        modified = modified,
        version = n % 5 + 1,
        contract = i % 100_000,
        project = pick(PROJECTS, i),
        rate_int = n % 30,
        rate_frac = (n * 7) % 100,
        option = pick(&["option1", "option2", "option3"], i),
        multi = multi,
        flag = i.is_multiple_of(3),
    );
}

/// A fxiaoke query response (`QueryResult`) with records `start..start + n` of `total`.
pub fn fxiaoke_query_page(start: usize, n: usize, total: usize) -> Vec<u8> {
    let records: Vec<Value> = (start..start + n)
        .map(|i| Value::Object(fxiaoke_record(i)))
        .collect();
    fxiaoke_envelope(&records, start, n, total)
}

/// Wraps records into the fxiaoke query envelope.
pub fn fxiaoke_envelope(records: &[Value], offset: usize, limit: usize, total: usize) -> Vec<u8> {
    let body = json!({
        "errorCode": 0,
        "errorMessage": "OK",
        "errorDescription": "success",
        "traceId": format!("E-O.bench.{offset}"),
        "data": {
            "total": total,
            "offset": offset,
            "limit": limit,
            "dataList": records,
        },
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The `i`-th useasy customer as `list` returns it (about 0.9 KB of JSON).
pub fn useasy_customer(i: usize) -> Map<String, Value> {
    let minute = i % (60 * 24 * 28);
    let time = format!(
        "2023-{:02}-{:02} {:02}:{:02}:{:02}",
        6 + (minute / (60 * 24 * 28)) % 6,
        1 + (minute / (60 * 24)) % 28,
        (minute / 60) % 24,
        minute % 60,
        (i * 7) % 60
    );
    let owner = if i.is_multiple_of(2) { "8310" } else { "8311" };
    let mut record = json!({
        "_id": format!("{}", 662_821_403_012_902_913_u64 + i as u64),
        "accountId": "1090",
        "customerName": format!("{}（{}）", pick(COMPANIES, i), i + 1),
        "mobile": [{ "value": format!("1380000{:04}", i % 10_000), "memo": "主号" }],
        "email": [{ "value": format!("contact{}@example.com.cn", i + 1), "memo": "工作" }],
        "customerSource": [pick(&["试用申请", "官网", "转介绍"], i)],
        "owner": owner,
        "firstOwner": owner,
        "createMethod": "API",
        "createTime": time,
        "updateTime": time,
        "assignTime": time,
        "firstAssignTime": time,
        "createAgent": "openApi",
        "updateAgent": "openApi",
        "text_6ts9_1687316347239": format!("浙江省杭州市西湖区文三路{}号", i % 500 + 1),
        "select_k2m1_1687316400000": pick(&["A", "B", "C"], i),
        "cascade_r8p3_1687316500000": ["zj", "hz", "xh"],
    });
    if let Some(obj) = record.as_object_mut() {
        if i.is_multiple_of(5) {
            obj.insert("openSeaIds".into(), json!(["662821403012902912"]));
        }
        if i.is_multiple_of(3) {
            obj.insert(
                "wechat".into(),
                json!([{ "value": format!("wx_kehu{:04}", i % 10_000), "memo": "" }]),
            );
        }
    }
    match record {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A useasy `list` response (`ListCustomersResult`) with customers `0..n` of `count`.
pub fn useasy_list_page(n: usize, count: usize) -> Vec<u8> {
    let list: Vec<Value> = (0..n).map(|i| Value::Object(useasy_customer(i))).collect();
    let body = json!({
        "success": true,
        "code": "200",
        "message": "操作成功",
        "traceId": "b1f0c2d3e4a5968778695a4b3c2d1e0f",
        "data": { "count": count, "list": list },
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// A U8 `batch_get` response (`BatchGetResponse`) with the mock's sample contacts `0..n`, as
/// the mock serves it (page 1 of 10).
pub fn u8_batch_page(n: usize) -> Vec<u8> {
    use crm_runtime::LenientInt;
    let page = u8_contacts::types::BatchGetResponse {
        customercontacts: Some(u8_contacts_mock::sample_contacts(n)),
        errcode: Some("0".into()),
        errmsg: Some(String::new()),
        page_count: Some(LenientInt::new(10)),
        page_index: Some(LenientInt::new(1)),
        row_count: Some(LenientInt::new(10 * n as i64)),
        rows_per_page: Some(LenientInt::new(n as i64)),
        extra: u8_contacts::ExtraFields::new(),
    };
    serde_json::to_vec(&page).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_sort_like_indexes() {
        assert_eq!(fxiaoke_index(&fxiaoke_id(0)), Some(0));
        assert_eq!(fxiaoke_index(&fxiaoke_id(999_999)), Some(999_999));
        assert!(fxiaoke_id(9) < fxiaoke_id(10));
        assert_eq!(fxiaoke_id(0).len(), 24);
    }

    #[test]
    fn the_direct_writer_writes_the_same_records() {
        for i in [0, 1, 2, 3, 4, 5, 11, 12, 99_999, 1_000_000] {
            let mut out = String::new();
            write_fxiaoke_record(i, &mut out);
            let direct: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(direct, Value::Object(fxiaoke_record(i)), "record {i}");
        }
    }

    #[test]
    fn pages_decode_into_the_generated_types_and_keep_custom_fields() {
        let page: fxiaoke_crm::types::QueryResult =
            serde_json::from_slice(&fxiaoke_query_page(0, 100, 100)).unwrap();
        let records = page.data.unwrap().data_list.unwrap();
        assert_eq!(records.len(), 100);
        for f in FXIAOKE_CUSTOM_FIELDS {
            assert!(records[0].extra.contains_key(f), "{f}");
        }
        let page: openapi_crm::types::ListCustomersResult =
            serde_json::from_slice(&useasy_list_page(100, 100)).unwrap();
        let list = page.data.unwrap().list.unwrap();
        assert_eq!(list.len(), 100);
        assert!(list[0].extra.contains_key("text_6ts9_1687316347239"));
        let page: u8_contacts::types::BatchGetResponse =
            serde_json::from_slice(&u8_batch_page(100)).unwrap();
        assert_eq!(page.customercontacts.unwrap().len(), 100);
    }
}
