//! A throw-away PostgreSQL server for tests and benchmarks (feature `test-util`): the
//! harness of this crate's own tests, public so that the tests of code built on the crate
//! (the `crm` CLI, benchmarks) start their PostgreSQL the same way.
//!
//! ```no_run
//! # async fn demo() {
//! // A fresh, empty database on this process's server; `None` (after printing why) when the
//! // PostgreSQL binaries are missing outside CI. Under `CI=true` a missing server panics.
//! let Some(url) = crm_sync::testing::postgres().await else { return };
//! let store = crm_sync::Store::open(&url).await;
//! # drop(store);
//! # }
//! ```
//!
//! The first test that asks for a database starts the server: `initdb` into a fresh
//! directory under the system temp dir, then `postgres` on a free loopback port, with fsync
//! off. As root (initdb refuses root) both run as the `postgres` user through `runuser`,
//! and the directory is handed to that user first. Every test gets its own database
//! (`CREATE DATABASE`), so tests run in parallel.
//!
//! Cleanup cannot rely on `Drop`: the server lives in a `static`, and statics are never
//! dropped. The server runs under a small watchdog shell instead, whose standard input is a
//! pipe from this process. When this process ends in any way (normal exit, panic, SIGKILL)
//! the pipe closes, and the watchdog stops the server and deletes the directory. A start
//! that fails half-way deletes the directory through a drop guard.
//!
//! Where no server binaries are found, tests print that they were skipped and why, and
//! pass; under `CI=true` they fail instead.

use std::io::Read as _;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::{RunStatus, SyncRun};

/// A running server.
pub struct Server {
    port: u16,
    dir: PathBuf,
    watchdog: Mutex<Child>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static DATABASES: AtomicU64 = AtomicU64::new(0);

/// Whether tests run under CI (`CI=true`), where a missing PostgreSQL is a failure.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The server of this test binary, started on first use; `Err` says why there is none.
pub fn server() -> Result<&'static Server, String> {
    SERVER.get_or_init(start).as_ref().map_err(Clone::clone)
}

/// A new empty database on the server, as a URL; `None` when PostgreSQL is unavailable
/// outside CI (after printing why). Panics under CI when it is unavailable: a test that
/// needs PostgreSQL must not pass quietly there.
pub async fn postgres() -> Option<String> {
    let server = match server() {
        Ok(server) => server,
        Err(why) if under_ci() => panic!("CI=true and PostgreSQL is unavailable: {why}"),
        Err(why) => {
            eprintln!("skipped: this PostgreSQL test needs a server: {why}");
            return None;
        }
    };
    Some(server.create_database().await)
}

/// The runs of one object after syncs of it were killed (SIGKILL) at random moments and a
/// later run completed: panics, listing the runs, if any is left `running` or `failed` (a
/// killed run must be found and marked `abandoned`); else how many were `abandoned`.
pub fn abandoned_after_kills(runs: &[SyncRun]) -> usize {
    assert!(
        runs.iter()
            .all(|r| r.status != RunStatus::Running && r.status != RunStatus::Failed),
        "a run is left running or failed: {runs:#?}"
    );
    runs.iter()
        .filter(|r| r.status == RunStatus::Abandoned)
        .count()
}

impl Server {
    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a database with a fresh name and returns its URL. Panics when the server
    /// refuses (a test harness: the test cannot go on without its database).
    #[allow(clippy::expect_used)]
    pub async fn create_database(&self) -> String {
        use sqlx::Connection as _;
        let n = DATABASES.fetch_add(1, Ordering::Relaxed);
        let name = format!("crm_sync_test_{}_{n}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect to the test server");
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        admin.close().await.expect("close the admin connection");
        self.url(&name)
    }

    /// The server's directory (data, socket and log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the server process is still alive.
    pub fn is_running(&self) -> bool {
        let mut watchdog = self.watchdog.lock().unwrap_or_else(|e| e.into_inner());
        matches!(watchdog.try_wait(), Ok(None))
    }
}

/// Deletes a directory when dropped, unless disarmed.
struct DirGuard(Option<PathBuf>);

impl Drop for DirGuard {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The directory holding `initdb`, `postgres` and `pg_isready`: from PATH (following the
/// Debian links in /usr/local/bin), else the highest version under /usr/lib/postgresql.
pub fn find_bin_dir() -> Option<PathBuf> {
    let complete = |d: &Path| {
        ["initdb", "postgres", "pg_isready"]
            .iter()
            .all(|b| d.join(b).is_file())
    };
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let initdb = dir.join("initdb");
        if !initdb.is_file() {
            continue;
        }
        if complete(&dir) {
            return Some(dir);
        }
        if let Some(real) = initdb
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            && complete(&real)
        {
            return Some(real);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            complete(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn id_of(flag: &str, user: &str) -> Result<u32, String> {
    let out = Command::new("id")
        .args([flag, user])
        .output()
        .map_err(|e| format!("running id {flag} {user}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "running as root, and there is no `{user}` user to run PostgreSQL as (id: {})",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("id {flag} {user}: {e}"))
}

/// A command run as `postgres` when we are root.
fn command(as_postgres: bool, program: &Path) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("finding a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// Stops the server and deletes its directory when our end of the pipe closes.
const WATCHDOG: &str = r#"
"$1" -D "$2/data" -p "$3" -h 127.0.0.1 -k "$2" -F \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c max_connections=200 -c shared_buffers=32MB </dev/null >"$2/server.log" 2>&1 &
pid=$!
read -r _ || true
kill -INT "$pid" 2>/dev/null
wait "$pid"
rm -rf "$2"
"#;

fn start() -> Result<Server, String> {
    let bin = find_bin_dir().ok_or(
        "no PostgreSQL server binaries (initdb, postgres, pg_isready) on PATH or under /usr/lib/postgresql/<version>/bin",
    )?;
    let as_postgres = running_as_root();
    let owner = if as_postgres {
        Some((id_of("-u", "postgres")?, id_of("-g", "postgres")?))
    } else {
        None
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("crm-sync-pg-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let mut guard = DirGuard(Some(dir.clone()));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("chmod {}: {e}", dir.display()))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| format!("chown {} to postgres: {e}", dir.display()))?;
    }

    let initdb = command(as_postgres, &bin.join("initdb"))
        .arg("-D")
        .arg(dir.join("data"))
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "-N",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running initdb: {e}"))?;
    if !initdb.status.success() {
        return Err(format!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&initdb.stdout),
            String::from_utf8_lossy(&initdb.stderr)
        ));
    }

    let port = free_port()?;
    let mut watchdog = command(as_postgres, Path::new("/bin/sh"))
        .args(["-c", WATCHDOG, "crm-sync-pg-watchdog"])
        .arg(bin.join("postgres"))
        .arg(&dir)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting postgres: {e}"))?;

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = Command::new(bin.join("pg_isready"))
            .args([
                "-q",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-p",
                &port.to_string(),
            ])
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            break;
        }
        let exited = matches!(watchdog.try_wait(), Ok(Some(_)));
        if exited || Instant::now() > deadline {
            let mut log = String::new();
            if let Ok(mut f) = std::fs::File::open(dir.join("server.log")) {
                let _ = f.read_to_string(&mut log);
            }
            // Closing the pipe makes the watchdog stop whatever started.
            drop(watchdog);
            return Err(format!(
                "postgres did not start on port {port}: {}",
                log.trim()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // From now on the watchdog deletes the directory.
    guard.0 = None;
    Ok(Server {
        port,
        dir,
        watchdog: Mutex::new(watchdog),
    })
}
