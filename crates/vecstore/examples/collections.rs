//! Collections: several named, isolated collections in one database, each with its
//! own dimension and metric.
//!
//! Run: `cargo run --example collections -p vecstore`

use vecstore::{CollectionConfig, Metadata, Metric, Query, VecDatabase};

fn main() -> vecstore::Result<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = VecDatabase::open(dir.path())?;

    let docs = db.create_collection("documents")?;
    let images = db.create_collection_with(
        "images",
        CollectionConfig {
            dimension: Some(4),
            metric: Metric::L2,
            ..Default::default()
        },
    )?;

    docs.upsert("same-id".into(), vec![1.0, 0.0, 0.0], Metadata::new())?;
    images.upsert("same-id".into(), vec![0.0, 0.0, 1.0, 1.0], Metadata::new())?;
    images.upsert("other".into(), vec![5.0, 5.0, 5.0, 5.0], Metadata::new())?;

    // A 3-d vector is wrong for the 4-d collection: a typed error, nothing stored.
    let err = images
        .upsert("bad".into(), vec![1.0, 2.0, 3.0], Metadata::new())
        .unwrap_err();
    println!("rejected: {err}");
    assert!(matches!(
        err,
        vecstore::Error::DimensionMismatch {
            expected: 4,
            got: 3
        }
    ));

    let hits = images.query(Query {
        vector: vec![0.0, 0.0, 1.0, 1.0],
        k: 2,
        filter: None,
    })?;
    assert_eq!(hits[0].id, "same-id");
    assert_eq!(hits[0].score, 0.0, "L2 scores are distances");
    println!(
        "images: {:?}",
        hits.iter().map(|h| (&h.id, h.score)).collect::<Vec<_>>()
    );

    println!("collections: {:?}", db.list_collections()?);
    for name in db.list_collections()? {
        let c = db.get_collection(&name)?.expect("listed");
        let s = c.stats()?;
        println!(
            "  {name}: {} vectors, dimension {:?}, metric {}",
            s.vector_count, s.dimension, s.metric
        );
    }

    assert!(db.delete_collection("images")?);
    assert_eq!(db.list_collections()?, vec!["documents".to_string()]);
    assert_eq!(docs.count()?, 1);
    Ok(())
}
