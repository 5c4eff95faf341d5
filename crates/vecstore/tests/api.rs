//! The sync user API end to end, through the public `vecstore` crate only.

use vecstore::{
    CollectionConfig, Error, Filter, Fusion, HybridQuery, Metadata, Metric, Query, Record,
    SearchOptions, VecDatabase, VecStore,
};

fn meta(pairs: &[(&str, vecstore::Value)]) -> Metadata {
    pairs.iter().cloned().collect()
}

fn q(vector: Vec<f32>, k: usize) -> Query {
    Query {
        vector,
        k,
        filter: None,
    }
}

fn dir_size(p: &std::path::Path) -> u64 {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let md = e.metadata().unwrap();
            n += if md.is_dir() {
                dir_size(&e.path())
            } else {
                md.len()
            };
        }
    }
    n
}

#[test]
fn every_data_method() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    assert_eq!(store.count().unwrap(), 0);
    // A query on an empty store returns no hits, whatever the dimension.
    assert!(store.query(q(vec![1.0; 7], 3)).unwrap().is_empty());

    store
        .upsert(
            "a".into(),
            vec![1.0, 0.0, 0.0],
            meta(&[("lang", "en".into()), ("n", 1.into())]),
        )
        .unwrap();
    store
        .batch_upsert(vec![
            Record::new(
                "b",
                vec![0.0, 1.0, 0.0],
                meta(&[("lang", "de".into()), ("n", 2.into())]),
            ),
            Record::new(
                "c",
                vec![0.0, 0.0, 1.0],
                meta(&[("lang", "en".into()), ("n", 3.into())]),
            )
            .with_text("hello keyword world"),
        ])
        .unwrap();
    assert_eq!(store.count().unwrap(), 3);

    let hits = store.query(q(vec![0.9, 0.1, 0.0], 2)).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(hits[0].score > hits[1].score, "cosine: higher is better");

    let filtered = store
        .query(Query {
            vector: vec![0.9, 0.1, 0.0],
            k: 5,
            filter: Some("lang = 'en' AND n > 1".parse().unwrap()),
        })
        .unwrap();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].id, "c");

    let exact = store
        .query_with(
            q(vec![0.9, 0.1, 0.0], 3),
            SearchOptions::default().ef_search(200),
        )
        .unwrap();
    assert_eq!(exact.len(), 3);

    let rec = store.get("c").unwrap().unwrap();
    assert_eq!(rec.vector, vec![0.0, 0.0, 1.0]);
    assert_eq!(rec.text.as_deref(), Some("hello keyword world"));
    assert!(store.get("zzz").unwrap().is_none());

    assert!(
        store
            .update_metadata("a", meta(&[("lang", "fr".into())]))
            .unwrap()
    );
    assert!(!store.update_metadata("zzz", Metadata::new()).unwrap());
    assert_eq!(
        store.get("a").unwrap().unwrap().metadata.get("lang"),
        Some(&"fr".into())
    );

    store.index_text("a", "rust programming language").unwrap();
    let kw = store.keyword_query("programming", 5, None).unwrap();
    assert_eq!(kw[0].id, "a");
    let hy = store
        .hybrid_query(HybridQuery {
            vector: vec![0.0, 1.0, 0.0],
            keywords: "programming".into(),
            k: 3,
            filter: None,
            alpha: 0.5,
        })
        .unwrap();
    assert_eq!(hy.len(), 3);
    assert!(hy.iter().any(|h| h.id == "a") && hy.iter().any(|h| h.id == "b"));
    for fusion in [Fusion::Rrf { k: 60 }, Fusion::Dbsf, Fusion::Weighted(1.0)] {
        let r = store
            .hybrid_query_with(
                HybridQuery {
                    vector: vec![0.0, 1.0, 0.0],
                    keywords: "programming".into(),
                    k: 3,
                    filter: None,
                    alpha: 0.5,
                },
                fusion,
            )
            .unwrap();
        assert_eq!(r.len(), 3, "{fusion:?}");
    }

    assert!(store.delete("b").unwrap());
    assert!(
        !store.delete("b").unwrap(),
        "deleting an unknown id is not an error"
    );
    assert_eq!(store.count().unwrap(), 2);
    assert!(
        store
            .query(q(vec![0.0, 1.0, 0.0], 5))
            .unwrap()
            .iter()
            .all(|h| h.id != "b")
    );

    store.flush().unwrap();
    store.compact().unwrap();
    let stats = store.collection().stats().unwrap();
    assert_eq!(stats.vector_count, 2);
    assert_eq!(stats.dimension, Some(3));
    assert_eq!(stats.metric, Metric::Cosine);
}

#[test]
fn text_before_vector_is_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    store
        .index_text("doc1", "rust programming language")
        .unwrap();
    let hits = store
        .hybrid_query(HybridQuery {
            vector: vec![1.0, 0.0, 0.0],
            keywords: "programming".into(),
            k: 10,
            filter: None,
            alpha: 0.7,
        })
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, "doc1");
    // The vector can come later; the text stays.
    store
        .upsert("doc1".into(), vec![1.0, 0.0, 0.0], Metadata::new())
        .unwrap();
    assert_eq!(store.keyword_query("rust", 3, None).unwrap()[0].id, "doc1");
    assert_eq!(
        store.query(q(vec![1.0, 0.0, 0.0], 3)).unwrap()[0].id,
        "doc1"
    );
}

#[test]
fn data_persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = VecStore::open(dir.path()).unwrap();
        for i in 0..50 {
            store
                .upsert(
                    format!("d{i}"),
                    vec![i as f32, 1.0],
                    meta(&[("i", i.into())]),
                )
                .unwrap();
        }
        store.flush().unwrap();
        for i in 50..60 {
            store
                .upsert(format!("d{i}"), vec![i as f32, 1.0], Metadata::new())
                .unwrap();
        }
        store.delete("d3").unwrap();
        store.index_text("d7", "persisted words").unwrap();
    }
    let store = VecStore::open(dir.path()).unwrap();
    assert_eq!(store.count().unwrap(), 59);
    assert!(store.get("d3").unwrap().is_none());
    assert_eq!(
        store.get("d10").unwrap().unwrap().metadata.get("i"),
        Some(&10.into())
    );
    // Cosine collections store (and return) unit vectors.
    let n = (55.0f32 * 55.0 + 1.0).sqrt();
    let v = store.get("d55").unwrap().unwrap().vector;
    assert!(
        (v[0] - 55.0 / n).abs() < 1e-6 && (v[1] - 1.0 / n).abs() < 1e-6,
        "{v:?}"
    );
    assert_eq!(
        store.keyword_query("persisted", 1, None).unwrap()[0].id,
        "d7"
    );
}

#[test]
fn snapshots_restore_old_state_and_delete_frees_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    for i in 0..200 {
        store
            .upsert(format!("d{i}"), vec![1.0, i as f32], Metadata::new())
            .unwrap();
    }
    store.create_snapshot("s1").unwrap();
    let snaps = store.list_snapshots().unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0].name, "s1");

    for i in 0..100 {
        store.delete(&format!("d{i}")).unwrap();
    }
    store
        .upsert("new".into(), vec![0.0, 1.0], Metadata::new())
        .unwrap();
    store.flush().unwrap();
    store.compact().unwrap();
    assert_eq!(store.count().unwrap(), 101);

    store.restore_snapshot("s1").unwrap();
    assert_eq!(store.count().unwrap(), 200);
    assert!(store.get("new").unwrap().is_none());
    assert!(store.get("d5").unwrap().is_some());
    // The restored state is durable.
    drop(store);
    let store = VecStore::open(dir.path()).unwrap();
    assert_eq!(store.count().unwrap(), 200);

    let before = dir_size(dir.path());
    assert!(store.delete_snapshot("s1").unwrap());
    assert!(!store.delete_snapshot("s1").unwrap());
    assert!(store.list_snapshots().unwrap().is_empty());
    assert!(dir_size(dir.path()) <= before);
    assert!(matches!(
        store.restore_snapshot("s1"),
        Err(Error::SnapshotNotFound { .. })
    ));
}

#[test]
fn collections_are_isolated_and_deletable() {
    let dir = tempfile::tempdir().unwrap();
    let db = VecDatabase::open(dir.path()).unwrap();
    let a = db.create_collection("alpha").unwrap();
    let b = db
        .create_collection_with(
            "beta",
            CollectionConfig {
                dimension: Some(2),
                metric: Metric::L2,
                ..Default::default()
            },
        )
        .unwrap();
    a.upsert(
        "same".into(),
        vec![1.0, 0.0, 0.0],
        meta(&[("c", "a".into())]),
    )
    .unwrap();
    b.upsert("same".into(), vec![3.0, 4.0], meta(&[("c", "b".into())]))
        .unwrap();
    assert_eq!(
        a.get("same").unwrap().unwrap().metadata.get("c"),
        Some(&"a".into())
    );
    assert_eq!(
        b.get("same").unwrap().unwrap().metadata.get("c"),
        Some(&"b".into())
    );
    let hit = &b.query(q(vec![0.0, 0.0], 1)).unwrap()[0];
    assert!(
        (hit.score - 5.0).abs() < 1e-5,
        "L2 score is the Euclidean distance"
    );

    assert!(matches!(
        db.create_collection("alpha"),
        Err(Error::CollectionExists { .. })
    ));
    assert_eq!(db.list_collections().unwrap(), ["alpha", "beta"]);
    let b_dir = dir.path().join("collections").join("beta");
    assert!(b_dir.exists());
    assert!(db.delete_collection("beta").unwrap());
    assert!(!b_dir.exists());
    assert!(!db.delete_collection("beta").unwrap());
    assert!(db.get_collection("beta").unwrap().is_none());
    assert_eq!(a.count().unwrap(), 1);

    drop((a, b, db));
    let db = VecDatabase::open(dir.path()).unwrap();
    assert_eq!(db.list_collections().unwrap(), ["alpha"]);
}

#[test]
fn bad_input_gives_typed_errors_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    store
        .upsert("ok".into(), vec![1.0, 2.0, 3.0], Metadata::new())
        .unwrap();
    let snapshot = |s: &VecStore| (s.count().unwrap(), s.get("ok").unwrap());
    let before = snapshot(&store);

    let e = store
        .upsert("x".into(), vec![1.0, 2.0], Metadata::new())
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 3,
                got: 2
            }
        ),
        "{e}"
    );
    let e = store
        .upsert("x".into(), vec![1.0, f32::NAN, 3.0], Metadata::new())
        .unwrap_err();
    assert!(matches!(e, Error::NonFiniteVector { index: 1, .. }), "{e}");
    let e = store
        .upsert("x".into(), vec![f32::INFINITY, 0.0, 0.0], Metadata::new())
        .unwrap_err();
    assert!(matches!(e, Error::NonFiniteVector { index: 0, .. }), "{e}");
    let e = store
        .upsert(String::new(), vec![1.0, 2.0, 3.0], Metadata::new())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidId { .. }), "{e}");
    let e = store
        .upsert("x".repeat(1025), vec![1.0, 2.0, 3.0], Metadata::new())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidId { .. }), "{e}");
    // A batch with one bad record stores none of them.
    let e = store
        .batch_upsert(vec![
            Record::new("good", vec![1.0, 1.0, 1.0], Metadata::new()),
            Record::new("bad", vec![1.0], Metadata::new()),
        ])
        .unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { .. }), "{e}");
    assert!(store.get("good").unwrap().is_none());

    for k in [0, 10_001] {
        let e = store.query(q(vec![1.0, 2.0, 3.0], k)).unwrap_err();
        assert!(matches!(e, Error::InvalidK { .. }), "{e}");
    }
    let e = store.query(q(vec![1.0, 2.0], 3)).unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { .. }), "{e}");
    let e = store
        .hybrid_query(HybridQuery {
            vector: vec![1.0, 2.0, 3.0],
            keywords: "x".into(),
            k: 3,
            filter: None,
            alpha: 1.5,
        })
        .unwrap_err();
    assert!(matches!(e, Error::InvalidAlpha { .. }), "{e}");
    let e = Filter::parse("a = 'x' AND (b >").unwrap_err();
    assert!(matches!(e, Error::FilterParse { .. }), "{e}");
    let deep = (0..40).fold(Filter::eq("a", 1), |f, _| f.not());
    let e = store
        .query(Query {
            vector: vec![1.0, 2.0, 3.0],
            k: 3,
            filter: Some(deep),
        })
        .unwrap_err();
    assert!(matches!(e, Error::FilterTooComplex { .. }), "{e}");
    for name in ["", "a/b", "..", "white space", &"n".repeat(65)] {
        let e = store.create_snapshot(name).unwrap_err();
        assert!(matches!(e, Error::InvalidName { .. }), "{name:?}: {e}");
        let e = store.database().create_collection(name).unwrap_err();
        assert!(matches!(e, Error::InvalidName { .. }), "{name:?}: {e}");
    }
    let e = VecDatabase::open(dir.path())
        .and_then(|db| {
            db.create_collection_with(
                "d0",
                CollectionConfig {
                    dimension: Some(0),
                    ..Default::default()
                },
            )
        })
        .err();
    // A second writer handle in the same process is refused by the lock, or (if the
    // engine shares one) the zero dimension is; either way a typed error.
    assert!(e.is_some());
    assert_eq!(snapshot(&store), before);
}

#[test]
fn export_import_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let db = VecDatabase::open(dir.path()).unwrap();
    let src = db.create_collection("src").unwrap();
    for i in 0..30 {
        let mut r = Record::new(
            format!("r{i}"),
            vec![i as f32, 1.0, -1.0],
            meta(&[("i", i.into())]),
        );
        if i % 3 == 0 {
            r = r.with_text(format!("text number {i}"));
        }
        src.batch_upsert(vec![r]).unwrap();
    }
    let mut buf = Vec::new();
    assert_eq!(src.export_jsonl(&mut buf).unwrap(), 30);
    let dst = db.create_collection("dst").unwrap();
    assert_eq!(
        dst.import_jsonl(&mut std::io::Cursor::new(&buf)).unwrap(),
        30
    );
    for i in 0..30 {
        let id = format!("r{i}");
        assert_eq!(src.get(&id).unwrap(), dst.get(&id).unwrap());
    }
    let qv = Query {
        vector: vec![3.0, 1.0, -1.0],
        k: 5,
        filter: None,
    };
    assert_eq!(src.query(qv.clone()).unwrap(), dst.query(qv).unwrap());
    assert_eq!(
        src.keyword_query("number", 10, None).unwrap(),
        dst.keyword_query("number", 10, None).unwrap()
    );
}

/// 8 reader threads query while 2 writer threads upsert and delete: no panic, no
/// deadlock, every hit is an id that was written, k hits whenever k records exist.
#[test]
fn readers_and_writers_concurrently() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    // 100 permanent records guarantee that k = 10 hits always exist.
    let base: Vec<Record> = (0..100)
        .map(|i| {
            Record::new(
                format!("base{i}"),
                vec![1.0, i as f32 / 100.0, 0.5, 0.0],
                Metadata::new(),
            )
        })
        .collect();
    store.batch_upsert(base).unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for w in 0..2 {
            let store = store.clone();
            let stop = &stop;
            s.spawn(move || {
                let mut n = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let id = format!("w{w}-{}", n % 50);
                    if n % 5 == 4 {
                        store.delete(&id).unwrap();
                    } else {
                        let v = vec![(n % 13) as f32, 1.0, w as f32, (n % 7) as f32];
                        store.upsert(id, v, Metadata::new()).unwrap();
                    }
                    n += 1;
                }
            });
        }
        for r in 0..8 {
            let store = store.clone();
            let stop = &stop;
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let hits = store
                        .query(q(vec![1.0, r as f32 / 8.0, 0.5, 0.1], 10))
                        .unwrap();
                    assert_eq!(hits.len(), 10);
                    for h in &hits {
                        assert!(
                            h.id.starts_with("base") || h.id.starts_with('w'),
                            "{}",
                            h.id
                        );
                    }
                }
            });
        }
        std::thread::sleep(std::time::Duration::from_secs(3));
        stop.store(true, Ordering::Relaxed);
    });
    assert!(store.count().unwrap() >= 100);
}
