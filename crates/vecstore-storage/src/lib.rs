//! The storage engine of vecstore and its synchronous user API:
//! [`VecDatabase`] (a directory of collections), [`Collection`] and
//! [`VecStore`] (one default collection).
//!
//! What it does: a write-ahead log with group commit makes every
//! acknowledged write durable; writes land in an in-memory segment that is
//! sealed in the background into immutable, checksummed segment files
//! (vectors, HNSW graph, BM25 postings, ids, metadata and metadata indexes)
//! that are memory-mapped and searched in place; a manifest names the live
//! segments and their deleted rows; compaction merges segments and frees
//! disk; snapshots are hard links plus a manifest copy. Readers work on an
//! atomically swapped snapshot of the segment list and never wait for
//! flushes or compactions. See docs/architecture.md ("Engine") and
//! docs/file-format.md.
//!
//! This crate is synchronous: it must not depend on an async runtime
//! (vecstore-async wraps it) nor on the umbrella, RAG or CLI crates. Files,
//! mmap and rkyv appear only here; `unsafe` only in the `io` module's
//! memory map.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod batch;
mod collection;
mod config;
mod database;
mod engine;
mod export;
pub mod io;
mod maintenance;
mod manifest;
mod metaindex;
mod mutable;
mod ops;
mod query;
mod sealed;
mod snapshot;
mod stats;
mod store;
mod stored_meta;
mod view;

pub use batch::WriteBatch;
pub use collection::Collection;
pub use config::{CollectionConfig, DEFAULT_EF_CONSTRUCTION, DEFAULT_EF_SEARCH, DEFAULT_HNSW_M};
pub use database::{DatabaseBuilder, FORMAT_VERSION, VecDatabase};
pub use io::wal::Durability;
pub use snapshot::SnapshotInfo;
pub use stats::NamespaceStats;
pub use store::{DEFAULT_COLLECTION, VecStore};
pub use vecstore_core::{
    Error, Filter, Fusion, HybridQuery, Metadata, Metric, Neighbor, Query, Record, Result,
    SearchOptions, Value,
};
pub use vecstore_sparse::Bm25Config;
