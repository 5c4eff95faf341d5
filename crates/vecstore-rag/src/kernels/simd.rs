//! The element-wise passes of the BERT forward ([`crate::bert`]) over whole
//! activation matrices, compiled twice: for the baseline target (SSE2 on
//! x86-64) and with AVX2 enabled, chosen at run time by CPU feature
//! detection. The kernels are the plain-Rust ones of [`crate::activations`]
//! (inlined, so the compiler vectorises them 8 lanes wide in the AVX2 copy);
//! results are the same either way up to float rounding order.
//!
//! This module contains `unsafe` only to call the AVX2 copies, each after
//! checking that the CPU has AVX2.

use crate::activations;

/// Softmax of every `n`-wide row of `rows`, in place.
#[inline(always)]
fn softmax_rows_generic(rows: &mut [f32], n: usize) {
    for row in rows.chunks_exact_mut(n) {
        activations::softmax(row);
    }
}

/// GELU of every element, in place.
#[inline(always)]
fn gelu_generic(xs: &mut [f32]) {
    activations::gelu_in_place(xs);
}

/// `x = LayerNorm(x + a)` for every `gamma.len()`-wide row.
#[inline(always)]
fn add_layer_norm_rows_generic(x: &mut [f32], a: &[f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let h = gamma.len();
    for (xr, ar) in x.chunks_exact_mut(h).zip(a.chunks_exact(h)) {
        activations::add_layer_norm(xr, ar, gamma, beta, eps);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    #[target_feature(enable = "avx2")]
    pub(super) fn softmax_rows(rows: &mut [f32], n: usize) {
        super::softmax_rows_generic(rows, n);
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn gelu(xs: &mut [f32]) {
        super::gelu_generic(xs);
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn add_layer_norm_rows(
        x: &mut [f32],
        a: &[f32],
        gamma: &[f32],
        beta: &[f32],
        eps: f32,
    ) {
        super::add_layer_norm_rows_generic(x, a, gamma, beta, eps);
    }
}

/// Whether this CPU runs the AVX2 copies (detection is cached by std).
#[inline]
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Softmax of every `n`-wide row of `rows`, in place.
pub(crate) fn softmax_rows(rows: &mut [f32], n: usize) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the only requirement of a `#[target_feature(enable =
        // "avx2")]` function is that the CPU supports AVX2, checked above.
        return unsafe { avx2::softmax_rows(rows, n) };
    }
    softmax_rows_generic(rows, n);
}

/// GELU (erf form) of every element, in place.
pub(crate) fn gelu(xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2, checked above.
        return unsafe { avx2::gelu(xs) };
    }
    gelu_generic(xs);
}

/// `x = LayerNorm(x + a)` for every `gamma.len()`-wide row of `x` and `a`
/// (a residual connection), with weights `gamma`, `beta` and epsilon `eps`.
pub(crate) fn add_layer_norm_rows(x: &mut [f32], a: &[f32], gamma: &[f32], beta: &[f32], eps: f32) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2, checked above.
        return unsafe { avx2::add_layer_norm_rows(x, a, gamma, beta, eps) };
    }
    add_layer_norm_rows_generic(x, a, gamma, beta, eps);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn dispatched_passes_match_the_generic_ones() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let data: Vec<f32> = (0..37 * 24).map(|_| rng.random_range(-6.0..6.0)).collect();
        let other: Vec<f32> = (0..37 * 24).map(|_| rng.random_range(-2.0..2.0)).collect();
        let gamma: Vec<f32> = (0..24).map(|_| rng.random_range(0.5..1.5)).collect();
        let beta: Vec<f32> = (0..24).map(|_| rng.random_range(-0.5..0.5)).collect();
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);

        let (mut a, mut b) = (data.clone(), data.clone());
        softmax_rows(&mut a, 37);
        softmax_rows_generic(&mut b, 37);
        assert!(close(&a, &b));
        for row in a.chunks_exact(37) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }

        let (mut a, mut b) = (data.clone(), data.clone());
        gelu(&mut a);
        gelu_generic(&mut b);
        assert!(close(&a, &b));

        let (mut a, mut b) = (data.clone(), data);
        add_layer_norm_rows(&mut a, &other, &gamma, &beta, 1e-12);
        add_layer_norm_rows_generic(&mut b, &other, &gamma, &beta, 1e-12);
        assert!(close(&a, &b));
    }
}
