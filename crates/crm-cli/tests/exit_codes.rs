//! End-to-end tests of the `crm` binary: Exit codes: usage 2, configuration 3, vendor 4, network 5; configuration from the environment against mocks started here; rejected credentials never printed.
//! Every run is bounded by a deadline and killed when it passes it; loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

// Exit codes

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        crm(&["fxiaoke", "query", "PaymentObj", "--bogus"])
            .run()
            .code,
        2
    );
    assert_eq!(crm(&["nope"]).run().code, 2);
    assert_eq!(crm(&[]).run().code, 2);
    for bad in [
        ["--filter", "x FOO 1"],
        ["--page-size", "101"],
        ["--order", "x:sideways"],
    ] {
        let args = [&["--mock", "fxiaoke", "query", "PaymentObj"][..], &bad].concat();
        assert_eq!(crm(&args).run().code, 2, "{bad:?}");
    }
    assert_eq!(
        crm(&["--mock", "fxiaoke", "delete", "PaymentObj"])
            .run()
            .code,
        2
    );
}

#[test]
fn missing_configuration_exits_3_with_one_line_naming_the_variables() {
    let run = crm(&["fxiaoke", "query", "PaymentObj"]).run();
    assert_fails(&run, 3);
    for v in [
        "FXIAOKE_APP_ID",
        "FXIAOKE_APP_SECRET",
        "FXIAOKE_PERMANENT_CODE",
        "FXIAOKE_OPEN_USER_ID",
        "--mock",
    ] {
        assert!(run.stderr.contains(v), "{v}: {}", run.stderr);
    }
    let run = crm(&["fxiaoke", "get", "PaymentObj", "1"])
        .env("FXIAOKE_APP_ID", "FSAID_1")
        .run();
    assert_fails(&run, 3);
    assert!(
        !run.stderr.contains("FXIAOKE_APP_ID,"),
        "only the missing ones: {}",
        run.stderr
    );

    let run = crm(&["useasy", "customers", "list"]).run();
    assert_fails(&run, 3);
    assert!(run.stderr.contains("USEASY_APPID") && run.stderr.contains("USEASY_SECRET"));

    let run = crm(&["u8", "contacts", "get", "1"])
        .env("U8_APP_SECRET", "s3cr3t-u8")
        .run();
    assert_fails(&run, 3);
    for v in ["U8_FROM_ACCOUNT", "U8_TO_ACCOUNT", "U8_APP_KEY"] {
        assert!(run.stderr.contains(v), "{v}: {}", run.stderr);
    }
    assert!(!run.stderr.contains("s3cr3t"));
}

#[test]
fn invalid_base_url_exits_3_with_one_line() {
    let run = crm(&["fxiaoke", "get", "PaymentObj", "1"])
        .fxiaoke_vars(
            "not a url",
            "FSAID_1",
            "s3cr3t-fx",
            "s3cr3t-code",
            "FSUID_1",
        )
        .run();
    assert_fails(&run, 3);
    assert!(run.stderr.contains("base URL"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t"));
    let run = crm(&[
        "useasy",
        "customers",
        "fields",
        "--base-url",
        "::",
        "--appid",
        "1",
        "--secret",
        "s3cr3t",
    ])
    .run();
    assert_fails(&run, 3);
    let run = crm(&["u8", "contacts", "get", "1"])
        .u8_vars("http//missing-colon", "a", "b", "c", "s3cr3t")
        .run();
    assert_fails(&run, 3);
}

#[test]
fn vendor_api_errors_exit_4() {
    let run = crm(&[
        "--mock",
        "fxiaoke",
        "get",
        "PaymentObj",
        "000000000000000000000000",
    ])
    .run();
    assert_fails(&run, 4);
    assert!(
        run.stderr.contains("fxiaoke get_data failed with code"),
        "{}",
        run.stderr
    );
    let run = crm(&["--mock", "useasy", "customers", "get", "1"]).run();
    assert_fails(&run, 4);
    assert!(run.stderr.contains("code 404"), "{}", run.stderr);
    let run = crm(&["--mock", "u8", "contacts", "get", "99999999"]).run();
    assert_fails(&run, 4);
    assert!(
        run.stderr.contains("u8 get_contact failed with code"),
        "{}",
        run.stderr
    );
    // Deleting a record that does not exist.
    assert_fails(
        &crm(&[
            "--mock",
            "fxiaoke",
            "delete",
            "PaymentObj",
            "000000000000000000000000",
        ])
        .run(),
        4,
    );
}

#[test]
fn network_errors_exit_5() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let run = crm(&["fxiaoke", "get", "PaymentObj", "1", "--retries", "0"])
        .fxiaoke_vars(
            "http://127.0.0.1:9",
            "FSAID_fake",
            "s3cr3t-fx",
            "s3cr3t-code",
            "FSUID_fake",
        )
        .run();
    assert_fails(&run, 5);
    assert!(run.stderr.contains("127.0.0.1:9"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    let run = crm(&["useasy", "customers", "list"])
        .useasy_vars("http://127.0.0.1:9", "1090", "s3cr3t")
        .env("CRM_RETRIES", "0")
        .run();
    assert_fails(&run, 5);
    let run = crm(&["u8", "contacts", "list", "--retries", "0"])
        .u8_vars("http://127.0.0.1:9", "a", "b", "c", "s3cr3t")
        .run();
    assert_fails(&run, 5);
    assert!(!run.stderr.contains("s3cr3t"));
}

// ---------------------------------------------------------------------------------------------
// Configuration from the environment, against mocks started here (a stand-in for the vendors)

/// The three mocks, served by a runtime of their own while the test waits for `crm`.
struct Vendors {
    _runtime: tokio::runtime::Runtime,
    fxiaoke: fxiaoke_crm_mock::MockFxiaoke,
    useasy: openapi_crm_mock::MockUseasy,
    u8: u8_contacts_mock::MockU8,
}

fn vendors() -> Vendors {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (fxiaoke, useasy, u8) = runtime.block_on(async {
        (
            fxiaoke_crm_mock::MockFxiaoke::start_with_sample_data(3)
                .await
                .unwrap(),
            openapi_crm_mock::MockUseasy::start_with_sample_data(3)
                .await
                .unwrap(),
            u8_contacts_mock::MockU8::start_with_sample_data(3)
                .await
                .unwrap(),
        )
    });
    Vendors {
        _runtime: runtime,
        fxiaoke,
        useasy,
        u8,
    }
}

impl Vendors {
    fn fxiaoke(&self, args: &[&str], app_secret: &str) -> Run {
        crm(args)
            .fxiaoke_env(&self.fxiaoke)
            .env("FXIAOKE_APP_SECRET", app_secret)
            .env("CRM_RETRIES", "0")
            .run()
    }

    fn useasy(&self, args: &[&str], secret: &str) -> Run {
        crm(args)
            .useasy_env(&self.useasy)
            .env("USEASY_SECRET", secret)
            .env("CRM_RETRIES", "0")
            .run()
    }

    fn u8(&self, args: &[&str], app_secret: &str) -> Run {
        crm(args)
            .u8_env(&self.u8)
            .env("U8_APP_SECRET", app_secret)
            .env("CRM_RETRIES", "0")
            .run()
    }
}

#[test]
fn configuration_from_the_environment_reaches_the_vendor() {
    let v = vendors();
    let secret = v.fxiaoke.credentials().app_secret;
    let run = v.fxiaoke(&["fxiaoke", "query", "PaymentObj"], &secret).ok();
    assert_eq!(run.jsonl().len(), 3);
    let secret = v.useasy.credentials().secret.expose_secret().to_owned();
    let run = v.useasy(&["useasy", "customers", "list"], &secret).ok();
    assert_eq!(run.jsonl().len(), 3);
    let secret = v.u8.credentials().app_secret.expose_secret().to_owned();
    let run = v.u8(&["u8", "contacts", "list"], &secret).ok();
    assert_eq!(run.jsonl().len(), 3);
    // Flags override the environment.
    let run = v.u8(&["u8", "contacts", "list", "--app-key", "wrong"], &secret);
    assert_fails(&run, 3);
}

#[test]
fn rejected_credentials_exit_3_without_printing_them() {
    let v = vendors();
    let runs = [
        v.fxiaoke(&["fxiaoke", "get", "PaymentObj", "1"], "s3cr3t-wrong"),
        v.useasy(&["useasy", "customers", "get", "1"], "s3cr3t-wrong"),
        v.u8(&["u8", "contacts", "get", "00000001"], "s3cr3t-wrong"),
    ];
    for (run, vendor) in runs.iter().zip(["fxiaoke", "useasy", "u8"]) {
        assert_fails(run, 3);
        assert!(run.stderr.contains(vendor), "{}", run.stderr);
        assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    }
}

#[test]
fn a_reader_that_closes_the_pipe_early_ends_the_export_with_exit_0() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;

    // Far more than a pipe buffer holds, so `crm` is still writing when the reader goes.
    let mut cmd = crm(&["--mock", "fxiaoke", "query", "PaymentObj"])
        .env("CRM_MOCK_RECORDS", "5000")
        .cmd;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn crm");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first record");
    assert!(first.starts_with('{'), "{first}");
    drop(stdout); // `crm ... | head -1`
    let mut stderr = child.stderr.take().expect("stderr");
    let status = wait_within_deadline(&mut child, &cmd);
    let mut errors = String::new();
    stderr.read_to_string(&mut errors).expect("read stderr");
    assert_eq!(status.code(), Some(0), "stderr: {errors}");
    assert!(errors.is_empty(), "no error for a closed pipe: {errors}");
}
