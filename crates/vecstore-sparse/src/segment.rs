//! The keyword-search interface shared by the mutable index and sealed views,
//! so a collection can search all its segments with common statistics.

use crate::filter::KeywordFilter;
use crate::search;
use crate::stats::{CorpusStats, avg_len};
use crate::tokenizer::Tokenizer;

/// A searchable keyword segment: [`InvertedIndex`](crate::InvertedIndex) or
/// [`SparseView`](crate::SparseView). Bring it into scope to search either.
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
    /// The segment's tokenizer. Segments of one collection share a
    /// configuration, so any segment can tokenize a query for all of them.
    fn tokenizer(&self) -> &Tokenizer;

    /// Number of documents.
    fn num_docs(&self) -> u64;

    /// Sum of the document lengths in terms.
    fn total_len(&self) -> u64;

    /// Number of documents containing `term` (an already analysed term).
    fn doc_freq(&self, term: &str) -> u64;

    /// Top-`k` rows for already analysed query `terms` (repeats count),
    /// best first, with MaxScore pruning, using `stats` for IDF and average
    /// length when given and the segment's own statistics otherwise.
    fn search_terms(
        &self,
        terms: &[String],
        k: usize,
        filter: &KeywordFilter<'_>,
        stats: Option<&CorpusStats>,
    ) -> Vec<(u32, f32)>;

    /// [`search_terms`](Self::search_terms) scoring every matching document
    /// instead of pruning: the reference it agrees with exactly (for tests
    /// and benchmarks).
    fn search_terms_exhaustive(
        &self,
        terms: &[String],
        k: usize,
        filter: &KeywordFilter<'_>,
        stats: Option<&CorpusStats>,
    ) -> Vec<(u32, f32)>;

    /// Analyses `text` with the segment's tokenizer.
    fn tokenize(&self, text: &str) -> Vec<String> {
        self.tokenizer().tokenize(text)
    }

    /// Average document length in terms (1 when empty).
    fn avg_doc_len(&self) -> f32 {
        avg_len(self.num_docs(), self.total_len())
    }

    /// This segment's document count, total length and the document
    /// frequencies of `terms`.
    fn corpus_stats(&self, terms: &[String]) -> CorpusStats {
        CorpusStats {
            num_docs: self.num_docs(),
            total_len: self.total_len(),
            doc_freqs: search::distinct_terms(terms)
                .into_iter()
                .map(|(t, _)| (t.to_owned(), self.doc_freq(t)))
                .collect(),
        }
    }

    /// Top-`k` rows for `query` by BM25, best first, with this segment's own
    /// statistics. A query without terms (empty, only stop words, only
    /// punctuation) returns no hits.
    fn search(&self, query: &str, k: usize, filter: &KeywordFilter<'_>) -> Vec<(u32, f32)> {
        self.search_terms(&self.tokenize(query), k, filter, None)
    }

    /// [`search`](Self::search) without pruning (see
    /// [`search_terms_exhaustive`](Self::search_terms_exhaustive)).
    fn search_exhaustive(
        &self,
        query: &str,
        k: usize,
        filter: &KeywordFilter<'_>,
    ) -> Vec<(u32, f32)> {
        self.search_terms_exhaustive(&self.tokenize(query), k, filter, None)
    }
}

/// The two required search methods of [`KeywordSegment`], for a type with
/// `prepare(terms, stats) -> (query terms, norm)` and `doc_len(row)`: both
/// segment kinds score the same way and differ only in their cursors, and
/// both methods differ only in the scorer (MaxScore or exhaustive).
macro_rules! search_methods {
    () => {
        $crate::segment::search_methods!(
            search_terms => max_score,
            search_terms_exhaustive => exhaustive
        );
    };
    ($($method:ident => $scorer:ident),+) => {
        $(
            fn $method(
                &self,
                terms: &[String],
                k: usize,
                filter: &$crate::KeywordFilter<'_>,
                stats: Option<&$crate::CorpusStats>,
            ) -> Vec<(u32, f32)> {
                let (qterms, norm) = self.prepare(terms, stats);
                $crate::search::$scorer(qterms, k, norm, |r| self.doc_len(r), filter)
            }
        )+
    };
}
pub(crate) use search_methods;
