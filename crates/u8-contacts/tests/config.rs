//! Configuration: errors name what is missing; a client built with defaults has the documented
//! timeouts, retries, rate limit and token margin.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use u8_contacts::{Client, ENV_VARS, Error};

fn config_message(result: Result<Client, Error>) -> String {
    match result {
        Err(Error::Config(message) | Error::MissingCredential(message)) => message,
        Err(other) => panic!("expected a configuration error, got {other}"),
        Ok(_) => panic!("expected Error::Config, got a client"),
    }
}

#[test]
fn a_missing_field_is_named() {
    let message = config_message(Client::builder().build());
    for field in ["from_account", "to_account", "app_key", "app_secret"] {
        assert!(message.contains(field), "{message}");
    }

    let message = config_message(
        Client::builder()
            .from_account("dev")
            .app_key("opa1")
            .to_account("")
            .build(),
    );
    assert!(
        message.contains("to_account") && message.contains("app_secret"),
        "{message}"
    );
    assert!(
        !message.contains("from_account") && !message.contains("app_key"),
        "{message}"
    );
}

#[test]
fn a_bad_base_url_is_a_config_error() {
    let b = Client::builder()
        .from_account("a")
        .to_account("b")
        .app_key("c")
        .app_secret("d");
    let message = config_message(b.base_url("not a url").build());
    assert!(message.contains("base URL"), "{message}");
}

/// Runs the test `from_env_child` of this binary in a child process with exactly the given U8
/// variables (none inherited), and returns whether it passed.
fn run_child(vars: &[(&str, &str)], expect: &str) -> bool {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "from_env_child",
        "--nocapture",
        "--test-threads=1",
    ]);
    for k in ENV_VARS.iter().chain(&["U8_BASE_URL", "U8_DS_SEQUENCE"]) {
        cmd.env_remove(k);
    }
    cmd.envs(vars.iter().copied())
        .env("U8_CONTACTS_TEST_CHILD", expect);
    let out = cmd.output().unwrap();
    if !out.status.success() {
        eprintln!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("child checked")
}

/// Only does something when started by `from_env_lists_the_missing_variables`.
#[test]
fn from_env_child() {
    let Ok(expect) = std::env::var("U8_CONTACTS_TEST_CHILD") else {
        return;
    };
    let message = config_message(Client::from_env());
    assert_eq!(message, expect);
    println!("child checked");
}

#[test]
fn from_env_lists_the_missing_variables() {
    assert!(run_child(
        &[],
        "set U8_FROM_ACCOUNT, U8_TO_ACCOUNT, U8_APP_KEY, U8_APP_SECRET"
    ));
    assert!(run_child(
        &[
            ("U8_FROM_ACCOUNT", "dev"),
            ("U8_APP_KEY", "opa1"),
            ("U8_TO_ACCOUNT", "")
        ],
        "set U8_TO_ACCOUNT, U8_APP_SECRET"
    ));
    let all = [
        ("U8_FROM_ACCOUNT", "dev"),
        ("U8_TO_ACCOUNT", "ent"),
        ("U8_APP_KEY", "opa1"),
        ("U8_APP_SECRET", "s"),
    ];
    let mut bad_ds = all.to_vec();
    bad_ds.push(("U8_DS_SEQUENCE", "first"));
    assert!(run_child(
        &bad_ds,
        "U8_DS_SEQUENCE must be a number, not \"first\""
    ));
}

#[test]
fn a_client_built_with_defaults_has_the_documented_limit_timeouts_and_retries() {
    let client = common::offline_client();
    let transport = &client.config().transport;
    crm_testkit::assert_documented_transport_defaults(transport);
    // Tokens are replaced 300 s before they expire (the cache's rule, tested in crm-runtime).
    assert_eq!(
        u8_contacts::REFRESH_MARGIN,
        std::time::Duration::from_secs(300)
    );
    // U8 documents no limit: the client keeps to 10 calls a second of its own accord.
    let limits = &transport.rate_limits;
    assert_eq!(
        limits.global,
        Some(u8_contacts::RateLimit::new(
            10,
            std::time::Duration::from_secs(1)
        ))
    );
    assert_eq!((limits.per_path, limits.overrides.len()), (None, 0));
}
