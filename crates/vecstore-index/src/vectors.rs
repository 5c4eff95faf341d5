//! Where the index reads vectors from: the [`VectorSource`] trait, an owned
//! aligned [`VectorStore`] and a borrowed [`SliceVectors`] (for vectors that
//! live in a memory-mapped file owned by the storage engine).

use vecstore_core::{Error, Metric, Result, validate};

/// Dense rows `0..len` of `dim` prepared `f32` components each.
///
/// "Prepared" means [`Metric::prepare`] has been applied (unit length for
/// cosine), so the index can compare rows with a plain dot product or L2.
pub trait VectorSource: Sync {
    /// Components per row.
    fn dim(&self) -> usize;
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The metric the rows were prepared for.
    fn metric(&self) -> Metric;
    /// Row `row`. Panics if `row >= len()`; the index only asks for rows it
    /// has validated to be in range.
    fn vector(&self, row: u32) -> &[f32];
}

/// Alignment of the first component of an owned store, in `f32`s (64 bytes,
/// one cache line), so that SIMD loads of a row never straddle more lines
/// than needed when `dim` is a multiple of 16.
const ALIGN_F32: usize = 16;

/// An owned, growable, contiguous store of prepared vectors whose first
/// component is 64-byte aligned.
///
/// [`VectorStore::push`] validates the vector and applies
/// [`Metric::prepare`] (normalises for cosine).
///
/// ```
/// use vecstore_core::Metric;
/// use vecstore_index::{VectorSource, VectorStore};
/// let mut s = VectorStore::new(2, Metric::Cosine).unwrap();
/// let row = s.push(&[3.0, 4.0]).unwrap();
/// assert_eq!(s.vector(row), &[0.6, 0.8]);
/// ```
#[derive(Debug, Clone)]
pub struct VectorStore {
    dim: usize,
    metric: Metric,
    rows: usize,
    /// Backing buffer; the data starts at `off` so that it is aligned.
    buf: Vec<f32>,
    off: usize,
}

impl VectorStore {
    /// An empty store for vectors of `dim` components (1..=65_536).
    pub fn new(dim: usize, metric: Metric) -> Result<Self> {
        Self::with_capacity(dim, metric, 0)
    }

    /// An empty store with room for `rows` vectors.
    pub fn with_capacity(dim: usize, metric: Metric, rows: usize) -> Result<Self> {
        validate::dimension(dim)?;
        let mut s = VectorStore {
            dim,
            metric,
            rows: 0,
            buf: Vec::new(),
            off: 0,
        };
        s.grow_to(rows.saturating_mul(dim));
        Ok(s)
    }

    /// Builds a store from row-major `data` (`rows * dim` values), validating
    /// and preparing every row.
    pub fn from_rows(dim: usize, metric: Metric, data: &[f32]) -> Result<Self> {
        validate::dimension(dim)?;
        if !data.len().is_multiple_of(dim) {
            return Err(Error::InvalidArgument {
                name: "data",
                value: data.len().to_string(),
                reason: "length is not a multiple of the dimension",
            });
        }
        let mut s = Self::with_capacity(dim, metric, data.len() / dim)?;
        for row in data.chunks_exact(dim) {
            s.push(row)?;
        }
        Ok(s)
    }

    /// Validates `v` (dimension, finite), prepares it and appends it.
    /// Returns its row id.
    pub fn push(&mut self, v: &[f32]) -> Result<u32> {
        validate::vector(v, Some(self.dim))?;
        let row = u32::try_from(self.rows).map_err(|_| Error::InvalidArgument {
            name: "rows",
            value: self.rows.to_string(),
            reason: "a store holds at most 2^32 - 1 rows",
        })?;
        if row == u32::MAX {
            return Err(Error::InvalidArgument {
                name: "rows",
                value: self.rows.to_string(),
                reason: "a store holds at most 2^32 - 1 rows",
            });
        }
        let end = (self.rows + 1) * self.dim;
        if self.off + end > self.buf.len() {
            self.grow_to(end.max(2 * self.rows * self.dim).max(64 * self.dim));
        }
        let start = self.off + self.rows * self.dim;
        let dst = &mut self.buf[start..start + self.dim];
        dst.copy_from_slice(v);
        self.metric.prepare(dst);
        self.rows += 1;
        Ok(row)
    }

    /// All rows, row-major (`len() * dim()` values), aligned to 64 bytes.
    pub fn as_slice(&self) -> &[f32] {
        &self.buf[self.off..self.off + self.rows * self.dim]
    }

    /// A borrowed view of the same rows.
    pub fn as_source(&self) -> SliceVectors<'_> {
        SliceVectors {
            data: self.as_slice(),
            dim: self.dim,
            metric: self.metric,
        }
    }

    /// Bytes of vector data held in memory (capacity included).
    pub fn memory_bytes(&self) -> usize {
        self.buf.capacity() * std::mem::size_of::<f32>()
    }

    /// Reallocates so that `values` components fit after an aligned start.
    /// Safe code cannot ask the allocator for 64-byte alignment of an `f32`
    /// buffer, so we over-allocate by one cache line and start at the first
    /// aligned element; growth copies into a fresh buffer and re-aligns.
    fn grow_to(&mut self, values: usize) {
        let mut buf = vec![0.0f32; values + ALIGN_F32];
        let addr = buf.as_ptr() as usize;
        let off = ((64 - addr % 64) % 64) / std::mem::size_of::<f32>();
        let used = self.rows * self.dim;
        buf[off..off + used].copy_from_slice(&self.buf[self.off..self.off + used]);
        self.buf = buf;
        self.off = off;
    }
}

impl VectorSource for VectorStore {
    #[inline]
    fn dim(&self) -> usize {
        self.dim
    }
    #[inline]
    fn len(&self) -> usize {
        self.rows
    }
    #[inline]
    fn metric(&self) -> Metric {
        self.metric
    }
    #[inline]
    fn vector(&self, row: u32) -> &[f32] {
        let start = self.off + row as usize * self.dim;
        &self.buf[start..start + self.dim]
    }
}

/// Borrowed row-major vectors, e.g. a memory-mapped section of a segment
/// file. The rows must already be prepared for `metric`.
#[derive(Debug, Clone, Copy)]
pub struct SliceVectors<'a> {
    data: &'a [f32],
    dim: usize,
    metric: Metric,
}

impl<'a> SliceVectors<'a> {
    /// Wraps `data` (`rows * dim` values). Fails when `dim` is out of range,
    /// the length is not a multiple of `dim`, or there are 2^32 rows or more.
    pub fn new(data: &'a [f32], dim: usize, metric: Metric) -> Result<Self> {
        validate::dimension(dim)?;
        if !data.len().is_multiple_of(dim) {
            return Err(Error::InvalidArgument {
                name: "data",
                value: data.len().to_string(),
                reason: "length is not a multiple of the dimension",
            });
        }
        if data.len() / dim >= u32::MAX as usize {
            return Err(Error::InvalidArgument {
                name: "rows",
                value: (data.len() / dim).to_string(),
                reason: "at most 2^32 - 1 rows",
            });
        }
        Ok(SliceVectors { data, dim, metric })
    }

    /// The underlying values.
    pub fn as_slice(&self) -> &'a [f32] {
        self.data
    }
}

impl VectorSource for SliceVectors<'_> {
    #[inline]
    fn dim(&self) -> usize {
        self.dim
    }
    #[inline]
    fn len(&self) -> usize {
        self.data.len() / self.dim
    }
    #[inline]
    fn metric(&self) -> Metric {
        self.metric
    }
    #[inline]
    fn vector(&self, row: u32) -> &[f32] {
        let start = row as usize * self.dim;
        &self.data[start..start + self.dim]
    }
}

impl<T: VectorSource + ?Sized> VectorSource for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn len(&self) -> usize {
        (**self).len()
    }
    fn metric(&self) -> Metric {
        (**self).metric()
    }
    fn vector(&self, row: u32) -> &[f32] {
        (**self).vector(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_is_aligned_and_prepared() {
        let mut s = VectorStore::new(3, Metric::Cosine).unwrap();
        for i in 0..1000 {
            s.push(&[i as f32 + 1.0, 0.0, 0.0]).unwrap();
            assert_eq!(s.as_slice().as_ptr() as usize % 64, 0);
        }
        assert_eq!(s.len(), 1000);
        assert_eq!(s.vector(999), &[1.0, 0.0, 0.0]);
        assert!(s.push(&[1.0, 2.0]).is_err());
        assert!(s.push(&[f32::NAN, 0.0, 0.0]).is_err());
    }

    #[test]
    fn slice_checks_shape() {
        assert!(SliceVectors::new(&[1.0; 7], 2, Metric::L2).is_err());
        let v = SliceVectors::new(&[1.0, 2.0, 3.0, 4.0], 2, Metric::L2).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v.vector(1), &[3.0, 4.0]);
    }
}
