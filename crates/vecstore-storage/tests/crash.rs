//! Crash safety with real processes: a child process writes in a loop and is
//! killed with SIGKILL at random moments; the parent reopens the store and
//! checks that every acknowledged write is there, that the one write in
//! flight is all there or not at all, and that nothing else appeared. Also:
//! a second writer process gets `Error::Locked` at once, and the directory
//! opens cleanly after the holder was killed.
//!
//! The child is this test binary re-invoked (`current_exe`) with
//! `VECSTORE_CHILD` set. Iterations: `VECSTORE_CRASH_ITERS` (default 1000).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vecstore_storage::{Error, Metadata, Record, VecStore};

const DIM: usize = 8;

fn vector_for(id: &str, version: u64) -> Vec<f32> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ version;
    for b in id.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    (0..DIM)
        .map(|i| ((h >> (i * 7)) & 0x7f) as f32 / 64.0 - 1.0 + 0.001)
        .collect()
}

fn meta_for(version: u64) -> Metadata {
    let mut m = Metadata::new();
    m.insert("v", version as i64);
    m
}

fn spawn_child(mode: &str, dir: &std::path::Path, seed: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env("VECSTORE_CHILD", mode)
        .env("VECSTORE_CHILD_DIR", dir)
        .env("VECSTORE_CHILD_SEED", seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The child: not a test of its own; does nothing unless `VECSTORE_CHILD` is set.
#[test]
fn child_entry() {
    let Ok(mode) = std::env::var("VECSTORE_CHILD") else {
        return;
    };
    let dir = std::env::var("VECSTORE_CHILD_DIR").unwrap();
    let seed: u64 = std::env::var("VECSTORE_CHILD_SEED")
        .unwrap()
        .parse()
        .unwrap();
    let out = std::io::stdout();
    let say = |line: String| {
        let mut o = out.lock();
        writeln!(o, "@{line}").unwrap();
        o.flush().unwrap();
    };
    let store = VecStore::open(&dir).unwrap();
    say("ready".into());
    if mode == "hold" {
        loop {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut n = 0u64;
    loop {
        n += 1;
        let version = seed * 1_000_000 + n;
        let roll: u32 = rng.random_range(0..100);
        if roll < 55 {
            let id = format!("k{}", rng.random_range(0..400));
            say(format!("op U {version} {id}"));
            store
                .upsert(id, vector_for("", version), meta_for(version))
                .unwrap();
        } else if roll < 75 {
            let ids: Vec<String> = (0..5)
                .map(|_| format!("k{}", rng.random_range(0..400)))
                .collect();
            say(format!("op B {version} {}", ids.join(" ")));
            let recs = ids
                .iter()
                .enumerate()
                .map(|(j, id)| {
                    let v = version * 10 + j as u64;
                    Record::new(id.clone(), vector_for("", v), meta_for(v))
                })
                .collect();
            store.batch_upsert(recs).unwrap();
        } else if roll < 92 {
            let id = format!("k{}", rng.random_range(0..400));
            say(format!("op D {version} {id}"));
            store.delete(&id).unwrap();
        } else if roll < 98 {
            say(format!("op F {version}"));
            store.flush().unwrap();
        } else {
            say(format!("op C {version}"));
            store.compact().unwrap();
        }
        say("ok".into());
    }
}

/// What the parent believes: id -> version of its vector and metadata.
type State = BTreeMap<String, u64>;

#[derive(Debug, Clone)]
enum Pending {
    Upsert(u64, String),
    Batch(u64, Vec<String>),
    Delete(String),
    Other,
}

fn parse_op(line: &str) -> Pending {
    let parts: Vec<&str> = line.split_whitespace().collect();
    match parts.as_slice() {
        ["op", "U", v, id] => Pending::Upsert(v.parse().unwrap(), id.to_string()),
        ["op", "B", v, ids @ ..] => Pending::Batch(
            v.parse().unwrap(),
            ids.iter().map(|s| s.to_string()).collect(),
        ),
        ["op", "D", _, id] => Pending::Delete(id.to_string()),
        _ => Pending::Other,
    }
}

fn apply(state: &mut State, op: &Pending) {
    match op {
        Pending::Upsert(v, id) => {
            state.insert(id.clone(), *v);
        }
        Pending::Batch(v, ids) => {
            for (j, id) in ids.iter().enumerate() {
                state.insert(id.clone(), v * 10 + j as u64);
            }
        }
        Pending::Delete(id) => {
            state.remove(id);
        }
        Pending::Other => {}
    }
}

fn read_state(store: &VecStore) -> State {
    let mut got = State::new();
    let mut buf = Vec::new();
    store.export_jsonl(&mut buf).unwrap();
    for line in buf.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let r: Record = serde_json::from_slice(line).unwrap();
        let v = match r.metadata.get("v") {
            Some(vecstore_storage::Value::Int(v)) => *v as u64,
            other => panic!("record {} has no version: {other:?}", r.id),
        };
        // The vector is the one written with that version: nothing half-there.
        let want = vector_for("", v);
        let norm = want.iter().map(|x| x * x).sum::<f32>().sqrt();
        for (a, b) in r.vector.iter().zip(&want) {
            assert!(
                (a - b / norm).abs() < 1e-5,
                "record {} vector/metadata mismatch",
                r.id
            );
        }
        got.insert(r.id, v);
    }
    got
}

#[test]
fn sigkill_loses_no_acknowledged_write() {
    if std::env::var("VECSTORE_CHILD").is_ok() {
        return;
    }
    let iters: u64 = std::env::var("VECSTORE_CRASH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut state = State::new();
    let mut acked_ops = 0u64;
    let mut in_flight_applied = 0u64;
    let started = Instant::now();
    for it in 1..=iters {
        let mut child = spawn_child("write", dir.path(), it);
        let stdout = child.stdout.take().unwrap();
        let deadline = Duration::from_micros(rng.random_range(0..30_000));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may print "test child_entry ... " before our line.
                if let Some(at) = line.find('@')
                    && tx.send(line[at + 1..].to_string()).is_err()
                {
                    break;
                }
            }
        });
        // Wait for "ready", then let it write for a random while.
        let first = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("child did not start");
        assert_eq!(first, "ready");
        std::thread::sleep(deadline);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let mut pending: Option<Pending> = None;
        for line in rx.try_iter() {
            if line == "ok" {
                let op = pending.take().expect("ok without op");
                apply(&mut state, &op);
                acked_ops += 1;
            } else if line.starts_with("op ") {
                pending = Some(parse_op(&line));
            }
        }
        // Every tenth check seals on close too, so the child also starts
        // from flushed segments, not only from a WAL to replay.
        let store = VecStore::open_with(
            vecstore_storage::VecDatabase::builder(dir.path())
                .flush_on_close(it.is_multiple_of(10)),
        )
        .unwrap();
        let got = read_state(&store);
        if got != state {
            // Only the op in flight may differ, and entirely.
            let mut with = state.clone();
            let op = pending.clone().unwrap_or(Pending::Other);
            apply(&mut with, &op);
            assert_eq!(
                got, with,
                "iteration {it}: state differs beyond the op in flight {op:?}"
            );
            state = with;
            in_flight_applied += 1;
        }
        assert_eq!(store.count().unwrap(), state.len());
        drop(store);
    }
    eprintln!(
        "crash test: {iters} SIGKILLs, {acked_ops} acknowledged ops, 0 lost, \
         {in_flight_applied} unacknowledged in-flight ops found applied, {} live ids, {:?}",
        state.len(),
        started.elapsed()
    );
}

#[test]
fn second_writer_is_locked_out_and_sigkill_releases() {
    if std::env::var("VECSTORE_CHILD").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    {
        let s = VecStore::open(dir.path()).unwrap();
        s.upsert("a".into(), vec![1.0; DIM], Metadata::new())
            .unwrap();
    }
    let mut child = spawn_child("hold", dir.path(), 0);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let l = lines.next().expect("child exited").unwrap();
        if l.ends_with("@ready") {
            break;
        }
    }
    let t = Instant::now();
    let err = VecStore::open(dir.path()).unwrap_err();
    let took = t.elapsed();
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");
    eprintln!("second writer refused in {took:?}");
    // A read-only open works next to the writer.
    let ro =
        VecStore::open_with(vecstore_storage::VecDatabase::builder(dir.path()).read_only(true))
            .unwrap();
    assert_eq!(ro.count().unwrap(), 1);
    drop(ro);
    child.kill().unwrap();
    child.wait().unwrap();
    let s = VecStore::open(dir.path()).unwrap();
    assert_eq!(s.count().unwrap(), 1);
}
