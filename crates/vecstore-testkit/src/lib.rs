//! vecstore-testkit
