//! `beir --db DIR`: retrieval quality of a collection that `vecstore ingest`
//! built from a BEIR corpus, through the engine's own query paths
//! (`keyword_query`, HNSW `query`, `hybrid_query_with_options`). Queries are
//! embedded with our MiniLM embedder (`--embed MODEL_DIR`); chunk ids map
//! back to corpus ids with `vecstore_rag::doc_id_of`, and a document counts
//! once, at the rank of its best chunk.

use super::{K, Mode, QueryLine, metrics};
use anyhow::{Context, Result, bail};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;
use vecstore_core::{Fusion, HybridQuery, Neighbor, Query, SearchOptions};
use vecstore_rag::{Embedder, MiniLmEmbedder, doc_id_of};

/// What [`run`] needs from the `beir` arguments.
pub struct DbRun<'a> {
    pub db: &'a Path,
    pub collection: &'a str,
    pub model: Option<&'a Path>,
    pub mode: Mode,
    pub fusion: Fusion,
    pub fusion_label: String,
    pub depth: usize,
    pub exact: bool,
}

/// Corpus ids of `hits` in rank order, each document once.
fn doc_ids(hits: &[Neighbor]) -> Vec<String> {
    let mut seen = HashSet::new();
    hits.iter()
        .map(|h| doc_id_of(&h.id).to_string())
        .filter(|d| seen.insert(d.clone()))
        .collect()
}

/// Evaluates the judged `queries` against the ingested collection; prints
/// nDCG@10, recall@100, MRR@10 and single-thread QPS (query embedding
/// included).
pub fn run(
    r: &DbRun<'_>,
    queries: &[&QueryLine],
    qrels: &HashMap<String, metrics::Qrels>,
) -> Result<()> {
    let db = vecstore_storage::VecDatabase::builder(r.db)
        .read_only(true)
        .open()
        .with_context(|| format!("opening {}", r.db.display()))?;
    let coll = db
        .get_collection(r.collection)?
        .with_context(|| format!("no collection {:?} in {}", r.collection, r.db.display()))?;
    let embedder = match (r.mode, r.model) {
        (Mode::Bm25, _) => None,
        (_, Some(m)) => Some(MiniLmEmbedder::from_dir(m)?),
        (_, None) => bail!("--db with --mode dense or hybrid needs --embed MODEL_DIR"),
    };
    if let Some(e) = &embedder
        && coll.config().dimension != Some(e.dimension())
    {
        bail!(
            "collection holds {:?}-d vectors, the model makes {}-d vectors",
            coll.config().dimension,
            e.dimension()
        );
    }
    // Over-fetch a little: several chunks of one document take one rank.
    let fetch = K * 2;
    let options = SearchOptions {
        fusion_depth: Some(r.depth.max(fetch)),
        exact: r.exact,
        ..SearchOptions::default()
    };
    let start = Instant::now();
    let mut results = Vec::with_capacity(queries.len());
    for q in queries {
        let vector = match &embedder {
            Some(e) => e.embed(&q.text)?,
            None => Vec::new(),
        };
        let hits = match r.mode {
            Mode::Bm25 => coll.keyword_query(&q.text, fetch, None)?,
            Mode::Dense => coll.query_with(
                Query {
                    vector,
                    k: fetch,
                    filter: None,
                },
                options,
            )?,
            Mode::Hybrid => coll.hybrid_query_with_options(
                HybridQuery {
                    vector,
                    keywords: q.text.clone(),
                    k: fetch,
                    filter: None,
                    alpha: 0.5,
                },
                r.fusion,
                options,
            )?,
        };
        results.push(doc_ids(&hits));
    }
    let qps = queries.len() as f64 / start.elapsed().as_secs_f64();
    let (mut n, mut rc, mut m) = (0.0, 0.0, 0.0);
    for (q, ranked) in queries.iter().zip(&results) {
        let ranked: Vec<&str> = ranked.iter().map(String::as_str).collect();
        let judged = &qrels[&q.id];
        n += metrics::ndcg(&ranked, judged, 10);
        rc += metrics::recall(&ranked, judged, K);
        m += metrics::mrr(&ranked, judged, 10);
    }
    let c = queries.len() as f64;
    println!(
        "db {:<7} {:<13} nDCG@10 {:.4}  recall@100 {:.4}  MRR@10 {:.4}  QPS {:.0} (with query embedding)  ({} queries, {}, {} records)",
        format!("{:?}", r.mode).to_lowercase(),
        if r.mode == Mode::Hybrid {
            r.fusion_label.as_str()
        } else {
            "-"
        },
        n / c,
        rc / c,
        m / c,
        qps,
        queries.len(),
        if r.exact { "exact" } else { "HNSW" },
        coll.count()?,
    );
    Ok(())
}
