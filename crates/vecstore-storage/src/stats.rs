//! [`NamespaceStats`]: counts and sizes of one collection.

use crate::engine::Engine;
use crate::view::{SegData, read};
use roaring::RoaringBitmap;
use serde::Serialize;
use vecstore_core::{Metric, Result};

/// Counts, sizes and settings of a collection, from `Collection::stats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamespaceStats {
    /// Live records that have a vector.
    pub vector_count: usize,
    /// Deleted or overwritten rows still stored (compaction drops them).
    pub deleted_count: usize,
    /// The dimension, once fixed.
    pub dimension: Option<usize>,
    /// The metric.
    pub metric: Metric,
    /// Immutable segments (sealed files and segments being sealed).
    pub segment_count: usize,
    /// Bytes of the collection's files (manifest, WAL, segments).
    pub disk_bytes: u64,
    /// Approximate heap bytes (mapped segment files not included).
    pub memory_bytes: u64,
    /// Live records with indexed text.
    pub text_count: usize,
}

fn dir_bytes(p: &std::path::Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

impl Engine {
    pub(crate) fn stats(&self) -> Result<NamespaceStats> {
        self.check_open()?;
        let (view, mut s) = self.with_snapshot(|v, m| {
            let dead_or_novec = &m.dead | &m.no_vector;
            let s = NamespaceStats {
                vector_count: m.rows() as usize - dead_or_novec.len() as usize,
                deleted_count: m.dead.len() as usize,
                dimension: self.config.dimension.or(v.dim),
                metric: self.config.metric,
                segment_count: v.entries.len(),
                disk_bytes: 0,
                memory_bytes: m.memory_bytes() as u64,
                text_count: (m.sparse.rows() - &m.dead).len() as usize,
            };
            (v.clone(), s)
        });
        for e in &view.entries {
            let (novec, text, mem): (RoaringBitmap, RoaringBitmap, usize) = match &e.data {
                SegData::Frozen(f) => {
                    let f = read(f);
                    (
                        f.no_vector.clone(),
                        f.sparse.rows().clone(),
                        f.memory_bytes(),
                    )
                }
                SegData::Sealed(x) => (
                    x.no_vector().clone(),
                    x.has_text().clone(),
                    x.memory_bytes(),
                ),
            };
            s.vector_count += e.rows as usize - (&novec | e.dead.as_ref()).len() as usize;
            s.text_count += (text - e.dead.as_ref()).len() as usize;
            s.deleted_count += e.dead.len() as usize;
            s.memory_bytes += mem as u64;
        }
        s.disk_bytes = dir_bytes(&self.dir);
        Ok(s)
    }
}
