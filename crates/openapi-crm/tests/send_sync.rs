//! Compile-time guarantees: the client, every future a public async method returns, every
//! stream and the error are `Send` (the shared ones `Sync`). The futures are built, never polled.

use openapi_crm::{Client, Customer, Error};

fn send<T: Send>(_: T) {}
fn send_sync<T: Send + Sync>() {}

#[test]
fn clients_futures_streams_and_errors_are_send() {
    send_sync::<Client>();
    send_sync::<Error>();
    let client = Client::builder()
        .base_url("http://127.0.0.1:9/")
        .app_id("1090")
        .app_secret("secret-value")
        .build()
        .unwrap();
    let c = Customer::named("x");
    let mut m = Customer::named("y");
    send(client.customer("1"));
    send(client.add(&c));
    send(client.update(&c));
    send(client.delete("1"));
    send(client.field_configs());
    send(client.refresh_field_configs());
    send(client.set_custom_field(&mut m, "n", "v"));
    send(client.customers().send());
    send(client.customers().stream());
    send(client.customers().stream_by_page_number());
}
