//! Read-only search over validated [`SparseParts`], typically borrowed from
//! a memory-mapped segment file.

use crate::parts::{self, BLOCK_LEN, SparseParts};
use crate::search::{self, Cursor, END, QueryTerm};
use crate::segment::KeywordSegment;
use crate::stats::{CorpusStats, Norm, idf};
use crate::tokenizer::Tokenizer;
use vecstore_core::Result;

/// A sealed inverted index searched in place.
///
/// ```
/// use vecstore_sparse::{Bm25Config, InvertedIndex, KeywordFilter, KeywordSegment, SparseView};
/// let mut idx = InvertedIndex::new(Bm25Config::default())?;
/// idx.add(0, "sealed segments are immutable")?;
/// idx.add(1, "the mutable segment takes writes")?;
/// let owned = idx.to_parts();
/// let view = SparseView::from_parts(owned.as_parts())?;
/// let f = KeywordFilter::none();
/// assert_eq!(view.search("segment", 10, &f), idx.search("segment", 10, &f));
/// # Ok::<(), vecstore_core::Error>(())
/// ```
#[derive(Debug)]
pub struct SparseView<'a> {
    parts: SparseParts<'a>,
    tokenizer: Tokenizer,
}

impl<'a> SparseView<'a> {
    /// Validates `parts` (bounds, monotonic offsets, sorted terms, every
    /// posting block; one pass over the data) and wraps them. Bad parts give
    /// [`vecstore_core::Error::Corruption`], never a panic.
    pub fn from_parts(parts: SparseParts<'a>) -> Result<Self> {
        parts::validate(&parts)?;
        Ok(SparseView {
            tokenizer: Tokenizer::new(&parts.config.tokenizer),
            parts,
        })
    }

    /// The arrays this view reads.
    pub fn parts(&self) -> &SparseParts<'a> {
        &self.parts
    }

    /// Number of distinct terms.
    pub fn num_terms(&self) -> usize {
        self.parts.doc_freqs.len()
    }

    /// The term dictionary index of `term`.
    fn term_index(&self, term: &str) -> Option<usize> {
        let p = &self.parts;
        let (mut lo, mut hi) = (0usize, p.doc_freqs.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            // Offsets were validated by `from_parts`.
            let t = &p.term_bytes[p.term_offsets[mid] as usize..p.term_offsets[mid + 1] as usize];
            match t.cmp(term.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    fn doc_len(&self, row: u32) -> u32 {
        self.parts.doc_lens.get(row as usize).copied().unwrap_or(0)
    }

    fn prepare(
        &self,
        terms: &[String],
        stats: Option<&CorpusStats>,
    ) -> (Vec<QueryTerm<BlockCursor<'_>>>, Norm) {
        let own_avg = self.avg_doc_len();
        let (num_docs, avg) = match stats {
            Some(s) => (s.num_docs, s.avg_len()),
            None => (self.parts.num_docs, own_avg),
        };
        let c = &self.parts.config;
        let norm = Norm::new(c.k1, c.b, avg);
        // Stored bounds use this segment's average length; a larger average
        // raises every tf-norm by at most the ratio (see the crate docs).
        let scale = (avg / own_avg).max(1.0);
        let mut out = Vec::new();
        for (term, qtf) in search::distinct_terms(terms) {
            let Some(i) = self.term_index(term) else {
                continue;
            };
            let own_df = u64::from(self.parts.doc_freqs[i]);
            let df = stats.map_or(own_df, |s| s.doc_freq(term));
            out.push(QueryTerm {
                cursor: BlockCursor::new(&self.parts, i),
                weight: qtf as f32 * idf(num_docs, df.max(1)),
                max_tf_norm: (self.parts.max_tf_norms[i] * scale).min(1.0),
                order: out.len(),
            });
        }
        (out, norm)
    }
}

impl KeywordSegment for SparseView<'_> {
    fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    fn num_docs(&self) -> u64 {
        self.parts.num_docs
    }

    fn total_len(&self) -> u64 {
        self.parts.total_len
    }

    fn doc_freq(&self, term: &str) -> u64 {
        self.term_index(term)
            .map_or(0, |i| u64::from(self.parts.doc_freqs[i]))
    }

    crate::segment::search_methods!();
}

/// Cursor over one term's varint blocks; decodes a block at a time and skips
/// whole blocks on `seek` using `block_last_rows`.
pub(crate) struct BlockCursor<'a> {
    parts: &'a SparseParts<'a>,
    df: usize,
    first_block: usize,
    end_block: usize,
    /// Block currently decoded.
    block: usize,
    len: usize,
    pos: usize,
    rows: [u32; BLOCK_LEN],
    tfs: [u32; BLOCK_LEN],
}

impl<'a> BlockCursor<'a> {
    fn new(parts: &'a SparseParts<'a>, term: usize) -> Self {
        let first_block = parts.term_blocks[term] as usize;
        let mut c = BlockCursor {
            parts,
            df: parts.doc_freqs[term] as usize,
            first_block,
            end_block: parts.term_blocks[term + 1] as usize,
            block: first_block,
            len: 0,
            pos: 0,
            rows: [0; BLOCK_LEN],
            tfs: [0; BLOCK_LEN],
        };
        c.load(first_block);
        c
    }

    /// Decodes block `b` (or marks the cursor exhausted past the last one).
    fn load(&mut self, b: usize) {
        self.block = b;
        self.pos = 0;
        self.len = 0;
        if b >= self.end_block {
            return;
        }
        let p = self.parts;
        let n = (self.df - (b - self.first_block) * BLOCK_LEN).min(BLOCK_LEN);
        let prev = (b > self.first_block).then(|| p.block_last_rows[b - 1]);
        let bytes = &p.postings[p.block_offsets[b] as usize..p.block_offsets[b + 1] as usize];
        // Validated by `from_parts`; should a block still fail to decode,
        // the term simply ends here.
        if parts::decode_block(bytes, n, prev, &mut self.rows, &mut self.tfs).is_some() {
            self.len = n;
        } else {
            self.block = self.end_block;
        }
    }
}

impl Cursor for BlockCursor<'_> {
    #[inline]
    fn doc(&self) -> u32 {
        if self.pos < self.len {
            self.rows[self.pos]
        } else {
            END
        }
    }

    #[inline]
    fn tf(&self) -> u32 {
        if self.pos < self.len {
            self.tfs[self.pos]
        } else {
            0
        }
    }

    #[inline]
    fn advance(&mut self) {
        self.pos += 1;
        if self.pos >= self.len && self.block < self.end_block {
            self.load(self.block + 1);
        }
    }

    fn doc_freq(&self) -> usize {
        self.df
    }

    fn seek(&mut self, target: u32) {
        if self.doc() >= target {
            return;
        }
        let last = self.parts.block_last_rows;
        if last[self.block] < target {
            let mut b = self.block + 1;
            while b < self.end_block && last[b] < target {
                b += 1;
            }
            self.load(b);
            if self.len == 0 {
                return;
            }
        }
        self.pos += self.rows[self.pos..self.len].partition_point(|&r| r < target);
        if self.pos >= self.len {
            self.load(self.block + 1);
        }
    }
}
