//! HNSW build time on seeded synthetic data: parallel bulk build and
//! one-by-one incremental inserts.
//!
//! `cargo bench -p vecstore-bench --bench hnsw_build`

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vecstore_core::Metric;
use vecstore_index::{Hnsw, HnswParams, VectorStore};
use vecstore_testkit::clustered;

const N: usize = 5_000;
const DIM: usize = 128;

fn bench(c: &mut Criterion) {
    let data = clustered(N, DIM, 50, 0.3, 3);
    let v = VectorStore::from_rows(DIM, Metric::L2, &data).unwrap();
    let params = HnswParams::default();
    let mut grp = c.benchmark_group("build_l2_d128_n5k_m16_efc200");
    grp.bench_function("build_parallel", |b| {
        b.iter(|| black_box(Hnsw::build_parallel(&v, params).unwrap()))
    });
    grp.bench_function("insert_sequential", |b| {
        b.iter(|| {
            let mut g = Hnsw::new(params).unwrap();
            for row in 0..N as u32 {
                g.insert(row, &v).unwrap();
            }
            black_box(g)
        })
    });
    grp.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(100))
        .measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
