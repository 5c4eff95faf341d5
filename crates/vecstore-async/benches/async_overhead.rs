//! Async overhead: queries/s of concurrent async clients on a 2-worker Tokio runtime
//! versus the same queries through the sync API on 2 OS threads, same store.
//! The ratio of the two throughputs is the cost of `spawn_blocking`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::time::Instant;
use vecstore_async::AsyncVecStore;
use vecstore_core::{Metadata, Query, Record};
use vecstore_storage::VecStore;

const N: usize = 20_000;
const DIM: usize = 64;
const QUERIES: usize = 512;

fn data(rng: &mut StdRng, n: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|_| (0..DIM).map(|_| rng.random_range(-1.0f32..1.0)).collect())
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let store = VecStore::open(dir.path()).unwrap();
    let records = data(&mut rng, N)
        .into_iter()
        .enumerate()
        .map(|(i, v)| Record::new(format!("r{i}"), v, Metadata::new()))
        .collect();
    store.batch_upsert(records).unwrap();
    store.flush().unwrap();
    let queries = data(&mut rng, QUERIES);
    let query = |v: &Vec<f32>| Query {
        vector: v.clone(),
        k: 10,
        filter: None,
    };

    let mut g = c.benchmark_group("async_overhead");
    g.throughput(Throughput::Elements(QUERIES as u64));
    g.sample_size(20);

    let sync_pass = || {
        std::thread::scope(|s| {
            for half in queries.chunks(QUERIES / 2) {
                let store = store.clone();
                s.spawn(move || {
                    for v in half {
                        assert_eq!(store.query(query(v)).unwrap().len(), 10);
                    }
                });
            }
        })
    };
    g.bench_function("sync_2_threads", |b| b.iter(sync_pass));

    // Two runtime shapes on the same 2 cores: 2 workers (tokio's default
    // here) and 1 worker, both with a blocking pool of 2 doing the queries.
    for workers in [2usize, 1] {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .max_blocking_threads(2)
            .build()
            .unwrap();
        let astore = AsyncVecStore::from_sync(store.clone());
        for clients in [2usize, 8, 32] {
            let async_pass = || {
                rt.block_on(async {
                    let tasks: Vec<_> = queries
                        .chunks(QUERIES / clients)
                        .map(|part| {
                            let s = astore.clone();
                            let part = part.to_vec();
                            tokio::spawn(async move {
                                for v in &part {
                                    assert_eq!(s.query(query(v)).await.unwrap().len(), 10);
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                })
            };
            // Interleaved sync/async passes see the same machine noise; the
            // median ratio is the number to read on a noisy VM.
            // Each side runs the query set REPS times per pass (≈ 0.1 s), so
            // thread start-up and scheduler hiccups do not decide a pass.
            const REPS: usize = 4;
            const PASSES: usize = 15;
            let mut ratios: Vec<f64> = (0..PASSES)
                .map(|_| {
                    let t = Instant::now();
                    (0..REPS).for_each(|_| sync_pass());
                    let sync = t.elapsed().as_secs_f64();
                    let t = Instant::now();
                    (0..REPS).for_each(|_| async_pass());
                    sync / t.elapsed().as_secs_f64()
                })
                .collect();
            ratios.sort_by(f64::total_cmp);
            eprintln!(
                "async/sync QPS, {workers} worker(s), {clients} clients, {PASSES} interleaved passes of {REPS}x{QUERIES} queries: median {:.3} (min {:.3}, max {:.3})",
                ratios[PASSES / 2],
                ratios[0],
                ratios[PASSES - 1]
            );
            g.bench_function(format!("async_{workers}w_{clients}_clients"), |b| {
                b.iter(async_pass)
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
