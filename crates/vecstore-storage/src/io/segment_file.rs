//! The immutable segment container: a header, 64-byte aligned sections with
//! per-section CRC32C checksums, and a section table, all little-endian.
//!
//! ```text
//! [header 64 B][section 0][pad][section 1][pad]...[section table 32 B × n]
//! ```
//!
//! A [`SegmentWriter`] streams sections to `<path>.tmp`, writes the table and
//! header, fsyncs, renames to `path` and fsyncs the directory; the file is
//! never opened for writing again. A [`SegmentFile`] checks the header, the
//! file length (before mapping, so a truncated file is an error, not a
//! `SIGBUS`) and the section table, maps the file read-only and hands out
//! zero-copy views. Byte layout: `docs/file-format.md`.
//!
//! # When section checksums are verified
//! Open time must follow metadata, not data: a 500k × 128 store's vector
//! section is 256 MB, and checksumming it at open would read it all. So
//! [`SegmentFile::open`] verifies the header and table checksums, the layout,
//! and the checksum of every section up to [`EAGER_VERIFY_BYTES`]; a larger
//! section is verified on its first access (any accessor), once. Damage in a
//! big section is thus reported by the first read that touches it, as
//! [`Error::Corruption`], and never produces a wrong answer.
//! [`SegmentFile::open_verified`] and [`SegmentFile::verify`] check
//! everything up front (used by compaction, snapshot checks and tests).
//!
//! Even first-access verification costs O(section) on the first query. An
//! engine that builds its search views at open and wants open time flat in
//! the data size uses the `*_unverified` accessors and runs
//! [`SegmentFile::verify`] on a background thread (the type is `Sync`),
//! treating a failure as a damaged segment. This is the trade-off Lucene
//! makes too (structure checked at open, full checksums on merge or demand):
//! until the background check finishes, a flipped bit inside a big section
//! can reach a query result; out-of-bounds access is impossible either way,
//! because the header, section table and layout are always checked at open.

use std::any::TypeId;
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use rkyv::api::high::{HighSerializer, HighValidator};
use rkyv::bytecheck::CheckBytes;
use rkyv::rancor;
use rkyv::ser::allocator::ArenaHandle;
use rkyv::util::AlignedVec;
use rkyv::{Archive, Portable, Serialize};
use vecstore_core::{Error, Result};

use super::atomic::{fsync_dir, parent_dir, read_u32, read_u64, tmp_path};
use super::mmap::{MappedFile, Plain, access_archived, cast_slice};

/// Magic at the start of every segment file.
pub const SEGMENT_MAGIC: [u8; 4] = *b"VSSG";
/// Segment container version written by this build. Version 2 keeps
/// per-row metadata as one rkyv archive; version 1 (pre-release builds)
/// kept JSON per row and is refused with [`Error::UnsupportedVersion`].
pub const SEGMENT_VERSION: u32 = 2;
/// Oldest container version this build reads.
pub const MIN_SEGMENT_VERSION: u32 = 2;
/// Header size.
pub const SEGMENT_HEADER_LEN: u64 = 64;
/// Size of one section-table entry.
pub const SECTION_ENTRY_LEN: u64 = 32;
/// Alignment of every section's start (enough for aligned AVX-512 loads).
pub const SECTION_ALIGN: u64 = 64;
/// Sections up to this size are checksummed at open; larger ones on first
/// access.
pub const EAGER_VERIFY_BYTES: u64 = 1 << 20;
/// Most sections a file may declare.
pub const MAX_SECTIONS: u32 = 1 << 16;

/// What a section holds; fixes which typed accessor may view it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SectionKind {
    /// Opaque bytes ([`SegmentWriter::add_section`]).
    Bytes,
    /// Little-endian `f32`s.
    F32,
    /// Little-endian `u32`s.
    U32,
    /// Little-endian `u64`s.
    U64,
    /// `u8`s (bytes with a numeric meaning).
    U8,
    /// An rkyv archive.
    Rkyv,
}

impl SectionKind {
    fn code(self) -> u32 {
        match self {
            SectionKind::Bytes => 0,
            SectionKind::F32 => 1,
            SectionKind::U32 => 2,
            SectionKind::U64 => 3,
            SectionKind::U8 => 4,
            SectionKind::Rkyv => 5,
        }
    }

    fn from_code(code: u32) -> Option<SectionKind> {
        Some(match code {
            0 => SectionKind::Bytes,
            1 => SectionKind::F32,
            2 => SectionKind::U32,
            3 => SectionKind::U64,
            4 => SectionKind::U8,
            5 => SectionKind::Rkyv,
            _ => return None,
        })
    }

    fn elem_size(self) -> u64 {
        match self {
            SectionKind::F32 | SectionKind::U32 => 4,
            SectionKind::U64 => 8,
            _ => 1,
        }
    }
}

/// One entry of the section table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionInfo {
    /// Caller-assigned id, unique in the file.
    pub id: u32,
    /// What it holds.
    pub kind: SectionKind,
    /// Byte offset in the file (a multiple of [`SECTION_ALIGN`]).
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// CRC32C of the section's bytes.
    pub crc: u32,
}

/// Writes a segment file; see the module docs.
#[derive(Debug)]
pub struct SegmentWriter {
    final_path: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
    pos: u64,
    sections: Vec<SectionInfo>,
}

/// Chunk size for converting typed slices to little-endian bytes.
const ENCODE_CHUNK: usize = 64 << 10;
static ZEROS: [u8; SECTION_ALIGN as usize] = [0; SECTION_ALIGN as usize];

impl SegmentWriter {
    /// Starts writing the segment that [`finish`](Self::finish) will place at
    /// `final_path`. The bytes go to `<final_path>.tmp` until then; dropping
    /// the writer unfinished deletes that file.
    pub fn create(final_path: &Path) -> Result<SegmentWriter> {
        let tmp = tmp_path(final_path);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, e))?;
        let mut w = SegmentWriter {
            final_path: final_path.to_path_buf(),
            tmp,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            pos: 0,
            sections: Vec::new(),
        };
        // Placeholder; the real header is written by `finish`.
        w.write(&[0u8; SEGMENT_HEADER_LEN as usize])?;
        Ok(w)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let out = self.out.as_mut().ok_or_else(finished_error)?;
        out.write_all(bytes).map_err(|e| Error::io(&self.tmp, e))?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    fn pad_to_align(&mut self) -> Result<()> {
        let rem = self.pos % SECTION_ALIGN;
        if rem != 0 {
            self.write(&ZEROS[..(SECTION_ALIGN - rem) as usize])?;
        }
        Ok(())
    }

    fn begin(&mut self, id: u32) -> Result<u64> {
        if self.sections.iter().any(|s| s.id == id) {
            return Err(Error::InvalidArgument {
                name: "section id",
                value: id.to_string(),
                reason: "already added to this segment",
            });
        }
        if self.sections.len() as u32 >= MAX_SECTIONS {
            return Err(Error::InvalidArgument {
                name: "section id",
                value: id.to_string(),
                reason: "a segment holds at most 65536 sections",
            });
        }
        self.pad_to_align()?;
        Ok(self.pos)
    }

    fn add_kind(&mut self, id: u32, kind: SectionKind, bytes: &[u8]) -> Result<()> {
        let offset = self.begin(id)?;
        self.write(bytes)?;
        self.sections.push(SectionInfo {
            id,
            kind,
            offset,
            len: bytes.len() as u64,
            crc: crc32c::crc32c(bytes),
        });
        Ok(())
    }

    fn add_plain<T: Plain>(
        &mut self,
        id: u32,
        kind: SectionKind,
        values: &[T],
        to_le: impl Fn(T, &mut Vec<u8>),
    ) -> Result<()> {
        let offset = self.begin(id)?;
        let mut crc = 0u32;
        let mut buf = Vec::with_capacity(ENCODE_CHUNK);
        let per_chunk = ENCODE_CHUNK / std::mem::size_of::<T>();
        for chunk in values.chunks(per_chunk.max(1)) {
            buf.clear();
            for &v in chunk {
                to_le(v, &mut buf);
            }
            crc = crc32c::crc32c_append(crc, &buf);
            self.write(&buf)?;
        }
        self.sections.push(SectionInfo {
            id,
            kind,
            offset,
            len: std::mem::size_of_val(values) as u64,
            crc,
        });
        Ok(())
    }

    /// Adds opaque bytes as section `id` (ids are unique per file).
    pub fn add_section(&mut self, id: u32, bytes: &[u8]) -> Result<()> {
        self.add_kind(id, SectionKind::Bytes, bytes)
    }

    /// Adds `f32`s, viewable with [`SegmentFile::f32s`].
    pub fn add_f32s(&mut self, id: u32, values: &[f32]) -> Result<()> {
        self.add_plain(id, SectionKind::F32, values, |v, b| {
            b.extend_from_slice(&v.to_le_bytes())
        })
    }

    /// Adds `u32`s, viewable with [`SegmentFile::u32s`].
    pub fn add_u32s(&mut self, id: u32, values: &[u32]) -> Result<()> {
        self.add_plain(id, SectionKind::U32, values, |v, b| {
            b.extend_from_slice(&v.to_le_bytes())
        })
    }

    /// Adds `u64`s, viewable with [`SegmentFile::u64s`].
    pub fn add_u64s(&mut self, id: u32, values: &[u64]) -> Result<()> {
        self.add_plain(id, SectionKind::U64, values, |v, b| {
            b.extend_from_slice(&v.to_le_bytes())
        })
    }

    /// Adds `u8`s, viewable with [`SegmentFile::u8s`].
    pub fn add_u8s(&mut self, id: u32, values: &[u8]) -> Result<()> {
        self.add_kind(id, SectionKind::U8, values)
    }

    /// Serializes `value` with rkyv as section `id`, readable with
    /// [`SegmentFile::access_rkyv`]. Keep big arrays in typed sections: rkyv
    /// archives are validated in full on first access.
    pub fn add_rkyv<T>(&mut self, id: u32, value: &T) -> Result<()>
    where
        T: for<'a> Serialize<HighSerializer<AlignedVec, ArenaHandle<'a>, rancor::Error>>,
    {
        let bytes = rkyv::to_bytes::<rancor::Error>(value).map_err(|e| Error::InvalidArgument {
            name: "rkyv section",
            value: format!("section {id}: {e}"),
            reason: "rkyv serialization failed",
        })?;
        self.add_kind(id, SectionKind::Rkyv, &bytes)
    }

    /// Sections added so far.
    pub fn sections(&self) -> &[SectionInfo] {
        &self.sections
    }

    /// Writes the section table and header, fsyncs, renames the file into
    /// place and fsyncs the directory. Returns the file's size in bytes.
    pub fn finish(mut self) -> Result<u64> {
        self.pad_to_align()?;
        let table_offset = self.pos;
        let mut table = Vec::with_capacity(self.sections.len() * SECTION_ENTRY_LEN as usize);
        for s in &self.sections {
            table.extend_from_slice(&s.id.to_le_bytes());
            table.extend_from_slice(&s.kind.code().to_le_bytes());
            table.extend_from_slice(&s.offset.to_le_bytes());
            table.extend_from_slice(&s.len.to_le_bytes());
            table.extend_from_slice(&s.crc.to_le_bytes());
            table.extend_from_slice(&0u32.to_le_bytes());
        }
        self.write(&table)?;
        let file_len = self.pos;
        let header = encode_header(
            self.sections.len() as u32,
            file_len,
            table_offset,
            crc32c::crc32c(&table),
        );
        let out = self.out.take().ok_or_else(finished_error)?;
        let mut file = out
            .into_inner()
            .map_err(|e| Error::io(&self.tmp, e.into_error()))?;
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.write_all(&header))
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(&self.tmp, e))?;
        drop(file);
        fs::rename(&self.tmp, &self.final_path).map_err(|e| Error::io(&self.final_path, e))?;
        fsync_dir(parent_dir(&self.final_path))?;
        Ok(file_len)
    }
}

impl Drop for SegmentWriter {
    fn drop(&mut self) {
        // Unfinished (error or abandoned): remove the partial temp file.
        if self.out.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

fn finished_error() -> Error {
    Error::InvalidArgument {
        name: "segment writer",
        value: "finished".into(),
        reason: "the writer failed earlier or was finished",
    }
}

fn encode_header(count: u32, file_len: u64, table_offset: u64, table_crc: u32) -> [u8; 64] {
    let mut h = [0u8; SEGMENT_HEADER_LEN as usize];
    h[0..4].copy_from_slice(&SEGMENT_MAGIC);
    h[4..8].copy_from_slice(&SEGMENT_VERSION.to_le_bytes());
    // 8..12 flags: none defined in versions 1 and 2.
    h[12..16].copy_from_slice(&count.to_le_bytes());
    h[16..24].copy_from_slice(&file_len.to_le_bytes());
    h[24..32].copy_from_slice(&table_offset.to_le_bytes());
    h[32..36].copy_from_slice(&table_crc.to_le_bytes());
    // 36..60 reserved, zero.
    let crc = crc32c::crc32c(&h[0..60]);
    h[60..64].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Section checksum state: not yet checked, good, bad.
const UNVERIFIED: u8 = 0;
const VERIFIED: u8 = 1;
const DAMAGED: u8 = 2;

/// An open, memory-mapped segment file; see the module docs.
#[derive(Debug)]
pub struct SegmentFile {
    path: PathBuf,
    map: MappedFile,
    sections: Vec<SectionInfo>,
    verified: Vec<AtomicU8>,
    rkyv_checked: Vec<OnceLock<TypeId>>,
}

/// The parsed header and section table of a segment file, read without
/// mapping it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentLayout {
    /// Container version.
    pub version: u32,
    /// Total file length in bytes.
    pub file_len: u64,
    /// Byte offset of the section table (it runs to the end of the file).
    pub table_offset: u64,
    /// The sections, in file order.
    pub sections: Vec<SectionInfo>,
}

impl SegmentFile {
    /// Reads and checks the header and section table of `path` with plain
    /// reads: magic, version, header checksum, that the file's length equals
    /// the length in the header, table checksum and layout. Nothing is mapped.
    pub fn read_layout(path: &Path) -> Result<SegmentLayout> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        read_layout_from(path, &mut file)
    }

    /// Opens `path`: [`read_layout`](Self::read_layout), map read-only, verify
    /// the checksums of sections up to [`EAGER_VERIFY_BYTES`].
    pub fn open(path: &Path) -> Result<SegmentFile> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let layout = read_layout_from(path, &mut file)?;
        let map = MappedFile::map(&file, path)?;
        if map.bytes().len() as u64 != layout.file_len {
            return Err(Error::corruption(
                path,
                map.bytes().len() as u64,
                "file length changed while opening",
            ));
        }
        let n = layout.sections.len();
        let seg = SegmentFile {
            path: path.to_path_buf(),
            map,
            sections: layout.sections,
            verified: (0..n).map(|_| AtomicU8::new(UNVERIFIED)).collect(),
            rkyv_checked: (0..n).map(|_| OnceLock::new()).collect(),
        };
        seg.check_padding()?;
        for i in 0..n {
            if seg.sections[i].len <= EAGER_VERIFY_BYTES {
                seg.verify_index(i)?;
            }
        }
        Ok(seg)
    }

    /// Opens `path` and verifies every section checksum (reads the whole file).
    pub fn open_verified(path: &Path) -> Result<SegmentFile> {
        let seg = Self::open(path)?;
        seg.verify()?;
        Ok(seg)
    }

    /// Verifies every section not verified yet.
    pub fn verify(&self) -> Result<()> {
        (0..self.sections.len()).try_for_each(|i| self.verify_index(i))
    }

    /// Padding between sections must be zero: it is covered by no checksum,
    /// so this keeps every byte of the file checked.
    fn check_padding(&self) -> Result<()> {
        let bytes = self.map.bytes();
        let mut end = SEGMENT_HEADER_LEN;
        let table_offset = bytes.len() as u64 - self.sections.len() as u64 * SECTION_ENTRY_LEN;
        let starts = self.sections.iter().map(|s| (s.offset, s.offset + s.len));
        for (start, next_end) in starts.chain(std::iter::once((table_offset, table_offset))) {
            if let Some(pos) = bytes[end as usize..start as usize]
                .iter()
                .position(|&b| b != 0)
            {
                return Err(Error::corruption(
                    &self.path,
                    end + pos as u64,
                    "non-zero padding byte",
                ));
            }
            end = next_end;
        }
        Ok(())
    }

    fn verify_index(&self, i: usize) -> Result<()> {
        let s = &self.sections[i];
        match self.verified[i].load(Ordering::Acquire) {
            VERIFIED => return Ok(()),
            DAMAGED => return Err(self.damaged(s)),
            _ => {}
        }
        let bytes = &self.map.bytes()[s.offset as usize..(s.offset + s.len) as usize];
        if crc32c::crc32c(bytes) == s.crc {
            self.verified[i].store(VERIFIED, Ordering::Release);
            Ok(())
        } else {
            self.verified[i].store(DAMAGED, Ordering::Release);
            Err(self.damaged(s))
        }
    }

    fn damaged(&self, s: &SectionInfo) -> Error {
        Error::corruption(
            &self.path,
            s.offset,
            format!("checksum mismatch in section {}", s.id),
        )
    }

    fn find(&self, id: u32) -> Option<usize> {
        self.sections.iter().position(|s| s.id == id)
    }

    /// The verified bytes of section `id`, `Ok(None)` when the file has no
    /// such section.
    pub fn section(&self, id: u32) -> Result<Option<&[u8]>> {
        let Some(i) = self.find(id) else {
            return Ok(None);
        };
        self.verify_index(i)?;
        let s = &self.sections[i];
        Ok(Some(
            &self.map.bytes()[s.offset as usize..(s.offset + s.len) as usize],
        ))
    }

    /// Whether section `id` exists.
    pub fn has_section(&self, id: u32) -> bool {
        self.find(id).is_some()
    }

    fn typed<T: Plain>(&self, id: u32, kind: SectionKind) -> Result<&[T]> {
        self.typed_with(id, kind, true)
    }

    fn typed_with<T: Plain>(&self, id: u32, kind: SectionKind, verify: bool) -> Result<&[T]> {
        let i = self.require(id)?;
        let s = self.sections[i];
        if s.kind != kind {
            return Err(Error::corruption(
                &self.path,
                s.offset,
                format!("section {id} holds {:?}, read as {kind:?}", s.kind),
            ));
        }
        if verify {
            self.verify_index(i)?;
        }
        let bytes = &self.map.bytes()[s.offset as usize..(s.offset + s.len) as usize];
        cast_slice::<T>(bytes).ok_or_else(|| {
            Error::corruption(
                &self.path,
                s.offset,
                format!("section {id} is misaligned or not a whole number of {kind:?}"),
            )
        })
    }

    fn require(&self, id: u32) -> Result<usize> {
        self.find(id).ok_or_else(|| {
            Error::corruption(&self.path, 0, format!("required section {id} is missing"))
        })
    }

    /// Section `id` as `f32`s, zero-copy. Missing or of another kind:
    /// [`Error::Corruption`].
    pub fn f32s(&self, id: u32) -> Result<&[f32]> {
        self.typed(id, SectionKind::F32)
    }

    /// Section `id` as `u32`s, zero-copy.
    pub fn u32s(&self, id: u32) -> Result<&[u32]> {
        self.typed(id, SectionKind::U32)
    }

    /// Section `id` as `u64`s, zero-copy.
    pub fn u64s(&self, id: u32) -> Result<&[u64]> {
        self.typed(id, SectionKind::U64)
    }

    /// Section `id` as `f32`s **without** verifying its checksum first.
    ///
    /// For building search views at open without reading the whole section
    /// (open time that follows metadata, not data). The caller must run
    /// [`verify`](Self::verify) (or [`verify_section`](Self::verify_section))
    /// later, e.g. on a background thread, and stop trusting the segment if
    /// it fails; until then, damage inside the section goes unnoticed (the
    /// header, table and layout are always checked at open, so no access is
    /// ever out of bounds).
    pub fn f32s_unverified(&self, id: u32) -> Result<&[f32]> {
        self.typed_with(id, SectionKind::F32, false)
    }

    /// Section `id` as `u32`s without verifying its checksum; see
    /// [`f32s_unverified`](Self::f32s_unverified).
    pub fn u32s_unverified(&self, id: u32) -> Result<&[u32]> {
        self.typed_with(id, SectionKind::U32, false)
    }

    /// Section `id` as `u64`s without verifying its checksum; see
    /// [`f32s_unverified`](Self::f32s_unverified).
    pub fn u64s_unverified(&self, id: u32) -> Result<&[u64]> {
        self.typed_with(id, SectionKind::U64, false)
    }

    /// The bytes of section `id` without verifying its checksum; see
    /// [`f32s_unverified`](Self::f32s_unverified).
    pub fn section_unverified(&self, id: u32) -> Option<&[u8]> {
        let s = &self.sections[self.find(id)?];
        Some(&self.map.bytes()[s.offset as usize..(s.offset + s.len) as usize])
    }

    /// Verifies the checksum of section `id` now (once; later calls are
    /// free). `Ok` for a missing section.
    pub fn verify_section(&self, id: u32) -> Result<()> {
        self.find(id).map_or(Ok(()), |i| self.verify_index(i))
    }

    /// Whether every section's checksum has been verified (and passed).
    pub fn is_fully_verified(&self) -> bool {
        self.verified
            .iter()
            .all(|v| v.load(Ordering::Acquire) == VERIFIED)
    }

    /// Section `id` as `u8`s (written with [`SegmentWriter::add_u8s`]).
    pub fn u8s(&self, id: u32) -> Result<&[u8]> {
        let i = self.require(id)?;
        let s = self.sections[i];
        if s.kind != SectionKind::U8 {
            return Err(Error::corruption(
                &self.path,
                s.offset,
                format!("section {id} holds {:?}, read as U8", s.kind),
            ));
        }
        Ok(self.section(id)?.unwrap_or_default())
    }

    /// The rkyv archive of a `T` in section `id`, zero-copy. Validated with
    /// bytecheck on the first access per section and type; a failure is
    /// [`Error::Corruption`].
    pub fn access_rkyv<T>(&self, id: u32) -> Result<&T::Archived>
    where
        T: Archive,
        T::Archived: Portable + for<'a> CheckBytes<HighValidator<'a, rancor::Error>> + 'static,
    {
        let i = self.require(id)?;
        let s = self.sections[i];
        if s.kind != SectionKind::Rkyv {
            return Err(Error::corruption(
                &self.path,
                s.offset,
                format!("section {id} holds {:?}, read as an rkyv archive", s.kind),
            ));
        }
        let bytes = self.section(id)?.unwrap_or_default();
        access_archived::<T::Archived>(bytes, &self.rkyv_checked[i]).map_err(|e| {
            Error::corruption(
                &self.path,
                s.offset,
                format!("section {id}: invalid rkyv archive: {e}"),
            )
        })
    }

    /// The section table, in file order.
    pub fn sections(&self) -> &[SectionInfo] {
        &self.sections
    }

    /// Bytes `range` of the mapped file, empty when out of bounds. For
    /// callers that resolved (and verified) a section once and keep its
    /// byte range, so hot paths skip the section-table lookup.
    pub fn raw(&self, range: std::ops::Range<usize>) -> &[u8] {
        self.map.bytes().get(range).unwrap_or(&[])
    }

    /// File length in bytes.
    pub fn len_bytes(&self) -> u64 {
        self.map.bytes().len() as u64
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn read_layout_from(path: &Path, file: &mut File) -> Result<SegmentLayout> {
    let corrupt = |offset: u64, reason: String| Error::corruption(path, offset, reason);
    let actual_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if actual_len < 8 {
        return Err(corrupt(
            actual_len,
            format!("file is {actual_len} bytes, shorter than its header"),
        ));
    }
    let mut h = [0u8; SEGMENT_HEADER_LEN as usize];
    let head_len = actual_len.min(SEGMENT_HEADER_LEN) as usize;
    file.read_exact(&mut h[..head_len])
        .map_err(|e| Error::io(path, e))?;
    if h[0..4] != SEGMENT_MAGIC {
        return Err(corrupt(0, "bad magic, not a vecstore segment file".into()));
    }
    let version = read_u32(&h, 4);
    if version > SEGMENT_VERSION || (1..MIN_SEGMENT_VERSION).contains(&version) {
        return Err(Error::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            supported: SEGMENT_VERSION,
        });
    }
    if (head_len as u64) < SEGMENT_HEADER_LEN {
        return Err(corrupt(
            actual_len,
            format!("file is {actual_len} bytes, shorter than its header"),
        ));
    }
    if crc32c::crc32c(&h[0..60]) != read_u32(&h, 60) {
        return Err(corrupt(0, "header checksum mismatch".into()));
    }
    if version == 0 {
        return Err(corrupt(4, "format version 0 is never written".into()));
    }
    let flags = read_u32(&h, 8);
    if flags != 0 {
        return Err(corrupt(8, format!("unknown flags {flags:#x}")));
    }
    let count = read_u32(&h, 12);
    let file_len = read_u64(&h, 16);
    let table_offset = read_u64(&h, 24);
    if file_len != actual_len {
        return Err(corrupt(
            actual_len.min(file_len),
            format!(
                "header says {file_len} bytes, the file has {actual_len} (truncated or extended)"
            ),
        ));
    }
    if count > MAX_SECTIONS
        || table_offset < SEGMENT_HEADER_LEN
        || !table_offset.is_multiple_of(SECTION_ALIGN)
        || Some(file_len) != table_offset.checked_add(count as u64 * SECTION_ENTRY_LEN)
    {
        return Err(corrupt(24, "section table does not fit the file".into()));
    }
    let mut table = vec![0u8; count as usize * SECTION_ENTRY_LEN as usize];
    file.seek(SeekFrom::Start(table_offset))
        .and_then(|_| file.read_exact(&mut table))
        .map_err(|e| Error::io(path, e))?;
    if crc32c::crc32c(&table) != read_u32(&h, 32) {
        return Err(corrupt(
            table_offset,
            "section table checksum mismatch".into(),
        ));
    }
    let mut sections = Vec::with_capacity(count as usize);
    let mut ids = HashSet::with_capacity(count as usize);
    let mut end = SEGMENT_HEADER_LEN;
    for (i, e) in table.chunks_exact(SECTION_ENTRY_LEN as usize).enumerate() {
        let at = table_offset + i as u64 * SECTION_ENTRY_LEN;
        let id = read_u32(e, 0);
        let kind = SectionKind::from_code(read_u32(e, 4))
            .ok_or_else(|| corrupt(at + 4, format!("unknown section kind {}", read_u32(e, 4))))?;
        let offset = read_u64(e, 8);
        let len = read_u64(e, 16);
        let bad_layout = !offset.is_multiple_of(SECTION_ALIGN)
            || offset < end
            || offset.checked_add(len).is_none_or(|e| e > table_offset)
            || !len.is_multiple_of(kind.elem_size())
            || read_u32(e, 28) != 0;
        if bad_layout {
            return Err(corrupt(
                at,
                format!("section {id} has an impossible layout"),
            ));
        }
        if !ids.insert(id) {
            return Err(corrupt(at, format!("section id {id} appears twice")));
        }
        sections.push(SectionInfo {
            id,
            kind,
            offset,
            len,
            crc: read_u32(e, 24),
        });
        end = offset + len;
    }
    Ok(SegmentLayout {
        version,
        file_len,
        table_offset,
        sections,
    })
}
