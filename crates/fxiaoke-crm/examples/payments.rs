//! create → query stream → update → invalid → delete, on `PaymentObj`.
//!
//! Runs against the embedded mock by default. Against a real tenant, set `FXIAOKE_APP_ID`,
//! `FXIAOKE_APP_SECRET`, `FXIAOKE_PERMANENT_CODE`, `FXIAOKE_OPEN_USER_ID` (and optionally
//! `FXIAOKE_BASE_URL`), or for the OAuth2 flow `FXIAOKE_AUTH=oauth2` and `FXIAOKE_EMPLOYEE_ID`
//! instead of `FXIAOKE_OPEN_USER_ID`: it then creates, changes and deletes one payment record
//! there.
//!
//! ```sh
//! cargo run -p fxiaoke-crm --example payments
//! ```

use futures::TryStreamExt;
use fxiaoke_crm::types::PaymentObj;
use fxiaoke_crm::{Client, FilterOperator, WriteOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let real = std::env::var_os("FXIAOKE_APP_ID").is_some();
    let mock;
    let client = if real {
        println!("using the tenant configured in FXIAOKE_*");
        Client::from_env()?
    } else {
        mock = fxiaoke_crm_mock::MockFxiaoke::start_with_sample_data(250).await?;
        println!(
            "using the embedded mock at {} (set FXIAOKE_APP_ID etc. for a real tenant)",
            mock.base_url()
        );
        mock.client()?
    };

    let payment = PaymentObj {
        account_id: Some("2d58af2dbb4d4ecd931e80ef18xxxxxx".into()),
        payment_amount: Some("300.00".parse()?),
        payment_time: Some(chrono::Utc::now().into()),
        remark: Some("SDK example".into()),
        ..Default::default()
    };
    let id = client
        .create(&payment)
        .await?
        .ok_or("the vendor answered without the new record's id")?;
    println!("1. created PaymentObj {id}");

    let mut count = 0;
    let mut total = rust_decimal::Decimal::ZERO;
    let mut stream = client
        .query::<PaymentObj>()
        .filter("payment_amount", FilterOperator::Gte, ["100"])
        .fields(["_id", "name", "payment_amount"])
        .stream();
    while let Some(p) = stream.try_next().await? {
        count += 1;
        total += p.payment_amount.and_then(|a| a.get()).unwrap_or_default();
    }
    println!("2. streamed {count} payments of at least 100, together {total}");

    let mut mine: PaymentObj = client.get(&id).await?;
    mine.remark = Some("SDK example, updated".into());
    client.update(&mine, &WriteOptions::default()).await?;
    println!("3. updated the remark");

    client.invalid("PaymentObj", &id).await?;
    println!("4. voided it (作废)");
    client.delete_invalid("PaymentObj", &[&id]).await?;
    println!("5. deleted it");
    Ok(())
}
