//! Readers for benchmark data files: `.fvecs`, `.ivecs` and 2-D `.npy`.

use anyhow::{Context, Result, bail};
use std::path::Path;

/// A row-major matrix.
#[derive(Debug, Clone)]
pub struct Matrix<T> {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// `rows * cols` values.
    pub data: Vec<T>,
}

impl<T> Matrix<T> {
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// Reads `.fvecs`, `.ivecs` (as f32 / i32) or `.npy` depending on the extension.
pub fn read_f32(path: &Path) -> Result<Matrix<f32>> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("npy") => read_npy(path, "<f4", |b| f32::from_le_bytes(b.try_into().unwrap())),
        _ => read_vecs(path, |b| f32::from_le_bytes(b.try_into().unwrap())),
    }
}

/// Reads `.ivecs` or an int32 `.npy`.
pub fn read_i32(path: &Path) -> Result<Matrix<i32>> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("npy") => read_npy(path, "<i4", |b| i32::from_le_bytes(b.try_into().unwrap())),
        _ => read_vecs(path, |b| i32::from_le_bytes(b.try_into().unwrap())),
    }
}

fn read_vecs<T>(path: &Path, conv: impl Fn(&[u8]) -> T) -> Result<Matrix<T>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut data = Vec::new();
    let mut rows = 0;
    let mut cols = 0;
    let mut pos = 0;
    while pos < bytes.len() {
        if pos + 4 > bytes.len() {
            bail!("{}: truncated record at byte {pos}", path.display());
        }
        let d = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        if rows == 0 {
            cols = d;
        } else if d != cols {
            bail!(
                "{}: row {rows} has dimension {d}, expected {cols}",
                path.display()
            );
        }
        pos += 4;
        if pos + 4 * d > bytes.len() {
            bail!("{}: truncated row {rows}", path.display());
        }
        data.extend(bytes[pos..pos + 4 * d].chunks_exact(4).map(&conv));
        pos += 4 * d;
        rows += 1;
    }
    Ok(Matrix { rows, cols, data })
}

fn read_npy<T>(path: &Path, dtype: &str, conv: impl Fn(&[u8]) -> T) -> Result<Matrix<T>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        bail!("{}: not a .npy file", path.display());
    }
    let (hlen, hstart) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        (
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
            12,
        )
    };
    let header = std::str::from_utf8(&bytes[hstart..hstart + hlen])?;
    if !header.contains(dtype) {
        bail!("{}: dtype is not {dtype}: {header}", path.display());
    }
    if header.contains("'fortran_order': True") {
        bail!("{}: fortran order not supported", path.display());
    }
    let shape = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .context("no shape in npy header")?;
    let dims: Vec<usize> = shape
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let (rows, cols) = match dims.as_slice() {
        [r, c] => (*r, *c),
        [r] => (*r, 1),
        _ => bail!("{}: expected a 2-D array, shape {shape}", path.display()),
    };
    let body = &bytes[hstart + hlen..];
    if body.len() < rows * cols * 4 {
        bail!("{}: truncated data", path.display());
    }
    let data = body[..rows * cols * 4].chunks_exact(4).map(conv).collect();
    Ok(Matrix { rows, cols, data })
}
