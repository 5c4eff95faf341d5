//! Async hybrid search: index text, then fuse vector and keyword scores
//! (alpha 0.7 = 70% vector, 30% keywords).
//!
//! Run: `cargo run --example async_hybrid -p vecstore --features async`

use vecstore::{AsyncVecStore, Fusion, HybridQuery, Metadata};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = AsyncVecStore::open(dir.path()).await?;

    store
        .upsert("doc1".into(), vec![1.0, 0.0, 0.0], Metadata::new())
        .await?;
    store
        .upsert("doc2".into(), vec![0.9, 0.1, 0.0], Metadata::new())
        .await?;
    store
        .index_text("doc1", "rust programming language")
        .await?;
    store.index_text("doc2", "cooking with garlic").await?;
    // Text before any vector is kept; keyword and hybrid search can return it.
    store
        .index_text("doc3", "programming in rust is fun")
        .await?;

    let q = HybridQuery {
        vector: vec![1.0, 0.0, 0.0],
        keywords: "programming".to_string(),
        k: 10,
        filter: None,
        alpha: 0.7,
    };
    let results = store.hybrid_query(q.clone()).await?;
    assert_eq!(results[0].id, "doc1");
    assert!(results.iter().any(|h| h.id == "doc3"));
    let rrf = store.hybrid_query_with(q, Fusion::Rrf { k: 60 }).await?;
    assert_eq!(rrf[0].id, "doc1");
    for h in &results {
        println!("{:<5} {:.3}", h.id, h.score);
    }
    Ok(())
}
