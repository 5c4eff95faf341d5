//! Directory lock: one writer per directory across processes, readers alongside,
//! release on drop and on process death.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use vecstore_core::Error;
use vecstore_storage::io::lock::{DirLock, LockMode};

/// Set in the child process: the directory to lock.
const CHILD_DIR_ENV: &str = "VECSTORE_IO_LOCK_CHILD_DIR";
/// Set in the child process: `exclusive` or `shared`.
const CHILD_MODE_ENV: &str = "VECSTORE_IO_LOCK_CHILD_MODE";
/// Printed by the child once it holds the lock.
const READY: &str = "VECSTORE-CHILD-HOLDS-LOCK";

/// Not a test of its own: when the parent re-runs this binary with the env
/// vars set, this acquires the lock, reports it and holds it until killed.
/// Without the env vars it returns at once.
#[test]
fn child_hold_lock() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let mode = match std::env::var(CHILD_MODE_ENV).as_deref() {
        Ok("shared") => LockMode::Shared,
        _ => LockMode::Exclusive,
    };
    let _lock = DirLock::acquire(std::path::Path::new(&dir), mode).expect("child acquires");
    // libtest may print "test child_hold_lock ... " on the same line.
    println!("\n{READY}");
    // Held until the parent kills us; bounded so that a failed parent never
    // leaves a stray process behind.
    std::thread::sleep(std::time::Duration::from_secs(120));
    std::process::exit(3);
}

/// Spawns this test binary running only `child_hold_lock`, and waits until the
/// child reports that it holds the lock.
fn spawn_holder(dir: &std::path::Path, mode: &str) -> Child {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "child_hold_lock",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR_ENV, dir)
        .env(CHILD_MODE_ENV, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains(READY) => break,
            Some(Ok(_)) => continue,
            other => {
                let _ = child.kill();
                panic!("child ended before locking: {other:?}");
            }
        }
    }
    child
}

#[test]
fn second_process_writer_gets_locked_then_succeeds_after_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_holder(dir.path(), "exclusive");

    let started = Instant::now();
    let err = DirLock::acquire(dir.path(), LockMode::Exclusive).unwrap_err();
    let elapsed = started.elapsed();
    match err {
        Error::Locked { path } => assert_eq!(path, dir.path()),
        other => panic!("expected Locked, got {other:?}"),
    }
    // Informational only (tests never assert wall-clock time): acquisition
    // uses a non-blocking try-lock, so this is microseconds.
    eprintln!("Locked returned after {elapsed:?}");

    // A reader opens alongside the writer.
    let reader = DirLock::acquire(dir.path(), LockMode::Shared).unwrap();
    assert_eq!(reader.mode(), LockMode::Shared);
    drop(reader);

    // Child::kill sends SIGKILL on Unix: no destructor runs in the child.
    child.kill().unwrap();
    child.wait().unwrap();
    let lock = DirLock::acquire(dir.path(), LockMode::Exclusive).unwrap();
    assert_eq!(lock.mode(), LockMode::Exclusive);
    assert_eq!(lock.dir(), dir.path());
}

#[test]
fn reader_process_does_not_block_writer_and_is_visible() {
    let dir = tempfile::tempdir().unwrap();
    let writer = DirLock::acquire(dir.path(), LockMode::Exclusive).unwrap();
    assert!(!writer.readers_active().unwrap());
    let mut child = spawn_holder(dir.path(), "shared");
    assert!(writer.readers_active().unwrap());
    // The probe must not disturb the reader, nor a new reader.
    let local_reader = DirLock::acquire(dir.path(), LockMode::Shared).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    drop(local_reader);
    // Other tests of this binary spawn processes concurrently: a fork taken
    // while our reader's descriptor was open holds the lock until its exec
    // closes it (close-on-exec), so wait for that moment to pass.
    let mut active = true;
    for _ in 0..500 {
        active = writer.readers_active().unwrap();
        if !active {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!active, "reader lock still held after the reader exited");
}

#[test]
fn second_writer_in_same_process_is_locked_until_drop() {
    let dir = tempfile::tempdir().unwrap();
    let first = DirLock::acquire(dir.path(), LockMode::Exclusive).unwrap();
    assert!(matches!(
        DirLock::acquire(dir.path(), LockMode::Exclusive),
        Err(Error::Locked { .. })
    ));
    drop(first);
    let again = DirLock::acquire(dir.path(), LockMode::Exclusive).unwrap();
    // The holder's pid is written for humans.
    let content = std::fs::read_to_string(dir.path().join("LOCK")).unwrap();
    assert_eq!(content.trim(), std::process::id().to_string());
    drop(again);
}

#[test]
fn many_readers_share() {
    let dir = tempfile::tempdir().unwrap();
    let a = DirLock::acquire(dir.path(), LockMode::Shared).unwrap();
    let b = DirLock::acquire(dir.path(), LockMode::Shared).unwrap();
    let w = DirLock::acquire(dir.path(), LockMode::Exclusive).unwrap();
    assert!(w.readers_active().unwrap());
    drop((a, b));
    assert!(!w.readers_active().unwrap());
}

#[test]
fn missing_directory_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    assert!(matches!(
        DirLock::acquire(&missing, LockMode::Exclusive),
        Err(Error::Io { .. })
    ));
}
