//! Async basics: open an `AsyncVecStore`, upsert with metadata, query.
//!
//! Run: `cargo run --example async_basic -p vecstore --features async`

use vecstore::{AsyncVecStore, Filter, Metadata, Query};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = AsyncVecStore::open(dir.path()).await?;

    let mut meta = Metadata::new();
    meta.insert("category", "tech");
    store
        .upsert("doc1".into(), vec![1.0, 0.0, 0.0], meta)
        .await?;
    store
        .upsert("doc2".into(), vec![0.0, 1.0, 0.0], Metadata::new())
        .await?;
    assert_eq!(store.count().await?, 2);

    let results = store
        .query(Query {
            vector: vec![1.0, 0.0, 0.0],
            k: 5,
            filter: None,
        })
        .await?;
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].id, "doc1");
    assert!((results[0].score - 1.0).abs() < 1e-6);

    let tech = store
        .query(Query {
            vector: vec![0.0, 1.0, 0.0],
            k: 5,
            filter: Some(Filter::eq("category", "tech")),
        })
        .await?;
    assert_eq!(tech.len(), 1);
    println!("{results:?}");
    Ok(())
}
