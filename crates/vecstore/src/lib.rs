//! # vecstore
//!
//! An embedded vector database for Rust: dense ANN search (HNSW), BM25 keyword search,
//! hybrid fusion, metadata filters, collections, durable crash-safe storage with
//! snapshots, and a Tokio async API — in one crate, no server. Open a directory and go:
//!
//! ```
//! use vecstore::{Filter, HybridQuery, Metadata, Query, VecStore};
//! # fn main() -> vecstore::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! let store = VecStore::open(dir.path())?;
//!
//! let mut meta = Metadata::new();
//! meta.insert("category", "tech");
//! store.upsert("doc1".into(), vec![1.0, 0.0, 0.0], meta)?;
//! store.upsert("doc2".into(), vec![0.0, 1.0, 0.0], Metadata::new())?;
//! store.index_text("doc1", "rust programming language")?;
//!
//! let hits = store.query(Query {
//!     vector: vec![1.0, 0.1, 0.0],
//!     k: 5,
//!     filter: Some(Filter::parse("category = 'tech'")?),
//! })?;
//! assert_eq!(hits[0].id, "doc1");
//!
//! let hybrid = store.hybrid_query(HybridQuery {
//!     vector: vec![0.0, 1.0, 0.0],
//!     keywords: "programming".into(),
//!     k: 2,
//!     filter: None,
//!     alpha: 0.7,
//! })?;
//! assert_eq!(hybrid.len(), 2);
//! # Ok(()) }
//! ```
//!
//! This crate only re-exports the layers below it:
//! [`vecstore_core`] (types, kernels, filters, errors), [`vecstore_index`] (HNSW, flat),
//! [`vecstore_sparse`] (BM25, fusion), [`vecstore_storage`] (the engine and the sync API),
//! and behind features `vecstore_async` (`async`) and `vecstore_rag` (`rag`, `embed`).
//! See `docs/architecture.md` in the repository for how they fit.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use vecstore_core::{
    CmpOp, Error, Filter, Fusion, HybridQuery, Metadata, Metric, Neighbor, Query, Record, Result,
    SearchOptions, Value,
};
pub use vecstore_storage::{
    Collection, CollectionConfig, DatabaseBuilder, Durability, NamespaceStats, SnapshotInfo,
    VecDatabase, VecStore, WriteBatch,
};

#[cfg(feature = "hybrid")]
pub use vecstore_sparse::{Bm25Config, TokenizerConfig};

#[cfg(feature = "async")]
pub use vecstore_async::{AsyncCollection, AsyncVecDatabase, AsyncVecStore};

/// The layers, for code that needs more than the top-level items.
pub mod layers {
    pub use vecstore_core as core;
    pub use vecstore_index as index;
    pub use vecstore_sparse as sparse;
    pub use vecstore_storage as storage;

    #[cfg(feature = "async")]
    pub use vecstore_async as async_api;

    #[cfg(feature = "rag")]
    pub use vecstore_rag as rag;
}

#[cfg(feature = "rag")]
pub use vecstore_rag as rag;

/// The README's code blocks run as doctests, so the quickstart cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
