//! The one error type shared by every vecstore crate.

use std::path::PathBuf;

/// Result alias used across vecstore.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in vecstore. Each variant names the bad value.
///
/// The enum is `#[non_exhaustive]`: match with a wildcard arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A vector's length differs from the collection's dimension.
    #[error("dimension mismatch: expected {expected}, got {got}")]
    DimensionMismatch {
        /// The collection's dimension.
        expected: usize,
        /// The length of the vector that was passed.
        got: usize,
    },
    /// A dimension outside `1..=65_536`.
    #[error("invalid dimension {dimension}: must be between 1 and {max}")]
    InvalidDimension {
        /// The rejected dimension.
        dimension: usize,
        /// The largest allowed dimension.
        max: usize,
    },
    /// A vector component is NaN or infinite.
    #[error("vector component {index} is not finite ({value})")]
    NonFiniteVector {
        /// Position of the first bad component.
        index: usize,
        /// Its value.
        value: f32,
    },
    /// An id that is empty or longer than 1024 bytes.
    #[error("invalid id {id:?}: {reason}")]
    InvalidId {
        /// The rejected id (truncated to 64 bytes when long).
        id: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// `k` of 0 or above 10_000.
    #[error("invalid k {k}: must be between 1 and {max}")]
    InvalidK {
        /// The rejected k.
        k: usize,
        /// The largest allowed k.
        max: usize,
    },
    /// A collection or snapshot name outside `[A-Za-z0-9_-]{1,64}`.
    #[error("invalid name {name:?}: names are 1 to 64 characters of A-Z a-z 0-9 _ -")]
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// Hybrid `alpha` outside `[0, 1]` (or NaN).
    #[error("invalid alpha {alpha}: must be between 0 and 1")]
    InvalidAlpha {
        /// The rejected alpha.
        alpha: f32,
    },
    /// Any other argument out of its range.
    #[error("invalid argument {name} = {value}: {reason}")]
    InvalidArgument {
        /// Name of the argument.
        name: &'static str,
        /// Its value, printed.
        value: String,
        /// The rule it broke.
        reason: &'static str,
    },
    /// A filter string that does not parse.
    #[error("filter parse error at byte {position}: expected {expected}, found {found}")]
    FilterParse {
        /// Byte offset into the filter string.
        position: usize,
        /// What the parser expected there.
        expected: String,
        /// What it found instead.
        found: String,
    },
    /// A filter nested deeper than 32 levels or with more than 1024 nodes.
    #[error("filter too complex: {what} is {got}, limit {limit}")]
    FilterTooComplex {
        /// `"depth"` or `"node count"`.
        what: &'static str,
        /// The measured value.
        got: usize,
        /// The limit.
        limit: usize,
    },
    /// A named collection does not exist.
    #[error("collection {name:?} not found")]
    CollectionNotFound {
        /// Its name.
        name: String,
    },
    /// A collection with this name exists already.
    #[error("collection {name:?} already exists")]
    CollectionExists {
        /// Its name.
        name: String,
    },
    /// A named snapshot does not exist.
    #[error("snapshot {name:?} not found")]
    SnapshotNotFound {
        /// Its name.
        name: String,
    },
    /// A snapshot with this name exists already.
    #[error("snapshot {name:?} already exists")]
    SnapshotExists {
        /// Its name.
        name: String,
    },
    /// Another process holds the database's write lock.
    #[error("database {path:?} is locked by another process")]
    Locked {
        /// The database directory.
        path: PathBuf,
    },
    /// A write was attempted on a read-only handle.
    #[error("database is open read-only")]
    ReadOnly,
    /// An I/O error on a file.
    #[error("I/O error on {path:?}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file's contents are not what vecstore wrote.
    #[error("corruption in {path:?} at offset {offset}: {reason}")]
    Corruption {
        /// The damaged file.
        path: PathBuf,
        /// Byte offset where the damage was found.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A file was written by an unsupported format version.
    #[error("{path:?} has format version {found}, this build reads version {supported}")]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Version found on disk.
        found: u32,
        /// Version this build supports.
        supported: u32,
    },
    /// An async task running blocking work panicked or was cancelled.
    #[error("background task failed: {reason}")]
    TaskFailed {
        /// The panic message or cancellation reason.
        reason: String,
    },
    /// An embedding model or embedding call failed.
    #[error("embedding error: {reason}")]
    Embedding {
        /// What went wrong.
        reason: String,
    },
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A corruption error at `offset` of `path`.
    pub fn corruption(path: impl Into<PathBuf>, offset: u64, reason: impl Into<String>) -> Self {
        Error::Corruption {
            path: path.into(),
            offset,
            reason: reason.into(),
        }
    }
}
