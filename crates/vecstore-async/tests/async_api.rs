//! The four tests the user's spec names (basic operations, concurrent queries, filtered
//! query, snapshots), a multi-task stress test, and a check that a current-thread
//! runtime keeps running other tasks while queries execute.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use vecstore_async::{AsyncVecDatabase, AsyncVecStore};
use vecstore_core::{Error, Filter, Metadata, Query, Record};

fn meta(category: &str) -> Metadata {
    let mut m = Metadata::new();
    m.insert("category", category);
    m
}

fn q(vector: Vec<f32>, k: usize) -> Query {
    Query {
        vector,
        k,
        filter: None,
    }
}

#[tokio::test]
async fn basic_operations() {
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncVecStore::open(dir.path()).await.unwrap();
    assert_eq!(store.count().await.unwrap(), 0);
    assert!(
        store
            .query(q(vec![1.0, 0.0, 0.0], 5))
            .await
            .unwrap()
            .is_empty()
    );

    store
        .upsert("doc1".into(), vec![1.0, 0.0, 0.0], meta("tech"))
        .await
        .unwrap();
    store
        .upsert("doc2".into(), vec![0.0, 1.0, 0.0], meta("food"))
        .await
        .unwrap();
    assert_eq!(store.count().await.unwrap(), 2);

    let hits = store.query(q(vec![1.0, 0.1, 0.0], 5)).await.unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].id, "doc1");
    assert_eq!(hits[0].metadata, meta("tech"));

    let rec = store.get("doc2").await.unwrap().expect("doc2 stored");
    assert_eq!(rec.vector, vec![0.0, 1.0, 0.0]);
    assert!(store.update_metadata("doc2", meta("tech")).await.unwrap());
    assert!(store.delete("doc1").await.unwrap());
    assert!(
        !store.delete("doc1").await.unwrap(),
        "unknown id is Ok(false)"
    );
    assert_eq!(store.count().await.unwrap(), 1);

    // Typed errors pass through unchanged; the store is unchanged after them.
    let err = store
        .upsert("bad".into(), vec![1.0, 2.0], Metadata::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DimensionMismatch {
                expected: 3,
                got: 2
            }
        ),
        "{err}"
    );
    assert_eq!(store.count().await.unwrap(), 1);

    // Data survives a reopen.
    drop(store);
    let store = AsyncVecStore::open(dir.path()).await.unwrap();
    assert_eq!(store.count().await.unwrap(), 1);
    assert_eq!(
        store.get("doc2").await.unwrap().unwrap().metadata,
        meta("tech")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_queries() {
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncVecStore::open(dir.path()).await.unwrap();
    let records: Vec<Record> = (0..300)
        .map(|i| {
            let a = i as f32 * 0.02;
            Record::new(
                format!("d{i}"),
                vec![a.cos(), a.sin(), 1.0],
                Metadata::new(),
            )
        })
        .collect();
    store.batch_upsert(records).await.unwrap();

    let (s1, s2, s3) = (store.clone(), store.clone(), store.clone());
    let (r1, r2, r3) = tokio::join!(
        s1.query(q(vec![1.0, 0.0, 1.0], 3)),
        s2.query(q(vec![0.0, 1.0, 1.0], 3)),
        s3.query(q(vec![-1.0, 0.0, 1.0], 3)),
    );
    let (r1, r2, r3) = (r1.unwrap(), r2.unwrap(), r3.unwrap());
    assert_eq!((r1.len(), r2.len(), r3.len()), (3, 3, 3));
    assert_eq!(r1[0].id, "d0");
    // angle pi/2 = 1.5708 -> i = 78.5; angle pi -> i = 157.
    assert!(["d78", "d79"].contains(&r2[0].id.as_str()), "{:?}", r2[0]);
    assert_eq!(r3[0].id, "d157");

    // join_all over many clones gives the same answer as a single query.
    let expected = store.query(q(vec![0.3, 0.7, 1.0], 10)).await.unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.query(q(vec![0.3, 0.7, 1.0], 10)).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), expected);
    }
}

#[tokio::test]
async fn filtered_query() {
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncVecStore::open(dir.path()).await.unwrap();
    for i in 0..200 {
        let mut m = meta(if i % 10 == 0 { "rare" } else { "common" });
        m.insert("year", 2000 + i);
        store
            .upsert(format!("d{i}"), vec![1.0, i as f32 / 200.0], m)
            .await
            .unwrap();
    }
    let hits = store
        .query(Query {
            vector: vec![1.0, 0.0],
            k: 50,
            filter: Some(Filter::eq("category", "rare")),
        })
        .await
        .unwrap();
    assert_eq!(
        hits.len(),
        20,
        "every match, not a post-filtered over-fetch"
    );
    assert!(
        hits.iter()
            .all(|h| h.metadata.get("category") == Some(&"rare".into()))
    );

    let parsed = Filter::parse("category = 'rare' AND year >= 2100").unwrap();
    let hits = store
        .query(Query {
            vector: vec![1.0, 0.0],
            k: 5,
            filter: Some(parsed),
        })
        .await
        .unwrap();
    assert_eq!(hits.len(), 5);
    assert_eq!(hits[0].id, "d100");

    let none = store
        .query(Query {
            vector: vec![1.0, 0.0],
            k: 5,
            filter: Some(Filter::eq("category", "missing")),
        })
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn snapshots_create_restore_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncVecStore::open(dir.path()).await.unwrap();
    store
        .upsert("a".into(), vec![1.0, 0.0], Metadata::new())
        .await
        .unwrap();
    store.create_snapshot("s1").await.unwrap();
    assert!(matches!(
        store.create_snapshot("s1").await,
        Err(Error::SnapshotExists { .. })
    ));
    store
        .upsert("b".into(), vec![0.0, 1.0], Metadata::new())
        .await
        .unwrap();
    store.delete("a").await.unwrap();
    assert_eq!(store.count().await.unwrap(), 1);

    store.restore_snapshot("s1").await.unwrap();
    assert_eq!(store.count().await.unwrap(), 1);
    assert!(store.get("a").await.unwrap().is_some());
    assert!(store.get("b").await.unwrap().is_none());

    let list = store.list_snapshots().await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["s1"]
    );
    assert!(store.delete_snapshot("s1").await.unwrap());
    assert!(store.list_snapshots().await.unwrap().is_empty());
    assert!(matches!(
        store.restore_snapshot("s1").await,
        Err(Error::SnapshotNotFound { .. })
    ));
    assert!(matches!(
        store.create_snapshot("../evil").await,
        Err(Error::InvalidName { .. })
    ));
}

#[tokio::test]
async fn database_collections() {
    let dir = tempfile::tempdir().unwrap();
    let db = AsyncVecDatabase::open(dir.path()).await.unwrap();
    let docs = db.create_collection("docs").await.unwrap();
    let users = db.create_collection("users").await.unwrap();
    docs.upsert("x".into(), vec![1.0, 0.0], Metadata::new())
        .await
        .unwrap();
    users
        .upsert("x".into(), vec![0.0, 1.0, 0.0], Metadata::new())
        .await
        .unwrap();
    assert_eq!(docs.get("x").await.unwrap().unwrap().vector, vec![1.0, 0.0]);
    assert_eq!(users.stats().await.unwrap().vector_count, 1);
    assert_eq!(db.list_collections().await.unwrap(), ["docs", "users"]);
    assert!(db.delete_collection("users").await.unwrap());
    assert!(db.get_collection("users").await.unwrap().is_none());
    assert!(matches!(
        db.create_collection("bad name").await,
        Err(Error::InvalidName { .. })
    ));
}

/// 8 writer and 8 reader tasks on a multi-thread runtime. Each writer owns its ids and
/// records what it acknowledged; readers check every hit is an id some writer wrote
/// with the vector it wrote; at the end, every acknowledged write is readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stress_writers_and_readers() {
    const WRITERS: usize = 8;
    const READERS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncVecStore::open(dir.path()).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let dim = 8;
    let vector_of = move |w: usize, n: usize| -> Vec<f32> {
        (0..dim)
            .map(|j| ((w * 131 + n * 17 + j * 7) % 23) as f32 + 1.0)
            .collect()
    };

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let s = store.clone();
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut acked: HashMap<String, Vec<f32>> = HashMap::new();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let id = format!("w{w}-{}", n % 40);
                let v = vector_of(w, n);
                if n % 7 == 6 {
                    s.delete(&id).await.unwrap();
                    acked.remove(&id);
                } else {
                    let mut m = Metadata::new();
                    m.insert("writer", w as i64);
                    s.upsert(id.clone(), v.clone(), m).await.unwrap();
                    acked.insert(id, v);
                }
                n += 1;
            }
            acked
        }));
    }
    let mut readers = Vec::new();
    for r in 0..READERS {
        let s = store.clone();
        let stop = stop.clone();
        let reads = reads.clone();
        readers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let qv: Vec<f32> = (0..dim).map(|j| ((r + j) % 5) as f32 + 1.0).collect();
                let filter = (r % 2 == 0).then(|| Filter::eq("writer", (r % WRITERS) as i64));
                let hits = s
                    .query(Query {
                        vector: qv,
                        k: 10,
                        filter,
                    })
                    .await
                    .unwrap();
                for h in &hits {
                    let w: usize = h.id[1..h.id.find('-').unwrap()].parse().unwrap();
                    assert_eq!(h.metadata.get("writer"), Some(&(w as i64).into()));
                }
                let mut sorted = hits.clone();
                sorted.sort_by(|a, b| b.score.total_cmp(&a.score));
                assert_eq!(
                    hits.iter().map(|h| h.score).collect::<Vec<_>>(),
                    sorted.iter().map(|h| h.score).collect::<Vec<_>>(),
                    "best first"
                );
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut expected: HashMap<String, Vec<f32>> = HashMap::new();
    for w in writers {
        expected.extend(w.await.unwrap());
    }
    for r in readers {
        r.await.unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) > 0);
    assert_eq!(store.count().await.unwrap(), expected.len());
    for (id, v) in &expected {
        let rec = store
            .get(id)
            .await
            .unwrap()
            .expect("acknowledged write present");
        // Cosine collections store unit vectors; compare directions.
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        for (got, want) in rec.vector.iter().zip(v) {
            assert!(
                (got - want / norm).abs() < 1e-5,
                "{id}: {:?} vs {v:?}",
                rec.vector
            );
        }
    }
}

/// On a current-thread runtime a timer task must keep ticking while a batch of
/// queries runs, because the queries execute on the blocking pool.
#[tokio::test(flavor = "current_thread")]
async fn current_thread_runtime_is_not_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncVecStore::open(dir.path()).await.unwrap();
    let dim = 64;
    let records: Vec<Record> = (0..4000)
        .map(|i| {
            let v: Vec<f32> = (0..dim)
                .map(|j| (((i * 31 + j * 7) % 97) as f32).sin())
                .collect();
            Record::new(format!("r{i}"), v, Metadata::new())
        })
        .collect();
    store.batch_upsert(records).await.unwrap();

    // The ticker counts only ticks that happen while a query is in flight. On a
    // current-thread runtime it can run then only if the query does not occupy the
    // runtime thread, i.e. if it really runs on the blocking pool.
    let in_query = Arc::new(AtomicBool::new(false));
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = {
        let (ticks, in_query) = (ticks.clone(), in_query.clone());
        tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_millis(1));
            iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                iv.tick().await;
                if in_query.load(Ordering::SeqCst) {
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };
    // Exact (flat) queries over 4000 x 64 keep the blocking pool busy for a while.
    for n in 0..5000 {
        if ticks.load(Ordering::SeqCst) >= 3 {
            break;
        }
        let qv: Vec<f32> = (0..dim).map(|j| ((n + j) as f32).cos()).collect();
        in_query.store(true, Ordering::SeqCst);
        let hits = store
            .query_with(
                Query {
                    vector: qv,
                    k: 10,
                    filter: None,
                },
                vecstore_core::SearchOptions::default().exact(true),
            )
            .await
            .unwrap();
        in_query.store(false, Ordering::SeqCst);
        assert_eq!(hits.len(), 10);
    }
    ticker.abort();
    let t = ticks.load(Ordering::SeqCst);
    assert!(
        t >= 3,
        "the timer ran only {t} times while queries were in flight"
    );
}
