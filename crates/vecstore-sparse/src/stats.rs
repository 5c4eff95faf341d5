//! Corpus statistics behind IDF and length normalisation, and the BM25
//! term-score formula.

use std::collections::HashMap;

/// Corpus statistics a BM25 score depends on: number of documents, total
/// length, and document frequency of the query's terms.
///
/// A collection holds several segments (one mutable, several sealed). Each
/// segment alone would compute IDF from its own documents, so the same
/// document would score differently depending on where it lives. To keep
/// scores comparable, the caller gathers each segment's
/// [`KeywordSegment::corpus_stats`](crate::KeywordSegment::corpus_stats)
/// for the query's terms, [`merge`](Self::merge)s them and passes the sum to
/// every segment's search. Without it a segment uses its own statistics.
/// Rows that are deleted but not yet compacted away still count, as in
/// Lucene.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorpusStats {
    /// Number of documents.
    pub num_docs: u64,
    /// Sum of the documents' lengths in terms.
    pub total_len: u64,
    /// Document frequency per term (terms not listed have 0).
    pub doc_freqs: HashMap<String, u64>,
}

impl CorpusStats {
    /// Average document length (1 for an empty corpus, to keep the formula
    /// finite).
    pub fn avg_len(&self) -> f32 {
        avg_len(self.num_docs, self.total_len)
    }

    /// Document frequency of `term`.
    pub fn doc_freq(&self, term: &str) -> u64 {
        self.doc_freqs.get(term).copied().unwrap_or(0)
    }

    /// Adds another segment's statistics to these.
    pub fn merge(&mut self, other: &CorpusStats) {
        self.num_docs += other.num_docs;
        self.total_len += other.total_len;
        for (t, df) in &other.doc_freqs {
            *self.doc_freqs.entry(t.clone()).or_insert(0) += df;
        }
    }
}

pub(crate) fn avg_len(num_docs: u64, total_len: u64) -> f32 {
    if num_docs == 0 || total_len == 0 {
        1.0
    } else {
        (total_len as f64 / num_docs as f64) as f32
    }
}

/// Lucene's BM25 IDF, `ln(1 + (N - df + 0.5) / (df + 0.5))`, always > 0.
pub(crate) fn idf(num_docs: u64, doc_freq: u64) -> f32 {
    let n = num_docs.max(doc_freq) as f64;
    let df = doc_freq as f64;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln() as f32
}

/// The length-normalised term-frequency part of BM25 for one query.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Norm {
    a: f32,
    b_over_avg: f32,
}

impl Norm {
    pub(crate) fn new(k1: f32, b: f32, avg_len: f32) -> Self {
        Norm {
            a: k1 * (1.0 - b),
            b_over_avg: k1 * b / avg_len,
        }
    }

    /// `tf / (tf + k1 * (1 - b + b * len / avg))`, in `[0, 1)`.
    #[inline]
    pub(crate) fn tf_norm(&self, tf: u32, len: u32) -> f32 {
        let tf = tf as f32;
        tf / (tf + self.a + self.b_over_avg * len as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idf_matches_lucene() {
        let got = idf(100, 10);
        let want = (1.0f64 + (100.0 - 10.0 + 0.5) / 10.5).ln() as f32;
        assert_eq!(got, want);
        assert!(idf(10, 10) > 0.0);
        // A caller passing df > N does not get NaN or a negative IDF.
        assert!(idf(5, 9) > 0.0);
    }

    #[test]
    fn merge_adds() {
        let mut a = CorpusStats {
            num_docs: 2,
            total_len: 10,
            doc_freqs: [("x".to_string(), 1)].into_iter().collect(),
        };
        let b = CorpusStats {
            num_docs: 3,
            total_len: 5,
            doc_freqs: [("x".to_string(), 2), ("y".to_string(), 1)]
                .into_iter()
                .collect(),
        };
        a.merge(&b);
        assert_eq!((a.num_docs, a.total_len), (5, 15));
        assert_eq!(
            (a.doc_freq("x"), a.doc_freq("y"), a.doc_freq("z")),
            (3, 1, 0)
        );
        assert_eq!(a.avg_len(), 3.0);
    }
}
