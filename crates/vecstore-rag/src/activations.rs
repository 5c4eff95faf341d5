//! Element-wise kernels of the BERT forward pass ([`crate::bert`]): `exp`,
//! GELU (erf form), softmax and LayerNorm on `f32` slices.
//!
//! They are written branch-free over plain slices so that the compiler
//! vectorises them at the baseline target (SSE2 on x86-64), and
//! `#[inline(always)]` so that [`crate::kernels::simd`] can compile them again with
//! AVX2 (8 lanes) for CPUs that have it: `f32::exp` and
//! an `erf` from libm are scalar calls, and on SciFact-sized inputs the
//! softmax and GELU of a 6-layer MiniLM evaluate about 7 million of each per
//! document.

/// `e^x` to about 2 ulp for `x` in `[-87, 88]` (clamped outside): `x = n ln2 + r`
/// with `|r| <= ln2/2`, a degree-7 Taylor polynomial for `e^r` and `2^n`
/// built from the exponent bits.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two so that `n * LN2_HI` is exact.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 * 2^23: adding and subtracting it rounds to the nearest integer
    // without `round()`, which SSE2 cannot vectorise.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E + ROUND;
    let n = t - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    // `t`'s bits are those of 1.5 * 2^23 (0x4B40_0000, low 22 bits zero)
    // plus `n`, so shifting `bits + 127` left by 23 leaves `n + 127` in the
    // exponent field: 2^n by integer adds and shifts, which vectorise (a
    // float-to-int `as` cast saturates and does not). n is in [-126, 127]
    // after the clamp, so the biased exponent is a normal one.
    let scale = f32::from_bits(t.to_bits().wrapping_add(127) << 23);
    p * scale
}

/// `erf(x)` with absolute error below 5e-7 in f32 (Abramowitz & Stegun 7.1.26).
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A1: f32 = 0.254_829_6;
    const A2: f32 = -0.284_496_72;
    const A3: f32 = 1.421_413_8;
    const A4: f32 = -1.453_152;
    const A5: f32 = 1.061_405_4;
    let a = x.abs();
    let t = 1.0 / (1.0 + P * a);
    let poly = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

/// GELU as BERT defines it: `x/2 * (1 + erf(x / sqrt 2))`.
#[inline(always)]
pub(crate) fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// GELU of every element, in place.
#[inline(always)]
pub(crate) fn gelu_in_place(xs: &mut [f32]) {
    for v in xs {
        *v = gelu(*v);
    }
}

/// Lanes of the reductions below: float sums and maxima only vectorise
/// with independent accumulators (addition order is otherwise fixed).
/// Loops below are `for` loops, not `for_each`/`sum`: those go through
/// `Iterator::fold`, which the compiler may keep out of line, i.e. not in
/// [`crate::kernels::simd`]'s AVX2 copies.
const LANES: usize = 8;

/// Maximum of a row, by lanes.
#[inline(always)]
fn max_of(row: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a = a.max(*v);
        }
    }
    let mut m = f32::NEG_INFINITY;
    for v in tail.iter().chain(&acc) {
        m = m.max(*v);
    }
    m
}

/// Sum of a row, by lanes.
#[inline(always)]
fn sum_of(row: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    let mut s = 0.0;
    for v in tail.iter().chain(&acc) {
        s += v;
    }
    s
}

/// Softmax of one row in place.
#[inline(always)]
pub(crate) fn softmax(row: &mut [f32]) {
    let max = max_of(row);
    for v in row.iter_mut() {
        *v = exp(*v - max);
    }
    let inv = 1.0 / sum_of(row);
    for v in row {
        *v *= inv;
    }
}

/// `x = LayerNorm(x + a)` for one row (a residual connection), with
/// weights `gamma`, `beta` and epsilon `eps` (biased variance, as torch).
#[inline(always)]
pub(crate) fn add_layer_norm(x: &mut [f32], a: &[f32], gamma: &[f32], beta: &[f32], eps: f32) {
    for (v, a) in x.iter_mut().zip(a) {
        *v += a;
    }
    layer_norm(x, gamma, beta, eps);
}

/// LayerNorm of one row in place.
#[inline(always)]
pub(crate) fn layer_norm(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = sum_of(row) / n;
    let mut sq = [0.0f32; LANES];
    let chunks = row.chunks_exact(LANES);
    let mut var = 0.0;
    for v in chunks.remainder() {
        var += (v - mean) * (v - mean);
    }
    for c in chunks {
        for (a, v) in sq.iter_mut().zip(c) {
            *a += (v - mean) * (v - mean);
        }
    }
    for a in sq {
        var += a;
    }
    let var = var / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
        *v = (*v - mean) * inv * g + b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf by its Taylor series in f64 (accurate to ~1e-9 for |x| <= 3).
    fn erf_series(x: f64) -> f64 {
        let mut sum = 0.0;
        let mut term = x; // (-1)^n x^(2n+1) / n!
        for n in 0..120 {
            sum += term / (2 * n + 1) as f64;
            term *= -x * x / (n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_matches_std() {
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = f64::from(x).exp();
            let got = f64::from(exp(x));
            assert!(
                ((got - want) / want).abs() < 5e-7,
                "exp({x}) = {got}, want {want}"
            );
            x += 0.01;
        }
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-1000.0) >= 0.0 && exp(-1000.0) < 1e-37);
        assert!(exp(f32::NEG_INFINITY) < 1e-37);
    }

    #[test]
    fn erf_matches_series() {
        let mut x = -3.0f32;
        while x <= 3.0 {
            let want = erf_series(f64::from(x));
            let got = f64::from(erf(x));
            assert!((got - want).abs() < 5e-7, "erf({x}) = {got}, want {want}");
            x += 0.001;
        }
        assert_eq!(erf(10.0), 1.0);
        assert_eq!(erf(-10.0), -1.0);
    }

    #[test]
    fn gelu_values() {
        assert_eq!(gelu(0.0), 0.0);
        // torch.nn.functional.gelu(torch.tensor([1.0, -1.0, 3.0]))
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((gelu(-1.0) + 0.158_655_3).abs() < 1e-6);
        assert!((gelu(3.0) - 2.995_950_5).abs() < 1e-6);
    }

    #[test]
    fn softmax_and_layer_norm_match_naive() {
        let mut row = [1.0f32, 2.0, -3.0, 0.5, f32::NEG_INFINITY];
        let naive: Vec<f64> = {
            let e: Vec<f64> = row.iter().map(|&v| f64::from(v).exp()).collect();
            let s: f64 = e.iter().sum();
            e.iter().map(|v| v / s).collect()
        };
        softmax(&mut row);
        for (a, b) in row.iter().zip(&naive) {
            assert!((f64::from(*a) - b).abs() < 1e-6);
        }

        let a = [1.5f32, 2.5, 3.5, 4.5];
        let res = [0.0f32, -1.0, 1.0, 0.0];
        let gamma = [1.0f32, 2.0, 1.0, 1.0];
        let beta = [0.0f32, 0.0, 1.0, 0.0];
        let mut out = res;
        add_layer_norm(&mut out, &a, &gamma, &beta, 1e-12);
        let x = [1.5f64, 1.5, 4.5, 4.5];
        let mean = 3.0;
        let sd = (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 4.0).sqrt();
        for i in 0..4 {
            let want = (x[i] - mean) / sd * f64::from(gamma[i]) + f64::from(beta[i]);
            assert!((f64::from(out[i]) - want).abs() < 1e-5, "{i}");
        }
    }
}
