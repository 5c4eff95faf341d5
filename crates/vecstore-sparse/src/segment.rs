//! The keyword-search interface shared by the mutable index and sealed views,
//! so a collection can search all its segments with common statistics.

use crate::filter::KeywordFilter;
use crate::stats::CorpusStats;

/// A searchable keyword segment: [`InvertedIndex`](crate::InvertedIndex) or
/// [`SparseView`](crate::SparseView).
///
/// Searching a collection of several segments with comparable scores:
///
/// ```
/// use vecstore_sparse::{Bm25Config, CorpusStats, InvertedIndex, KeywordFilter, KeywordSegment};
/// let mut a = InvertedIndex::new(Bm25Config::default())?;
/// let mut b = InvertedIndex::new(Bm25Config::default())?;
/// a.add(0, "red apples and green apples")?;
/// b.add(0, "green pears")?;
/// let segments: [&dyn KeywordSegment; 2] = [&a, &b];
/// let terms = a.tokenize("green apples");
/// let mut stats = CorpusStats::default();
/// for s in segments {
///     stats.merge(&s.corpus_stats(&terms));
/// }
/// let f = KeywordFilter::none();
/// let hits_a = a.search_terms(&terms, 10, &f, Some(&stats));
/// let hits_b = b.search_terms(&terms, 10, &f, Some(&stats));
/// assert!(hits_a[0].1 > hits_b[0].1);
/// # Ok::<(), vecstore_core::Error>(())
/// ```
pub trait KeywordSegment {
    /// Analyses `text` with the segment's tokenizer. Segments of one
    /// collection share a configuration, so any segment can tokenize a query
    /// for all of them.
    fn tokenize(&self, text: &str) -> Vec<String>;

    /// This segment's document count, total length and the document
    /// frequencies of `terms`.
    fn corpus_stats(&self, terms: &[String]) -> CorpusStats;

    /// Top-`k` rows for already analysed query `terms` (repeats count),
    /// best first, using `stats` for IDF and average length when given and
    /// the segment's own statistics otherwise.
    fn search_terms(
        &self,
        terms: &[String],
        k: usize,
        filter: &KeywordFilter<'_>,
        stats: Option<&CorpusStats>,
    ) -> Vec<(u32, f32)>;
}
