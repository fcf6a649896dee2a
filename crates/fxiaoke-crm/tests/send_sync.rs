//! Compile-time guarantees: the client, every future a public async method returns, every
//! stream and the error are `Send` (and the shared ones `Sync`), so a dependency change cannot
//! make them unusable across tasks unnoticed. The futures are built, never polled.

mod common;

use crm_testkit::{assert_send, assert_send_sync};
use fxiaoke_crm::types::PaymentObj;
use fxiaoke_crm::{Client, Details, Error, ObjectData, WriteOptions};

#[test]
fn clients_futures_streams_and_errors_are_send() {
    assert_send_sync::<Client>();
    assert_send_sync::<Error>();
    assert_send_sync::<fxiaoke_crm::ApiError>();
    let client = common::offline_client();
    let p = PaymentObj::default();
    let o = WriteOptions::default();
    assert_send(client.operator_open_user_id());
    assert_send(client.create(&p));
    assert_send(client.create_with_details(&p, Details::new(), &o));
    assert_send(client.create_object("X", ObjectData::default(), Details::new(), &o));
    assert_send(client.get::<PaymentObj>("1"));
    assert_send(client.get_object("X", "1"));
    assert_send(client.update(&p, &o));
    assert_send(client.update_changes(&p, &p, &o));
    assert_send(client.update_object("X", ObjectData::default(), Details::new(), &o));
    assert_send(client.invalid("X", "1"));
    assert_send(client.delete("X", &["1"]));
    assert_send(client.delete_invalid("X", &["1"]));
    assert_send(client.recover("X", &["1"]));
    assert_send(client.change_owner("X", "1", &["u"]));
    assert_send(client.objects());
    assert_send(client.describe("X"));
    assert_send(client.query::<PaymentObj>().send());
    assert_send(client.query::<PaymentObj>().stream());
    assert_send(client.query_object("X").pages());
}
