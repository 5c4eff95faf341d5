//! Query and result types of the public API.

use crate::{Filter, Metadata};
use serde::{Deserialize, Serialize};

/// One search hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighbor {
    /// The record's id.
    pub id: String,
    /// Its score; see the crate docs for what it means per metric.
    pub score: f32,
    /// The record's metadata.
    pub metadata: Metadata,
}

/// A dense vector query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The query vector.
    pub vector: Vec<f32>,
    /// How many hits to return (1 to 10_000).
    pub k: usize,
    /// Only records matching this filter are returned.
    pub filter: Option<Filter>,
}

/// A hybrid (dense + keyword) query.
#[derive(Debug, Clone, PartialEq)]
pub struct HybridQuery {
    /// The query vector.
    pub vector: Vec<f32>,
    /// Keywords for BM25.
    pub keywords: String,
    /// How many hits to return.
    pub k: usize,
    /// Only records matching this filter are returned.
    pub filter: Option<Filter>,
    /// Weight of the dense score in `[0, 1]`; `1 - alpha` goes to keywords.
    pub alpha: f32,
}

/// How dense and keyword result lists are combined.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Fusion {
    /// `alpha * dense + (1 - alpha) * keyword` on per-query min–max normalised
    /// scores; a candidate missing from one list gets 0 there.
    Weighted(f32),
    /// Reciprocal rank fusion: `sum 1 / (k + rank)`, rank starting at 1.
    Rrf {
        /// The RRF constant (60 is the usual choice).
        k: u32,
    },
    /// Distribution-based score fusion: each list is normalised with
    /// mean ± 3 standard deviations, then the normalised scores are summed.
    Dbsf,
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion::Rrf { k: 60 }
    }
}

/// A stored record: id, vector, metadata and (optionally) its indexed text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The id.
    pub id: String,
    /// The vector; empty for a record that only has text so far.
    pub vector: Vec<f32>,
    /// The metadata.
    #[serde(default)]
    pub metadata: Metadata,
    /// The text indexed for keyword search, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Record {
    /// A record with no text.
    pub fn new(id: impl Into<String>, vector: Vec<f32>, metadata: Metadata) -> Self {
        Record {
            id: id.into(),
            vector,
            metadata,
            text: None,
        }
    }

    /// Sets the text to index for keyword search.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
}

/// Per-query knobs beyond [`Query`]'s fields. `Default` gives the defaults.
///
/// ```
/// use vecstore_core::SearchOptions;
/// let opts = SearchOptions { ef_search: Some(128), ..Default::default() };
/// assert_eq!(opts.ef_search, Some(128));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SearchOptions {
    /// HNSW beam width; `None` uses the collection's default.
    pub ef_search: Option<usize>,
    /// Depth of each list fetched before hybrid fusion; `None` means
    /// `max(k, 100)`.
    pub fusion_depth: Option<usize>,
    /// Exact (flat) search instead of HNSW, for checking recall.
    pub exact: bool,
}

impl SearchOptions {
    /// Sets `ef_search`.
    pub fn ef_search(mut self, ef: usize) -> Self {
        self.ef_search = Some(ef);
        self
    }

    /// Sets the fusion depth.
    pub fn fusion_depth(mut self, depth: usize) -> Self {
        self.fusion_depth = Some(depth);
        self
    }

    /// Requests an exact search.
    pub fn exact(mut self, exact: bool) -> Self {
        self.exact = exact;
        self
    }
}
