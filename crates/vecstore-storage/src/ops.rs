//! Encoding of write operations as WAL record payloads.
//!
//! A WAL record is one [`Op`]; a batch upsert is one record, so it is
//! replayed all or nothing. The layout (little-endian) is documented in
//! docs/file-format.md ("WAL op payload"):
//!
//! ```text
//! u8 tag (1 upsert, 2 delete, 3 index_text, 4 update_metadata, 5 batch)
//! upsert:          u32 count, then per record:
//!                  str id, u32 dim, dim x f32, bytes metadata_json, u8 has_text, [str text]
//! delete:          str id
//! index_text:      str id, str text
//! update_metadata: str id, bytes metadata_json
//! batch:           u32 count, then count x bytes (an upsert or delete payload)
//! str / bytes:     u32 length, then the bytes (UTF-8 for str)
//! ```

use vecstore_core::{Error, Metadata, Record, Result};

const TAG_UPSERT: u8 = 1;
const TAG_DELETE: u8 = 2;
const TAG_INDEX_TEXT: u8 = 3;
const TAG_UPDATE_METADATA: u8 = 4;
const TAG_BATCH: u8 = 5;

/// One logged write.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Insert or replace records (one or a whole batch).
    Upsert(Vec<Record>),
    /// Remove an id.
    Delete(String),
    /// Set the keyword-search text of an id.
    IndexText { id: String, text: String },
    /// Replace the metadata of an existing id.
    UpdateMetadata { id: String, metadata: Metadata },
    /// Upserts and deletes applied in order, all or nothing (inner ops are
    /// `Upsert` or `Delete` only).
    Batch(Vec<Op>),
}

impl Op {
    /// Serialises the op into a WAL payload.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size_hint());
        match self {
            Op::Upsert(records) => {
                out.push(TAG_UPSERT);
                put_u32(&mut out, records.len() as u32);
                for r in records {
                    put_str(&mut out, &r.id);
                    put_u32(&mut out, r.vector.len() as u32);
                    put_f32s(&mut out, &r.vector);
                    put_metadata(&mut out, &r.metadata);
                    match &r.text {
                        Some(t) => {
                            out.push(1);
                            put_str(&mut out, t);
                        }
                        None => out.push(0),
                    }
                }
            }
            Op::Delete(id) => {
                out.push(TAG_DELETE);
                put_str(&mut out, id);
            }
            Op::IndexText { id, text } => {
                out.push(TAG_INDEX_TEXT);
                put_str(&mut out, id);
                put_str(&mut out, text);
            }
            Op::UpdateMetadata { id, metadata } => {
                out.push(TAG_UPDATE_METADATA);
                put_str(&mut out, id);
                put_metadata(&mut out, metadata);
            }
            Op::Batch(ops) => {
                out.push(TAG_BATCH);
                put_u32(&mut out, ops.len() as u32);
                for op in ops {
                    put_bytes(&mut out, &op.encode());
                }
            }
        }
        out
    }

    fn size_hint(&self) -> usize {
        match self {
            Op::Upsert(rs) => {
                5 + rs
                    .iter()
                    .map(|r| 16 + r.id.len() + 4 * r.vector.len() + 16 * r.metadata.len())
                    .sum::<usize>()
            }
            Op::Batch(ops) => 5 + ops.iter().map(|o| 4 + o.size_hint()).sum::<usize>(),
            _ => 64,
        }
    }

    /// Parses a payload written by [`Op::encode`]. A payload that passed the
    /// WAL checksum but does not parse is reported as corruption of `path`.
    pub(crate) fn decode(bytes: &[u8], path: &std::path::Path) -> Result<Op> {
        let mut r = Reader {
            bytes,
            pos: 0,
            path,
        };
        let op = match r.u8()? {
            TAG_UPSERT => {
                let n = r.u32()? as usize;
                let mut records = Vec::with_capacity(n.min(1 << 16));
                for _ in 0..n {
                    let id = r.string()?;
                    let dim = r.u32()? as usize;
                    let raw = r.take(dim.checked_mul(4).ok_or_else(|| r.bad("dimension"))?)?;
                    let vector = raw
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect();
                    let metadata = r.metadata()?;
                    let text = match r.u8()? {
                        0 => None,
                        1 => Some(r.string()?),
                        _ => return Err(r.bad("text flag")),
                    };
                    records.push(Record {
                        id,
                        vector,
                        metadata,
                        text,
                    });
                }
                Op::Upsert(records)
            }
            TAG_DELETE => Op::Delete(r.string()?),
            TAG_INDEX_TEXT => Op::IndexText {
                id: r.string()?,
                text: r.string()?,
            },
            TAG_UPDATE_METADATA => Op::UpdateMetadata {
                id: r.string()?,
                metadata: r.metadata()?,
            },
            TAG_BATCH => {
                let n = r.u32()? as usize;
                let mut ops = Vec::with_capacity(n.min(1 << 16));
                for _ in 0..n {
                    let len = r.u32()? as usize;
                    let at = r.pos;
                    let inner = r.take(len)?;
                    let op = Op::decode(inner, path).map_err(|_| r.bad_at(at, "batch entry"))?;
                    if !matches!(op, Op::Upsert(_) | Op::Delete(_)) {
                        return Err(r.bad_at(at, "batch entry kind"));
                    }
                    ops.push(op);
                }
                Op::Batch(ops)
            }
            _ => return Err(r.bad("op tag")),
        };
        if r.pos != bytes.len() {
            return Err(r.bad("trailing bytes"));
        }
        Ok(op)
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a metadata map as length-prefixed JSON, serialised in place.
fn put_metadata(out: &mut Vec<u8>, m: &Metadata) {
    let at = out.len();
    put_u32(out, 0);
    if m.is_empty() || serde_json::to_writer(&mut *out, m).is_err() {
        out.truncate(at + 4);
        out.extend_from_slice(b"{}");
    }
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// Appends `v` as little-endian `f32`s (one resize, then a loop the
/// compiler turns into a plain copy on little-endian targets).
fn put_f32s(out: &mut Vec<u8>, v: &[f32]) {
    let at = out.len();
    out.resize(at + 4 * v.len(), 0);
    for (dst, x) in out[at..].chunks_exact_mut(4).zip(v) {
        dst.copy_from_slice(&x.to_le_bytes());
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len() as u32);
    out.extend_from_slice(b);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_bytes(out, s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a std::path::Path,
}

impl Reader<'_> {
    fn bad(&self, what: &str) -> Error {
        self.bad_at(self.pos, what)
    }

    fn bad_at(&self, pos: usize, what: &str) -> Error {
        Error::corruption(self.path, pos as u64, format!("WAL op payload: bad {what}"))
    }

    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| self.bad("length"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String> {
        let n = self.u32()? as usize;
        let at = self.pos;
        let b = self.take(n)?.to_vec();
        String::from_utf8(b)
            .map_err(|_| Error::corruption(self.path, at as u64, "WAL op payload: bad UTF-8"))
    }

    fn metadata(&mut self) -> Result<Metadata> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        serde_json::from_slice(b).map_err(|_| self.bad("metadata JSON"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn round_trip_every_op() {
        let mut m = Metadata::new();
        m.insert("a", 1);
        m.insert("tags", vec!["x", "y"]);
        let ops = vec![
            Op::Upsert(vec![
                Record::new("a", vec![1.0, -2.5, 3.25], m.clone()),
                Record::new("b", vec![], Metadata::new()).with_text("hello"),
            ]),
            Op::Delete("a".into()),
            Op::IndexText {
                id: "é".into(),
                text: "some text".into(),
            },
            Op::UpdateMetadata {
                id: "b".into(),
                metadata: m.clone(),
            },
            Op::Batch(vec![
                Op::Upsert(vec![Record::new("c", vec![0.5], m)]),
                Op::Delete("a".into()),
                Op::Upsert(vec![
                    Record::new("d", vec![], Metadata::new()).with_text("t"),
                ]),
            ]),
            Op::Batch(vec![]),
        ];
        for op in ops {
            let bytes = op.encode();
            assert_eq!(Op::decode(&bytes, Path::new("wal")).unwrap(), op);
            // Every strict prefix is rejected, never a panic.
            for cut in 0..bytes.len() {
                assert!(Op::decode(&bytes[..cut], Path::new("wal")).is_err());
            }
        }
        // A batch may not nest batches or carry other kinds.
        for inner in [
            Op::Batch(vec![]),
            Op::IndexText {
                id: "a".into(),
                text: "t".into(),
            },
        ] {
            let bytes = Op::Batch(vec![inner]).encode();
            assert!(Op::decode(&bytes, Path::new("wal")).is_err());
        }
    }
}
