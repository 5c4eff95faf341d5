//! The document pipeline on a real (temporary) collection, with the
//! model-free `HashingEmbedder`: chunk ids, metadata, re-ingest, dense and
//! hybrid search by text.

use vecstore_core::{Filter, Metadata, Value};
use vecstore_rag::{
    Document, DocumentExt, HashingEmbedder, RecursiveSplitter, WholeDocument, doc_id_of,
};
use vecstore_storage::{VecDatabase, VecStore};

const RUST: &str = "Rust is a systems programming language. It guarantees memory safety \
without a garbage collector.\n\nCargo builds Rust crates and fetches dependencies.";
const BREAD: &str = "Bread needs flour, water, salt and yeast.\n\nKnead the dough and let it \
rise before baking it in a hot oven.";

#[test]
fn upsert_document_stores_chunks_with_offsets_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let db = VecDatabase::open(dir.path()).unwrap();
    let coll = db.create_collection("docs").unwrap();
    let e = HashingEmbedder::new(256).unwrap();
    let chunker = RecursiveSplitter::new(80, 0).unwrap();
    let mut meta = Metadata::new();
    meta.insert("lang", "en");
    let n = coll
        .upsert_document("rust", RUST, meta, &chunker, &e)
        .unwrap();
    assert!(n >= 2, "{n} chunks");
    assert_eq!(coll.count().unwrap(), n);
    for i in 0..n {
        let r = coll
            .get(&format!("rust#{i}"))
            .unwrap()
            .expect("chunk stored");
        let m = &r.metadata;
        let start = m.get("start").and_then(Value::as_f64).unwrap() as usize;
        let end = m.get("end").and_then(Value::as_f64).unwrap() as usize;
        assert_eq!(r.text.as_deref(), Some(&RUST[start..end]));
        assert_eq!(m.get("doc_id"), Some(&Value::from("rust")));
        assert_eq!(m.get("source"), Some(&Value::from("rust")));
        assert_eq!(m.get("chunk"), Some(&Value::Int(i as i64)));
        assert_eq!(m.get("lang"), Some(&Value::from("en")));
        assert_eq!(r.vector.len(), 256);
    }
    assert!(coll.get(&format!("rust#{n}")).unwrap().is_none());
}

#[test]
fn query_text_finds_the_right_document() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    let e = HashingEmbedder::new(512).unwrap();
    let chunker = RecursiveSplitter::new(200, 20).unwrap();
    let docs = vec![Document::new("rust", RUST), Document::new("bread", BREAD)];
    let n = store.upsert_documents(&docs, &chunker, Some(&e)).unwrap();
    assert_eq!(store.count().unwrap(), n);

    let hits = store
        .query_text("flour and yeast dough", 3, None, &e)
        .unwrap();
    assert_eq!(doc_id_of(&hits[0].id), "bread");
    let hits = store
        .hybrid_query_text("memory safety garbage collector", 3, None, 0.5, &e)
        .unwrap();
    assert_eq!(doc_id_of(&hits[0].id), "rust");
    let hits = store.keyword_query("cargo crates", 3, None).unwrap();
    assert_eq!(doc_id_of(&hits[0].id), "rust");
    // Filters see the pipeline's metadata.
    let hits = store
        .query_text("flour", 5, Some(Filter::eq("doc_id", "rust")), &e)
        .unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| doc_id_of(&h.id) == "rust"));
    assert!(store.hybrid_query_text("x", 3, None, 1.5, &e).is_err());
}

#[test]
fn reingest_replaces_old_chunks_and_delete_removes_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = VecDatabase::open(dir.path()).unwrap();
    let coll = db.get_or_create_collection("docs").unwrap();
    let e = HashingEmbedder::new(64).unwrap();
    let small = RecursiveSplitter::new(40, 0).unwrap();
    let many = coll
        .upsert_document("d", RUST, Metadata::new(), &small, &e)
        .unwrap();
    assert!(many > 3);
    let one = coll
        .upsert_document(
            "d",
            "Now a single short chunk.",
            Metadata::new(),
            &small,
            &e,
        )
        .unwrap();
    assert_eq!(one, 1);
    assert_eq!(coll.count().unwrap(), 1);
    assert!(coll.get("d#1").unwrap().is_none());
    assert_eq!(
        coll.get("d#0").unwrap().unwrap().text.as_deref(),
        Some("Now a single short chunk.")
    );
    assert!(coll.keyword_query("cargo", 5, None).unwrap().is_empty());

    assert_eq!(coll.delete_document("d").unwrap(), 1);
    assert_eq!(coll.count().unwrap(), 0);
    assert_eq!(coll.delete_document("d").unwrap(), 0);
}

#[test]
fn keyword_only_ingest_needs_no_embedder() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    let docs = [
        Document::new("bread", BREAD),
        Document::new("empty", "  \n "),
    ];
    let n = store.upsert_documents(&docs, &WholeDocument, None).unwrap();
    assert_eq!(n, 1);
    let hits = store.keyword_query("yeast", 2, None).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, "bread#0");
    assert!(store.get("bread#0").unwrap().unwrap().vector.is_empty());
}

#[test]
fn invalid_doc_ids_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let store = VecStore::open(dir.path()).unwrap();
    let e = HashingEmbedder::new(8).unwrap();
    assert!(
        store
            .upsert_document("", "text", Metadata::new(), &WholeDocument, &e)
            .is_err()
    );
    let long = "x".repeat(5000);
    assert!(
        store
            .upsert_document(&long, "text", Metadata::new(), &WholeDocument, &e)
            .is_err()
    );
}

#[test]
fn doc_id_of_strips_only_a_numeric_suffix() {
    assert_eq!(doc_id_of("a/b.md#12"), "a/b.md");
    assert_eq!(doc_id_of("a#b"), "a#b");
    assert_eq!(doc_id_of("a#"), "a#");
    assert_eq!(doc_id_of("plain"), "plain");
    assert_eq!(doc_id_of("x#1#2"), "x#1");
}

#[test]
fn failed_reingest_leaves_the_old_version_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = VecDatabase::open(dir.path()).unwrap();
    let coll = db.get_or_create_collection("docs").unwrap();
    let small = RecursiveSplitter::new(40, 0).unwrap();
    let e64 = HashingEmbedder::new(64).unwrap();
    let n = coll
        .upsert_document("d", RUST, Metadata::new(), &small, &e64)
        .unwrap();
    let before: Vec<_> = (0..n)
        .map(|i| coll.get(&format!("d#{i}")).unwrap().unwrap())
        .collect();
    // A new version embedded at the wrong dimension is refused as a whole:
    // no chunk of it is stored and no old chunk is deleted.
    let e32 = HashingEmbedder::new(32).unwrap();
    assert!(
        coll.upsert_document("d", "Short.", Metadata::new(), &small, &e32)
            .is_err()
    );
    assert_eq!(coll.count().unwrap(), n);
    for (i, old) in before.iter().enumerate() {
        assert_eq!(&coll.get(&format!("d#{i}")).unwrap().unwrap(), old);
    }
    // Keyword-only re-ingestion replaces the document in one write too.
    let docs = [Document::new("d", "Now only keywords here.")];
    assert_eq!(coll.upsert_documents(&docs, &small, None).unwrap(), 1);
    assert_eq!(coll.count().unwrap(), 1);
    let d0 = coll.get("d#0").unwrap().unwrap();
    assert!(d0.vector.is_empty());
    assert_eq!(d0.text.as_deref(), Some("Now only keywords here."));
}
