//! `crm demo`: a guided walk through the three vendors against their embedded mocks, printing
//! each step. Needs no credentials and reaches nothing but 127.0.0.1.

use std::io::Write;
use std::time::Instant;

use crm_sync::vendors::FxiaokeObject;
use crm_sync::{Store, SyncOptions, Vendor};
use futures::TryStreamExt;
use fxiaoke_crm::types::PaymentObj;
use fxiaoke_crm::{FilterOperator, WriteOptions};
use openapi_crm::Customer;
use serde_json::Value;

use crate::clients::{self, FX_CUSTOM_FIELDS, Settings};
use crate::error::{CliError, CliResult};
use crate::output::truncate;

/// Numbers and prints the steps. Printing never panics: the first write error (e.g. a closed
/// pipe) is kept and returned at the end.
struct Steps {
    n: usize,
    error: Option<std::io::Error>,
}

impl Steps {
    fn line(&mut self, text: impl AsRef<str>) {
        if self.error.is_none() {
            let mut out = std::io::stdout().lock();
            if let Err(e) = writeln!(out, "{}", text.as_ref()).and_then(|()| out.flush()) {
                self.error = Some(e);
            }
        }
    }

    fn heading(&mut self, title: &str, url: impl std::fmt::Display) {
        self.line("");
        self.line(format!("== {title} ==  (mock at {url})"));
    }

    fn step(&mut self, text: impl AsRef<str>) {
        self.n += 1;
        let line = format!("{:>2}. {}", self.n, text.as_ref());
        self.line(line);
    }

    fn detail(&mut self, text: impl AsRef<str>) {
        self.line(format!("      {}", text.as_ref()));
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".to_owned(),
        Some(other) => other.to_string(),
    }
}

/// A value that would not encode as JSON (never for the text the demo sets).
fn encode_error(e: serde_json::Error) -> CliError {
    CliError::internal(format!("cannot encode a field: {e}"))
}

/// Runs the demo.
pub async fn run(settings: &Settings) -> CliResult {
    let started = Instant::now();
    let settings = Settings {
        mock: true,
        ..settings.clone()
    };
    let n = settings.mock_records;
    let mut steps = Steps { n: 0, error: None };
    steps.line("crm demo: three CRM APIs against their embedded mock servers");
    steps.line(
        "(sample data, no credentials, nothing leaves 127.0.0.1; the same commands work against",
    );
    steps.line(" the real services once FXIAOKE_*, USEASY_* and U8_* are set)");

    fxiaoke(&settings, n, &mut steps).await?;
    useasy(&settings, n, &mut steps).await?;
    u8(&settings, n, &mut steps).await?;

    steps.line("");
    let done = format!(
        "Done: {} steps against 3 mock servers in {:.2} s.",
        steps.n,
        started.elapsed().as_secs_f64()
    );
    steps.line(done);
    steps.line(
        "Next: crm --mock fxiaoke query PaymentObj --filter 'payment_amount GTE 900' --max 5",
    );
    steps.line("      crm --mock useasy customers list --search 'openSeaIds empty' --format csv");
    steps.line("      crm --mock u8 contacts list --ccuscode 0215 --format json");
    steps.line("      crm --mock fxiaoke sync PaymentObj object_demo__c --into crm.db");
    match steps.error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

async fn fxiaoke(settings: &Settings, n: usize, steps: &mut Steps) -> CliResult {
    let session = clients::fxiaoke(&crate::cli::FxiaokeConfig::default(), settings).await?;
    let client = &session.client;
    let Some(mock) = &session.mock else {
        return Ok(());
    };
    steps.heading("纷享销客 Fxiaoke CRM V2", mock.base_url());
    steps.detail(format!(
        "{n} sample PaymentObj (回款) records with custom fields {}",
        FX_CUSTOM_FIELDS.join(", ")
    ));

    // Create.
    let mut payment = PaymentObj {
        account_id: Some("2d58af2dbb4d4ecd931e80ef18000001".into()),
        payment_amount: "300.00".parse().ok(),
        remark: Some("首付款".into()),
        ..Default::default()
    };
    payment
        .extra
        .set("invoice_no__c", "INV-DEMO-0001")
        .map_err(encode_error)?;
    let id = client.create(&payment).await?.unwrap_or_default();
    steps.step(format!(
        "create PaymentObj of 300.00 (custom field invoice_no__c = INV-DEMO-0001) → _id {id}"
    ));

    // Query one page.
    let page = client
        .query::<PaymentObj>()
        .filter("payment_amount", FilterOperator::Gte, ["900"])
        .order_by("payment_amount", false)
        .page_size(3)
        .send()
        .await?;
    steps.step(format!(
        "query PaymentObj where payment_amount GTE 900, largest first: {} match, first page of {}:",
        page.total.unwrap_or_default(),
        page.records.len()
    ));
    for p in &page.records {
        steps.detail(format!(
            "{}  {:>9}  {}  region__c={}",
            p.name.as_deref().unwrap_or("-"),
            p.payment_amount
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            p.account_id_r.as_deref().unwrap_or("-"),
            text(p.extra.get_value("region__c").as_ref())
        ));
    }

    // Update.
    let mut stored: PaymentObj = client.get(&id).await?;
    stored.remark = Some("首付款（已确认）".into());
    client.update(&stored, &WriteOptions::default()).await?;
    let updated: PaymentObj = client.get(&id).await?;
    steps.step(format!(
        "update its remark → \"{}\", version {}",
        updated.remark.as_deref().unwrap_or("-"),
        updated.version.and_then(|v| v.get()).unwrap_or_default()
    ));

    // Stream.
    let t = Instant::now();
    let all: Vec<fxiaoke_crm::ObjectData> = client
        .query_object("PaymentObj")
        .stream()
        .try_collect()
        .await?;
    let with_custom = all
        .iter()
        .filter(|r| r.extra.contains_key("invoice_no__c"))
        .count();
    steps.step(format!(
        "stream every PaymentObj (pages of 100, ordered by _id): {} records in {} ms, {} with invoice_no__c",
        all.len(),
        t.elapsed().as_millis(),
        with_custom
    ));

    // Delete.
    client.delete("PaymentObj", &[&id]).await?;
    let gone = match client.get_object("PaymentObj", &id).await {
        Ok(_) => "still there (unexpected)".to_owned(),
        Err(e) => match e.api() {
            Some(api) => format!("get now answers code {}: {}", api.code, api.message),
            None => format!("get now fails: {e}"),
        },
    };
    steps.step(format!("delete it (void, then delete) → {gone}"));

    sync_step(client, steps).await
}

/// Keep a copy in a database: sync the mock's `PaymentObj` into a temporary SQLite file,
/// change a few records, sync again.
async fn sync_step(client: &fxiaoke_crm::Client, steps: &mut Steps) -> CliResult {
    let dir = std::env::temp_dir().join(format!(
        "crm-demo-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::internal(format!("cannot create {}: {e}", dir.display())))?;
    let result = sync_into(client, &dir, steps).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn sync_into(
    client: &fxiaoke_crm::Client,
    dir: &std::path::Path,
    steps: &mut Steps,
) -> CliResult {
    let path = dir.join("crm.db");
    let url = path.display().to_string();
    let store = Store::open(&url).await.map_err(|e| sync_error(&e))?;
    let source = FxiaokeObject::new(client.clone(), "PaymentObj");
    let options = SyncOptions::default();
    let first = store
        .sync(&source, &options)
        .await
        .map_err(|e| sync_error(&e))?;
    steps.step(format!(
        "crm fxiaoke sync PaymentObj --into {url}: inserted {}, {} vendor calls",
        first.counts.inserted, first.counts.vendor_calls
    ));

    // Other users at work: two edits and a void (each moves last_modified_time), one new record.
    let ids: Vec<String> = store
        .records(Vendor::Fxiaoke, "PaymentObj")
        .await
        .map_err(|e| sync_error(&e))?
        .into_iter()
        .take(3)
        .map(|r| r.id)
        .collect();
    for id in ids.iter().take(2) {
        let mut change = fxiaoke_crm::ObjectData {
            id: Some(id.clone()),
            ..Default::default()
        };
        change.extra.set("remark", "已核对").map_err(encode_error)?;
        client
            .update_object(
                "PaymentObj",
                change,
                fxiaoke_crm::Details::new(),
                &WriteOptions::default(),
            )
            .await?;
    }
    if let Some(id) = ids.get(2) {
        client.invalid("PaymentObj", id).await?;
    }
    let new = PaymentObj {
        account_id: Some("2d58af2dbb4d4ecd931e80ef18000002".into()),
        payment_amount: "88.00".parse().ok(),
        ..Default::default()
    };
    client.create(&new).await?;

    let second = store
        .sync(&source, &options)
        .await
        .map_err(|e| sync_error(&e))?
        .counts;
    steps.step(format!(
        "2 edits, 1 void, 1 new record, then the same command again: inserted {}, updated {}, unchanged {} ({} records read, {} vendor calls: only what changed since the last stored record, and --lookback 10m before it)",
        second.inserted, second.updated, second.unchanged, second.fetched, second.vendor_calls
    ));
    store.close().await;
    Ok(())
}

fn sync_error(e: &crm_sync::Error) -> CliError {
    CliError::internal(format!("the demo database failed: {e}"))
}

async fn useasy(settings: &Settings, n: usize, steps: &mut Steps) -> CliResult {
    let session = clients::useasy(&crate::cli::UseasyConfig::default(), settings).await?;
    let client = &session.client;
    let Some(mock) = &session.mock else {
        return Ok(());
    };
    steps.heading("有逸 useasy customers", mock.base_url());
    steps.detail(format!(
        "{n} sample customers, HMAC-signed requests, at most 10 per second"
    ));

    // Add.
    let mut customer = Customer::named("张三");
    client
        .set_custom_field(&mut customer, "详细地址", "杭州市西湖区文三路 1 号")
        .await?;
    client
        .set_custom_field(&mut customer, "客户等级", "重要客户")
        .await?;
    let stored = client.add(&customer).await?;
    let id = stored.id.clone().unwrap_or_default();
    steps.step(format!(
        "add customer 张三 with custom fields 详细地址 and 客户等级 (by label 重要客户) → _id {id}, createTime {}",
        stored.create_time.map(|t| t.to_string()).unwrap_or_default()
    ));

    // List and stream.
    let first = client.customers().page_size(5).send().await?;
    steps.step(format!(
        "list page 1 of 5: count {} in all, first {}",
        first.count.and_then(|c| c.get()).unwrap_or_default(),
        first
            .list
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(|c| c.customer_name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let private: Vec<Customer> = client
        .customers()
        .empty("openSeaIds")
        .stream()
        .try_collect()
        .await?;
    steps.step(format!(
        "stream customers with openSeaIds empty: {}",
        private.len()
    ));

    // Update.
    let mut change = Customer {
        id: Some(id.clone()),
        ..Customer::default()
    };
    client
        .set_custom_field(&mut change, "客户等级", "C")
        .await?;
    let updated = client.update(&change).await?;
    steps.step(format!(
        "update 客户等级 → C, updateTime {}",
        updated
            .update_time
            .map(|t| t.to_string())
            .unwrap_or_default()
    ));

    // Get.
    if let Some(found) = client.customer(&id).await? {
        let address = client.custom_field(&found, "详细地址").await?;
        let level = client.custom_field(&found, "客户等级").await?;
        steps.step(format!(
            "get {id}: {} / 详细地址 {} / 客户等级 {}",
            found.customer_name.as_deref().unwrap_or("-"),
            text(address.as_ref()),
            text(level.as_ref())
        ));
    }

    // Delete.
    client.delete(&id).await?;
    let gone = match client.customer(&id).await {
        Ok(None) => "gone".to_owned(),
        Ok(Some(_)) => "still there (unexpected)".to_owned(),
        Err(e) => match e.api() {
            Some(api) => format!("get now answers code {}: {}", api.code, api.message),
            None => format!("get now fails: {e}"),
        },
    };
    steps.step(format!("delete it → {gone}"));

    // Fields.
    let configs = client.field_configs().await?;
    let names: Vec<&str> = configs
        .fields()
        .iter()
        .filter_map(|f| f.name.as_deref())
        .collect();
    steps.step(format!(
        "field configuration: {} fields: {}",
        configs.len(),
        names.join(", ")
    ));
    Ok(())
}

async fn u8(settings: &Settings, n: usize, steps: &mut Steps) -> CliResult {
    let session = clients::u8(&crate::cli::U8Config::default(), settings).await?;
    let client = &session.client;
    let Some(mock) = &session.mock else {
        return Ok(());
    };
    steps.heading("用友 U8 customer contacts", mock.base_url());
    steps.detail(format!(
        "{n} sample contacts, read-only API (batch_get, get)"
    ));

    // One page.
    let page = client.batch_get().page_size(10).send().await?;
    let contacts = page.customercontacts.unwrap_or_default();
    steps.step(format!(
        "batch_get page 1 (rows_per_page 10): row_count {}, page_count {}, first:",
        page.row_count.and_then(|r| r.get()).unwrap_or_default(),
        page.page_count.and_then(|r| r.get()).unwrap_or_default()
    ));
    for c in contacts.iter().take(3) {
        steps.detail(format!(
            "{}  {}  {}",
            c.code.as_deref().unwrap_or("-"),
            c.name.as_deref().unwrap_or("-"),
            c.ccusname.as_deref().unwrap_or("-")
        ));
    }

    // Stream with a filter.
    let of_customer: Vec<u8_contacts::Contact> = client
        .batch_get()
        .ccuscode("0215")
        .page_size(20)
        .stream()
        .try_collect()
        .await?;
    let main = of_customer
        .iter()
        .filter(|c| c.be_main_linker.as_ref().is_some_and(|b| b.is_true()))
        .count();
    steps.step(format!(
        "stream contacts of customer 0215 (天津鹏程电子有限公司): {}, {} of them main contacts",
        of_customer.len(),
        main
    ));

    // Get.
    let code = contacts
        .get(2)
        .or(contacts.first())
        .and_then(|c| c.code.clone())
        .unwrap_or_else(|| "00000001".into());
    match client.contact(&code).await? {
        Some(c) => steps.step(format!(
            "get {code}: {} {}, {}, mobile {}, e-mail {}",
            c.name.as_deref().unwrap_or("-"),
            c.title.as_deref().unwrap_or(""),
            truncate(c.position.as_deref().unwrap_or("-"), 20),
            c.mobile_phone.as_deref().unwrap_or("-"),
            c.email.as_deref().unwrap_or("-")
        )),
        None => steps.step(format!("get {code}: not found")),
    }
    Ok(())
}
