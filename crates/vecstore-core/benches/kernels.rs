//! ns per call of the distance kernels at ANN-typical dimensions:
//! the dispatched kernels, our AVX2 kernels, simsimd and the scalar twins.
//!
//! `cargo bench -p vecstore-core --bench kernels`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::hint::black_box;
use vecstore_core::kernels::{self, KernelFn, scalar, simsimd_kernels};

fn pair(d: usize) -> (Vec<f32>, Vec<f32>) {
    let mut r = StdRng::seed_from_u64(d as u64);
    let a = (0..d).map(|_| r.random_range(-1.0f32..1.0)).collect();
    let b = (0..d).map(|_| r.random_range(-1.0f32..1.0)).collect();
    (a, b)
}

fn bench(c: &mut Criterion) {
    let k = kernels::Kernels::get();
    type Impl = (&'static str, KernelFn);
    let metrics: [(&str, Vec<Impl>); 3] = [
        (
            "cosine",
            vec![
                ("dispatched", k.cosine_distance),
                ("simsimd", simsimd_kernels::cosine_distance),
                ("scalar", scalar::cosine_distance),
            ],
        ),
        (
            "dot",
            vec![
                ("dispatched", k.dot),
                ("simsimd", simsimd_kernels::dot),
                ("scalar", scalar::dot),
            ],
        ),
        (
            "l2sq",
            vec![
                ("dispatched", k.l2sq),
                ("simsimd", simsimd_kernels::l2sq),
                ("scalar", scalar::l2sq),
            ],
        ),
    ];
    println!("dispatched kernels: {}", k.name);
    for (metric, impls) in metrics {
        let mut g = c.benchmark_group(metric);
        for d in [128usize, 384, 768, 1536] {
            let (a, b) = pair(d);
            for (name, f) in &impls {
                g.bench_with_input(BenchmarkId::new(*name, d), &d, |bch, _| {
                    bch.iter(|| f(black_box(&a), black_box(&b)))
                });
            }
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_millis(800));
    targets = bench
}
criterion_main!(benches);
