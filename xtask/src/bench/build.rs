//! 6. Build cost: clean builds and the codegen run time.

use super::*;

pub(super) fn build_cost(root: &Path, report: &mut Report) {
    let before = load_average();
    let base = std::env::temp_dir().join("crm-bench-build-cost");
    for krate in ["fxiaoke-crm", "openapi-crm", "u8-contacts", "xtask"] {
        let dir = base.join(krate);
        let _ = std::fs::remove_dir_all(&dir);
        let command = format!("cargo build -p {krate}");
        eprintln!(
            "bench:   clean {command} (CARGO_TARGET_DIR={})",
            dir.display()
        );
        let started = Instant::now();
        let status = cargo()
            .current_dir(root)
            .env("CARGO_TARGET_DIR", &dir)
            .args(["build", "--quiet", "-p", krate])
            .status();
        let secs = started.elapsed().as_secs_f64();
        let (secs, note) = match status {
            Ok(s) if s.success() => {
                eprintln!("bench:   {secs:.0}s");
                (Some(secs), String::new())
            }
            Ok(s) => (None, format!("failed ({s})")),
            Err(e) => (None, format!("could not run cargo: {e}")),
        };
        let what = if krate == "xtask" {
            "xtask (what the first `cargo xtask codegen` of a fresh clone builds)".to_owned()
        } else {
            format!("`{krate}` with its dependencies")
        };
        report.build.push(BuildRow {
            what,
            command: format!("{command} (clean, dev profile)"),
            secs,
            note,
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_dir(&base);

    // Codegen: in this process, and through cargo as a user types it. `--check` writes
    // nothing (someone may be editing schemas/), but does all the work of a run.
    let started = Instant::now();
    let result = crate::codegen::run(root, true);
    let secs = started.elapsed().as_secs_f64();
    report.build.push(BuildRow {
        what: "codegen itself (bundle, typify, format, compare; in process)".into(),
        command: "codegen::run(check = true)".into(),
        secs: Some(secs),
        note: match result {
            Ok(stale) if stale.is_empty() => String::new(),
            Ok(stale) => format!("{} generated file(s) stale at the time", stale.len()),
            Err(e) => format!("failed: {e:#}"),
        },
    });
    let started = Instant::now();
    let status = cargo()
        .current_dir(root)
        .args(["xtask", "codegen", "--check"])
        .stderr(Stdio::null())
        .status();
    let secs = started.elapsed().as_secs_f64();
    report.build.push(BuildRow {
        what: "`cargo xtask codegen --check`, xtask already built".into(),
        command: "cargo xtask codegen --check".into(),
        secs: Some(secs),
        note: match status {
            Ok(s) if s.success() => String::new(),
            Ok(_) => "exit 1: generated code stale at the time (timing still valid)".into(),
            Err(e) => format!("could not run cargo: {e}"),
        },
    });
    report.build_load = Some((before, load_average()));
}
