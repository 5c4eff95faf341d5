//! [`VecStore`]: a database with one collection named `default`.

use crate::batch::WriteBatch;
use crate::collection::Collection;
use crate::database::{DatabaseBuilder, VecDatabase};
use crate::snapshot::SnapshotInfo;
use crate::stats::NamespaceStats;
use std::path::Path;
use vecstore_core::{
    Filter, Fusion, HybridQuery, Metadata, Neighbor, Query, Record, Result, SearchOptions,
};

/// Name of the collection behind a [`VecStore`].
pub const DEFAULT_COLLECTION: &str = "default";

/// The simplest way in: a directory holding one collection. Cheap to clone,
/// `Send + Sync`; every method is the [`Collection`] method of the same name.
///
/// ```
/// # fn main() -> vecstore_core::Result<()> {
/// use vecstore_core::{HybridQuery, Metadata, Query};
/// use vecstore_storage::VecStore;
/// let dir = tempfile::tempdir().unwrap();
/// let store = VecStore::open(dir.path())?;
/// let mut meta = Metadata::new();
/// meta.insert("category", "tech");
/// store.upsert("doc1".into(), vec![1.0, 0.0, 0.0], meta)?;
/// store.index_text("doc1", "rust programming language")?;
/// let hits = store.query(Query { vector: vec![1.0, 0.0, 0.0], k: 5, filter: None })?;
/// assert_eq!(hits[0].id, "doc1");
/// let hybrid = store.hybrid_query(HybridQuery {
///     vector: vec![1.0, 0.0, 0.0],
///     keywords: "programming".into(),
///     k: 10,
///     filter: None,
///     alpha: 0.7,
/// })?;
/// assert_eq!(hybrid[0].id, "doc1");
/// assert_eq!(store.count()?, 1);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct VecStore {
    db: VecDatabase,
    collection: Collection,
}

impl VecStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(VecDatabase::builder(path))
    }

    /// Opens with settings.
    pub fn open_with(builder: DatabaseBuilder) -> Result<Self> {
        let db = builder.open()?;
        let collection = match db.get_collection(DEFAULT_COLLECTION)? {
            Some(c) => c,
            None => db.get_or_create_collection(DEFAULT_COLLECTION)?,
        };
        Ok(VecStore { db, collection })
    }

    /// The underlying collection.
    pub fn collection(&self) -> &Collection {
        &self.collection
    }

    /// The underlying database.
    pub fn database(&self) -> &VecDatabase {
        &self.db
    }

    /// See [`Collection::upsert`].
    pub fn upsert(&self, id: String, vector: Vec<f32>, metadata: Metadata) -> Result<()> {
        self.collection.upsert(id, vector, metadata)
    }
    /// See [`Collection::batch_upsert`].
    pub fn batch_upsert(&self, records: Vec<Record>) -> Result<()> {
        self.collection.batch_upsert(records)
    }

    /// See [`Collection::write`].
    pub fn write(&self, batch: WriteBatch) -> Result<()> {
        self.collection.write(batch)
    }
    /// See [`Collection::query`].
    pub fn query(&self, query: Query) -> Result<Vec<Neighbor>> {
        self.collection.query(query)
    }
    /// See [`Collection::query_with`].
    pub fn query_with(&self, query: Query, options: SearchOptions) -> Result<Vec<Neighbor>> {
        self.collection.query_with(query, options)
    }
    /// See [`Collection::keyword_query`].
    pub fn keyword_query(
        &self,
        keywords: &str,
        k: usize,
        filter: Option<Filter>,
    ) -> Result<Vec<Neighbor>> {
        self.collection.keyword_query(keywords, k, filter)
    }
    /// See [`Collection::hybrid_query`].
    pub fn hybrid_query(&self, query: HybridQuery) -> Result<Vec<Neighbor>> {
        self.collection.hybrid_query(query)
    }
    /// See [`Collection::hybrid_query_with`].
    pub fn hybrid_query_with(&self, query: HybridQuery, fusion: Fusion) -> Result<Vec<Neighbor>> {
        self.collection.hybrid_query_with(query, fusion)
    }
    /// See [`Collection::hybrid_query_with_options`].
    pub fn hybrid_query_with_options(
        &self,
        query: HybridQuery,
        fusion: Fusion,
        options: SearchOptions,
    ) -> Result<Vec<Neighbor>> {
        self.collection
            .hybrid_query_with_options(query, fusion, options)
    }
    /// See [`Collection::delete`].
    pub fn delete(&self, id: &str) -> Result<bool> {
        self.collection.delete(id)
    }
    /// See [`Collection::count`].
    pub fn count(&self) -> Result<usize> {
        self.collection.count()
    }
    /// See [`Collection::get`].
    pub fn get(&self, id: &str) -> Result<Option<Record>> {
        self.collection.get(id)
    }
    /// See [`Collection::update_metadata`].
    pub fn update_metadata(&self, id: &str, metadata: Metadata) -> Result<bool> {
        self.collection.update_metadata(id, metadata)
    }
    /// See [`Collection::index_text`].
    pub fn index_text(&self, id: &str, text: &str) -> Result<()> {
        self.collection.index_text(id, text)
    }
    /// See [`Collection::create_snapshot`].
    pub fn create_snapshot(&self, name: &str) -> Result<()> {
        self.collection.create_snapshot(name)
    }
    /// See [`Collection::restore_snapshot`].
    pub fn restore_snapshot(&self, name: &str) -> Result<()> {
        self.collection.restore_snapshot(name)
    }
    /// See [`Collection::delete_snapshot`].
    pub fn delete_snapshot(&self, name: &str) -> Result<bool> {
        self.collection.delete_snapshot(name)
    }
    /// See [`Collection::list_snapshots`].
    pub fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        self.collection.list_snapshots()
    }
    /// See [`Collection::flush`].
    pub fn flush(&self) -> Result<()> {
        self.collection.flush()
    }
    /// See [`Collection::compact`].
    pub fn compact(&self) -> Result<()> {
        self.collection.compact()
    }
    /// See [`Collection::stats`].
    pub fn stats(&self) -> Result<NamespaceStats> {
        self.collection.stats()
    }
    /// See [`Collection::export_jsonl`].
    pub fn export_jsonl(&self, out: &mut dyn std::io::Write) -> Result<usize> {
        self.collection.export_jsonl(out)
    }
    /// See [`Collection::import_jsonl`].
    pub fn import_jsonl(&self, input: &mut dyn std::io::BufRead) -> Result<usize> {
        self.collection.import_jsonl(input)
    }
}
