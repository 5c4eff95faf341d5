//! Engine throughput and open time, through the public API:
//! - `upsert_sync/batch_1000x128`: durable batches of 1000 vectors (d = 128);
//! - `upsert_sync/single_{1,8}_threads`: single upserts under
//!   `Durability::Sync`, from 1 and from 8 threads (group commit);
//! - `open/flushed_{10k,100k,500k}x128`: opening a store whose data is in
//!   one flushed segment (should be flat in n); disk bytes per vector are
//!   printed once per size.
//!
//! - `siftsmall/{engine,bare_index}`: query latency on SIFT10K through the
//!   engine (one flushed segment) and through a bare `vecstore_index::Hnsw`
//!   with the same parameters; recall@10 of both and the median QPS ratio
//!   of 15 interleaved passes are printed. Runs only when
//!   `VECSTORE_SIFTSMALL_DIR` names a directory with `siftsmall_base.fvecs`,
//!   `siftsmall_query.fvecs` and `siftsmall_groundtruth.ivecs`.
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

fn read_vecs(path: &std::path::Path) -> Vec<Vec<u32>> {
    let bytes = std::fs::read(path).expect("read vecs file");
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 4 <= bytes.len() {
        let d = u32::from_le_bytes(bytes[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        pos += 4;
        out.push(
            bytes[pos..pos + 4 * d]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect(),
        );
        pos += 4 * d;
    }
    out
}

fn recall(hits: &[Vec<String>], truth: &[Vec<u32>]) -> f64 {
    let mut found = 0usize;
    for (h, t) in hits.iter().zip(truth) {
        let want: std::collections::HashSet<String> =
            t[..10].iter().map(|i| i.to_string()).collect();
        found += h.iter().filter(|id| want.contains(*id)).count();
    }
    found as f64 / (10 * hits.len()) as f64
}

fn bench_siftsmall(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("VECSTORE_SIFTSMALL_DIR").map(std::path::PathBuf::from) else {
        return;
    };
    if !dir.join("siftsmall_base.fvecs").exists() {
        return;
    }
    let as_f32 = |v: Vec<Vec<u32>>| -> Vec<Vec<f32>> {
        v.into_iter()
            .map(|r| r.into_iter().map(f32::from_bits).collect())
            .collect()
    };
    let base = as_f32(read_vecs(&dir.join("siftsmall_base.fvecs")));
    let queries = as_f32(read_vecs(&dir.join("siftsmall_query.fvecs")));
    let truth = read_vecs(&dir.join("siftsmall_groundtruth.ivecs"));
    let (m, efc, ef) = (16usize, 200usize, 64usize);

    let tmpdir = tmp();
    let store = VecStore::open_with(
        VecDatabase::builder(tmpdir.path())
            .metric(vecstore_storage::Metric::L2)
            .hnsw_m(m)
            .ef_construction(efc)
            .ef_search(ef)
            .durability(Durability::None)
            .flush_threshold(base.len() + 1),
    )
    .expect("open");
    let recs: Vec<Record> = base
        .iter()
        .enumerate()
        .map(|(i, v)| Record::new(i.to_string(), v.clone(), Metadata::new()))
        .collect();
    store.batch_upsert(recs).expect("upsert");
    store.flush().expect("flush");

    let flat: Vec<f32> = base.iter().flatten().copied().collect();
    let vectors = vecstore_index::VectorStore::from_rows(128, vecstore_storage::Metric::L2, &flat)
        .expect("vectors");
    let graph = vecstore_index::Hnsw::build_parallel(
        &vectors,
        vecstore_index::HnswParams {
            m,
            ef_construction: efc,
            seed: 42,
        },
    )
    .expect("graph");

    let query = |q: &Vec<f32>| vecstore_storage::Query {
        vector: q.clone(),
        k: 10,
        filter: None,
    };
    let engine_hits: Vec<Vec<String>> = queries
        .iter()
        .map(|q| {
            store
                .query(query(q))
                .expect("query")
                .into_iter()
                .map(|h| h.id)
                .collect()
        })
        .collect();
    let none = vecstore_index::SearchFilter::NONE;
    let bare_hits: Vec<Vec<String>> = queries
        .iter()
        .map(|q| {
            graph
                .search(&vectors, q, 10, ef, &none)
                .into_iter()
                .map(|(r, _)| r.to_string())
                .collect()
        })
        .collect();
    eprintln!(
        "siftsmall recall@10 (m={m}, ef_construction={efc}, ef={ef}): engine {:.4}, bare index {:.4}",
        recall(&engine_hits, &truth),
        recall(&bare_hits, &truth)
    );

    // Interleaved passes (engine, bare, engine, ...) so both see the same
    // machine noise; the median of the per-round ratios is printed.
    let mut ratios: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            for q in &queries {
                black_box(store.query(query(q)).expect("query"));
            }
            let engine = t.elapsed().as_secs_f64();
            let t = Instant::now();
            for q in &queries {
                black_box(graph.search(&vectors, q, 10, ef, &none));
            }
            t.elapsed().as_secs_f64() / engine
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    eprintln!(
        "siftsmall engine/bare QPS, 15 interleaved passes of {} queries: median {:.3}, min {:.3}, max {:.3}",
        queries.len(),
        ratios[7],
        ratios[0],
        ratios[14]
    );

    let mut group = c.benchmark_group("siftsmall");
    group.sample_size(10);
    group.throughput(Throughput::Elements(queries.len() as u64));
    group.bench_function("engine", |b| {
        b.iter(|| {
            for q in &queries {
                black_box(store.query(query(q)).expect("query"));
            }
        })
    });
    group.bench_function("bare_index", |b| {
        b.iter(|| {
            for q in &queries {
                black_box(graph.search(&vectors, q, 10, ef, &none));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_upserts, bench_open, bench_siftsmall);
criterion_main!(benches);
