//! vecstore-index
