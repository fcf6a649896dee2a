//! Tests of the mock's answers: through [`handlers::handle`] (no socket) and over HTTP.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::handlers::handle;
use super::*;

const QUERY: &str = "/cgi/crm/v2/data/query";
const CREATE: &str = "/cgi/crm/v2/data/create";
const UPDATE: &str = "/cgi/crm/v2/data/update";
const GET: &str = "/cgi/crm/v2/data/get";
const TOKEN: &str = "/cgi/corpAccessToken/get/V2";

fn call(shared: &Shared, path: &str, body: &Value) -> Value {
    let answer = handle(shared, path, body.to_string().as_bytes()).expect("a served path");
    assert!(
        answer["traceId"].as_str().is_some_and(|t| !t.is_empty()),
        "{answer}"
    );
    assert!(answer["errorCode"].is_i64(), "{answer}");
    answer
}

fn code(answer: &Value) -> i64 {
    answer["errorCode"].as_i64().unwrap()
}

fn token_body(shared: &Shared) -> Value {
    let c = &shared.credentials;
    json!({"appId": c.app_id, "appSecret": c.app_secret, "permanentCode": c.permanent_code})
}

/// A mock state without quotas and a valid token.
fn setup_with(settings: MockSettings) -> (Shared, String) {
    let shared = Shared::new(settings);
    let answer = call(&shared, TOKEN, &token_body(&shared));
    assert_eq!(code(&answer), 0, "{answer}");
    let token = answer["corpAccessToken"].as_str().unwrap().to_owned();
    (shared, token)
}

fn setup() -> (Shared, String) {
    setup_with(MockSettings::without_rate_limits())
}

/// Adds the three auth keys to `body`.
fn authed(shared: &Shared, token: &str, mut body: Value) -> Value {
    body["corpAccessToken"] = json!(token);
    body["corpId"] = json!(shared.credentials.corp_id);
    body["currentOpenUserId"] = json!(shared.credentials.open_user_id);
    body
}

fn ok(shared: &Shared, token: &str, path: &str, body: Value) -> Value {
    let answer = call(shared, path, &authed(shared, token, body));
    assert_eq!(code(&answer), 0, "{path}: {answer}");
    answer
}

fn fail(shared: &Shared, token: &str, path: &str, body: Value) -> Value {
    let answer = call(shared, path, &authed(shared, token, body));
    assert_ne!(code(&answer), 0, "{path}: {answer}");
    answer
}

fn query_ids(shared: &Shared, token: &str, api: &str, info: Value) -> (i64, Vec<String>) {
    let answer = ok(
        shared,
        token,
        QUERY,
        json!({"data": {"dataObjectApiName": api, "search_query_info": info}}),
    );
    let data = &answer["data"];
    let ids = data["dataList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["_id"].as_str().unwrap().to_owned())
        .collect();
    (data["total"].as_i64().unwrap(), ids)
}

fn doc_payment_create() -> Value {
    json!({"data": {
        "object_data": {
            "dataObjectApiName": "PaymentObj", "record_type": "default__c",
            "account_id": "2d58af2dbb4d4ecd931e80ef18xxxxxx", "payment_amount": 1,
            "payment_time": 1_517_328_000_000_i64, "payment_term": "post",
            "notification_time": 1_516_982_400_000_i64,
            "owner": ["FSUID_7B8A3925E40FA68630C0D7E9C3XXXXXX"], "attachment": [], "remark": "002测试"
        },
        "details": {"OrderPaymentObj": [{
            "order_id": "974789b4d13040fcbb9d0ae35cxxxxxx", "payment_amount": "1",
            "attachment": [], "remark": "1111", "record_type": "default__c"
        }]}
    }})
}

#[test]
fn token_endpoint() {
    let shared = Shared::new(MockSettings::default());
    let answer = call(&shared, TOKEN, &token_body(&shared));
    assert_eq!(code(&answer), 0);
    assert_eq!(answer["errorMessage"], "success");
    let token = answer["corpAccessToken"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(answer["corpId"], json!(shared.credentials.corp_id));
    assert_eq!(answer["expiresIn"], 7200);
    let again = call(&shared, TOKEN, &token_body(&shared));
    assert_ne!(again["corpAccessToken"], answer["corpAccessToken"]);

    let mut body = token_body(&shared);
    body["appSecret"] = json!("wrong");
    assert_eq!(code(&call(&shared, TOKEN, &body)), 20006);
    body["appSecret"] = json!(shared.credentials.app_secret);
    body["appId"] = json!("FSAID_other");
    assert_eq!(code(&call(&shared, TOKEN, &body)), 20006);
    body["appId"] = json!(shared.credentials.app_id);
    body["permanentCode"] = json!("wrong");
    assert_eq!(code(&call(&shared, TOKEN, &body)), 20015);
    let mut body = token_body(&shared);
    body.as_object_mut().unwrap().remove("appSecret");
    let answer = call(&shared, TOKEN, &body);
    assert_eq!(code(&answer), 10006);
    assert_eq!(
        answer["errorMessage"],
        "the parameter appSecret is missing or illegal"
    );
    assert_eq!(shared.token_calls.load(Ordering::Relaxed), 6);
}

#[test]
fn token_quota() {
    let shared = Shared::new(MockSettings {
        token_rate_limit: Some((3, Duration::from_secs(60))),
        ..MockSettings::default()
    });
    for _ in 0..3 {
        assert_eq!(code(&call(&shared, TOKEN, &token_body(&shared))), 0);
    }
    let answer = call(&shared, TOKEN, &token_body(&shared));
    assert_eq!(code(&answer), 30004);
    assert_eq!(answer["errorMessage"], "访问频率超限");
    assert_eq!(shared.rate_rejections.load(Ordering::Relaxed), 1);
    assert_eq!(shared.token_calls.load(Ordering::Relaxed), 4);
}

#[test]
fn endpoint_quota_is_per_path() {
    let (shared, token) = setup_with(MockSettings {
        rate_limit: Some((3, Duration::from_secs(60))),
        ..MockSettings::default()
    });
    let query = json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {}}});
    for _ in 0..3 {
        ok(&shared, &token, QUERY, query.clone());
    }
    let answer = fail(&shared, &token, QUERY, query.clone());
    assert_eq!(code(&answer), 30004);
    // Checked before auth and before executing: nothing is created.
    let create = "/cgi/crm/v2/data/create";
    for _ in 0..3 {
        ok(&shared, &token, create, doc_payment_create());
    }
    assert_eq!(
        code(&fail(&shared, &token, create, doc_payment_create())),
        30004
    );
    assert_eq!(shared.state().store.records("PaymentObj").len(), 3);
    assert_eq!(shared.rate_rejections.load(Ordering::Relaxed), 2);
}

#[test]
fn authentication() {
    let (shared, token) = setup();
    let body = json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {}}});
    let answer = call(&shared, QUERY, &body);
    assert_eq!(code(&answer), 20017);
    assert_eq!(answer["errorMessage"], "corpAccessToken为必填项，不能为空");

    let mut wrong = authed(&shared, &token, body.clone());
    wrong["corpAccessToken"] = json!("0123456789abcdef0123456789abcdef");
    let answer = call(&shared, QUERY, &wrong);
    assert_eq!(code(&answer), 20016);
    assert_eq!(
        answer["errorMessage"],
        "the cropId,cropAccessToken or authorization is error"
    );
    wrong["corpAccessToken"] = json!(42);
    assert_eq!(code(&call(&shared, QUERY, &wrong)), 20016);

    let mut other_corp = authed(&shared, &token, body.clone());
    other_corp["corpId"] = json!("FSCID_OTHER");
    assert_eq!(code(&call(&shared, QUERY, &other_corp)), 20016);

    let mut no_user = authed(&shared, &token, body.clone());
    no_user.as_object_mut().unwrap().remove("currentOpenUserId");
    let answer = call(&shared, QUERY, &no_user);
    assert_eq!(code(&answer), 10006);
    assert_eq!(answer["errorMessage"], "currentOpenUserId 不能为空");
    no_user["currentOpenUserId"] = json!("FSUID_NOBODY");
    assert_eq!(code(&call(&shared, QUERY, &no_user)), 20012);

    ok(&shared, &token, QUERY, body.clone());
    shared.state().tokens.clear(); // what expire_tokens does
    assert_eq!(code(&fail(&shared, &token, QUERY, body)), 20016);
}

#[test]
fn tokens_expire_after_their_lifetime() {
    let (shared, token) = setup_with(MockSettings {
        token_lifetime: Duration::from_millis(30),
        ..MockSettings::without_rate_limits()
    });
    let body = json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {}}});
    ok(&shared, &token, QUERY, body.clone());
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(code(&fail(&shared, &token, QUERY, body)), 20016);
}

#[test]
fn user_by_mobile() {
    let (shared, token) = setup();
    let c = shared.credentials.clone();
    let body = json!({"corpAccessToken": token, "corpId": c.corp_id, "mobile": c.mobile});
    let answer = call(&shared, "/cgi/user/getByMobile", &body);
    assert_eq!(code(&answer), 0, "{answer}");
    assert_eq!(answer["empList"][0]["openUserId"], json!(c.open_user_id));
    assert_eq!(answer["empList"][0]["mobile"], json!(c.mobile));
    assert!(answer["empList"][0]["mainDepartmentIds"].is_array());
    let unknown = json!({"corpAccessToken": token, "corpId": c.corp_id, "mobile": "10000000000"});
    assert_eq!(
        call(&shared, "/cgi/user/getByMobile", &unknown)["empList"],
        json!([])
    );
    let missing = json!({"corpAccessToken": token, "corpId": c.corp_id});
    assert_eq!(
        code(&call(&shared, "/cgi/user/getByMobile", &missing)),
        10006
    );
}

#[test]
fn create_and_get_the_documents_payment() {
    let (shared, token) = setup();
    let answer = ok(&shared, &token, CREATE, doc_payment_create());
    assert_eq!(answer["errorMessage"], "OK");
    let id = answer["dataId"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 24);

    let got = ok(
        &shared,
        &token,
        GET,
        json!({"data": {"dataObjectApiName": "PaymentObj", "objectDataId": id}}),
    );
    let r = &got["data"];
    assert_eq!(r["_id"], json!(id));
    assert_eq!(r["payment_amount"], "1");
    assert_eq!(r["payment_time"], 1_517_328_000_000_i64);
    assert_eq!(
        r["owner"],
        json!(["FSUID_7B8A3925E40FA68630C0D7E9C3XXXXXX"])
    );
    assert_eq!(r["created_by"], json!([shared.credentials.open_user_id]));
    assert_eq!(r["life_status"], "normal");
    assert_eq!(r["lock_status"], "0");
    assert_eq!(r["is_deleted"], false);
    assert_eq!(r["record_type"], "default__c");
    assert_eq!(r["object_describe_api_name"], "PaymentObj");
    assert!(r["create_time"].is_i64() && r["last_modified_time"].is_i64());
    assert!(r["name"].as_str().unwrap().len() == 15, "{r}");
    assert!(r.get("dataObjectApiName").is_none());

    let details = shared.state().store.records("OrderPaymentObj");
    assert_eq!(details.len(), 1);
    assert_eq!(details[0]["payment_id"], json!(id));
    assert_eq!(details[0]["owner"], r["owner"]);
    // Query the details by their link.
    let (total, _) = query_ids(
        &shared,
        &token,
        "OrderPaymentObj",
        json!({"filters": [{"field_name": "payment_id", "field_values": [id], "operator": "EQ"}]}),
    );
    assert_eq!(total, 1);

    let missing = fail(
        &shared,
        &token,
        GET,
        json!({"data": {"dataObjectApiName": "PaymentObj", "objectDataId": "nope"}}),
    );
    assert_eq!(code(&missing), BUSINESS_ERROR);
}

#[test]
fn create_the_documents_goods_received_note_and_honour_flags() {
    let (shared, token) = setup();
    let body = json!({"hasSpecifyTime": true, "data": {
        "object_data": {"dataObjectApiName": "GoodsReceivedNoteObj", "goods_received_date": 1_520_438_400_000_i64,
            "warehouse_id": "5ab9e468830bdbc390daebb7", "goods_received_type": "1", "remark": "openapi测试add",
            "owner": ["FSUID_XXXXXX"], "create_time": 1_500_000_000_000_i64},
        "details": {"GoodsReceivedNoteProductObj": [
            {"product_id": "a86b57c8065140d1ae2922679603ebe5", "unit": "只", "goods_received_amount": "10009",
             "object_describe_api_name": "GoodsReceivedNoteProductObj"},
            {"product_id": "c8658c7ac31a4686904bb38752640281", "goods_received_amount": 856_325, "remark": "OpenApi test",
             "object_describe_api_name": "GoodsReceivedNoteProductObj"}]}
    }});
    let id = ok(&shared, &token, CREATE, body)["dataId"]
        .as_str()
        .unwrap()
        .to_owned();
    let note = shared
        .state()
        .store
        .get("GoodsReceivedNoteObj", &id)
        .unwrap();
    assert_eq!(note["create_time"], 1_500_000_000_000_i64);
    assert_eq!(note["name"].as_str().unwrap(), "20170714-000001");
    let lines = shared.state().store.records("GoodsReceivedNoteProductObj");
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["goods_received_note_id"] == json!(id))
    );
    assert_eq!(lines[1]["goods_received_amount"], "856325");
}

#[test]
fn custom_objects_need_the_custom_path() {
    let (shared, token) = setup();
    let custom = json!({"data": {"object_data": {"dataObjectApiName": "object_Nyeoj__c", "field_a__c": 5, "name": "甲"}}});
    let answer = fail(&shared, &token, CREATE, custom.clone());
    assert_eq!(code(&answer), BUSINESS_ERROR);
    assert!(
        answer["errorMessage"]
            .as_str()
            .unwrap()
            .contains("对象不存在")
    );
    let id = ok(&shared, &token, "/cgi/crm/custom/v2/data/create", custom)["dataId"]
        .as_str()
        .unwrap()
        .to_owned();
    let record = shared.state().store.get("object_Nyeoj__c", &id).unwrap();
    assert_eq!(record["field_a__c"], "5");
    assert_eq!(record["name"], "甲");
    let answer = fail(
        &shared,
        &token,
        "/cgi/crm/custom/v2/data/create",
        doc_payment_create(),
    );
    assert_eq!(code(&answer), BUSINESS_ERROR);
    let query = json!({"data": {"dataObjectApiName": "object_Nyeoj__c", "search_query_info": {}}});
    assert_eq!(
        code(&fail(&shared, &token, QUERY, query.clone())),
        BUSINESS_ERROR
    );
    ok(&shared, &token, "/cgi/crm/custom/v2/data/query", query);
}

#[test]
fn update_merges_fields_and_details() {
    let (shared, token) = setup();
    let id = ok(&shared, &token, CREATE, doc_payment_create())["dataId"]
        .as_str()
        .unwrap()
        .to_owned();
    let detail_id = shared.state().store.records("OrderPaymentObj")[0]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = shared.state().store.get("PaymentObj", &id).unwrap();
    let body = json!({"data": {
        "object_data": {"dataObjectApiName": "PaymentObj", "_id": id, "remark": "测试更新003", "payment_term": "2",
            "owner": ["FSUID_SOMEONE"], "version": "2", "life_status": "invalid", "extra__c": 3.5},
        "details": {"OrderPaymentObj": [
            {"_id": detail_id, "payment_amount": "200.00", "version": "1"},
            {"order_id": "974789b4d13040fcbb9d0ae35cxxxxxx", "payment_amount": 100}]}
    }});
    ok(&shared, &token, UPDATE, body);
    let after = shared.state().store.get("PaymentObj", &id).unwrap();
    assert_eq!(after["remark"], "测试更新003");
    assert_eq!(after["payment_term"], "2");
    assert_eq!(after["extra__c"], "3.5");
    assert_eq!(after["owner"], before["owner"]);
    assert_eq!(after["life_status"], "normal");
    assert_eq!(after["version"], 2);
    assert!(after["last_modified_time"].as_i64() > before["last_modified_time"].as_i64());
    assert_eq!(after["account_id"], before["account_id"]);
    let details = shared.state().store.records("OrderPaymentObj");
    assert_eq!(details.len(), 2);
    assert_eq!(details[0]["payment_amount"], "200.00");
    assert_eq!(details[1]["payment_amount"], "100");
    assert_eq!(details[1]["payment_id"], json!(id));

    // Unknown ids fail, and a failed update changes nothing.
    let unknown = json!({"data": {"object_data": {"dataObjectApiName": "PaymentObj", "_id": "nope", "remark": "x"}}});
    assert_eq!(
        code(&fail(&shared, &token, UPDATE, unknown)),
        BUSINESS_ERROR
    );
    let bad_detail = json!({"data": {
        "object_data": {"dataObjectApiName": "PaymentObj", "_id": id, "remark": "never"},
        "details": {"OrderPaymentObj": [{"_id": "nope", "payment_amount": "1"}]}}});
    assert_eq!(
        code(&fail(&shared, &token, UPDATE, bad_detail)),
        BUSINESS_ERROR
    );
    assert_eq!(
        shared.state().store.get("PaymentObj", &id).unwrap()["remark"],
        "测试更新003"
    );
    let no_id =
        json!({"data": {"object_data": {"dataObjectApiName": "PaymentObj", "remark": "x"}}});
    assert_eq!(code(&fail(&shared, &token, UPDATE, no_id)), 10006);
}

#[test]
fn locked_records_need_skip_data_status_validate() {
    let (shared, token) = setup();
    let id = shared.state().store.insert_backdoor(
        "object_x__c",
        json!({"lock_status": "1", "name": "locked"})
            .as_object()
            .cloned()
            .unwrap(),
        now_ms(),
        ADMIN_ID,
    );
    let path = "/cgi/crm/custom/v2/data/update";
    let body = json!({"data": {"object_data": {"dataObjectApiName": "object_x__c", "_id": id, "name": "changed"}}});
    assert_eq!(
        code(&fail(&shared, &token, path, body.clone())),
        BUSINESS_ERROR
    );
    let mut skip = body;
    skip["data"]["skipDataStatusValidate"] = json!(true);
    ok(&shared, &token, path, skip);
    assert_eq!(
        shared.state().store.get("object_x__c", &id).unwrap()["name"],
        "changed"
    );
}

#[test]
fn invalid_delete_recover_and_change_owner() {
    let (shared, token) = setup();
    let id = ok(&shared, &token, CREATE, doc_payment_create())["dataId"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = json!("PaymentObj");
    let delete = json!({"data": {"dataObjectApiName": api, "idList": [id]}});
    let answer = fail(&shared, &token, "/cgi/crm/v2/data/delete", delete.clone());
    assert_eq!(code(&answer), BUSINESS_ERROR);
    assert!(
        answer["errorMessage"]
            .as_str()
            .unwrap()
            .contains("请先作废")
    );

    let batch = json!({"data": {"dataObjectApiName": api, "object_data_id": [id]}});
    assert_eq!(
        code(&fail(&shared, &token, "/cgi/crm/v2/data/invalid", batch)),
        10006
    );
    let invalid = json!({"data": {"dataObjectApiName": api, "object_data_id": id}});
    ok(&shared, &token, "/cgi/crm/v2/data/invalid", invalid.clone());
    ok(&shared, &token, "/cgi/crm/v2/data/invalid", invalid.clone()); // idempotent
    {
        let state = shared.state();
        let r = state.store.get("PaymentObj", &id).unwrap();
        assert_eq!(r["life_status"], "invalid");
        assert_eq!(r["is_deleted"], true);
        assert_eq!(r["version"], 2);
        assert_eq!(
            state.store.records("OrderPaymentObj")[0]["life_status"],
            "invalid"
        );
    }
    // Voided records are still returned by get and query.
    ok(
        &shared,
        &token,
        GET,
        json!({"data": {"dataObjectApiName": api, "objectDataId": id}}),
    );
    let edit =
        json!({"data": {"object_data": {"dataObjectApiName": api, "_id": id, "remark": "x"}}});
    assert_eq!(code(&fail(&shared, &token, UPDATE, edit)), BUSINESS_ERROR);

    let recover = json!({"data": {"dataObjectApiName": api, "idList": [id]}});
    ok(&shared, &token, "/cgi/crm/v2/data/recover", recover);
    assert_eq!(
        shared.state().store.get("PaymentObj", &id).unwrap()["life_status"],
        "normal"
    );
    assert_eq!(
        shared.state().store.records("OrderPaymentObj")[0]["is_deleted"],
        false
    );

    let change = json!({"data": {"dataObjectApiName": api, "Data": [{"objectDataId": id, "ownerId": [SALES_ID]}]}});
    ok(&shared, &token, "/cgi/crm/v2/data/changeOwner", change);
    assert_eq!(
        shared.state().store.get("PaymentObj", &id).unwrap()["owner"],
        json!([SALES_ID])
    );
    let string_form = json!({"data": {"dataObjectApiName": api, "Data": [{"objectDataId": id, "ownerId": "[1000]"}]}});
    ok(&shared, &token, "/cgi/crm/v2/data/changeOwner", string_form);
    assert_eq!(
        shared.state().store.get("PaymentObj", &id).unwrap()["owner"],
        json!(["1000"])
    );
    let bad =
        json!({"data": {"dataObjectApiName": api, "Data": [{"objectDataId": id, "ownerId": []}]}});
    assert_eq!(
        code(&fail(&shared, &token, "/cgi/crm/v2/data/changeOwner", bad)),
        10006
    );
    let unknown = json!({"data": {"dataObjectApiName": api, "Data": [{"objectDataId": "nope", "ownerId": ["x"]}]}});
    assert_eq!(
        code(&fail(
            &shared,
            &token,
            "/cgi/crm/v2/data/changeOwner",
            unknown
        )),
        BUSINESS_ERROR
    );

    ok(&shared, &token, "/cgi/crm/v2/data/invalid", invalid);
    ok(&shared, &token, "/cgi/crm/v2/data/delete", delete.clone());
    assert!(shared.state().store.records("PaymentObj").is_empty());
    assert!(shared.state().store.records("OrderPaymentObj").is_empty());
    assert_eq!(
        code(&fail(&shared, &token, "/cgi/crm/v2/data/delete", delete)),
        BUSINESS_ERROR
    );
}

#[test]
fn query_paging_rules() {
    let (shared, token) = setup();
    shared
        .state()
        .store
        .seed_samples(250, &[ADMIN_ID, SALES_ID]);
    let answer = fail(
        &shared,
        &token,
        QUERY,
        json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {"limit": 100, "offset": 10_100}}}),
    );
    assert_eq!(answer["errorCode"], 10013);
    assert_eq!(answer["errorMessage"], "offset out of range 10000");
    assert_eq!(answer["errorDescription"], "offset 不能超过10000");
    let answer = fail(
        &shared,
        &token,
        QUERY,
        json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {"limit": 20, "offset": 30}}}),
    );
    assert_eq!(answer["errorCode"], 10006);

    let answer = ok(
        &shared,
        &token,
        QUERY,
        json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {"limit": 1000, "offset": 200}}}),
    );
    assert_eq!(answer["data"]["limit"], 100);
    assert_eq!(answer["data"]["offset"], 200);
    assert_eq!(answer["data"]["total"], 250);
    assert_eq!(answer["data"]["dataList"].as_array().unwrap().len(), 50);
    let (total, ids) = query_ids(&shared, &token, "PaymentObj", json!({}));
    assert_eq!((total, ids.len()), (250, 20));

    // The documented deep-paging cursor visits every record once, in `_id` order.
    let mut seen = Vec::new();
    let mut last: Option<String> = None;
    loop {
        let filters = match &last {
            Some(id) => json!([{"field_name": "_id", "field_values": [id], "operator": "GT"}]),
            None => json!([]),
        };
        let info = json!({"limit": 70, "offset": 0, "filters": filters, "orders": [{"fieldName": "_id", "isAsc": true}]});
        let (_, ids) = query_ids(&shared, &token, "PaymentObj", info);
        let short = ids.len() < 70;
        last = ids.last().cloned().or(last);
        seen.extend(ids);
        if short {
            break;
        }
    }
    let all: Vec<String> = shared
        .state()
        .store
        .records("PaymentObj")
        .iter()
        .map(|r| r["_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, all);

    let no_count = json!({"data": {"dataObjectApiName": "PaymentObj", "find_explicit_total_num": false, "search_query_info": {}}});
    assert_eq!(ok(&shared, &token, QUERY, no_count)["data"]["total"], 0);
}

#[test]
fn query_the_documents_example() {
    let (shared, token) = setup();
    shared.state().store.seed_samples(10, &[ADMIN_ID, SALES_ID]);
    let answer = ok(
        &shared,
        &token,
        QUERY,
        json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {
            "limit": 5, "offset": 0,
            "filters": [{"field_name": "owner", "field_values": [SALES_ID], "operator": "IN"}],
            "orders": [{"fieldName": "payment_amount", "isAsc": false}],
            "fieldProjection": ["_id", "name", "payment_amount"]}}}),
    );
    let data = &answer["data"];
    assert_eq!(data["total"], 5);
    let list = data["dataList"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    let amounts: Vec<f64> = list
        .iter()
        .map(|r| r["payment_amount"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "{amounts:?}");
    assert!(list.iter().all(|r| r.as_object().unwrap().len() == 3));

    let bad = json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {
        "filters": [{"field_name": "owner", "field_values": [SALES_ID], "operator": "NE"}]}}});
    assert_eq!(code(&fail(&shared, &token, QUERY, bad)), 10006);
    // Dates compare as numbers against epoch-ms strings.
    let (total, _) = query_ids(
        &shared,
        &token,
        "PaymentObj",
        json!({"filters": [{"field_name": "payment_time", "field_values": ["1517414400000"], "operator": "GTE"}]}),
    );
    assert_eq!(total, 9);
}

#[test]
fn object_list_and_describe() {
    let (shared, token) = setup();
    shared.state().store.insert_backdoor(
        "object_Nyeoj__c",
        json!({"field_a__c": 1, "due_date__c": 1_700_000_000_000_i64, "flag__c": true, "name__r": "x"})
            .as_object()
            .cloned()
            .unwrap(),
        now_ms(),
        ADMIN_ID,
    );
    let answer = ok(&shared, &token, "/cgi/crm/v2/object/list", json!({}));
    let objects = answer["data"]["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 5);
    assert_eq!(objects[0]["describeApiName"], "PaymentObj");
    assert_eq!(objects[0]["describeDisplayName"], "回款");
    assert_eq!(objects[0]["defineType"], "package");
    assert_eq!(objects[4]["describeApiName"], "object_Nyeoj__c");
    assert_eq!(objects[4]["defineType"], "custom");
    assert_eq!(objects[4]["isActive"], true);

    let describe = "/cgi/crm/v2/object/describe";
    let answer = ok(
        &shared,
        &token,
        describe,
        json!({"apiName": "PaymentObj", "includeDetail": true}),
    );
    let d = &answer["data"]["describe"];
    assert_eq!(d["api_name"], "PaymentObj");
    assert_eq!(d["fields"]["payment_amount"]["type"], "currency");
    assert_eq!(d["fields"]["payment_time"]["type"], "date");
    assert_eq!(d["fields"]["owner"]["type"], "employee");
    assert_eq!(d["fields"]["account_id"]["is_required"], true);
    assert_eq!(d["fields"]["payment_amount"]["api_name"], "payment_amount");
    let answer = ok(
        &shared,
        &token,
        describe,
        json!({"data": {"apiName": "object_Nyeoj__c"}}),
    );
    let f = &answer["data"]["describe"]["fields"];
    assert_eq!(f["field_a__c"]["type"], "text"); // stored as the string "1"
    assert_eq!(f["due_date__c"]["type"], "date_time");
    assert_eq!(f["flag__c"]["type"], "true_or_false");
    assert_eq!(f["flag__c"]["define_type"], "custom");
    assert!(f.get("name__r").is_none());
    assert_eq!(
        code(&fail(
            &shared,
            &token,
            describe,
            json!({"apiName": "NoSuchObj"})
        )),
        BUSINESS_ERROR
    );
    assert_eq!(code(&fail(&shared, &token, describe, json!({}))), 10006);
}

#[test]
fn no_input_panics() {
    let (shared, token) = setup();
    shared.state().store.seed_samples(3, &[ADMIN_ID]);
    let id = shared.state().store.records("PaymentObj")[0]["_id"].clone();
    let paths = [
        TOKEN,
        "/cgi/user/getByMobile",
        "/cgi/crm/v2/object/list",
        "/cgi/crm/v2/object/describe",
        CREATE,
        UPDATE,
        GET,
        QUERY,
        "/cgi/crm/v2/data/invalid",
        "/cgi/crm/v2/data/delete",
        "/cgi/crm/v2/data/recover",
        "/cgi/crm/v2/data/changeOwner",
        "/cgi/crm/custom/v2/data/query",
    ];
    let weird = [
        json!(null),
        json!(1),
        json!("s"),
        json!(true),
        json!([]),
        json!({}),
        json!([1, {"a": null}]),
        json!({"x": {"y": [null]}}),
        json!(-1e300),
        json!(u64::MAX),
    ];
    let raw: [&[u8]; 6] = [
        b"",
        b"{",
        b"not json",
        b"\xff\xfe",
        b"[[[[[[[[[[",
        b"{\"a\":1}garbage",
    ];
    for path in paths {
        for body in raw {
            let answer = handle(&shared, path, body).unwrap();
            assert_eq!(answer["errorCode"], 10006, "{path}: {answer}");
        }
        for w in &weird {
            let mut bodies = vec![
                w.clone(),
                authed(
                    &shared,
                    &token,
                    json!({"data": w, "apiName": w, "mobile": w}),
                ),
            ];
            for key in [
                "object_data",
                "details",
                "dataObjectApiName",
                "objectDataId",
                "object_data_id",
                "idList",
                "Data",
                "search_query_info",
            ] {
                bodies.push(authed(
                    &shared,
                    &token,
                    json!({"data": {"dataObjectApiName": "PaymentObj", key: w}}),
                ));
            }
            for key in ["limit", "offset", "filters", "orders", "fieldProjection"] {
                bodies.push(authed(
                    &shared,
                    &token,
                    json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {key: w}}}),
                ));
            }
            bodies.push(authed(
                &shared,
                &token,
                json!({"data": {"dataObjectApiName": "PaymentObj", "search_query_info": {"filters": [
                    {"field_name": "payment_amount", "field_values": [w], "operator": "BETWEEN"},
                    {"field_name": w, "field_values": [], "operator": "IS"}]}}}),
            ));
            bodies.push(authed(
                &shared,
                &token,
                json!({"data": {"dataObjectApiName": "PaymentObj",
                    "object_data": {"dataObjectApiName": "PaymentObj", "_id": id, "owner": w, "create_time": w, "payment_amount": w},
                    "details": {"OrderPaymentObj": [{"_id": w}]},
                    "Data": [{"objectDataId": id, "ownerId": w}], "idList": [w], "objectDataId": w}}),
            ));
            for body in &bodies {
                call(&shared, path, body);
            }
        }
    }
    assert!(handle(&shared, "/cgi/crm/v2/data/nope", b"{}").is_none());
}

#[allow(clippy::unwrap_used)]
mod http {
    use super::*;

    async fn post(
        client: &reqwest::Client,
        mock: &MockFxiaoke,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        let url = mock.base_url().join(path.trim_start_matches('/')).unwrap();
        client.post(url).json(body).send().await.unwrap()
    }

    async fn post_json(
        client: &reqwest::Client,
        mock: &MockFxiaoke,
        path: &str,
        body: &Value,
    ) -> Value {
        let response = post(client, mock, path, body).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn get_token(client: &reqwest::Client, mock: &MockFxiaoke) -> (String, String) {
        let c = mock.credentials();
        let answer = post_json(
            client,
            mock,
            TOKEN,
            &json!({"appId": c.app_id, "appSecret": c.app_secret, "permanentCode": c.permanent_code}),
        )
        .await;
        assert_eq!(answer["errorCode"], 0, "{answer}");
        (
            answer["corpAccessToken"].as_str().unwrap().to_owned(),
            answer["corpId"].as_str().unwrap().to_owned(),
        )
    }

    #[tokio::test]
    async fn serves_over_http() {
        let mock = MockFxiaoke::start_with_sample_data(30).await.unwrap();
        assert_eq!(mock.base_url().host_str(), Some("127.0.0.1"));
        assert_eq!(mock.records("PaymentObj").len(), 30);
        assert_eq!(mock.records("GoodsReceivedNoteObj").len(), 3);
        let client = reqwest::Client::new();
        let (token, corp_id) = get_token(&client, &mock).await;
        assert_eq!(mock.token_calls(), 1);
        let c = mock.credentials();
        let body = json!({"corpAccessToken": token, "corpId": corp_id, "currentOpenUserId": c.open_user_id,
            "data": {"dataObjectApiName": "PaymentObj", "search_query_info": {"limit": 10, "offset": 0}}});
        let answer = post_json(&client, &mock, QUERY, &body).await;
        assert_eq!(answer["data"]["total"], 30);
        assert_eq!(answer["data"]["dataList"].as_array().unwrap().len(), 10);
        assert_eq!(mock.control().calls(QUERY), 1);

        // Back door.
        let mut record = Map::new();
        record.insert("remark".into(), json!("by insert"));
        record.insert("payment_amount".into(), json!(12.5));
        let id = mock.insert("PaymentObj", record);
        let stored = mock
            .records("PaymentObj")
            .into_iter()
            .find(|r| r["_id"] == json!(id))
            .unwrap();
        assert_eq!(stored["payment_amount"], "12.5");
        mock.insert_many(
            "object_x__c",
            (0..3).map(|i| json!({"n": i}).as_object().cloned().unwrap()),
        );
        assert_eq!(mock.records("object_x__c").len(), 3);

        // Faults from the runtime's control.
        mock.control().fail_next(1, 503);
        assert_eq!(post(&client, &mock, QUERY, &body).await.status(), 503);
        assert_eq!(post(&client, &mock, QUERY, &body).await.status(), 200);

        // Expired tokens.
        mock.expire_tokens();
        let answer = post_json(&client, &mock, QUERY, &body).await;
        assert_eq!(answer["errorCode"], 20016);
        let (fresh, _) = get_token(&client, &mock).await;
        let mut body = body;
        body["corpAccessToken"] = json!(fresh);
        assert_eq!(
            post_json(&client, &mock, QUERY, &body).await["errorCode"],
            0
        );

        // Not the API's: unknown path, wrong method, bad JSON.
        assert_eq!(post(&client, &mock, "/cgi/nope", &body).await.status(), 404);
        let url = mock.base_url().join("cgi/crm/v2/data/query").unwrap();
        assert_eq!(client.get(url.clone()).send().await.unwrap().status(), 405);
        let answer: Value = client
            .post(url)
            .body("{oops")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["errorCode"], 10006);
        assert!(answer["traceId"].is_string());
    }

    #[tokio::test]
    async fn rate_limit_rejections_are_counted() {
        let mock = MockFxiaoke::start_with(MockSettings {
            rate_limit: Some((2, Duration::from_secs(60))),
            ..MockSettings::default()
        })
        .await
        .unwrap();
        let client = reqwest::Client::new();
        let body = json!({});
        for _ in 0..2 {
            assert_eq!(
                post_json(&client, &mock, QUERY, &body).await["errorCode"],
                20017
            );
        }
        assert_eq!(
            post_json(&client, &mock, QUERY, &body).await["errorCode"],
            30004
        );
        assert_eq!(mock.rate_limit_rejections(), 1);
    }

    #[tokio::test]
    async fn sample_data_is_deterministic() {
        let a = MockFxiaoke::start_with_sample_data(12).await.unwrap();
        let b = MockFxiaoke::start_with_sample_data(12).await.unwrap();
        for api in [
            "PaymentObj",
            "OrderPaymentObj",
            "GoodsReceivedNoteObj",
            "GoodsReceivedNoteProductObj",
        ] {
            assert_eq!(a.records(api), b.records(api));
        }
        assert_eq!(a.credentials(), b.credentials());
        assert!(!format!("{:?}", a.credentials()).contains(&a.credentials().app_secret));
    }
}
