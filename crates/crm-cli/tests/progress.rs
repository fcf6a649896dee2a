//! Progress on a terminal: an export's bar and a sync's spinner are drawn on stderr when it is
//! a terminal (here a pseudo-terminal the test reads), and nothing is with `--no-progress`.
//! Off a terminal nothing is drawn either (checked by the tests that read stderr as a pipe).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::process::{Command, Stdio};

use common::*;
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

/// Runs `cmd` with stderr on a new pseudo-terminal and stdout on a pipe; returns its exit
/// code and everything drawn on the terminal.
fn run_on_terminal(cmd: Crm) -> (i32, String) {
    let controller = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("a pseudo-terminal");
    grantpt(&controller).expect("grantpt");
    unlockpt(&controller).expect("unlockpt");
    let path = ptsname(&controller, Vec::new()).expect("ptsname");
    let terminal = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path.to_str().expect("a UTF-8 path"))
        .expect("open the terminal side");

    let mut cmd = cmd.cmd;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(terminal));
    let mut child = cmd.spawn().expect("spawn crm");
    // The command keeps a copy of the terminal side, which would hold the terminal open after
    // the child exits: keep only its arguments (to name it on a timeout).
    let mut named = Command::new("crm");
    named.args(cmd.get_args());
    drop(cmd);
    let mut stdout = child.stdout.take().expect("stdout");
    let out_reader = std::thread::spawn(move || {
        let mut sink = Vec::new();
        stdout.read_to_end(&mut sink).map(|_| ())
    });
    // Read while it draws (a terminal's buffer is small); EIO once the last writer is gone.
    let mut controller = File::from(controller);
    let drawn_reader = std::thread::spawn(move || {
        let mut drawn = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = controller.read(&mut buf) {
            if n == 0 {
                break;
            }
            drawn.extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        String::from_utf8_lossy(&drawn).into_owned()
    });
    let status = wait_within_deadline(&mut child, &named);
    out_reader.join().unwrap().expect("read stdout");
    (status.code().unwrap_or(-1), drawn_reader.join().unwrap())
}

#[test]
fn an_export_draws_its_bar_on_a_terminal_unless_told_not_to() {
    let export = |extra: &[&str]| {
        let args = [&["--mock", "fxiaoke", "query", "PaymentObj"][..], extra].concat();
        // Slow enough for the bar to tick: a few thousand records, paged by 100.
        run_on_terminal(crm(&args).env("CRM_MOCK_RECORDS", "3000"))
    };
    let (code, drawn) = export(&[]);
    assert_eq!(code, 0, "{drawn}");
    assert!(drawn.contains("records"), "the bar: {drawn:?}");
    let (code, drawn) = export(&["--no-progress"]);
    assert_eq!(code, 0, "{drawn}");
    assert_eq!(drawn, "", "--no-progress draws nothing");
}

#[test]
fn a_sync_draws_its_spinner_on_a_terminal_unless_told_not_to() {
    let dir = TempDir::new("cli-progress-sync");
    let db = dir.join("crm.db");
    let db = db.to_str().unwrap();
    let sync = |extra: &[&str]| {
        let args = [
            &["--mock", "u8", "contacts", "sync", "--into", db][..],
            extra,
        ]
        .concat();
        run_on_terminal(crm(&args).env("CRM_MOCK_RECORDS", "3000"))
    };
    let (code, drawn) = sync(&[]);
    assert_eq!(code, 0, "{drawn}");
    assert!(
        drawn.contains("inserted"),
        "the spinner's counts: {drawn:?}"
    );
    let (code, drawn) = sync(&["--no-progress"]);
    assert_eq!(code, 0, "{drawn}");
    assert_eq!(drawn, "", "--no-progress draws nothing");
}
