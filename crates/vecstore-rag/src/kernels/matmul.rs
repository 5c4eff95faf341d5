//! A safe, bounds-checked front to the `gemm` crate's single-threaded `f32`
//! matrix product (the kernel candle's CPU matmul uses), for the BERT
//! forward pass ([`crate::bert`]).
//!
//! Why call `gemm` directly instead of candle's `Tensor::matmul`: candle
//! allocates a fresh output for every product (fresh pages, so page faults
//! and zeroing on each of the ~25 products per pass) and cannot write into a
//! strided block of an existing buffer; attention writes each head's result
//! straight into its columns of the context matrix here.
//!
//! Contains `unsafe` (the `gemm` entry point takes raw pointers and
//! strides); [`matmul`] checks every index it can touch before the call.

/// A read-only `rows x cols` matrix inside `data`: element `(i, j)` is
/// `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a> View<'a> {
    /// A row-major matrix with `cols` columns filling `data`'s first
    /// `rows * cols` elements.
    pub fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        View {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// Whether every `(i, j)` indexes into `data`.
    fn in_bounds(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1)
                .checked_mul(self.rs)
                .zip((self.cols - 1).checked_mul(self.cs))
                .and_then(|(a, b)| a.checked_add(b))
                .is_some_and(|last| last < self.data.len())
    }
}

/// A writable `rows x cols` matrix inside `data` with unit column stride:
/// element `(i, j)` is `data[i * rs + j]`, `rs >= cols` (rows do not overlap).
pub(crate) struct ViewMut<'a> {
    pub data: &'a mut [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
}

impl<'a> ViewMut<'a> {
    /// A row-major matrix with `cols` columns filling `data`'s first
    /// `rows * cols` elements.
    pub fn rows(data: &'a mut [f32], rows: usize, cols: usize) -> Self {
        ViewMut {
            data,
            rows,
            cols,
            rs: cols,
        }
    }
}

/// `c = a b` (or `c += a b` when `accumulate`), on the calling thread.
///
/// # Panics
/// If the shapes do not chain (`a.cols != b.rows`, `c` not `a.rows x
/// b.cols`), a view reaches past its slice or `c`'s rows overlap: all
/// internal invariants of the caller, never user input.
pub(crate) fn matmul(a: View<'_>, b: View<'_>, c: ViewMut<'_>, accumulate: bool) {
    assert_eq!(a.cols, b.rows, "matmul: inner dimensions differ");
    assert_eq!((c.rows, c.cols), (a.rows, b.cols), "matmul: output shape");
    assert!(
        a.in_bounds() && b.in_bounds(),
        "matmul: input view out of bounds"
    );
    assert!(c.rs >= c.cols, "matmul: output rows overlap");
    let c_in_bounds = c.rows == 0
        || c.cols == 0
        || (c.rows - 1)
            .checked_mul(c.rs)
            .and_then(|x| x.checked_add(c.cols))
            .is_some_and(|end| end <= c.data.len());
    assert!(c_in_bounds, "matmul: output view out of bounds");
    if c.rows == 0 || c.cols == 0 {
        return;
    }
    if a.cols == 0 {
        if !accumulate {
            for row in c.data.chunks_mut(c.rs).take(c.rows) {
                row[..c.cols].fill(0.0);
            }
        }
        return;
    }
    // The strides fit in isize: each is at most the length of a slice.
    let s = |x: usize| x as isize;
    // SAFETY: the asserts above establish that every element the product
    // reads, `a.data[i * a.rs + l * a.cs]` and `b.data[l * b.rs + j * b.cs]`
    // for i < m, l < k, j < n, lies inside its slice, and every element it
    // writes, `c.data[i * c.rs + j]`, lies inside `c.data`, which is borrowed
    // mutably (so it aliases neither input). The output rows are disjoint
    // (c.rs >= c.cols). `Parallelism::None`: no other thread touches them.
    unsafe {
        gemm::gemm(
            c.rows,
            c.cols,
            a.cols,
            c.data.as_mut_ptr(),
            1,
            s(c.rs),
            accumulate,
            a.data.as_ptr(),
            s(a.cs),
            s(a.rs),
            b.data.as_ptr(),
            s(b.cs),
            s(b.rs),
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn naive(a: &View<'_>, b: &View<'_>) -> Vec<f64> {
        let mut out = vec![0.0f64; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                for l in 0..a.cols {
                    out[i * b.cols + j] += f64::from(a.data[i * a.rs + l * a.cs])
                        * f64::from(b.data[l * b.rs + j * b.cs]);
                }
            }
        }
        out
    }

    #[test]
    fn strided_products_match_naive() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let buf: Vec<f32> = (0..4000).map(|_| rng.random_range(-1.0..1.0)).collect();
        for &(m, k, n) in &[(1, 1, 1), (5, 3, 7), (33, 32, 17), (17, 64, 40)] {
            // a: row-major with a gap; b: transposed view (column stride > 1).
            let a = View {
                data: &buf[3..],
                rows: m,
                cols: k,
                rs: k + 2,
                cs: 1,
            };
            let b = View {
                data: &buf[11..],
                rows: k,
                cols: n,
                rs: 1,
                cs: k + 1,
            };
            let want = naive(&a, &b);
            // Output is a column block of a wider matrix, pre-filled with 1.
            let width = n + 5;
            for accumulate in [false, true] {
                let mut out = vec![1.0f32; m * width];
                matmul(
                    a,
                    b,
                    ViewMut {
                        data: &mut out[2..],
                        rows: m,
                        cols: n,
                        rs: width,
                    },
                    accumulate,
                );
                for i in 0..m {
                    for j in 0..width {
                        let got = f64::from(out[i * width + j]);
                        let expect = if (2..2 + n).contains(&j) {
                            want[i * n + j - 2] + if accumulate { 1.0 } else { 0.0 }
                        } else {
                            1.0
                        };
                        assert!((got - expect).abs() < 1e-4, "({m},{k},{n}) [{i},{j}]");
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn out_of_bounds_view_panics() {
        let a = vec![0.0f32; 6];
        let mut c = vec![0.0f32; 9];
        matmul(
            View::rows(&a, 3, 3),
            View::rows(&a, 3, 3),
            ViewMut::rows(&mut c, 3, 3),
            false,
        );
    }
}
