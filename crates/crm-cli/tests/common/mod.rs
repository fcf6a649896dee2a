//! The harness of the `crm` end-to-end tests: runs the binary with a clean environment and a
//! deadline.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use fxiaoke_crm_mock::MockFxiaoke;
use openapi_crm_mock::MockUseasy;
use serde_json::Value;
use u8_contacts_mock::MockU8;

/// Each test's scratch directory, removed when the test ends.
#[allow(unused_imports)] // not every test binary writes files
pub use crm_testkit::TempDir;

/// The longest any single run may take.
pub const DEADLINE: Duration = Duration::from_secs(90);

/// Every variable the binary reads, removed from the child's environment so the developer's own
/// configuration never leaks into a test.
pub const VARS: &[&str] = &[
    "FXIAOKE_BASE_URL",
    "FXIAOKE_APP_ID",
    "FXIAOKE_APP_SECRET",
    "FXIAOKE_PERMANENT_CODE",
    "FXIAOKE_OPEN_USER_ID",
    "FXIAOKE_OPERATOR_MOBILE",
    "FXIAOKE_AUTH",
    "FXIAOKE_EMPLOYEE_ID",
    "FXIAOKE_CONVERT_USER_ID",
    "USEASY_BASE_URL",
    "USEASY_APPID",
    "USEASY_SECRET",
    "U8_BASE_URL",
    "U8_FROM_ACCOUNT",
    "U8_TO_ACCOUNT",
    "U8_APP_KEY",
    "U8_APP_SECRET",
    "U8_DS_SEQUENCE",
    "CRM_MOCK_RECORDS",
    "CRM_RETRIES",
    "CRM_NO_RATE_LIMITS",
    "CRM_RECORD_DIR",
    "CRM_DATABASE_URL",
    "COLUMNS",
];

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().filter(|l| !l.is_empty()).collect()
    }

    /// The stdout as JSON lines.
    pub fn jsonl(&self) -> Vec<Value> {
        self.lines()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {e}: {l}")))
            .collect()
    }

    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// A `crm` command with a clean environment and small sample data.
pub struct Crm {
    pub cmd: Command,
    pub stdin: Option<String>,
}

pub fn crm(args: &[&str]) -> Crm {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crm"));
    for v in VARS {
        cmd.env_remove(v);
    }
    cmd.env("CRM_MOCK_RECORDS", "40")
        .env("RUST_BACKTRACE", "0")
        .args(args);
    Crm { cmd, stdin: None }
}

impl Crm {
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.cmd.env(k, v);
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    /// Runs, expects exit 0 and returns the stdout as JSON lines.
    pub fn run_ok_jsonl(self) -> Vec<Value> {
        self.run().ok().jsonl()
    }

    /// Runs to completion within [`DEADLINE`].
    pub fn run(mut self) -> Run {
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn crm");
        if let Some(text) = self.stdin.take() {
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(text.as_bytes()).expect("write stdin");
        }
        let mut out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            out.read_to_string(&mut s).map(|_| s)
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            err.read_to_string(&mut s).map(|_| s)
        });
        let status = wait_within_deadline(&mut child, &self.cmd);
        Run {
            code: status.code().unwrap_or(-1),
            stdout: out_reader.join().unwrap().expect("read stdout"),
            stderr: err_reader.join().unwrap().expect("read stderr"),
        }
    }
}

/// Waits for `child` (spawned from `cmd`) to exit; past [`DEADLINE`] kills it and panics,
/// naming the command's arguments.
pub fn wait_within_deadline(child: &mut Child, cmd: &Command) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "crm {:?} ran longer than {DEADLINE:?}",
                cmd.get_args().collect::<Vec<_>>()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The vendor variables: a base URL and credentials, given or those of an embedded mock started
/// by the test.
impl Crm {
    /// `FXIAOKE_BASE_URL` and the legacy credentials.
    pub fn fxiaoke_vars(
        self,
        base_url: &str,
        app_id: &str,
        app_secret: &str,
        permanent_code: &str,
        open_user_id: &str,
    ) -> Self {
        self.env("FXIAOKE_BASE_URL", base_url)
            .env("FXIAOKE_APP_ID", app_id)
            .env("FXIAOKE_APP_SECRET", app_secret)
            .env("FXIAOKE_PERMANENT_CODE", permanent_code)
            .env("FXIAOKE_OPEN_USER_ID", open_user_id)
    }

    /// The `FXIAOKE_*` variables of `mock` (legacy flow).
    pub fn fxiaoke_env(self, mock: &MockFxiaoke) -> Self {
        let c = mock.credentials();
        self.fxiaoke_vars(
            mock.base_url().as_str(),
            &c.app_id,
            &c.app_secret,
            &c.permanent_code,
            &c.open_user_id,
        )
    }

    /// `USEASY_BASE_URL` and the credentials.
    pub fn useasy_vars(self, base_url: &str, appid: &str, secret: &str) -> Self {
        self.env("USEASY_BASE_URL", base_url)
            .env("USEASY_APPID", appid)
            .env("USEASY_SECRET", secret)
    }

    /// The `USEASY_*` variables of `mock`.
    pub fn useasy_env(self, mock: &MockUseasy) -> Self {
        let c = mock.credentials();
        self.useasy_vars(mock.base_url().as_str(), &c.appid, c.secret.expose_secret())
    }

    /// `U8_BASE_URL` and the credentials.
    pub fn u8_vars(
        self,
        base_url: &str,
        from_account: &str,
        to_account: &str,
        app_key: &str,
        app_secret: &str,
    ) -> Self {
        self.env("U8_BASE_URL", base_url)
            .env("U8_FROM_ACCOUNT", from_account)
            .env("U8_TO_ACCOUNT", to_account)
            .env("U8_APP_KEY", app_key)
            .env("U8_APP_SECRET", app_secret)
    }

    /// The `U8_*` variables of `mock`.
    pub fn u8_env(self, mock: &MockU8) -> Self {
        let c = mock.credentials();
        self.u8_vars(
            mock.base_url().as_str(),
            &c.from_account,
            &c.to_account,
            &c.app_key,
            c.app_secret.expose_secret(),
        )
    }

    /// [`Crm::run`] off the async threads that serve the mocks.
    pub async fn run_async(self) -> Run {
        tokio::task::spawn_blocking(move || self.run())
            .await
            .unwrap()
    }
}

/// `crm fxiaoke <args>` against `mock`, without client-side rate limits.
pub fn fxiaoke_cmd(mock: &MockFxiaoke, args: &[&str]) -> Crm {
    let mut full = vec!["fxiaoke"];
    full.extend_from_slice(args);
    crm(&full)
        .fxiaoke_env(mock)
        .env("CRM_NO_RATE_LIMITS", "true")
}

/// `crm useasy <args>` against `mock`, without client-side rate limits.
pub fn useasy_cmd(mock: &MockUseasy, args: &[&str]) -> Crm {
    let mut full = vec!["useasy"];
    full.extend_from_slice(args);
    crm(&full)
        .useasy_env(mock)
        .env("CRM_NO_RATE_LIMITS", "true")
}

/// `crm --mock --record <dir> <args>`: against the embedded mock, recording into `dir`.
pub fn crm_mock_recording(dir: &Path, args: &[&str]) -> Crm {
    let dir = dir.display().to_string();
    let mut full = vec!["--mock", "--record", dir.as_str()];
    full.extend_from_slice(args);
    crm(&full)
}

pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string {key:?} in {v}"))
}

/// Asserts a failed run: its exit code and one `error: ...` line on stderr.
pub fn assert_fails(run: &Run, code: i32) {
    assert_eq!(
        run.code, code,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got:\n{}", run.stderr);
    assert!(lines[0].starts_with("error: "), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}
