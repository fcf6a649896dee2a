//! In the OAuth2 flow, the bearer token (and the app secret and permanent code) never reach
//! `Debug`, errors, log lines at TRACE or recordings; recordings show the `authorization` header
//! as redacted. Alone in its binary: it installs the global TRACE subscriber, so every thread's
//! events (the paging task, the mock server) are captured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use fxiaoke_crm::AuthFlow;
use fxiaoke_crm::types::PaymentObj;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bearer_token_appears_in_no_debug_output_error_log_line_or_recording() {
    crm_testkit::bounded(async {
        // The vendor echoes the refused authorization header in its 20016 message.
        let mock = common::echoing_mock(AuthFlow::OAuth2).await;
        let creds = mock.credentials();
        let logs = crm_testkit::CapturedLogs::globally();

        let (client, recordings) = common::recording_client(&mock, "fx-redaction-oauth2");
        // The first token calls fail with HTTP 500 bodies that echo the request (appSecret,
        // permanentCode); the retries get through.
        mock.control().echo_next(Some("/oauth2.0/token"), 2, 500);
        client.query::<PaymentObj>().send().await.unwrap();
        // A business call whose failures echo the request, its authorization header included: the
        // error quotes the echo.
        mock.control()
            .echo_next(Some("/cgi/crm/v2/data/query"), 4, 500);
        let echo_err = client.query::<PaymentObj>().send().await.unwrap_err();
        mock.expire_tokens();
        client.query::<PaymentObj>().send().await.unwrap(); // 20016 echoing the header, refresh, retry
        let echo_text = echo_err.to_string();
        assert!(
            echo_text.contains("upstream error") && echo_text.contains("authorization"),
            "the echo quotes the header: {echo_text}"
        );
        let mut texts = common::texts_to_search(&mock, &logs, &client, &echo_err).await;
        let tokens = mock.issued_tokens();
        assert_eq!(tokens.len(), 2, "a token, and one after 20016");
        let mut business_recordings = 0;
        for entry in std::fs::read_dir(&recordings).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let doc: Value = serde_json::from_str(&text).unwrap();
            let headers = &doc["request"]["headers"];
            if doc["operation"] == "query_data" {
                business_recordings += 1;
                assert_eq!(headers["authorization"], "[redacted]", "{text}");
                assert_eq!(headers["x-fs-ea"], creds.ea.as_str(), "{text}");
                assert_eq!(headers["x-fs-userid"], creds.employee_id.as_str(), "{text}");
                let body = doc["request"]["body"].as_object().unwrap();
                assert!(!body.contains_key("corpAccessToken"), "{text}");
            } else {
                assert_eq!(doc["operation"], "get_oauth2_token", "{text}");
                assert!(headers.get("authorization").is_none(), "{text}");
            }
            texts.push(text);
        }
        assert!(business_recordings >= 6, "exchanges were recorded");
        common::assert_no_mock_secret(&mock, &texts);
    })
    .await;
}
