//! Recall and QPS on SIFT10K through the engine (one flushed segment)
//! against a bare `vecstore_index::Hnsw` with the same parameters:
//! `siftsmall/{engine,bare_index}` in criterion, plus recall@10 of both and
//! the median engine/bare QPS ratio of interleaved passes (printed).
//!
//! Both graphs are built on a one-thread rayon pool, so they are the same
//! graph (the parallel build's result depends on thread timing): the ratio
//! then measures the engine's own cost, not two different graphs.
//!
//! Runs only when `VECSTORE_SIFTSMALL_DIR` names a directory with
//! `siftsmall_base.fvecs`, `siftsmall_query.fvecs` and
//! `siftsmall_groundtruth.ivecs`:
//! `VECSTORE_SIFTSMALL_DIR=../shared/data/siftsmall cargo bench -p vecstore-storage --bench siftsmall`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Instant;
use vecstore_storage::{Durability, Metadata, Record, VecDatabase, VecStore};

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("siftsmall-bench")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
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
    // One rayon thread for both builds (the engine seals on the global
    // pool): identical graphs. Fails only if the pool already exists.
    let same_graph = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .is_ok();
    if !same_graph {
        eprintln!("note: rayon pool already set up; the two graphs may differ");
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
    let same = engine_hits
        .iter()
        .zip(&bare_hits)
        .filter(|(a, b)| a == b)
        .count();
    eprintln!(
        "siftsmall: {same} of {} queries return the same ids in the same order",
        queries.len()
    );

    // Interleaved passes (engine, bare, engine, ...) so both see the same
    // machine noise; each pass runs every query `REPS` times (tens of ms, so
    // a scheduler hiccup does not decide a pass); the median of the
    // per-round ratios is printed.
    const REPS: usize = 10;
    const PASSES: usize = 21;
    let mut ratios: Vec<f64> = (0..PASSES)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..REPS {
                for q in &queries {
                    black_box(store.query(query(q)).expect("query"));
                }
            }
            let engine = t.elapsed().as_secs_f64();
            let t = Instant::now();
            for _ in 0..REPS {
                for q in &queries {
                    black_box(graph.search(&vectors, q, 10, ef, &none));
                }
            }
            t.elapsed().as_secs_f64() / engine
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    eprintln!(
        "siftsmall engine/bare QPS, {PASSES} interleaved passes of {REPS}x{} queries: median {:.3}, min {:.3}, max {:.3}",
        queries.len(),
        ratios[PASSES / 2],
        ratios[0],
        ratios[PASSES - 1]
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

criterion_group!(benches, bench_siftsmall);
criterion_main!(benches);
