//! Atomic replacement and the checksummed small-file container.

use std::fs;

use vecstore_core::Error;
use vecstore_storage::io::atomic::{
    CHECKSUMMED_HEADER_LEN, read_checksummed, read_checksummed_versioned, tmp_path, write_atomic,
    write_checksummed,
};

const KIND: [u8; 4] = *b"TEST";

#[test]
fn write_atomic_replaces_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file");
    write_atomic(&path, b"first").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"first");
    // A stale temp file from a crash is simply overwritten.
    fs::write(tmp_path(&path), b"stale garbage").unwrap();
    write_atomic(&path, b"second").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"second");
    assert!(!tmp_path(&path).exists());
}

#[test]
fn checksummed_round_trip_and_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest");
    let payload: Vec<u8> = (0..1000u32).map(|i| (i * 13) as u8).collect();
    write_checksummed(&path, KIND, 2, &payload).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().len() as usize,
        CHECKSUMMED_HEADER_LEN + 1000
    );
    assert_eq!(read_checksummed(&path, KIND, 2).unwrap(), payload);
    // An older version is accepted and reported.
    assert_eq!(
        read_checksummed_versioned(&path, KIND, 5).unwrap(),
        (2, payload.clone())
    );
    // A newer version is a clear error naming both versions.
    match read_checksummed(&path, KIND, 1) {
        Err(Error::UnsupportedVersion {
            path: p,
            found: 2,
            supported: 1,
        }) => assert_eq!(p, path),
        other => panic!("{other:?}"),
    }
    // Another kind of file is corruption, not a silent misread.
    assert!(matches!(
        read_checksummed(&path, *b"OTHR", 2),
        Err(Error::Corruption { .. })
    ));
    // Empty payloads are fine; version 0 is refused on write.
    write_checksummed(&path, KIND, 1, b"").unwrap();
    assert_eq!(read_checksummed(&path, KIND, 1).unwrap(), b"");
    assert!(write_checksummed(&path, KIND, 0, b"x").is_err());
}

#[test]
fn truncation_at_every_offset_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest");
    write_checksummed(&path, KIND, 1, b"the payload of a small manifest").unwrap();
    let full = fs::read(&path).unwrap();
    for cut in 0..full.len() {
        fs::write(&path, &full[..cut]).unwrap();
        match read_checksummed(&path, KIND, 1) {
            Err(Error::Corruption { path: p, .. }) => assert_eq!(p, path),
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    // Extra bytes at the end are damage too.
    let mut longer = full.clone();
    longer.push(0);
    fs::write(&path, &longer).unwrap();
    assert!(matches!(
        read_checksummed(&path, KIND, 1),
        Err(Error::Corruption { .. })
    ));
}

#[test]
fn every_single_bit_flip_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest");
    write_checksummed(&path, KIND, 1, b"the payload of a small manifest").unwrap();
    let full = fs::read(&path).unwrap();
    for pos in 0..full.len() {
        for bit in 0..8 {
            let mut damaged = full.clone();
            damaged[pos] ^= 1 << bit;
            fs::write(&path, &damaged).unwrap();
            match read_checksummed(&path, KIND, 1) {
                Err(Error::Corruption { path: p, .. }) => assert_eq!(p, path),
                // Only the version field can read as a newer version.
                Err(Error::UnsupportedVersion { .. }) => assert!((4..8).contains(&pos)),
                other => panic!("flip at {pos} bit {bit}: {other:?}"),
            }
        }
    }
}

#[test]
fn missing_file_is_io_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        read_checksummed(&dir.path().join("nope"), KIND, 1),
        Err(Error::Io { .. })
    ));
}
