//! A truncated segment file is rejected before it is memory-mapped, so a
//! damaged file can never raise SIGBUS. Own test binary: it reads the
//! process-wide map counter, which other tests running in parallel would move.

use std::fs;

use vecstore_core::Error;
use vecstore_storage::io::mmap::maps_created;
use vecstore_storage::io::segment_file::{SegmentFile, SegmentWriter};

#[test]
fn truncated_file_is_detected_before_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seg");
    let mut w = SegmentWriter::create(&path).unwrap();
    // A section large enough to be verified lazily: if the file were mapped
    // with pages missing, touching them would be a SIGBUS.
    let big: Vec<f32> = (0..600_000).map(|i| i as f32).collect();
    w.add_f32s(1, &big).unwrap();
    w.add_u32s(2, &[1, 2, 3]).unwrap();
    w.finish().unwrap();

    let before = maps_created();
    let ok = SegmentFile::open(&path).unwrap();
    assert_eq!(maps_created(), before + 1);
    drop(ok);

    let full_len = fs::metadata(&path).unwrap().len();
    for cut in [
        full_len - 1,
        full_len - 32,
        full_len / 2,
        4096,
        100,
        64,
        10,
        0,
    ] {
        let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(cut).unwrap();
        drop(file);
        let before = maps_created();
        match SegmentFile::open(&path) {
            Err(Error::Corruption { path: p, .. }) => assert_eq!(p, path),
            other => panic!("cut at {cut}: {other:?}"),
        }
        assert_eq!(maps_created(), before, "cut at {cut}: the file was mapped");
        // The same check is available without opening.
        assert!(SegmentFile::read_layout(&path).is_err());
    }
}
