//! The in-memory segment that takes writes: rows appended in WAL order,
//! searched exactly (flat scan), with live metadata indexes and an
//! incremental BM25 index.
//!
//! Why flat and not an incremental HNSW: inserting into HNSW costs far more
//! than the rest of a write (hundreds of microseconds per row at
//! `ef_construction = 200`), which would cap ingest far below the batch
//! target. The mutable segment is bounded (see `flush_rows`), a flat scan of
//! it is cheap and exact, and the graph is built in parallel once, when the
//! segment is sealed in the background.
//!
//! The active segment sits behind an `RwLock` that readers hold only while
//! scanning it; a frozen segment (waiting to be sealed) is never written
//! again.

use crate::metaindex::{MetaIndex, RowMetadata};
use roaring::RoaringBitmap;
use std::collections::HashMap;
use vecstore_core::{Metadata, Metric, Record, Result};
use vecstore_index::{VectorSource, VectorStore};
use vecstore_sparse::{Bm25Config, InvertedIndex};

/// Hasher of id maps: foldhash is several times faster than SipHash on
/// short string keys and still seeded per process.
pub(crate) type IdHasher = foldhash::fast::RandomState;

/// Rows of the mutable segment.
#[derive(Debug)]
pub(crate) struct MutableData {
    metric: Metric,
    ids: Vec<String>,
    /// One row per row of the segment once the dimension is known; rows
    /// without a vector hold zeros and are in `no_vector`.
    vectors: Option<VectorStore>,
    pub(crate) no_vector: RoaringBitmap,
    metadata: Vec<Metadata>,
    texts: Vec<Option<String>>,
    /// Live row of each id.
    id_map: HashMap<String, u32, IdHasher>,
    /// Rows overwritten or deleted while this segment was active.
    pub(crate) dead: RoaringBitmap,
    pub(crate) meta_index: MetaIndex,
    pub(crate) sparse: InvertedIndex,
    /// Highest WAL sequence number applied to this segment.
    pub(crate) last_seq: u64,
    heap_bytes: usize,
}

impl MutableData {
    pub(crate) fn new(metric: Metric, dim: Option<usize>, bm25: &Bm25Config) -> Result<Self> {
        Ok(MutableData {
            metric,
            ids: Vec::new(),
            vectors: match dim {
                Some(d) => Some(VectorStore::new(d, metric)?),
                None => None,
            },
            no_vector: RoaringBitmap::new(),
            metadata: Vec::new(),
            texts: Vec::new(),
            id_map: HashMap::default(),
            dead: RoaringBitmap::new(),
            meta_index: MetaIndex::default(),
            sparse: InvertedIndex::new(bm25.clone())?,
            last_seq: 0,
            heap_bytes: 0,
        })
    }

    pub(crate) fn rows(&self) -> u32 {
        self.ids.len() as u32
    }

    pub(crate) fn live(&self) -> usize {
        self.id_map.len()
    }

    pub(crate) fn metric(&self) -> Metric {
        self.metric
    }

    /// The live row of `id`.
    pub(crate) fn find(&self, id: &str) -> Option<u32> {
        self.id_map.get(id).copied()
    }

    pub(crate) fn id(&self, row: u32) -> &str {
        &self.ids[row as usize]
    }

    pub(crate) fn text(&self, row: u32) -> Option<&str> {
        self.texts[row as usize].as_deref()
    }

    pub(crate) fn metadata(&self, row: u32) -> &Metadata {
        &self.metadata[row as usize]
    }

    /// The stored (prepared) vector of `row`, if it has one.
    pub(crate) fn vector(&self, row: u32) -> Option<&[f32]> {
        if self.no_vector.contains(row) {
            return None;
        }
        self.vectors.as_ref().map(|v| v.vector(row))
    }

    pub(crate) fn vectors(&self) -> Option<&VectorStore> {
        self.vectors.as_ref()
    }

    pub(crate) fn record(&self, row: u32) -> Record {
        Record {
            id: self.id(row).to_string(),
            vector: self.vector(row).map(<[f32]>::to_vec).unwrap_or_default(),
            metadata: self.metadata(row).clone(),
            text: self.text(row).map(str::to_string),
        }
    }

    /// Appends a validated record as a new live row. The caller has already
    /// killed the id's previous row and checked the vector's dimension.
    pub(crate) fn push(&mut self, r: Record) -> Result<u32> {
        let row = self.rows();
        if !r.vector.is_empty() && self.vectors.is_none() {
            let d = r.vector.len();
            let mut store = VectorStore::with_capacity(d, self.metric, row as usize + 1)?;
            let zeros = vec![0.0f32; d];
            for _ in 0..row {
                store.push(&zeros)?;
            }
            self.vectors = Some(store);
        }
        if let Some(store) = self.vectors.as_mut() {
            if r.vector.is_empty() {
                let zeros = vec![0.0f32; store.dim()];
                store.push(&zeros)?;
            } else {
                store.push(&r.vector)?;
            }
        }
        if r.vector.is_empty() {
            self.no_vector.insert(row);
        }
        if let Some(t) = &r.text {
            self.sparse.add(row, t)?;
        }
        self.meta_index.add(row, &r.metadata);
        self.heap_bytes += r.id.len() * 2
            + 48
            + r.text.as_ref().map_or(0, |t| t.len() * 2)
            + 64 * r.metadata.len();
        self.id_map.insert(r.id.clone(), row);
        self.ids.push(r.id);
        self.metadata.push(r.metadata);
        self.texts.push(r.text);
        Ok(row)
    }

    /// Marks `row` dead (overwritten or deleted).
    pub(crate) fn kill(&mut self, row: u32) {
        if self.dead.insert(row) {
            self.sparse.remove(row);
            let id = &self.ids[row as usize];
            if self.id_map.get(id) == Some(&row) {
                self.id_map.remove(id);
            }
        }
    }

    /// Approximate heap bytes.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.heap_bytes
            + self.vectors.as_ref().map_or(0, VectorStore::memory_bytes)
            + self.meta_index.memory_bytes()
    }
}

impl RowMetadata for MutableData {
    fn row_metadata(&self, row: u32) -> Metadata {
        self.metadata[row as usize].clone()
    }
}

/// Exact top-`k` of `vectors` by internal distance among rows that `accept`
/// allows, ascending, ties broken by row.
pub(crate) fn flat_search<V: VectorSource + ?Sized>(
    vectors: &V,
    query: &[f32],
    k: usize,
    rows: impl Iterator<Item = u32>,
) -> Vec<(u32, f32)> {
    let metric = vectors.metric();
    let mut heap: std::collections::BinaryHeap<(Dist, u32)> =
        std::collections::BinaryHeap::with_capacity(k + 1);
    for row in rows {
        if row as usize >= vectors.len() {
            break;
        }
        let d = Dist(metric.distance(query, vectors.vector(row)));
        if heap.len() < k {
            heap.push((d, row));
        } else if let Some(top) = heap.peek()
            && (d, row) < *top
        {
            heap.pop();
            heap.push((d, row));
        }
    }
    let mut out: Vec<(u32, f32)> = heap.into_iter().map(|(d, r)| (r, d.0)).collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    out
}

/// A distance with a total order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Dist(f32);
impl Eq for Dist {}
impl PartialOrd for Dist {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Dist {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}
