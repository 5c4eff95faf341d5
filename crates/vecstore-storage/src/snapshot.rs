//! Snapshots of a collection: `snapshots/<collection>/<name>/` holds hard
//! links to the segment files (copies where links fail), a copy of the
//! manifest, and `SNAPSHOT` (JSON: name, creation time, record count, size).
//!
//! Create flushes everything first, so a snapshot is exactly the state at
//! the call. Restore links the snapshot's files back into `segments/`,
//! commits the snapshot's manifest (its `flushed_seq` moved past every WAL
//! record, which the WAL then drops) and reloads; files no longer listed
//! are deleted. Delete removes the directory; segment files stay on disk
//! only while the collection or another snapshot still links them.

use crate::engine::{Engine, SEGMENTS_DIR, lock};
use crate::io::atomic::{fsync_dir, write_atomic};
use crate::manifest::{MANIFEST_FILE, Manifest, now_unix_ms, segment_file_name};
use crate::mutable::MutableData;
use crate::sealed::SealedSegment;
use crate::view::{Entry, SegData, View};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use vecstore_core::{Error, Result, validate};

/// Directory of all snapshots, under the database directory.
pub(crate) const SNAPSHOTS_DIR: &str = "snapshots";
const INFO_FILE: &str = "SNAPSHOT";

/// A snapshot as listed by `list_snapshots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    /// Its name.
    pub name: String,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_unix_ms: u64,
    /// Bytes of its files (shared hard links counted in full).
    pub size_bytes: u64,
    /// Live records it holds.
    pub vector_count: usize,
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to).map_err(|e| Error::io(to, e))?;
    std::fs::File::open(to)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(to, e))
}

impl Engine {
    /// `snapshots/<collection>` of this collection's database.
    pub(crate) fn snapshots_root(&self, db_dir: &Path) -> PathBuf {
        db_dir.join(SNAPSHOTS_DIR).join(&self.name)
    }

    pub(crate) fn create_snapshot(&self, db_dir: &Path, name: &str) -> Result<()> {
        validate::name(name)?;
        self.check_writable()?;
        let root = self.snapshots_root(db_dir);
        let dir = root.join(name);
        if dir.exists() {
            return Err(Error::SnapshotExists {
                name: name.to_string(),
            });
        }
        let _m = lock(&self.maint);
        let (manifest, w) = self.quiesce()?;
        let count: usize = manifest
            .doc
            .segments
            .iter()
            .zip(&manifest.dead)
            .map(|(s, d)| s.rows as usize - d.len() as usize)
            .sum();
        let tmp = root.join(format!("{name}.tmp"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        for seg in &manifest.doc.segments {
            let file = segment_file_name(seg.id);
            link_or_copy(&self.dir.join(SEGMENTS_DIR).join(&file), &tmp.join(&file))?;
        }
        manifest.store(&tmp)?;
        drop(w);
        let info = SnapshotInfo {
            name: name.to_string(),
            created_unix_ms: now_unix_ms(),
            size_bytes: dir_size(&tmp),
            vector_count: count,
        };
        // Plain fields always serialise.
        let json = serde_json::to_vec_pretty(&info).unwrap_or_default();
        write_atomic(&tmp.join(INFO_FILE), &json)?;
        std::fs::rename(&tmp, &dir).map_err(|e| Error::io(&dir, e))?;
        fsync_dir(&root)
    }

    pub(crate) fn list_snapshots(&self, db_dir: &Path) -> Result<Vec<SnapshotInfo>> {
        self.check_open()?;
        let root = self.snapshots_root(db_dir);
        let mut out = Vec::new();
        let Ok(rd) = std::fs::read_dir(&root) else {
            return Ok(out);
        };
        for ent in rd.flatten() {
            let name = ent.file_name().to_string_lossy().to_string();
            if validate::name(&name).is_err() {
                continue; // temp dirs of unfinished snapshots
            }
            let p = ent.path().join(INFO_FILE);
            let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
            let info: SnapshotInfo = serde_json::from_slice(&bytes)
                .map_err(|e| Error::corruption(&p, e.column() as u64, e.to_string()))?;
            out.push(info);
        }
        out.sort_by(|a, b| {
            a.created_unix_ms
                .cmp(&b.created_unix_ms)
                .then(a.name.cmp(&b.name))
        });
        Ok(out)
    }

    pub(crate) fn delete_snapshot(&self, db_dir: &Path, name: &str) -> Result<bool> {
        validate::name(name)?;
        self.check_writable()?;
        let dir = self.snapshots_root(db_dir).join(name);
        if !dir.exists() {
            return Ok(false);
        }
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        fsync_dir(&self.snapshots_root(db_dir))?;
        Ok(true)
    }

    pub(crate) fn restore_snapshot(&self, db_dir: &Path, name: &str) -> Result<()> {
        validate::name(name)?;
        self.check_writable()?;
        let snap = self.snapshots_root(db_dir).join(name);
        if !snap.join(MANIFEST_FILE).exists() {
            return Err(Error::SnapshotNotFound {
                name: name.to_string(),
            });
        }
        let _m = lock(&self.maint);
        let mut w = lock(&self.writer);
        let mut manifest = Manifest::load(&snap)?;
        let seg_dir = self.dir.join(SEGMENTS_DIR);
        let mut entries = Vec::with_capacity(manifest.doc.segments.len());
        let mut dim = manifest.doc.config.dimension;
        for (seg, dead) in manifest.doc.segments.iter().zip(&manifest.dead) {
            let file = segment_file_name(seg.id);
            let target = seg_dir.join(&file);
            if !target.exists() {
                link_or_copy(&snap.join(&file), &target)?;
            }
            let s = SealedSegment::open(&target)?;
            dim = dim.or(s.dim());
            entries.push(Entry {
                id: seg.id,
                rows: s.rows(),
                data: SegData::Sealed(Arc::new(s)),
                dead: Arc::new(dead.clone()),
                seq: w.last_seq,
            });
        }
        fsync_dir(&seg_dir)?;
        manifest.doc.flushed_seq = w.last_seq;
        manifest.doc.next_segment_id = manifest.doc.next_segment_id.max(w.next_segment_id);
        manifest.doc.config.dimension = dim;
        manifest.store(&self.dir)?;
        w.flushed_seq = w.last_seq;
        w.next_segment_id = manifest.doc.next_segment_id;
        let fresh = MutableData::new(self.config.metric, dim, &self.config.bm25)?;
        let old = self.view.load_full();
        {
            let _g = crate::engine::write_lock(&old.mutable);
            self.view.store(Arc::new(View {
                entries,
                mutable: Arc::new(RwLock::new(fresh)),
                dim,
            }));
        }
        if let Some(wal) = &w.wal {
            wal.checkpoint(w.last_seq)?;
        }
        drop(w);
        crate::engine::remove_unlisted_segments(&seg_dir, &manifest)
    }
}
