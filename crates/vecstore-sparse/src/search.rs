//! Document-at-a-time BM25 top-k with MaxScore pruning, shared by the
//! mutable [`InvertedIndex`](crate::InvertedIndex) and the read-only
//! [`SparseView`](crate::SparseView).
//!
//! MaxScore (Turtle & Flood 1995, as in Lucene and PISA): the query terms are
//! sorted by their score upper bound. Once the heap holds `k` hits with a
//! worst score `θ`, the longest prefix of low-bound terms whose bounds sum to
//! at most `θ` is "non-essential": a document that only contains those terms
//! cannot enter the top-k, so candidates are drawn from the essential lists
//! only, and non-essential lists are merely probed (with `seek`) while the
//! candidate can still beat `θ`.
//!
//! Exactness: every candidate's final score is the sum of its per-term
//! contributions in query order, the same arithmetic the exhaustive scorer
//! does, so pruned and exhaustive searches return bit-identical scores. Bounds
//! are inflated by [`BOUND_SLACK`] so that rounding in their sums can never
//! prune a document that belongs in the top-k. Ties are broken by lower row.

use crate::filter::KeywordFilter;
use crate::stats::Norm;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Returned by [`Cursor::doc`] once a posting list is exhausted. Row ids are
/// therefore at most `u32::MAX - 1`.
pub(crate) const END: u32 = u32::MAX;

/// Relative slack added to score upper bounds (f32 sums of a few hundred
/// terms are off by far less than 1e-4 relative).
const BOUND_SLACK: f32 = 1e-4;

/// A forward-only iterator over one term's postings in row order.
pub(crate) trait Cursor {
    /// Current row, or [`END`].
    fn doc(&self) -> u32;
    /// Term frequency at the current row (only meaningful before [`END`]).
    fn tf(&self) -> u32;
    /// Moves to the next posting.
    fn advance(&mut self);
    /// Moves to the first posting with row `>= target` (never backwards).
    fn seek(&mut self, target: u32);
    /// Number of postings of the term (its document frequency).
    fn doc_freq(&self) -> usize;
}

/// One distinct query term ready for scoring.
pub(crate) struct QueryTerm<C> {
    pub cursor: C,
    /// `query tf * idf`.
    pub weight: f32,
    /// Upper bound of [`Norm::tf_norm`] over this term's postings.
    pub max_tf_norm: f32,
    /// Position among the query's distinct terms (summation order).
    pub order: usize,
}

impl<C> QueryTerm<C> {
    fn upper_bound(&self) -> f32 {
        self.weight * self.max_tf_norm.min(1.0) * (1.0 + BOUND_SLACK)
    }
}

#[derive(Clone, Copy)]
struct Hit {
    score: f32,
    row: u32,
}

// Ordered so that the heap's top is the worst hit: lower score, then higher row.
impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.row.cmp(&other.row))
    }
}
impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Hit {}

struct TopK {
    k: usize,
    heap: BinaryHeap<Hit>,
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(4096) + 1),
        }
    }

    fn is_full(&self) -> bool {
        self.heap.len() >= self.k
    }

    /// Worst score in a full heap; `-inf` before that.
    fn threshold(&self) -> f32 {
        match self.heap.peek() {
            Some(h) if self.is_full() => h.score,
            _ => f32::NEG_INFINITY,
        }
    }

    /// Offers a hit; rows arrive in increasing order, so an equal score never
    /// displaces an earlier (lower) row. Returns whether the threshold moved.
    fn push(&mut self, row: u32, score: f32) -> bool {
        if !self.is_full() {
            self.heap.push(Hit { score, row });
            return self.is_full();
        }
        match self.heap.peek_mut() {
            // One sift-down instead of a pop and a push.
            Some(mut worst) if score > worst.score => {
                *worst = Hit { score, row };
                true
            }
            _ => false,
        }
    }

    fn into_sorted(self) -> Vec<(u32, f32)> {
        // `into_sorted_vec` is ascending by `Ord`, i.e. best first here.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|h| (h.row, h.score))
            .collect()
    }
}

/// Top-`k` rows by BM25 with MaxScore pruning.
pub(crate) fn max_score<C: Cursor>(
    mut terms: Vec<QueryTerm<C>>,
    k: usize,
    norm: Norm,
    doc_len: impl Fn(u32) -> u32,
    filter: &KeywordFilter<'_>,
) -> Vec<(u32, f32)> {
    if k == 0 || terms.is_empty() || filter.is_empty_allow() {
        return Vec::new();
    }
    if let Some(allow) = filter.allow {
        let postings: u64 = terms.iter().map(|t| t.cursor.doc_freq() as u64).sum();
        // A selective allow-set: visiting its rows and probing each list
        // costs less than walking the lists and rejecting most candidates.
        if allow.len().saturating_mul(ALLOW_DRIVEN_FACTOR) < postings {
            return allow_driven(terms, k, norm, doc_len, filter);
        }
    }
    terms.sort_by(|a, b| a.upper_bound().total_cmp(&b.upper_bound()));
    // prefix[i] = sum of the bounds of terms[..=i]
    let mut prefix = Vec::with_capacity(terms.len());
    let mut acc = 0.0f32;
    for t in &terms {
        acc += t.upper_bound();
        prefix.push(acc);
    }
    let n = terms.len();
    let mut contrib = vec![0.0f32; n];
    let mut top = TopK::new(k);
    let mut first_essential = 0;

    loop {
        let mut cand = END;
        for t in &terms[first_essential..] {
            cand = cand.min(t.cursor.doc());
        }
        if cand == END {
            break;
        }
        if !filter.allows(cand) {
            for t in &mut terms[first_essential..] {
                if t.cursor.doc() == cand {
                    t.cursor.advance();
                }
            }
            continue;
        }
        let len = doc_len(cand);
        let mut partial = 0.0f32;
        for t in &mut terms[first_essential..] {
            if t.cursor.doc() == cand {
                let c = t.weight * norm.tf_norm(t.cursor.tf(), len);
                contrib[t.order] = c;
                partial += c;
                t.cursor.advance();
            }
        }
        let threshold = top.threshold();
        let mut pruned = false;
        for i in (0..first_essential).rev() {
            if partial + prefix[i] <= threshold {
                pruned = true;
                break;
            }
            let t = &mut terms[i];
            t.cursor.seek(cand);
            if t.cursor.doc() == cand {
                let c = t.weight * norm.tf_norm(t.cursor.tf(), len);
                contrib[t.order] = c;
                partial += c;
            }
        }
        if !pruned {
            let score: f32 = contrib.iter().sum();
            if top.push(cand, score) {
                let threshold = top.threshold();
                while first_essential < n && prefix[first_essential] <= threshold {
                    first_essential += 1;
                }
            }
        }
        contrib.iter_mut().for_each(|c| *c = 0.0);
    }
    top.into_sorted()
}

/// An allow-set this many times smaller than the query's postings is
/// searched row by row ([`allow_driven`]).
const ALLOW_DRIVEN_FACTOR: u64 = 4;

/// Top-`k` over the rows of the filter's allow-set: each allowed row is
/// probed in every posting list with `seek`. Same arithmetic, and so the
/// same results, as [`exhaustive`].
fn allow_driven<C: Cursor>(
    mut terms: Vec<QueryTerm<C>>,
    k: usize,
    norm: Norm,
    doc_len: impl Fn(u32) -> u32,
    filter: &KeywordFilter<'_>,
) -> Vec<(u32, f32)> {
    let Some(allow) = filter.allow else {
        return exhaustive(terms, k, norm, doc_len, filter);
    };
    let mut contrib = vec![0.0f32; terms.len()];
    let mut top = TopK::new(k);
    for row in allow.iter() {
        if row == END || !filter.allows(row) {
            continue;
        }
        let mut found = false;
        let mut len = None;
        for t in &mut terms {
            t.cursor.seek(row);
            if t.cursor.doc() == row {
                let l = *len.get_or_insert_with(|| doc_len(row));
                contrib[t.order] = t.weight * norm.tf_norm(t.cursor.tf(), l);
                found = true;
            }
        }
        if found {
            top.push(row, contrib.iter().sum());
            contrib.iter_mut().for_each(|c| *c = 0.0);
        }
        if terms.iter().all(|t| t.cursor.doc() == END) {
            break;
        }
    }
    top.into_sorted()
}

/// Top-`k` rows by BM25 scoring every matching document (no pruning); the
/// reference the pruned search must agree with.
pub(crate) fn exhaustive<C: Cursor>(
    mut terms: Vec<QueryTerm<C>>,
    k: usize,
    norm: Norm,
    doc_len: impl Fn(u32) -> u32,
    filter: &KeywordFilter<'_>,
) -> Vec<(u32, f32)> {
    if k == 0 || terms.is_empty() {
        return Vec::new();
    }
    let mut contrib = vec![0.0f32; terms.len()];
    let mut top = TopK::new(k);
    loop {
        let cand = terms.iter().map(|t| t.cursor.doc()).min().unwrap_or(END);
        if cand == END {
            break;
        }
        let len = doc_len(cand);
        for t in &mut terms {
            if t.cursor.doc() == cand {
                contrib[t.order] = t.weight * norm.tf_norm(t.cursor.tf(), len);
                t.cursor.advance();
            }
        }
        if filter.allows(cand) {
            top.push(cand, contrib.iter().sum());
        }
        contrib.iter_mut().for_each(|c| *c = 0.0);
    }
    top.into_sorted()
}

/// Groups a query's terms into distinct terms with their query frequency,
/// in order of first occurrence (which fixes the summation order).
pub(crate) fn distinct_terms<S: AsRef<str>>(terms: &[S]) -> Vec<(&str, u32)> {
    let mut out: Vec<(&str, u32)> = Vec::with_capacity(terms.len());
    for t in terms {
        let t = t.as_ref();
        match out.iter_mut().find(|(s, _)| *s == t) {
            Some((_, n)) => *n += 1,
            None => out.push((t, 1)),
        }
    }
    out
}

/// A cursor over an in-memory `(row, tf)` slice sorted by row.
pub(crate) struct SliceCursor<'a> {
    postings: &'a [(u32, u32)],
    pos: usize,
}

impl<'a> SliceCursor<'a> {
    pub(crate) fn new(postings: &'a [(u32, u32)]) -> Self {
        SliceCursor { postings, pos: 0 }
    }
}

impl Cursor for SliceCursor<'_> {
    #[inline]
    fn doc(&self) -> u32 {
        self.postings.get(self.pos).map_or(END, |p| p.0)
    }
    #[inline]
    fn tf(&self) -> u32 {
        self.postings.get(self.pos).map_or(0, |p| p.1)
    }
    #[inline]
    fn advance(&mut self) {
        self.pos += 1;
    }
    fn seek(&mut self, target: u32) {
        let rest = self.postings.get(self.pos..).unwrap_or(&[]);
        // Gallop: probes are usually close to the current position.
        let mut step = 1;
        while step < rest.len() && rest[step].0 < target {
            step *= 2;
        }
        let end = (step + 1).min(rest.len());
        self.pos += rest[..end].partition_point(|p| p.0 < target);
    }
    fn doc_freq(&self) -> usize {
        self.postings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_cursor_seeks() {
        let p: Vec<(u32, u32)> = (0..100).map(|i| (i * 3, 1)).collect();
        let mut c = SliceCursor::new(&p);
        c.seek(0);
        assert_eq!(c.doc(), 0);
        c.seek(7);
        assert_eq!(c.doc(), 9);
        c.seek(9);
        assert_eq!(c.doc(), 9);
        c.seek(250);
        assert_eq!(c.doc(), 252);
        c.seek(298);
        assert_eq!(c.doc(), END);
    }

    #[test]
    fn distinct_terms_counts() {
        assert_eq!(distinct_terms(&["a", "b", "a"]), vec![("a", 2), ("b", 1)]);
    }
}
