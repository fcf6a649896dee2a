//! The useasy customer API end to end.
//!
//! ```sh
//! cargo run -p openapi-crm --example customers
//! ```
//!
//! Without credentials it starts the embedded mock (with 250 sample customers) and runs every
//! operation against it. With `USEASY_APPID` and `USEASY_SECRET` set (and optionally
//! `USEASY_BASE_URL`) it talks to the real account instead and only **reads**: the field
//! configuration, the first page and the number of customers, and one customer by id. Set
//! `USEASY_EXAMPLE_WRITE=1` as well to also add, update and delete a test customer there.

use futures::TryStreamExt;
use openapi_crm::{Client, Customer, field};
use openapi_crm_mock::MockUseasy;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let real =
        std::env::var_os("USEASY_APPID").is_some() && std::env::var_os("USEASY_SECRET").is_some();
    // Keep the mock alive for the whole run (it stops when dropped).
    let (client, _mock) = if real {
        println!("using the real account (USEASY_APPID is set)");
        (Client::from_env()?, None)
    } else {
        let mock = MockUseasy::start_with_sample_data(250).await?;
        println!("using the embedded mock at {}", mock.base_url());
        (mock.client()?, Some(mock))
    };
    let write = !real || std::env::var("USEASY_EXAMPLE_WRITE").is_ok_and(|v| v == "1");

    // The field configuration: custom field ids by display name.
    let configs = client.field_configs().await?;
    println!("{} customer fields:", configs.len());
    for f in configs.fields() {
        println!(
            "  {:<10} {:<28} type={:<8} status={:?}{}{}",
            f.name.as_deref().unwrap_or(""),
            openapi_crm::field_key(f).unwrap_or(""),
            f.type_.as_deref().unwrap_or(""),
            f.status,
            if f.choices.as_ref().is_some_and(|c| !c.is_empty()) {
                " (choices)"
            } else {
                ""
            },
            if f.options.is_some() {
                " (cascade)"
            } else {
                ""
            },
        );
    }

    // One page, and the total.
    let page = client.customers().page_size(5).send().await?;
    println!(
        "{} customers in total; the first page:",
        page.count.and_then(|c| c.get()).unwrap_or(0)
    );
    let first = page.list.unwrap_or_default();
    for c in &first {
        println!(
            "  {} {} created {}",
            c.id.as_deref().unwrap_or("?"),
            c.customer_name.as_deref().unwrap_or(""),
            c.create_time
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_default()
        );
    }
    if let Some(id) = first.first().and_then(|c| c.id.as_deref()) {
        let one = client.customer(id).await?;
        println!("find by id {id}: {:?}", one.and_then(|c| c.customer_name));
    }

    // Every customer without an open sea (公海), across pages, within 10 requests/second.
    let private: Vec<Customer> = client
        .customers()
        .empty(field::OPEN_SEA_IDS)
        .stream()
        .try_collect()
        .await?;
    println!("{} customers have no open sea", private.len());

    if !write {
        println!(
            "read-only run: set USEASY_EXAMPLE_WRITE=1 to add, update and delete a test customer"
        );
        return Ok(());
    }

    // Add a customer with custom fields set by their display names (when the account has them).
    let mut customer = Customer::named("openapi-crm example 客户");
    customer.mobile = Some(vec![openapi_crm::types::PhoneProperty {
        value: "13800009999".into(),
        memo: Some("示例".into()),
        extra: Default::default(),
    }]);
    for (name, value) in [
        ("详细地址", serde_json::json!("杭州市西湖区文三路 1 号")),
        ("客户等级", serde_json::json!("重要客户")),
    ] {
        match customer.set_field_by_name(&configs, name, value) {
            Ok(()) => println!("set {name}"),
            Err(e) => println!("skipped {name}: {e}"),
        }
    }
    let added = client.add(&customer).await?;
    let id = added.id.clone().unwrap_or_default();
    println!("added {id} (createAgent {:?})", added.create_agent);
    for name in ["详细地址", "客户等级"] {
        if let Ok(Some(v)) = added.get_field_by_name(&configs, name) {
            println!(
                "  {name} = {}",
                configs.display_value(name, &v).unwrap_or_default()
            );
        }
    }

    let updated = client
        .update(&Customer {
            id: Some(id.clone()),
            customer_name: Some("openapi-crm example 客户 (renamed)".into()),
            ..Default::default()
        })
        .await?;
    println!(
        "updated: {:?} at {:?}",
        updated.customer_name, updated.update_time
    );

    client.delete(&id).await?;
    println!("deleted {id}");
    Ok(())
}
