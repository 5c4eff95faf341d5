//! `embed-bench`: our MiniLM embedder (vecstore-rag, candle) on BEIR SciFact
//! documents: agreement with the precomputed sentence-transformers vectors
//! and throughput, side by side with sentence-transformers (torch CPU) run
//! by `benches/peers/embed_peers.py` on the same texts and batch size.
//!
//! Also provides [`embed_texts`] for `beir --embed`.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `vecstore-bench embed-bench`.
#[derive(clap::Args, Debug)]
pub struct EmbedBenchArgs {
    /// BEIR SciFact directory (corpus.jsonl, embeddings/corpus.npy).
    #[arg(long)]
    pub data: PathBuf,
    /// Model directory (config.json, tokenizer.json, model.safetensors).
    #[arg(long, default_value = "models/all-MiniLM-L6-v2")]
    pub model: PathBuf,
    /// Documents to embed for the throughput run.
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
    /// Texts per forward pass (ours and the peer's).
    #[arg(long, default_value_t = vecstore_rag::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
    /// Rows compared with the precomputed sentence-transformers vectors.
    #[arg(long, default_value_t = 200)]
    pub check_rows: usize,
    /// Threads for both sides (sets torch's thread count; for candle set
    /// RAYON_NUM_THREADS to the same value, the default is physical cores).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Python with sentence-transformers; runs the peer when given.
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Documents per chunk of the throughput run; chunks alternate between
    /// us and the peer (at least one batch).
    #[arg(long, default_value_t = 128)]
    pub chunk: usize,
    /// Write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// A SciFact document as BEIR ships it.
#[derive(serde::Deserialize)]
struct Doc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
}

/// `(id, title + " " + text)` of every document in `corpus.jsonl`, the text
/// sentence-transformers embedded for `embeddings/corpus.npy`.
pub fn read_corpus_texts(corpus: &Path) -> Result<Vec<(String, String)>> {
    let raw =
        std::fs::read_to_string(corpus).with_context(|| format!("reading {}", corpus.display()))?;
    raw.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let d: Doc = serde_json::from_str(line)
                .with_context(|| format!("{} line {}", corpus.display(), i + 1))?;
            Ok((d.id, format!("{} {}", d.title, d.text)))
        })
        .collect()
}

/// Embeds `texts` with the MiniLM model in `model_dir`; one row per text.
pub fn embed_texts(
    model_dir: &Path,
    texts: &[&str],
    batch_size: usize,
) -> Result<crate::data::Matrix<f32>> {
    use vecstore_rag::Embedder;
    let embedder = vecstore_rag::MiniLmEmbedder::from_dir(model_dir)?.with_batch_size(batch_size);
    let dim = embedder.dimension();
    let mut data = Vec::with_capacity(texts.len() * dim);
    // Blocks of a few thousand keep the length sort effective and memory flat.
    for block in texts.chunks(4096) {
        for v in embedder.embed_batch(block)? {
            data.extend_from_slice(&v);
        }
    }
    Ok(crate::data::Matrix {
        rows: texts.len(),
        cols: dim,
        data,
    })
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb).max(1e-12)
}

/// sentence-transformers in `embed_peers.py --serve`: embeds the chunks it
/// is asked for and reports the seconds each took.
struct Peer {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    info: serde_json::Value,
}

impl Peer {
    fn start(python: &Path, args: &EmbedBenchArgs, n: usize) -> Result<Self> {
        use std::process::Stdio;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/embed_peers.py");
        let mut child = std::process::Command::new(python)
            .arg(&script)
            .arg("--data")
            .arg(&args.data)
            .arg("--model")
            .arg(&args.model)
            .args(["--limit", &n.to_string()])
            .args(["--batch-size", &args.batch_size.to_string()])
            .args(["--threads", &args.threads.to_string()])
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {}", script.display()))?;
        let stdin = child.stdin.take().context("peer stdin")?;
        let stdout = std::io::BufReader::new(child.stdout.take().context("peer stdout")?);
        let mut peer = Peer {
            child,
            stdin,
            stdout,
            info: serde_json::Value::Null,
        };
        peer.info = peer.read_reply()?;
        Ok(peer)
    }

    fn read_reply(&mut self) -> Result<serde_json::Value> {
        use std::io::BufRead;
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            bail!("embed_peers.py exited early (see its stderr above)");
        }
        serde_json::from_str(&line).with_context(|| format!("embed_peers.py said {line:?}"))
    }

    /// Seconds the peer took to embed `texts[start..end]`.
    fn embed(&mut self, start: usize, end: usize) -> Result<f64> {
        use std::io::Write;
        writeln!(self.stdin, "{start} {end}")?;
        self.stdin.flush()?;
        let reply = self.read_reply()?;
        reply["seconds"]
            .as_f64()
            .with_context(|| format!("embed_peers.py said {reply}"))
    }

    fn finish(self) -> Result<serde_json::Value> {
        let Peer {
            mut child,
            stdin,
            info,
            ..
        } = self;
        drop(stdin);
        let status = child.wait()?;
        if !status.success() {
            bail!("embed_peers.py failed: {status}");
        }
        Ok(info)
    }
}

/// Runs the check and the side-by-side throughput measurement.
pub fn run(args: &EmbedBenchArgs) -> Result<()> {
    use vecstore_rag::Embedder;
    let docs = read_corpus_texts(&args.data.join("corpus.jsonl"))?;
    if docs.is_empty() {
        bail!("{}: no documents", args.data.display());
    }
    let embedder =
        vecstore_rag::MiniLmEmbedder::from_dir(&args.model)?.with_batch_size(args.batch_size);
    println!(
        "model {} (dim {}), batch {}, RAYON_NUM_THREADS={}",
        embedder.model_id(),
        embedder.dimension(),
        args.batch_size,
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into())
    );

    // 1. Agreement with the precomputed sentence-transformers vectors.
    let emb_dir = args.data.join("embeddings");
    let reference = crate::data::read_f32(&emb_dir.join("corpus.npy"))?;
    let ids = std::fs::read_to_string(emb_dir.join("corpus_ids.txt"))
        .context("reading corpus_ids.txt")?;
    let ids: Vec<&str> = ids.lines().collect();
    let n_check = args.check_rows.min(docs.len()).min(reference.rows);
    for (i, (id, _)) in docs.iter().take(n_check).enumerate() {
        if ids.get(i) != Some(&id.as_str()) {
            bail!(
                "corpus.jsonl row {i} is {id}, corpus_ids.txt says {:?}",
                ids.get(i)
            );
        }
    }
    let check_texts: Vec<&str> = docs[..n_check].iter().map(|(_, t)| t.as_str()).collect();
    let ours = embedder.embed_batch(&check_texts)?;
    let cos: Vec<f64> = ours
        .iter()
        .enumerate()
        .map(|(i, v)| cosine(v, reference.row(i)))
        .collect();
    let min_cos = cos.iter().copied().fold(f64::INFINITY, f64::min);
    let mean_cos = cos.iter().sum::<f64>() / cos.len().max(1) as f64;
    println!(
        "cosine vs sentence-transformers on {n_check} docs: min {min_cos:.6}, mean {mean_cos:.6}"
    );

    // 2. Throughput on the first `limit` documents, in chunks that alternate
    //    between us and sentence-transformers (ABBA order) when the peer
    //    runs, so that load from elsewhere on the machine hits both sides.
    let n = args.limit.min(docs.len());
    let texts: Vec<&str> = docs[..n].iter().map(|(_, t)| t.as_str()).collect();
    let chunk = args.chunk.max(args.batch_size).max(1);
    let mut peer_proc = match &args.python {
        Some(python) => Some(Peer::start(python, args, n)?),
        None => None,
    };
    let _ = embedder.embed_batch(&texts[..args.batch_size.min(n)])?; // warm-up
    let (mut ours_secs, mut peer_secs) = (0.0f64, 0.0f64);
    let mut chunk_ratios = Vec::new();
    for (i, start) in (0..n).step_by(chunk).enumerate() {
        let end = (start + chunk).min(n);
        let ours = || -> Result<f64> {
            let t0 = Instant::now();
            let out = embedder.embed_batch(&texts[start..end])?;
            let secs = t0.elapsed().as_secs_f64();
            if out.len() != end - start {
                bail!(
                    "embedder returned {} vectors for {} texts",
                    out.len(),
                    end - start
                );
            }
            Ok(secs)
        };
        let (o, p) = match peer_proc.as_mut() {
            None => (ours()?, None),
            Some(peer) if i % 2 == 0 => {
                let o = ours()?;
                (o, Some(peer.embed(start, end)?))
            }
            Some(peer) => {
                let p = peer.embed(start, end)?;
                (ours()?, Some(p))
            }
        };
        ours_secs += o;
        if let Some(p) = p {
            peer_secs += p;
            chunk_ratios.push(p / o);
        }
    }
    let ours_dps = n as f64 / ours_secs;
    println!("ours: {n} docs in {ours_secs:.2}s = {ours_dps:.1} docs/s");
    let mut peer = serde_json::Value::Null;
    let mut ratio = None;
    if let Some(p) = peer_proc {
        let info = p.finish()?;
        let peer_dps = n as f64 / peer_secs;
        let r = ours_dps / peer_dps;
        ratio = Some(r);
        let lo = chunk_ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = chunk_ratios.iter().copied().fold(0.0f64, f64::max);
        println!(
            "sentence-transformers (torch {} threads): {n} docs in {peer_secs:.2}s = {peer_dps:.1} docs/s",
            args.threads
        );
        println!(
            "ratio ours/st = {r:.2}x ({} alternating chunks of {chunk} docs, per-chunk {lo:.2}x..{hi:.2}x)",
            chunk_ratios.len()
        );
        peer = serde_json::json!({
            "info": info,
            "seconds": peer_secs,
            "docs_per_s": peer_dps,
            "chunk_ratios": chunk_ratios,
        });
    }

    if let Some(path) = &args.json {
        let j = serde_json::json!({
            "model": embedder.model_id(),
            "batch_size": args.batch_size,
            "threads": args.threads,
            "check_rows": n_check,
            "cosine_min": min_cos,
            "cosine_mean": mean_cos,
            "docs": n,
            "ours_docs_per_s": ours_dps,
            "peer": peer,
            "chunk": chunk,
            "ratio": ratio,
        });
        std::fs::write(path, serde_json::to_vec_pretty(&j)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
