//! Tokio facade over the vecstore engine: [`AsyncVecStore`], [`AsyncVecDatabase`] and
//! [`AsyncCollection`] mirror every method of the sync handles in `vecstore-storage`
//! with the same names and argument types, as `async fn`s.
//!
//! Each call moves its arguments onto Tokio's blocking pool with
//! [`tokio::task::spawn_blocking`], so a query or an fsync never stalls the async
//! runtime (a current-thread runtime keeps running its other tasks). Reads (queries,
//! `get`, `count`) go through a small per-handle queue whose drainers are themselves
//! blocking tasks: concurrent queries then cost no thread wake-up each (see the
//! `dispatch` module's docs for how and why). The handles are
//! `Clone + Send + Sync` and cloning is one `Arc` increment; since the engine's readers
//! take lock-free snapshots, concurrent queries from clones really run in parallel —
//! there is no outer `RwLock` here.
//!
//! # Cancellation
//! A call does its work only once its future is first polled, and then always runs to
//! completion on the blocking pool, even if the future is dropped afterwards. So
//! dropping a future never leaves a write half-applied: the write either completes or
//! never starts.
//!
//! Depends on vecstore-storage, vecstore-core and tokio only; holds no engine logic.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod collection;
mod database;
mod dispatch;
mod store;

pub use collection::AsyncCollection;
pub use database::AsyncVecDatabase;
pub use store::AsyncVecStore;

use vecstore_core::{Error, Result};

/// Runs `f` on the blocking pool and maps a panic or cancellation of that task to
/// [`Error::TaskFailed`].
async fn blocking<T, F>(f: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(Error::TaskFailed {
            reason: if e.is_panic() {
                panic_reason(e.into_panic())
            } else {
                "task cancelled".to_string()
            },
        }),
    }
}

/// The message of a caught panic, for [`Error::TaskFailed`].
fn panic_reason(p: Box<dyn std::any::Any + Send>) -> String {
    match p.downcast::<String>() {
        Ok(s) => format!("panic: {s}"),
        Err(p) => match p.downcast::<&'static str>() {
            Ok(s) => format!("panic: {s}"),
            Err(_) => "panic".to_string(),
        },
    }
}

/// A sync handle with the read queue its async twin's clones share (one `Arc`
/// per async handle).
pub(crate) struct Shared<T> {
    pub(crate) sync: T,
    pub(crate) reads: std::sync::Arc<dispatch::Reads>,
}

impl<T> Shared<T> {
    pub(crate) fn new(sync: T) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Shared {
            sync,
            reads: Default::default(),
        })
    }
}

/// Emits the async twins of the data methods shared by `Collection` and `VecStore`.
/// `$handle` is an expression of type `Collection` evaluated on `self`; reads go
/// through `$this.inner.reads` (see [`dispatch`]), everything else through
/// [`blocking`].
macro_rules! data_methods {
    ($this:ident => $handle:expr) => {
        /// Inserts or replaces a record. See `Collection::upsert`.
        pub async fn upsert(
            &self,
            id: String,
            vector: Vec<f32>,
            metadata: vecstore_core::Metadata,
        ) -> vecstore_core::Result<()> {
            let $this = self;
            let h = $handle;
            $crate::blocking(move || h.upsert(id, vector, metadata)).await
        }

        /// Inserts or replaces many records atomically. See `Collection::batch_upsert`.
        pub async fn batch_upsert(
            &self,
            records: Vec<vecstore_core::Record>,
        ) -> vecstore_core::Result<()> {
            let $this = self;
            let h = $handle;
            $crate::blocking(move || h.batch_upsert(records)).await
        }

        /// Upserts and deletes applied atomically and in order. See
        /// `Collection::write`.
        pub async fn write(
            &self,
            batch: vecstore_storage::WriteBatch,
        ) -> vecstore_core::Result<()> {
            let $this = self;
            let h = $handle;
            $crate::blocking(move || h.write(batch)).await
        }

        /// Dense vector search. See `Collection::query`.
        pub async fn query(
            &self,
            query: vecstore_core::Query,
        ) -> vecstore_core::Result<Vec<vecstore_core::Neighbor>> {
            let $this = self;
            let h = $handle;
            $this.inner.reads.run(move || h.query(query)).await
        }

        /// Dense vector search with options. See `Collection::query_with`.
        pub async fn query_with(
            &self,
            query: vecstore_core::Query,
            options: vecstore_core::SearchOptions,
        ) -> vecstore_core::Result<Vec<vecstore_core::Neighbor>> {
            let $this = self;
            let h = $handle;
            $this
                .inner
                .reads
                .run(move || h.query_with(query, options))
                .await
        }

        /// BM25 keyword search. See `Collection::keyword_query`.
        pub async fn keyword_query(
            &self,
            keywords: String,
            k: usize,
            filter: Option<vecstore_core::Filter>,
        ) -> vecstore_core::Result<Vec<vecstore_core::Neighbor>> {
            let $this = self;
            let h = $handle;
            $this
                .inner
                .reads
                .run(move || h.keyword_query(&keywords, k, filter))
                .await
        }

        /// Hybrid search with weighted fusion. See `Collection::hybrid_query`.
        pub async fn hybrid_query(
            &self,
            query: vecstore_core::HybridQuery,
        ) -> vecstore_core::Result<Vec<vecstore_core::Neighbor>> {
            let $this = self;
            let h = $handle;
            $this.inner.reads.run(move || h.hybrid_query(query)).await
        }

        /// Hybrid search with a chosen fusion. See `Collection::hybrid_query_with`.
        pub async fn hybrid_query_with(
            &self,
            query: vecstore_core::HybridQuery,
            fusion: vecstore_core::Fusion,
        ) -> vecstore_core::Result<Vec<vecstore_core::Neighbor>> {
            let $this = self;
            let h = $handle;
            $this
                .inner
                .reads
                .run(move || h.hybrid_query_with(query, fusion))
                .await
        }

        /// Hybrid search with fusion and options. See `Collection::hybrid_query_with_options`.
        pub async fn hybrid_query_with_options(
            &self,
            query: vecstore_core::HybridQuery,
            fusion: vecstore_core::Fusion,
            options: vecstore_core::SearchOptions,
        ) -> vecstore_core::Result<Vec<vecstore_core::Neighbor>> {
            let $this = self;
            let h = $handle;
            $this
                .inner
                .reads
                .run(move || h.hybrid_query_with_options(query, fusion, options))
                .await
        }

        /// Deletes a record; `Ok(false)` for an unknown id. See `Collection::delete`.
        pub async fn delete(&self, id: &str) -> vecstore_core::Result<bool> {
            let $this = self;
            let h = $handle;
            let id = id.to_string();
            $crate::blocking(move || h.delete(&id)).await
        }

        /// Number of live records. See `Collection::count`.
        pub async fn count(&self) -> vecstore_core::Result<usize> {
            let $this = self;
            let h = $handle;
            $this.inner.reads.run(move || h.count()).await
        }

        /// Fetches one record. See `Collection::get`.
        pub async fn get(&self, id: &str) -> vecstore_core::Result<Option<vecstore_core::Record>> {
            let $this = self;
            let h = $handle;
            let id = id.to_string();
            $this.inner.reads.run(move || h.get(&id)).await
        }

        /// Replaces a record's metadata. See `Collection::update_metadata`.
        pub async fn update_metadata(
            &self,
            id: &str,
            metadata: vecstore_core::Metadata,
        ) -> vecstore_core::Result<bool> {
            let $this = self;
            let h = $handle;
            let id = id.to_string();
            $crate::blocking(move || h.update_metadata(&id, metadata)).await
        }

        /// Indexes text for keyword search. See `Collection::index_text`.
        pub async fn index_text(&self, id: &str, text: &str) -> vecstore_core::Result<()> {
            let $this = self;
            let h = $handle;
            let (id, text) = (id.to_string(), text.to_string());
            $crate::blocking(move || h.index_text(&id, &text)).await
        }

        /// Creates a named snapshot. See `Collection::create_snapshot`.
        pub async fn create_snapshot(&self, name: &str) -> vecstore_core::Result<()> {
            let $this = self;
            let h = $handle;
            let name = name.to_string();
            $crate::blocking(move || h.create_snapshot(&name)).await
        }

        /// Restores a named snapshot. See `Collection::restore_snapshot`.
        pub async fn restore_snapshot(&self, name: &str) -> vecstore_core::Result<()> {
            let $this = self;
            let h = $handle;
            let name = name.to_string();
            $crate::blocking(move || h.restore_snapshot(&name)).await
        }

        /// Deletes a named snapshot. See `Collection::delete_snapshot`.
        pub async fn delete_snapshot(&self, name: &str) -> vecstore_core::Result<bool> {
            let $this = self;
            let h = $handle;
            let name = name.to_string();
            $crate::blocking(move || h.delete_snapshot(&name)).await
        }

        /// Lists snapshots. See `Collection::list_snapshots`.
        pub async fn list_snapshots(
            &self,
        ) -> vecstore_core::Result<Vec<vecstore_storage::SnapshotInfo>> {
            let $this = self;
            let h = $handle;
            $crate::blocking(move || h.list_snapshots()).await
        }

        /// Seals the mutable segment to disk. See `Collection::flush`.
        pub async fn flush(&self) -> vecstore_core::Result<()> {
            let $this = self;
            let h = $handle;
            $crate::blocking(move || h.flush()).await
        }

        /// Merges segments and drops dead rows. See `Collection::compact`.
        pub async fn compact(&self) -> vecstore_core::Result<()> {
            let $this = self;
            let h = $handle;
            $crate::blocking(move || h.compact()).await
        }

        /// Counts and sizes. See `Collection::stats`.
        pub async fn stats(&self) -> vecstore_core::Result<vecstore_storage::NamespaceStats> {
            let $this = self;
            let h = $handle;
            $crate::blocking(move || h.stats()).await
        }
    };
}
pub(crate) use data_methods;
