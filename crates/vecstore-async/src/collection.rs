//! [`AsyncCollection`]: the async twin of `vecstore_storage::Collection`.

use vecstore_storage::{Collection, CollectionConfig};

/// A named collection, async. Cheap to clone (one `Arc`); `Send + Sync`.
#[derive(Clone)]
pub struct AsyncCollection {
    inner: Collection,
}

impl AsyncCollection {
    /// Wraps a sync collection handle.
    pub fn from_sync(inner: Collection) -> Self {
        AsyncCollection { inner }
    }

    /// The sync handle, for code that runs on its own threads.
    pub fn as_sync(&self) -> &Collection {
        &self.inner
    }

    /// The collection's name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The collection's configuration.
    pub fn config(&self) -> CollectionConfig {
        self.inner.config()
    }

    crate::data_methods!(this => this.inner.clone());
}

impl std::fmt::Debug for AsyncCollection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncCollection")
            .field("name", &self.inner.name())
            .finish()
    }
}
