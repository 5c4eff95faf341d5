//! `beir`: retrieval quality and speed on a BEIR dataset (corpus.jsonl,
//! queries.jsonl, `qrels/<split>.tsv`): BM25 (vecstore-sparse), dense (exact
//! inner product over precomputed embeddings) and hybrid (both, fused).
//!
//! Title and text are indexed together (`title + " " + text`). QPS is single
//! threaded over the judged queries and includes query tokenisation, both
//! searches and the fusion; embedding the query is not included (the
//! vectors are precomputed, as for the peers).

#[cfg(feature = "embed")]
mod ingested;
mod metrics;

use crate::data::{self, Matrix};
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use vecstore_core::{Fusion, kernels};
use vecstore_sparse::{Bm25Config, InvertedIndex, KeywordFilter, KeywordSegment, fusion};

/// Retrieval mode.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Mode {
    /// BM25 only.
    Bm25,
    /// Exact inner product over the embeddings only.
    Dense,
    /// Both lists, fused.
    Hybrid,
}

/// Arguments of `vecstore-bench beir`.
#[derive(clap::Args, Debug)]
pub struct BeirArgs {
    /// BEIR dataset directory.
    #[arg(long)]
    pub data: PathBuf,
    /// What to run.
    #[arg(long, value_enum, default_value = "bm25")]
    pub mode: Mode,
    /// Fusion for hybrid: `weighted:ALPHA`, `rrf`, `rrf:K` or `dbsf`.
    #[arg(long, default_value = "rrf")]
    pub fusion: String,
    /// Embeddings directory (corpus.npy, queries.npy, corpus_ids.txt,
    /// query_ids.txt); default DATA/embeddings.
    #[arg(long)]
    pub embeddings: Option<PathBuf>,
    /// Embed corpus and queries with our MiniLM embedder (vecstore-rag) from
    /// this model directory instead of reading precomputed embeddings.
    #[cfg(feature = "embed")]
    #[arg(long)]
    pub embed: Option<PathBuf>,
    /// Evaluate a database that `vecstore ingest` built from this corpus
    /// (engine search paths; queries embedded with `--embed MODEL_DIR`)
    /// instead of indexing the corpus here.
    #[cfg(feature = "embed")]
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Collection of `--db`.
    #[cfg(feature = "embed")]
    #[arg(long, default_value = "default")]
    pub collection: String,
    /// With `--db`: exact dense search instead of HNSW.
    #[cfg(feature = "embed")]
    #[arg(long)]
    pub exact: bool,
    /// qrels split.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// BM25 k1.
    #[arg(long, default_value_t = 1.2)]
    pub k1: f32,
    /// BM25 b.
    #[arg(long, default_value_t = 0.75)]
    pub b: f32,
    /// Hits per list before fusion; default max(100, 100).
    #[arg(long)]
    pub depth: Option<usize>,
    /// Times the query loop is repeated for the QPS figure.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Score BM25 exhaustively instead of with MaxScore (for comparison).
    #[arg(long)]
    pub exhaustive: bool,
    /// Print nDCG@10 of weighted fusion for alpha = 0, 0.1, ..., 1 too.
    #[arg(long)]
    pub sweep_alpha: bool,
    /// Write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Hits evaluated per query.
const K: usize = 100;

#[derive(Deserialize)]
struct Doc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

#[derive(Serialize)]
struct Report {
    mode: String,
    fusion: Option<String>,
    ndcg10: f64,
    recall100: f64,
    mrr10: f64,
    index_seconds: f64,
    qps: f64,
    queries: usize,
    k1: f32,
    b: f32,
    depth: usize,
    pruning: bool,
}

fn parse_fusion(s: &str) -> Result<Fusion> {
    let f = match s.split_once(':') {
        Some(("weighted", a)) => Fusion::Weighted(a.parse().context("alpha")?),
        Some(("rrf", k)) => Fusion::Rrf {
            k: k.parse().context("rrf k")?,
        },
        None if s == "rrf" => Fusion::Rrf { k: 60 },
        None if s == "dbsf" => Fusion::Dbsf,
        None if s == "weighted" => Fusion::Weighted(0.5),
        _ => bail!("unknown fusion {s:?}: use weighted:ALPHA, rrf, rrf:K or dbsf"),
    };
    vecstore_core::validate::fusion(&f)?;
    Ok(f)
}

fn fusion_name(f: &Fusion) -> String {
    match f {
        Fusion::Weighted(a) => format!("weighted:{a}"),
        Fusion::Rrf { k } => format!("rrf:{k}"),
        Fusion::Dbsf => "dbsf".into(),
    }
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{} line {}", path.display(), i + 1))
        })
        .collect()
}

fn read_qrels(path: &Path) -> Result<HashMap<String, metrics::Qrels>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out: HashMap<String, metrics::Qrels> = HashMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let [q, d, r] = f[..] else {
            bail!("bad qrels line {line:?}");
        };
        out.entry(q.to_string())
            .or_default()
            .insert(d.to_string(), r.trim().parse()?);
    }
    Ok(out)
}

fn read_ids(path: &Path) -> Result<Vec<String>> {
    Ok(std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?
        .lines()
        .map(str::to_string)
        .collect())
}

/// Precomputed embeddings aligned with the corpus rows and the queries.
struct Dense {
    /// Corpus vectors in corpus.jsonl row order.
    corpus: Matrix<f32>,
    queries: HashMap<String, usize>,
    query_vecs: Matrix<f32>,
}

impl Dense {
    fn load(dir: &Path, doc_rows: &HashMap<&str, u32>) -> Result<Self> {
        let corpus = data::read_f32(&dir.join("corpus.npy"))?;
        let ids = read_ids(&dir.join("corpus_ids.txt"))?;
        if ids.len() != corpus.rows {
            bail!(
                "corpus_ids.txt has {} ids for {} vectors",
                ids.len(),
                corpus.rows
            );
        }
        // Reorder to corpus.jsonl row order so that a row id means the same
        // document in both lists.
        let mut data = vec![0.0f32; doc_rows.len() * corpus.cols];
        for (i, id) in ids.iter().enumerate() {
            let row = *doc_rows
                .get(id.as_str())
                .with_context(|| format!("embedding id {id} is not in the corpus"))?
                as usize;
            data[row * corpus.cols..(row + 1) * corpus.cols].copy_from_slice(corpus.row(i));
        }
        let query_vecs = data::read_f32(&dir.join("queries.npy"))?;
        let qids = read_ids(&dir.join("query_ids.txt"))?;
        Ok(Dense {
            corpus: Matrix {
                rows: doc_rows.len(),
                cols: corpus.cols,
                data,
            },
            queries: qids.into_iter().enumerate().map(|(i, q)| (q, i)).collect(),
            query_vecs,
        })
    }

    /// Embeds `title + " " + text` of every document and every query with
    /// our embedder (unit-length vectors, like the precomputed ones).
    #[cfg(feature = "embed")]
    fn embed(model: &Path, docs: &[Doc], queries: &[QueryLine]) -> Result<Self> {
        let texts: Vec<String> = docs
            .iter()
            .map(|d| format!("{} {}", d.title, d.text))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let corpus = crate::embed::embed_texts(model, &refs, vecstore_rag::DEFAULT_BATCH_SIZE)?;
        let qrefs: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
        let query_vecs =
            crate::embed::embed_texts(model, &qrefs, vecstore_rag::DEFAULT_BATCH_SIZE)?;
        Ok(Dense {
            corpus,
            queries: queries
                .iter()
                .enumerate()
                .map(|(i, q)| (q.id.clone(), i))
                .collect(),
            query_vecs,
        })
    }

    /// Exact top-`k` by inner product (the vectors are L2-normalised, so
    /// this is cosine similarity).
    fn search(&self, q: &[f32], k: usize) -> Vec<(u32, f32)> {
        let mut scored: Vec<(u32, f32)> = (0..self.corpus.rows)
            .map(|r| (r as u32, kernels::dot(q, self.corpus.row(r))))
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        let cmp = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        scored.select_nth_unstable_by(k - 1, cmp);
        scored.truncate(k);
        scored.sort_unstable_by(cmp);
        scored
    }
}

/// Runs `beir`.
pub fn run(args: &BeirArgs) -> Result<()> {
    let docs: Vec<Doc> = read_jsonl(&args.data.join("corpus.jsonl"))?;
    let all_queries: Vec<QueryLine> = read_jsonl(&args.data.join("queries.jsonl"))?;
    let qrels = read_qrels(&args.data.join("qrels").join(format!("{}.tsv", args.split)))?;
    let queries: Vec<&QueryLine> = all_queries
        .iter()
        .filter(|q| qrels.contains_key(&q.id))
        .collect();
    if queries.is_empty() {
        bail!(
            "no query of queries.jsonl is judged in qrels/{}.tsv",
            args.split
        );
    }
    let fusion = parse_fusion(&args.fusion)?;
    let depth = args.depth.unwrap_or_else(|| fusion::default_depth(K));
    #[cfg(feature = "embed")]
    if let Some(db) = &args.db {
        return ingested::run(
            &ingested::DbRun {
                db,
                collection: &args.collection,
                model: args.embed.as_deref(),
                mode: args.mode,
                fusion,
                fusion_label: fusion_name(&fusion),
                depth,
                exact: args.exact,
            },
            &queries,
            &qrels,
        );
    }
    let doc_rows: HashMap<&str, u32> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i as u32))
        .collect();

    let use_bm25 = args.mode != Mode::Dense;
    let use_dense = args.mode != Mode::Bm25;
    let config = Bm25Config {
        k1: args.k1,
        b: args.b,
        ..Bm25Config::default()
    };
    let mut index = InvertedIndex::new(config)?;
    let mut index_seconds = 0.0;
    if use_bm25 {
        let start = Instant::now();
        let mut text = String::new();
        for (row, d) in docs.iter().enumerate() {
            text.clear();
            text.push_str(&d.title);
            text.push(' ');
            text.push_str(&d.text);
            index.add(row as u32, &text)?;
        }
        index_seconds = start.elapsed().as_secs_f64();
    }
    let dense = if use_dense {
        let dir = args
            .embeddings
            .clone()
            .unwrap_or_else(|| args.data.join("embeddings"));
        #[cfg(feature = "embed")]
        let d = match &args.embed {
            Some(model) => Dense::embed(model, &docs, &all_queries)?,
            None => Dense::load(&dir, &doc_rows)?,
        };
        #[cfg(not(feature = "embed"))]
        let d = Dense::load(&dir, &doc_rows)?;
        if let Some(q) = queries.iter().find(|q| !d.queries.contains_key(&q.id)) {
            bail!("query {} has no embedding", q.id);
        }
        Some(d)
    } else {
        None
    };

    let filter = KeywordFilter::none();
    let bm25 = |text: &str, k: usize| {
        if args.exhaustive {
            index.search_exhaustive(text, k, &filter)
        } else {
            index.search(text, k, &filter)
        }
    };
    let dense_hits = |id: &str, k: usize| {
        let d = dense.as_ref().expect("dense mode loads embeddings");
        d.search(d.query_vecs.row(d.queries[id]), k)
    };
    let run_query = |q: &QueryLine| -> Vec<(u32, f32)> {
        match args.mode {
            Mode::Bm25 => bm25(&q.text, K),
            Mode::Dense => dense_hits(&q.id, K),
            Mode::Hybrid => {
                let kw = bm25(&q.text, depth);
                let dn = dense_hits(&q.id, depth);
                fusion::fuse(&fusion, &dn, &kw, K)
            }
        }
    };

    // Quality.
    let evaluate = |results: &[Vec<(u32, f32)>]| -> (f64, f64, f64) {
        let (mut n, mut r, mut m) = (0.0, 0.0, 0.0);
        for (q, hits) in queries.iter().zip(results) {
            let ranked: Vec<&str> = hits
                .iter()
                .map(|(row, _)| docs[*row as usize].id.as_str())
                .collect();
            let judged = &qrels[&q.id];
            n += metrics::ndcg(&ranked, judged, 10);
            r += metrics::recall(&ranked, judged, 100);
            m += metrics::mrr(&ranked, judged, 10);
        }
        let c = queries.len() as f64;
        (n / c, r / c, m / c)
    };
    let results: Vec<Vec<(u32, f32)>> = queries.iter().map(|q| run_query(q)).collect();
    let (ndcg10, recall100, mrr10) = evaluate(&results);

    // Speed: single thread, whole loop repeated.
    let start = Instant::now();
    let mut sink = 0usize;
    for _ in 0..args.repeat.max(1) {
        for q in &queries {
            sink += run_query(q).len();
        }
    }
    let qps = (queries.len() * args.repeat.max(1)) as f64 / start.elapsed().as_secs_f64();
    std::hint::black_box(sink);

    let fusion_label = (args.mode == Mode::Hybrid).then(|| fusion_name(&fusion));
    println!(
        "{:<7} {:<13} nDCG@10 {:.4}  recall@100 {:.4}  MRR@10 {:.4}  index {:.3}s  QPS {:.0}  ({} queries{})",
        format!("{:?}", args.mode).to_lowercase(),
        fusion_label.as_deref().unwrap_or("-"),
        ndcg10,
        recall100,
        mrr10,
        index_seconds,
        qps,
        queries.len(),
        if args.exhaustive { ", exhaustive" } else { "" },
    );

    if args.sweep_alpha && use_bm25 && use_dense {
        println!("alpha  nDCG@10  recall@100");
        for i in 0..=10 {
            let f = Fusion::Weighted(i as f32 / 10.0);
            let res: Vec<_> = queries
                .iter()
                .map(|q| fusion::fuse(&f, &dense_hits(&q.id, depth), &bm25(&q.text, depth), K))
                .collect();
            let (n, r, _) = evaluate(&res);
            println!("{:.1}    {n:.4}   {r:.4}", i as f32 / 10.0);
        }
    }

    if let Some(path) = &args.json {
        let report = Report {
            mode: format!("{:?}", args.mode).to_lowercase(),
            fusion: fusion_label,
            ndcg10,
            recall100,
            mrr10,
            index_seconds,
            qps,
            queries: queries.len(),
            k1: args.k1,
            b: args.b,
            depth,
            pruning: !args.exhaustive,
        };
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
