//! 1. Decode: the criterion benchmark and the interleaved per-page medians.

use super::*;

pub(super) const DECODE_GROUPS: &[(&str, &str)] = &[
    (
        "fxiaoke_query_page",
        "Fxiaoke query page (typed: `QueryResult`)",
    ),
    (
        "useasy_list_page",
        "useasy list page (typed: `ListCustomersResult`)",
    ),
    (
        "u8_batch_page",
        "U8 batch_get page (typed: `BatchGetResponse`)",
    ),
];

pub(super) fn decode(root: &Path, target: &Path, sizes: &Sizes, report: &mut Report) -> Result<()> {
    // Our own folder, emptied first, so no result of an earlier run or another bench counts.
    let dir = target.join("crm-bench");
    let home = dir.join("criterion");
    let out = dir.join("decode.json");
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_file(&out);
    std::fs::create_dir_all(&dir)?;
    let status = cargo()
        .current_dir(root)
        .env("CRITERION_HOME", &home)
        .env("CRM_BENCH_ROUNDS", sizes.decode_rounds.to_string())
        .env("CRM_BENCH_DECODE_OUT", &out)
        .args(["bench", "-p", "crm-bench", "--bench", "decode", "--"])
        .args(sizes.criterion)
        .arg("--noplot")
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("cargo bench -p crm-bench --bench decode failed ({status})");
    }
    let results = json_file(&out)?;
    let mut rows = Vec::new();
    for r in results.as_array().into_iter().flatten() {
        let group = r["group"].as_str().unwrap_or_default().to_owned();
        let variant = r["variant"].as_str().unwrap_or_default().to_owned();
        let estimates = home
            .join(&group)
            .join(&variant)
            .join("new")
            .join("estimates.json");
        let criterion_ns = json_file(&estimates)
            .ok()
            .and_then(|e| e["median"]["point_estimate"].as_f64());
        rows.push(DecodeRow {
            bytes: r["bytes"].as_u64().unwrap_or(0),
            median_ns: number(&r["median_ns"])?,
            p25_ns: number(&r["p25_ns"])?,
            p75_ns: number(&r["p75_ns"])?,
            rounds: r["rounds"].as_u64().unwrap_or(0),
            criterion_ns,
            group,
            variant,
        });
    }
    rows.sort_by_key(|r| {
        let g = DECODE_GROUPS.iter().position(|(x, _)| *x == r.group);
        (g, variant_rank(&r.variant))
    });
    report.decode = rows;
    Ok(())
}

pub(super) fn variant_rank(v: &str) -> usize {
    [
        "typed",
        "typed_sdk",
        "typed_record",
        "typed_value_map",
        "value",
        "strict",
        "value_text",
        "strict_text",
        "envelope_check",
    ]
    .iter()
    .position(|x| *x == v)
    .unwrap_or(9)
}

pub(super) fn json_file(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

pub(super) fn number(v: &Value) -> Result<f64> {
    v.as_f64().ok_or_else(|| anyhow!("not a number: {v}"))
}

pub(super) fn decode_ns(report: &Report, group: &str, variant: &str) -> Option<f64> {
    report
        .decode
        .iter()
        .find(|r| r.group == group && r.variant == variant)
        .map(|r| r.median_ns)
}

// ---------------------------------------------------------------------------------------------
// 2.–4. The crm-bench binary
