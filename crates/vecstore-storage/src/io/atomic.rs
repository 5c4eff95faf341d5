//! Atomic file replacement and the checksummed small-file container.
//!
//! [`write_atomic`] replaces a file so that after a crash at any point a reader
//! finds either the complete old content or the complete new content, never a
//! mix: the bytes go to `<path>.tmp`, are fsynced, renamed over `path`, and the
//! parent directory is fsynced so the rename itself is durable.
//!
//! [`write_checksummed`] / [`read_checksummed`] wrap a small payload (the
//! manifest, the format-version file) in a 24-byte header with a magic, a
//! version, the payload length and CRC32C checksums; every kind of damage is
//! reported as [`Error::Corruption`], a file from a newer build as
//! [`Error::UnsupportedVersion`]. The byte layout is in `docs/file-format.md`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use vecstore_core::{Error, Result};

/// Size of the checksummed-file header in bytes.
pub const CHECKSUMMED_HEADER_LEN: usize = 24;

/// The temporary sibling `<path>.tmp` that [`write_atomic`] writes first.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".tmp");
    PathBuf::from(name)
}

/// Replaces `path` with `bytes` atomically and durably.
///
/// Steps: write `<path>.tmp`, fsync it, rename it over `path`, fsync the
/// parent directory. A crash before the rename leaves the old file (and maybe a
/// stale `.tmp`, which the next call overwrites); after the directory fsync the
/// new content is durable.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, e))?;
        file.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    fsync_dir(parent_dir(path))
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Fsyncs a directory so that creations, renames and deletions of its entries
/// are durable.
///
/// On non-Unix platforms directories cannot be opened as files; there the
/// call is a no-op (NTFS journals metadata itself).
pub fn fsync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let file = File::open(dir).map_err(|e| Error::io(dir, e))?;
        file.sync_all().map_err(|e| Error::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Encodes `payload` in the checksummed container (header + payload).
pub fn encode_checksummed(kind: [u8; 4], version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(CHECKSUMMED_HEADER_LEN + payload.len());
    out.extend_from_slice(&kind);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    let header_crc = crc32c::crc32c(&out[..20]);
    out.extend_from_slice(&header_crc.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Writes `payload` to `path` in the checksummed container, atomically
/// ([`write_atomic`]).
///
/// `kind` is a 4-byte magic naming the file's role (e.g. `*b"VSMF"`), `version`
/// the payload format version (≥ 1).
pub fn write_checksummed(path: &Path, kind: [u8; 4], version: u32, payload: &[u8]) -> Result<()> {
    if version == 0 {
        return Err(Error::InvalidArgument {
            name: "version",
            value: "0".into(),
            reason: "format versions start at 1",
        });
    }
    write_atomic(path, &encode_checksummed(kind, version, payload))
}

/// Reads a checksummed file written with `kind` and a version in
/// `1..=supported_version`; returns its payload.
///
/// Use [`read_checksummed_versioned`] when older versions need a migration
/// and the caller must know which one it got.
pub fn read_checksummed(path: &Path, kind: [u8; 4], supported_version: u32) -> Result<Vec<u8>> {
    read_checksummed_versioned(path, kind, supported_version).map(|(_, payload)| payload)
}

/// Like [`read_checksummed`], also returning the version found on disk.
pub fn read_checksummed_versioned(
    path: &Path,
    kind: [u8; 4],
    supported_version: u32,
) -> Result<(u32, Vec<u8>)> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_checksummed(path, &bytes, kind, supported_version)
}

/// Decodes bytes produced by [`encode_checksummed`]; `path` only names the
/// source in errors.
///
/// Check order: magic, version (the first 8 bytes are the only part of the
/// layout that every version keeps, so a newer file is reported as
/// [`Error::UnsupportedVersion`] before anything else is interpreted), header
/// checksum, length, payload checksum.
pub fn decode_checksummed(
    path: &Path,
    bytes: &[u8],
    kind: [u8; 4],
    supported_version: u32,
) -> Result<(u32, Vec<u8>)> {
    let corrupt = |offset: u64, reason: String| Error::corruption(path, offset, reason);
    if bytes.len() < 8 {
        return Err(corrupt(
            bytes.len() as u64,
            format!("file is {} bytes, shorter than its header", bytes.len()),
        ));
    }
    if bytes[..4] != kind {
        return Err(corrupt(
            0,
            format!(
                "bad magic {:?}, expected {:?}",
                String::from_utf8_lossy(&bytes[..4]),
                String::from_utf8_lossy(&kind)
            ),
        ));
    }
    let version = read_u32(bytes, 4);
    if version > supported_version {
        return Err(Error::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            supported: supported_version,
        });
    }
    if version == 0 {
        return Err(corrupt(4, "format version 0 is never written".into()));
    }
    if bytes.len() < CHECKSUMMED_HEADER_LEN {
        return Err(corrupt(
            bytes.len() as u64,
            format!("file is {} bytes, shorter than its header", bytes.len()),
        ));
    }
    let header_crc = read_u32(bytes, 20);
    if crc32c::crc32c(&bytes[..20]) != header_crc {
        return Err(corrupt(0, "header checksum mismatch".into()));
    }
    let len = read_u64(bytes, 8);
    let actual = (bytes.len() - CHECKSUMMED_HEADER_LEN) as u64;
    if len != actual {
        return Err(corrupt(
            bytes.len() as u64,
            format!("header says {len} payload bytes, file has {actual}"),
        ));
    }
    let payload = &bytes[CHECKSUMMED_HEADER_LEN..];
    if crc32c::crc32c(payload) != read_u32(bytes, 16) {
        return Err(corrupt(
            CHECKSUMMED_HEADER_LEN as u64,
            "payload checksum mismatch".into(),
        ));
    }
    Ok((version, payload.to_vec()))
}

/// Little-endian `u32` at `at`; the caller has checked the bounds.
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

/// Little-endian `u64` at `at`; the caller has checked the bounds.
pub(crate) fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}
