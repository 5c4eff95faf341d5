//! Filtered search: recall at every selectivity on both plans, exact hit
//! counts, deny-sets (deleted rows).

use roaring::RoaringBitmap;
use vecstore_core::Metric;
use vecstore_index::{Hnsw, HnswParams, Plan, SearchFilter, VectorStore};
use vecstore_testkit::{brute_force, clustered, random_subset, recall_at_k};

const EF: usize = 64;
const N: usize = 8000;
const DIM: usize = 32;

fn setup() -> (Vec<f32>, VectorStore, Hnsw) {
    let data = clustered(N, DIM, 40, 0.2, 21);
    let v = VectorStore::from_rows(DIM, Metric::L2, &data).unwrap();
    let g = Hnsw::build_parallel(
        &v,
        HnswParams {
            m: 16,
            ef_construction: 100,
            seed: 3,
        },
    )
    .unwrap();
    (data, v, g)
}

#[test]
fn filtered_recall_at_every_selectivity() {
    let (data, v, g) = setup();
    let queries = clustered(40, DIM, 40, 0.2, 22);
    for (i, sel) in [0.001, 0.01, 0.1, 0.5].into_iter().enumerate() {
        let allow = random_subset(N, sel, 100 + i as u64);
        let filter = SearchFilter::allow(&allow);
        for plan in [Plan::Auto, Plan::Graph, Plan::Exact] {
            let mut total = 0.0;
            for q in queries.chunks_exact(DIM) {
                let truth: Vec<u32> =
                    brute_force(&data, DIM, Metric::L2, q, 10, |r| allow.contains(r))
                        .iter()
                        .map(|h| h.0)
                        .collect();
                let got = g.search_with_plan(&v, q, 10, EF, &filter, plan);
                assert_eq!(
                    got.len(),
                    truth.len().min(10),
                    "sel {sel} {plan:?}: exactly min(k, matches) hits"
                );
                assert!(got.iter().all(|h| allow.contains(h.0)), "only allowed rows");
                let ids: Vec<u32> = got.iter().map(|h| h.0).collect();
                total += recall_at_k(&ids, &truth, 10);
            }
            let r = total / 40.0;
            assert!(
                r >= 0.95,
                "selectivity {sel} plan {plan:?}: recall@10 = {r}"
            );
        }
    }
}

#[test]
fn fewer_matches_than_k_returns_all_matches() {
    let (_, v, g) = setup();
    let allow: RoaringBitmap = [5u32, 900, 7000].into_iter().collect();
    for plan in [Plan::Auto, Plan::Graph, Plan::Exact] {
        let hits = g.search_with_plan(&v, &[0.0; DIM], 10, EF, &SearchFilter::allow(&allow), plan);
        let mut ids: Vec<u32> = hits.iter().map(|h| h.0).collect();
        ids.sort_unstable();
        assert_eq!(ids, [5, 900, 7000], "{plan:?}");
    }
}

#[test]
fn all_filtered_out_is_empty_not_an_error() {
    let (_, v, g) = setup();
    let none = RoaringBitmap::new();
    let beyond: RoaringBitmap = [N as u32, N as u32 + 5].into_iter().collect();
    for plan in [Plan::Auto, Plan::Graph, Plan::Exact] {
        assert!(
            g.search_with_plan(&v, &[0.0; DIM], 10, EF, &SearchFilter::allow(&none), plan)
                .is_empty()
        );
        assert!(
            g.search_with_plan(&v, &[0.0; DIM], 10, EF, &SearchFilter::allow(&beyond), plan)
                .is_empty()
        );
        let all: RoaringBitmap = (0..N as u32).collect();
        assert!(
            g.search_with_plan(&v, &[0.0; DIM], 10, EF, &SearchFilter::deny(&all), plan)
                .is_empty()
        );
    }
}

#[test]
fn deleted_rows_are_never_returned() {
    let (data, v, g) = setup();
    // Delete the true top-20 of each query plus a random 30 %.
    let queries = clustered(20, DIM, 40, 0.2, 23);
    let mut deleted = random_subset(N, 0.3, 9);
    for q in queries.chunks_exact(DIM) {
        for h in brute_force(&data, DIM, Metric::L2, q, 20, |_| true) {
            deleted.insert(h.0);
        }
    }
    let allow = random_subset(N, 0.5, 10);
    for q in queries.chunks_exact(DIM) {
        for filter in [
            SearchFilter::deny(&deleted),
            SearchFilter::allow(&allow).with_deny(&deleted),
        ] {
            for plan in [Plan::Auto, Plan::Graph, Plan::Exact] {
                let got = g.search_with_plan(&v, q, 10, EF, &filter, plan);
                assert_eq!(got.len(), 10);
                assert!(
                    got.iter().all(|h| !deleted.contains(h.0)),
                    "{plan:?} returned a deleted row"
                );
                let truth: Vec<u32> =
                    brute_force(&data, DIM, Metric::L2, q, 10, |r| filter.accepts(r))
                        .iter()
                        .map(|h| h.0)
                        .collect();
                let ids: Vec<u32> = got.iter().map(|h| h.0).collect();
                assert!(recall_at_k(&ids, &truth, 10) >= 0.7, "{plan:?}");
            }
        }
    }
}
