//! Walks through typed objects of a tenant against the demo tenant (an embedded mock): query,
//! get, create, update with the structs `build.rs` generated from `schemas/`.

use futures::TryStreamExt;
use fxiaoke_crm::{OpenEnum, WriteOptions};
use tenant_types::tenant::{AccountObj, Visit, VisitLevel};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = tenant_types::demo_tenant().await?;
    let client = mock.client()?; // against your tenant: fxiaoke_crm::Client::from_env()?

    let accounts: Vec<AccountObj> = client.query::<AccountObj>().stream().try_collect().await?;
    for a in &accounts {
        let level = a.account_level.as_ref().map(|l| match l {
            OpenEnum::Known(k) => k.label().to_owned(),
            other => format!("{other} (not in the schema yet)"),
        });
        println!("account {:?}: level {level:?}", a.name);
    }

    let id = client
        .create(&Visit {
            name: Some("回访".into()),
            account_c: accounts.first().and_then(|a| a.id.clone()),
            amount_c: Some("1280.00".parse()?),
            level_c: Some(VisitLevel::H3mB6wAoj.into()),
            ..Default::default()
        })
        .await?
        .ok_or("the vendor answered without the new record's id")?;
    let visit: Visit = client.get(&id).await?;
    let mut done = visit.clone();
    done.done_c = Some(true.into());
    client
        .update_changes(&visit, &done, &WriteOptions::default())
        .await?;

    for v in client
        .query::<Visit>()
        .stream()
        .try_collect::<Vec<Visit>>()
        .await?
    {
        println!(
            "visit {:?}: amount {:?}, level {:?}, {} other field(s) kept in `extra`",
            v.name,
            v.amount_c.map(|a| a.to_string()),
            v.level_c.map(|l| l.to_string()),
            v.extra.len()
        );
    }
    Ok(())
}
