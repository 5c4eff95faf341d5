//! The mutable inverted index of the in-memory segment.

use crate::config::Bm25Config;
use crate::parts::OwnedSparseParts;
use crate::search::{self, END, QueryTerm, SliceCursor};
use crate::segment::KeywordSegment;
use crate::stats::{CorpusStats, Norm, idf};
use crate::tokenizer::Tokenizer;
use roaring::RoaringBitmap;
use std::collections::HashMap;
use vecstore_core::{Error, Result};

/// Largest row id a document may have (`u32::MAX` marks the end of a
/// posting list).
pub const MAX_ROW: u32 = u32::MAX - 1;

#[derive(Debug, Clone, Default)]
struct TermEntry {
    /// `(row, tf)` sorted by row.
    postings: Vec<(u32, u32)>,
    /// Largest tf ever added (never lowered on removal: still an upper bound).
    max_tf: u32,
    /// Shortest document length ever added with this term (never raised).
    min_len: u32,
}

/// A mutable BM25 inverted index over rows of one segment.
///
/// Rows are the segment's dense row numbers (0, 1, 2, ...): per-row arrays
/// are sized by the largest row added, so memory is proportional to it
/// (about 20 bytes per row plus the postings). Do not use sparse ids as rows.
///
/// ```
/// use vecstore_sparse::{Bm25Config, InvertedIndex, KeywordFilter, KeywordSegment};
/// let mut idx = InvertedIndex::new(Bm25Config::default())?;
/// idx.add(0, "Rust is a systems programming language")?;
/// idx.add(1, "Python is a programming language too")?;
/// idx.add(2, "The crab is called Ferris")?;
/// let hits = idx.search("rust programming", 10, &KeywordFilter::none());
/// assert_eq!(hits[0].0, 0);
/// assert_eq!(hits.len(), 2);
/// # Ok::<(), vecstore_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct InvertedIndex {
    config: Bm25Config,
    tokenizer: Tokenizer,
    term_ids: HashMap<String, u32>,
    terms: Vec<TermEntry>,
    term_text: Vec<String>,
    /// Per row: `(term id, tf)` sorted by term id, for removal.
    doc_terms: Vec<Box<[(u32, u32)]>>,
    doc_lens: Vec<u32>,
    rows: RoaringBitmap,
    total_len: u64,
}

impl InvertedIndex {
    /// An empty index; fails if `config`'s `k1` or `b` is out of range.
    pub fn new(config: Bm25Config) -> Result<Self> {
        config.validate()?;
        Ok(InvertedIndex {
            tokenizer: Tokenizer::new(&config.tokenizer),
            config,
            term_ids: HashMap::new(),
            terms: Vec::new(),
            term_text: Vec::new(),
            doc_terms: Vec::new(),
            doc_lens: Vec::new(),
            rows: RoaringBitmap::new(),
            total_len: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Bm25Config {
        &self.config
    }

    /// The tokenizer applied to documents and queries.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Indexes `text` as row `row`, replacing any previous text of that row.
    /// Text without terms still counts as a (zero-length) document.
    pub fn add(&mut self, row: u32, text: &str) -> Result<()> {
        if row > MAX_ROW {
            return Err(Error::InvalidArgument {
                name: "row",
                value: row.to_string(),
                reason: "row ids must be below u32::MAX",
            });
        }
        self.remove(row);
        let mut ids: Vec<u32> = Vec::new();
        let (term_ids, terms, term_text) =
            (&mut self.term_ids, &mut self.terms, &mut self.term_text);
        self.tokenizer.for_each_term(text, |term| {
            let id = match term_ids.get(term) {
                Some(&id) => id,
                None => {
                    let id = terms.len() as u32;
                    term_ids.insert(term.to_owned(), id);
                    terms.push(TermEntry {
                        min_len: u32::MAX,
                        ..TermEntry::default()
                    });
                    term_text.push(term.to_owned());
                    id
                }
            };
            ids.push(id);
        });
        let len = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        ids.sort_unstable();
        let mut counts: Vec<(u32, u32)> = Vec::new();
        for id in ids {
            match counts.last_mut() {
                Some((last, n)) if *last == id => *n += 1,
                _ => counts.push((id, 1)),
            }
        }
        for &(id, tf) in &counts {
            let e = &mut self.terms[id as usize];
            match e.postings.last() {
                Some(&(last, _)) if last > row => {
                    let at = e.postings.partition_point(|p| p.0 < row);
                    e.postings.insert(at, (row, tf));
                }
                _ => e.postings.push((row, tf)),
            }
            e.max_tf = e.max_tf.max(tf);
            e.min_len = e.min_len.min(len);
        }
        let r = row as usize;
        if self.doc_lens.len() <= r {
            self.doc_lens.resize(r + 1, 0);
            self.doc_terms.resize_with(r + 1, Default::default);
        }
        self.doc_lens[r] = len;
        self.doc_terms[r] = counts.into_boxed_slice();
        self.rows.insert(row);
        self.total_len += u64::from(len);
        Ok(())
    }

    /// Removes row `row`; returns whether it was indexed.
    pub fn remove(&mut self, row: u32) -> bool {
        if !self.rows.remove(row) {
            return false;
        }
        let r = row as usize;
        let counts = std::mem::take(&mut self.doc_terms[r]);
        for &(id, _) in counts.iter() {
            let postings = &mut self.terms[id as usize].postings;
            if let Ok(at) = postings.binary_search_by_key(&row, |p| p.0) {
                postings.remove(at);
            }
        }
        self.total_len -= u64::from(self.doc_lens[r]);
        self.doc_lens[r] = 0;
        true
    }

    /// Whether `row` has been added (and not removed).
    pub fn contains(&self, row: u32) -> bool {
        self.rows.contains(row)
    }

    /// The rows with text.
    pub fn rows(&self) -> &RoaringBitmap {
        &self.rows
    }

    /// Length of `row` in terms (0 if absent).
    pub fn doc_len(&self, row: u32) -> u32 {
        self.doc_lens.get(row as usize).copied().unwrap_or(0)
    }

    fn prepare<'s>(
        &'s self,
        terms: &[String],
        stats: Option<&CorpusStats>,
    ) -> (Vec<QueryTerm<SliceCursor<'s>>>, Norm) {
        let (num_docs, avg) = match stats {
            Some(s) => (s.num_docs, s.avg_len()),
            None => (self.num_docs(), self.avg_doc_len()),
        };
        let norm = Norm::new(self.config.k1, self.config.b, avg);
        let mut out = Vec::new();
        for (term, qtf) in search::distinct_terms(terms) {
            let Some(&id) = self.term_ids.get(term) else {
                continue;
            };
            let e = &self.terms[id as usize];
            if e.postings.is_empty() {
                continue;
            }
            let df = stats.map_or(e.postings.len() as u64, |s| s.doc_freq(term));
            out.push(QueryTerm {
                cursor: SliceCursor::new(&e.postings),
                weight: qtf as f32 * idf(num_docs, df.max(1)),
                max_tf_norm: norm.tf_norm(e.max_tf, e.min_len),
                order: out.len(),
            });
        }
        (out, norm)
    }

    /// Sealed, compact arrays of this index, ready to be written out and
    /// searched with [`SparseView`](crate::SparseView).
    pub fn to_parts(&self) -> OwnedSparseParts {
        let mut order: Vec<u32> = (0..self.terms.len() as u32)
            .filter(|&id| !self.terms[id as usize].postings.is_empty())
            .collect();
        order
            .sort_unstable_by(|&a, &b| self.term_text[a as usize].cmp(&self.term_text[b as usize]));
        let last_row = self.rows.max().map_or(0, |m| m as usize + 1);
        OwnedSparseParts::build(
            self.config.clone(),
            self.num_docs(),
            self.total_len,
            &self.doc_lens[..last_row.min(self.doc_lens.len())],
            order.iter().map(|&id| {
                (
                    self.term_text[id as usize].as_str(),
                    self.terms[id as usize].postings.as_slice(),
                )
            }),
        )
    }
}

impl KeywordSegment for InvertedIndex {
    fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    fn num_docs(&self) -> u64 {
        self.rows.len()
    }

    fn total_len(&self) -> u64 {
        self.total_len
    }

    fn doc_freq(&self, term: &str) -> u64 {
        self.term_ids
            .get(term)
            .map_or(0, |&id| self.terms[id as usize].postings.len() as u64)
    }

    crate::segment::search_methods!();
}

// Keeps END in sync with MAX_ROW.
const _: () = assert!(MAX_ROW < END);
