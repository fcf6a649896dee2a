//! Decode speed of one 100-record response page per vendor, on the same bytes:
//!
//! - `typed`: the generated result type (fxiaoke `QueryResult`, useasy `ListCustomersResult`,
//!   U8 `BatchGetResponse`), which keeps every unknown (custom) field's JSON text in its
//!   flattened `ExtraFields`;
//! - `typed_sdk`: the same type through the decoder the clients use
//!   (`crm_runtime::decode::from_slice`: the body's UTF-8 checked once and read as text, and
//!   `serde_path_to_error` only to explain a failure);
//! - `envelope_check` (fxiaoke only): the `errorCode` pre-parse the clients run before decoding
//!   a response (a copy of fxiaoke's private `Envelope`; the query stream reads it in the same
//!   pass instead);
//! - `typed_record` (fxiaoke only): the page as `client.query::<PaymentObj>()` decodes it;
//! - `typed_value_map` (fxiaoke only): the previous catch-all, each unknown field built as a
//!   `serde_json::Value` by the same single-pass visitor (`crm_bench::proto`; not used by the
//!   SDK), to show what the raw text saves;
//! - `value`: `serde_json::Value`;
//! - `strict`: minimal hand-written structs with only the documented fields, unknown keys
//!   dropped (what a user would otherwise write);
//! - `value_text`, `strict_text`: `value` and `strict` read the way `typed_sdk` reads (through
//!   `crm_runtime::decode::from_slice`), so the client's decoder is compared like for like.
//!
//! Criterion measures each variant in turn (throughput in decimal bytes, so it reports MB/s).
//! Then, under `cargo bench` only, the variants of each page are measured once more
//! **interleaved**: round after round, each variant for about 5 ms in a rotating order, so that
//! other work on shared cores slows every variant alike; the medians are printed and, when
//! `CRM_BENCH_DECODE_OUT` is set, written there as JSON (`CRM_BENCH_ROUNDS`, default 100, sets
//! the rounds; 0 skips this part). `cargo xtask bench` compares the interleaved medians.

// A benchmark fails loudly on a payload that does not decode: nothing to recover.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use crm_bench::{payloads, strict};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The page as the fxiaoke client's typed query decodes it (the same shape as its private
/// `TypedQueryResult<T>`).
#[derive(Deserialize)]
struct TypedPage<T> {
    #[serde(default = "Option::default")]
    data: Option<TypedData<T>>,
}

#[derive(Deserialize)]
struct TypedData<T> {
    #[serde(default)]
    total: Option<i64>,
    #[serde(rename = "dataList", default = "Vec::new")]
    data_list: Vec<T>,
}

/// A copy of fxiaoke-crm's private `Envelope` (`src/error.rs`): what the client parses first.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Envelope {
    #[serde(rename = "errorCode")]
    error_code: Option<i64>,
    #[serde(rename = "errorMessage", default)]
    error_message: Option<String>,
    #[serde(rename = "errorDescription", default)]
    error_description: Option<String>,
    #[serde(rename = "traceId", default)]
    trace_id: Option<String>,
}

const RECORDS: usize = 100;

/// One variant: decodes `bytes` once and drops the result.
struct Case {
    group: &'static str,
    variant: &'static str,
    bytes: &'static [u8],
    run: fn(&[u8]),
}

fn serde<T: DeserializeOwned>(bytes: &[u8]) {
    black_box(serde_json::from_slice::<T>(bytes).unwrap());
}

/// Through the clients' decoder (the body's UTF-8 checked once, then read as text).
fn sdk<T: DeserializeOwned>(bytes: &[u8]) {
    black_box(crm_runtime::decode::from_slice::<T>(bytes).unwrap());
}

fn cases() -> Vec<Case> {
    use fxiaoke_crm::types as fx;
    // Leaked: the payloads live as long as the benchmark process.
    let fxiaoke: &'static [u8] =
        Box::leak(payloads::fxiaoke_query_page(0, RECORDS, 100_000).into_boxed_slice());
    check_fxiaoke(fxiaoke);
    let useasy: &'static [u8] =
        Box::leak(payloads::useasy_list_page(RECORDS, 100_000).into_boxed_slice());
    let u8: &'static [u8] = Box::leak(payloads::u8_batch_page(RECORDS).into_boxed_slice());
    let case = |group, variant, bytes, run: fn(&[u8])| Case {
        group,
        variant,
        bytes,
        run,
    };
    let fxg = "fxiaoke_query_page";
    let usg = "useasy_list_page";
    let u8g = "u8_batch_page";
    let all = vec![
        case(fxg, "typed", fxiaoke, serde::<fx::QueryResult>),
        case(fxg, "typed_sdk", fxiaoke, sdk::<fx::QueryResult>),
        case(fxg, "envelope_check", fxiaoke, serde::<Envelope>),
        case(
            fxg,
            "typed_record",
            fxiaoke,
            serde::<TypedPage<fx::PaymentObj>>,
        ),
        case(
            fxg,
            "typed_value_map",
            fxiaoke,
            serde::<crm_bench::proto::QueryResult>,
        ),
        case(fxg, "value", fxiaoke, serde::<serde_json::Value>),
        case(fxg, "strict", fxiaoke, serde::<strict::FxiaokePage>),
        case(fxg, "value_text", fxiaoke, sdk::<serde_json::Value>),
        case(fxg, "strict_text", fxiaoke, sdk::<strict::FxiaokePage>),
        case(
            usg,
            "typed",
            useasy,
            serde::<openapi_crm::types::ListCustomersResult>,
        ),
        case(
            usg,
            "typed_sdk",
            useasy,
            sdk::<openapi_crm::types::ListCustomersResult>,
        ),
        case(usg, "value", useasy, serde::<serde_json::Value>),
        case(usg, "strict", useasy, serde::<strict::UseasyPage>),
        case(usg, "value_text", useasy, sdk::<serde_json::Value>),
        case(usg, "strict_text", useasy, sdk::<strict::UseasyPage>),
        case(
            u8g,
            "typed",
            u8,
            serde::<u8_contacts::types::BatchGetResponse>,
        ),
        case(
            u8g,
            "typed_sdk",
            u8,
            sdk::<u8_contacts::types::BatchGetResponse>,
        ),
        case(u8g, "value", u8, serde::<serde_json::Value>),
        case(u8g, "strict", u8, serde::<strict::U8Page>),
        case(u8g, "value_text", u8, sdk::<serde_json::Value>),
        case(u8g, "strict_text", u8, sdk::<strict::U8Page>),
    ];
    for c in &all {
        (c.run)(c.bytes); // every payload decodes (a failure panics here, before timing)
    }
    all
}

fn groups(cases: &[Case]) -> Vec<&'static str> {
    let mut groups: Vec<&'static str> = Vec::new();
    for c in cases {
        if !groups.contains(&c.group) {
            groups.push(c.group);
        }
    }
    groups
}

fn criterion_benches(c: &mut Criterion, cases: &[Case]) {
    for group in groups(cases) {
        let mut g = c.benchmark_group(group);
        for case in cases.iter().filter(|c| c.group == group) {
            g.throughput(Throughput::BytesDecimal(case.bytes.len() as u64));
            g.bench_function(case.variant, |b| {
                b.iter(|| (case.run)(black_box(case.bytes)))
            });
        }
        g.finish();
    }
}

/// The variants of each group measured in turn, round after round (each turn about 5 ms, the
/// order rotating), so that other work on shared cores slows every variant alike; the median
/// per variant. Written as JSON to `$CRM_BENCH_DECODE_OUT` when set.
fn interleaved(cases: &[Case], rounds: usize) {
    const TURN: Duration = Duration::from_millis(5);
    let mut out = Vec::new();
    println!("\ninterleaved: {rounds} rounds, medians per page");
    for group in groups(cases) {
        let g: Vec<&Case> = cases.iter().filter(|c| c.group == group).collect();
        let reps: Vec<u32> = g
            .iter()
            .map(|c| {
                let started = Instant::now();
                for _ in 0..5 {
                    (c.run)(black_box(c.bytes));
                }
                let each = started.elapsed() / 5;
                (TURN.as_nanos() / each.as_nanos().max(1)).clamp(1, 10_000) as u32
            })
            .collect();
        let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); g.len()];
        for round in 0..rounds {
            for j in 0..g.len() {
                let i = (round + j) % g.len();
                let started = Instant::now();
                for _ in 0..reps[i] {
                    (g[i].run)(black_box(g[i].bytes));
                }
                times[i].push(started.elapsed().as_nanos() as f64 / f64::from(reps[i]));
            }
        }
        for (case, mut t) in g.iter().zip(times) {
            t.sort_by(f64::total_cmp);
            let q = |p: f64| t[((t.len() - 1) as f64 * p).round() as usize];
            let (p25, median, p75) = (q(0.25), q(0.5), q(0.75));
            println!(
                "{group}/{:<18} {:>9.1} µs  (IQR {:.1}–{:.1})  {:>6.0} MB/s",
                case.variant,
                median / 1e3,
                p25 / 1e3,
                p75 / 1e3,
                case.bytes.len() as f64 * 1e3 / median
            );
            out.push(serde_json::json!({
                "group": group,
                "variant": case.variant,
                "bytes": case.bytes.len(),
                "rounds": rounds,
                "median_ns": median,
                "p25_ns": p25,
                "p75_ns": p75,
            }));
        }
    }
    if let Some(path) = std::env::var_os("CRM_BENCH_DECODE_OUT") {
        let text = serde_json::to_string_pretty(&out).unwrap();
        std::fs::write(&path, text).expect("writing CRM_BENCH_DECODE_OUT");
    }
}

fn main() {
    let cases = cases();
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &cases);
    c.final_summary();
    // Only under `cargo bench` (which passes `--bench`), not when `cargo test --benches` runs
    // each benchmark once as a test.
    let rounds: usize = std::env::var("CRM_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    if std::env::args().any(|a| a == "--bench") && rounds > 0 {
        interleaved(&cases, rounds);
    }
}

/// The typed decode keeps all six custom fields of every record; the strict one cannot.
fn check_fxiaoke(bytes: &[u8]) {
    let page: fxiaoke_crm::types::QueryResult = serde_json::from_slice(bytes).unwrap();
    let records = page.data.and_then(|d| d.data_list).unwrap();
    assert_eq!(records.len(), RECORDS);
    assert!(records.iter().all(|r| {
        payloads::FXIAOKE_CUSTOM_FIELDS
            .iter()
            .all(|f| r.extra.contains_key(f))
    }));
    let page: TypedPage<fxiaoke_crm::types::PaymentObj> = serde_json::from_slice(bytes).unwrap();
    let data = page.data.unwrap();
    assert_eq!((data.total, data.data_list.len()), (Some(100_000), RECORDS));
    assert!(data.data_list.iter().all(|r| {
        payloads::FXIAOKE_CUSTOM_FIELDS
            .iter()
            .all(|f| r.extra.contains_key(f))
    }));
}
