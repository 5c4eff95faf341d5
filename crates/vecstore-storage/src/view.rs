//! What a reader sees: an immutable [`View`] of the collection's segments,
//! swapped atomically (`ArcSwap`) by writers, and per-segment search.
//!
//! A view holds the immutable segments (sealed files and frozen in-memory
//! segments waiting to be sealed), each with its own copy-on-write bitmap of
//! deleted rows, plus the active mutable segment behind an `RwLock`.
//! Consistency: a writer changes the mutable segment and stores the view
//! that carries the matching deleted-row bitmaps while it holds the mutable
//! segment's write lock; a reader takes the read lock, loads the view, scans
//! the (small) mutable segment, releases the lock, and then searches the
//! immutable segments of that view without any lock. So a reader sees each
//! write entirely or not at all, and never waits for flushes, compactions or
//! other readers.

use crate::metaindex::{self, MetaIndex};
use crate::mutable::{MutableData, flat_search};
use crate::sealed::SealedSegment;
use roaring::RoaringBitmap;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use vecstore_core::{Filter, Record, Result};
use vecstore_index::SearchFilter;
use vecstore_sparse::{CorpusStats, KeywordFilter, KeywordSegment};

/// The active mutable segment, shared between the view and the writer.
pub(crate) type Active = Arc<RwLock<MutableData>>;

/// Read-locks a segment; a poisoned lock (a panic while writing, which
/// our code does not do) still yields the data, which stays consistent
/// because every mutation is a complete append or bit set.
pub(crate) fn read(m: &RwLock<MutableData>) -> RwLockReadGuard<'_, MutableData> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

/// An immutable segment's data.
#[derive(Clone)]
pub(crate) enum SegData {
    /// A former mutable segment waiting to be written to a file.
    Frozen(Active),
    /// A memory-mapped segment file.
    Sealed(Arc<SealedSegment>),
}

/// One immutable segment in a view.
#[derive(Clone)]
pub(crate) struct Entry {
    /// Segment id (its file name once sealed).
    pub(crate) id: u64,
    pub(crate) data: SegData,
    /// Rows deleted or overwritten since the segment was frozen.
    pub(crate) dead: Arc<RoaringBitmap>,
    /// Rows in the segment.
    pub(crate) rows: u32,
    /// Last WAL sequence number the segment covers.
    pub(crate) seq: u64,
}

impl Entry {
    pub(crate) fn is_sealed(&self) -> bool {
        matches!(self.data, SegData::Sealed(_))
    }
}

/// A consistent picture of the collection.
#[derive(Clone)]
pub(crate) struct View {
    /// Immutable segments, oldest first: sealed ones, then frozen ones.
    pub(crate) entries: Vec<Entry>,
    pub(crate) mutable: Active,
    /// The collection's dimension once known.
    pub(crate) dim: Option<usize>,
}

/// Borrowed access to one segment's rows, whatever kind it is.
pub(crate) enum SegRef<'a> {
    Mem(&'a MutableData),
    Disk(&'a SealedSegment),
}

impl SegRef<'_> {
    pub(crate) fn rows(&self) -> u32 {
        match self {
            SegRef::Mem(m) => m.rows(),
            SegRef::Disk(s) => s.rows(),
        }
    }

    pub(crate) fn id(&self, row: u32) -> String {
        match self {
            SegRef::Mem(m) => m.id(row).to_string(),
            SegRef::Disk(s) => s.id(row),
        }
    }

    pub(crate) fn record(&self, row: u32) -> Result<Record> {
        match self {
            SegRef::Mem(m) => Ok(m.record(row)),
            SegRef::Disk(s) => s.record(row),
        }
    }

    pub(crate) fn no_vector(&self) -> &RoaringBitmap {
        match self {
            SegRef::Mem(m) => &m.no_vector,
            SegRef::Disk(s) => s.no_vector(),
        }
    }

    pub(crate) fn has_vectors(&self) -> bool {
        match self {
            SegRef::Mem(m) => m.vectors().is_some(),
            SegRef::Disk(s) => s.dim().is_some(),
        }
    }

    /// Rows matching `filter` among rows not in `deny`.
    pub(crate) fn filter_rows(
        &self,
        filter: &Filter,
        deny: &RoaringBitmap,
    ) -> Result<RoaringBitmap> {
        let mut all = RoaringBitmap::new();
        all.insert_range(0..self.rows());
        all -= deny;
        Ok(match self {
            SegRef::Mem(m) => metaindex::plan(filter, &m.meta_index, *m, &all),
            SegRef::Disk(s) => {
                let idx: &MetaIndex = s.meta_index()?;
                metaindex::plan(filter, idx, *s, &all)
            }
        })
    }

    /// Top-`k` `(row, internal distance)` for a prepared `query` among rows
    /// not `dead`, with a vector, matching `filter`.
    pub(crate) fn dense(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        exact: bool,
        filter: Option<&Filter>,
        dead: &RoaringBitmap,
    ) -> Result<Vec<(u32, f32)>> {
        if self.rows() == 0 || !self.has_vectors() {
            return Ok(Vec::new());
        }
        let deny = dead | self.no_vector();
        let allow = filter.map(|f| self.filter_rows(f, &deny)).transpose()?;
        if allow.as_ref().is_some_and(RoaringBitmap::is_empty) {
            return Ok(Vec::new());
        }
        match self {
            SegRef::Mem(m) => {
                let Some(vectors) = m.vectors() else {
                    return Ok(Vec::new());
                };
                Ok(match &allow {
                    Some(a) => flat_search(vectors, query, k, a.iter()),
                    None => {
                        let mut all = RoaringBitmap::new();
                        all.insert_range(0..m.rows());
                        all -= &deny;
                        flat_search(vectors, query, k, all.iter())
                    }
                })
            }
            SegRef::Disk(s) => {
                // `SearchFilter::deny` treats an empty set as no filter.
                let sf = match &allow {
                    Some(a) => SearchFilter::allow(a),
                    None => SearchFilter::deny(&deny),
                };
                s.dense_search(query, k, ef, exact, &sf)
            }
        }
    }

    /// This segment's BM25 statistics for `terms`.
    pub(crate) fn corpus_stats(&self, terms: &[String]) -> Result<CorpusStats> {
        match self {
            SegRef::Mem(m) => Ok(m.sparse.corpus_stats(terms)),
            SegRef::Disk(s) => s.with_sparse(|v| v.corpus_stats(terms)),
        }
    }

    /// Top-`k` BM25 `(row, score)` among rows not `dead` matching `filter`,
    /// scored with the collection-wide `stats`.
    pub(crate) fn keyword(
        &self,
        terms: &[String],
        k: usize,
        filter: Option<&Filter>,
        dead: &RoaringBitmap,
        stats: &CorpusStats,
    ) -> Result<Vec<(u32, f32)>> {
        let allow = filter.map(|f| self.filter_rows(f, dead)).transpose()?;
        if allow.as_ref().is_some_and(RoaringBitmap::is_empty) {
            return Ok(Vec::new());
        }
        let mut kf = KeywordFilter::none().deny(dead);
        if let Some(a) = &allow {
            kf = kf.allow(a);
        }
        match self {
            SegRef::Mem(m) => Ok(m.sparse.search_terms(terms, k, &kf, Some(stats))),
            SegRef::Disk(s) => s.with_sparse(|v| v.search_terms(terms, k, &kf, Some(stats))),
        }
    }
}
