//! Quickstart: open a store, upsert documents with metadata, run a filtered vector
//! query, a hybrid (vector + keyword) query, and take and restore a snapshot.
//!
//! Run: `cargo run --release --example quickstart -p vecstore`
//!
//! The vectors come from a tiny hashed bag-of-words embedding defined below, so the
//! example needs no model; swap in a real embedder (see the `rag` feature) for real use.

use vecstore::{Filter, HybridQuery, Metadata, Query, VecStore};

const DIM: usize = 64;

/// Feature hashing of lower-cased words into `DIM` buckets, L2-normalised.
fn embed(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; DIM];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
    {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in word.to_lowercase().bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100000001b3);
        }
        v[(h % DIM as u64) as usize] += 1.0;
    }
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

const DOCS: &[(&str, &str, &str, i64)] = &[
    (
        "rust-1",
        "tech",
        "Rust programming language gives memory safety without garbage collection",
        2015,
    ),
    (
        "rust-2",
        "tech",
        "Async Rust with Tokio runs thousands of concurrent network tasks",
        2021,
    ),
    (
        "db-1",
        "tech",
        "Vector databases index embeddings for nearest neighbour search",
        2023,
    ),
    (
        "db-2",
        "tech",
        "HNSW graphs make approximate nearest neighbour search fast",
        2018,
    ),
    (
        "bm25",
        "tech",
        "BM25 ranks documents by keyword frequency and document length",
        2009,
    ),
    (
        "cook-1",
        "food",
        "Slow cooked tomato sauce with garlic and basil",
        2019,
    ),
    (
        "cook-2",
        "food",
        "Fresh pasta needs flour, eggs and patience",
        2020,
    ),
    (
        "hike-1",
        "travel",
        "Hiking the alpine trails in summer with light gear",
        2022,
    ),
    (
        "hike-2",
        "travel",
        "A rainy week of trail running in the Scottish highlands",
        2024,
    ),
    (
        "sci-1",
        "science",
        "Protein folding predicted by deep neural networks",
        2021,
    ),
];

fn main() -> vecstore::Result<()> {
    let dir = std::env::temp_dir().join(format!("vecstore-quickstart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = VecStore::open(&dir)?;

    for (id, category, text, year) in DOCS {
        let mut meta = Metadata::new();
        meta.insert("category", *category);
        meta.insert("year", *year);
        store.upsert(id.to_string(), embed(text), meta)?;
        store.index_text(id, text)?;
    }
    println!("stored {} documents in {}", store.count()?, dir.display());

    let question = "fast nearest neighbour search";
    println!("\nvector query: {question:?}, category = 'tech' AND year >= 2015");
    let hits = store.query(Query {
        vector: embed(question),
        k: 3,
        filter: Some(Filter::parse("category = 'tech' AND year >= 2015")?),
    })?;
    for h in &hits {
        println!(
            "  {:<8} score {:.3}  {:?}",
            h.id,
            h.score,
            h.metadata.get("year")
        );
    }

    let question = "rust concurrency";
    println!("\nhybrid query: {question:?} (alpha 0.5)");
    let hits = store.hybrid_query(HybridQuery {
        vector: embed(question),
        keywords: question.into(),
        k: 3,
        filter: None,
        alpha: 0.5,
    })?;
    for h in &hits {
        println!("  {:<8} score {:.3}", h.id, h.score);
    }

    store.create_snapshot("before-cleanup")?;
    store.delete("cook-1")?;
    store.delete("cook-2")?;
    println!(
        "\nafter deleting the food documents: {} documents",
        store.count()?
    );
    store.restore_snapshot("before-cleanup")?;
    println!(
        "after restoring snapshot 'before-cleanup': {} documents",
        store.count()?
    );
    for s in store.list_snapshots()? {
        println!("  snapshot {} ({} bytes)", s.name, s.size_bytes);
    }

    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
