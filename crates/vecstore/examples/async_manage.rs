//! Async collection management: create, list, get with stats, delete.
//!
//! Run: `cargo run --example async_manage -p vecstore --features async`

use vecstore::{AsyncVecDatabase, Metadata};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = AsyncVecDatabase::open(dir.path()).await?;
    let docs = db.create_collection("docs").await?;
    db.create_collection("users").await?;
    docs.upsert("a".into(), vec![0.5, 0.5], Metadata::new())
        .await?;

    let collections = db.list_collections().await?;
    assert_eq!(collections, vec!["docs".to_string(), "users".to_string()]);
    println!("Collections: {collections:?}");

    let docs = db.get_collection("docs").await?.expect("docs exists");
    let stats = docs.stats().await?;
    assert_eq!(stats.vector_count, 1);
    println!("Vector count: {}", stats.vector_count);

    assert!(db.delete_collection("users").await?);
    assert!(db.get_collection("users").await?.is_none());
    assert!(!dir.path().join("collections").join("users").exists());
    // Creating an existing collection is a typed error.
    assert!(matches!(
        db.create_collection("docs").await,
        Err(vecstore::Error::CollectionExists { .. })
    ));
    Ok(())
}
