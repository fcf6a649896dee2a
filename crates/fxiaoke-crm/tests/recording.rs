//! Recording of raw exchanges (`record_dir`): one file per exchange, secrets redacted.
#![cfg(feature = "mock")]

use fxiaoke_crm::mock::MockFxiaoke;
use fxiaoke_crm::types::PaymentObj;
use serde_json::Value;

#[tokio::test]
async fn recordings_name_the_operation_and_contain_no_secret() {
    let dir = std::env::temp_dir().join(format!("crm-rec-fx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mock = MockFxiaoke::start_with_sample_data(5).await.unwrap();
    let client = mock.client_builder().record_dir(&dir).build().unwrap();
    client.query::<PaymentObj>().send().await.unwrap();
    mock.expire_tokens();
    client.objects().await.unwrap(); // 20016, a second token, a retry

    let mut operations = Vec::new();
    let creds = mock.credentials();
    let secrets: Vec<String> = [creds.app_secret.clone(), creds.permanent_code.clone()]
        .into_iter()
        .chain(mock.issued_tokens())
        .collect();
    assert_eq!(secrets.len(), 4, "two tokens were issued");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "{} contains a secret",
                path.display()
            );
        }
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["vendor"], "fxiaoke");
        let op = doc["operation"].as_str().unwrap().to_owned();
        assert!(
            path.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(&format!("fxiaoke-{op}-"))
        );
        assert!(doc["response"]["body"].is_object(), "{text}");
        operations.push(op);
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "get_corp_access_token",
            "get_corp_access_token",
            "list_objects",
            "list_objects",
            "query_data"
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn recording_is_off_by_default() {
    // SAFETY-free check: the default config takes CRM_RECORD_DIR from the environment only.
    if std::env::var_os("CRM_RECORD_DIR").is_some() {
        return;
    }
    let mock = MockFxiaoke::start().await.unwrap();
    let client = mock.client().unwrap();
    assert!(client.config().transport.record_dir.is_none());
}
