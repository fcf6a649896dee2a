//! Compile-time guarantees: the client, every future a public async method returns, every
//! stream and the error are `Send` (and the shared ones `Sync`), so a dependency change cannot
//! make them unusable across tasks unnoticed. The futures are built, never polled.

use fxiaoke_crm::types::PaymentObj;
use fxiaoke_crm::{Client, Details, Error, ObjectData, WriteOptions};

fn send<T: Send>(_: T) {}
fn send_sync<T: Send + Sync>() {}

#[test]
fn clients_futures_streams_and_errors_are_send() {
    send_sync::<Client>();
    send_sync::<Error>();
    send_sync::<fxiaoke_crm::ApiError>();
    let client = Client::builder()
        .base_url("http://127.0.0.1:9/")
        .app_id("a")
        .app_secret("s")
        .permanent_code("p")
        .open_user_id("u")
        .build()
        .unwrap();
    let p = PaymentObj::default();
    let o = WriteOptions::default();
    send(client.operator_open_user_id());
    send(client.create(&p));
    send(client.create_with_details(&p, Details::new(), &o));
    send(client.create_object("X", ObjectData::default(), Details::new(), &o));
    send(client.get::<PaymentObj>("1"));
    send(client.get_object("X", "1"));
    send(client.update(&p, &o));
    send(client.update_changes(&p, &p, &o));
    send(client.update_object("X", ObjectData::default(), Details::new(), &o));
    send(client.invalid("X", "1"));
    send(client.delete("X", &["1"]));
    send(client.delete_invalid("X", &["1"]));
    send(client.recover("X", &["1"]));
    send(client.change_owner("X", "1", &["u"]));
    send(client.objects());
    send(client.describe("X"));
    send(client.query::<PaymentObj>().send());
    send(client.query::<PaymentObj>().stream());
    send(client.query_object("X").pages());
}
