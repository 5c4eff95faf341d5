//! Write-ahead log: round trips, group commit, torn tails, byte flips,
//! checkpoints and crash states of a checkpoint.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vecstore_core::Error;
use vecstore_storage::io::wal::{
    Durability, RECORD_HEADER_LEN, WAL_HEADER_LEN, Wal, WalEntry, WalOptions,
};

fn payload(i: u64) -> Vec<u8> {
    // Varying lengths, including empty, with content derived from i.
    let len = (i * 7 % 53) as usize;
    (0..len).map(|j| (i as usize * 31 + j) as u8).collect()
}

fn wal_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir.join("wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    v.sort();
    v
}

fn write_records(dir: &Path, n: u64) -> Vec<WalEntry> {
    let (wal, replayed) = Wal::open(dir, Durability::Sync).unwrap();
    assert!(replayed.is_empty());
    let mut expected = Vec::new();
    for i in 1..=n {
        let p = payload(i);
        let seq = wal.append(&p).unwrap();
        assert_eq!(seq, i);
        expected.push(WalEntry { seq, payload: p });
    }
    expected
}

#[test]
fn round_trip_and_continue_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let expected = write_records(dir.path(), 20);
    let (wal, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
    assert_eq!(replayed, expected);
    assert_eq!(wal.recovery().reason, None);
    assert_eq!(wal.recovery().records, 20);
    assert_eq!(wal.last_seq(), 20);
    assert_eq!(wal.append(b"next").unwrap(), 21);
    let last = wal.append_batch(&[b"a", b"", b"c"]).unwrap();
    assert_eq!(last, 24);
    assert_eq!(wal.synced_seq(), 24);
    drop(wal);
    let (_, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
    assert_eq!(replayed.len(), 24);
    let tail: Vec<&[u8]> = replayed[20..]
        .iter()
        .map(|e| e.payload.as_slice())
        .collect();
    assert_eq!(tail, vec![&b"next"[..], b"a", b"", b"c"]);
}

#[test]
fn every_durability_mode_round_trips() {
    for durability in [
        Durability::Sync,
        Durability::Buffered { ms: 5 },
        Durability::None,
    ] {
        let dir = tempfile::tempdir().unwrap();
        {
            let (wal, _) = Wal::open(dir.path(), durability).unwrap();
            for i in 1..=50 {
                wal.append(&payload(i)).unwrap();
            }
            if durability == (Durability::Buffered { ms: 5 }) {
                // The background thread catches up without any call.
                let mut waited = 0;
                while wal.synced_seq() < 50 && waited < 2000 {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    waited += 5;
                }
                assert_eq!(wal.synced_seq(), 50);
            }
        }
        let (_, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
        assert_eq!(replayed.len(), 50, "{durability:?}");
        assert!(replayed.iter().all(|e| e.payload == payload(e.seq)));
    }
}

#[test]
fn buffered_zero_interval_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Wal::open(dir.path(), Durability::Buffered { ms: 0 }),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn group_commit_from_8_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), Durability::Sync).unwrap();
    let wal = Arc::new(wal);
    let per_thread = 100u64;
    let handles: Vec<_> = (0..8u64)
        .map(|t| {
            let wal = Arc::clone(&wal);
            std::thread::spawn(move || {
                let mut seqs = Vec::new();
                for i in 0..per_thread {
                    let p = format!("t{t}-{i}");
                    let seq = wal.append(p.as_bytes()).unwrap();
                    // Durable on return.
                    assert!(wal.synced_seq() >= seq);
                    seqs.push((seq, p));
                }
                seqs
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        let seqs = h.join().unwrap();
        // Each thread sees its own sequence numbers increase.
        assert!(seqs.windows(2).all(|w| w[0].0 < w[1].0));
        all.extend(seqs);
    }
    all.sort();
    let seqs: Vec<u64> = all.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, (1..=8 * per_thread).collect::<Vec<_>>());
    drop(wal);
    let (_, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
    let got: Vec<(u64, String)> = replayed
        .into_iter()
        .map(|e| (e.seq, String::from_utf8(e.payload).unwrap()))
        .collect();
    assert_eq!(got, all);
}

#[test]
fn torn_tail_at_every_offset_of_last_record() {
    let dir = tempfile::tempdir().unwrap();
    let expected = write_records(dir.path(), 10);
    let file = wal_files(dir.path()).pop().unwrap();
    let full = fs::read(&file).unwrap();
    let last_len = RECORD_HEADER_LEN as usize + expected[9].payload.len();
    let last_start = full.len() - last_len;
    for cut in last_start..full.len() {
        fs::write(&file, &full[..cut]).unwrap();
        let (wal, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
        assert_eq!(replayed, expected[..9], "cut at {cut}");
        let rec = wal.recovery();
        assert_eq!(rec.dropped_bytes, (cut - last_start) as u64, "cut at {cut}");
        if cut > last_start {
            assert_eq!(rec.truncated_file.as_deref(), Some(file.as_path()));
            assert_eq!(rec.truncated_at, last_start as u64);
        }
        drop(wal);
        // The torn tail was truncated away.
        assert_eq!(fs::metadata(&file).unwrap().len(), last_start as u64);
    }
    // Appending after a repair continues the sequence.
    let (wal, _) = Wal::open(dir.path(), Durability::Sync).unwrap();
    assert_eq!(wal.append(b"after").unwrap(), 10);
}

#[test]
fn torn_header_of_a_fresh_file_is_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let expected = write_records(dir.path(), 3);
    let file = wal_files(dir.path()).pop().unwrap();
    let full = fs::read(&file).unwrap();
    for cut in 0..WAL_HEADER_LEN as usize {
        fs::write(&file, &full[..cut]).unwrap();
        let (wal, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
        assert!(replayed.is_empty());
        assert_eq!(wal.append(b"x").unwrap(), 1);
        drop(wal);
        fs::write(&file, &full).unwrap();
        for f in wal_files(dir.path()) {
            if f != file {
                fs::remove_file(f).unwrap();
            }
        }
    }
    let (_, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
    assert_eq!(replayed, expected);
}

#[test]
fn single_byte_flips_anywhere_return_the_records_before_the_flip() {
    let dir = tempfile::tempdir().unwrap();
    let expected = write_records(dir.path(), 12);
    let file = wal_files(dir.path()).pop().unwrap();
    let full = fs::read(&file).unwrap();
    // Record start offsets, to know which record a flipped byte belongs to.
    let mut starts = Vec::new();
    let mut at = WAL_HEADER_LEN as usize;
    for e in &expected {
        starts.push(at);
        at += RECORD_HEADER_LEN as usize + e.payload.len();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for pos in 0..full.len() {
        let mut damaged = full.clone();
        damaged[pos] ^= 1 << rng.random_range(0..8);
        fs::write(&file, &damaged).unwrap();
        match Wal::open(dir.path(), Durability::Sync) {
            Ok((wal, replayed)) => {
                let intact = starts
                    .iter()
                    .filter(|&&s| s <= pos)
                    .count()
                    .saturating_sub(1);
                let intact = if pos < WAL_HEADER_LEN as usize {
                    0
                } else {
                    intact
                };
                assert_eq!(replayed, expected[..intact], "flip at {pos}");
                assert!(wal.recovery().reason.is_some(), "flip at {pos}");
                // The log is usable after the repair.
                wal.append(b"after").unwrap();
            }
            Err(Error::UnsupportedVersion { found, .. }) => {
                assert!((4..8).contains(&pos), "flip at {pos} gave version {found}");
            }
            Err(other) => panic!("flip at {pos}: {other:?}"),
        }
        for f in wal_files(dir.path()) {
            fs::remove_file(f).unwrap();
        }
        fs::write(&file, &full).unwrap();
    }
}

#[test]
fn newer_version_is_an_error_and_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    write_records(dir.path(), 2);
    let file = wal_files(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&file).unwrap();
    bytes[4..8].copy_from_slice(&2u32.to_le_bytes());
    fs::write(&file, &bytes).unwrap();
    match Wal::open(dir.path(), Durability::Sync) {
        Err(Error::UnsupportedVersion {
            path,
            found: 2,
            supported: 1,
        }) => assert_eq!(path, file),
        other => panic!("{other:?}"),
    }
    assert_eq!(fs::read(&file).unwrap(), bytes);
}

fn small_files(durability: Durability) -> WalOptions {
    WalOptions {
        durability,
        max_file_bytes: 200,
        min_next_seq: 1,
    }
}

#[test]
fn rotation_by_size_replays_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open_with(dir.path(), small_files(Durability::Sync)).unwrap();
    for i in 1..=40 {
        wal.append(&payload(i)).unwrap();
    }
    assert!(wal.file_count() > 3);
    drop(wal);
    let (wal, replayed) = Wal::open_with(dir.path(), small_files(Durability::Sync)).unwrap();
    assert_eq!(replayed.len(), 40);
    assert!(replayed.iter().all(|e| e.payload == payload(e.seq)));
    assert!(wal.file_count() > 3);
}

#[test]
fn damage_in_an_older_file_never_skips_a_hole() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open_with(dir.path(), small_files(Durability::Sync)).unwrap();
    for i in 1..=40 {
        wal.append(&payload(i)).unwrap();
    }
    drop(wal);
    let files = wal_files(dir.path());
    let n_files = files.len();
    // Damage the first record of the second file.
    let mut bytes = fs::read(&files[1]).unwrap();
    bytes[WAL_HEADER_LEN as usize + RECORD_HEADER_LEN as usize - 1] ^= 0x40;
    fs::write(&files[1], &bytes).unwrap();
    let first_file_records = {
        let (_, r) = Wal::open_with(dir.path(), small_files(Durability::Sync)).unwrap();
        r
    };
    // Only the first file's records came back, in order, and later files are gone.
    assert!(!first_file_records.is_empty());
    assert!(first_file_records.len() < 40);
    for (i, e) in first_file_records.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
    }
    assert_eq!(wal_files(dir.path()).len(), 2);
    assert!(n_files > 2);
}

#[test]
fn a_missing_middle_file_is_a_hole() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open_with(dir.path(), small_files(Durability::Sync)).unwrap();
    for i in 1..=40 {
        wal.append(&payload(i)).unwrap();
    }
    drop(wal);
    let files = wal_files(dir.path());
    fs::remove_file(&files[1]).unwrap();
    let (wal, replayed) = Wal::open_with(dir.path(), small_files(Durability::Sync)).unwrap();
    let first_len = replayed.len() as u64;
    assert!(
        replayed
            .iter()
            .enumerate()
            .all(|(i, e)| e.seq == i as u64 + 1)
    );
    assert!(wal.recovery().dropped_files >= 1);
    assert_eq!(wal.append(b"x").unwrap(), first_len + 1);
}

#[test]
fn checkpoint_then_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), Durability::Sync).unwrap();
    for i in 1..=30 {
        wal.append(&payload(i)).unwrap();
    }
    let before = wal.size_bytes();
    wal.checkpoint(30).unwrap();
    assert_eq!(wal.file_count(), 1);
    assert_eq!(wal.size_bytes(), WAL_HEADER_LEN);
    assert!(before > wal.size_bytes());
    for i in 31..=35 {
        wal.append(&payload(i)).unwrap();
    }
    // A checkpoint in the middle of the current file rotates; the old file
    // stays until a later checkpoint covers it.
    wal.checkpoint(32).unwrap();
    assert_eq!(wal.file_count(), 2);
    wal.append(&payload(36)).unwrap();
    drop(wal);
    let (wal, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
    let seqs: Vec<u64> = replayed.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![31, 32, 33, 34, 35, 36]);
    assert!(replayed.iter().all(|e| e.payload == payload(e.seq)));
    wal.checkpoint(35).unwrap();
    assert_eq!(wal.file_count(), 1);
    drop(wal);
    let (wal, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
    assert_eq!(replayed.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![36]);
    assert_eq!(wal.append(b"x").unwrap(), 37);
    assert!(matches!(
        wal.checkpoint(38),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn checkpoint_of_everything_keeps_the_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), Durability::Sync).unwrap();
    for i in 1..=5 {
        wal.append(&payload(i)).unwrap();
    }
    wal.checkpoint(5).unwrap();
    drop(wal);
    let (wal, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
    assert!(replayed.is_empty());
    assert_eq!(wal.append(b"x").unwrap(), 6);
}

/// A crash in the middle of a checkpoint leaves old files, possibly with the
/// new empty file: replay returns a contiguous run, the engine skips `≤ seq`.
#[test]
fn crash_states_of_a_checkpoint_replay_contiguously() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open_with(dir.path(), small_files(Durability::Sync)).unwrap();
    for i in 1..=40 {
        wal.append(&payload(i)).unwrap();
    }
    drop(wal);
    let files = wal_files(dir.path());
    let saved: Vec<(PathBuf, Vec<u8>)> = files
        .iter()
        .map(|f| (f.clone(), fs::read(f).unwrap()))
        .collect();
    // Every prefix of "delete the oldest file" (the checkpoint deletes oldest
    // first) leaves a suffix that replays contiguously to seq 40.
    for deleted in 0..files.len() {
        for (p, b) in &saved {
            fs::write(p, b).unwrap();
        }
        for f in &files[..deleted] {
            fs::remove_file(f).unwrap();
        }
        let (wal, replayed) = Wal::open_with(dir.path(), small_files(Durability::Sync)).unwrap();
        assert_eq!(
            replayed.last().map(|e| e.seq),
            Some(40).filter(|_| deleted < files.len())
        );
        assert!(replayed.windows(2).all(|w| w[1].seq == w[0].seq + 1));
        assert_eq!(wal.recovery().reason, None, "deleted {deleted}");
        drop(wal);
        for f in wal_files(dir.path()) {
            fs::remove_file(f).unwrap();
        }
    }
}

#[test]
fn min_next_seq_never_reissues_flushed_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let opts = WalOptions {
        min_next_seq: 101,
        ..WalOptions::default()
    };
    let (wal, replayed) = Wal::open_with(dir.path(), opts).unwrap();
    assert!(replayed.is_empty());
    assert_eq!(wal.append(b"a").unwrap(), 101);
    drop(wal);
    // The WAL lost its files (e.g. damaged header): the manifest knows 150.
    for f in wal_files(dir.path()) {
        fs::remove_file(f).unwrap();
    }
    let opts = WalOptions {
        min_next_seq: 151,
        ..WalOptions::default()
    };
    let (wal, _) = Wal::open_with(dir.path(), opts).unwrap();
    assert_eq!(wal.append(b"b").unwrap(), 151);
    drop(wal);
    let (_, replayed) = Wal::open(dir.path(), Durability::Sync).unwrap();
    assert_eq!(
        replayed.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![151]
    );
}
