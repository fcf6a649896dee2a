//! Compile-time guarantees: the client, every future a public async method returns, every
//! stream and the error are `Send` (the shared ones `Sync`). The futures are built, never polled.

use crm_testkit::{assert_send, assert_send_sync};
use u8_contacts::{Client, Error};

#[test]
fn clients_futures_streams_and_errors_are_send() {
    assert_send_sync::<Client>();
    assert_send_sync::<Error>();
    let client = Client::builder()
        .base_url("http://127.0.0.1:9/")
        .from_account("f")
        .to_account("t")
        .app_key("k")
        .app_secret("secret-value")
        .build()
        .unwrap();
    assert_send(client.contact("1"));
    assert_send(client.batch_get().send());
    assert_send(client.batch_get().stream());
}
