//! Dense vector indexes for vecstore: an HNSW graph in flat arrays, an exact
//! (flat) scan, and the planner that picks between them for filtered
//! searches.
//!
//! Depends only on `vecstore-core` (plus `roaring`, `rayon`, `rand`); it must
//! not touch files, mmap or serialisation formats: the storage engine hands
//! in vectors through [`VectorSource`] and graph arrays through
//! [`HnswParts`], both of which may borrow a memory-mapped file.
//!
//! # Distances
//! Searches return `(row, internal distance)` pairs, lower is closer, as
//! defined by [`Metric`](vecstore_core::Metric) (cosine: `1 - dot` of unit
//! vectors; dot: `-dot`; L2: squared distance). Queries are passed raw; the
//! index prepares them.
//!
//! # Example
//! ```
//! use vecstore_core::Metric;
//! use vecstore_index::{Hnsw, HnswParams, SearchFilter, VectorStore};
//! let rows: Vec<f32> = (0..2000).map(|i| ((i * 7919) % 1000) as f32).collect();
//! let vectors = VectorStore::from_rows(4, Metric::L2, &rows).unwrap();
//! let graph = Hnsw::build_parallel(&vectors, HnswParams::default()).unwrap();
//! let hits = graph.search(&vectors, vectors.as_slice()[..4].to_vec().as_slice(), 3, 64, &SearchFilter::NONE);
//! assert_eq!(hits[0], (0, 0.0));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod build;
mod filter;
mod graph;
mod hnsw;
mod parallel;
mod planner;
mod scratch;
mod search;
mod vectors;

pub use filter::SearchFilter;
pub use graph::{DEFAULT_EF_SEARCH, HnswParams, HnswParts, HnswView, MAX_LEVEL, MAX_M};
pub use hnsw::Hnsw;
pub use planner::{EXACT_FACTOR, Plan, SMALL_GRAPH, choose_plan, flat_search};
pub use vectors::{SliceVectors, VectorSource, VectorStore};
