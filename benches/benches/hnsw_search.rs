//! HNSW search at fixed ef on seeded synthetic data (no dataset files):
//! unfiltered at several ef, filtered at several selectivities, and the
//! exact scan for reference.
//!
//! `cargo bench -p vecstore-bench --bench hnsw_search`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vecstore_core::Metric;
use vecstore_index::{Hnsw, HnswParams, Plan, SearchFilter, VectorStore, flat_search};
use vecstore_testkit::{clustered, random_subset};

const N: usize = 20_000;
const DIM: usize = 128;

fn bench(c: &mut Criterion) {
    let data = clustered(N, DIM, 100, 0.3, 1);
    let queries = clustered(64, DIM, 100, 0.3, 2);
    let v = VectorStore::from_rows(DIM, Metric::L2, &data).unwrap();
    let g = Hnsw::build_parallel(&v, HnswParams::default()).unwrap();
    let mut grp = c.benchmark_group("search_l2_d128_n20k");
    for ef in [16usize, 32, 64, 128] {
        grp.bench_with_input(BenchmarkId::new("hnsw", ef), &ef, |b, &ef| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % 64;
                black_box(g.search(
                    &v,
                    &queries[i * DIM..(i + 1) * DIM],
                    10,
                    ef,
                    &SearchFilter::NONE,
                ))
            })
        });
    }
    grp.bench_function("flat", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % 64;
            black_box(flat_search(
                &v,
                &queries[i * DIM..(i + 1) * DIM],
                10,
                &SearchFilter::NONE,
            ))
        })
    });
    for sel in [0.01f64, 0.1, 0.5] {
        let allow = random_subset(N, sel, 7);
        let f = SearchFilter::allow(&allow);
        for (name, plan) in [
            ("filtered_graph", Plan::Graph),
            ("filtered_exact", Plan::Exact),
        ] {
            grp.bench_with_input(BenchmarkId::new(name, sel), &sel, |b, _| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % 64;
                    black_box(g.search_with_plan(
                        &v,
                        &queries[i * DIM..(i + 1) * DIM],
                        10,
                        64,
                        &f,
                        plan,
                    ))
                })
            });
        }
    }
    grp.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
