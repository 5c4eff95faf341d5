//! Combining a dense (vector) result list with a keyword (BM25) result list.
//!
//! Both inputs are best first with **higher-is-better** scores. Cosine and
//! dot-product similarities can be passed as they are; for L2 the caller
//! negates the distances first (`-d`), which keeps the order and makes every
//! strategy below well defined.
//!
//! Each list should be fetched deeper than `k` so that a document ranked
//! moderately by both lists can still surface: [`default_depth`] gives
//! `max(k, 100)`.
//!
//! Ties in the fused score are broken deterministically by first
//! appearance: the dense list in order, then keyword-only hits in order.

use std::collections::HashMap;
use std::hash::Hash;
use vecstore_core::Fusion;

/// How many hits to fetch from each list before fusing `k`: `max(k, 100)`.
pub fn default_depth(k: usize) -> usize {
    k.max(100)
}

/// Fuses `dense` and `keyword` (best first, higher is better) into the best
/// `k`, best first, with the fused score.
///
/// * [`Fusion::Weighted(alpha)`](Fusion::Weighted): `alpha * dense + (1 -
///   alpha) * keyword` on scores min–max normalised per list and query,
///   `(s - min) / (max - min)`. A list with one hit, or whose scores are all
///   equal, normalises to 1.0; a candidate missing from a list gets 0 there.
///   `alpha` is clamped to `[0, 1]` (NaN counts as 0.5); validate it first
///   with [`vecstore_core::validate::fusion`].
/// * [`Fusion::Rrf { k }`](Fusion::Rrf): `sum 1 / (k + rank)`, rank from 1.
/// * [`Fusion::Dbsf`]: each list is normalised with `(s - (mean - 3σ)) / 6σ`
///   (σ the sample standard deviation), clipped to `[0, 1]`, then the two
///   are summed, as Qdrant does; a list with one hit, or all-equal scores,
///   normalises to 0.5 (Qdrant's choice).
///
/// ```
/// use vecstore_core::Fusion;
/// use vecstore_sparse::fusion::fuse;
/// let dense = [("a", 0.9), ("b", 0.8)];
/// let keyword = [("b", 12.0), ("c", 3.0)];
/// let hits = fuse(&Fusion::Rrf { k: 60 }, &dense, &keyword, 2);
/// assert_eq!(hits[0].0, "b"); // 1/62 + 1/61
/// assert_eq!(hits[1].0, "a"); // 1/61, ahead of "c" by first appearance
/// ```
pub fn fuse<K: Clone + Eq + Hash>(
    fusion: &Fusion,
    dense: &[(K, f32)],
    keyword: &[(K, f32)],
    k: usize,
) -> Vec<(K, f32)> {
    let (wd, wk, nd, nk) = match *fusion {
        Fusion::Weighted(alpha) => {
            let a = if alpha.is_nan() {
                0.5
            } else {
                alpha.clamp(0.0, 1.0)
            };
            (a, 1.0 - a, min_max(dense), min_max(keyword))
        }
        Fusion::Rrf { k: c } => (1.0, 1.0, rrf(dense, c), rrf(keyword, c)),
        Fusion::Dbsf => (1.0, 1.0, dbsf(dense), dbsf(keyword)),
    };
    // (key, fused score, first appearance)
    let mut index: HashMap<&K, usize> = HashMap::with_capacity(dense.len() + keyword.len());
    let mut fused: Vec<(&K, f32)> = Vec::with_capacity(dense.len() + keyword.len());
    for (list, norm, w) in [(dense, nd, wd), (keyword, nk, wk)] {
        for ((key, _), s) in list.iter().zip(norm) {
            let contribution = w * s;
            match index.get(key) {
                Some(&i) => fused[i].1 += contribution,
                None => {
                    index.insert(key, fused.len());
                    fused.push((key, contribution));
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..fused.len()).collect();
    // Stable sort: equal scores keep first-appearance order.
    order.sort_by(|&a, &b| fused[b].1.total_cmp(&fused[a].1));
    order
        .into_iter()
        .take(k)
        .map(|i| (fused[i].0.clone(), fused[i].1))
        .collect()
}

fn finite(s: f32) -> f32 {
    if s.is_finite() { s } else { f32::MIN }
}

fn min_max<K>(list: &[(K, f32)]) -> Vec<f32> {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for (_, s) in list {
        lo = lo.min(finite(*s));
        hi = hi.max(finite(*s));
    }
    let range = hi - lo;
    list.iter()
        .map(|(_, s)| {
            if range > 0.0 && range.is_finite() {
                ((finite(*s) - lo) / range).clamp(0.0, 1.0)
            } else {
                1.0
            }
        })
        .collect()
}

fn rrf<K>(list: &[(K, f32)], c: u32) -> Vec<f32> {
    (1..=list.len())
        .map(|rank| (1.0 / (f64::from(c) + rank as f64)) as f32)
        .collect()
}

fn dbsf<K>(list: &[(K, f32)]) -> Vec<f32> {
    let n = list.len();
    if n < 2 {
        return vec![0.5; n];
    }
    let scores: Vec<f64> = list.iter().map(|(_, s)| f64::from(finite(*s))).collect();
    let mean = scores.iter().sum::<f64>() / n as f64;
    let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    if !(sd > 0.0 && sd.is_finite()) {
        return vec![0.5; n];
    }
    let lo = mean - 3.0 * sd;
    scores
        .iter()
        .map(|s| ((s - lo) / (6.0 * sd)).clamp(0.0, 1.0) as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn weighted_by_hand() {
        // dense normalised: a 1, b 0.5, c 0; keyword normalised: c 1, d 0.
        let dense = [("a", 0.9), ("b", 0.7), ("c", 0.5)];
        let keyword = [("c", 10.0), ("d", 2.0)];
        let got = fuse(&Fusion::Weighted(0.25), &dense, &keyword, 10);
        // a 0.25, b 0.125, c 0.75, d 0
        let want = [("c", 0.75), ("a", 0.25), ("b", 0.125), ("d", 0.0)];
        assert_eq!(got.len(), 4);
        for ((gk, gs), (wk, ws)) in got.iter().zip(want) {
            assert_eq!(*gk, wk);
            assert!(close(*gs, ws), "{gk}: {gs} vs {ws}");
        }
        // k truncates.
        assert_eq!(fuse(&Fusion::Weighted(0.25), &dense, &keyword, 2).len(), 2);
    }

    #[test]
    fn weighted_single_and_equal_lists_normalise_to_one() {
        let dense = [("a", 0.3)];
        let keyword = [("b", 5.0), ("c", 5.0)];
        let got = fuse(&Fusion::Weighted(0.6), &dense, &keyword, 10);
        assert_eq!(got[0].0, "a");
        assert!(close(got[0].1, 0.6));
        assert!(close(got[1].1, 0.4) && close(got[2].1, 0.4));
        assert_eq!((got[1].0, got[2].0), ("b", "c"));
    }

    #[test]
    fn rrf_by_hand() {
        let dense = [(1u32, 0.9), (2, 0.8), (3, 0.7)];
        let keyword = [(3u32, 5.0), (4, 4.0)];
        let got = fuse(&Fusion::Rrf { k: 60 }, &dense, &keyword, 10);
        // 3: 1/63 + 1/61; 1: 1/61; 2: 1/62; 4: 1/62 (tie with 2, 2 first)
        let want = [
            (3, 1.0 / 63.0 + 1.0 / 61.0),
            (1, 1.0 / 61.0),
            (2, 1.0 / 62.0),
            (4, 1.0 / 62.0),
        ];
        for ((gk, gs), (wk, ws)) in got.iter().zip(want) {
            assert_eq!(*gk, wk);
            assert!(close(*gs, ws));
        }
    }

    #[test]
    fn dbsf_by_hand() {
        // dense scores 1, 2, 3: mean 2, sample sd 1 -> (s + 1) / 6
        let dense = [("c", 3.0), ("b", 2.0), ("a", 1.0)];
        // keyword single hit -> 0.5
        let keyword = [("a", 7.0)];
        let got = fuse(&Fusion::Dbsf, &dense, &keyword, 10);
        let want = [("a", 2.0 / 6.0 + 0.5), ("c", 4.0 / 6.0), ("b", 3.0 / 6.0)];
        for ((gk, gs), (wk, ws)) in got.iter().zip(want) {
            assert_eq!(*gk, wk);
            assert!(close(*gs, ws), "{gk}: {gs} vs {ws}");
        }
    }

    #[test]
    fn dbsf_clips_outliers() {
        let mut dense: Vec<(u32, f32)> = (0..20).map(|i| (i, 0.0)).collect();
        dense[0].1 = 100.0;
        let got = fuse(&Fusion::Dbsf, &dense, &[], 20);
        assert_eq!(got[0], (0, 1.0));
        assert!(got.iter().all(|(_, s)| (0.0..=1.0).contains(s)));
    }

    #[test]
    fn empty_inputs() {
        let none: [(u32, f32); 0] = [];
        for f in [Fusion::Weighted(0.5), Fusion::Rrf { k: 60 }, Fusion::Dbsf] {
            assert!(fuse(&f, &none, &none, 10).is_empty());
            assert_eq!(fuse(&f, &[(7u32, 1.0)], &none, 10).len(), 1);
        }
    }

    #[test]
    fn depth() {
        assert_eq!(default_depth(10), 100);
        assert_eq!(default_depth(500), 500);
    }
}
