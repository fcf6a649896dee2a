//! Compile-time guarantees: the client, every future a public async method returns, every
//! stream and the error are `Send` (the shared ones `Sync`). The futures are built, never polled.

mod common;

use crm_testkit::{assert_send, assert_send_sync};
use u8_contacts::{Client, Error};

#[test]
fn clients_futures_streams_and_errors_are_send() {
    assert_send_sync::<Client>();
    assert_send_sync::<Error>();
    let client = common::offline_client();
    assert_send(client.contact("1"));
    assert_send(client.batch_get().send());
    assert_send(client.batch_get().stream());
}
