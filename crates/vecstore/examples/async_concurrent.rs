//! Concurrent async queries over cloned handles with `tokio::join!`.
//!
//! Run: `cargo run --example async_concurrent -p vecstore --features async`

use vecstore::{AsyncVecStore, Metadata, Query};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = AsyncVecStore::open(dir.path()).await?;
    for (i, v) in [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [1.0, 1.0, 0.0],
    ]
    .iter()
    .enumerate()
    {
        store
            .upsert(format!("doc{i}"), v.to_vec(), Metadata::new())
            .await?;
    }

    let (s1, s2, s3) = (store.clone(), store.clone(), store.clone());
    let q = |v: [f32; 3]| Query {
        vector: v.to_vec(),
        k: 3,
        filter: None,
    };
    let (r1, r2, r3) = tokio::join!(
        s1.query(q([1.0, 0.0, 0.0])),
        s2.query(q([0.0, 1.0, 0.0])),
        s3.query(q([0.0, 0.0, 1.0])),
    );
    let (r1, r2, r3) = (r1?, r2?, r3?);
    assert_eq!((r1.len(), r2.len(), r3.len()), (3, 3, 3));
    assert_eq!(
        (r1[0].id.as_str(), r2[0].id.as_str(), r3[0].id.as_str()),
        ("doc0", "doc1", "doc2")
    );
    println!("Query 1: {} results", r1.len());
    println!("Query 2: {} results", r2.len());
    println!("Query 3: {} results", r3.len());
    Ok(())
}
