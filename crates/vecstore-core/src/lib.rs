//! Core types of vecstore: distance kernels, metric semantics, metadata values,
//! filters, query/result types, the shared error type and input validation.
//!
//! This crate does no I/O and has no async code. Every other vecstore crate
//! depends on it; it depends on no other vecstore crate.
//!
//! # Score semantics
//! Results are always ordered best first. `Neighbor::score` is the cosine
//! similarity for [`Metric::Cosine`], the dot product for [`Metric::Dot`]
//! (higher is better for both) and the Euclidean distance for [`Metric::L2`]
//! (lower is better), as in Qdrant.
#![deny(unsafe_code)] // allowed only in `kernels`, each block with a SAFETY note
#![deny(missing_docs)]

mod error;
pub mod filter;
pub mod kernels;
mod metadata;
mod metric;
mod types;
pub mod validate;

pub use error::{Error, Result};
pub use filter::{CmpOp, Filter};
pub use metadata::{Metadata, Value};
pub use metric::Metric;
pub use types::{Fusion, HybridQuery, Neighbor, Query, Record, SearchOptions};
