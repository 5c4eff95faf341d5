//! Eight readers query while two writers upsert and delete: no panic, no
//! deadlock, and every result is consistent (known ids, no duplicates,
//! best first, filter respected, exactly k hits since enough always exist).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use vecstore_storage::{Durability, Filter, Metadata, Query, Record, VecDatabase};

const DIM: usize = 16;

fn vector(rng: &mut ChaCha8Rng) -> Vec<f32> {
    (0..DIM).map(|_| rng.random_range(-1.0..1.0)).collect()
}

fn meta(i: u64) -> Metadata {
    let mut m = Metadata::new();
    m.insert("even", i.is_multiple_of(2));
    m.insert("i", i as i64);
    m
}

#[test]
fn eight_readers_two_writers() {
    let secs: u64 = std::env::var("VECSTORE_CONCURRENCY_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let db = VecDatabase::builder(dir.path())
        .durability(Durability::Buffered { ms: 5 })
        .flush_threshold(500)
        .compaction_threshold(300, 0.1)
        .open()
        .unwrap();
    let c = db.create_collection("c").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    // 200 permanent rows (ids p*), never deleted: every query has >= k hits.
    let base: Vec<Record> = (0..200)
        .map(|i| Record::new(format!("p{i}"), vector(&mut rng), meta(i)))
        .collect();
    c.batch_upsert(base).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let queries = Arc::new(AtomicU64::new(0));
    let writes = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for w in 0..2u64 {
        let (c, stop, writes) = (c.clone(), stop.clone(), writes.clone());
        handles.push(std::thread::spawn(move || {
            let mut rng = ChaCha8Rng::seed_from_u64(100 + w);
            while !stop.load(Ordering::Relaxed) {
                let i: u64 = rng.random_range(0..3000);
                let id = format!("w{i}");
                match rng.random_range(0..10) {
                    0..=5 => c.upsert(id, vector(&mut rng), meta(i)).unwrap(),
                    6..=8 => {
                        c.delete(&id).unwrap();
                    }
                    _ => {
                        let batch = (0..20)
                            .map(|j| {
                                Record::new(
                                    format!("w{}", (i + j) % 3000),
                                    vector(&mut rng),
                                    meta(i + j),
                                )
                            })
                            .collect();
                        c.batch_upsert(batch).unwrap();
                    }
                }
                writes.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for r in 0..8u64 {
        let (c, stop, queries) = (c.clone(), stop.clone(), queries.clone());
        handles.push(std::thread::spawn(move || {
            let mut rng = ChaCha8Rng::seed_from_u64(200 + r);
            let even: Filter = "even = true".parse().unwrap();
            while !stop.load(Ordering::Relaxed) {
                let filter = rng.random_bool(0.5).then(|| even.clone());
                let k = 10;
                let hits = c
                    .query(Query {
                        vector: vector(&mut rng),
                        k,
                        filter: filter.clone(),
                    })
                    .unwrap();
                assert_eq!(hits.len(), k);
                let mut ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
                for w in hits.windows(2) {
                    assert!(w[0].score >= w[1].score - 1e-6, "not best first");
                }
                for h in &hits {
                    assert!(h.id.starts_with('p') || h.id.starts_with('w'), "{}", h.id);
                    if let Some(f) = &filter {
                        assert!(f.matches(&h.metadata), "{h:?}");
                    }
                }
                ids.sort();
                ids.dedup();
                assert_eq!(ids.len(), k, "duplicate ids");
                queries.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    eprintln!(
        "{} queries and {} writes in {:?}",
        queries.load(Ordering::Relaxed),
        writes.load(Ordering::Relaxed),
        t.elapsed()
    );
    assert!(queries.load(Ordering::Relaxed) > 0 && writes.load(Ordering::Relaxed) > 0);
    // Every permanent row is still there.
    for i in 0..200 {
        assert!(c.get(&format!("p{i}")).unwrap().is_some());
    }
}
