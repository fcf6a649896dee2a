//! Compile-time guarantees: the client, every future a public async method returns, every
//! stream and the error are `Send` (the shared ones `Sync`). The futures are built, never polled.

use crm_testkit::{assert_send, assert_send_sync};
use openapi_crm::{Client, Customer, Error};

#[test]
fn clients_futures_streams_and_errors_are_send() {
    assert_send_sync::<Client>();
    assert_send_sync::<Error>();
    let client = Client::builder()
        .base_url("http://127.0.0.1:9/")
        .app_id("1090")
        .app_secret("secret-value")
        .build()
        .unwrap();
    let c = Customer::named("x");
    let mut m = Customer::named("y");
    assert_send(client.customer("1"));
    assert_send(client.add(&c));
    assert_send(client.update(&c));
    assert_send(client.delete("1"));
    assert_send(client.field_configs());
    assert_send(client.refresh_field_configs());
    assert_send(client.set_custom_field(&mut m, "n", "v"));
    assert_send(client.customers().send());
    assert_send(client.customers().stream());
    assert_send(client.customers().stream_by_page_number());
}
