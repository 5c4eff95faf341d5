//! Flush (freeze + seal), compaction, and the manifest commits they make.
//!
//! Sealing writes a frozen segment to a file, maps it, and commits a new
//! manifest listing every sealed segment up to it, with `flushed_seq` = the
//! last WAL record the frozen segment holds; then the WAL drops the records
//! it covers. Compaction merges every sealed segment's live rows into one
//! new segment, re-maps rows deleted meanwhile, commits, and deletes the old
//! files. Both hold the `maint` mutex (one at a time) and take the writer
//! mutex only to commit, so writers and readers keep going while a graph is
//! built.

use crate::engine::{Engine, SEGMENTS_DIR, Writer, lock};
use crate::manifest::{Manifest, ManifestDoc, SegmentEntry, now_unix_ms, segment_file_name};
use crate::mutable::MutableData;
use crate::sealed::{SealedSegment, write_segment};
use crate::view::{Entry, SegData, View, read};
use roaring::RoaringBitmap;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use vecstore_core::{Error, Result};

/// Sealed segments beyond this count trigger a background compaction.
pub(crate) const MAX_SEALED_SEGMENTS: usize = 8;

impl Engine {
    pub(crate) fn segment_path(&self, id: u64) -> std::path::PathBuf {
        self.dir.join(SEGMENTS_DIR).join(segment_file_name(id))
    }

    /// The manifest describing the sealed prefix of `view`.
    pub(crate) fn manifest_for(&self, view: &View, w: &Writer) -> Manifest {
        let mut config = self.config.clone();
        config.dimension = config.dimension.or(view.dim);
        let mut segments = Vec::new();
        let mut dead = Vec::new();
        for e in view.entries.iter().take_while(|e| e.is_sealed()) {
            let SegData::Sealed(s) = &e.data else { break };
            segments.push(SegmentEntry {
                id: e.id,
                rows: e.rows,
                bytes: s.file_bytes(),
                dead_offset: 0,
                dead_len: 0,
            });
            dead.push((*e.dead).clone());
        }
        Manifest {
            doc: ManifestDoc {
                config,
                flushed_seq: w.flushed_seq,
                next_segment_id: w.next_segment_id,
                segments,
                written_unix_ms: now_unix_ms(),
            },
            dead,
        }
    }

    /// Writes the frozen entry's file and maps it.
    fn build_sealed(&self, e: &Entry) -> Result<Arc<SealedSegment>> {
        let SegData::Frozen(f) = &e.data else {
            return Err(Error::InvalidArgument {
                name: "segment",
                value: e.id.to_string(),
                reason: "already sealed",
            });
        };
        let path = self.segment_path(e.id);
        {
            let m = read(f);
            write_segment(
                &m,
                self.config.hnsw_m,
                self.config.ef_construction,
                &self.config.bm25,
                &path,
            )?;
        }
        Ok(Arc::new(SealedSegment::open(&path)?))
    }

    /// Replaces frozen entry `id` with `sealed` and commits the manifest.
    fn commit_sealed(&self, w: &mut Writer, id: u64, sealed: Arc<SealedSegment>) -> Result<()> {
        let view = self.view.load_full();
        let Some(pos) = view.entries.iter().position(|x| x.id == id) else {
            return Ok(());
        };
        let mut next = (*view).clone();
        next.entries[pos].data = SegData::Sealed(sealed);
        let seq = next.entries[pos].seq;
        let prev_flushed = w.flushed_seq;
        w.flushed_seq = seq;
        let manifest = self.manifest_for(&next, w);
        if let Err(e) = manifest.store(&self.dir) {
            w.flushed_seq = prev_flushed;
            return Err(e);
        }
        self.view.store(Arc::new(next));
        if let Some(wal) = &w.wal {
            wal.checkpoint(seq)?;
        }
        Ok(())
    }

    /// Seals every frozen segment, oldest first.
    pub(crate) fn seal_pending(&self) -> Result<()> {
        let _m = lock(&self.maint);
        self.seal_pending_locked()
    }

    fn seal_pending_locked(&self) -> Result<()> {
        loop {
            if self.deleted.load(Ordering::Acquire) {
                return Ok(());
            }
            let view = self.view.load_full();
            let Some(e) = view.entries.iter().find(|e| !e.is_sealed()).cloned() else {
                return Ok(());
            };
            let sealed = self.build_sealed(&e)?;
            let mut w = lock(&self.writer);
            self.commit_sealed(&mut w, e.id, sealed)?;
        }
    }

    /// Makes everything written so far part of the manifest's segments.
    pub(crate) fn flush(&self) -> Result<()> {
        self.check_open()?;
        if self.opts.read_only {
            return Ok(());
        }
        let _m = lock(&self.maint);
        {
            let mut w = lock(&self.writer);
            self.freeze(&mut w)?;
        }
        self.seal_pending_locked()
    }

    /// With `maint` held: freezes and seals everything while holding the
    /// writer mutex, and returns the complete manifest at that point.
    pub(crate) fn quiesce(&self) -> Result<(Manifest, std::sync::MutexGuard<'_, Writer>)> {
        let mut w = lock(&self.writer);
        self.freeze(&mut w)?;
        loop {
            let view = self.view.load_full();
            let Some(e) = view.entries.iter().find(|e| !e.is_sealed()).cloned() else {
                break;
            };
            let sealed = self.build_sealed(&e)?;
            self.commit_sealed(&mut w, e.id, sealed)?;
        }
        let view = self.view.load_full();
        Ok((self.manifest_for(&view, &w), w))
    }

    /// Merges all sealed segments into one without dead rows.
    pub(crate) fn compact(&self) -> Result<()> {
        self.check_open()?;
        if self.opts.read_only {
            return Err(Error::ReadOnly);
        }
        let _m = lock(&self.maint);
        let view = self.view.load_full();
        let sealed: Vec<Entry> = view
            .entries
            .iter()
            .take_while(|e| e.is_sealed())
            .cloned()
            .collect();
        let dead: u64 = sealed.iter().map(|e| e.dead.len()).sum();
        if sealed.is_empty() || (sealed.len() == 1 && dead == 0) {
            return Ok(());
        }
        let mut merged = MutableData::new(self.config.metric, view.dim, &self.config.bm25)?;
        let mut maps: Vec<Vec<u32>> = Vec::with_capacity(sealed.len());
        for e in &sealed {
            let SegData::Sealed(s) = &e.data else {
                continue;
            };
            let mut map = Vec::with_capacity(e.rows as usize);
            for row in 0..e.rows {
                if e.dead.contains(row) {
                    map.push(u32::MAX);
                } else {
                    map.push(merged.push(s.record(row)?)?);
                }
            }
            maps.push(map);
        }
        let new_id = {
            let mut w = lock(&self.writer);
            let id = w.next_segment_id;
            w.next_segment_id += 1;
            id
        };
        let new_seg = if merged.rows() > 0 {
            let path = self.segment_path(new_id);
            write_segment(
                &merged,
                self.config.hnsw_m,
                self.config.ef_construction,
                &self.config.bm25,
                &path,
            )?;
            Some(Arc::new(SealedSegment::open(&path)?))
        } else {
            None
        };
        drop(merged);

        let w = lock(&self.writer);
        let view = self.view.load_full();
        let old_ids: HashSet<u64> = sealed.iter().map(|e| e.id).collect();
        let mut merged_dead = RoaringBitmap::new();
        for (old, map) in sealed.iter().zip(&maps) {
            if let Some(cur) = view.entries.iter().find(|x| x.id == old.id) {
                for row in cur.dead.iter() {
                    let new_row = map.get(row as usize).copied().unwrap_or(u32::MAX);
                    if !old.dead.contains(row) && new_row != u32::MAX {
                        merged_dead.insert(new_row);
                    }
                }
            }
        }
        let mut next = (*view).clone();
        next.entries.retain(|e| !old_ids.contains(&e.id));
        if let Some(seg) = new_seg {
            next.entries.insert(
                0,
                Entry {
                    id: new_id,
                    rows: seg.rows(),
                    data: SegData::Sealed(seg),
                    dead: Arc::new(merged_dead),
                    seq: w.flushed_seq,
                },
            );
        }
        let manifest = self.manifest_for(&next, &w);
        manifest.store(&self.dir)?;
        // Under the mutable lock so that readers pair it with the mutable state.
        {
            let active = next.mutable.clone();
            let _g = crate::engine::write_lock(&active);
            self.view.store(Arc::new(next));
        }
        drop(w);
        for id in old_ids {
            let p = self.segment_path(id);
            std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
        Ok(())
    }

    /// Whether compaction is due: enough dead rows or too many segments.
    pub(crate) fn compaction_due(&self) -> bool {
        let view = self.view.load();
        let sealed: Vec<&Entry> = view.entries.iter().filter(|e| e.is_sealed()).collect();
        let dead: u64 = sealed.iter().map(|e| e.dead.len()).sum();
        let rows: u64 = sealed.iter().map(|e| u64::from(e.rows)).sum();
        sealed.len() > MAX_SEALED_SEGMENTS
            || (dead >= self.opts.compact_min_dead
                && dead as f64 >= self.opts.compact_dead_fraction * rows as f64)
    }
}
