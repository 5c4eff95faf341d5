//! Keyword search for vecstore: a Unicode tokenizer (word segmentation,
//! lowercase, ASCII folding, stop words, Snowball stemming), a BM25 inverted
//! index with incremental add/remove and MaxScore-pruned top-k, a sealed
//! array form of the index that can be searched in place (from a memory
//! map), and the fusion of dense and keyword result lists (weighted, RRF,
//! DBSF).
//!
//! This crate depends on `vecstore-core` only. It does no I/O: no files,
//! no mmap, no rkyv. The storage engine persists [`OwnedSparseParts`] and
//! hands borrowed [`SparseParts`] back to [`SparseView::from_parts`].
//!
//! # Scores
//! Lucene's BM25 (see [`Bm25Config`]); higher is better. Scores of one
//! segment are comparable with another's only when both are searched with
//! the same [`CorpusStats`] (see [`KeywordSegment`]).
//!
//! # Pruning bounds
//! MaxScore needs an upper bound of each term's score. The mutable index
//! keeps each term's largest tf and smallest document length; sealed parts
//! store each term's exact maximum of `tf / (tf + k1 (1 - b + b len / avg))`
//! for the segment's own average length `avg`. Searching with a larger
//! collection-wide average `avg'` raises any such value by at most
//! `avg' / avg`, so the stored bound is scaled by that factor (bounds never
//! exceed 1), which keeps pruning exact.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod filter;
mod folding;
pub mod fusion;
mod index;
mod parts;
mod search;
mod segment;
mod stats;
mod stopwords;
mod tokenizer;
mod view;

pub use config::Bm25Config;
pub use filter::KeywordFilter;
pub use index::{InvertedIndex, MAX_ROW};
pub use parts::{BLOCK_LEN, OwnedSparseParts, SparseParts};
pub use segment::KeywordSegment;
pub use stats::CorpusStats;
pub use stopwords::ENGLISH as ENGLISH_STOP_WORDS;
pub use tokenizer::{Language, MAX_TOKEN_BYTES, Tokenizer, TokenizerConfig};
pub use view::SparseView;
