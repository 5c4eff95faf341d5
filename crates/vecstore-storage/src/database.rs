//! [`VecDatabase`]: a directory of collections, opened by one writer process.
//!
//! Layout (details in docs/file-format.md):
//!
//! ```text
//! <db>/LOCK                      exclusive lock of the writer process
//! <db>/READERS                   shared lock of read-only handles
//! <db>/FORMAT                    checksummed format-version file ("VSDB")
//! <db>/collections/<name>/MANIFEST, wal/, segments/
//! <db>/snapshots/<collection>/<snapshot>/MANIFEST, SNAPSHOT, *.seg
//! ```

use crate::collection::Collection;
use crate::config::CollectionConfig;
use crate::engine::{Engine, EngineOptions, lock};
use crate::io::atomic::{fsync_dir, read_checksummed_versioned, write_checksummed};
use crate::io::lock::{DirLock, LockMode};
use crate::io::wal::Durability;
use crate::snapshot::SNAPSHOTS_DIR;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use vecstore_core::{Error, Metric, Result, validate};

/// Name of the format-version file.
pub(crate) const FORMAT_FILE: &str = "FORMAT";
const FORMAT_KIND: [u8; 4] = *b"VSDB";
/// Database layout version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const COLLECTIONS_DIR: &str = "collections";

/// Shared state of one open database.
pub(crate) struct DbShared {
    pub(crate) path: PathBuf,
    pub(crate) defaults: CollectionConfig,
    pub(crate) opts: EngineOptions,
    collections: Mutex<HashMap<String, Arc<Engine>>>,
    lock: Arc<DirLock>,
}

impl Drop for DbShared {
    /// Stops every collection's background worker before the engines (and
    /// then the lock) are dropped; each engine seals its data as it drops.
    fn drop(&mut self) {
        let map = self
            .collections
            .get_mut()
            .unwrap_or_else(|e| e.into_inner());
        for engine in map.values() {
            engine.stop_background();
        }
    }
}

/// Options for [`VecDatabase::builder`]: defaults for new collections,
/// durability and read-only mode.
///
/// ```
/// # fn main() -> vecstore_core::Result<()> {
/// use vecstore_core::Metric;
/// use vecstore_storage::{Durability, VecDatabase};
/// let dir = tempfile::tempdir().unwrap();
/// let db = VecDatabase::builder(dir.path())
///     .metric(Metric::L2)
///     .hnsw_m(32)
///     .durability(Durability::Buffered { ms: 10 })
///     .open()?;
/// assert_eq!(db.create_collection("c")?.config().metric, Metric::L2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DatabaseBuilder {
    path: PathBuf,
    defaults: CollectionConfig,
    opts: EngineOptions,
}

impl DatabaseBuilder {
    /// Metric of new collections.
    pub fn metric(mut self, metric: Metric) -> Self {
        self.defaults.metric = metric;
        self
    }
    /// HNSW `M` of new collections.
    pub fn hnsw_m(mut self, m: usize) -> Self {
        self.defaults.hnsw_m = m;
        self
    }
    /// HNSW `ef_construction` of new collections.
    pub fn ef_construction(mut self, ef: usize) -> Self {
        self.defaults.ef_construction = ef;
        self
    }
    /// Default `ef_search` of new collections.
    pub fn ef_search(mut self, ef: usize) -> Self {
        self.defaults.ef_search = ef;
        self
    }
    /// Dimension of new collections (otherwise taken from the first vector).
    pub fn dimension(mut self, d: usize) -> Self {
        self.defaults.dimension = Some(d);
        self
    }
    /// When writes are durable (default [`Durability::Sync`]).
    pub fn durability(mut self, d: Durability) -> Self {
        self.opts.durability = d;
        self
    }
    /// Opens without the write lock: sees the last flushed state, rejects
    /// writes with [`Error::ReadOnly`], and may run next to a writer.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.opts.read_only = read_only;
        self
    }
    /// Rows of the in-memory segment that trigger a background flush
    /// (default 20 000).
    pub fn flush_threshold(mut self, rows: usize) -> Self {
        self.opts.flush_rows = rows.max(1);
        self
    }
    /// Deleted rows that trigger a background compaction once they are
    /// also `fraction` of all stored rows (defaults 1000 and 0.2).
    pub fn compaction_threshold(mut self, min_dead: u64, fraction: f64) -> Self {
        self.opts.compact_min_dead = min_dead;
        self.opts.compact_dead_fraction = fraction;
        self
    }

    /// Whether closing a collection (dropping its last handle) seals its
    /// in-memory segment into a file (default `true`). With `false`, close
    /// is instant and the next open replays the WAL instead.
    pub fn flush_on_close(mut self, flush: bool) -> Self {
        self.opts.flush_on_close = flush;
        self
    }

    /// Opens (creating when absent, unless read-only) the database.
    pub fn open(self) -> Result<VecDatabase> {
        self.defaults.validate()?;
        let path = self.path;
        let read_only = self.opts.read_only;
        if !read_only {
            std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        } else if !path.is_dir() {
            return Err(Error::io(
                &path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "database directory not found"),
            ));
        }
        let mode = if read_only {
            LockMode::Shared
        } else {
            LockMode::Exclusive
        };
        let lock = Arc::new(DirLock::acquire(&path, mode)?);
        let format = path.join(FORMAT_FILE);
        if format.exists() {
            read_checksummed_versioned(&format, FORMAT_KIND, FORMAT_VERSION)?;
        } else if !read_only {
            write_checksummed(&format, FORMAT_KIND, FORMAT_VERSION, b"{\"format\":1}")?;
        } else {
            return Err(Error::corruption(&format, 0, "format file missing"));
        }
        if !read_only {
            for d in [COLLECTIONS_DIR, SNAPSHOTS_DIR] {
                let p = path.join(d);
                std::fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
            }
            fsync_dir(&path)?;
        }
        Ok(VecDatabase {
            inner: Arc::new(DbShared {
                path,
                defaults: self.defaults,
                opts: self.opts,
                collections: Mutex::new(HashMap::new()),
                lock,
            }),
        })
    }
}

/// A database: a directory of named collections. Cheap to clone (an
/// `Arc`), `Send + Sync`. One process may open a directory for writing; a
/// second gets [`Error::Locked`] at once.
///
/// ```
/// # fn main() -> vecstore_core::Result<()> {
/// use vecstore_storage::VecDatabase;
/// let dir = tempfile::tempdir().unwrap();
/// let db = VecDatabase::open(dir.path())?;
/// db.create_collection("docs")?;
/// db.create_collection("users")?;
/// assert_eq!(db.list_collections()?, vec!["docs", "users"]);
/// assert!(db.delete_collection("users")?);
/// assert!(db.get_collection("users")?.is_none());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct VecDatabase {
    pub(crate) inner: Arc<DbShared>,
}

impl std::fmt::Debug for VecDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VecDatabase")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl VecDatabase {
    /// Opens (or creates) the database at `path` with default settings.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::builder(path).open()
    }

    /// A builder for opening with settings.
    pub fn builder(path: impl AsRef<Path>) -> DatabaseBuilder {
        DatabaseBuilder {
            path: path.as_ref().to_path_buf(),
            defaults: CollectionConfig::default(),
            opts: EngineOptions::default(),
        }
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn collection_dir(&self, name: &str) -> PathBuf {
        self.inner.path.join(COLLECTIONS_DIR).join(name)
    }

    fn handle(&self, engine: Arc<Engine>) -> Collection {
        Collection {
            engine,
            db: self.inner.clone(),
        }
    }

    /// Creates collection `name` with the database's default settings.
    /// Errors with [`Error::CollectionExists`] if it exists.
    pub fn create_collection(&self, name: &str) -> Result<Collection> {
        self.create_collection_with(name, self.inner.defaults.clone())
    }

    /// Creates collection `name` with `config`.
    pub fn create_collection_with(
        &self,
        name: &str,
        config: CollectionConfig,
    ) -> Result<Collection> {
        validate::name(name)?;
        config.validate()?;
        if self.inner.opts.read_only {
            return Err(Error::ReadOnly);
        }
        let mut map = lock(&self.inner.collections);
        let dir = self.collection_dir(name);
        if map.contains_key(name) || dir.exists() {
            return Err(Error::CollectionExists {
                name: name.to_string(),
            });
        }
        // Built under a temporary name and renamed: a crash never leaves a
        // half-created collection behind a valid name.
        let tmp = self
            .inner
            .path
            .join(COLLECTIONS_DIR)
            .join(format!(".{name}.creating"));
        let _ = std::fs::remove_dir_all(&tmp);
        Engine::create_files(&tmp, &config)?;
        std::fs::rename(&tmp, &dir).map_err(|e| Error::io(&dir, e))?;
        fsync_dir(&self.inner.path.join(COLLECTIONS_DIR))?;
        let engine = Engine::open(name, dir, self.inner.opts.clone(), self.inner.lock.clone())?;
        map.insert(name.to_string(), engine.clone());
        Ok(self.handle(engine))
    }

    /// The collection `name`, or `None`.
    pub fn get_collection(&self, name: &str) -> Result<Option<Collection>> {
        validate::name(name)?;
        let mut map = lock(&self.inner.collections);
        if let Some(e) = map.get(name) {
            return Ok(Some(self.handle(e.clone())));
        }
        let dir = self.collection_dir(name);
        if !dir.join(crate::manifest::MANIFEST_FILE).exists() {
            return Ok(None);
        }
        let engine = Engine::open(name, dir, self.inner.opts.clone(), self.inner.lock.clone())?;
        map.insert(name.to_string(), engine.clone());
        Ok(Some(self.handle(engine)))
    }

    /// The collection `name`, created with default settings if absent.
    pub fn get_or_create_collection(&self, name: &str) -> Result<Collection> {
        match self.get_collection(name)? {
            Some(c) => Ok(c),
            None => match self.create_collection(name) {
                Err(Error::CollectionExists { .. }) => {
                    self.get_collection(name)?
                        .ok_or_else(|| Error::CollectionNotFound {
                            name: name.to_string(),
                        })
                }
                other => other,
            },
        }
    }

    /// Names of all collections, sorted.
    pub fn list_collections(&self) -> Result<Vec<String>> {
        let dir = self.inner.path.join(COLLECTIONS_DIR);
        let mut out = Vec::new();
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return Ok(out);
        };
        for ent in rd.flatten() {
            let name = ent.file_name().to_string_lossy().to_string();
            if validate::name(&name).is_ok()
                && ent.path().join(crate::manifest::MANIFEST_FILE).exists()
            {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Deletes collection `name` with its files and snapshots; `Ok(false)`
    /// if it does not exist. Open handles on it then fail with
    /// [`Error::CollectionNotFound`].
    pub fn delete_collection(&self, name: &str) -> Result<bool> {
        validate::name(name)?;
        if self.inner.opts.read_only {
            return Err(Error::ReadOnly);
        }
        let mut map = lock(&self.inner.collections);
        if let Some(engine) = map.remove(name) {
            engine.deleted.store(true, Ordering::Release);
            engine.stop_background();
            // Wait for in-flight maintenance and writes, then close the WAL.
            let _m = lock(&engine.maint);
            lock(&engine.writer).wal = None;
        }
        let dir = self.collection_dir(name);
        if !dir.exists() {
            return Ok(false);
        }
        // Renamed first so the name disappears atomically.
        let trash = self
            .inner
            .path
            .join(COLLECTIONS_DIR)
            .join(format!(".{name}.deleting"));
        let _ = std::fs::remove_dir_all(&trash);
        std::fs::rename(&dir, &trash).map_err(|e| Error::io(&dir, e))?;
        fsync_dir(&self.inner.path.join(COLLECTIONS_DIR))?;
        std::fs::remove_dir_all(&trash).map_err(|e| Error::io(&trash, e))?;
        let snaps = self.inner.path.join(SNAPSHOTS_DIR).join(name);
        if snaps.exists() {
            std::fs::remove_dir_all(&snaps).map_err(|e| Error::io(&snaps, e))?;
        }
        Ok(true)
    }

    /// Flushes every open collection.
    pub fn flush(&self) -> Result<()> {
        let engines: Vec<Arc<Engine>> = lock(&self.inner.collections).values().cloned().collect();
        for e in engines {
            e.flush()?;
        }
        Ok(())
    }
}
