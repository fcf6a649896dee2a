//! Every JSON example of the vendor document (`fixtures/fxiaoke/`): validated against the
//! hand-written schema, decoded into the generated type, snapshotted, re-encoded and validated
//! against the schema derived from the generated type. See `crm_testkit`.

crm_testkit::fixture_tests!("fxiaoke", fxiaoke_crm);
