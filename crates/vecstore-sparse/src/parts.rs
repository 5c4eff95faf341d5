//! The sealed form of an inverted index as plain arrays, so the storage
//! engine can write them to a segment file and later search them straight
//! from a memory map, without copying or deserialising.
//!
//! # Layout
//! With `T` terms and `B` posting blocks:
//!
//! | array | length | content |
//! |---|---|---|
//! | `term_bytes` | any | UTF-8 terms concatenated, sorted by bytes, no duplicates |
//! | `term_offsets` | `T + 1` | term `i` is `term_bytes[term_offsets[i]..term_offsets[i + 1]]` |
//! | `doc_freqs` | `T` | number of postings of term `i` (`>= 1`) |
//! | `max_tf_norms` | `T` | max of `tf / (tf + k1 (1 - b + b len / avg))` over term `i`'s postings, with this segment's `avg` |
//! | `term_blocks` | `T + 1` | term `i`'s blocks are `term_blocks[i]..term_blocks[i + 1]`, `ceil(df / 128)` of them |
//! | `block_last_rows` | `B` | last row of each block (for skipping) |
//! | `block_offsets` | `B + 1` | block `j` is `postings[block_offsets[j]..block_offsets[j + 1]]` |
//! | `postings` | any | blocks of up to [`BLOCK_LEN`] postings |
//! | `doc_lens` | rows | length in terms of each row (0 for rows without text) |
//!
//! A block holds `n` row gaps then `n` term frequencies, each an unsigned
//! LEB128 varint. The first row of a term is stored as is; every other row
//! as `row - previous_row - 1` (the previous row may sit in the previous
//! block). `n` is 128 except in a term's last block.

use crate::config::Bm25Config;
use crate::stats::{Norm, avg_len};
use vecstore_core::{Error, Result};

/// Postings per block.
pub const BLOCK_LEN: usize = 128;

/// Borrowed arrays of a sealed index (see the module docs for the layout).
/// Build a [`SparseView`](crate::SparseView) from them with
/// [`SparseView::from_parts`](crate::SparseView::from_parts), which
/// validates everything first.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseParts<'a> {
    /// BM25 parameters and tokenizer the index was built with.
    pub config: Bm25Config,
    /// Number of documents (rows with text, even empty text).
    pub num_docs: u64,
    /// Sum of `doc_lens`.
    pub total_len: u64,
    /// Concatenated sorted terms.
    pub term_bytes: &'a [u8],
    /// `T + 1` offsets into `term_bytes`.
    pub term_offsets: &'a [u32],
    /// Per-term document frequency.
    pub doc_freqs: &'a [u32],
    /// Per-term maximum normalised term frequency (score upper bound / idf).
    pub max_tf_norms: &'a [f32],
    /// `T + 1` offsets into the block arrays.
    pub term_blocks: &'a [u32],
    /// Last row of each block.
    pub block_last_rows: &'a [u32],
    /// `B + 1` byte offsets into `postings`.
    pub block_offsets: &'a [u64],
    /// Varint-encoded posting blocks.
    pub postings: &'a [u8],
    /// Per-row document length.
    pub doc_lens: &'a [u32],
}

/// Owned arrays of a sealed index, from
/// [`InvertedIndex::to_parts`](crate::InvertedIndex::to_parts). Write the
/// fields out; [`as_parts`](Self::as_parts) borrows them.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)] // same fields as `SparseParts`
pub struct OwnedSparseParts {
    pub config: Bm25Config,
    pub num_docs: u64,
    pub total_len: u64,
    pub term_bytes: Vec<u8>,
    pub term_offsets: Vec<u32>,
    pub doc_freqs: Vec<u32>,
    pub max_tf_norms: Vec<f32>,
    pub term_blocks: Vec<u32>,
    pub block_last_rows: Vec<u32>,
    pub block_offsets: Vec<u64>,
    pub postings: Vec<u8>,
    pub doc_lens: Vec<u32>,
}

impl OwnedSparseParts {
    /// Borrows the arrays.
    pub fn as_parts(&self) -> SparseParts<'_> {
        SparseParts {
            config: self.config.clone(),
            num_docs: self.num_docs,
            total_len: self.total_len,
            term_bytes: &self.term_bytes,
            term_offsets: &self.term_offsets,
            doc_freqs: &self.doc_freqs,
            max_tf_norms: &self.max_tf_norms,
            term_blocks: &self.term_blocks,
            block_last_rows: &self.block_last_rows,
            block_offsets: &self.block_offsets,
            postings: &self.postings,
            doc_lens: &self.doc_lens,
        }
    }

    /// Encodes sorted terms with their `(row, tf)` postings (sorted by row,
    /// non-empty).
    pub(crate) fn build<'t>(
        config: Bm25Config,
        num_docs: u64,
        total_len: u64,
        doc_lens: &[u32],
        terms: impl Iterator<Item = (&'t str, &'t [(u32, u32)])>,
    ) -> Self {
        let norm = Norm::new(config.k1, config.b, avg_len(num_docs, total_len));
        let mut p = OwnedSparseParts {
            config,
            num_docs,
            total_len,
            doc_lens: doc_lens.to_vec(),
            term_offsets: vec![0],
            term_blocks: vec![0],
            block_offsets: vec![0],
            ..Default::default()
        };
        for (term, postings) in terms {
            p.term_bytes.extend_from_slice(term.as_bytes());
            p.term_offsets.push(p.term_bytes.len() as u32);
            p.doc_freqs.push(postings.len() as u32);
            let max = postings
                .iter()
                .map(|&(row, tf)| norm.tf_norm(tf, doc_lens[row as usize]))
                .fold(0.0f32, f32::max);
            p.max_tf_norms.push(max);
            let mut prev: Option<u32> = None;
            for block in postings.chunks(BLOCK_LEN) {
                for &(row, _) in block {
                    let gap = match prev {
                        None => row,
                        Some(p) => row - p - 1,
                    };
                    write_varint(&mut p.postings, gap);
                    prev = Some(row);
                }
                for &(_, tf) in block {
                    write_varint(&mut p.postings, tf);
                }
                p.block_last_rows.push(prev.unwrap_or(0));
                p.block_offsets.push(p.postings.len() as u64);
            }
            p.term_blocks.push(p.block_last_rows.len() as u32);
        }
        p
    }
}

fn write_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads one varint at `*pos`; `None` if truncated or longer than 5 bytes.
#[inline]
fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut v: u32 = 0;
    for shift in [0u32, 7, 14, 21, 28] {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        if shift == 28 && b > 0x0f {
            return None;
        }
        v |= u32::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Decodes one block of `n` postings into `rows`/`tfs`; `prev` is the last
/// row before the block (`None` for a term's first block). `None` on any
/// malformed input: truncated, overflowing or trailing bytes.
pub(crate) fn decode_block(
    bytes: &[u8],
    n: usize,
    prev: Option<u32>,
    rows: &mut [u32; BLOCK_LEN],
    tfs: &mut [u32; BLOCK_LEN],
) -> Option<()> {
    if n > BLOCK_LEN {
        return None;
    }
    let mut pos = 0;
    let mut prev = prev;
    for slot in rows.iter_mut().take(n) {
        let gap = read_varint(bytes, &mut pos)?;
        let row = match prev {
            None => gap,
            Some(p) => p.checked_add(1)?.checked_add(gap)?,
        };
        *slot = row;
        prev = Some(row);
    }
    for slot in tfs.iter_mut().take(n) {
        *slot = read_varint(bytes, &mut pos)?;
    }
    (pos == bytes.len()).then_some(())
}

fn corrupt(reason: String) -> Error {
    Error::corruption("<sparse index parts>", 0, reason)
}

/// Checks every invariant search relies on, so that searching validated
/// parts can never index out of bounds or loop forever. Costs one pass over
/// the postings.
pub(crate) fn validate(p: &SparseParts<'_>) -> Result<()> {
    p.config
        .validate()
        .map_err(|e| corrupt(format!("bad BM25 config: {e}")))?;
    let t = p.doc_freqs.len();
    let check_offsets = |name: &str, offs: &[u64], expect_len: usize, end: u64| -> Result<()> {
        if offs.len() != expect_len {
            return Err(corrupt(format!(
                "{name} has {} entries, expected {expect_len}",
                offs.len()
            )));
        }
        if offs.first() != Some(&0) || offs.last() != Some(&end) {
            return Err(corrupt(format!("{name} must run from 0 to {end}")));
        }
        if let Some(i) = offs.windows(2).position(|w| w[0] > w[1]) {
            return Err(corrupt(format!("{name} decreases at entry {i}")));
        }
        Ok(())
    };
    let term_offsets: Vec<u64> = p.term_offsets.iter().map(|&x| u64::from(x)).collect();
    check_offsets(
        "term_offsets",
        &term_offsets,
        t + 1,
        p.term_bytes.len() as u64,
    )?;
    if p.max_tf_norms.len() != t {
        return Err(corrupt(format!(
            "max_tf_norms has {} entries, expected {t}",
            p.max_tf_norms.len()
        )));
    }
    let b = p.block_last_rows.len();
    let term_blocks: Vec<u64> = p.term_blocks.iter().map(|&x| u64::from(x)).collect();
    check_offsets("term_blocks", &term_blocks, t + 1, b as u64)?;
    check_offsets(
        "block_offsets",
        p.block_offsets,
        b + 1,
        p.postings.len() as u64,
    )?;

    let mut prev_term: &[u8] = &[];
    for i in 0..t {
        let term = &p.term_bytes[term_offsets[i] as usize..term_offsets[i + 1] as usize];
        if term.is_empty() || std::str::from_utf8(term).is_err() {
            return Err(corrupt(format!("term {i} is empty or not UTF-8")));
        }
        if i > 0 && term <= prev_term {
            return Err(corrupt(format!("term {i} is not after term {}", i - 1)));
        }
        prev_term = term;
        let m = p.max_tf_norms[i];
        if !(0.0..=1.0).contains(&m) {
            return Err(corrupt(format!("term {i} has max_tf_norm {m}")));
        }
    }

    let mut rows = [0u32; BLOCK_LEN];
    let mut tfs = [0u32; BLOCK_LEN];
    let mut per_row_postings_ok = true;
    for i in 0..t {
        let df = p.doc_freqs[i] as usize;
        let (b0, b1) = (term_blocks[i] as usize, term_blocks[i + 1] as usize);
        if df == 0 || b1 - b0 != df.div_ceil(BLOCK_LEN) {
            return Err(corrupt(format!(
                "term {i} has doc_freq {df} but {} blocks",
                b1 - b0
            )));
        }
        let mut prev: Option<u32> = None;
        for blk in b0..b1 {
            let n = (df - (blk - b0) * BLOCK_LEN).min(BLOCK_LEN);
            let bytes =
                &p.postings[p.block_offsets[blk] as usize..p.block_offsets[blk + 1] as usize];
            decode_block(bytes, n, prev, &mut rows, &mut tfs).ok_or_else(|| {
                Error::corruption(
                    "<sparse index parts>",
                    p.block_offsets[blk],
                    format!("posting block {blk} of term {i} is malformed"),
                )
            })?;
            let last = rows[n - 1];
            if last != p.block_last_rows[blk] {
                return Err(corrupt(format!(
                    "block {blk} ends at row {last}, block_last_rows says {}",
                    p.block_last_rows[blk]
                )));
            }
            for j in 0..n {
                let len = p.doc_lens.get(rows[j] as usize).copied();
                per_row_postings_ok &= len.is_some_and(|l| l >= tfs[j]) && tfs[j] > 0;
            }
            if rows[n - 1] == u32::MAX {
                per_row_postings_ok = false;
            }
            prev = Some(last);
        }
        if !per_row_postings_ok {
            return Err(corrupt(format!(
                "term {i} has a posting with tf 0, a row past doc_lens, or tf above the row's length"
            )));
        }
    }
    let sum: u64 = p.doc_lens.iter().map(|&l| u64::from(l)).sum();
    if sum != p.total_len {
        return Err(corrupt(format!(
            "total_len is {} but doc_lens sum to {sum}",
            p.total_len
        )));
    }
    if p.num_docs > p.doc_lens.len() as u64 {
        return Err(corrupt(format!(
            "num_docs {} exceeds the {} rows",
            p.num_docs,
            p.doc_lens.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip() {
        let mut buf = Vec::new();
        let vals = [0u32, 1, 127, 128, 300, 1 << 21, u32::MAX];
        for v in vals {
            write_varint(&mut buf, v);
        }
        let mut pos = 0;
        for v in vals {
            assert_eq!(read_varint(&buf, &mut pos), Some(v));
        }
        assert_eq!(read_varint(&buf, &mut pos), None);
        // Six continuation bytes, or a fifth byte above 4 bits, are rejected.
        assert_eq!(read_varint(&[0xff; 6], &mut 0), None);
        assert_eq!(read_varint(&[0xff, 0xff, 0xff, 0xff, 0x1f], &mut 0), None);
    }
}
