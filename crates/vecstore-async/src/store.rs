//! [`AsyncVecStore`]: the async twin of `vecstore_storage::VecStore`.

use crate::{Shared, blocking};
use std::path::Path;
use std::sync::Arc;
use vecstore_core::Result;
use vecstore_storage::{DatabaseBuilder, VecStore};

/// A store with one default collection, async. Cheap to clone; `Send + Sync`.
///
/// ```no_run
/// # async fn demo() -> vecstore_core::Result<()> {
/// use vecstore_async::AsyncVecStore;
/// use vecstore_core::{Metadata, Query};
/// let store = AsyncVecStore::open("./data").await?;
/// store.upsert("doc1".into(), vec![1.0, 0.0, 0.0], Metadata::new()).await?;
/// let hits = store.query(Query { vector: vec![1.0, 0.0, 0.0], k: 5, filter: None }).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AsyncVecStore {
    inner: Arc<Shared<VecStore>>,
}

impl AsyncVecStore {
    /// Opens (or creates) the store at `path`. See `VecStore::open`.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let inner = blocking(move || VecStore::open(path)).await?;
        Ok(AsyncVecStore::from_sync(inner))
    }

    /// Opens with a configured builder. See `VecStore::open_with`.
    pub async fn open_with(builder: DatabaseBuilder) -> Result<Self> {
        let inner = blocking(move || VecStore::open_with(builder)).await?;
        Ok(AsyncVecStore::from_sync(inner))
    }

    /// Wraps a sync store.
    pub fn from_sync(inner: VecStore) -> Self {
        AsyncVecStore {
            inner: Shared::new(inner),
        }
    }

    /// The sync handle.
    pub fn as_sync(&self) -> &VecStore {
        &self.inner.sync
    }

    crate::data_methods!(this => this.inner.sync.collection().clone());
}

impl std::fmt::Debug for AsyncVecStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncVecStore")
            .field("path", &self.inner.sync.database().path())
            .finish()
    }
}
