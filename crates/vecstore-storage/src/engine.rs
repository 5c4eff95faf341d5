//! The engine of one collection: open and WAL replay, the write path, and
//! the shared state that readers snapshot.
//!
//! Write path (all under the writer mutex, so WAL order = apply order):
//! resolve the call into self-contained records (an upsert carries over the
//! previous text, `update_metadata` and `index_text` become full upserts),
//! validate, encode one WAL record, append it, apply it to the mutable
//! segment. Because a logged op never depends on the state it is applied to
//! (beyond "kill the live row of this id, if any"), replaying it is
//! idempotent, which lets the manifest carry deleted-row bitmaps newer than
//! its `flushed_seq`.

use crate::config::CollectionConfig;
use crate::io::lock::DirLock;
use crate::io::wal::{Durability, Wal, WalOptions};
use crate::manifest::{Manifest, segment_file_name};
use crate::mutable::{IdHasher, MutableData};
use crate::ops::Op;
use crate::sealed::SealedSegment;
use crate::view::{Entry, SegData, View, read};
use arc_swap::ArcSwap;
use roaring::RoaringBitmap;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak, mpsc};
use vecstore_core::{Error, Metadata, Record, Result, Value, validate};

/// Directory of the WAL inside a collection directory.
pub(crate) const WAL_DIR: &str = "wal";
/// Directory of the segment files inside a collection directory.
pub(crate) const SEGMENTS_DIR: &str = "segments";
/// More frozen segments than this make writers seal before returning.
const MAX_FROZEN: usize = 2;

/// Engine tuning shared by the collections of one database.
#[derive(Debug, Clone)]
pub(crate) struct EngineOptions {
    pub(crate) durability: Durability,
    pub(crate) read_only: bool,
    /// Rows in the mutable segment that trigger a background flush.
    pub(crate) flush_rows: usize,
    /// Dead rows that trigger a background compaction when they are also
    /// `compact_dead_fraction` of all rows.
    pub(crate) compact_min_dead: u64,
    pub(crate) compact_dead_fraction: f64,
    /// Seal the mutable segment when the last handle is dropped.
    pub(crate) flush_on_close: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            durability: Durability::default(),
            read_only: false,
            flush_rows: 20_000,
            compact_min_dead: 1_000,
            compact_dead_fraction: 0.2,
            flush_on_close: true,
        }
    }
}

/// State owned by the single writer.
pub(crate) struct Writer {
    pub(crate) wal: Option<Arc<Wal>>,
    /// Highest WAL sequence number applied.
    pub(crate) last_seq: u64,
    /// Every op up to this seq is in the manifest's segments.
    pub(crate) flushed_seq: u64,
    pub(crate) next_segment_id: u64,
}

/// Background work items.
pub(crate) enum Task {
    Seal,
    Compact,
}

/// One open collection.
pub(crate) struct Engine {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    pub(crate) opts: EngineOptions,
    pub(crate) config: CollectionConfig,
    pub(crate) view: ArcSwap<View>,
    pub(crate) writer: Mutex<Writer>,
    /// Serialises sealing, compaction and snapshot work.
    pub(crate) maint: Mutex<()>,
    pub(crate) deleted: AtomicBool,
    pub(crate) compacting: AtomicBool,
    bg: Mutex<Option<mpsc::Sender<Task>>>,
    bg_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    closing: AtomicBool,
    pub(crate) self_ref: Weak<Engine>,
    /// Keeps the database lock held while this engine lives.
    pub(crate) _lock: Arc<DirLock>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn write_lock(m: &RwLock<MutableData>) -> std::sync::RwLockWriteGuard<'_, MutableData> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

/// What a resolved write does.
pub(crate) struct Outcome {
    /// Whether the id(s) existed before (for delete / update_metadata).
    pub(crate) existed: bool,
}

impl Engine {
    /// Creates the directory layout and the first manifest of a new collection.
    pub(crate) fn create_files(dir: &Path, config: &CollectionConfig) -> Result<()> {
        std::fs::create_dir_all(dir.join(SEGMENTS_DIR)).map_err(|e| Error::io(dir, e))?;
        std::fs::create_dir_all(dir.join(WAL_DIR)).map_err(|e| Error::io(dir, e))?;
        Manifest::new(config.clone()).store(dir)?;
        crate::io::atomic::fsync_dir(crate::io::atomic::parent_dir(dir))
    }

    /// Opens the collection in `dir`: reads the manifest, maps the segments,
    /// replays the WAL.
    pub(crate) fn open(
        name: &str,
        dir: PathBuf,
        opts: EngineOptions,
        lock: Arc<DirLock>,
    ) -> Result<Arc<Engine>> {
        let manifest = Manifest::load(&dir)?;
        let config = manifest.doc.config.clone();
        let seg_dir = dir.join(SEGMENTS_DIR);
        let mut entries = Vec::with_capacity(manifest.doc.segments.len());
        let mut dim = config.dimension;
        for (seg, dead) in manifest.doc.segments.iter().zip(&manifest.dead) {
            let path = seg_dir.join(segment_file_name(seg.id));
            let s = SealedSegment::open(&path)?;
            if s.rows() != seg.rows {
                return Err(Error::corruption(
                    &path,
                    0,
                    format!("segment has {} rows, manifest says {}", s.rows(), seg.rows),
                ));
            }
            if let (Some(a), Some(b)) = (dim, s.dim())
                && a != b
            {
                return Err(Error::corruption(
                    &path,
                    0,
                    format!("segment dimension {b} differs from collection's {a}"),
                ));
            }
            dim = dim.or(s.dim());
            entries.push(Entry {
                id: seg.id,
                rows: seg.rows,
                data: SegData::Sealed(Arc::new(s)),
                dead: Arc::new(dead.clone()),
                seq: manifest.doc.flushed_seq,
            });
        }
        if !opts.read_only {
            remove_unlisted_segments(&seg_dir, &manifest)?;
        }
        let mutable = MutableData::new(config.metric, dim, &config.bm25)?;
        let view = View {
            entries,
            mutable: Arc::new(RwLock::new(mutable)),
            dim,
        };
        let mut writer = Writer {
            wal: None,
            last_seq: manifest.doc.flushed_seq,
            flushed_seq: manifest.doc.flushed_seq,
            next_segment_id: manifest.doc.next_segment_id,
        };
        let engine = Arc::new_cyclic(|weak| Engine {
            name: name.to_string(),
            dir: dir.clone(),
            opts: opts.clone(),
            config,
            view: ArcSwap::from_pointee(view),
            writer: Mutex::new(Writer {
                wal: None,
                last_seq: 0,
                flushed_seq: 0,
                next_segment_id: 0,
            }),
            maint: Mutex::new(()),
            deleted: AtomicBool::new(false),
            compacting: AtomicBool::new(false),
            bg: Mutex::new(None),
            bg_thread: Mutex::new(None),
            closing: AtomicBool::new(false),
            self_ref: weak.clone(),
            _lock: lock,
        });
        if !opts.read_only {
            let wal_dir = dir.join(WAL_DIR);
            let (wal, records) = Wal::open_with(
                &dir,
                WalOptions {
                    // Under Sync the engine syncs after releasing the writer
                    // mutex (group commit across writers); see `write`.
                    durability: match opts.durability {
                        Durability::Sync => Durability::None,
                        d => d,
                    },
                    min_next_seq: writer.flushed_seq + 1,
                    ..WalOptions::default()
                },
            )?;
            for rec in records {
                if rec.seq <= writer.flushed_seq {
                    continue;
                }
                let op = Op::decode(&rec.payload, &wal_dir)?;
                // A record that failed validation when it was written failed
                // the same way then and changed nothing; skip it likewise.
                match engine.apply(op, rec.seq, true) {
                    Ok(_) => {}
                    Err(e @ (Error::Io { .. } | Error::Corruption { .. })) => return Err(e),
                    Err(_) => {}
                }
                writer.last_seq = rec.seq;
                if read(&engine.view.load().mutable).rows() as usize >= opts.flush_rows {
                    engine.freeze(&mut writer)?;
                }
            }
            writer.wal = Some(Arc::new(wal));
        }
        *lock_writer(&engine) = writer;
        if !opts.read_only {
            engine.start_background();
            if engine.has_frozen() {
                engine.notify(Task::Seal);
            }
        }
        Ok(engine)
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        if self.deleted.load(Ordering::Acquire) {
            return Err(Error::CollectionNotFound {
                name: self.name.clone(),
            });
        }
        Ok(())
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        self.check_open()?;
        if self.opts.read_only {
            return Err(Error::ReadOnly);
        }
        Ok(())
    }

    fn has_frozen(&self) -> bool {
        self.view.load().entries.iter().any(|e| !e.is_sealed())
    }

    fn frozen_count(&self) -> usize {
        self.view
            .load()
            .entries
            .iter()
            .filter(|e| !e.is_sealed())
            .count()
    }

    /// Locates the live row of `id` in `view` (the caller holds the
    /// mutable segment's lock as `m`): `None` if the id is not live.
    pub(crate) fn locate_record(view: &View, m: &MutableData, id: &str) -> Result<Option<Record>> {
        Self::locate_with(view, m, id, MutableData::record, SealedSegment::record)
    }

    /// Whether `id` has a live row.
    pub(crate) fn is_live(view: &View, m: &MutableData, id: &str) -> Result<bool> {
        Ok(Self::locate_with(view, m, id, |_, _| (), |_, _| Ok(()))?.is_some())
    }

    /// The stored text of the live row of `id`, if any.
    pub(crate) fn locate_text(view: &View, m: &MutableData, id: &str) -> Result<Option<String>> {
        let text = Self::locate_with(
            view,
            m,
            id,
            |m, row| m.text(row).map(str::to_string),
            |s, row| Ok(s.text(row)),
        )?;
        Ok(text.flatten())
    }

    /// Finds the live row of `id` (newest segment first) and reads it with
    /// `mem` (mutable or frozen segment) or `sealed`.
    fn locate_with<T>(
        view: &View,
        m: &MutableData,
        id: &str,
        mem: impl Fn(&MutableData, u32) -> T,
        sealed: impl Fn(&SealedSegment, u32) -> Result<T>,
    ) -> Result<Option<T>> {
        if let Some(row) = m.find(id) {
            return Ok(Some(mem(m, row)));
        }
        for e in view.entries.iter().rev() {
            match &e.data {
                SegData::Frozen(f) => {
                    let f = read(f);
                    if let Some(row) = f.find(id).filter(|r| !e.dead.contains(*r)) {
                        return Ok(Some(mem(&f, row)));
                    }
                }
                SegData::Sealed(s) => {
                    if let Some(row) = s.find(id).filter(|r| !e.dead.contains(*r)) {
                        return Ok(Some(sealed(s, row)?));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Runs one write: `resolve` turns the call into an op given the
    /// current state (validating everything), then the op is logged and
    /// applied. `resolve` returning `Ok(None)` means "nothing to do".
    pub(crate) fn write(
        &self,
        resolve: impl FnOnce(&View, &MutableData) -> Result<Option<Op>>,
    ) -> Result<Outcome> {
        self.check_writable()?;
        let outcome;
        let wal;
        {
            let mut w = lock(&self.writer);
            self.check_writable()?;
            let view = self.view.load_full();
            let op = {
                let m = read(&view.mutable);
                resolve(&view, &m)?
            };
            let Some(op) = op else {
                return Ok(Outcome { existed: false });
            };
            let payload = op.encode();
            wal = w.wal.clone().ok_or(Error::ReadOnly)?;
            let seq = wal.append(&payload)?;
            outcome = self.apply(op, seq, false)?;
            w.last_seq = seq;
            let rows = read(&self.view.load().mutable).rows() as usize;
            if rows >= self.opts.flush_rows {
                self.freeze(&mut w)?;
                self.notify(Task::Seal);
            }
        }
        if self.opts.durability == Durability::Sync {
            // Outside the writer mutex: concurrent writers share this fsync.
            wal.sync()?;
        }
        if self.frozen_count() > MAX_FROZEN {
            // Backpressure: sealing is slower than writing; help it.
            self.seal_pending()?;
        }
        self.maybe_compact();
        Ok(outcome)
    }

    /// Applies a logged op to the in-memory state; `replayed` ops (read back
    /// from the WAL) get their vectors' values checked again.
    pub(crate) fn apply(&self, op: Op, seq: u64, replayed: bool) -> Result<Outcome> {
        let view = self.view.load_full();
        let mut m = write_lock(&view.mutable);
        let mut new_dead: BTreeMap<usize, RoaringBitmap> = BTreeMap::new();
        // Check everything first: an op that cannot apply must leave the
        // state untouched (batches are atomic).
        let dim = check_dims(&op, view.dim, replayed)?;
        let existed = match op {
            Op::Batch(ops) => {
                let mut existed = false;
                for op in ops {
                    existed |= apply_one(&view, &mut m, &mut new_dead, op)?;
                }
                existed
            }
            op => apply_one(&view, &mut m, &mut new_dead, op)?,
        };
        m.last_seq = seq;
        if !new_dead.is_empty() || dim != view.dim {
            let mut next = (*view).clone();
            for (i, d) in new_dead {
                next.entries[i].dead = Arc::new(d);
            }
            next.dim = dim;
            // Stored while the mutable lock is held: readers see both or neither.
            self.view.store(Arc::new(next));
        }
        drop(m);
        Ok(Outcome { existed })
    }

    /// Moves the mutable segment into the frozen list and starts a new one.
    pub(crate) fn freeze(&self, w: &mut Writer) -> Result<()> {
        let view = self.view.load_full();
        let m = write_lock(&view.mutable);
        if m.rows() == 0 {
            return Ok(());
        }
        let fresh = MutableData::new(self.config.metric, view.dim, &self.config.bm25)?;
        let mut next = (*view).clone();
        next.entries.push(Entry {
            id: w.next_segment_id,
            rows: m.rows(),
            data: SegData::Frozen(view.mutable.clone()),
            dead: Arc::new(m.dead.clone()),
            seq: w.last_seq,
        });
        w.next_segment_id += 1;
        next.mutable = Arc::new(RwLock::new(fresh));
        self.view.store(Arc::new(next));
        drop(m);
        Ok(())
    }

    fn start_background(&self) {
        let (tx, rx) = mpsc::channel::<Task>();
        let weak = self.self_ref.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("vecstore-{}", self.name))
            .spawn(move || {
                while let Ok(task) = rx.recv() {
                    let Some(engine) = weak.upgrade() else { break };
                    if engine.deleted.load(Ordering::Acquire)
                        || engine.closing.load(Ordering::Acquire)
                    {
                        break;
                    }
                    // Errors here leave the data in the WAL and the frozen
                    // segment; the next flush or open retries.
                    let _ = match task {
                        Task::Seal => engine.seal_pending(),
                        Task::Compact => {
                            let r = engine.compact();
                            engine.compacting.store(false, Ordering::Release);
                            r
                        }
                    };
                }
            });
        if let Ok(handle) = spawned {
            *lock(&self.bg) = Some(tx);
            *lock(&self.bg_thread) = Some(handle);
        }
    }

    /// Queues background work; without a worker, does it inline.
    pub(crate) fn notify(&self, task: Task) {
        let sent = match lock(&self.bg).as_ref() {
            Some(tx) => tx.send(task).is_ok(),
            None => false,
        };
        if !sent {
            // No worker (closing): seal inline, leave compaction for later.
            self.compacting.store(false, Ordering::Release);
            let _ = self.seal_pending();
        }
    }

    /// Schedules a compaction when dead rows or segments pass the thresholds.
    fn maybe_compact(&self) {
        if self.compaction_due() && !self.compacting.swap(true, Ordering::AcqRel) {
            self.notify(Task::Compact);
        }
    }

    /// Stops background work (on delete or close) and waits for the
    /// worker to finish its current task, so that nothing touches the
    /// directory after the database lock is released.
    pub(crate) fn stop_background(&self) {
        self.closing.store(true, Ordering::Release);
        lock(&self.bg).take();
        let handle = lock(&self.bg_thread).take();
        if let Some(h) = handle
            && h.thread().id() != std::thread::current().id()
        {
            let _ = h.join();
        }
    }
}

/// The dimension after `op`'s vectors, checking each against the one
/// before it. Only resolved ops (upserts, deletes, batches of them) are
/// logged; anything else is refused before the state changes.
/// `values` also checks every component is finite: for ops read back from
/// the WAL. Ops from a live write were fully validated at the API boundary
/// before they were resolved, so only their lengths are checked here.
fn check_dims(op: &Op, mut dim: Option<usize>, values: bool) -> Result<Option<usize>> {
    match op {
        Op::Upsert(records) => {
            for r in records.iter().filter(|r| !r.vector.is_empty()) {
                if values {
                    validate::vector(&r.vector, dim)?;
                } else {
                    validate::same_dimension(&r.vector, dim)?;
                }
                dim = Some(r.vector.len());
            }
        }
        Op::Delete(_) => {}
        Op::Batch(ops) => {
            for op in ops {
                if matches!(op, Op::Batch(_)) {
                    return Err(unresolved());
                }
                dim = check_dims(op, dim, values)?;
            }
        }
        Op::IndexText { .. } | Op::UpdateMetadata { .. } => return Err(unresolved()),
    }
    Ok(dim)
}

fn unresolved() -> Error {
    Error::InvalidArgument {
        name: "op",
        value: "unresolved".into(),
        reason: "only upserts and deletes (or batches of them) are logged",
    }
}

/// Applies one checked upsert or delete; returns whether an id it touched
/// was live before.
fn apply_one(
    view: &View,
    m: &mut MutableData,
    new_dead: &mut BTreeMap<usize, RoaringBitmap>,
    op: Op,
) -> Result<bool> {
    match op {
        Op::Upsert(records) => {
            let mut existed = false;
            for r in records {
                existed |= kill_live(view, m, new_dead, &r.id);
                m.push(r)?;
            }
            Ok(existed)
        }
        Op::Delete(id) => Ok(kill_live(view, m, new_dead, &id)),
        _ => Err(unresolved()),
    }
}

fn lock_writer(e: &Engine) -> MutexGuard<'_, Writer> {
    lock(&e.writer)
}

/// Kills the live row of `id`, wherever it is. Returns whether one existed.
fn kill_live(
    view: &View,
    m: &mut MutableData,
    new_dead: &mut BTreeMap<usize, RoaringBitmap>,
    id: &str,
) -> bool {
    if let Some(row) = m.find(id) {
        m.kill(row);
        return true;
    }
    for (i, e) in view.entries.iter().enumerate().rev() {
        let row = match &e.data {
            SegData::Frozen(f) => read(f).find(id),
            SegData::Sealed(s) => s.find(id),
        };
        if let Some(row) = row {
            let dead = new_dead.get(&i).unwrap_or(&e.dead);
            if !dead.contains(row) {
                new_dead
                    .entry(i)
                    .or_insert_with(|| (*e.dead).clone())
                    .insert(row);
                return true;
            }
        }
    }
    false
}

/// Deletes segment files (and temp files) the manifest does not list: the
/// leftovers of a crash between writing a segment and committing it, or of
/// a compaction whose old files were not yet removed.
pub(crate) fn remove_unlisted_segments(seg_dir: &Path, manifest: &Manifest) -> Result<()> {
    let listed: std::collections::HashSet<String> = manifest
        .doc
        .segments
        .iter()
        .map(|s| segment_file_name(s.id))
        .collect();
    let Ok(rd) = std::fs::read_dir(seg_dir) else {
        return Ok(());
    };
    for ent in rd.flatten() {
        let name = ent.file_name().to_string_lossy().to_string();
        if !listed.contains(&name) {
            let p = ent.path();
            std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
    }
    Ok(())
}

/// Checks metadata values (no NaN or infinite floats, which JSON cannot hold).
pub(crate) fn validate_metadata(m: &Metadata) -> Result<()> {
    fn ok(v: &Value) -> bool {
        match v {
            Value::Float(f) => f.is_finite(),
            Value::List(l) => l.iter().all(ok),
            _ => true,
        }
    }
    for (k, v) in m.iter() {
        if !ok(v) {
            return Err(Error::InvalidArgument {
                name: "metadata",
                value: k.clone(),
                reason: "metadata numbers must be finite",
            });
        }
    }
    Ok(())
}

/// Resolves upserts (ids and vectors already validated with
/// [`validate::id`] and [`validate::vector`]) into self-contained records:
/// validates metadata, checks and fixes the dimension, and carries over the stored text of ids
/// whose record gives none.
pub(crate) fn resolve_upserts(
    view: &View,
    m: &MutableData,
    records: Vec<Record>,
) -> Result<Option<Op>> {
    if records.is_empty() {
        return Ok(None);
    }
    let mut dim = view.dim;
    // Ids and vectors were validated by the caller, outside the writer lock.
    for r in &records {
        validate::same_dimension(&r.vector, dim)?;
        dim = Some(r.vector.len());
        validate_metadata(&r.metadata)?;
    }
    // A record without text keeps the id's stored text: the text of an
    // earlier record of this batch with the same id, else the live row's.
    let mut earlier: HashMap<&str, usize, IdHasher> = HashMap::default();
    let prev: Vec<Option<usize>> = records
        .iter()
        .enumerate()
        .map(|(i, r)| earlier.insert(r.id.as_str(), i))
        .collect();
    drop(earlier);
    let mut out: Vec<Record> = Vec::with_capacity(records.len());
    for (mut r, prev) in records.into_iter().zip(prev) {
        if r.text.is_none() {
            r.text = match prev {
                Some(j) => out[j].text.clone(),
                None => Engine::locate_text(view, m, &r.id)?,
            };
        }
        out.push(r);
    }
    Ok(Some(Op::Upsert(out)))
}

impl Drop for Engine {
    /// A clean close seals the mutable segment so the next open maps files
    /// instead of replaying the WAL. Errors are ignored: the WAL still
    /// holds everything.
    fn drop(&mut self) {
        if self.opts.flush_on_close && !self.opts.read_only && !self.deleted.load(Ordering::Acquire)
        {
            let _ = self.flush();
        }
    }
}
