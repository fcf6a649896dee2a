//! Recording of raw exchanges (`record_dir`): secrets in URLs and bodies are redacted.
use u8_contacts::TransportOptions;
use u8_contacts_mock::MockU8;

#[tokio::test]
async fn recordings_contain_no_secret_and_no_token() {
    crm_testkit::bounded(async {
        let dir = crm_testkit::TempDir::new("u8-recordings");
        let mock = MockU8::start_with_sample_data(30).await.unwrap();
        let client = mock
            .client_builder()
            .with_record_dir(dir.path())
            .build()
            .unwrap();
        client.batch_get().page_size(10).send().await.unwrap();
        mock.expire_tokens();
        client.contact("00000001").await.unwrap();

        let mut secrets = vec![mock.credentials().app_secret.expose_secret().to_owned()];
        secrets.extend(
            mock.issued_tokens()
                .iter()
                .map(|t| t.expose_secret().to_owned()),
        );
        assert_eq!(secrets.len(), 3);
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(
            files.len() >= 4,
            "token, page, rejected get, token, get: {files:?}"
        );
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for s in &secrets {
                assert!(
                    !text.contains(s.as_str()),
                    "{} contains a secret:\n{text}",
                    path.display()
                );
            }
            assert!(text.contains("\"vendor\": \"u8\""));
        }
    })
    .await;
}
