//! [`AsyncCollection`]: the async twin of `vecstore_storage::Collection`.

use crate::Shared;
use std::sync::Arc;
use vecstore_storage::{Collection, CollectionConfig};

/// A named collection, async. Cheap to clone (one `Arc`); `Send + Sync`.
#[derive(Clone)]
pub struct AsyncCollection {
    inner: Arc<Shared<Collection>>,
}

impl AsyncCollection {
    /// Wraps a sync collection handle.
    pub fn from_sync(inner: Collection) -> Self {
        AsyncCollection {
            inner: Shared::new(inner),
        }
    }

    /// The sync handle, for code that runs on its own threads.
    pub fn as_sync(&self) -> &Collection {
        &self.inner.sync
    }

    /// The collection's name.
    pub fn name(&self) -> &str {
        self.inner.sync.name()
    }

    /// The collection's configuration.
    pub fn config(&self) -> CollectionConfig {
        self.inner.sync.config()
    }

    crate::data_methods!(this => this.inner.sync.clone());
}

impl std::fmt::Debug for AsyncCollection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncCollection")
            .field("name", &self.inner.sync.name())
            .finish()
    }
}
