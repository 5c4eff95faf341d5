//! Inter-process locking of a database directory.
//!
//! A database directory has exactly one writer process. The writer holds an
//! exclusive advisory lock (`flock(2)` on Unix, `LockFileEx` on Windows, through
//! std's [`File::try_lock`]) on `dir/LOCK` for as long as it has the directory
//! open. A second writer gets [`Error::Locked`] immediately: acquisition never
//! waits.
//!
//! Read-only opens do **not** touch `LOCK`, so they never conflict with the
//! writer. They take a *shared* lock on a second file, `dir/READERS`, which
//! only serves to let the writer ask "is any reader mapped on this directory?"
//! ([`DirLock::readers_active`]) before it, for instance, deletes old segment
//! files on a platform where deleting a mapped file fails. A reader sees the
//! last *flushed* state (manifest + segment files); it never replays or
//! truncates the WAL, which belongs to the writer.
//!
//! Advisory locks are released when the [`DirLock`] is dropped and, because
//! they belong to the open file description, by the kernel when the process
//! dies, even by `SIGKILL`. A stale `LOCK` file left behind is therefore
//! harmless: only the lock on it counts, never its existence.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use vecstore_core::{Error, Result};

/// Name of the writer's lock file inside a database directory.
pub const LOCK_FILE: &str = "LOCK";
/// Name of the readers' lock file inside a database directory.
pub const READERS_FILE: &str = "READERS";

/// How a directory is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// The single writer: exclusive lock on `LOCK`. Conflicts with another
    /// exclusive holder only.
    Exclusive,
    /// A read-only handle: shared lock on `READERS`. Never conflicts with the
    /// writer nor with other readers.
    Shared,
}

/// A held lock on a database directory; released on drop.
#[derive(Debug)]
pub struct DirLock {
    dir: PathBuf,
    mode: LockMode,
    // Kept open: closing the file releases the lock.
    _file: File,
}

/// How long a reader retries when the writer is probing `READERS`. The probe
/// holds the exclusive lock for the duration of two system calls, so a few
/// retries always suffice; the bound keeps a broken peer from hanging us.
const SHARED_RETRIES: u32 = 200;
const SHARED_RETRY_SLEEP: Duration = Duration::from_millis(1);

impl DirLock {
    /// Locks `dir` in `mode`; `dir` must exist.
    ///
    /// `Exclusive` fails at once with [`Error::Locked`] when another handle
    /// (in this or another process) holds it. `Shared` succeeds alongside a
    /// writer. The writer writes its process id into `LOCK` for humans; the
    /// content is never read back.
    pub fn acquire(dir: &Path, mode: LockMode) -> Result<DirLock> {
        match mode {
            LockMode::Exclusive => Self::acquire_exclusive(dir),
            LockMode::Shared => Self::acquire_shared(dir),
        }
    }

    fn acquire_exclusive(dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::Locked {
                    path: dir.to_path_buf(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        // Diagnostics only; a failure here must not fail the open.
        let _ = file
            .set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()));
        Ok(DirLock {
            dir: dir.to_path_buf(),
            mode: LockMode::Exclusive,
            _file: file,
        })
    }

    fn acquire_shared(dir: &Path) -> Result<DirLock> {
        let path = dir.join(READERS_FILE);
        // Readers may run with read-only permissions on an existing database:
        // create the file when possible, otherwise open what is there.
        let file = match OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
        {
            Ok(f) => f,
            Err(_) => File::open(&path).map_err(|e| Error::io(&path, e))?,
        };
        let mut attempts = 0;
        loop {
            match file.try_lock_shared() {
                Ok(()) => break,
                // Only the writer's short probe takes READERS exclusively.
                Err(TryLockError::WouldBlock) if attempts < SHARED_RETRIES => {
                    attempts += 1;
                    thread::sleep(SHARED_RETRY_SLEEP);
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        path: dir.to_path_buf(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
        }
        Ok(DirLock {
            dir: dir.to_path_buf(),
            mode: LockMode::Shared,
            _file: file,
        })
    }

    /// The locked directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The mode this lock was acquired in.
    pub fn mode(&self) -> LockMode {
        self.mode
    }

    /// Whether any read-only handle (a [`LockMode::Shared`] lock, in any
    /// process) is currently open on this directory.
    ///
    /// The answer can be stale as soon as it is returned (a reader may open
    /// right after); use it to defer work that merely *inconveniences*
    /// readers, never for correctness.
    pub fn readers_active(&self) -> Result<bool> {
        let path = self.dir.join(READERS_FILE);
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io(&path, e)),
        };
        match file.try_lock() {
            Ok(()) => {
                file.unlock().map_err(|e| Error::io(&path, e))?;
                Ok(false)
            }
            Err(TryLockError::WouldBlock) => Ok(true),
            Err(TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }
}
