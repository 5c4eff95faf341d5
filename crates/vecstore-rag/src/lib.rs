//! vecstore-rag: chunkers, the `Embedder` trait and a local MiniLM embedder.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
