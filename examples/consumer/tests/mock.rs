//! The user's test: the user's code against the embedded Fxiaoke mock, no credentials.

use fxiaoke_crm::types::PaymentObj;
use fxiaoke_crm_mock::MockFxiaoke;

#[tokio::test]
async fn finds_the_large_payments_on_the_mock() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockFxiaoke::start().await?;
    let client = mock.client()?;
    let mut large = Vec::new();
    for amount in ["50.00", "100.00", "250.50"] {
        let payment = PaymentObj {
            account_id: Some("2d58af2dbb4d4ecd931e80ef18xxxxxx".into()),
            payment_amount: Some(amount.parse()?),
            ..Default::default()
        };
        let id = client.create(&payment).await?.ok_or("no dataId")?;
        if amount != "50.00" {
            large.push(id);
        }
    }
    large.sort();

    assert_eq!(consumer::large_payments(&client, 100).await?, large);
    assert!(consumer::large_payments(&client, 1000).await?.is_empty());
    Ok(())
}
