//! vecstore-rag: the path from files to answers. Chunkers (recursive
//! character, token-count and Markdown-aware, with exact byte offsets), the
//! [`Embedder`] trait, a local all-MiniLM-L6-v2 embedder (feature `embed`:
//! candle + tokenizers on the CPU, no network) and the ingest/query pipeline
//! over vecstore-storage collections ([`DocumentExt`]).
//!
//! This crate must not depend on vecstore-async, the umbrella crate or the
//! CLI, and contains no file-format or storage logic: documents are stored
//! only through the public `Collection` API.
// `deny`, not `forbid`: the `kernels` module (feature `embed`) allows it,
// each block with a SAFETY note: its one call into the `gemm` crate
// (bounds-checked) and calls of AVX2 builds after CPU detection.
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "embed")]
mod activations;
#[cfg(feature = "embed")]
mod bert;
mod chunk;
mod embedder;
#[cfg(feature = "embed")]
mod kernels;
mod markdown;
#[cfg(feature = "embed")]
mod minilm;
mod pipeline;
mod splitters;

pub use chunk::{Chunk, Chunker, TokenCounter, WordCount};
pub use embedder::{Embedder, HashingEmbedder};
pub use markdown::MarkdownChunker;
#[cfg(feature = "embed")]
pub use minilm::{DEFAULT_BATCH_SIZE, DEFAULT_MAX_TOKENS, MODEL_DIR_ENV, MiniLmEmbedder};
pub use pipeline::{Document, DocumentExt, chunk_id, chunk_records, doc_id_of, embed_records};
pub use splitters::{RecursiveSplitter, TokenSplitter, WholeDocument};
