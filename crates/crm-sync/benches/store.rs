//! Records stored per second into SQLite and into PostgreSQL, from an in-memory source
//! (`FakeSource`, 20,000 records with shared timestamps, pages of 500), with no vendor
//! limits: the store's own speed. Two cases per database:
//!
//! - `insert`: a first sync into an empty database (every record inserted);
//! - `unchanged`: a full pass over the same records again (every record read back from the
//!   store, compared by JSON value, and touched).
//!
//! Run with `cargo bench -p crm-sync --bench store`. PostgreSQL is measured on a throw-away
//! server (as in the tests) when its binaries are installed, and skipped otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crm_sync::testing as pg;

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm_sync::fake::FakeSource;
use crm_sync::{SourceKind, Store, SyncOptions, Vendor};

const RECORDS: usize = 20_000;
const PAGE_SIZE: usize = 500;
const T0: i64 = 1_735_689_600_000;

fn source() -> FakeSource {
    let source = FakeSource::new(Vendor::Fxiaoke, "AccountObj", SourceKind::Incremental)
        .with_page_size(PAGE_SIZE);
    source.seed(1, RECORDS, T0);
    source
}

/// A fresh database URL and whatever must live as long as it.
type NewDatabase<'a> = dyn Fn() -> (String, Option<TempDir>) + 'a;

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sqlite_database() -> (String, Option<TempDir>) {
    let dir = std::env::temp_dir().join(format!(
        "crm-sync-bench-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("crm.db").display());
    (url, Some(TempDir(dir)))
}

fn bench_database(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    new_database: &NewDatabase<'_>,
) {
    let source = source();
    let mut group = c.benchmark_group(format!("store/{name}"));
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));

    group.bench_function("insert", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let (url, _dir) = new_database();
                let store = runtime.block_on(Store::open(&url)).unwrap();
                let start = Instant::now();
                let summary = runtime
                    .block_on(store.sync(&source, &SyncOptions::default()))
                    .unwrap();
                total += start.elapsed();
                assert_eq!(summary.counts.inserted, RECORDS as u64);
                runtime.block_on(store.close());
            }
            total
        });
    });

    let (url, _dir) = new_database();
    let store = runtime.block_on(Store::open(&url)).unwrap();
    runtime
        .block_on(store.sync(&source, &SyncOptions::default()))
        .unwrap();
    let full = SyncOptions::default().with_full(true);
    group.bench_function("unchanged", |b| {
        b.iter_custom(|iterations| {
            let start = Instant::now();
            for _ in 0..iterations {
                let summary = runtime.block_on(store.sync(&source, &full)).unwrap();
                assert_eq!(summary.counts.unchanged, RECORDS as u64);
            }
            start.elapsed()
        });
    });
    runtime.block_on(store.close());
    group.finish();
}

fn store(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    bench_database(c, &runtime, "sqlite", &sqlite_database);
    match pg::server() {
        Ok(server) => {
            let new_database = || (runtime.block_on(server.create_database()), None);
            bench_database(c, &runtime, "postgres", &new_database);
        }
        Err(why) => eprintln!("store/postgres skipped: {why}"),
    }
}

criterion_group!(benches, store);
criterion_main!(benches);
