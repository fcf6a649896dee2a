//! The app secret and tokens never appear in `Debug` output or error messages (logs: see
//! `tests/trace_redaction.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{bounded, sample_client};
use u8_contacts::Error;
use u8_contacts_mock::{MockU8, codes, paths};

/// Every secret the mock knows (`common::secrets`), checked to be distinctive.
fn secrets(mock: &MockU8) -> Vec<String> {
    let s = common::secrets(mock);
    assert!(s.iter().all(|s| s.len() >= 16), "distinctive values");
    s
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!text.contains(s.as_str()), "{what} leaks a secret: {text}");
    }
}

fn assert_error_clean(err: &Error, secrets: &[String]) {
    assert_clean("Display", &err.to_string(), secrets);
    assert_clean("Debug", &format!("{err:?}"), secrets);
    if let Error::Decode { source, .. } = err {
        assert_clean("excerpt", &source.excerpt, secrets);
        assert_clean("message", &source.message, secrets);
    }
}

#[tokio::test]
async fn debug_output_of_the_client_and_mock_shows_no_secret() {
    bounded(async {
        let (mock, client) = sample_client(5).await;
        client.batch_get().send().await.unwrap(); // a token is now cached
        let secrets = secrets(&mock);
        assert_eq!(secrets.len(), 2);
        assert_clean("client Debug", &format!("{client:?}"), &secrets);
        assert_clean("client Debug (pretty)", &format!("{client:#?}"), &secrets);
        assert_clean("config Debug", &format!("{:?}", client.config()), &secrets);
        assert_clean("mock Debug", &format!("{mock:?}"), &secrets);
        assert!(format!("{client:?}").contains("[redacted]"));
    })
    .await;
}

#[tokio::test]
async fn no_error_shows_a_secret() {
    bounded(async {
        let (mock, client) = sample_client(5).await;
        client.batch_get().send().await.unwrap();
        let mut errors: Vec<Error> = Vec::new();

        // A vendor message that echoes the secret and the token (a careless gateway).
        let token = mock.issued_tokens()[0].expose_secret().to_owned();
        let secret = mock.credentials().app_secret.expose_secret().to_owned();
        // (The message must not contain the word "token": the client would take it for a token
        // error, fetch a new token and repeat the call.)
        mock.fail_next_with_errcode(1, "99999", &format!("非法请求 secret={secret} id={token}"));
        errors.push(client.batch_get().send().await.unwrap_err());
        // The token rejected twice.
        mock.fail_next_with_errcode_on(paths::BATCH_GET, 2, codes::TOKEN_INVALID, "token无效或已过期");
        errors.push(client.batch_get().send().await.unwrap_err());
        // HTTP errors, retried to exhaustion.
        mock.control().fail_next(4, 503);
        errors.push(client.contact("00000001").await.unwrap_err());
        // A malformed token response that carries a token (its excerpt would show it). An odd
        // scalar such as "soon" would decode (kept unparsed); a list cannot.
        // (A new client each: the first one's token was refused right after a refresh, so it
        // no longer fetches tokens.)
        mock.respond_next_raw(
            paths::TOKEN,
            r#"{"errcode":"0","token":{"id":"0123456789abcdef0123456789abcdef","expiresIn":["soon"]}}"#,
        );
        errors.push(mock.client().unwrap().batch_get().send().await.unwrap_err());
        // A token of the wrong type (serde quotes the failing value in its message).
        mock.respond_next_raw(paths::TOKEN, r#"{"errcode":"0","token":{"id":98765432109876543210}}"#);
        errors.push(mock.client().unwrap().batch_get().send().await.unwrap_err());
        // Bad credentials.
        let wrong = mock.client_builder().app_secret("wrong-secret-7f3a9c2e41d8b065").build().unwrap();
        errors.push(wrong.batch_get().send().await.unwrap_err());
        // A dropped connection that does not recover.
        mock.control().drop_next(4);
        errors.push(client.batch_get().send().await.unwrap_err());

        let mut all = secrets(&mock);
        all.extend(["0123456789abcdef0123456789abcdef", "98765432109876543210", "wrong-secret-7f3a9c2e41d8b065"].map(String::from));
        assert_eq!(errors.len(), 7);
        for err in &errors {
            assert_error_clean(err, &all);
        }
        assert!(matches!(&errors[3], Error::Decode { source, .. } if source.path == "token.expiresIn"), "{:?}", errors[3]);
        assert!(matches!(&errors[4], Error::Decode { source, .. } if source.path == "token.id"), "{:?}", errors[4]);
        assert!(errors[0].to_string().contains("[redacted]"), "{}", errors[0]);
    })
    .await;
}
