//! Child-process mode: a test binary re-executes itself, selecting one test
//! (`child_process_entry`) and passing a [`Spec`] in the environment; that test then syncs
//! the seeded scenario source into the given database and exits with a status code. In an
//! ordinary test run the variable is absent and the entry test does nothing.
//!
//! The parent can kill the child with SIGKILL at any moment ([`ChildProc::kill`]), which is
//! exactly what `kill -9` does to a real sync.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crm_sync::{Store, SyncOptions};

use super::scenario_source;

/// The variable carrying the spec.
pub const ENV: &str = "CRM_SYNC_TEST_CHILD";

/// The line a child prints once its store is open, before it syncs.
pub const READY: &str = "crm-sync test child: store open";

/// The line a child prints when it stalls mid-run (see [`Spec::stall_after_pages`]).
pub const STALLED: &str = "crm-sync test child: stalled mid-run";

/// Exit code of a child whose sync found the object locked.
pub const BUSY: i32 = 3;

/// What a child does.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The database.
    pub url: String,
    /// Rounds of seeded changes applied to the scenario source.
    pub changes: u64,
    /// `--full`.
    pub full: bool,
    /// Records per page.
    pub page_size: usize,
    /// Pause before each page, ms.
    pub page_delay_ms: u64,
    /// How long to wait for the object's lock, ms.
    pub lock_wait_ms: u64,
    /// When not 0: once this many pages are stored, the child prints [`STALLED`] and stops
    /// there, holding the lock with its run `running`, until it is killed. A kill after
    /// that line lands inside a run however slow the machine is.
    pub stall_after_pages: u64,
}

impl Spec {
    fn encode(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.url,
            self.changes,
            self.full,
            self.page_size,
            self.page_delay_ms,
            self.lock_wait_ms,
            self.stall_after_pages
        )
    }

    fn decode(text: &str) -> Spec {
        let fields: Vec<&str> = text.split('\n').collect();
        assert_eq!(fields.len(), 7, "child spec {text:?}");
        Spec {
            url: fields[0].to_owned(),
            changes: fields[1].parse().expect("changes"),
            full: fields[2].parse().expect("full"),
            page_size: fields[3].parse().expect("page_size"),
            page_delay_ms: fields[4].parse().expect("page_delay_ms"),
            lock_wait_ms: fields[5].parse().expect("lock_wait_ms"),
            stall_after_pages: fields[6].parse().expect("stall_after_pages"),
        }
    }
}

/// A running child.
pub struct ChildProc {
    child: Child,
    ready: mpsc::Receiver<()>,
    stalled: mpsc::Receiver<()>,
}

/// Starts this test binary as a child running `spec`.
pub fn spawn(spec: &Spec) -> ChildProc {
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe)
        .args([
            "child_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV, spec.encode())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().expect("child stdout");
    let (ready_tx, ready) = mpsc::channel();
    let (stalled_tx, stalled) = mpsc::channel();
    // Reads every line (so the child never blocks on a full pipe) and signals READY and
    // STALLED.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // libtest prints `test child_process_entry ... ` on the same line first.
            let line = line.trim_end();
            if line.ends_with(READY) {
                let _ = ready_tx.send(());
            } else if line.ends_with(STALLED) {
                let _ = stalled_tx.send(());
            }
        }
    });
    ChildProc {
        child,
        ready,
        stalled,
    }
}

impl ChildProc {
    /// Waits until the child's store is open; false if it did not get there in time.
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        self.ready.recv_timeout(timeout).is_ok()
    }

    /// Waits until the child stalls mid-run (it was spawned with
    /// [`Spec::stall_after_pages`]); false if it did not get there in time.
    pub fn wait_stalled(&self, timeout: Duration) -> bool {
        self.stalled.recv_timeout(timeout).is_ok()
    }

    /// Kills the child with SIGKILL and reaps it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the child to exit (killing it and failing after `timeout`).
    pub fn wait(mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the child") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the child did not finish within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The child's side: syncs the scenario and exits (0 done, [`BUSY`], 1 other error).
pub fn run(spec: &str) -> ! {
    let spec = Spec::decode(spec);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let code = runtime.block_on(async {
        let store = match Store::open(&spec.url).await {
            Ok(store) => store,
            Err(e) => {
                eprintln!("child: cannot open the store: {e}");
                return 1;
            }
        };
        println!("{READY}");
        let source = scenario_source(
            spec.changes,
            spec.page_size,
            Duration::from_millis(spec.page_delay_ms),
        );
        let options = SyncOptions::default()
            .with_full(spec.full)
            .with_lock_wait(Duration::from_millis(spec.lock_wait_ms));
        let stall_after = spec.stall_after_pages;
        let stall = move |p: &crm_sync::Progress| {
            if stall_after > 0 && p.counts.pages >= stall_after {
                println!("{STALLED}");
                // Holds the lock, with the run `running`, until the parent kills us.
                loop {
                    std::thread::sleep(Duration::from_secs(3600));
                }
            }
        };
        match store.sync_with_progress(&source, &options, stall).await {
            Ok(summary) => {
                println!("child: {summary}");
                0
            }
            Err(e) if e.is_busy() => BUSY,
            Err(e) => {
                eprintln!("child: {e}");
                1
            }
        }
    });
    std::process::exit(code)
}
