//! Recording of raw exchanges (`record_dir`): one file per exchange, secrets redacted.
use fxiaoke_crm::TransportOptions;
use fxiaoke_crm::types::PaymentObj;
use fxiaoke_crm_mock::MockFxiaoke;
use serde_json::Value;

#[tokio::test]
async fn recordings_name_the_operation_and_contain_no_secret() {
    crm_testkit::bounded(async {
        let dir = crm_testkit::TempDir::new("fx-recordings");
        let mock = MockFxiaoke::start_with_sample_data(5).await.unwrap();
        let client = mock
            .client_builder()
            .with_record_dir(dir.path())
            .build()
            .unwrap();
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
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = path.metadata().unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "readable by the owner only");
            }
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
    })
    .await;
}

/// Run as a child process with `CRM_RECORD_DIR` set: a client built without asking for
/// recordings must not record (a stray variable must not make a program write personal data).
#[tokio::test]
async fn child_checks_that_the_environment_does_not_switch_recording_on() {
    crm_testkit::bounded(async {
        let Some(dir) = std::env::var_os("CRM_RECORD_DIR") else {
            return; // only meaningful in the child started by the test below
        };
        let mock = MockFxiaoke::start().await.unwrap();
        let client = mock.client().unwrap();
        assert!(client.config().transport.record_dir.is_none());
        client.objects().await.unwrap();
        assert!(!std::path::Path::new(&dir).exists(), "nothing recorded");
        // The explicit opt-in reads it.
        let from_env = fxiaoke_crm::TransportConfig::from_env(fxiaoke_crm::RateLimits::off());
        assert_eq!(
            from_env.record_dir.as_deref(),
            Some(std::path::Path::new(&dir))
        );
    })
    .await;
}

#[test]
fn recording_is_off_unless_the_application_asks() {
    let scratch = crm_testkit::TempDir::new("fx-no-record");
    let dir = scratch.join("recordings");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_checks_that_the_environment_does_not_switch_recording_on",
            "--nocapture",
        ])
        .env("CRM_RECORD_DIR", &dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 passed"), "the child ran the check: {text}");
}
