//! vecstore-storage
