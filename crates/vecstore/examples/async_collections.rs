//! Async multi-collection database: two collections, isolated from each other.
//!
//! Run: `cargo run --example async_collections -p vecstore --features async`

use vecstore::{AsyncVecDatabase, Metadata, Query};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = AsyncVecDatabase::open(dir.path()).await?;
    let docs = db.create_collection("documents").await?;
    let users = db.create_collection("users").await?;

    let mut meta = Metadata::new();
    meta.insert("type", "document");
    // Writes to two collections at once.
    let (a, b) = tokio::join!(
        docs.upsert("doc1".into(), vec![1.0, 0.0, 0.0], meta.clone()),
        users.upsert("user1".into(), vec![0.0, 1.0, 0.0], meta),
    );
    a?;
    b?;

    let doc_results = docs
        .query(Query {
            vector: vec![1.0, 0.0, 0.0],
            k: 5,
            filter: None,
        })
        .await?;
    assert_eq!(doc_results.len(), 1);
    assert_eq!(doc_results[0].id, "doc1");
    assert!(
        users.get("doc1").await?.is_none(),
        "collections are isolated"
    );
    println!(
        "documents: {:?}",
        doc_results.iter().map(|h| &h.id).collect::<Vec<_>>()
    );
    Ok(())
}
