//! The user API end to end: persistence, isolation, edge cases, bad input,
//! snapshots, compaction, export/import, filters and hybrid search.

use vecstore_storage::{
    CollectionConfig, Durability, Error, Filter, Fusion, HybridQuery, Metadata, Metric, Query,
    Record, SearchOptions, VecDatabase, VecStore, WriteBatch,
};

fn meta(pairs: &[(&str, &str)]) -> Metadata {
    pairs.iter().map(|(k, v)| (*k, *v)).collect()
}

fn q(vector: Vec<f32>, k: usize) -> Query {
    Query {
        vector,
        k,
        filter: None,
    }
}

#[test]
fn data_persists_across_reopen_with_and_without_flush() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = VecStore::open(dir.path()).unwrap();
        store
            .upsert("a".into(), vec![1.0, 0.0, 0.0], meta(&[("c", "x")]))
            .unwrap();
        store
            .upsert("b".into(), vec![0.0, 1.0, 0.0], Metadata::new())
            .unwrap();
        store.index_text("a", "rust programming").unwrap();
        store.flush().unwrap();
        store
            .upsert("c".into(), vec![0.0, 0.0, 1.0], Metadata::new())
            .unwrap();
        assert!(store.delete("b").unwrap());
    }
    let store = VecStore::open(dir.path()).unwrap();
    assert_eq!(store.count().unwrap(), 2);
    let a = store.get("a").unwrap().unwrap();
    assert_eq!(a.metadata, meta(&[("c", "x")]));
    assert_eq!(a.text.as_deref(), Some("rust programming"));
    assert!(store.get("b").unwrap().is_none());
    let hits = store.query(q(vec![0.0, 0.0, 1.0], 5)).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].id, "c");
    assert!((hits[0].score - 1.0).abs() < 1e-6);
    let kw = store.keyword_query("programming", 5, None).unwrap();
    assert_eq!(kw.len(), 1);
    assert_eq!(kw[0].id, "a");
}

#[test]
fn collections_are_isolated_and_deletion_removes_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = VecDatabase::open(dir.path()).unwrap();
    let a = db.create_collection("a").unwrap();
    let b = db
        .create_collection_with(
            "b",
            CollectionConfig::default().dimension(2).metric(Metric::L2),
        )
        .unwrap();
    a.upsert("same".into(), vec![1.0, 0.0, 0.0], meta(&[("in", "a")]))
        .unwrap();
    b.upsert("same".into(), vec![3.0, 4.0], meta(&[("in", "b")]))
        .unwrap();
    assert_eq!(
        a.get("same").unwrap().unwrap().metadata,
        meta(&[("in", "a")])
    );
    assert_eq!(
        b.get("same").unwrap().unwrap().metadata,
        meta(&[("in", "b")])
    );
    let hit = &b.query(q(vec![0.0, 0.0], 1)).unwrap()[0];
    assert!(
        (hit.score - 5.0).abs() < 1e-5,
        "L2 distance, got {}",
        hit.score
    );
    assert!(matches!(
        db.create_collection("a"),
        Err(Error::CollectionExists { .. })
    ));
    assert_eq!(db.list_collections().unwrap(), vec!["a", "b"]);
    b.create_snapshot("s").unwrap();
    assert!(db.delete_collection("b").unwrap());
    assert!(!dir.path().join("collections").join("b").exists());
    assert!(!dir.path().join("snapshots").join("b").exists());
    assert!(!db.delete_collection("b").unwrap());
    assert!(db.get_collection("b").unwrap().is_none());
    assert!(matches!(b.count(), Err(Error::CollectionNotFound { .. })));
    assert_eq!(a.count().unwrap(), 1);
    // A new collection with the old name starts empty.
    let b2 = db.create_collection("b").unwrap();
    assert_eq!(b2.count().unwrap(), 0);
}

#[test]
fn edge_cases_users_hit_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    // Empty collection: no hits whatever the dimension.
    assert!(store.query(q(vec![1.0, 2.0], 3)).unwrap().is_empty());
    assert!(store.keyword_query("anything", 3, None).unwrap().is_empty());
    assert!(!store.delete("nope").unwrap());
    assert!(!store.update_metadata("nope", Metadata::new()).unwrap());
    // Text before vector: kept and searchable.
    store
        .index_text("doc1", "rust programming language")
        .unwrap();
    assert_eq!(store.count().unwrap(), 1);
    let h = store
        .hybrid_query(HybridQuery {
            vector: vec![1.0, 0.0, 0.0],
            keywords: "programming".into(),
            k: 10,
            filter: None,
            alpha: 0.7,
        })
        .unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].id, "doc1");
    // A dense query finds nothing: doc1 has no vector yet.
    assert!(store.query(q(vec![1.0, 0.0, 0.0], 3)).unwrap().is_empty());
    store
        .upsert("doc1".into(), vec![1.0, 0.0, 0.0], meta(&[("k", "v")]))
        .unwrap();
    let r = store.get("doc1").unwrap().unwrap();
    assert_eq!(r.text.as_deref(), Some("rust programming language"));
    assert_eq!(
        store.query(q(vec![1.0, 0.0, 0.0], 3)).unwrap()[0].id,
        "doc1"
    );
    // The first vector fixed the dimension.
    assert!(matches!(
        store.upsert("x".into(), vec![1.0, 0.0], Metadata::new()),
        Err(Error::DimensionMismatch {
            expected: 3,
            got: 2
        })
    ));
    assert!(matches!(
        store.query(q(vec![1.0, 0.0], 3)),
        Err(Error::DimensionMismatch { .. })
    ));
    assert_eq!(store.stats().unwrap().dimension, Some(3));
}

#[test]
fn bad_input_is_a_typed_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    store
        .upsert("a".into(), vec![1.0, 0.0], Metadata::new())
        .unwrap();
    let before = store.export_jsonl(&mut Vec::new()).unwrap();
    let mut nan_meta = Metadata::new();
    nan_meta.insert("x", f64::NAN);
    let bad: Vec<(Error, &str)> = vec![
        (
            store
                .upsert("".into(), vec![1.0, 0.0], Metadata::new())
                .unwrap_err(),
            "empty id",
        ),
        (
            store
                .upsert("x".repeat(1025), vec![1.0, 0.0], Metadata::new())
                .unwrap_err(),
            "long id",
        ),
        (
            store
                .upsert("b".into(), vec![f32::NAN, 0.0], Metadata::new())
                .unwrap_err(),
            "nan",
        ),
        (
            store
                .upsert("b".into(), vec![f32::INFINITY, 0.0], Metadata::new())
                .unwrap_err(),
            "inf",
        ),
        (
            store
                .upsert("b".into(), vec![1.0], Metadata::new())
                .unwrap_err(),
            "dim",
        ),
        (
            store
                .upsert("b".into(), vec![], Metadata::new())
                .unwrap_err(),
            "empty vector",
        ),
        (
            store
                .upsert("b".into(), vec![1.0, 0.0], nan_meta)
                .unwrap_err(),
            "nan meta",
        ),
        (store.query(q(vec![1.0, 0.0], 0)).unwrap_err(), "k=0"),
        (store.query(q(vec![1.0, 0.0], 10_001)).unwrap_err(), "k big"),
        (
            store
                .hybrid_query(HybridQuery {
                    vector: vec![1.0, 0.0],
                    keywords: "x".into(),
                    k: 1,
                    filter: None,
                    alpha: 1.5,
                })
                .unwrap_err(),
            "alpha",
        ),
        (
            store.create_snapshot("bad name").unwrap_err(),
            "snapshot name",
        ),
        (
            store.restore_snapshot("missing").unwrap_err(),
            "missing snapshot",
        ),
        (
            store.database().create_collection("../x").unwrap_err(),
            "collection name",
        ),
        (store.delete("").unwrap_err(), "delete empty id"),
        ("a = ".parse::<Filter>().unwrap_err(), "filter parse"),
    ];
    for (e, what) in &bad {
        assert!(
            matches!(
                e,
                Error::InvalidId { .. }
                    | Error::NonFiniteVector { .. }
                    | Error::DimensionMismatch { .. }
                    | Error::InvalidDimension { .. }
                    | Error::InvalidArgument { .. }
                    | Error::InvalidK { .. }
                    | Error::InvalidAlpha { .. }
                    | Error::InvalidName { .. }
                    | Error::SnapshotNotFound { .. }
                    | Error::FilterParse { .. }
            ),
            "{what}: {e:?}"
        );
    }
    // A batch with one bad record writes nothing.
    let batch = vec![
        Record::new("c", vec![0.0, 1.0], Metadata::new()),
        Record::new("d", vec![0.0, f32::NAN], Metadata::new()),
    ];
    assert!(store.batch_upsert(batch).is_err());
    assert_eq!(store.count().unwrap(), 1);
    assert_eq!(store.export_jsonl(&mut Vec::new()).unwrap(), before);
    drop(store);
    // Still exactly one record after a reopen (nothing half-logged).
    let store = VecStore::open(dir.path()).unwrap();
    assert_eq!(store.count().unwrap(), 1);
}

#[test]
fn filters_at_every_selectivity_return_k_hits() {
    let dir = tempfile::tempdir().unwrap();
    let db = VecDatabase::builder(dir.path())
        .metric(Metric::L2)
        .flush_threshold(200)
        .open()
        .unwrap();
    let c = db.create_collection("f").unwrap();
    let mut records = Vec::new();
    for i in 0..1000u32 {
        let mut m = Metadata::new();
        m.insert("i", i as i64);
        m.insert("mod", (i % 10) as i64);
        m.insert(
            "tag",
            if i.is_multiple_of(100) {
                "rare"
            } else {
                "common"
            },
        );
        records.push(Record::new(format!("r{i}"), vec![i as f32, 0.0], m));
    }
    for chunk in records.chunks(250) {
        c.batch_upsert(chunk.to_vec()).unwrap();
    }
    c.flush().unwrap();
    assert!(c.stats().unwrap().segment_count >= 3);
    for (f, expect) in [
        ("tag = 'rare'", 10usize),
        ("mod = 3", 100),
        ("i >= 990", 10),
        ("i < 5 OR i > 995", 9),
        ("NOT tag = 'common' AND mod = 0", 10),
        ("tag IN ('rare', 'none')", 10),
    ] {
        let filter: Filter = f.parse().unwrap();
        let hits = c
            .query(Query {
                vector: vec![500.0, 0.0],
                k: 20,
                filter: Some(filter.clone()),
            })
            .unwrap();
        assert_eq!(hits.len(), expect.min(20), "{f}");
        assert!(hits.iter().all(|h| filter.matches(&h.metadata)), "{f}");
        // Exact and approximate agree on these easy 1-d data.
        let exact = c
            .query_with(
                Query {
                    vector: vec![500.0, 0.0],
                    k: 20,
                    filter: Some(filter),
                },
                SearchOptions::default().exact(true),
            )
            .unwrap();
        assert_eq!(
            hits.iter().map(|h| &h.id).collect::<Vec<_>>(),
            exact.iter().map(|h| &h.id).collect::<Vec<_>>(),
            "{f}"
        );
    }
}

#[test]
fn snapshots_create_change_restore_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    store
        .upsert("a".into(), vec![1.0, 0.0], Metadata::new())
        .unwrap();
    store
        .upsert("b".into(), vec![0.0, 1.0], Metadata::new())
        .unwrap();
    store.create_snapshot("s1").unwrap();
    assert!(matches!(
        store.create_snapshot("s1"),
        Err(Error::SnapshotExists { .. })
    ));
    store.delete("a").unwrap();
    store
        .upsert("c".into(), vec![1.0, 1.0], Metadata::new())
        .unwrap();
    store.create_snapshot("s2").unwrap();
    let list = store.list_snapshots().unwrap();
    assert_eq!(
        list.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        vec!["s1", "s2"]
    );
    assert_eq!(list[0].vector_count, 2);
    assert!(list[0].size_bytes > 0 && list[0].created_unix_ms > 0);
    store.restore_snapshot("s1").unwrap();
    assert_eq!(store.count().unwrap(), 2);
    assert!(store.get("a").unwrap().is_some());
    assert!(store.get("c").unwrap().is_none());
    // The restored state survives a reopen, and writes after it too.
    store
        .upsert("d".into(), vec![0.5, 0.5], Metadata::new())
        .unwrap();
    drop(store);
    let store = VecStore::open(dir.path()).unwrap();
    assert_eq!(store.count().unwrap(), 3);
    store.restore_snapshot("s2").unwrap();
    assert!(store.get("c").unwrap().is_some() && store.get("a").unwrap().is_none());
    assert!(store.delete_snapshot("s1").unwrap());
    assert!(!store.delete_snapshot("s1").unwrap());
    assert_eq!(store.list_snapshots().unwrap().len(), 1);
    assert!(!dir.path().join("snapshots/default/s1").exists());
}

#[test]
fn compaction_frees_disk_and_keeps_live_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = VecDatabase::builder(dir.path())
        .compaction_threshold(u64::MAX, 1.0)
        .durability(Durability::Buffered { ms: 5 })
        .open()
        .unwrap();
    let c = db.create_collection("c").unwrap();
    let recs: Vec<Record> = (0..2000)
        .map(|i| {
            Record::new(
                format!("{i}"),
                vec![i as f32, 1.0, (i % 7) as f32],
                Metadata::new(),
            )
        })
        .collect();
    c.batch_upsert(recs).unwrap();
    c.flush().unwrap();
    for i in 0..1500 {
        c.delete(&format!("{i}")).unwrap();
    }
    c.flush().unwrap();
    let before = c.stats().unwrap();
    assert_eq!(before.deleted_count, 1500);
    c.compact().unwrap();
    let after = c.stats().unwrap();
    assert_eq!(after.vector_count, 500);
    assert_eq!(after.deleted_count, 0);
    assert_eq!(after.segment_count, 1);
    assert!(
        after.disk_bytes < before.disk_bytes / 2,
        "{} -> {}",
        before.disk_bytes,
        after.disk_bytes
    );
    assert_eq!(c.count().unwrap(), 500);
    assert!(c.get("1499").unwrap().is_none());
    assert!(c.get("1500").unwrap().is_some());
}

#[test]
fn export_import_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let db = VecDatabase::open(dir.path()).unwrap();
    let a = db.create_collection("a").unwrap();
    a.upsert("x".into(), vec![0.6, 0.8], meta(&[("k", "v")]))
        .unwrap();
    a.index_text("x", "hello world").unwrap();
    a.index_text("only-text", "just words").unwrap();
    let mut buf = Vec::new();
    assert_eq!(a.export_jsonl(&mut buf).unwrap(), 2);
    let b = db.create_collection("b").unwrap();
    assert_eq!(b.import_jsonl(&mut buf.as_slice()).unwrap(), 2);
    assert_eq!(b.get("x").unwrap(), a.get("x").unwrap());
    assert_eq!(b.get("only-text").unwrap(), a.get("only-text").unwrap());
    assert!(b.import_jsonl(&mut "not json\n".as_bytes()).is_err());
}

#[test]
fn hybrid_fusions_and_keyword_filters() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    let docs = [
        ("d1", [1.0, 0.0], "rust systems programming", "en"),
        ("d2", [0.9, 0.1], "python scripting language", "en"),
        ("d3", [0.0, 1.0], "rust compiler internals", "de"),
    ];
    for (id, v, text, lang) in docs {
        store
            .batch_upsert(vec![
                Record::new(id, v.to_vec(), meta(&[("lang", lang)])).with_text(text),
            ])
            .unwrap();
    }
    let hq = HybridQuery {
        vector: vec![1.0, 0.0],
        keywords: "rust".into(),
        k: 3,
        filter: None,
        alpha: 0.5,
    };
    let w = store.hybrid_query(hq.clone()).unwrap();
    assert_eq!(w[0].id, "d1"); // best in both lists
    for f in [Fusion::Rrf { k: 60 }, Fusion::Dbsf, Fusion::Weighted(1.0)] {
        let r = store.hybrid_query_with(hq.clone(), f).unwrap();
        assert_eq!(r[0].id, "d1", "{f:?}");
    }
    let only_de = store
        .keyword_query("rust", 5, Some("lang = 'de'".parse().unwrap()))
        .unwrap();
    assert_eq!(only_de.len(), 1);
    assert_eq!(only_de[0].id, "d3");
    // After a flush the keyword scores are unchanged (global statistics).
    let before = store.keyword_query("rust", 5, None).unwrap();
    store.flush().unwrap();
    let after = store.keyword_query("rust", 5, None).unwrap();
    assert_eq!(before.len(), after.len());
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(a.id, b.id);
        assert!((a.score - b.score).abs() < 1e-5);
    }
}

#[test]
fn read_only_open_sees_flushed_state_and_rejects_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    store
        .upsert("a".into(), vec![1.0, 0.0], Metadata::new())
        .unwrap();
    store.flush().unwrap();
    let ro = VecStore::open_with(VecDatabase::builder(dir.path()).read_only(true)).unwrap();
    assert_eq!(ro.count().unwrap(), 1);
    assert!(matches!(
        ro.upsert("b".into(), vec![1.0, 0.0], Metadata::new()),
        Err(Error::ReadOnly)
    ));
    // A second writer is refused at once.
    assert!(matches!(
        VecStore::open(dir.path()),
        Err(Error::Locked { .. })
    ));
}

#[test]
fn write_batches_apply_in_order_all_or_nothing_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = VecDatabase::builder(dir.path())
            .flush_on_close(false)
            .open()
            .unwrap();
        let c = db.get_or_create_collection("docs").unwrap();
        c.upsert("old#2".into(), vec![1.0, 0.0], Metadata::new())
            .unwrap();
        c.index_text("old#2", "stale chunk").unwrap();

        // A bad step anywhere refuses the whole batch, before anything changes.
        let mut bad = WriteBatch::new();
        bad.upsert(Record::new("x", vec![0.0, 1.0], Metadata::new()))
            .delete("old#2")
            .upsert(Record::new("y", vec![0.0, 1.0, 2.0], Metadata::new()));
        assert!(matches!(
            c.write(bad),
            Err(Error::DimensionMismatch {
                expected: 2,
                got: 3
            })
        ));
        let mut no_text = WriteBatch::new();
        no_text.upsert(Record::new("z", vec![], Metadata::new()));
        assert!(matches!(
            c.write(no_text),
            Err(Error::InvalidArgument { name: "record", .. })
        ));
        let mut bad_id = WriteBatch::new();
        bad_id
            .upsert(Record::new("ok", vec![0.5, 0.5], Metadata::new()))
            .delete("");
        assert!(matches!(c.write(bad_id), Err(Error::InvalidId { .. })));
        assert_eq!(c.count().unwrap(), 1);
        assert!(c.get("x").unwrap().is_none() && c.get("ok").unwrap().is_none());

        // In order: upsert then delete of one id removes it; delete then
        // upsert keeps it; text-only records are searchable by keyword;
        // a record without text keeps the earlier step's text.
        let mut b = WriteBatch::new();
        b.upsert(Record::new("a", vec![1.0, 0.0], Metadata::new()))
            .delete("a")
            .delete("old#2")
            .upsert(Record::new("old#2", vec![], meta(&[("k", "v")])).with_text("fresh words"))
            .upsert(Record::new("t", vec![], Metadata::new()).with_text("keyword only chunk"))
            .upsert(Record::new("t", vec![0.0, 1.0], Metadata::new()));
        c.write(b).unwrap();
        // Empty batches and deletes of unknown ids are no-ops.
        c.write(WriteBatch::new()).unwrap();
        let mut unknown = WriteBatch::new();
        unknown.delete("nobody");
        c.write(unknown).unwrap();
    }
    // Reopen without a flush: the batch comes back from the WAL, whole.
    let db = VecDatabase::open(dir.path()).unwrap();
    let c = db.get_collection("docs").unwrap().unwrap();
    assert_eq!(c.count().unwrap(), 2);
    assert!(c.get("a").unwrap().is_none());
    let old = c.get("old#2").unwrap().unwrap();
    assert!(old.vector.is_empty());
    assert_eq!(old.text.as_deref(), Some("fresh words"));
    assert_eq!(old.metadata, meta(&[("k", "v")]));
    let t = c.get("t").unwrap().unwrap();
    assert_eq!(t.text.as_deref(), Some("keyword only chunk"));
    assert_eq!(t.vector, vec![0.0, 1.0]);
    assert!(c.keyword_query("stale", 5, None).unwrap().is_empty());
    let kw = c.keyword_query("fresh", 5, None).unwrap();
    assert_eq!(kw.len(), 1);
    assert_eq!(kw[0].id, "old#2");
    let dense = c.query(q(vec![0.0, 1.0], 5)).unwrap();
    assert_eq!(dense.len(), 1);
    assert_eq!(dense[0].id, "t");
}
