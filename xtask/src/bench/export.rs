//! 2.–4. The crm-bench binary: export throughput, CLI CPU, ordered export, memory and the
//! rate-limited sync.

use super::*;

/// Builds `target/release/crm-bench` the way `cargo bench` does (same profile and features as
/// the decode benchmark, whose dev-dependencies change feature unification: a plain
/// `cargo build --release` would rebuild half the dependency tree every other run).
pub(super) fn build_bench_bin(root: &Path, target: &Path) -> Result<PathBuf> {
    let status = cargo()
        .current_dir(root)
        .args(["bench", "-p", "crm-bench", "--bench", "decode", "--no-run"])
        .status()
        .context("building crm-bench")?;
    if !status.success() {
        bail!("cargo bench -p crm-bench --bench decode --no-run failed ({status})");
    }
    Ok(target.join("release").join("crm-bench"))
}

/// A running `crm-bench serve`; stops when its stdin closes (on drop).
pub(super) struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    /// The line the server printed when it was ready (its url, credentials, memory).
    pub(super) info: Value,
}

impl Server {
    pub(super) fn start(bin: &Path, backend: &str, records: usize) -> Result<Self> {
        Self::start_with(bin, backend, records, &[])
    }

    /// A server with extra `crm-bench serve` options.
    pub(super) fn start_with(
        bin: &Path,
        backend: &str,
        records: usize,
        extra: &[&str],
    ) -> Result<Self> {
        let mut child = Command::new(bin)
            .args([
                "serve",
                "--backend",
                backend,
                "--records",
                &records.to_string(),
            ])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout of crm-bench serve"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let info: Value = serde_json::from_str(line.trim())
            .with_context(|| format!("crm-bench serve printed {line:?}"))?;
        eprintln!(
            "bench:   {backend} server with {records} records ready in {:.1}s",
            info["setup_secs"].as_f64().unwrap_or(0.0)
        );
        Ok(Self { child, stdin, info })
    }

    pub(super) fn export(&self, bin: &Path, client: &str) -> Result<ExportRun> {
        self.export_with(bin, client, false)
    }

    /// An export; `one_arena` runs the client with `MALLOC_ARENA_MAX=1` (reported as client
    /// `sdk-one-arena`).
    pub(super) fn export_with(
        &self,
        bin: &Path,
        client: &str,
        one_arena: bool,
    ) -> Result<ExportRun> {
        let url = self.info["url"].as_str().unwrap_or_default();
        let env = [
            ("FXIAOKE_APP_ID", "app_id"),
            ("FXIAOKE_APP_SECRET", "app_secret"),
            ("FXIAOKE_PERMANENT_CODE", "permanent_code"),
            ("FXIAOKE_OPEN_USER_ID", "open_user_id"),
        ];
        let mut cmd = Command::new(bin);
        cmd.args(["export", "--url", url, "--client", client]);
        for (var, key) in env {
            cmd.env(var, self.info[key].as_str().unwrap_or_default());
        }
        if one_arena {
            cmd.env("MALLOC_ARENA_MAX", "1");
        }
        let v = json_line(cmd.output()?, "crm-bench export")?;
        let run = ExportRun {
            backend: self.info["backend"].as_str().unwrap_or_default().to_owned(),
            client: if one_arena {
                format!("{client}-one-arena")
            } else {
                client.to_owned()
            },
            records: v["records"].as_u64().unwrap_or(0),
            secs: number(&v["secs"])?,
            records_per_sec: number(&v["records_per_sec"])?,
            hwm_kib: v["vm_hwm_kib"].as_u64().unwrap_or(0),
            ordered: v["ordered"].as_bool().unwrap_or(false),
            calls: v["calls"].as_u64(),
        };
        eprintln!(
            "bench:   {} {client}: {} records in {:.2}s = {:.0} records/s, peak RSS {:.1} MiB",
            run.backend,
            run.records,
            run.secs,
            run.records_per_sec,
            run.hwm_kib as f64 / 1024.0
        );
        let expected = self.info["records"].as_u64().unwrap_or(0);
        if run.records != expected || !run.ordered {
            bail!(
                "{client} exported {} records (ordered: {}), expected {expected}",
                run.records,
                run.ordered
            );
        }
        Ok(run)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last stdout line of a successful child, as JSON.
pub(super) fn json_line(output: std::process::Output, what: &str) -> Result<Value> {
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| anyhow!("{what} printed nothing"))?;
    serde_json::from_str(line).with_context(|| format!("{what} printed {line:?}"))
}

pub(super) fn export(bin: &Path, sizes: &Sizes, report: &mut Report) -> Result<()> {
    // Alternating rounds on each server, the best of each client counts (other work on the
    // shared cores only ever slows a run down). The mock's export is ten times larger, so it
    // gets its own number of rounds.
    {
        let server = Server::start(bin, "mock", sizes.export_mock)?;
        report.mock_server_hwm_kib = server.info["vm_hwm_kib"].as_u64();
        report.mock_records_json_bytes = server.info["records_json_bytes"].as_u64();
        for _ in 0..sizes.mock_rounds {
            for client in ["naive", "sdk"] {
                report.export.push(server.export(bin, client)?);
            }
        }
    }
    let server = Server::start(bin, "synthetic", sizes.export_synthetic)?;
    for _ in 0..sizes.rounds {
        for client in ["naive", "sdk"] {
            report.export.push(server.export(bin, client)?);
        }
    }
    Ok(())
}

/// Records of the CLI export (one size for both modes: the figure is per record, and 50,000
/// records keep the Python exporter under a few seconds).
pub(super) const CLI_RECORDS: usize = 50_000;

/// Rounds of the CLI export, alternating the two clients; the least CPU of each counts.
pub(super) const CLI_ROUNDS: usize = 3;

/// The CLI export: the release `crm` binary (`crm --no-rate-limits fxiaoke query PaymentObj
/// --format jsonl`, credentials and server in its `FXIAOKE_*` environment variables) and the
/// Python exporter (`crates/crm-bench/python/export.py`, urllib + json, the same requests),
/// alternately against one synthetic server with [`CLI_RECORDS`] records, each writing JSON
/// lines into a pipe that this process drains and counts. The CPU time of each (user +
/// system, its threads included) is the growth of this process's `cutime + cstime` in
/// `/proc/self/stat` across waiting for it: the kernel adds a child's times there when it is
/// reaped, and the workspace forbids the `unsafe` a `wait4` call would need. Resolution: one
/// clock tick (usually 10 ms) per field.
pub(super) fn cli_cpu(
    root: &Path,
    target: &Path,
    bench_bin: &Path,
    report: &mut Report,
) -> Result<()> {
    let crm = build_cli_bin(root, target)?;
    let script = root.join("crates/crm-bench/python/export.py");
    let python = match Command::new("python3").arg("--version").output() {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            report.cli.python_missing = Some(format!("`python3 --version` failed ({})", o.status));
            false
        }
        Err(e) => {
            report.cli.python_missing = Some(format!("no `python3` on this machine ({e})"));
            false
        }
    };
    let tick_secs = 1.0 / clock_ticks_per_sec();
    report.cli.tick_secs = tick_secs;
    let server = Server::start(bench_bin, "synthetic", CLI_RECORDS)?;
    for _ in 0..CLI_ROUNDS {
        if python {
            let mut cmd = Command::new("python3");
            cmd.arg(&script);
            report
                .cli
                .runs
                .push(measure_export(&server, "python", cmd, tick_secs)?);
        }
        let mut cmd = Command::new(&crm);
        cmd.args([
            "--no-rate-limits",
            "fxiaoke",
            "query",
            "PaymentObj",
            "--format",
            "jsonl",
        ]);
        report
            .cli
            .runs
            .push(measure_export(&server, "cli", cmd, tick_secs)?);
    }
    Ok(())
}

/// Builds the release `crm` binary.
pub(super) fn build_cli_bin(root: &Path, target: &Path) -> Result<PathBuf> {
    let status = cargo()
        .current_dir(root)
        .args(["build", "--release", "-p", "crm-cli"])
        .status()
        .context("building crm-cli")?;
    if !status.success() {
        bail!("cargo build --release -p crm-cli failed ({status})");
    }
    Ok(target.join("release").join("crm"))
}

/// Clock ticks per second, the unit of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100, the
/// Linux value everywhere that matters, if that cannot be run).
pub(super) fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// The CPU time of this process's reaped children so far, in clock ticks (`cutime + cstime`,
/// fields 16 and 17 of `/proc/self/stat`).
pub(super) fn children_cpu_ticks() -> Result<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // The fields after the command name (which may hold spaces), from field 3 on.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow!("unexpected /proc/self/stat: {stat}"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Result<u64> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| anyhow!("no field {n} in /proc/self/stat"))
    };
    Ok(field(16)? + field(17)?)
}

/// Runs one exporter against `server`, its stdout drained and its lines counted here, and
/// measures its CPU time (`tick_secs`: seconds per clock tick); fails unless it exits cleanly
/// with one line per record.
pub(super) fn measure_export(
    server: &Server,
    client: &str,
    mut cmd: Command,
    tick_secs: f64,
) -> Result<CpuRun> {
    let info = &server.info;
    for (var, key) in [
        ("FXIAOKE_BASE_URL", "url"),
        ("FXIAOKE_APP_ID", "app_id"),
        ("FXIAOKE_APP_SECRET", "app_secret"),
        ("FXIAOKE_PERMANENT_CODE", "permanent_code"),
        ("FXIAOKE_OPEN_USER_ID", "open_user_id"),
    ] {
        cmd.env(var, info[key].as_str().unwrap_or_default());
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let before = children_cpu_ticks()?;
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting the {client} exporter"))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("no stdout of the {client} exporter"))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| anyhow!("no stderr of the {client} exporter"))?;
    let lines = std::thread::spawn(move || -> std::io::Result<u64> {
        use std::io::Read;
        let mut buf = vec![0u8; 1 << 16];
        let mut lines = 0u64;
        loop {
            let n = stdout.read(&mut buf)?;
            if n == 0 {
                return Ok(lines);
            }
            lines += buf
                .get(..n)
                .unwrap_or_default()
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
        }
    });
    let errors = std::thread::spawn(move || {
        use std::io::Read;
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = child.wait()?;
    let wall_secs = started.elapsed().as_secs_f64();
    let ticks = children_cpu_ticks()? - before;
    let lines = lines
        .join()
        .map_err(|_| anyhow!("the reader of the {client} exporter panicked"))??;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        bail!("the {client} exporter failed ({status}): {}", errors.trim());
    }
    let expected = info["records"].as_u64().unwrap_or(0);
    if lines != expected {
        bail!(
            "the {client} exporter wrote {lines} lines, expected {expected}: {}",
            errors.trim()
        );
    }
    let run = CpuRun {
        client: client.to_owned(),
        records: lines,
        cpu_secs: ticks as f64 * tick_secs,
        wall_secs,
    };
    eprintln!(
        "bench:   {client}: {} records, {:.2} s CPU ({:.2} µs per record), {:.2} s wall",
        run.records,
        run.cpu_secs,
        run.us_per_record(),
        run.wall_secs
    );
    Ok(run)
}

/// The run of `client` with the least CPU time.
pub(super) fn least_cpu<'a>(runs: &'a [CpuRun], client: &str) -> Option<&'a CpuRun> {
    runs.iter()
        .filter(|r| r.client == client)
        .min_by(|a, b| a.us_per_record().total_cmp(&b.us_per_record()))
}

/// Distinct values of the ordered export's order field.
pub(super) const ORDERED_DISTINCT_VALUES: usize = 20;

/// The ordered export: every record ordered by `last_modified_time`, whose
/// [`ORDERED_DISTINCT_VALUES`] values each repeat over thousands of records (the keyset with
/// `_id` as the tie-breaker), against the default `_id` order of the same records through the
/// same stream; alternating rounds, the best of each counts.
pub(super) fn ordered_export(bin: &Path, sizes: &Sizes, report: &mut Report) -> Result<()> {
    let tie_group = (sizes.ordered_records / ORDERED_DISTINCT_VALUES).to_string();
    let server = Server::start_with(
        bin,
        "synthetic-sync",
        sizes.ordered_records,
        &["--tie-group", &tie_group],
    )?;
    for _ in 0..sizes.rounds {
        for client in ["keyset-id", "keyset"] {
            report.ordered.push(server.export(bin, client)?);
        }
    }
    Ok(())
}

pub(super) fn memory(bin: &Path, sizes: &Sizes, report: &mut Report) -> Result<()> {
    for records in [sizes.memory_small, sizes.memory_large] {
        let server = Server::start(bin, "synthetic", records)?;
        for client in ["sdk", "naive"] {
            report.memory.push(server.export(bin, client)?);
        }
        // Diagnostic: the same export with a single malloc arena (glibc keeps one per thread
        // that allocated, and the stream's pages are allocated and freed on different threads).
        report.memory.push(server.export_with(bin, "sdk", true)?);
    }
    Ok(())
}

pub(super) fn rate_limited(bin: &Path, sizes: &Sizes, report: &mut Report) -> Result<()> {
    let secs = sizes.rate_secs.to_string();
    let runs: [&[&str]; 2] = [
        &["--vendor", "fxiaoke", "--window", "2", "--records", "10000"],
        &["--vendor", "useasy", "--records", "5000"],
    ];
    for args in runs {
        let output = Command::new(bin)
            .arg("ratelimit")
            .args(args)
            .args(["--secs", &secs])
            .output()?;
        let v = json_line(output, "crm-bench ratelimit")?;
        let row = RateRow {
            vendor: v["vendor"].as_str().unwrap_or_default().to_owned(),
            max_calls: v["max_calls"].as_u64().unwrap_or(0),
            window_secs: number(&v["window_secs"])?,
            secs: number(&v["secs"])?,
            requests: v["requests"].as_u64().unwrap_or(0),
            records: v["records"].as_u64().unwrap_or(0),
            allowed_rate: number(&v["allowed_rate"])?,
            achieved_rate: number(&v["achieved_rate"])?,
            fraction: number(&v["fraction"])?,
            limit_errors: v["limit_errors"].as_u64().unwrap_or(0),
            client_errors: v["client_errors"].as_u64().unwrap_or(0),
        };
        eprintln!(
            "bench:   {}: {:.2} req/s of {:.2} allowed ({:.1} %), {} limit errors",
            row.vendor,
            row.achieved_rate,
            row.allowed_rate,
            row.fraction * 100.0,
            row.limit_errors
        );
        report.rate.push(row);
    }
    Ok(())
}
