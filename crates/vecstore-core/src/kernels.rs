//! Distance kernels over `&[f32]`.
//!
//! The dispatched functions ([`dot`], [`l2sq`], [`cosine_distance`]) call
//! `simsimd`, which picks the best SIMD implementation for the running CPU at
//! run time (no `target-cpu=native` is needed or used). The [`scalar`] module
//! holds plain-Rust twins that are always compiled; they are the fallback when
//! `simsimd` declines a call and the oracle in the property tests.
//!
//! # Precision
//! `simsimd` accumulates in wider precision than the scalar twins, so results
//! agree to about 1e-4 relative to `sum |a_i * b_i|` (the magnitude scale of
//! the sum), not to the last bit.
//!
//! # NaN and infinity
//! The public API rejects vectors holding NaN or infinity
//! ([`crate::validate::vector`]), so the index never stores them. The kernels
//! themselves do not check: a NaN input gives a NaN result in both the
//! SIMD and the scalar path, and callers must not rely on the ordering of NaN.
//!
//! # Zero vectors
//! [`cosine_distance`] of a zero vector with anything is 1 (similarity 0) in
//! both paths; `simsimd` does the same.

use simsimd::SpatialSimilarity;

/// Dot product `sum a_i * b_i`. Both slices must have the same length.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    match <f32 as SpatialSimilarity>::dot(a, b) {
        Some(d) => d as f32,
        None => scalar::dot(a, b),
    }
}

/// Squared Euclidean distance `sum (a_i - b_i)^2`.
#[inline]
pub fn l2sq(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    match <f32 as SpatialSimilarity>::l2sq(a, b) {
        Some(d) => d as f32,
        None => scalar::l2sq(a, b),
    }
}

/// Cosine distance `1 - cos(a, b)`, in `[0, 2]`.
#[inline]
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    if a.is_empty() {
        return 1.0;
    }
    match <f32 as SpatialSimilarity>::cos(a, b) {
        Some(d) => d as f32,
        None => scalar::cosine_distance(a, b),
    }
}

/// Euclidean norm of `a`.
#[inline]
pub fn norm(a: &[f32]) -> f32 {
    dot(a, a).sqrt()
}

/// Scales `a` to unit length in place. Returns `false` (and leaves `a`
/// unchanged) for a zero vector.
pub fn normalize(a: &mut [f32]) -> bool {
    let n = norm(a);
    if n == 0.0 || !n.is_finite() {
        return false;
    }
    let inv = 1.0 / n;
    a.iter_mut().for_each(|x| *x *= inv);
    true
}

/// Plain-Rust kernels, always compiled: the fallback and the test oracle.
pub mod scalar {
    /// Dot product.
    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        // Four accumulators let the compiler vectorise without -ffast-math.
        let mut acc = [0.0f32; 4];
        let chunks = a.len() / 4;
        for i in 0..chunks {
            for j in 0..4 {
                acc[j] += a[i * 4 + j] * b[i * 4 + j];
            }
        }
        let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for i in chunks * 4..a.len() {
            s += a[i] * b[i];
        }
        s
    }

    /// Squared Euclidean distance.
    pub fn l2sq(a: &[f32], b: &[f32]) -> f32 {
        let mut acc = [0.0f32; 4];
        let chunks = a.len() / 4;
        for i in 0..chunks {
            for j in 0..4 {
                let d = a[i * 4 + j] - b[i * 4 + j];
                acc[j] += d * d;
            }
        }
        let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for i in chunks * 4..a.len() {
            let d = a[i] - b[i];
            s += d * d;
        }
        s
    }

    /// Cosine distance `1 - cos(a, b)`; 1 when either vector is zero.
    pub fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
        let ab = dot(a, b) as f64;
        let aa = dot(a, a) as f64;
        let bb = dot(b, b) as f64;
        if aa == 0.0 || bb == 0.0 {
            return 1.0;
        }
        (1.0 - ab / (aa.sqrt() * bb.sqrt())).max(0.0) as f32
    }
}

/// Which implementation the dispatched kernels run on this CPU, for reports.
pub fn backend() -> &'static str {
    use simsimd::capabilities as c;
    if c::uses_sapphire() {
        "simsimd:sapphire"
    } else if c::uses_genoa() {
        "simsimd:genoa"
    } else if c::uses_ice() {
        "simsimd:ice"
    } else if c::uses_skylake() {
        "simsimd:skylake"
    } else if c::uses_haswell() {
        "simsimd:haswell"
    } else if c::uses_sve() {
        "simsimd:sve"
    } else if c::uses_neon() {
        "simsimd:neon"
    } else {
        "simsimd:serial"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(x: f32, y: f32, scale: f32) -> bool {
        (x - y).abs() <= 1e-4 * scale.max(1e-6) + 1e-6
    }

    fn pair() -> impl Strategy<Value = (Vec<f32>, Vec<f32>)> {
        (1usize..=2048).prop_flat_map(|d| {
            (
                prop::collection::vec(-100.0f32..100.0, d),
                prop::collection::vec(-100.0f32..100.0, d),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn dot_matches_scalar((a, b) in pair()) {
            let scale: f32 = a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum();
            prop_assert!(close(dot(&a, &b), scalar::dot(&a, &b), scale));
        }

        #[test]
        fn l2sq_matches_scalar((a, b) in pair()) {
            let s = scalar::l2sq(&a, &b);
            prop_assert!(close(l2sq(&a, &b), s, s));
        }

        #[test]
        fn cosine_matches_scalar((a, b) in pair()) {
            let x = cosine_distance(&a, &b);
            let y = scalar::cosine_distance(&a, &b);
            prop_assert!((x - y).abs() <= 1e-4, "{x} vs {y}");
        }
    }

    #[test]
    fn zero_vector_cosine_is_one() {
        let z = [0.0f32; 8];
        let a = [1.0f32; 8];
        assert_eq!(scalar::cosine_distance(&z, &a), 1.0);
        assert!((cosine_distance(&z, &a) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn nan_propagates() {
        let a = [f32::NAN, 1.0, 2.0];
        let b = [1.0f32, 1.0, 1.0];
        assert!(dot(&a, &b).is_nan());
        assert!(scalar::dot(&a, &b).is_nan());
        assert!(scalar::l2sq(&a, &b).is_nan());
    }

    #[test]
    fn normalize_unit() {
        let mut a = vec![3.0f32, 4.0];
        assert!(normalize(&mut a));
        assert!((norm(&a) - 1.0).abs() < 1e-6);
        let mut z = vec![0.0f32; 3];
        assert!(!normalize(&mut z));
    }
}
