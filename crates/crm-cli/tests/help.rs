//! End-to-end tests of the `crm` binary: `crm --help` at every level, completions and the demo.
//! Every run is bounded by a deadline and killed when it passes it; loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;

// Help, completions, demo

#[test]
fn help_on_every_level() {
    let paths: &[&[&str]] = &[
        &[],
        &["demo"],
        &["completions"],
        &["fxiaoke"],
        &["fxiaoke", "query"],
        &["fxiaoke", "get"],
        &["fxiaoke", "create"],
        &["fxiaoke", "update"],
        &["fxiaoke", "invalid"],
        &["fxiaoke", "delete"],
        &["fxiaoke", "describe"],
        &["fxiaoke", "objects"],
        &["fxiaoke", "sync"],
        &["useasy"],
        &["useasy", "customers"],
        &["useasy", "customers", "list"],
        &["useasy", "customers", "get"],
        &["useasy", "customers", "add"],
        &["useasy", "customers", "update"],
        &["useasy", "customers", "delete"],
        &["useasy", "customers", "fields"],
        &["useasy", "customers", "sync"],
        &["u8"],
        &["u8", "contacts"],
        &["u8", "contacts", "list"],
        &["u8", "contacts", "get"],
        &["u8", "contacts", "sync"],
    ];
    for path in paths {
        let mut args = path.to_vec();
        args.push("--help");
        let run = crm(&args).run().ok();
        assert!(
            run.stdout.contains("Usage: crm"),
            "{path:?}: {}",
            run.stdout
        );
    }
    let top = crm(&["--help"]).run().ok();
    for c in [
        "demo",
        "fxiaoke",
        "useasy",
        "u8",
        "completions",
        "Exit codes",
    ] {
        assert!(top.stdout.contains(c), "{c}");
    }
    let list = crm(&["u8", "contacts", "list", "--help"]).run().ok();
    for flag in [
        "--code-begin",
        "--code-end",
        "--name",
        "--ccuscode",
        "--ccusname",
        "--direct-leader-code",
        "--direct-leader",
        "--charge-person-code",
        "--charge-person",
        "--be-main-linker",
        "--title",
        "--sex",
        "--birthday",
        "--position",
        "--mobile-phone",
        "--office-phone",
        "--email",
        "--favorite",
        "--wechat",
        "--qq",
        "--default",
        "--ds-sequence",
        "--page-size",
        "--max",
    ] {
        assert!(
            list.stdout.contains(flag),
            "u8 contacts list --help lacks {flag}"
        );
    }
    assert!(crm(&["--version"]).run().ok().stdout.starts_with("crm "));
}

#[test]
fn help_never_shows_secret_values() {
    let run = crm(&["fxiaoke", "query", "--help"])
        .env("FXIAOKE_APP_SECRET", "s3cr3t-fx-value")
        .env("FXIAOKE_PERMANENT_CODE", "s3cr3t-fx-code")
        .run()
        .ok();
    assert!(run.stdout.contains("FXIAOKE_APP_SECRET"));
    assert!(!run.stdout.contains("s3cr3t"), "{}", run.stdout);
    let run = crm(&["useasy", "--help"])
        .env("USEASY_SECRET", "s3cr3t-useasy")
        .run()
        .ok();
    assert!(!run.stdout.contains("s3cr3t"));
    let run = crm(&["u8", "--help"])
        .env("U8_APP_SECRET", "s3cr3t-u8")
        .run()
        .ok();
    assert!(!run.stdout.contains("s3cr3t"));
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = crm(&["completions", shell]).run().ok();
        assert!(run.stdout.contains("crm"), "{shell}");
        assert!(
            run.stdout.len() > 1000,
            "{shell}: {} bytes",
            run.stdout.len()
        );
    }
    assert_eq!(crm(&["completions", "tcsh"]).run().code, 2);
}

#[test]
fn demo_walks_through_the_three_vendors() {
    let started = Instant::now();
    let run = crm(&["demo"]).default_sample_size().run().ok();
    for heading in ["Fxiaoke", "useasy", "U8"] {
        assert!(run.stdout.contains(heading), "{heading}:\n{}", run.stdout);
    }
    for step in 1..=17 {
        assert!(
            run.stdout.contains(&format!("{step:>2}. ")),
            "step {step}:\n{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("Done: 17 steps"), "{}", run.stdout);
    // The sync step: a first sync of the 250 sample payments into SQLite, then two edits, a
    // void and a new record read by the next, incremental, sync.
    assert!(
        run.stdout.contains("crm fxiaoke sync PaymentObj --into "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(": inserted 250, "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("inserted 1, updated 3, unchanged 1 (5 records read"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

impl Crm {
    /// The demo's own sample size (the default), not the tests' small one.
    fn default_sample_size(mut self) -> Self {
        self.cmd.env_remove("CRM_MOCK_RECORDS");
        self
    }
}

// ---------------------------------------------------------------------------------------------
