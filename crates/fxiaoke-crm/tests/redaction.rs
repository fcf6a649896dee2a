//! The app secret, permanent code and every token never reach `Debug`, errors or logs.
//! Alone in its binary: it installs the global TRACE subscriber, so every thread's events (the
//! paging task, the mock server) are captured.
mod common;

use fxiaoke_crm::AuthFlow;
use fxiaoke_crm::types::PaymentObj;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_appear_in_no_debug_output_error_log_line_or_recording() {
    crm_testkit::bounded(async {
        // The vendor echoes the refused token in its 20016 message.
        let mock = common::echoing_mock(AuthFlow::Legacy).await;
        let logs = crm_testkit::CapturedLogs::globally();

        let (client, recordings) = common::recording_client(&mock, "fx-redaction");
        // The first token call fails with HTTP 500 bodies that echo the request (appSecret,
        // permanentCode); the retries get through.
        mock.control()
            .echo_next(Some("/cgi/corpAccessToken/get/V2"), 2, 500);
        client.query::<PaymentObj>().send().await.unwrap();
        // A token call that keeps failing so: the error quotes the echo.
        let echoing = mock.client().unwrap();
        mock.control()
            .echo_next(Some("/cgi/corpAccessToken/get/V2"), 4, 500);
        let echo_err = echoing.objects().await.unwrap_err();
        mock.expire_tokens();
        client.query::<PaymentObj>().send().await.unwrap(); // 20016, refresh, retry: all logged
        let echo_text = echo_err.to_string();
        assert!(echo_text.contains("upstream error"), "{echo_text}");
        let mut texts = common::texts_to_search(&mock, &logs, &client, &echo_err).await;
        for entry in std::fs::read_dir(&recordings).unwrap() {
            texts.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
        assert!(texts.len() > 8, "exchanges were recorded");
        common::assert_no_mock_secret(&mock, &texts);
    })
    .await;
}
