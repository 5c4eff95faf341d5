//! [`Collection`]: the user's handle on one collection.

use crate::batch::{WriteBatch, resolve_batch};
use crate::config::CollectionConfig;
use crate::database::DbShared;
use crate::engine::{Engine, resolve_upserts, validate_metadata};
use crate::ops::Op;
use crate::snapshot::SnapshotInfo;
use crate::stats::NamespaceStats;
use std::sync::Arc;
use vecstore_core::{
    Filter, Fusion, HybridQuery, Metadata, Neighbor, Query, Record, Result, SearchOptions, validate,
};

/// A handle on one collection: cheap to clone (an `Arc`), `Send + Sync`.
/// Clones share one engine; many threads can query and write at once with
/// no outer lock (readers never wait for flushes or compactions).
///
/// ```
/// # fn main() -> vecstore_core::Result<()> {
/// use vecstore_core::{Metadata, Query};
/// use vecstore_storage::VecDatabase;
/// let dir = tempfile::tempdir().unwrap();
/// let db = VecDatabase::open(dir.path())?;
/// let docs = db.create_collection("docs")?;
/// let mut meta = Metadata::new();
/// meta.insert("lang", "en");
/// docs.upsert("a".into(), vec![1.0, 0.0], meta)?;
/// docs.upsert("b".into(), vec![0.0, 1.0], Metadata::new())?;
/// let hits = docs.query(Query { vector: vec![0.9, 0.1], k: 1, filter: None })?;
/// assert_eq!(hits[0].id, "a");
/// let filtered = docs.query(Query {
///     vector: vec![0.9, 0.1],
///     k: 2,
///     filter: Some("lang = 'en'".parse()?),
/// })?;
/// assert_eq!(filtered.len(), 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Collection {
    pub(crate) engine: Arc<Engine>,
    pub(crate) db: Arc<DbShared>,
}

impl std::fmt::Debug for Collection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collection")
            .field("name", &self.engine.name)
            .finish_non_exhaustive()
    }
}

impl Collection {
    /// The collection's name.
    pub fn name(&self) -> &str {
        &self.engine.name
    }

    /// Its configuration (with `dimension` filled in once known).
    pub fn config(&self) -> CollectionConfig {
        let mut c = self.engine.config.clone();
        c.dimension = c.dimension.or(self.engine.view.load().dim);
        c
    }

    /// Inserts or replaces the record `id`. Its indexed text, if any, is kept.
    ///
    /// Errors: [`InvalidId`](vecstore_core::Error::InvalidId),
    /// [`DimensionMismatch`](vecstore_core::Error::DimensionMismatch) (the
    /// dimension is fixed by the config or the first vector),
    /// [`NonFiniteVector`](vecstore_core::Error::NonFiniteVector),
    /// [`InvalidArgument`](vecstore_core::Error::InvalidArgument) for
    /// non-finite metadata numbers. A failed call changes nothing.
    pub fn upsert(&self, id: String, vector: Vec<f32>, metadata: Metadata) -> Result<()> {
        self.batch_upsert(vec![Record::new(id, vector, metadata)])
    }

    /// Inserts or replaces many records atomically: all or none (one WAL
    /// record). A record's `text`, when `Some`, is indexed for keyword
    /// search; when `None`, the id's existing text is kept. Every record
    /// needs a vector.
    pub fn batch_upsert(&self, records: Vec<Record>) -> Result<()> {
        for r in &records {
            validate::id(&r.id)?;
            // Text-only records go through `index_text`.
            validate::vector(&r.vector, None)?;
        }
        self.engine
            .write(|view, m| resolve_upserts(view, m, records))
            .map(|_| ())
    }

    /// Applies a [`WriteBatch`] of upserts and deletes atomically and in
    /// order (one WAL record: after a crash all of it is there or none).
    /// Every step is validated before anything changes.
    pub fn write(&self, batch: WriteBatch) -> Result<()> {
        batch.validate()?;
        self.engine
            .write(|view, m| resolve_batch(view, m, batch))
            .map(|_| ())
    }

    /// The `k` nearest records (optionally filtered), best first.
    pub fn query(&self, query: Query) -> Result<Vec<Neighbor>> {
        self.engine.query(&query, &SearchOptions::default())
    }

    /// [`Collection::query`] with per-query options (`ef_search`, exact).
    pub fn query_with(&self, query: Query, options: SearchOptions) -> Result<Vec<Neighbor>> {
        self.engine.query(&query, &options)
    }

    /// BM25 keyword search only; scores are BM25 (higher is better).
    pub fn keyword_query(
        &self,
        keywords: &str,
        k: usize,
        filter: Option<Filter>,
    ) -> Result<Vec<Neighbor>> {
        self.engine.keyword_query(keywords, k, filter.as_ref())
    }

    /// Hybrid search fused with `Fusion::Weighted(query.alpha)`:
    /// `alpha` weighs the dense score, `1 - alpha` the keyword score.
    pub fn hybrid_query(&self, query: HybridQuery) -> Result<Vec<Neighbor>> {
        validate::alpha(query.alpha)?;
        let fusion = Fusion::Weighted(query.alpha);
        self.engine
            .hybrid_query(&query, &fusion, &SearchOptions::default())
    }

    /// Hybrid search with an explicit fusion strategy (`query.alpha` is
    /// ignored).
    pub fn hybrid_query_with(&self, query: HybridQuery, fusion: Fusion) -> Result<Vec<Neighbor>> {
        self.engine
            .hybrid_query(&query, &fusion, &SearchOptions::default())
    }

    /// Hybrid search with a fusion strategy and per-query options
    /// (`fusion_depth`, `ef_search`, exact).
    pub fn hybrid_query_with_options(
        &self,
        query: HybridQuery,
        fusion: Fusion,
        options: SearchOptions,
    ) -> Result<Vec<Neighbor>> {
        self.engine.hybrid_query(&query, &fusion, &options)
    }

    /// Deletes `id`. An unknown id is not an error: returns `Ok(false)`.
    pub fn delete(&self, id: &str) -> Result<bool> {
        validate::id(id)?;
        let id = id.to_string();
        self.engine
            .write(|view, m| {
                Ok(Engine::locate_record(view, m, &id)?
                    .is_some()
                    .then(|| Op::Delete(id.clone())))
            })
            .map(|o| o.existed)
    }

    /// Live records (with a vector, text, or both).
    pub fn count(&self) -> Result<usize> {
        self.engine.check_open()?;
        Ok(self.engine.count())
    }

    /// The record `id`. For cosine collections the vector is returned
    /// normalised, as stored.
    pub fn get(&self, id: &str) -> Result<Option<Record>> {
        self.engine.get(id)
    }

    /// Replaces the metadata of `id`; `Ok(false)` if the id is unknown.
    pub fn update_metadata(&self, id: &str, metadata: Metadata) -> Result<bool> {
        validate::id(id)?;
        validate_metadata(&metadata)?;
        self.engine
            .write(|view, m| {
                Ok(Engine::locate_record(view, m, id)?.map(|mut r| {
                    r.metadata = metadata;
                    Op::Upsert(vec![r])
                }))
            })
            .map(|o| o.existed)
    }

    /// Sets the text indexed for keyword search of `id`. An id without a
    /// record yet gets a text-only record: keyword and hybrid search can
    /// return it, and a later `upsert` adds its vector and keeps the text.
    pub fn index_text(&self, id: &str, text: &str) -> Result<()> {
        validate::id(id)?;
        self.engine
            .write(|view, m| {
                let mut r = Engine::locate_record(view, m, id)?
                    .unwrap_or_else(|| Record::new(id, Vec::new(), Metadata::new()));
                r.text = Some(text.to_string());
                Ok(Some(Op::Upsert(vec![r])))
            })
            .map(|_| ())
    }

    /// Saves the current state as snapshot `name` (flushes first).
    pub fn create_snapshot(&self, name: &str) -> Result<()> {
        self.engine.create_snapshot(&self.db.path, name)
    }

    /// Returns the collection to snapshot `name`'s state.
    pub fn restore_snapshot(&self, name: &str) -> Result<()> {
        self.engine.restore_snapshot(&self.db.path, name)
    }

    /// Deletes snapshot `name`; `Ok(false)` if there is none.
    pub fn delete_snapshot(&self, name: &str) -> Result<bool> {
        self.engine.delete_snapshot(&self.db.path, name)
    }

    /// Snapshots of this collection, oldest first.
    pub fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        self.engine.list_snapshots(&self.db.path)
    }

    /// Writes everything in memory to segment files and trims the WAL.
    /// (Writes are already durable in the WAL before they return.)
    pub fn flush(&self) -> Result<()> {
        self.engine.flush()
    }

    /// Merges segments and drops deleted rows, freeing their disk space.
    pub fn compact(&self) -> Result<()> {
        self.engine.flush()?;
        self.engine.compact()
    }

    /// Counts, sizes and settings.
    pub fn stats(&self) -> Result<NamespaceStats> {
        self.engine.stats()
    }

    /// Writes every live record as one JSON object per line (`id`,
    /// `vector`, `metadata`, `text`); returns the number written.
    pub fn export_jsonl(&self, out: &mut dyn std::io::Write) -> Result<usize> {
        crate::export::export_jsonl(&self.engine, out)
    }

    /// Reads JSON Lines written by [`Collection::export_jsonl`] (or by
    /// another tool) and upserts them in batches; returns the count.
    pub fn import_jsonl(&self, input: &mut dyn std::io::BufRead) -> Result<usize> {
        crate::export::import_jsonl(self, input)
    }
}
