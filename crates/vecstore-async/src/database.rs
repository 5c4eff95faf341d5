//! [`AsyncVecDatabase`]: the async twin of `vecstore_storage::VecDatabase`.

use crate::{AsyncCollection, blocking};
use std::path::Path;
use vecstore_core::Result;
use vecstore_storage::{CollectionConfig, DatabaseBuilder, VecDatabase};

/// A database of named collections, async. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct AsyncVecDatabase {
    inner: VecDatabase,
}

impl AsyncVecDatabase {
    /// Opens (or creates) the database at `path`. See `VecDatabase::open`.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let inner = blocking(move || VecDatabase::open(path)).await?;
        Ok(AsyncVecDatabase { inner })
    }

    /// Opens with a configured builder (`VecDatabase::builder(path)...`).
    pub async fn open_with(builder: DatabaseBuilder) -> Result<Self> {
        let inner = blocking(move || builder.open()).await?;
        Ok(AsyncVecDatabase { inner })
    }

    /// Wraps a sync database handle.
    pub fn from_sync(inner: VecDatabase) -> Self {
        AsyncVecDatabase { inner }
    }

    /// The sync handle.
    pub fn as_sync(&self) -> &VecDatabase {
        &self.inner
    }

    /// Creates a collection with the database's default config.
    pub async fn create_collection(&self, name: &str) -> Result<AsyncCollection> {
        let (db, name) = (self.inner.clone(), name.to_string());
        blocking(move || db.create_collection(&name))
            .await
            .map(AsyncCollection::from_sync)
    }

    /// Creates a collection with an explicit config.
    pub async fn create_collection_with(
        &self,
        name: &str,
        config: CollectionConfig,
    ) -> Result<AsyncCollection> {
        let (db, name) = (self.inner.clone(), name.to_string());
        blocking(move || db.create_collection_with(&name, config))
            .await
            .map(AsyncCollection::from_sync)
    }

    /// The named collection, if it exists.
    pub async fn get_collection(&self, name: &str) -> Result<Option<AsyncCollection>> {
        let (db, name) = (self.inner.clone(), name.to_string());
        blocking(move || db.get_collection(&name))
            .await
            .map(|c| c.map(AsyncCollection::from_sync))
    }

    /// The named collection, created if missing.
    pub async fn get_or_create_collection(&self, name: &str) -> Result<AsyncCollection> {
        let (db, name) = (self.inner.clone(), name.to_string());
        blocking(move || db.get_or_create_collection(&name))
            .await
            .map(AsyncCollection::from_sync)
    }

    /// Names of all collections, sorted.
    pub async fn list_collections(&self) -> Result<Vec<String>> {
        let db = self.inner.clone();
        blocking(move || db.list_collections()).await
    }

    /// Deletes a collection and its files; `Ok(false)` if it did not exist.
    pub async fn delete_collection(&self, name: &str) -> Result<bool> {
        let (db, name) = (self.inner.clone(), name.to_string());
        blocking(move || db.delete_collection(&name)).await
    }

    /// Flushes every collection.
    pub async fn flush(&self) -> Result<()> {
        let db = self.inner.clone();
        blocking(move || db.flush()).await
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        self.inner.path()
    }
}

impl std::fmt::Debug for AsyncVecDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncVecDatabase")
            .field("path", &self.inner.path())
            .finish()
    }
}
