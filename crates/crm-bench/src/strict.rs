//! The baseline a user would otherwise write: minimal strict structs with only the documented
//! fields as plain `String`/`Option<String>`/integers, unknown keys (custom fields included)
//! silently dropped.

use serde::Deserialize;

/// A fxiaoke query response, `PaymentObj` records.
#[derive(Debug, Deserialize)]
pub struct FxiaokePage {
    /// `errorCode`.
    #[serde(rename = "errorCode")]
    pub error_code: i64,
    /// `errorMessage`.
    #[serde(rename = "errorMessage")]
    pub error_message: String,
    /// `data`.
    pub data: Option<FxiaokeData>,
}

/// `data` of a fxiaoke query response.
#[derive(Debug, Deserialize)]
pub struct FxiaokeData {
    /// `total`.
    pub total: Option<i64>,
    /// `dataList`.
    #[serde(rename = "dataList", default)]
    pub data_list: Vec<Payment>,
}

/// A file of an attachment field.
#[derive(Debug, Deserialize)]
pub struct File {
    /// `name`.
    pub name: Option<String>,
    /// `path`.
    pub path: Option<String>,
}

/// The documented fields of `PaymentObj`.
#[derive(Debug, Deserialize)]
#[allow(missing_docs)]
pub struct Payment {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: Option<String>,
    pub account_id: Option<String>,
    #[serde(rename = "account_id__r")]
    pub account_id_r: Option<String>,
    pub order_id: Option<String>,
    pub payment_amount: Option<String>,
    pub payment_time: Option<i64>,
    pub notification_time: Option<i64>,
    pub payment_term: Option<String>,
    pub remark: Option<String>,
    pub attachment: Option<Vec<File>>,
    pub record_type: Option<String>,
    pub owner: Option<Vec<String>>,
    pub owner_department: Option<String>,
    pub created_by: Option<Vec<String>>,
    pub last_modified_by: Option<Vec<String>>,
    pub create_time: Option<i64>,
    pub last_modified_time: Option<i64>,
    pub life_status: Option<String>,
    pub lock_status: Option<String>,
    pub is_deleted: Option<bool>,
    pub version: Option<i64>,
    pub object_describe_api_name: Option<String>,
    pub object_describe_id: Option<String>,
}

/// A useasy `list` response.
#[derive(Debug, Deserialize)]
pub struct UseasyPage {
    /// `success`.
    pub success: bool,
    /// `code`.
    pub code: String,
    /// `message`.
    pub message: String,
    /// `data`.
    pub data: Option<UseasyData>,
}

/// `data` of a useasy `list` response.
#[derive(Debug, Deserialize)]
pub struct UseasyData {
    /// `count`.
    pub count: Option<i64>,
    /// `list`.
    #[serde(default)]
    pub list: Vec<Customer>,
}

/// A `{value, memo}` entry (mobile, email, QQ, WeChat).
#[derive(Debug, Deserialize)]
pub struct Entry {
    /// `value`.
    pub value: String,
    /// `memo`.
    pub memo: Option<String>,
}

/// The documented fields of a useasy customer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Customer {
    #[serde(rename = "_id")]
    pub id: String,
    pub account_id: Option<String>,
    pub customer_name: Option<String>,
    pub mobile: Option<Vec<Entry>>,
    pub email: Option<Vec<Entry>>,
    pub qq: Option<Vec<Entry>>,
    pub wechat: Option<Vec<Entry>>,
    pub customer_source: Option<Vec<String>>,
    pub owner: Option<String>,
    pub first_owner: Option<String>,
    pub open_sea_ids: Option<Vec<String>>,
    pub create_method: Option<String>,
    pub create_time: Option<String>,
    pub update_time: Option<String>,
    pub assign_time: Option<String>,
    pub first_assign_time: Option<String>,
    pub create_agent: Option<String>,
    pub update_agent: Option<String>,
    pub visitor_id: Option<String>,
}

/// A U8 `batch_get` response.
#[derive(Debug, Deserialize)]
#[allow(missing_docs)]
pub struct U8Page {
    pub errcode: Option<String>,
    pub errmsg: Option<String>,
    pub page_index: Option<String>,
    pub rows_per_page: Option<String>,
    pub row_count: Option<String>,
    pub page_count: Option<String>,
    #[serde(default)]
    pub customercontacts: Vec<Contact>,
}

/// The documented fields of a U8 contact.
#[derive(Debug, Deserialize)]
#[allow(missing_docs)]
pub struct Contact {
    pub code: Option<String>,
    pub name: Option<String>,
    pub ccuscode: Option<String>,
    pub ccusname: Option<String>,
    pub direct_leader: Option<String>,
    pub direct_leader_code: Option<String>,
    pub charge_person: Option<String>,
    pub charge_person_code: Option<String>,
    pub be_main_linker: Option<String>,
    pub default: Option<String>,
    pub title: Option<String>,
    pub sex: Option<String>,
    pub birthday: Option<String>,
    pub native: Option<String>,
    pub position: Option<String>,
    pub mobile_phone: Option<String>,
    pub office_phone: Option<String>,
    pub email: Option<String>,
    pub favorite: Option<String>,
    pub wechat: Option<String>,
    pub qq: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::payloads;

    #[test]
    fn the_strict_structs_decode_the_payloads() {
        let p: FxiaokePage =
            serde_json::from_slice(&payloads::fxiaoke_query_page(0, 10, 10)).unwrap();
        assert_eq!(p.data.unwrap().data_list.len(), 10);
        let p: UseasyPage = serde_json::from_slice(&payloads::useasy_list_page(10, 10)).unwrap();
        assert_eq!(p.data.unwrap().list.len(), 10);
        let p: U8Page = serde_json::from_slice(&payloads::u8_batch_page(10)).unwrap();
        assert_eq!(p.customercontacts.len(), 10);
    }
}
