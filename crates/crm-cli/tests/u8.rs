//! End-to-end tests of the `crm` binary: `crm u8 contacts`: list with every filter, and get, against the embedded mock.
//! Every run is bounded by a deadline and killed when it passes it; loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::*;

// U8

#[test]
fn u8_list_with_every_filter_and_get() {
    let all = crm(&["--mock", "u8", "contacts", "list", "--page-size", "9"]).run_ok_jsonl();
    assert_eq!(all.len(), 40);
    assert_eq!(
        all.iter()
            .map(|c| str_of(c, "code"))
            .collect::<HashSet<_>>()
            .len(),
        40
    );
    // As sent: every value a string, "1"/"0" flags.
    assert!(all.iter().all(|c| c["be_main_linker"].is_string()));

    let of_customer = crm(&[
        "--mock",
        "u8",
        "contacts",
        "list",
        "--ccuscode",
        "0215",
        "--be-main-linker",
        "true",
    ])
    .run_ok_jsonl();
    assert!(!of_customer.is_empty());
    assert!(
        of_customer
            .iter()
            .all(|c| str_of(c, "ccuscode") == "0215" && str_of(c, "be_main_linker") == "1")
    );

    let range = crm(&[
        "--mock",
        "u8",
        "contacts",
        "list",
        "--code-begin",
        "00000005",
        "--code-end",
        "00000009",
    ])
    .run_ok_jsonl();
    assert_eq!(range.len(), 5);

    // A contact's own values, fed back as filters, find it again: every filter flag is wired.
    let c = &all[6];
    let mut args: Vec<String> = ["--mock", "u8", "contacts", "list"]
        .map(String::from)
        .to_vec();
    for (flag, key) in [
        ("--code-begin", "code"),
        ("--code-end", "code"),
        ("--name", "name"),
        ("--ccuscode", "ccuscode"),
        ("--ccusname", "ccusname"),
        ("--direct-leader-code", "direct_leader_code"),
        ("--direct-leader", "direct_leader"),
        ("--charge-person-code", "charge_person_code"),
        ("--charge-person", "charge_person"),
        ("--title", "title"),
        ("--sex", "sex"),
        ("--position", "position"),
        ("--mobile-phone", "mobile_phone"),
        ("--office-phone", "office_phone"),
        ("--email", "email"),
        ("--favorite", "favorite"),
        ("--wechat", "wechat"),
        ("--qq", "qq"),
    ] {
        let v = str_of(c, key);
        if !v.is_empty() {
            args.push(format!("{flag}={v}"));
        }
    }
    args.push(format!(
        "--be-main-linker={}",
        str_of(c, "be_main_linker") == "1"
    ));
    args.push(format!("--default={}", str_of(c, "default") == "1"));
    let birthday = str_of(c, "birthday");
    if birthday.len() >= 10 {
        args.push(format!("--birthday={}", &birthday[..10]));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let found = crm(&refs).run_ok_jsonl();
    assert_eq!(found.len(), 1, "{args:?}");
    assert_eq!(found[0]["code"], c["code"]);

    assert_eq!(
        crm(&[
            "--mock",
            "u8",
            "contacts",
            "list",
            "--birthday",
            "1990/01/01"
        ])
        .run()
        .code,
        2
    );
    assert_eq!(
        crm(&["--mock", "u8", "contacts", "list", "--ds-sequence", "1"])
            .run_ok_jsonl()
            .len(),
        40
    );

    let got = crm(&["--mock", "u8", "contacts", "get", "00000003"]).run_ok_jsonl();
    assert_eq!(str_of(&got[0], "code"), "00000003");
}

// ---------------------------------------------------------------------------------------------
