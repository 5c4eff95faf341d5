//! Metadata filters: the builder and the string syntax give the same results, at any
//! selectivity, with exactly `k` hits whenever `k` records match.
//!
//! Run: `cargo run --example filters -p vecstore`

use vecstore::{Filter, Metadata, Query, VecStore};

fn main() -> vecstore::Result<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = VecStore::open(dir.path())?;

    for i in 0..500u32 {
        let mut meta = Metadata::new();
        meta.insert("lang", ["en", "de", "fr"][(i % 3) as usize]);
        meta.insert("score", (i % 100) as f64 / 100.0);
        meta.insert("archived", i % 7 == 0);
        meta.insert(
            "tags",
            if i % 5 == 0 {
                vec!["rust", "db"]
            } else {
                vec!["misc"]
            },
        );
        let angle = i as f32 * 0.01;
        store.upsert(format!("doc{i}"), vec![angle.cos(), angle.sin(), 0.5], meta)?;
    }

    let text = "lang IN ('en', 'de') AND (score > 0.5 OR NOT archived) AND tags CONTAINS 'rust'";
    let parsed: Filter = text.parse()?;
    let built = Filter::in_("lang", vec!["en", "de"])
        .and(Filter::gt("score", 0.5).or(Filter::eq("archived", true).not()))
        .and(Filter::contains("tags", "rust"));
    println!("filter: {parsed}");

    let q = |f: Filter| {
        store.query(Query {
            vector: vec![1.0, 0.0, 0.5],
            k: 10,
            filter: Some(f),
        })
    };
    let a = q(parsed)?;
    let b = q(built)?;
    assert_eq!(a, b);
    assert_eq!(a.len(), 10);
    for h in &a {
        println!(
            "  {:<7} {:.4} lang={:?} tags={:?}",
            h.id,
            h.score,
            h.metadata.get("lang"),
            h.metadata.get("tags")
        );
    }

    // A very selective filter still returns every match.
    let rare = q(Filter::eq("lang", "fr").and(Filter::eq("score", 0.05)))?;
    println!("rare filter: {} hits", rare.len());
    assert!(!rare.is_empty());

    // A filter that does not parse is an error with its position, never ignored.
    match Filter::parse("lang = 'en' AND (score >") {
        Err(e) => println!("parse error: {e}"),
        Ok(_) => unreachable!(),
    }
    Ok(())
}
