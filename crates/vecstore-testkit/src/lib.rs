//! Shared test tools for vecstore crates (a dev-dependency only): seeded
//! vector generators, a brute-force top-k oracle, recall@k and random
//! allow-sets.
//!
//! Everything is deterministic given the seed. The oracle uses the scalar
//! kernels ([`Metric::distance_scalar`]) so it shares no code with the SIMD
//! paths it checks. Depends on `vecstore-core` only; never on the crates
//! it tests.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roaring::RoaringBitmap;
use vecstore_core::Metric;

/// A seeded RNG (ChaCha8).
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// `n` rows of `dim` components uniform in `[-1, 1)`, row-major.
pub fn uniform(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut r = rng(seed);
    (0..n * dim).map(|_| r.random_range(-1.0f32..1.0)).collect()
}

/// A standard normal sample (Box–Muller).
pub fn gaussian(r: &mut impl Rng) -> f32 {
    let u1: f64 = 1.0 - r.random::<f64>();
    let u2: f64 = r.random::<f64>();
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

/// `n` rows of `dim` components drawn around `clusters` centres (uniform in
/// `[-1, 1)^dim`) with Gaussian noise of standard deviation `spread`;
/// row-major. Clustered data is harder for graph indexes than uniform data
/// and closer to real embeddings.
pub fn clustered(n: usize, dim: usize, clusters: usize, spread: f32, seed: u64) -> Vec<f32> {
    let mut r = rng(seed);
    let clusters = clusters.max(1);
    let centres: Vec<f32> = (0..clusters * dim)
        .map(|_| r.random_range(-1.0f32..1.0))
        .collect();
    let mut out = Vec::with_capacity(n * dim);
    for _ in 0..n {
        let c = r.random_range(0..clusters);
        for j in 0..dim {
            out.push(centres[c * dim + j] + spread * gaussian(&mut r));
        }
    }
    out
}

/// Exact top-`k` rows of `data` (row-major, `dim` wide) for `query` under
/// `metric`, best first, ties by row id; rows for which `allowed` is false
/// are skipped. Vectors are prepared (normalised for cosine) on the fly, so
/// pass raw data and a raw query.
pub fn brute_force(
    data: &[f32],
    dim: usize,
    metric: Metric,
    query: &[f32],
    k: usize,
    allowed: impl Fn(u32) -> bool,
) -> Vec<(u32, f32)> {
    let mut q = query.to_vec();
    metric.prepare(&mut q);
    let mut row = vec![0.0f32; dim];
    let mut all: Vec<(u32, f32)> = data
        .chunks_exact(dim)
        .enumerate()
        .filter(|(i, _)| allowed(*i as u32))
        .map(|(i, r)| {
            row.copy_from_slice(r);
            metric.prepare(&mut row);
            (i as u32, metric.distance_scalar(&q, &row))
        })
        .collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

/// recall@k: the fraction of the first `k` entries of `truth` that appear
/// among the first `k` of `found` (1.0 when `truth` is empty).
pub fn recall_at_k(found: &[u32], truth: &[u32], k: usize) -> f64 {
    let t = &truth[..truth.len().min(k)];
    if t.is_empty() {
        return 1.0;
    }
    let f = &found[..found.len().min(k)];
    let hits = t.iter().filter(|x| f.contains(x)).count();
    hits as f64 / t.len() as f64
}

/// A seeded random subset of `0..n` in which each row is present with
/// probability `fraction` (at least one row when `n > 0` and `fraction > 0`).
pub fn random_subset(n: usize, fraction: f64, seed: u64) -> RoaringBitmap {
    let mut r = rng(seed);
    let mut b: RoaringBitmap = (0..n as u32)
        .filter(|_| r.random::<f64>() < fraction)
        .collect();
    if b.is_empty() && n > 0 && fraction > 0.0 {
        b.insert(r.random_range(0..n as u32));
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_seeded() {
        assert_eq!(uniform(10, 4, 1), uniform(10, 4, 1));
        assert_ne!(uniform(10, 4, 1), uniform(10, 4, 2));
        assert_eq!(clustered(10, 4, 3, 0.1, 5).len(), 40);
    }

    #[test]
    fn oracle_and_recall() {
        let data = [0.0f32, 10.0, 3.0, 4.0];
        let hits = brute_force(&data, 1, Metric::L2, &[3.5], 2, |_| true);
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [2, 3]);
        let hits = brute_force(&data, 1, Metric::L2, &[3.5], 2, |r| r != 2);
        assert_eq!(hits[0].0, 3);
        assert_eq!(recall_at_k(&[1, 2, 3], &[3, 4, 1], 3), 2.0 / 3.0);
    }

    #[test]
    fn subset_fraction() {
        let s = random_subset(10_000, 0.1, 3);
        assert!((800..1200).contains(&(s.len() as usize)));
        assert_eq!(random_subset(10, 0.0001, 1).len(), 1);
    }
}
