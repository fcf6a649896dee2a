//! Lists, streams and fetches U8 customer contacts.
//!
//! ```text
//! cargo run -p u8-contacts --example contacts
//! ```
//!
//! By default it starts the embedded mock with sample data. To use a real account, set
//! `U8_FROM_ACCOUNT`, `U8_TO_ACCOUNT`, `U8_APP_KEY`, `U8_APP_SECRET` (optionally `U8_BASE_URL`,
//! `U8_DS_SEQUENCE`; `U8_CUSTOMER` picks the customer code to stream). Every call is a read.

use futures::TryStreamExt;
use u8_contacts::{Client, Contact, ENV_VARS};
use u8_contacts_mock::MockU8;

fn show(c: &Contact) -> String {
    let flag = |b: &Option<crm_runtime::StrBool>| {
        if b.as_ref().is_some_and(crm_runtime::StrBool::is_true) {
            "yes"
        } else {
            "no"
        }
    };
    format!(
        "{:<10} {:<6} {:<4} {:<6} customer {} {} | main: {} default: {} | {}",
        c.code.as_deref().unwrap_or("?"),
        c.name.as_deref().unwrap_or(""),
        c.sex.as_deref().unwrap_or(""),
        c.birthday
            .as_ref()
            .map(|b| b.to_string())
            .unwrap_or_default(),
        c.ccuscode.as_deref().unwrap_or(""),
        c.ccusname.as_deref().unwrap_or(""),
        flag(&c.be_main_linker),
        flag(&c.default),
        c.mobile_phone.as_deref().unwrap_or(""),
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the mock alive for as long as the client is used.
    let (client, _mock) = if ENV_VARS.iter().any(|k| std::env::var_os(k).is_some()) {
        println!(
            "Using the real U8 gateway (configuration from {}).",
            ENV_VARS.join(", ")
        );
        (Client::from_env()?, None)
    } else {
        let mock = MockU8::start_with_sample_data(120).await?;
        println!(
            "No U8_* variables set: using the embedded mock at {} (120 sample contacts).",
            mock.base_url()
        );
        (mock.client()?, Some(mock))
    };

    println!("\n1. One page: batch_get page 1, 5 rows per page");
    let page = client.batch_get().page_size(5).send().await?;
    let records = page.customercontacts.unwrap_or_default();
    println!(
        "   {} contacts in {} pages; this page has {}:",
        page.row_count.and_then(|n| n.get()).unwrap_or(0),
        page.page_count.and_then(|n| n.get()).unwrap_or(0),
        records.len()
    );
    for c in &records {
        println!("   {}", show(c));
    }
    let Some(first) = records.first() else {
        println!("   (no contacts: nothing more to show)");
        return Ok(());
    };

    let customer = std::env::var("U8_CUSTOMER")
        .ok()
        .or_else(|| first.ccuscode.clone().map(String::from))
        .unwrap_or_default();
    println!("\n2. Stream every contact of customer {customer} (all pages, 20 rows each)");
    let all: Vec<Contact> = client
        .batch_get()
        .ccuscode(customer.as_str())
        .page_size(20)
        .stream()
        .try_collect()
        .await?;
    for c in &all {
        println!("   {}", show(c));
    }
    println!("   {} contacts", all.len());

    let code = first.code.clone().unwrap_or_default();
    println!("\n3. Get one contact by code: customercontacts/get id={code}");
    match client.contact(&code).await? {
        Some(c) => println!("   {}", show(&c)),
        None => println!("   not found"),
    }

    println!(
        "\nToken calls made by this client: {}",
        client.token_fetches()
    );
    Ok(())
}
