//! Criterion benchmarks of vecstore-sparse: indexing, BM25 top-k (MaxScore
//! vs exhaustive) on the mutable index and on a sealed view, and fusion.
//! The corpus is synthetic (seeded, Zipf-like word frequencies), so the
//! benchmark runs from a clean clone.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use vecstore_core::Fusion;
use vecstore_sparse::{
    Bm25Config, InvertedIndex, KeywordFilter, KeywordSegment, SparseView, fusion,
};

const VOCAB: usize = 20_000;

fn zipf_word(rng: &mut StdRng) -> String {
    // Inverse-CDF sample of a ~1/rank distribution.
    let u: f64 = rng.random();
    let rank = ((VOCAB as f64).powf(u) as usize).min(VOCAB - 1);
    format!("term{rank}")
}

fn corpus(n: usize, seed: u64) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let len = rng.random_range(50..300);
            (0..len)
                .map(|_| zipf_word(&mut rng))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn queries(n: usize, seed: u64) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let len = rng.random_range(2..10);
            (0..len)
                .map(|_| zipf_word(&mut rng))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn build(docs: &[String]) -> InvertedIndex {
    let mut idx = InvertedIndex::new(Bm25Config::default()).expect("default config is valid");
    for (i, d) in docs.iter().enumerate() {
        idx.add(i as u32, d).expect("row ids are small");
    }
    idx
}

fn bench_index(c: &mut Criterion) {
    let docs = corpus(2_000, 1);
    let mut g = c.benchmark_group("bm25_index");
    g.sample_size(10);
    g.bench_function("add_2000_docs", |b| b.iter(|| black_box(build(&docs))));
    let idx = build(&docs);
    g.bench_function("to_parts_2000_docs", |b| {
        b.iter(|| black_box(idx.to_parts()))
    });
    let parts = idx.to_parts();
    g.bench_function("view_from_parts_2000_docs", |b| {
        b.iter(|| black_box(SparseView::from_parts(parts.as_parts()).is_ok()))
    });
    g.finish();
}

fn bench_query(c: &mut Criterion) {
    let docs = corpus(20_000, 2);
    let qs = queries(64, 3);
    let idx = build(&docs);
    let parts = idx.to_parts();
    let view = SparseView::from_parts(parts.as_parts()).expect("fresh parts are valid");
    let f = KeywordFilter::none();
    let mut g = c.benchmark_group("bm25_query_20k_docs");
    for k in [10usize, 100] {
        g.bench_with_input(BenchmarkId::new("maxscore", k), &k, |b, &k| {
            b.iter(|| qs.iter().map(|q| idx.search(q, k, &f).len()).sum::<usize>())
        });
        g.bench_with_input(BenchmarkId::new("exhaustive", k), &k, |b, &k| {
            b.iter(|| {
                qs.iter()
                    .map(|q| idx.search_exhaustive(q, k, &f).len())
                    .sum::<usize>()
            })
        });
        g.bench_with_input(BenchmarkId::new("sealed_view_maxscore", k), &k, |b, &k| {
            b.iter(|| {
                qs.iter()
                    .map(|q| view.search(q, k, &f).len())
                    .sum::<usize>()
            })
        });
    }
    g.finish();
}

fn bench_fusion(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(4);
    let dense: Vec<(u32, f32)> = (0..100)
        .map(|_| (rng.random_range(0..1000), rng.random()))
        .collect();
    let keyword: Vec<(u32, f32)> = (0..100)
        .map(|_| (rng.random_range(0..1000), rng.random::<f32>() * 20.0))
        .collect();
    let mut g = c.benchmark_group("fusion_100x100");
    for (name, f) in [
        ("weighted", Fusion::Weighted(0.5)),
        ("rrf", Fusion::Rrf { k: 60 }),
        ("dbsf", Fusion::Dbsf),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(fusion::fuse(&f, &dense, &keyword, 10)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_index, bench_query, bench_fusion);
criterion_main!(benches);
