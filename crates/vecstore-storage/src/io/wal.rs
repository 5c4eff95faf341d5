//! The write-ahead log: an append-only, checksummed, sequence-numbered record
//! log with group commit.
//!
//! Layout (byte by byte in `docs/file-format.md`): `dir/wal/NNNNNNNN.wal`
//! files, each a 32-byte header (magic, version, file number, base sequence
//! number, checksum) followed by records
//! `[len u32][crc32c u32][seq u64][payload]`, all little-endian; the CRC32C
//! covers `len ‖ seq ‖ payload`. Sequence numbers start at 1, increase by one
//! per record, and continue across files: a file's header names the sequence
//! number of its first record.
//!
//! # Durability and group commit
//! Appenders write their frames to the OS under a short mutex and, under
//! [`Durability::Sync`], then wait until a `fdatasync` covering their record
//! has completed. One waiting appender becomes the *leader* and syncs for all
//! records written so far; the others wait on a condition variable. Eight
//! concurrent appenders thus share one or two syncs instead of issuing eight.
//! A failed sync *poisons* the log: after `fsync` fails, the page cache state
//! is unknown, so every later call fails until the log is reopened (replay then
//! decides what is on disk).
//!
//! # Replay
//! [`Wal::open`] reads every file in order and returns the records. It stops
//! at the first record that is incomplete, fails its checksum, or breaks the
//! sequence (a torn write at the tail, or damage), truncates that file there,
//! deletes any later files, and reports what it dropped in [`WalRecovery`].
//! Records after a bad one are never applied: the log never skips a hole.
//! A torn tail only ever holds records that were not yet acknowledged under
//! `Sync`, so in the expected crash case nothing acknowledged is lost.
//!
//! # Checkpoints
//! After the engine has made every record `≤ seq` durable elsewhere (segment +
//! manifest storing `seq`), [`Wal::checkpoint`] rotates to a new file and
//! deletes the files holding only records `≤ seq`, oldest first, fsyncing the
//! directory after each deletion. A crash at any step leaves a contiguous
//! suffix of the log; replay may then return records `≤ seq` again, which the
//! engine skips by comparing with its manifest.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use vecstore_core::{Error, Result};

use super::atomic::{fsync_dir, read_u32, read_u64};

/// Magic at the start of every WAL file.
pub const WAL_MAGIC: [u8; 4] = *b"VSWL";
/// WAL format version written by this build.
pub const WAL_VERSION: u32 = 1;
/// Size of a WAL file header.
pub const WAL_HEADER_LEN: u64 = 32;
/// Size of a record's frame header (`len`, `crc`, `seq`).
pub const RECORD_HEADER_LEN: u64 = 16;
/// Largest accepted record payload (1 GiB).
pub const MAX_RECORD_LEN: usize = 1 << 30;
/// Name of the WAL directory inside the directory given to [`Wal::open`].
pub const WAL_DIR: &str = "wal";

/// When appended records become durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Durability {
    /// `append` returns after the record is on stable storage (`fdatasync`),
    /// sharing syncs between concurrent appenders (group commit).
    #[default]
    Sync,
    /// `append` returns after the record reached the OS; a background thread
    /// syncs at most every `ms` milliseconds. A crash loses at most the last
    /// `ms` of acknowledged writes, never corrupts.
    Buffered {
        /// Interval between background syncs, in milliseconds (≥ 1).
        ms: u64,
    },
    /// Never sync; the OS writes back when it likes. A power loss may lose
    /// any amount of acknowledged writes (a process crash loses none).
    None,
}

/// Options of [`Wal::open_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalOptions {
    /// When appends become durable.
    pub durability: Durability,
    /// Rotate to a new file when the current one exceeds this many bytes.
    pub max_file_bytes: u64,
    /// The smallest sequence number the next append may get. The engine passes
    /// `manifest.last_flushed_seq + 1` so that a log lost or damaged as a whole
    /// never reissues sequence numbers the manifest already covers.
    pub min_next_seq: u64,
}

impl Default for WalOptions {
    fn default() -> Self {
        WalOptions {
            durability: Durability::Sync,
            max_file_bytes: 64 << 20,
            min_next_seq: 1,
        }
    }
}

/// One replayed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalEntry {
    /// Its sequence number.
    pub seq: u64,
    /// The bytes given to `append`.
    pub payload: Vec<u8>,
}

/// What replay at open found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalRecovery {
    /// Records returned.
    pub records: u64,
    /// The file truncated at the first bad record, if any.
    pub truncated_file: Option<PathBuf>,
    /// Byte offset in `truncated_file` where the first bad record started.
    pub truncated_at: u64,
    /// Bytes dropped: the bad tail of `truncated_file` plus every later file.
    pub dropped_bytes: u64,
    /// Whole files deleted because they followed the bad record (or had a bad
    /// header).
    pub dropped_files: u64,
    /// Why replay stopped early; `None` after a clean shutdown.
    pub reason: Option<String>,
}

/// The write-ahead log of one collection. Thread-safe: every method takes
/// `&self`.
#[derive(Debug)]
pub struct Wal {
    inner: Arc<Inner>,
    flusher: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    options: WalOptions,
    state: Mutex<State>,
    sync: Mutex<SyncState>,
    synced_cv: Condvar,
    shutdown: Mutex<bool>,
    shutdown_cv: Condvar,
    recovery: WalRecovery,
}

#[derive(Debug)]
struct State {
    /// The file appended to; shared with sync leaders, who fsync it without
    /// holding this mutex.
    file: Arc<File>,
    file_no: u64,
    file_base_seq: u64,
    file_len: u64,
    /// Older files still on disk, oldest first.
    older: Vec<OldFile>,
    next_seq: u64,
    poisoned: Option<String>,
}

#[derive(Debug, Clone)]
struct OldFile {
    path: PathBuf,
    base_seq: u64,
    len: u64,
}

#[derive(Debug)]
struct SyncState {
    /// Every record with `seq ≤ synced_seq` is durable.
    synced_seq: u64,
    syncing: bool,
    poisoned: Option<String>,
}

/// A WAL file found on disk.
struct FoundFile {
    no: u64,
    path: PathBuf,
}

impl Wal {
    /// Opens (or creates) the log in `dir/wal/` with default options and the
    /// given durability, replaying existing records.
    pub fn open(dir: &Path, durability: Durability) -> Result<(Wal, Vec<WalEntry>)> {
        Self::open_with(
            dir,
            WalOptions {
                durability,
                ..WalOptions::default()
            },
        )
    }

    /// Opens (or creates) the log in `dir/wal/`, replays it (see the module
    /// docs for what happens to a damaged tail) and returns the records in
    /// sequence order. Fails with [`Error::UnsupportedVersion`] on a file from
    /// a newer build, without modifying anything.
    pub fn open_with(dir: &Path, options: WalOptions) -> Result<(Wal, Vec<WalEntry>)> {
        if let Durability::Buffered { ms: 0 } = options.durability {
            return Err(Error::InvalidArgument {
                name: "durability",
                value: "Buffered { ms: 0 }".into(),
                reason: "the sync interval must be at least 1 ms",
            });
        }
        let wal_dir = dir.join(WAL_DIR);
        if !wal_dir.is_dir() {
            fs::create_dir_all(&wal_dir).map_err(|e| Error::io(&wal_dir, e))?;
            fsync_dir(dir)?;
        }
        let found = list_files(&wal_dir)?;
        let replay = replay(&found)?;
        let mut recovery = replay.recovery;
        let mut files = replay.files;
        let entries = replay.entries;
        if let Some(stop) = &replay.stop {
            repair(&wal_dir, stop, &found)?;
        }
        let mut next_seq = replay.next_seq.unwrap_or(1);
        if next_seq < options.min_next_seq {
            // Everything left is below what the engine has flushed: the records
            // are returned (and skipped by the engine), the files go.
            for f in files.drain(..) {
                remove_file_durably(&wal_dir, &f.path)?;
            }
            next_seq = options.min_next_seq;
        }
        let max_no = found.iter().map(|f| f.no).max().unwrap_or(0);
        let (file, file_no, file_base_seq, file_len) = match files.pop() {
            Some(last) => {
                let mut file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&last.path)
                    .map_err(|e| Error::io(&last.path, e))?;
                file.seek(SeekFrom::Start(last.len))
                    .map_err(|e| Error::io(&last.path, e))?;
                (file, last.no, last.base_seq, last.len)
            }
            None => {
                let (file, no) = create_file(&wal_dir, max_no + 1, next_seq)?;
                (file, no, next_seq, WAL_HEADER_LEN)
            }
        };
        recovery.records = entries.len() as u64;
        let older = files
            .into_iter()
            .map(|f| OldFile {
                path: f.path,
                base_seq: f.base_seq,
                len: f.len,
            })
            .collect();
        let inner = Arc::new(Inner {
            dir: wal_dir,
            options,
            state: Mutex::new(State {
                file: Arc::new(file),
                file_no,
                file_base_seq,
                file_len,
                older,
                next_seq,
                poisoned: None,
            }),
            sync: Mutex::new(SyncState {
                synced_seq: next_seq - 1,
                syncing: false,
                poisoned: None,
            }),
            synced_cv: Condvar::new(),
            shutdown: Mutex::new(false),
            shutdown_cv: Condvar::new(),
            recovery,
        });
        let flusher = match options.durability {
            Durability::Buffered { ms } => {
                let inner = Arc::clone(&inner);
                let handle = std::thread::Builder::new()
                    .name("vecstore-wal-sync".into())
                    .spawn(move || inner.run_flusher(Duration::from_millis(ms)))
                    .map_err(|e| Error::io(dir, e))?;
                Some(handle)
            }
            _ => None,
        };
        Ok((Wal { inner, flusher }, entries))
    }

    /// Appends one record; returns its sequence number. Under
    /// [`Durability::Sync`] the record is durable when this returns.
    pub fn append(&self, payload: &[u8]) -> Result<u64> {
        self.append_batch(&[payload])
    }

    /// Appends several records with one write (and, under `Sync`, one wait for
    /// durability); returns the sequence number of the last. Their numbers are
    /// consecutive. An empty batch writes nothing and returns
    /// [`last_seq`](Self::last_seq).
    pub fn append_batch(&self, payloads: &[&[u8]]) -> Result<u64> {
        for p in payloads {
            if p.len() > MAX_RECORD_LEN {
                return Err(Error::InvalidArgument {
                    name: "payload",
                    value: format!("{} bytes", p.len()),
                    reason: "a WAL record holds at most 1 GiB",
                });
            }
        }
        let last = {
            let mut st = self.inner.lock_state()?;
            if payloads.is_empty() {
                return Ok(st.next_seq - 1);
            }
            if st.file_len >= self.inner.options.max_file_bytes && st.next_seq > st.file_base_seq {
                self.inner.rotate(&mut st)?;
            }
            let total: usize = payloads
                .iter()
                .map(|p| p.len() + RECORD_HEADER_LEN as usize)
                .sum();
            let mut buf = Vec::with_capacity(total);
            let first = st.next_seq;
            for (i, p) in payloads.iter().enumerate() {
                encode_record(&mut buf, first + i as u64, p);
            }
            self.inner.write_locked(&mut st, &buf)?;
            st.next_seq += payloads.len() as u64;
            st.next_seq - 1
        };
        if self.inner.options.durability == Durability::Sync {
            self.inner.sync_through(last)?;
        }
        Ok(last)
    }

    /// Makes every record appended so far durable, whatever the durability
    /// mode (the engine calls this on flush and close).
    pub fn sync(&self) -> Result<()> {
        let last = self.inner.lock_state()?.next_seq - 1;
        self.inner.sync_through(last)
    }

    /// Drops the records `≤ through_seq`, which the caller has made durable
    /// elsewhere: rotates to a new file when the current one holds any of
    /// them, then deletes the files that hold only such records. Crash-safe at
    /// every step (see the module docs). `through_seq` must not exceed
    /// [`last_seq`](Self::last_seq).
    pub fn checkpoint(&self, through_seq: u64) -> Result<()> {
        let mut st = self.inner.lock_state()?;
        if through_seq >= st.next_seq {
            return Err(Error::InvalidArgument {
                name: "through_seq",
                value: through_seq.to_string(),
                reason: "beyond the last appended record",
            });
        }
        if st.file_base_seq <= through_seq && st.next_seq > st.file_base_seq {
            self.inner.rotate(&mut st)?;
        }
        while !st.older.is_empty() {
            let end = st.older.get(1).map_or(st.file_base_seq, |f| f.base_seq) - 1;
            if end > through_seq {
                break;
            }
            let old = st.older.remove(0);
            if let Err(e) = remove_file_durably(&self.inner.dir, &old.path) {
                st.older.insert(0, old);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Sequence number of the last appended record (0 when none was ever
    /// appended).
    pub fn last_seq(&self) -> u64 {
        self.inner
            .state
            .lock()
            .map_or(0, |st| st.next_seq.saturating_sub(1))
    }

    /// Every record with a sequence number up to this is durable.
    pub fn synced_seq(&self) -> u64 {
        self.inner.sync.lock().map_or(0, |s| s.synced_seq)
    }

    /// Bytes of log on disk (all files).
    pub fn size_bytes(&self) -> u64 {
        self.inner.state.lock().map_or(0, |st| {
            st.file_len + st.older.iter().map(|f| f.len).sum::<u64>()
        })
    }

    /// Number of WAL files on disk.
    pub fn file_count(&self) -> usize {
        self.inner.state.lock().map_or(0, |st| st.older.len() + 1)
    }

    /// The `wal/` directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The durability mode.
    pub fn durability(&self) -> Durability {
        self.inner.options.durability
    }

    /// What replay found and repaired at open.
    pub fn recovery(&self) -> &WalRecovery {
        &self.inner.recovery
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        if let Some(handle) = self.flusher.take() {
            if let Ok(mut stop) = self.inner.shutdown.lock() {
                *stop = true;
            }
            self.inner.shutdown_cv.notify_all();
            let _ = handle.join();
        }
        // A clean close under Buffered leaves nothing unsynced. Errors cannot
        // be reported from drop; replay at the next open handles any outcome.
        if let Durability::Buffered { .. } = self.inner.options.durability {
            let _ = self.sync();
        }
    }
}

impl Inner {
    fn lock_state(&self) -> Result<MutexGuard<'_, State>> {
        let st = self
            .state
            .lock()
            .map_err(|_| self.poison_error("state lock poisoned"))?;
        if let Some(reason) = &st.poisoned {
            return Err(self.poison_error(reason));
        }
        Ok(st)
    }

    fn poison_error(&self, reason: &str) -> Error {
        Error::io(
            &self.dir,
            std::io::Error::other(format!("write-ahead log unusable until reopened: {reason}")),
        )
    }

    fn current_path(&self, no: u64) -> PathBuf {
        self.dir.join(file_name(no))
    }

    /// Writes `buf` at the end of the current file. On failure the file is cut
    /// back to its previous length so that no partial frame sits before later
    /// records; if even that fails the log is poisoned.
    fn write_locked(&self, st: &mut State, buf: &[u8]) -> Result<()> {
        let path = self.current_path(st.file_no);
        let res = (&*st.file).write_all(buf);
        match res {
            Ok(()) => {
                st.file_len += buf.len() as u64;
                Ok(())
            }
            Err(e) => {
                let len = st.file_len;
                let restored = st
                    .file
                    .set_len(len)
                    .and_then(|()| (&*st.file).seek(SeekFrom::Start(len)).map(|_| ()));
                if let Err(e2) = restored {
                    st.poisoned = Some(format!("could not undo a failed write: {e2}"));
                }
                Err(Error::io(path, e))
            }
        }
    }

    /// Syncs the current file and starts a new one whose first record will
    /// be `st.next_seq`.
    fn rotate(&self, st: &mut State) -> Result<()> {
        let old_path = self.current_path(st.file_no);
        if let Err(e) = st.file.sync_data() {
            st.poisoned = Some(format!("fsync failed: {e}"));
            return Err(Error::io(old_path, e));
        }
        {
            let mut s = self
                .sync
                .lock()
                .map_err(|_| self.poison_error("sync lock poisoned"))?;
            s.synced_seq = s.synced_seq.max(st.next_seq - 1);
        }
        self.synced_cv.notify_all();
        let (file, no) = create_file(&self.dir, st.file_no + 1, st.next_seq)?;
        st.older.push(OldFile {
            path: old_path,
            base_seq: st.file_base_seq,
            len: st.file_len,
        });
        st.file = Arc::new(file);
        st.file_no = no;
        st.file_base_seq = st.next_seq;
        st.file_len = WAL_HEADER_LEN;
        Ok(())
    }

    /// Returns once every record `≤ target` is durable, syncing as the leader
    /// when no sync is running, else waiting for the running one.
    fn sync_through(&self, target: u64) -> Result<()> {
        let lock_err = || self.poison_error("sync lock poisoned");
        let mut s = self.sync.lock().map_err(|_| lock_err())?;
        loop {
            if let Some(reason) = &s.poisoned {
                return Err(self.poison_error(reason));
            }
            if s.synced_seq >= target {
                return Ok(());
            }
            if s.syncing {
                s = self.synced_cv.wait(s).map_err(|_| lock_err())?;
                continue;
            }
            s.syncing = true;
            drop(s);
            // Rotation syncs a file before leaving it, so syncing the current
            // file covers everything written up to `upto`.
            let (file, upto, no) = match self.state.lock() {
                Ok(st) => (Arc::clone(&st.file), st.next_seq - 1, st.file_no),
                Err(_) => {
                    if let Ok(mut s) = self.sync.lock() {
                        s.syncing = false;
                    }
                    self.synced_cv.notify_all();
                    return Err(lock_err());
                }
            };
            let res = file
                .sync_data()
                .map_err(|e| format!("fsync of {} failed: {e}", file_name(no)));
            if let Err(reason) = &res
                && let Ok(mut st) = self.state.lock()
            {
                // Taken before the sync lock: the lock order is state, then sync.
                st.poisoned = Some(reason.clone());
            }
            s = self.sync.lock().map_err(|_| lock_err())?;
            s.syncing = false;
            match res {
                Ok(()) => s.synced_seq = s.synced_seq.max(upto),
                Err(reason) => s.poisoned = Some(reason),
            }
            self.synced_cv.notify_all();
        }
    }

    /// Body of the `Buffered` background thread.
    fn run_flusher(&self, every: Duration) {
        let Ok(mut stop) = self.shutdown.lock() else {
            return;
        };
        loop {
            match self.shutdown_cv.wait_timeout(stop, every) {
                Ok((guard, _)) => stop = guard,
                Err(_) => return,
            }
            if *stop {
                return;
            }
            let last = match self.state.lock() {
                Ok(st) if st.poisoned.is_none() => st.next_seq - 1,
                _ => return,
            };
            // Errors poison the log; appenders see them on their next call.
            if self.sync_through(last).is_err() {
                return;
            }
        }
    }
}

/// Appends one encoded record to `buf`.
fn encode_record(buf: &mut Vec<u8>, seq: u64, payload: &[u8]) {
    let len = (payload.len() as u32).to_le_bytes();
    let seq = seq.to_le_bytes();
    let crc = crc32c::crc32c_append(crc32c::crc32c_append(crc32c::crc32c(&len), &seq), payload);
    buf.extend_from_slice(&len);
    buf.extend_from_slice(&crc.to_le_bytes());
    buf.extend_from_slice(&seq);
    buf.extend_from_slice(payload);
}

/// `NNNNNNNN.wal`: the file number, zero-padded to 8 decimal digits.
fn file_name(no: u64) -> String {
    format!("{no:08}.wal")
}

fn encode_header(no: u64, base_seq: u64) -> [u8; WAL_HEADER_LEN as usize] {
    let mut h = [0u8; WAL_HEADER_LEN as usize];
    h[0..4].copy_from_slice(&WAL_MAGIC);
    h[4..8].copy_from_slice(&WAL_VERSION.to_le_bytes());
    h[8..16].copy_from_slice(&no.to_le_bytes());
    h[16..24].copy_from_slice(&base_seq.to_le_bytes());
    // 24..28 reserved, zero.
    let crc = crc32c::crc32c(&h[0..28]);
    h[28..32].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Creates WAL file number `no` with a durable header (file and directory
/// entry synced) before any record can be written to it.
fn create_file(dir: &Path, no: u64, base_seq: u64) -> Result<(File, u64)> {
    let path = dir.join(file_name(no));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    let written = file
        .write_all(&encode_header(no, base_seq))
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = fs::remove_file(&path);
        return Err(Error::io(&path, e));
    }
    fsync_dir(dir)?;
    Ok((file, no))
}

fn remove_file_durably(dir: &Path, path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(path, e)),
    }
    // One sync per deletion keeps the surviving files a contiguous suffix even
    // if the directory's updates reach the disk out of order.
    fsync_dir(dir)
}

/// The `*.wal` files in `dir`, by number. Other names are ignored.
fn list_files(dir: &Path) -> Result<Vec<FoundFile>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".wal") else {
            continue;
        };
        if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(no) = stem.parse::<u64>() else {
            continue;
        };
        found.push(FoundFile {
            no,
            path: entry.path(),
        });
    }
    found.sort_by_key(|f| f.no);
    Ok(found)
}

/// A file whose records were all good.
struct GoodFile {
    no: u64,
    path: PathBuf,
    base_seq: u64,
    len: u64,
}

/// Where replay stopped: file index in the found list and byte offset (0 =
/// the header itself is bad and the whole file goes).
struct Stop {
    index: usize,
    offset: u64,
}

struct Replay {
    entries: Vec<WalEntry>,
    /// Files fully read and kept (the one cut at `stop` included, with its
    /// cut length).
    files: Vec<GoodFile>,
    next_seq: Option<u64>,
    stop: Option<Stop>,
    recovery: WalRecovery,
}

/// Reads the files in order; pure apart from reading.
fn replay(found: &[FoundFile]) -> Result<Replay> {
    let mut out = Replay {
        entries: Vec::new(),
        files: Vec::new(),
        next_seq: None,
        stop: None,
        recovery: WalRecovery::default(),
    };
    for (index, f) in found.iter().enumerate() {
        let mut file = File::open(&f.path).map_err(|e| Error::io(&f.path, e))?;
        let file_len = file.metadata().map_err(|e| Error::io(&f.path, e))?.len();
        let mut header = [0u8; WAL_HEADER_LEN as usize];
        let header_ok = if file_len < WAL_HEADER_LEN {
            Err("file shorter than its header".to_string())
        } else {
            file.read_exact(&mut header)
                .map_err(|e| Error::io(&f.path, e))?;
            check_header(&f.path, &header, f.no, out.next_seq)?
        };
        let base_seq = match header_ok {
            Ok(base) => base,
            Err(reason) => {
                out.stop = Some(Stop { index, offset: 0 });
                out.recovery.reason = Some(format!("{}: {reason}", f.path.display()));
                break;
            }
        };
        let mut seq = base_seq;
        let mut offset = WAL_HEADER_LEN;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut bad: Option<String> = None;
        while offset < file_len {
            match read_record(&mut reader, file_len - offset, seq, &f.path)? {
                Ok(payload) => {
                    offset += RECORD_HEADER_LEN + payload.len() as u64;
                    out.entries.push(WalEntry { seq, payload });
                    seq += 1;
                }
                Err(reason) => {
                    bad = Some(reason);
                    break;
                }
            }
        }
        out.next_seq = Some(seq);
        out.files.push(GoodFile {
            no: f.no,
            path: f.path.clone(),
            base_seq,
            len: offset,
        });
        if let Some(reason) = bad {
            out.stop = Some(Stop { index, offset });
            out.recovery.reason = Some(format!("{} at byte {offset}: {reason}", f.path.display()));
            break;
        }
    }
    if let Some(stop) = &out.stop {
        let mut dropped = 0;
        for (i, f) in found.iter().enumerate().skip(stop.index) {
            let len = fs::metadata(&f.path)
                .map_err(|e| Error::io(&f.path, e))?
                .len();
            if i == stop.index && stop.offset > 0 {
                dropped += len - stop.offset;
                out.recovery.truncated_file = Some(f.path.clone());
                out.recovery.truncated_at = stop.offset;
            } else {
                dropped += len;
                out.recovery.dropped_files += 1;
            }
        }
        out.recovery.dropped_bytes = dropped;
    }
    Ok(out)
}

/// Validates a WAL header; returns the base sequence number, or why the header
/// is bad. A newer version is an error, not damage: nothing is modified.
fn check_header(
    path: &Path,
    h: &[u8; WAL_HEADER_LEN as usize],
    no: u64,
    expected_base: Option<u64>,
) -> Result<std::result::Result<u64, String>> {
    if h[0..4] != WAL_MAGIC {
        return Ok(Err("bad magic".into()));
    }
    let version = read_u32(h, 4);
    if version > WAL_VERSION {
        return Err(Error::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            supported: WAL_VERSION,
        });
    }
    if crc32c::crc32c(&h[0..28]) != read_u32(h, 28) {
        return Ok(Err("header checksum mismatch".into()));
    }
    if version == 0 {
        return Ok(Err("format version 0".into()));
    }
    if read_u64(h, 8) != no {
        return Ok(Err(format!(
            "header names file {}, the file name {no}",
            read_u64(h, 8)
        )));
    }
    let base = read_u64(h, 16);
    if base == 0 {
        return Ok(Err("base sequence number 0".into()));
    }
    if let Some(expected) = expected_base
        && base != expected
    {
        return Ok(Err(format!(
            "first sequence number {base}, the previous file ends before {expected} (a hole)"
        )));
    }
    Ok(Ok(base))
}

/// Reads one record whose sequence number must be `seq`; `remaining` is the
/// number of bytes left in the file. `Ok(Err(reason))` for a bad record.
fn read_record(
    reader: &mut impl Read,
    remaining: u64,
    seq: u64,
    path: &Path,
) -> Result<std::result::Result<Vec<u8>, String>> {
    if remaining < RECORD_HEADER_LEN {
        return Ok(Err(format!(
            "{remaining} trailing bytes, a torn frame header"
        )));
    }
    let mut h = [0u8; RECORD_HEADER_LEN as usize];
    reader.read_exact(&mut h).map_err(|e| Error::io(path, e))?;
    let len = read_u32(&h, 0) as u64;
    if len > MAX_RECORD_LEN as u64 || len > remaining - RECORD_HEADER_LEN {
        return Ok(Err(format!(
            "record of {len} bytes, {} remain in the file",
            remaining - RECORD_HEADER_LEN
        )));
    }
    let mut payload = vec![0u8; len as usize];
    reader
        .read_exact(&mut payload)
        .map_err(|e| Error::io(path, e))?;
    let crc = crc32c::crc32c_append(
        crc32c::crc32c_append(crc32c::crc32c(&h[0..4]), &h[8..16]),
        &payload,
    );
    if crc != read_u32(&h, 4) {
        return Ok(Err("record checksum mismatch".into()));
    }
    let found = read_u64(&h, 8);
    if found != seq {
        return Ok(Err(format!("sequence number {found}, expected {seq}")));
    }
    Ok(Ok(payload))
}

/// Cuts the log at the stop point: truncates the damaged file (or deletes it
/// when its header is bad) and deletes every later file, syncing each change.
fn repair(dir: &Path, stop: &Stop, found: &[FoundFile]) -> Result<()> {
    // Latest first, so that a crash during repair leaves a contiguous prefix.
    for f in found[stop.index + 1..].iter().rev() {
        remove_file_durably(dir, &f.path)?;
    }
    let f = &found[stop.index];
    if stop.offset == 0 {
        remove_file_durably(dir, &f.path)
    } else {
        let file = OpenOptions::new()
            .write(true)
            .open(&f.path)
            .map_err(|e| Error::io(&f.path, e))?;
        file.set_len(stop.offset)
            .map_err(|e| Error::io(&f.path, e))?;
        file.sync_all().map_err(|e| Error::io(&f.path, e))
    }
}
