//! Distance kernels over `&[f32]`.
//!
//! The dispatched functions ([`dot`], [`l2sq`], [`cosine_distance`]) pick an
//! implementation once per process, at run time (no `target-cpu=native` is
//! needed or used):
//!
//! 1. on x86-64 with AVX2 and FMA, the hand-written kernels in this module
//!    (8-lane FMA, four accumulators). They beat `simsimd` 6.5 at the small
//!    dimensions of ANN search (see `benches/kernels.rs`): `simsimd`'s f32
//!    kernels accumulate in f64 and go through a dispatch pointer, which
//!    costs more than the arithmetic at d = 128;
//! 2. otherwise `simsimd` (NEON, SVE, ... chosen by its own dispatch);
//! 3. the [`scalar`] twins, always compiled: the fallback when `simsimd`
//!    declines a call, and the oracle in the property tests.
//!
//! [`Kernels::get`] returns the chosen function pointers, so hot loops can
//! resolve the dispatch once and call straight through.
//!
//! # Precision
//! The SIMD paths sum in a different order (and `simsimd` in wider precision)
//! than the scalar twins, so results agree to about 1e-4 relative to
//! `sum |a_i * b_i|` (the magnitude scale of the sum), not to the last bit.
//!
//! # NaN and infinity
//! The public API rejects vectors holding NaN or infinity
//! ([`crate::validate::vector`]), so the index never stores them. The kernels
//! themselves do not check: a NaN input gives a NaN result in every path, and
//! callers must not rely on the ordering of NaN.
//!
//! # Zero vectors
//! [`cosine_distance`] of a zero vector with anything is 1 (similarity 0) in
//! every path.
//!
//! # Lengths
//! Both slices must have the same length; with different lengths the SIMD
//! paths use the shorter one (they never read out of bounds).

use simsimd::SpatialSimilarity;
use std::sync::OnceLock;

/// A kernel: distance-like value of two equally long slices.
pub type KernelFn = fn(&[f32], &[f32]) -> f32;

/// The kernels chosen for this CPU.
#[derive(Debug, Clone, Copy)]
pub struct Kernels {
    /// Dot product.
    pub dot: KernelFn,
    /// Squared Euclidean distance.
    pub l2sq: KernelFn,
    /// Cosine distance `1 - cos(a, b)`.
    pub cosine_distance: KernelFn,
    /// Name of the implementation, for reports.
    pub name: &'static str,
}

static KERNELS: OnceLock<Kernels> = OnceLock::new();

impl Kernels {
    /// The kernels for this CPU (detected on first use).
    #[inline]
    pub fn get() -> &'static Kernels {
        KERNELS.get_or_init(Kernels::detect)
    }

    fn detect() -> Kernels {
        #[cfg(target_arch = "x86_64")]
        if x86::available() {
            return Kernels {
                dot: x86::dot,
                l2sq: x86::l2sq,
                cosine_distance: x86::cosine_distance,
                name: "avx2+fma",
            };
        }
        Kernels {
            dot: simsimd_kernels::dot,
            l2sq: simsimd_kernels::l2sq,
            cosine_distance: simsimd_kernels::cosine_distance,
            name: simsimd_kernels::backend(),
        }
    }
}

/// Dot product `sum a_i * b_i`. Both slices must have the same length.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    (Kernels::get().dot)(a, b)
}

/// Squared Euclidean distance `sum (a_i - b_i)^2`.
#[inline]
pub fn l2sq(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    (Kernels::get().l2sq)(a, b)
}

/// Cosine distance `1 - cos(a, b)`, in `[0, 2]`.
#[inline]
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    (Kernels::get().cosine_distance)(a, b)
}

/// Hints the CPU to start loading the first `lines` cache lines (64 bytes
/// each, at most as many as `v` spans) of `v`; a no-op where prefetching is
/// unavailable. Graph search uses it to overlap the memory latency of the
/// next neighbours' vectors and link lists with arithmetic.
#[allow(unsafe_code)]
#[inline(always)]
pub fn prefetch<T>(v: &[T], lines: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = v.as_ptr() as *const i8;
        // One counted loop (the hot search loop runs it for every vector).
        let n = std::mem::size_of_val(v).div_ceil(64).min(lines);
        for k in 0..n {
            // SAFETY: SSE is part of the x86-64 baseline, so the intrinsic exists on
            // every CPU we run on; a prefetch never faults, and we only pass
            // addresses inside `v` (`64 * k < size_of_val(v)`).
            #[allow(unsafe_code, unused_unsafe)]
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(64 * k));
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (v, lines);
}

/// Calls into `simsimd` with its own runtime dispatch.
pub mod simsimd_kernels {
    use super::{SpatialSimilarity, scalar};

    /// Dot product via `simsimd`.
    #[inline]
    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        match <f32 as SpatialSimilarity>::dot(a, b) {
            Some(d) => d as f32,
            None => scalar::dot(a, b),
        }
    }

    /// Squared Euclidean distance via `simsimd`.
    #[inline]
    pub fn l2sq(a: &[f32], b: &[f32]) -> f32 {
        match <f32 as SpatialSimilarity>::l2sq(a, b) {
            Some(d) => d as f32,
            None => scalar::l2sq(a, b),
        }
    }

    /// Cosine distance via `simsimd`.
    #[inline]
    pub fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
        if a.is_empty() {
            return 1.0;
        }
        match <f32 as SpatialSimilarity>::cos(a, b) {
            Some(d) => d as f32,
            None => scalar::cosine_distance(a, b),
        }
    }

    /// Which implementation `simsimd` runs on this CPU.
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
}

/// Hand-written AVX2 + FMA kernels for x86-64.
#[cfg(target_arch = "x86_64")]
pub mod x86 {
    use std::arch::x86_64::*;

    /// Whether this CPU runs the kernels of this module.
    pub fn available() -> bool {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }

    /// Dot product; `None` when AVX2/FMA are unavailable.
    pub fn try_dot(a: &[f32], b: &[f32]) -> Option<f32> {
        available().then(|| dot(a, b))
    }

    /// Squared L2; `None` when AVX2/FMA are unavailable.
    pub fn try_l2sq(a: &[f32], b: &[f32]) -> Option<f32> {
        available().then(|| l2sq(a, b))
    }

    /// Cosine distance; `None` when AVX2/FMA are unavailable.
    pub fn try_cosine_distance(a: &[f32], b: &[f32]) -> Option<f32> {
        available().then(|| cosine_distance(a, b))
    }

    // The three functions below are private and only reachable through
    // `Kernels::detect` (after `available()`) or the `try_*` wrappers.
    #[allow(unsafe_code)]
    pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: callers (the dispatch table and `try_dot`) install or call
        // this only after `available()` confirmed AVX2 and FMA.
        unsafe { dot_avx2(a, b) }
    }

    #[allow(unsafe_code)]
    pub(super) fn l2sq(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: as in `dot`: only reached after `available()`.
        unsafe { l2sq_avx2(a, b) }
    }

    #[allow(unsafe_code)]
    pub(super) fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: as in `dot`: only reached after `available()`.
        unsafe { cosine_avx2(a, b) }
    }

    /// Sum of the 8 lanes.
    #[allow(unsafe_code)]
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps::<1>(v);
        let s = _mm_add_ps(lo, hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }

    #[allow(unsafe_code)]
    #[target_feature(enable = "avx2,fma")]
    fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY (all loads below): every load reads 8 floats at offset
        // `i + j` with `i + j + 8 <= n`, inside both slices.
        unsafe {
            while i + 32 <= n {
                for (j, acc) in acc.iter_mut().enumerate() {
                    let x = _mm256_loadu_ps(pa.add(i + 8 * j));
                    let y = _mm256_loadu_ps(pb.add(i + 8 * j));
                    *acc = _mm256_fmadd_ps(x, y, *acc);
                }
                i += 32;
            }
            while i + 8 <= n {
                let x = _mm256_loadu_ps(pa.add(i));
                let y = _mm256_loadu_ps(pb.add(i));
                acc[0] = _mm256_fmadd_ps(x, y, acc[0]);
                i += 8;
            }
        }
        let v = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut s = hsum(v);
        for k in i..n {
            s += a[k] * b[k];
        }
        s
    }

    #[allow(unsafe_code)]
    #[target_feature(enable = "avx2,fma")]
    fn l2sq_avx2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY: as in `dot_avx2`, every load stays below `n`.
        unsafe {
            while i + 32 <= n {
                for (j, acc) in acc.iter_mut().enumerate() {
                    let d = _mm256_sub_ps(
                        _mm256_loadu_ps(pa.add(i + 8 * j)),
                        _mm256_loadu_ps(pb.add(i + 8 * j)),
                    );
                    *acc = _mm256_fmadd_ps(d, d, *acc);
                }
                i += 32;
            }
            while i + 8 <= n {
                let d = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
                acc[0] = _mm256_fmadd_ps(d, d, acc[0]);
                i += 8;
            }
        }
        let v = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut s = hsum(v);
        for k in i..n {
            let d = a[k] - b[k];
            s += d * d;
        }
        s
    }

    #[allow(unsafe_code)]
    #[target_feature(enable = "avx2,fma")]
    fn cosine_avx2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let (mut ab, mut aa, mut bb) = (
            [_mm256_setzero_ps(); 2],
            [_mm256_setzero_ps(); 2],
            [_mm256_setzero_ps(); 2],
        );
        let mut i = 0;
        // SAFETY: as in `dot_avx2`, every load stays below `n`.
        unsafe {
            while i + 16 <= n {
                for j in 0..2 {
                    let x = _mm256_loadu_ps(pa.add(i + 8 * j));
                    let y = _mm256_loadu_ps(pb.add(i + 8 * j));
                    ab[j] = _mm256_fmadd_ps(x, y, ab[j]);
                    aa[j] = _mm256_fmadd_ps(x, x, aa[j]);
                    bb[j] = _mm256_fmadd_ps(y, y, bb[j]);
                }
                i += 16;
            }
            while i + 8 <= n {
                let x = _mm256_loadu_ps(pa.add(i));
                let y = _mm256_loadu_ps(pb.add(i));
                ab[0] = _mm256_fmadd_ps(x, y, ab[0]);
                aa[0] = _mm256_fmadd_ps(x, x, aa[0]);
                bb[0] = _mm256_fmadd_ps(y, y, bb[0]);
                i += 8;
            }
        }
        let mut sab = hsum(_mm256_add_ps(ab[0], ab[1])) as f64;
        let mut saa = hsum(_mm256_add_ps(aa[0], aa[1])) as f64;
        let mut sbb = hsum(_mm256_add_ps(bb[0], bb[1])) as f64;
        for k in i..n {
            let (x, y) = (a[k] as f64, b[k] as f64);
            sab += x * y;
            saa += x * x;
            sbb += y * y;
        }
        if saa == 0.0 || sbb == 0.0 {
            return 1.0;
        }
        (1.0 - sab / (saa.sqrt() * sbb.sqrt())).max(0.0) as f32
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
    Kernels::get().name
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

    /// Every implementation that can run on this CPU, by name.
    fn paths() -> Vec<(&'static str, Kernels)> {
        let mut v = vec![
            ("dispatched", *Kernels::get()),
            (
                "simsimd",
                Kernels {
                    dot: simsimd_kernels::dot,
                    l2sq: simsimd_kernels::l2sq,
                    cosine_distance: simsimd_kernels::cosine_distance,
                    name: "simsimd",
                },
            ),
        ];
        #[cfg(target_arch = "x86_64")]
        if x86::available() {
            v.push((
                "avx2",
                Kernels {
                    dot: x86::dot,
                    l2sq: x86::l2sq,
                    cosine_distance: x86::cosine_distance,
                    name: "avx2",
                },
            ));
        }
        v
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn dot_matches_scalar((a, b) in pair()) {
            let scale: f32 = a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum();
            let s = scalar::dot(&a, &b);
            for (name, k) in paths() {
                let x = (k.dot)(&a, &b);
                prop_assert!(close(x, s, scale), "{name}: {x} vs {s}");
            }
        }

        #[test]
        fn l2sq_matches_scalar((a, b) in pair()) {
            let s = scalar::l2sq(&a, &b);
            for (name, k) in paths() {
                let x = (k.l2sq)(&a, &b);
                prop_assert!(close(x, s, s), "{name}: {x} vs {s}");
            }
        }

        #[test]
        fn cosine_matches_scalar((a, b) in pair()) {
            let y = scalar::cosine_distance(&a, &b);
            for (name, k) in paths() {
                let x = (k.cosine_distance)(&a, &b);
                prop_assert!((x - y).abs() <= 1e-4, "{name}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn every_path_handles_zero_and_short_inputs() {
        for (name, k) in paths() {
            let z = [0.0f32; 8];
            let a = [1.0f32; 8];
            assert!(((k.cosine_distance)(&z, &a) - 1.0).abs() < 1e-6, "{name}");
            assert_eq!((k.dot)(&[2.0], &[3.0]), 6.0, "{name}");
            assert_eq!((k.l2sq)(&[2.0], &[3.0]), 1.0, "{name}");
            assert!((k.dot)(&[f32::NAN, 1.0], &[1.0, 1.0]).is_nan(), "{name}");
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
