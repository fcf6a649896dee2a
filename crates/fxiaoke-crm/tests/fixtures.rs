//! Every JSON example of the vendor document (`fixtures/fxiaoke/`): validated against the
//! hand-written schema, decoded into the generated type, snapshotted, re-encoded and validated
//! against the schema derived from the generated type. See `crm_testkit`.

use crm_testkit::{TypeRegistry, run_fixture_suite, run_malformed_suite};
use fxiaoke_crm::registry;

const REGISTRY: TypeRegistry = TypeRegistry {
    decode_roundtrip: registry::decode_roundtrip,
    derived_schema: registry::derived_schema,
};

#[test]
fn documented_examples_round_trip() {
    run_fixture_suite("fxiaoke", "fxiaoke", REGISTRY, |name, decoded| {
        insta::assert_snapshot!(name, decoded);
    });
}

#[test]
fn malformed_payloads_fail_with_a_path() {
    let checked = run_malformed_suite("fxiaoke", "fxiaoke", REGISTRY);
    assert!(checked >= 3, "only {checked} malformed inputs were checked");
}
