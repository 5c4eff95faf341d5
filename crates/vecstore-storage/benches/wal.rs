//! WAL append throughput under `Durability::Sync`: one thread, eight threads
//! (group commit shares fsyncs), and batches of 1000 records of 128 `f32`s.
//!
//! The log lives under Cargo's target tmp dir (a real disk), not /tmp, which
//! may be a tmpfs where fsync is free.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vecstore_storage::io::wal::{Durability, Wal};

const DIM: usize = 128;

fn record(i: usize) -> Vec<u8> {
    (0..DIM)
        .flat_map(|j| ((i * DIM + j) as f32 * 0.001).to_le_bytes())
        .collect()
}

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("wal-bench")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
}

fn bench_wal(c: &mut Criterion) {
    let payload = record(1);
    let mut group = c.benchmark_group("wal_sync");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));

    group.throughput(Throughput::Elements(1));
    group.bench_function("append_1_thread", |b| {
        let dir = tmp();
        let (wal, _) = Wal::open(dir.path(), Durability::Sync).expect("open");
        b.iter(|| black_box(wal.append(&payload).expect("append")));
    });

    for threads in [2usize, 8] {
        group.bench_function(format!("append_{threads}_threads"), |b| {
            let dir = tmp();
            let (wal, _) = Wal::open(dir.path(), Durability::Sync).expect("open");
            let wal = Arc::new(wal);
            // Reported time is per append (iters appends split over the threads).
            b.iter_custom(|iters| {
                let per = (iters as usize).div_ceil(threads);
                let start = Instant::now();
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let wal = Arc::clone(&wal);
                        let payload = payload.clone();
                        std::thread::spawn(move || {
                            for _ in 0..per {
                                black_box(wal.append(&payload).expect("append"));
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.join().expect("appender thread");
                }
                start.elapsed()
            });
        });
    }

    let batch: Vec<Vec<u8>> = (0..1000).map(record).collect();
    let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
    group.throughput(Throughput::Elements(1000));
    group.bench_function("append_batch_1000x128f32", |b| {
        let dir = tmp();
        let (wal, _) = Wal::open(dir.path(), Durability::Sync).expect("open");
        b.iter(|| black_box(wal.append_batch(&refs).expect("append_batch")));
    });
    group.finish();
}

criterion_group!(benches, bench_wal);
criterion_main!(benches);
