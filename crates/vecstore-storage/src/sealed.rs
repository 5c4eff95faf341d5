//! Immutable segments: sealing a mutable segment into a segment file, and
//! searching a memory-mapped segment file in place.
//!
//! A segment file is the sectioned container of [`crate::io::segment_file`]
//! (64-byte aligned, checksummed sections). The sections this module writes
//! are listed in docs/file-format.md ("Section ids (engine)"): a JSON header,
//! the prepared vectors, the string id table with a sorted permutation for
//! lookups, per-row metadata (an rkyv archive) and text, the metadata indexes, the HNSW
//! arrays and the BM25 arrays. Vectors, graph and postings are used straight
//! from the map through the index crates' view types; everything is
//! validated once when the file is opened.

use crate::io::segment_file::{EAGER_VERIFY_BYTES, SectionInfo, SegmentFile, SegmentWriter};
use crate::metaindex::{MetaIndex, RowMetadata};
use crate::mutable::MutableData;
use crate::stored_meta::{StoredRows, load_row, store_row};
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vecstore_core::{Error, Metadata, Metric, Record, Result};
use vecstore_index::{
    HnswParams, HnswParts, HnswView, Plan, SearchFilter, SliceVectors, VectorSource,
};
use vecstore_sparse::{Bm25Config, SparseParts, SparseView};

/// Section ids of a segment file.
pub(crate) mod section {
    pub(crate) const HEADER: u32 = 1;
    pub(crate) const VECTORS: u32 = 2;
    pub(crate) const NO_VECTOR: u32 = 3;
    pub(crate) const ID_BYTES: u32 = 4;
    pub(crate) const ID_OFFSETS: u32 = 5;
    pub(crate) const ID_SORTED: u32 = 6;
    /// Per-row metadata, one rkyv archive (see `stored_meta`); ids 7 and 8
    /// held JSON per row in format version 1.
    pub(crate) const META_RKYV: u32 = 13;
    pub(crate) const TEXT_BYTES: u32 = 9;
    pub(crate) const TEXT_OFFSETS: u32 = 10;
    pub(crate) const HAS_TEXT: u32 = 11;
    pub(crate) const META_INDEX: u32 = 12;
    pub(crate) const HNSW_LEVEL0: u32 = 20;
    pub(crate) const HNSW_LEVELS: u32 = 21;
    pub(crate) const HNSW_UPPER_OFFSETS: u32 = 22;
    pub(crate) const HNSW_UPPER: u32 = 23;
    pub(crate) const BM25_TERM_BYTES: u32 = 30;
    pub(crate) const BM25_TERM_OFFSETS: u32 = 31;
    pub(crate) const BM25_DOC_FREQS: u32 = 32;
    pub(crate) const BM25_MAX_TF_NORMS: u32 = 33;
    pub(crate) const BM25_TERM_BLOCKS: u32 = 34;
    pub(crate) const BM25_BLOCK_LAST_ROWS: u32 = 35;
    pub(crate) const BM25_BLOCK_OFFSETS: u32 = 36;
    pub(crate) const BM25_POSTINGS: u32 = 37;
    pub(crate) const BM25_DOC_LENS: u32 = 38;
}

/// The JSON header section.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SegmentHeader {
    pub(crate) rows: u32,
    /// `None` when no row has a vector.
    pub(crate) dim: Option<usize>,
    pub(crate) metric: Metric,
    pub(crate) hnsw_m: usize,
    pub(crate) hnsw_entry_point: u32,
    pub(crate) hnsw_max_level: u8,
    pub(crate) bm25: Bm25Config,
    pub(crate) bm25_num_docs: u64,
    pub(crate) bm25_total_len: u64,
}

/// Writes `m` (all rows, dead ones included) to a new segment file at
/// `path`: builds the HNSW graph in parallel, freezes the BM25 index into
/// arrays and encodes the metadata indexes. The file is complete and
/// durable when this returns.
pub(crate) fn write_segment(
    m: &MutableData,
    hnsw_m: usize,
    ef_construction: usize,
    bm25: &Bm25Config,
    path: &Path,
) -> Result<u64> {
    let rows = m.rows();
    let mut w = SegmentWriter::create(path)?;
    let mut graph = None;
    if let Some(vectors) = m.vectors() {
        w.add_f32s(section::VECTORS, vectors.as_slice())?;
        let params = HnswParams {
            m: hnsw_m,
            ef_construction,
            seed: 42,
        };
        graph = Some(vecstore_index::Hnsw::build_parallel(vectors, params)?);
    }
    let parts = graph.as_ref().map(|g| g.parts());
    if let Some(p) = &parts {
        w.add_u32s(section::HNSW_LEVEL0, p.level0)?;
        w.add_section(section::HNSW_LEVELS, p.levels)?;
        w.add_u32s(section::HNSW_UPPER_OFFSETS, p.upper_offsets)?;
        w.add_u32s(section::HNSW_UPPER, p.upper)?;
    }
    w.add_section(section::NO_VECTOR, &bitmap_bytes(&m.no_vector))?;

    let mut id_bytes = Vec::new();
    let mut id_offsets = Vec::with_capacity(rows as usize + 1);
    let mut meta_rows: StoredRows = Vec::with_capacity(rows as usize);
    let mut text_bytes = Vec::new();
    let mut text_offsets = Vec::with_capacity(rows as usize + 1);
    let mut has_text = RoaringBitmap::new();
    id_offsets.push(0u64);
    text_offsets.push(0u64);
    for row in 0..rows {
        id_bytes.extend_from_slice(m.id(row).as_bytes());
        id_offsets.push(id_bytes.len() as u64);
        meta_rows.push(store_row(m.metadata(row)));
        if let Some(t) = m.text(row) {
            has_text.insert(row);
            text_bytes.extend_from_slice(t.as_bytes());
        }
        text_offsets.push(text_bytes.len() as u64);
    }
    let mut sorted: Vec<u32> = (0..rows).collect();
    // Stable: equal ids keep row order, so the last of a run is the newest.
    sorted.sort_by(|&a, &b| m.id(a).as_bytes().cmp(m.id(b).as_bytes()));
    w.add_section(section::ID_BYTES, &id_bytes)?;
    w.add_u64s(section::ID_OFFSETS, &id_offsets)?;
    w.add_u32s(section::ID_SORTED, &sorted)?;
    w.add_rkyv(section::META_RKYV, &meta_rows)?;
    w.add_section(section::TEXT_BYTES, &text_bytes)?;
    w.add_u64s(section::TEXT_OFFSETS, &text_offsets)?;
    w.add_section(section::HAS_TEXT, &bitmap_bytes(&has_text))?;
    w.add_section(section::META_INDEX, &m.meta_index.encode())?;

    let sp = m.sparse.to_parts();
    w.add_section(section::BM25_TERM_BYTES, &sp.term_bytes)?;
    w.add_u32s(section::BM25_TERM_OFFSETS, &sp.term_offsets)?;
    w.add_u32s(section::BM25_DOC_FREQS, &sp.doc_freqs)?;
    w.add_f32s(section::BM25_MAX_TF_NORMS, &sp.max_tf_norms)?;
    w.add_u32s(section::BM25_TERM_BLOCKS, &sp.term_blocks)?;
    w.add_u32s(section::BM25_BLOCK_LAST_ROWS, &sp.block_last_rows)?;
    w.add_u64s(section::BM25_BLOCK_OFFSETS, &sp.block_offsets)?;
    w.add_section(section::BM25_POSTINGS, &sp.postings)?;
    w.add_u32s(section::BM25_DOC_LENS, &sp.doc_lens)?;

    let header = SegmentHeader {
        rows,
        dim: m.vectors().map(|v| v.dim()),
        metric: m.metric(),
        hnsw_m,
        hnsw_entry_point: parts.as_ref().map_or(0, |p| p.entry_point),
        hnsw_max_level: parts.as_ref().map_or(0, |p| p.max_level),
        bm25: bm25.clone(),
        bm25_num_docs: sp.num_docs,
        bm25_total_len: sp.total_len,
    };
    // A struct of plain fields always serialises.
    let json = serde_json::to_vec(&header).unwrap_or_default();
    w.add_section(section::HEADER, &json)?;
    w.finish()
}

fn bitmap_bytes(b: &RoaringBitmap) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.serialized_size());
    // Writing into a Vec cannot fail.
    let _ = b.serialize_into(&mut out);
    out
}

/// Views over the mapped file that are validated on first use: the
/// vectors with the HNSW graph, and the BM25 arrays. Validating them reads
/// (and checksums) data proportional to the segment, so `open` leaves them
/// for the first query and stays proportional to metadata.
pub(crate) struct Lazy<'a> {
    dense: OnceLock<std::result::Result<Option<Dense<'a>>, String>>,
    sparse: OnceLock<std::result::Result<SparseView<'a>, String>>,
}

pub(crate) struct Dense<'a> {
    vectors: SliceVectors<'a>,
    graph: HnswView<'a>,
}

self_cell::self_cell!(
    /// A segment file together with the lazily validated views that borrow it.
    pub(crate) struct SegCell {
        owner: SegmentFile,
        #[not_covariant]
        dependent: Lazy,
    }
);

/// A sealed, memory-mapped segment.
pub(crate) struct SealedSegment {
    path: PathBuf,
    header: SegmentHeader,
    cell: SegCell,
    no_vector: RoaringBitmap,
    has_text: RoaringBitmap,
    file_bytes: u64,
    /// Decoded on the first filtered query, so opening stays cheap.
    meta_index: OnceLock<MetaIndex>,
    ids: BlobAt,
    texts: BlobAt,
}

fn corrupt(path: &Path, reason: impl Into<String>) -> Error {
    Error::corruption(path, 0, reason)
}

fn bytes(f: &SegmentFile, id: u32) -> Result<&[u8]> {
    f.section(id)?
        .ok_or_else(|| corrupt(f.path(), format!("required section {id} is missing")))
}

fn section_info(f: &SegmentFile, id: u32) -> Result<SectionInfo> {
    f.sections()
        .iter()
        .find(|s| s.id == id)
        .copied()
        .ok_or_else(|| corrupt(f.path(), format!("required section {id} is missing")))
}

fn section_len(f: &SegmentFile, id: u32) -> Result<u64> {
    section_info(f, id).map(|s| s.len)
}

/// Where one row table (ids or texts) lies in the mapped file: its `u64`
/// offsets section (rows + 1 entries, monotone, last = blob length) and its
/// byte blob, both verified at open.
#[derive(Debug, Clone)]
struct BlobAt {
    offsets: std::ops::Range<usize>,
    bytes: std::ops::Range<usize>,
}

fn section_range(f: &SegmentFile, id: u32) -> Result<std::ops::Range<usize>> {
    section_info(f, id).map(|s| s.offset as usize..(s.offset + s.len) as usize)
}

fn check_offsets(
    f: &SegmentFile,
    what: &str,
    offsets: u32,
    blob: u32,
    rows: u32,
) -> Result<BlobAt> {
    let o = f.u64s(offsets)?;
    let len = bytes(f, blob)?.len() as u64;
    let path = f.path();
    if o.len() != rows as usize + 1 || o.first() != Some(&0) {
        return Err(corrupt(
            path,
            format!("{what} offsets have the wrong length"),
        ));
    }
    if o.windows(2).any(|w| w[0] > w[1]) || o[rows as usize] != len {
        return Err(corrupt(path, format!("{what} offsets are not monotone")));
    }
    Ok(BlobAt {
        offsets: section_range(f, offsets)?,
        bytes: section_range(f, blob)?,
    })
}

/// Validates the metadata archive (bytecheck, cached per file) and its row
/// count.
fn check_meta_rows(f: &SegmentFile, rows: u32) -> Result<&rkyv::Archived<StoredRows>> {
    let archive = f.access_rkyv::<StoredRows>(section::META_RKYV)?;
    if archive.len() != rows as usize {
        return Err(corrupt(
            f.path(),
            "metadata archive has the wrong row count",
        ));
    }
    Ok(archive)
}

fn build_dense<'a>(f: &'a SegmentFile, h: &SegmentHeader) -> Result<Option<Dense<'a>>> {
    let Some(dim) = h.dim else {
        return Ok(None);
    };
    let path = f.path();
    let data = f.f32s(section::VECTORS)?;
    if data.len() != h.rows as usize * dim {
        return Err(corrupt(path, "vector section has the wrong length"));
    }
    let vectors = SliceVectors::new(data, dim, h.metric)
        .map_err(|e| corrupt(path, format!("vectors: {e}")))?;
    let graph = HnswView::from_parts(HnswParts {
        m: h.hnsw_m,
        level0: f.u32s(section::HNSW_LEVEL0)?,
        levels: bytes(f, section::HNSW_LEVELS)?,
        upper_offsets: f.u32s(section::HNSW_UPPER_OFFSETS)?,
        upper: f.u32s(section::HNSW_UPPER)?,
        entry_point: h.hnsw_entry_point,
        max_level: h.hnsw_max_level,
    })
    .map_err(|e| corrupt(path, format!("HNSW graph: {e}")))?;
    if graph.len() != h.rows as usize {
        return Err(corrupt(path, "HNSW graph has the wrong node count"));
    }
    Ok(Some(Dense { vectors, graph }))
}

fn build_sparse<'a>(f: &'a SegmentFile, h: &SegmentHeader) -> Result<SparseView<'a>> {
    SparseView::from_parts(SparseParts {
        config: h.bm25.clone(),
        num_docs: h.bm25_num_docs,
        total_len: h.bm25_total_len,
        term_bytes: bytes(f, section::BM25_TERM_BYTES)?,
        term_offsets: f.u32s(section::BM25_TERM_OFFSETS)?,
        doc_freqs: f.u32s(section::BM25_DOC_FREQS)?,
        max_tf_norms: f.f32s(section::BM25_MAX_TF_NORMS)?,
        term_blocks: f.u32s(section::BM25_TERM_BLOCKS)?,
        block_last_rows: f.u32s(section::BM25_BLOCK_LAST_ROWS)?,
        block_offsets: f.u64s(section::BM25_BLOCK_OFFSETS)?,
        postings: bytes(f, section::BM25_POSTINGS)?,
        doc_lens: f.u32s(section::BM25_DOC_LENS)?,
    })
    .map_err(|e| corrupt(f.path(), format!("BM25 index: {e}")))
}

impl SealedSegment {
    /// Maps a segment file and validates what an open needs: header,
    /// section table, small sections, the id table and row offsets. Vectors,
    /// graph and postings are validated on first use. Any damage is
    /// [`Error::Corruption`] naming `path`.
    pub(crate) fn open(path: &Path) -> Result<SealedSegment> {
        let file = SegmentFile::open(path)?;
        let file_bytes = file.len_bytes();
        let header: SegmentHeader = serde_json::from_slice(bytes(&file, section::HEADER)?)
            .map_err(|e| corrupt(path, format!("segment header: {e}")))?;
        let rows = header.rows;
        let no_vector = read_bitmap(path, bytes(&file, section::NO_VECTOR)?)?;
        let has_text = read_bitmap(path, bytes(&file, section::HAS_TEXT)?)?;
        if no_vector.max().is_some_and(|m| m >= rows) || has_text.max().is_some_and(|m| m >= rows) {
            return Err(corrupt(path, "row bitmap beyond the segment"));
        }
        let ids = check_offsets(&file, "id", section::ID_OFFSETS, section::ID_BYTES, rows)?;
        // Small metadata archives are validated now; a large one on first
        // use (`check_metadata`), so open time does not grow with the rows.
        if section_len(&file, section::META_RKYV)? <= EAGER_VERIFY_BYTES {
            check_meta_rows(&file, rows)?;
        }
        let texts = check_offsets(
            &file,
            "text",
            section::TEXT_OFFSETS,
            section::TEXT_BYTES,
            rows,
        )?;
        let sorted = file.u32s(section::ID_SORTED)?;
        if sorted.len() != rows as usize || sorted.iter().any(|&r| r >= rows) {
            return Err(corrupt(path, "id permutation is invalid"));
        }
        if header.dim.is_some() {
            for id in [
                section::VECTORS,
                section::HNSW_LEVEL0,
                section::HNSW_LEVELS,
                section::HNSW_UPPER_OFFSETS,
                section::HNSW_UPPER,
            ] {
                section_len(&file, id)?;
            }
        }
        let cell = SegCell::new(file, |_| Lazy {
            dense: OnceLock::new(),
            sparse: OnceLock::new(),
        });
        Ok(SealedSegment {
            path: path.to_path_buf(),
            header,
            cell,
            no_vector,
            has_text,
            file_bytes,
            meta_index: OnceLock::new(),
            ids,
            texts,
        })
    }

    fn with_dense<R>(&self, f: impl FnOnce(Option<&Dense<'_>>) -> R) -> Result<R> {
        let h = &self.header;
        self.cell.with_dependent(|file, lazy| {
            let d = lazy
                .dense
                .get_or_init(|| build_dense(file, h).map_err(|e| e.to_string()));
            match d {
                Ok(d) => Ok(f(d.as_ref())),
                Err(reason) => Err(corrupt(&self.path, reason.clone())),
            }
        })
    }

    pub(crate) fn with_sparse<R>(&self, f: impl FnOnce(&SparseView<'_>) -> R) -> Result<R> {
        let h = &self.header;
        self.cell.with_dependent(|file, lazy| {
            let s = lazy
                .sparse
                .get_or_init(|| build_sparse(file, h).map_err(|e| e.to_string()));
            match s {
                Ok(s) => Ok(f(s)),
                Err(reason) => Err(corrupt(&self.path, reason.clone())),
            }
        })
    }

    pub(crate) fn rows(&self) -> u32 {
        self.header.rows
    }

    pub(crate) fn dim(&self) -> Option<usize> {
        self.header.dim
    }

    pub(crate) fn file_bytes(&self) -> u64 {
        self.file_bytes
    }

    pub(crate) fn no_vector(&self) -> &RoaringBitmap {
        &self.no_vector
    }

    pub(crate) fn has_text(&self) -> &RoaringBitmap {
        &self.has_text
    }

    fn file(&self) -> &SegmentFile {
        self.cell.borrow_owner()
    }

    /// Row `row`'s slice of a row table (ids or texts); empty when `row` is
    /// out of range. The ranges were verified at open, so this is two
    /// loads from the map and no section lookup.
    fn blob(&self, at: &BlobAt, row: u32) -> &[u8] {
        let f = self.file();
        let o = f.raw(at.offsets.clone());
        let r = row as usize * 8;
        let read = |i: usize| -> Option<usize> {
            let b: [u8; 8] = o.get(i..i + 8)?.try_into().ok()?;
            usize::try_from(u64::from_le_bytes(b)).ok()
        };
        match (read(r), read(r + 8)) {
            (Some(s), Some(e)) => f.raw(at.bytes.clone()).get(s..e).unwrap_or(&[]),
            _ => &[],
        }
    }

    fn id_bytes(&self, row: u32) -> &[u8] {
        self.blob(&self.ids, row)
    }

    /// The id of `row` (ids are valid UTF-8 when written; damage shows as
    /// replacement characters rather than a panic).
    pub(crate) fn id(&self, row: u32) -> String {
        let b = self.id_bytes(row);
        match std::str::from_utf8(b) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(b).into_owned(),
        }
    }

    /// The newest row with `id` (dead or not).
    pub(crate) fn find(&self, id: &str) -> Option<u32> {
        let sorted = self.file().u32s(section::ID_SORTED).ok()?;
        let key = id.as_bytes();
        // First position whose id is greater than `key`; the row before it,
        // if equal, is the last (newest) of the run: the sort was stable.
        let at = sorted.partition_point(|&r| self.id_bytes(r) <= key);
        let row = *sorted.get(at.checked_sub(1)?)?;
        (self.id_bytes(row) == key).then_some(row)
    }

    /// Validates the metadata archive if open did not (it is large). Call
    /// before [`row_metadata`](Self::row_metadata); cheap after the first
    /// time.
    pub(crate) fn check_metadata(&self) -> Result<()> {
        check_meta_rows(self.file(), self.rows()).map(|_| ())
    }

    /// The metadata of `row`, checking the archive first (one archive
    /// access: the check hands back the validated archive).
    pub(crate) fn metadata(&self, row: u32) -> Result<Metadata> {
        Ok(self.metadata_rows()?.get(row))
    }

    /// The validated metadata archive, for reading several rows with one
    /// archive access.
    pub(crate) fn metadata_rows(&self) -> Result<MetadataRows<'_>> {
        check_meta_rows(self.file(), self.rows()).map(MetadataRows)
    }

    /// The metadata of `row`. The archive must have passed
    /// [`check_metadata`](Self::check_metadata) (or the check at open):
    /// then this access is a cached lookup and the fallback is unreachable.
    pub(crate) fn row_metadata(&self, row: u32) -> Metadata {
        match self.file().access_rkyv::<StoredRows>(section::META_RKYV) {
            Ok(rows) => rows
                .get(row as usize)
                .map(|f| load_row(f))
                .unwrap_or_default(),
            Err(_) => Metadata::new(),
        }
    }

    pub(crate) fn text(&self, row: u32) -> Option<String> {
        if !self.has_text.contains(row) {
            return None;
        }
        let b = self.blob(&self.texts, row);
        Some(String::from_utf8_lossy(b).into_owned())
    }

    pub(crate) fn vector(&self, row: u32) -> Result<Option<Vec<f32>>> {
        if self.no_vector.contains(row) {
            return Ok(None);
        }
        self.with_dense(|d| d.map(|d| d.vectors.vector(row).to_vec()))
    }

    pub(crate) fn record(&self, row: u32) -> Result<Record> {
        Ok(Record {
            id: self.id(row),
            vector: self.vector(row)?.unwrap_or_default(),
            metadata: self.metadata(row)?,
            text: self.text(row),
        })
    }

    /// The metadata indexes, decoded on first use. An undecodable index
    /// section yields an index rebuilt from the rows instead. Also checks
    /// the metadata archive, which filters that the index cannot answer
    /// read row by row.
    pub(crate) fn meta_index(&self) -> Result<&MetaIndex> {
        self.check_metadata()?;
        Ok(self.meta_index.get_or_init(|| {
            match bytes(self.file(), section::META_INDEX).map(MetaIndex::decode) {
                Ok(Ok(idx)) => idx,
                _ => {
                    let mut idx = MetaIndex::default();
                    for row in 0..self.rows() {
                        idx.add(row, &self.row_metadata(row));
                    }
                    idx
                }
            }
        }))
    }

    /// Dense search; the index prepares the query for the metric.
    pub(crate) fn dense_search(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        exact: bool,
        filter: &SearchFilter<'_>,
    ) -> Result<Vec<(u32, f32)>> {
        let plan = if exact { Plan::Exact } else { Plan::Auto };
        self.with_dense(|d| match d {
            Some(d) => d
                .graph
                .search_with_plan(&d.vectors, query, k, ef, filter, plan),
            None => Vec::new(),
        })
    }

    /// Bytes of heap memory used beyond the map.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.no_vector.serialized_size()
            + self.has_text.serialized_size()
            + self.meta_index.get().map_or(0, MetaIndex::memory_bytes)
    }
}

/// A segment's validated metadata archive (see
/// [`SealedSegment::metadata_rows`]).
#[derive(Clone, Copy)]
pub(crate) struct MetadataRows<'a>(&'a rkyv::Archived<StoredRows>);

impl MetadataRows<'_> {
    /// The metadata of `row` (empty past the end).
    pub(crate) fn get(&self, row: u32) -> Metadata {
        self.0
            .get(row as usize)
            .map(|f| load_row(f))
            .unwrap_or_default()
    }
}

impl RowMetadata for SealedSegment {
    fn row_metadata(&self, row: u32) -> Metadata {
        SealedSegment::row_metadata(self, row)
    }
}

fn read_bitmap(path: &Path, bytes: &[u8]) -> Result<RoaringBitmap> {
    RoaringBitmap::deserialize_from(bytes).map_err(|_| corrupt(path, "row bitmap does not parse"))
}
