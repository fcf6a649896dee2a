//! The example stays true: its checked-in schemas are what a pull from the demo tenant writes
//! (through the same library functions `crm fxiaoke schema pull` calls), the module `build.rs`
//! generated from them decodes the demo tenant's records and re-encodes them as sent, and the
//! walkthrough in `main.rs` runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crm_testkit::files_of;
use std::collections::BTreeMap;
use std::path::Path;

use crm_codegen::{Vendor, tenant};
use futures::TryStreamExt;
use serde_json::Value;
use serde_json::value::RawValue;
use tenant_types::tenant::{AccountObj, Visit};

#[tokio::test(flavor = "current_thread")]
async fn the_checked_in_schemas_are_a_fresh_pull_of_the_demo_tenant() {
    let mock = tenant_types::demo_tenant().await.unwrap();
    let client = mock.client().unwrap();
    let mut pulled = Vec::new();
    for api in ["AccountObj", "object_visit__c"] {
        let describe = client
            .describe(api)
            .await
            .unwrap()
            .data
            .unwrap()
            .describe
            .unwrap();
        let value = serde_json::to_value(&describe).unwrap();
        pulled.push(tenant::fxiaoke::object_schema(&value).unwrap());
    }
    let fresh = std::env::temp_dir().join(format!("tenant-types-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    let requested = BTreeMap::from([("object_visit__c".to_owned(), "Visit".to_owned())]);
    tenant::write_pulled(Vendor::Fxiaoke, &fresh, &pulled, &requested).unwrap();
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    assert_eq!(
        files_of(&fresh),
        files_of(&checked_in),
        "examples/tenant-types/schemas/ is not a fresh pull of demo_objects(): pull again with `crm fxiaoke schema pull AccountObj object_visit__c=Visit --out schemas` against the demo tenant"
    );
    let _ = std::fs::remove_dir_all(&fresh);
}

#[tokio::test(flavor = "current_thread")]
async fn the_demo_tenant_round_trips_through_the_generated_types() {
    let mock = tenant_types::demo_tenant().await.unwrap();
    let client = mock.client().unwrap();
    for api in ["AccountObj", "object_visit__c"] {
        let raw: Vec<Box<RawValue>> = client.query_as(api).stream().try_collect().await.unwrap();
        assert!(!raw.is_empty());
        for r in raw {
            let sent: Value = serde_json::from_str(r.get()).unwrap();
            let again = match api {
                "AccountObj" => {
                    serde_json::to_value(serde_json::from_str::<AccountObj>(r.get()).unwrap())
                }
                _ => serde_json::to_value(serde_json::from_str::<Visit>(r.get()).unwrap()),
            }
            .unwrap();
            assert_eq!(again, sent, "{api} re-encodes as sent");
        }
    }
}

#[test]
fn the_walkthrough_runs() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tenant-types"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(r#"account Some("杭州某某科技"): level Some("重要客户")"#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"visit Some("回访"): amount Some("1280.00"), level Some("h3mB6wAoj")"#),
        "{stdout}"
    );
}
