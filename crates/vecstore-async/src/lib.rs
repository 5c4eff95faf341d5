//! vecstore-async
