//! vecstore
