//! Engine throughput and open time, through the public API:
//! - `upsert_sync/batch_1000x128`: durable batches of 1000 vectors (d = 128);
//! - `upsert_sync/single_{1,8}_threads`: single upserts under
//!   `Durability::Sync`, from 1 and from 8 threads (group commit);
//! - `open/flushed_{10k,100k,500k}x128`: opening a store whose data is in
//!   one flushed segment (should be flat in n); disk bytes per vector are
//!   printed once per size.
//!
//! The engine-vs-bare-index comparison on SIFT10K is `benches/siftsmall.rs`.
//!
//! Set `VECSTORE_BENCH_OPEN_MAX` (default 500000) to skip the larger open
//! sizes on slow machines. Stores live under Cargo's target tmp dir (a real
//! disk).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use vecstore_storage::{Durability, Metadata, Record, VecDatabase, VecStore};

const DIM: usize = 128;

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("engine-bench")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
}

fn vectors(n: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| (0..DIM).map(|_| rng.random_range(-1.0f32..1.0)).collect())
        .collect()
}

fn store(dir: &std::path::Path) -> VecStore {
    // A large flush threshold keeps sealing (graph builds) out of the
    // measured write path; this measures WAL + apply.
    VecStore::open_with(
        VecDatabase::builder(dir)
            .durability(Durability::Sync)
            .flush_threshold(2_000_000)
            .flush_on_close(false),
    )
    .expect("open")
}

fn bench_upserts(c: &mut Criterion) {
    let mut group = c.benchmark_group("upsert_sync");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    let pool = vectors(4096, 1);
    let next = AtomicU64::new(0);

    group.throughput(Throughput::Elements(1000));
    group.bench_function("batch_1000x128", |b| {
        let dir = tmp();
        let s = store(dir.path());
        b.iter(|| {
            let base = next.fetch_add(1000, Ordering::Relaxed);
            let batch: Vec<Record> = (0..1000u64)
                .map(|i| {
                    let n = base + i;
                    Record::new(
                        format!("b{n}"),
                        pool[n as usize % pool.len()].clone(),
                        Metadata::new(),
                    )
                })
                .collect();
            s.batch_upsert(batch).expect("batch");
        });
    });

    group.throughput(Throughput::Elements(1));
    for threads in [1usize, 8] {
        group.bench_function(format!("single_{threads}_threads"), |b| {
            let dir = tmp();
            let s = store(dir.path());
            b.iter_custom(|iters| {
                let per = (iters as usize).div_ceil(threads);
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for t in 0..threads {
                        let (s, pool, next) = (s.clone(), &pool, &next);
                        scope.spawn(move || {
                            for _ in 0..per {
                                let n = next.fetch_add(1, Ordering::Relaxed);
                                let v = pool[(n as usize + t) % pool.len()].clone();
                                s.upsert(format!("s{n}"), v, Metadata::new())
                                    .expect("upsert");
                            }
                        });
                    }
                });
                start.elapsed()
            });
        });
    }
    group.finish();
}

fn bench_open(c: &mut Criterion) {
    let max: usize = std::env::var("VECSTORE_BENCH_OPEN_MAX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500_000);
    let mut group = c.benchmark_group("open");
    group.sample_size(10);
    for n in [10_000usize, 100_000, 500_000] {
        if n > max {
            continue;
        }
        let dir = tmp();
        {
            // One flushed segment; a small graph build (open time does not
            // depend on graph quality).
            let s = VecStore::open_with(
                VecDatabase::builder(dir.path())
                    .durability(Durability::None)
                    .hnsw_m(8)
                    .ef_construction(40)
                    .flush_threshold(n + 1),
            )
            .expect("open");
            let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
            for chunk in 0..n.div_ceil(10_000) {
                let batch: Vec<Record> = (chunk * 10_000..((chunk + 1) * 10_000).min(n))
                    .map(|i| {
                        let v: Vec<f32> =
                            (0..DIM).map(|_| rng.random_range(-1.0f32..1.0)).collect();
                        let mut m = Metadata::new();
                        m.insert("i", i as i64);
                        Record::new(format!("id{i}"), v, m)
                    })
                    .collect();
                s.batch_upsert(batch).expect("batch");
            }
            s.flush().expect("flush");
            let st = s.stats().expect("stats");
            eprintln!(
                "open/{n}: {} segment(s), {} disk bytes, {:.1} bytes/vector (d = {DIM}, raw f32 = {})",
                st.segment_count,
                st.disk_bytes,
                st.disk_bytes as f64 / n as f64,
                DIM * 4
            );
        }
        group.bench_with_input(BenchmarkId::new("flushed_x128", n), &n, |b, _| {
            b.iter(|| {
                let s = VecStore::open_with(VecDatabase::builder(dir.path()).flush_on_close(false))
                    .expect("open");
                black_box(s.count().expect("count"));
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_upserts, bench_open);
criterion_main!(benches);
