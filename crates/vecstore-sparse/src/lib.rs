//! vecstore-sparse
