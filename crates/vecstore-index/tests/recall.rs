//! Unfiltered recall against the brute-force oracle, edge cases and the
//! sequential vs parallel builds.

use vecstore_core::Metric;
use vecstore_index::{
    Hnsw, HnswParams, Plan, SearchFilter, VectorSource, VectorStore, flat_search,
};
use vecstore_testkit::{brute_force, clustered, recall_at_k, uniform};

/// The `ef` at which the recall tests hold (recall@10 >= 0.95 on 50
/// Gaussian clusters in 32-d, m = 16, ef_construction = 100).
const EF: usize = 96;

fn params() -> HnswParams {
    HnswParams {
        m: 16,
        ef_construction: 100,
        seed: 7,
    }
}

fn mean_recall(
    data: &[f32],
    dim: usize,
    metric: Metric,
    graph: &Hnsw,
    v: &VectorStore,
    queries: &[f32],
) -> f64 {
    let mut total = 0.0;
    let nq = queries.len() / dim;
    for q in queries.chunks_exact(dim) {
        let truth: Vec<u32> = brute_force(data, dim, metric, q, 10, |_| true)
            .iter()
            .map(|h| h.0)
            .collect();
        let got = graph.search_with_plan(v, q, 10, EF, &SearchFilter::NONE, Plan::Graph);
        assert_eq!(got.len(), 10);
        let ids: Vec<u32> = got.iter().map(|h| h.0).collect();
        total += recall_at_k(&ids, &truth, 10);
    }
    total / nq as f64
}

#[test]
fn recall_at_10_parallel_build_all_metrics() {
    let (n, dim) = (5000, 32);
    let data = clustered(n, dim, 50, 0.15, 1);
    let queries = clustered(100, dim, 50, 0.15, 2);
    // Dot is tested on unit-length rows, as embedding models produce: on
    // rows of varying norm, inner product is not a distance and graph
    // search (hnswlib's too) needs a much larger ef.
    let mut unit = data.clone();
    unit.chunks_exact_mut(dim)
        .for_each(|r| Metric::Cosine.prepare(r));
    for metric in [Metric::L2, Metric::Cosine, Metric::Dot] {
        let data = if metric == Metric::Dot { &unit } else { &data };
        let v = VectorStore::from_rows(dim, metric, data).unwrap();
        let graph = Hnsw::build_parallel(&v, params()).unwrap();
        assert_eq!(graph.len(), n);
        let r = mean_recall(data, dim, metric, &graph, &v, &queries);
        assert!(r >= 0.95, "{metric}: recall@10 = {r}");
    }
}

#[test]
fn recall_at_10_incremental_insert() {
    let (n, dim) = (3000, 64);
    let data = uniform(n, dim, 3);
    let queries = uniform(50, dim, 4);
    let mut v = VectorStore::new(dim, Metric::L2).unwrap();
    let mut graph = Hnsw::new(params()).unwrap();
    for row in data.chunks_exact(dim) {
        let id = v.push(row).unwrap();
        graph.insert(id, &v).unwrap();
    }
    let r = mean_recall(&data, dim, Metric::L2, &graph, &v, &queries);
    assert!(r >= 0.95, "recall@10 = {r}");
}

#[test]
fn insertion_is_deterministic_for_a_seed() {
    let dim = 16;
    let data = uniform(500, dim, 9);
    let v = VectorStore::from_rows(dim, Metric::L2, &data).unwrap();
    let build = || {
        let mut g = Hnsw::new(params()).unwrap();
        for row in 0..v.len() as u32 {
            g.insert(row, &v).unwrap();
        }
        g
    };
    let (a, b) = (build(), build());
    assert_eq!(a.parts().level0, b.parts().level0);
    assert_eq!(a.parts().upper, b.parts().upper);
    let p = Hnsw::build_parallel(&v, params()).unwrap();
    assert_eq!(p.parts().levels, a.parts().levels, "same seed, same levels");
}

#[test]
fn inserts_out_of_order_are_rejected() {
    let v = VectorStore::from_rows(2, Metric::L2, &[0.0, 1.0, 2.0, 3.0]).unwrap();
    let mut g = Hnsw::new(params()).unwrap();
    assert!(g.insert(1, &v).is_err());
    g.insert(0, &v).unwrap();
    assert!(g.insert(0, &v).is_err());
    assert!(g.insert(5, &v).is_err());
    assert!(Hnsw::new(HnswParams { m: 1, ..params() }).is_err());
}

#[test]
fn k_larger_than_n_returns_n_hits() {
    let dim = 8;
    let data = uniform(700, dim, 5);
    let v = VectorStore::from_rows(dim, Metric::Cosine, &data).unwrap();
    let graph = Hnsw::build_parallel(&v, params()).unwrap();
    for plan in [Plan::Auto, Plan::Graph, Plan::Exact] {
        let hits = graph.search_with_plan(&v, &data[..dim], 1000, 16, &SearchFilter::NONE, plan);
        assert_eq!(hits.len(), 700, "{plan:?}");
        let mut ids: Vec<u32> = hits.iter().map(|h| h.0).collect();
        assert!(
            hits.windows(2).all(|w| w[0].1 <= w[1].1),
            "sorted best first"
        );
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 700, "no duplicates");
    }
}

#[test]
fn empty_graph_and_bad_queries_give_empty_results() {
    let v = VectorStore::new(4, Metric::L2).unwrap();
    let g = Hnsw::new(params()).unwrap();
    assert!(
        g.search(&v, &[0.0; 4], 5, 10, &SearchFilter::NONE)
            .is_empty()
    );
    let v = VectorStore::from_rows(4, Metric::L2, &uniform(10, 4, 1)).unwrap();
    let g = Hnsw::build_parallel(&v, params()).unwrap();
    assert!(
        g.search(&v, &[0.0; 3], 5, 10, &SearchFilter::NONE)
            .is_empty()
    );
    assert!(
        g.search(&v, &[0.0; 4], 0, 10, &SearchFilter::NONE)
            .is_empty()
    );
    assert_eq!(g.search(&v, &[0.0; 4], 5, 10, &SearchFilter::NONE).len(), 5);
}

#[test]
fn cosine_query_is_normalised_by_the_index() {
    let dim = 16;
    let data = uniform(400, dim, 11);
    let v = VectorStore::from_rows(dim, Metric::Cosine, &data).unwrap();
    let q: Vec<f32> = data[..dim].iter().map(|x| x * 37.0).collect();
    let hits = flat_search(&v, &q, 1, &SearchFilter::NONE);
    assert_eq!(hits[0].0, 0);
    assert!(hits[0].1.abs() < 1e-5, "cosine distance to itself is 0");
    let truth = brute_force(&data, dim, Metric::Cosine, &q, 5, |_| true);
    let got = flat_search(&v, &q, 5, &SearchFilter::NONE);
    for (a, b) in got.iter().zip(&truth) {
        assert_eq!(a.0, b.0);
        assert!((a.1 - b.1).abs() < 1e-4);
    }
}
