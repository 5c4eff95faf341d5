//! File-level primitives of the storage engine: the directory lock, atomic and
//! checksummed small files, the write-ahead log, the immutable segment
//! container and its memory map.
//!
//! Nothing here knows about collections or vectors; the engine builds on these.
//! Every on-disk byte these modules write is described in `docs/file-format.md`.

pub mod atomic;
pub mod lock;
pub mod mmap;
pub mod segment_file;
pub mod wal;
