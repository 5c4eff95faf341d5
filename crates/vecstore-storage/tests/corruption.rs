//! Damage at open: truncations and single-byte flips of every file type
//! give `Error::Corruption` (or, for the WAL, a recovered tail), never a
//! panic or a SIGBUS; reads after a successful open stay well-behaved.

use std::path::{Path, PathBuf};
use vecstore_storage::{Error, Metadata, Query, Record, VecDatabase, VecStore};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            files(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

/// A store with a flushed segment, a manifest and an unflushed WAL tail.
fn pristine() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store =
        VecStore::open_with(VecDatabase::builder(dir.path()).flush_on_close(false)).unwrap();
    let recs: Vec<Record> = (0..200)
        .map(|i| {
            let mut m = Metadata::new();
            m.insert("i", i as i64);
            Record::new(format!("id{i}"), vec![i as f32, 1.0, 2.0, 3.0], m)
                .with_text(format!("text number {i}"))
        })
        .collect();
    store.batch_upsert(recs).unwrap();
    store.flush().unwrap();
    for i in 200..220 {
        store
            .upsert(
                format!("id{i}"),
                vec![i as f32, 0.0, 0.0, 1.0],
                Metadata::new(),
            )
            .unwrap();
    }
    store.delete("id3").unwrap();
    drop(store);
    dir
}

/// Opens and exercises the store; returns the first error, if any.
fn open_and_read(dir: &Path) -> Result<usize, Error> {
    let store = VecStore::open_with(VecDatabase::builder(dir).flush_on_close(false))?;
    let n = store.count()?;
    store.query(Query {
        vector: vec![1.0, 1.0, 1.0, 1.0],
        k: 10,
        filter: Some("i > 5".parse().unwrap()),
    })?;
    store.keyword_query("number", 5, None)?;
    store.export_jsonl(&mut Vec::new())?;
    Ok(n)
}

fn kind(p: &Path) -> &'static str {
    let name = p.file_name().unwrap().to_string_lossy();
    if name == "MANIFEST" {
        "manifest"
    } else if name.ends_with(".seg") {
        "segment"
    } else if name.ends_with(".wal") {
        "wal"
    } else if name == "FORMAT" {
        "format"
    } else {
        "other"
    }
}

fn damaged_variants(len: u64) -> Vec<(bool, u64)> {
    // (truncate?, offset): many truncations and flips spread over the file,
    // plus the first and last bytes.
    let mut v = Vec::new();
    let step = (len / 40).max(1);
    let mut off = 0;
    while off < len {
        v.push((true, off));
        v.push((false, off));
        v.push((false, (off + step / 2).min(len - 1)));
        off += step;
    }
    v.push((false, len - 1));
    v.push((true, len - 1));
    v
}

#[test]
fn every_file_type_damaged_is_detected_or_recovered() {
    let base = pristine();
    assert_eq!(open_and_read(base.path()).unwrap(), 219);
    let mut all = Vec::new();
    files(base.path(), &mut all);
    let mut checked = std::collections::BTreeMap::<&str, usize>::new();
    for file in &all {
        let k = kind(file);
        if k == "other" {
            continue; // LOCK, READERS: contents never read
        }
        let rel = file.strip_prefix(base.path()).unwrap().to_path_buf();
        let len = std::fs::metadata(file).unwrap().len();
        for (truncate, off) in damaged_variants(len) {
            let work = tempfile::tempdir().unwrap();
            copy_dir(base.path(), work.path());
            let target = work.path().join(&rel);
            let mut bytes = std::fs::read(&target).unwrap();
            if truncate {
                bytes.truncate(off as usize);
            } else {
                bytes[off as usize] ^= 0x5a;
            }
            std::fs::write(&target, &bytes).unwrap();
            let what = format!(
                "{k} {rel:?} {} at {off}",
                if truncate { "cut" } else { "flip" }
            );
            match open_and_read(work.path()) {
                Ok(n) => {
                    // Only the WAL may be damaged and still open: its torn
                    // tail is dropped, so some of the last writes are gone.
                    assert_eq!(k, "wal", "{what}: damage went unnoticed");
                    assert!((199..=220).contains(&n), "{what}: count {n}");
                }
                Err(Error::Corruption { path, .. }) => {
                    assert!(
                        path.ends_with(rel.file_name().unwrap()) || k == "segment",
                        "{what}: {path:?}"
                    );
                }
                Err(Error::UnsupportedVersion { .. }) => {
                    assert!(off < 8 || k == "wal" || k == "segment", "{what}");
                }
                Err(e) => panic!("{what}: unexpected error {e:?}"),
            }
            *checked.entry(k).or_default() += 1;
        }
    }
    for k in ["manifest", "segment", "wal", "format"] {
        assert!(
            checked.get(k).copied().unwrap_or(0) > 10,
            "{k} not exercised: {checked:?}"
        );
    }
}

#[test]
fn truncated_segment_is_detected_before_mapping() {
    let base = pristine();
    let mut all = Vec::new();
    files(base.path(), &mut all);
    let seg = all.iter().find(|p| kind(p) == "segment").unwrap();
    let len = std::fs::metadata(seg).unwrap().len();
    // Cut deep into the data: mapping it and touching the tail would SIGBUS.
    std::fs::OpenOptions::new()
        .write(true)
        .open(seg)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let err = open_and_read(base.path()).unwrap_err();
    assert!(matches!(err, Error::Corruption { .. }), "{err:?}");
}

/// Rewrites `path`'s section `id` with `edit` and repairs every checksum
/// (section table entry, table, header), as a writer bug or undetected
/// media damage would leave it: only the content checks can catch it.
fn edit_section_behind_checksums(path: &Path, id: u32, edit: impl FnOnce(&mut [u8])) {
    use vecstore_storage::io::segment_file::{SECTION_ENTRY_LEN, SEGMENT_HEADER_LEN, SegmentFile};
    let layout = SegmentFile::read_layout(path).unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    let table = layout.table_offset as usize;
    let entry_len = SECTION_ENTRY_LEN as usize;
    // Where the checksums live (docs/file-format.md): an entry's CRC at byte
    // 24 of the entry; the table's CRC at byte 32 of the header, and the
    // header's own CRC, over the bytes before it, in its last 4 bytes.
    let header_crc_at = SEGMENT_HEADER_LEN as usize - 4;
    let (i, s) = layout
        .sections
        .iter()
        .enumerate()
        .find(|(_, s)| s.id == id)
        .unwrap();
    let (start, end) = (s.offset as usize, (s.offset + s.len) as usize);
    edit(&mut bytes[start..end]);
    let crc = crc32c::crc32c(&bytes[start..end]);
    let entry = table + entry_len * i;
    bytes[entry + 24..entry + 28].copy_from_slice(&crc.to_le_bytes());
    let table_crc = crc32c::crc32c(&bytes[table..table + entry_len * layout.sections.len()]);
    bytes[32..36].copy_from_slice(&table_crc.to_le_bytes());
    let header_crc = crc32c::crc32c(&bytes[..header_crc_at]);
    bytes[header_crc_at..header_crc_at + 4].copy_from_slice(&header_crc.to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn invalid_metadata_archive_is_corruption_even_behind_valid_checksums() {
    // Section 13 is the per-row metadata archive. Small archives are checked
    // at open; large ones (over 1 MiB) on the first read that needs them.
    for (rows, pad) in [(50usize, 8usize), (3000, 600)] {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = VecStore::open(dir.path()).unwrap();
            let recs: Vec<Record> = (0..rows)
                .map(|i| {
                    let mut m = Metadata::new();
                    m.insert("i", i as i64);
                    m.insert("pad", "x".repeat(pad));
                    Record::new(format!("id{i}"), vec![i as f32, 1.0], m)
                })
                .collect();
            store.batch_upsert(recs).unwrap();
        }
        let mut all = Vec::new();
        files(dir.path(), &mut all);
        let seg = all
            .iter()
            .find(|p| kind(p) == "segment")
            .expect("a flushed segment");
        // Point the root's last relative pointer far outside the buffer.
        edit_section_behind_checksums(seg, 13, |b| {
            let n = b.len();
            b[n - 8..n - 4].copy_from_slice(&0x4000_0000u32.to_le_bytes());
        });
        let is_seg_corruption = |r: Result<(), Error>| matches!(r, Err(Error::Corruption { ref path, .. }) if path == seg);
        let opened = VecStore::open(dir.path());
        if rows == 50 {
            assert!(
                is_seg_corruption(opened.map(|_| ())),
                "small archive: at open"
            );
            continue;
        }
        // Large archive: open stays cheap; the first read that needs
        // metadata reports the damage, and so does every later one.
        let store = opened.expect("large archive is checked lazily");
        let filtered = store.query(Query {
            vector: vec![1.0, 1.0],
            k: 5,
            filter: Some("i >= 0".parse().unwrap()),
        });
        assert!(is_seg_corruption(filtered.map(|_| ())), "filtered query");
        assert!(is_seg_corruption(store.get("id7").map(|_| ())), "get");
        let plain = store.query(Query {
            vector: vec![1.0, 1.0],
            k: 5,
            filter: None,
        });
        assert!(is_seg_corruption(plain.map(|_| ())), "metadata of hits");
    }
}
