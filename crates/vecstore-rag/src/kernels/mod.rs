//! The crate's compute kernels for the BERT forward (feature `embed`): the
//! matrix product ([`matmul`], a bounds-checked front to the `gemm` crate)
//! and the element-wise passes compiled for AVX2 ([`simd`]).
//!
//! The only `unsafe` of the crate lives here (the project keeps `unsafe` to
//! kernel and mmap modules): `gemm`'s entry point takes raw pointers, and
//! calling an AVX2 build needs the CPU check first. Each block carries a
//! `// SAFETY:` note.
#![allow(unsafe_code)]

pub(crate) mod matmul;
pub(crate) mod simd;
