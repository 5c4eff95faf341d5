//! The collection manifest: which segment files make up the collection, the
//! rows deleted from each, the WAL position they cover, and the config.
//!
//! Stored in `collections/<name>/MANIFEST` inside the checksummed container
//! ([`crate::io::atomic::write_checksummed`], kind `VSMF`, version 1). The
//! payload is `u32 json_len`, a JSON document ([`ManifestDoc`]), then the
//! deleted-row bitmaps of the segments (roaring portable format) at the
//! offsets the JSON names. Replacing the manifest is the commit point of
//! flush, compaction and snapshot restore.

use crate::config::CollectionConfig;
use crate::io::atomic::{read_checksummed, write_checksummed};
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};
use std::path::Path;
use vecstore_core::{Error, Result};

/// Magic of the manifest file.
pub(crate) const MANIFEST_KIND: [u8; 4] = *b"VSMF";
/// Manifest payload version this build writes and reads.
pub(crate) const MANIFEST_VERSION: u32 = 1;
/// File name of the manifest inside a collection directory.
pub(crate) const MANIFEST_FILE: &str = "MANIFEST";

/// One segment as listed in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SegmentEntry {
    /// Unique within the collection; the file is `segments/<id:016x>.seg`.
    pub(crate) id: u64,
    /// Rows in the file (live and dead).
    pub(crate) rows: u32,
    /// File size in bytes.
    pub(crate) bytes: u64,
    /// Byte range of the deleted-rows bitmap within the payload tail.
    pub(crate) dead_offset: u64,
    /// Its length.
    pub(crate) dead_len: u64,
}

/// The JSON part of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ManifestDoc {
    /// The collection's config; `dimension` is filled in once known.
    pub(crate) config: CollectionConfig,
    /// All WAL records with `seq <= flushed_seq` are reflected in the segments.
    pub(crate) flushed_seq: u64,
    /// Id for the next segment file.
    pub(crate) next_segment_id: u64,
    /// Segments, oldest first.
    pub(crate) segments: Vec<SegmentEntry>,
    /// Unix milliseconds when this manifest was written.
    pub(crate) written_unix_ms: u64,
}

/// A decoded manifest: the document and one deleted-rows bitmap per segment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Manifest {
    pub(crate) doc: ManifestDoc,
    pub(crate) dead: Vec<RoaringBitmap>,
}

/// File name of segment `id`.
pub(crate) fn segment_file_name(id: u64) -> String {
    format!("{id:016x}.seg")
}

pub(crate) fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Manifest {
    /// An empty collection's manifest.
    pub(crate) fn new(config: CollectionConfig) -> Manifest {
        Manifest {
            doc: ManifestDoc {
                config,
                flushed_seq: 0,
                next_segment_id: 1,
                segments: Vec::new(),
                written_unix_ms: now_unix_ms(),
            },
            dead: Vec::new(),
        }
    }

    /// Encodes the payload (JSON + bitmaps).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut doc = self.doc.clone();
        let mut tail = Vec::new();
        for (seg, dead) in doc.segments.iter_mut().zip(&self.dead) {
            seg.dead_offset = tail.len() as u64;
            // Writing into a Vec cannot fail.
            let _ = dead.serialize_into(&mut tail);
            seg.dead_len = tail.len() as u64 - seg.dead_offset;
        }
        // A struct of plain fields always serialises.
        let json = serde_json::to_vec(&doc).unwrap_or_default();
        let mut out = Vec::with_capacity(4 + json.len() + tail.len());
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&tail);
        out
    }

    /// Decodes a payload; `path` names the file in errors.
    pub(crate) fn decode(payload: &[u8], path: &Path) -> Result<Manifest> {
        let bad = |off: usize, why: &str| Error::corruption(path, off as u64, why.to_string());
        if payload.len() < 4 {
            return Err(bad(0, "manifest payload too short"));
        }
        let n = u32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]) as usize;
        let json = payload
            .get(4..4 + n)
            .ok_or_else(|| bad(0, "manifest JSON length out of range"))?;
        let doc: ManifestDoc = serde_json::from_slice(json)
            .map_err(|e| bad(4 + e.column(), &format!("manifest JSON: {e}")))?;
        let tail = &payload[4 + n..];
        let mut dead = Vec::with_capacity(doc.segments.len());
        for seg in &doc.segments {
            let start = seg.dead_offset as usize;
            let end = start.saturating_add(seg.dead_len as usize);
            let bytes = tail
                .get(start..end)
                .ok_or_else(|| bad(4 + n + start, "deleted-rows bitmap out of range"))?;
            let b = RoaringBitmap::deserialize_from(bytes)
                .map_err(|_| bad(4 + n + start, "deleted-rows bitmap does not parse"))?;
            if b.max().is_some_and(|m| m >= seg.rows) {
                return Err(bad(4 + n + start, "deleted row beyond the segment"));
            }
            dead.push(b);
        }
        Ok(Manifest { doc, dead })
    }

    /// Writes the manifest atomically and durably to `dir/MANIFEST`.
    pub(crate) fn store(&self, dir: &Path) -> Result<()> {
        let mut m = self.clone();
        m.doc.written_unix_ms = now_unix_ms();
        write_checksummed(
            &dir.join(MANIFEST_FILE),
            MANIFEST_KIND,
            MANIFEST_VERSION,
            &m.encode(),
        )
    }

    /// Reads `dir/MANIFEST`.
    pub(crate) fn load(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let payload = read_checksummed(&path, MANIFEST_KIND, MANIFEST_VERSION)?;
        Manifest::decode(&payload, &path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_payloads() {
        let mut m = Manifest::new(CollectionConfig::default().dimension(3));
        for id in 1..4u64 {
            m.doc.segments.push(SegmentEntry {
                id,
                rows: 100,
                bytes: 1000,
                dead_offset: 0,
                dead_len: 0,
            });
            m.dead.push((0..id as u32 * 10).collect());
        }
        let bytes = m.encode();
        let back = Manifest::decode(&bytes, Path::new("m")).unwrap();
        assert_eq!(back.dead, m.dead);
        assert_eq!(back.doc.config, m.doc.config);
        for cut in 0..bytes.len() {
            assert!(Manifest::decode(&bytes[..cut], Path::new("m")).is_err());
        }
    }
}
