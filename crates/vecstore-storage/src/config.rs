//! Per-collection configuration and database open options.

use serde::{Deserialize, Serialize};
use vecstore_core::{Metric, Result, validate};
use vecstore_sparse::Bm25Config;

/// Default HNSW `M` (links per node).
pub const DEFAULT_HNSW_M: usize = 16;
/// Default HNSW `ef_construction`.
pub const DEFAULT_EF_CONSTRUCTION: usize = 200;
/// Default HNSW `ef_search`.
pub const DEFAULT_EF_SEARCH: usize = 64;

/// A collection's settings, fixed when it is created and stored in its manifest.
///
/// ```
/// use vecstore_storage::CollectionConfig;
/// use vecstore_core::Metric;
/// let c = CollectionConfig::default().metric(Metric::L2).dimension(128).hnsw_m(32);
/// assert_eq!(c.dimension, Some(128));
/// assert_eq!(c.hnsw_m, 32);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionConfig {
    /// Vector dimension; `None`: taken from the first vector stored.
    pub dimension: Option<usize>,
    /// Similarity measure (default cosine).
    pub metric: Metric,
    /// HNSW links per node (default 16).
    pub hnsw_m: usize,
    /// HNSW beam width while building (default 200).
    pub ef_construction: usize,
    /// HNSW beam width while searching, unless a query overrides it (default 64).
    pub ef_search: usize,
    /// BM25 and tokenizer settings for keyword search.
    pub bm25: Bm25Config,
}

impl Default for CollectionConfig {
    fn default() -> Self {
        CollectionConfig {
            dimension: None,
            metric: Metric::Cosine,
            hnsw_m: DEFAULT_HNSW_M,
            ef_construction: DEFAULT_EF_CONSTRUCTION,
            ef_search: DEFAULT_EF_SEARCH,
            bm25: Bm25Config::default(),
        }
    }
}

impl CollectionConfig {
    /// Fixes the dimension.
    pub fn dimension(mut self, d: usize) -> Self {
        self.dimension = Some(d);
        self
    }
    /// Sets the metric.
    pub fn metric(mut self, m: Metric) -> Self {
        self.metric = m;
        self
    }
    /// Sets HNSW `M`.
    pub fn hnsw_m(mut self, m: usize) -> Self {
        self.hnsw_m = m;
        self
    }
    /// Sets HNSW `ef_construction`.
    pub fn ef_construction(mut self, ef: usize) -> Self {
        self.ef_construction = ef;
        self
    }
    /// Sets the default `ef_search`.
    pub fn ef_search(mut self, ef: usize) -> Self {
        self.ef_search = ef;
        self
    }
    /// Sets the BM25 settings.
    pub fn bm25(mut self, bm25: Bm25Config) -> Self {
        self.bm25 = bm25;
        self
    }

    /// Checks every field's range.
    pub fn validate(&self) -> Result<()> {
        if let Some(d) = self.dimension {
            validate::dimension(d)?;
        }
        check_range("hnsw_m", self.hnsw_m, 2, 256)?;
        check_range("ef_construction", self.ef_construction, 1, 10_000)?;
        check_range("ef_search", self.ef_search, 1, 10_000)?;
        Ok(())
    }
}

fn check_range(name: &'static str, v: usize, lo: usize, hi: usize) -> Result<()> {
    if v < lo || v > hi {
        return Err(vecstore_core::Error::InvalidArgument {
            name,
            value: v.to_string(),
            reason: match name {
                "hnsw_m" => "must be between 2 and 256",
                _ => "must be between 1 and 10000",
            },
        });
    }
    Ok(())
}
