//! Compile-time guarantees: the client, every future a public async method returns, every
//! stream and the error are `Send` (the shared ones `Sync`). The futures are built, never polled.

use u8_contacts::{Client, Error};

fn send<T: Send>(_: T) {}
fn send_sync<T: Send + Sync>() {}

#[test]
fn clients_futures_streams_and_errors_are_send() {
    send_sync::<Client>();
    send_sync::<Error>();
    let client = Client::builder()
        .base_url("http://127.0.0.1:9/")
        .from_account("f")
        .to_account("t")
        .app_key("k")
        .app_secret("secret-value")
        .build()
        .unwrap();
    send(client.contact("1"));
    send(client.batch_get().send());
    send(client.batch_get().stream());
}
