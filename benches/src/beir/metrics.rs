//! Retrieval metrics as BEIR computes them with pytrec_eval: nDCG@k with
//! graded relevance and log2 discount, recall@k and MRR@k, averaged over
//! the judged queries (a query with no hits scores 0).

use std::collections::HashMap;

/// Judgements of one query: document id -> relevance grade.
pub type Qrels = HashMap<String, i32>;

/// nDCG@k of `ranked` (best first) against `qrels`.
pub fn ndcg(ranked: &[&str], qrels: &Qrels, k: usize) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, d)| gain(qrels.get(*d).copied().unwrap_or(0)) / (i as f64 + 2.0).log2())
        .sum();
    let mut ideal: Vec<i32> = qrels.values().copied().filter(|&r| r > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &r)| gain(r) / (i as f64 + 2.0).log2())
        .sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

// trec_eval's nDCG uses the grade itself as gain.
fn gain(rel: i32) -> f64 {
    f64::from(rel.max(0))
}

/// Fraction of the relevant documents found in the first `k`.
pub fn recall(ranked: &[&str], qrels: &Qrels, k: usize) -> f64 {
    let relevant = qrels.values().filter(|&&r| r > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(k)
        .filter(|d| qrels.get(**d).is_some_and(|&r| r > 0))
        .count();
    found as f64 / relevant as f64
}

/// Reciprocal rank of the first relevant document within the first `k`.
pub fn mrr(ranked: &[&str], qrels: &Qrels, k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|d| qrels.get(*d).is_some_and(|&r| r > 0))
        .map_or(0.0, |i| 1.0 / (i as f64 + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let q: Qrels = [("a".to_string(), 1), ("b".to_string(), 1)].into();
        let ranked = ["x", "a", "y", "b"];
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2();
        assert!((ndcg(&ranked, &q, 10) - dcg / idcg).abs() < 1e-12);
        assert_eq!(recall(&ranked, &q, 2), 0.5);
        assert_eq!(mrr(&ranked, &q, 10), 0.5);
        assert_eq!(mrr(&ranked, &q, 1), 0.0);
    }
}
