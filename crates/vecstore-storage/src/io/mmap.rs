//! Read-only memory maps of immutable files and zero-copy views into them.
//!
//! This is the only module of vecstore-storage allowed to use `unsafe`: the
//! mapping itself, reinterpreting mapped bytes as `f32`/`u32`/`u64` slices,
//! and re-borrowing an rkyv archive that was validated before.
//!
//! # The contract that makes mapping sound
//! A memory map aliases the file: if any process truncates or rewrites a
//! mapped file, readers see the bytes change under a shared reference (which
//! Rust assumes cannot happen), and touching a page beyond a truncated end
//! raises `SIGBUS` and kills the process. vecstore therefore maps only files
//! it treats as immutable: segment files are written to a temporary name,
//! fsynced and renamed into place, and never opened for writing again.
//! Replacing or deleting them (compaction, snapshot restore) goes through
//! `rename`/`unlink`, which leave an existing mapping on the old inode intact.
//! Snapshots hard-link segment files, so a snapshot's files are the same
//! inodes and fall under the same rule. Other programs must not modify files
//! inside a vecstore directory while it is open; that is the documented
//! contract, as for SQLite or LMDB. Before mapping, the file's length is
//! checked against its header, so a file truncated *before* open is an error,
//! never a `SIGBUS`.
#![allow(unsafe_code)]

use std::any::TypeId;
use std::fs::File;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::Mmap;
use rkyv::Portable;
use rkyv::api::high::HighValidator;
use rkyv::bytecheck::CheckBytes;
use rkyv::rancor;
use vecstore_core::{Error, Result};

// Zero-copy views read the little-endian on-disk numbers in native order.
#[cfg(not(target_endian = "little"))]
compile_error!("vecstore's zero-copy segment views require a little-endian target");

static MAPS_CREATED: AtomicU64 = AtomicU64::new(0);

/// How many files this process has memory-mapped through [`MappedFile::map`]
/// (a diagnostic counter; tests use it to show that damaged files are
/// rejected before they are mapped).
pub fn maps_created() -> u64 {
    MAPS_CREATED.load(Ordering::Relaxed)
}

/// A read-only memory map of a whole immutable file.
#[derive(Debug)]
pub struct MappedFile {
    map: Mmap,
}

impl MappedFile {
    /// Maps `file` (opened read-only from `path`) read-only.
    ///
    /// The caller must have checked that the file's length is what its header
    /// promises; see the module docs for the immutability contract.
    pub fn map(file: &File, path: &Path) -> Result<MappedFile> {
        // SAFETY: memmap2 requires that the file is not modified or truncated
        // while mapped. vecstore never writes to a file after it was renamed
        // into place (the module docs state the contract for other
        // processes), and the map is read-only, so no `&mut` alias exists.
        let map = unsafe { Mmap::map(file) }.map_err(|e| Error::io(path, e))?;
        MAPS_CREATED.fetch_add(1, Ordering::Relaxed);
        Ok(MappedFile { map })
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }
}

/// Numbers that can be viewed in place: every bit pattern is a valid value
/// and there is no padding.
pub trait Plain: Copy + sealed::Sealed + 'static {}
impl Plain for f32 {}
impl Plain for u32 {}
impl Plain for u64 {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// Views `bytes` as a slice of `T` without copying; `None` when the start is
/// not aligned for `T` or the length is not a multiple of its size.
pub fn cast_slice<T: Plain>(bytes: &[u8]) -> Option<&[T]> {
    let size = std::mem::size_of::<T>();
    if !bytes.len().is_multiple_of(size)
        || !(bytes.as_ptr() as usize).is_multiple_of(std::mem::align_of::<T>())
    {
        return None;
    }
    // SAFETY: the pointer is aligned for T and the length is a whole number
    // of T (both checked above); T is f32, u32 or u64 (sealed), for which
    // every bit pattern is valid and which have no padding; the returned
    // slice borrows `bytes`, so it cannot outlive the memory.
    Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), bytes.len() / size) })
}

/// Accesses an rkyv archive of type `A` in `bytes`, running bytecheck
/// validation only the first time per `validated` slot.
///
/// `validated` must belong to these exact bytes (one slot per immutable
/// section); it records the type that passed validation.
pub fn access_archived<'b, A>(
    bytes: &'b [u8],
    validated: &OnceLock<TypeId>,
) -> std::result::Result<&'b A, rancor::Error>
where
    A: Portable + for<'a> CheckBytes<HighValidator<'a, rancor::Error>> + 'static,
{
    if validated.get() == Some(&TypeId::of::<A>()) {
        // SAFETY: the slot is set only after `rkyv::access::<A>` succeeded on
        // these same bytes (below), the TypeId equality proves it was this A,
        // and the bytes are an immutable mapping that cannot change since
        // (module contract), so the archive is still valid.
        return Ok(unsafe { rkyv::access_unchecked::<A>(bytes) });
    }
    let archived = rkyv::access::<A, rancor::Error>(bytes)?;
    let _ = validated.set(TypeId::of::<A>());
    Ok(archived)
}
