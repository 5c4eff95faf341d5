//! `vecstore ingest`: files to chunks to records.

use crate::{CliResult, DbArgs, model};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Instant;
use vecstore_core::{Metadata, Value};
use vecstore_rag::{
    Chunker, Document, DocumentExt, Embedder, MarkdownChunker, RecursiveSplitter, WholeDocument,
};

/// Arguments of `vecstore ingest`.
#[derive(clap::Args, Debug)]
pub struct IngestArgs {
    /// Files or directories (.txt, .md, .jsonl with `text`, optional `title`
    /// and `_id` fields per line).
    #[arg(required = true, value_name = "PATHS")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
    /// Embedding model directory (config.json, tokenizer.json,
    /// model.safetensors). Default: $VECSTORE_MODEL_DIR, else
    /// ./models/all-MiniLM-L6-v2 if present, else keyword-only.
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
    /// Index text for keyword search only, even when a model is available.
    #[arg(long, conflicts_with = "model")]
    keyword_only: bool,
    /// Maximum chunk size in characters; 0 keeps each document whole.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    chunk_size: usize,
    /// Characters shared by neighbouring chunks.
    #[arg(long, default_value_t = 100, value_name = "N")]
    overlap: usize,
}

/// How a file is read and chunked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Text,
    Markdown,
    JsonLines,
}

fn kind_of(path: &Path) -> Option<Kind> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("txt" | "text" | "rst") => Some(Kind::Text),
        Some("md" | "markdown") => Some(Kind::Markdown),
        Some("jsonl" | "ndjson") => Some(Kind::JsonLines),
        _ => None,
    }
}

/// Files to ingest, in a stable order: given files as they are, directories
/// recursed (hidden entries skipped), only known extensions.
fn collect_files(paths: &[PathBuf]) -> CliResult<Vec<(PathBuf, Kind)>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push((p.clone(), kind_of(p).unwrap_or(Kind::Text)));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, Kind)>) -> CliResult {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if let Some(kind) = kind_of(&p) {
            out.push((p, kind));
        } else {
            tracing::debug!("skipping {} (unknown extension)", p.display());
        }
    }
    Ok(())
}

/// Reads one file into documents.
fn read_documents(path: &Path, kind: Kind) -> CliResult<Vec<Document>> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&raw);
    let source = path.display().to_string();
    match kind {
        Kind::Text | Kind::Markdown => {
            let mut meta = Metadata::new();
            meta.insert("source", source.as_str());
            Ok(vec![
                Document::new(source.clone(), text.into_owned()).with_metadata(meta),
            ])
        }
        Kind::JsonLines => {
            let mut docs = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let where_ = || format!("{source} line {}", i + 1);
                let v: serde_json::Value = serde_json::from_str(line)
                    .map_err(|e| format!("{}: invalid JSON: {e}", where_()))?;
                let obj = v
                    .as_object()
                    .ok_or_else(|| format!("{}: expected a JSON object", where_()))?;
                let body = obj
                    .get("text")
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| format!("{}: missing string field \"text\"", where_()))?;
                let id = match obj.get("_id").or_else(|| obj.get("id")) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Number(n)) => n.to_string(),
                    _ => format!("{source}:{}", i + 1),
                };
                let title = obj.get("title").and_then(|t| t.as_str()).unwrap_or("");
                let mut meta = Metadata::new();
                meta.insert("source", source.as_str());
                for (k, v) in obj {
                    if matches!(k.as_str(), "_id" | "id" | "text" | "source") {
                        continue;
                    }
                    if let Some(v) = scalar(v) {
                        meta.insert(k.as_str(), v);
                    }
                }
                // As BEIR and sentence-transformers do: "title text".
                let full = if title.is_empty() {
                    body.to_owned()
                } else {
                    format!("{title} {body}")
                };
                docs.push(Document::new(id, full).with_metadata(meta));
            }
            Ok(docs)
        }
    }
}

fn scalar(v: &serde_json::Value) -> Option<Value> {
    match v {
        serde_json::Value::Bool(b) => Some(Value::Bool(*b)),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .or_else(|| n.as_f64().map(Value::Float)),
        serde_json::Value::String(s) => Some(Value::String(s.clone())),
        _ => None,
    }
}

/// Characters of text embedded per batch: about 256 chunks of 1000 chars.
const BATCH_CHARS: usize = 256_000;

pub fn run(args: IngestArgs) -> CliResult {
    let t0 = Instant::now();
    let files = collect_files(&args.paths)?;
    if files.is_empty() {
        return Err("no .txt, .md or .jsonl files found in the given paths".into());
    }
    let text_chunker: Box<dyn Chunker> = if args.chunk_size == 0 {
        Box::new(WholeDocument)
    } else {
        Box::new(RecursiveSplitter::new(args.chunk_size, args.overlap).map_err(|e| e.to_string())?)
    };
    let md_chunker: Box<dyn Chunker> = if args.chunk_size == 0 {
        Box::new(WholeDocument)
    } else {
        Box::new(MarkdownChunker::new(args.chunk_size, args.overlap).map_err(|e| e.to_string())?)
    };

    let embedder = if args.keyword_only {
        None
    } else {
        model::load(args.model.as_deref())?
    };
    if embedder.is_none() && !args.keyword_only {
        eprintln!(
            "note: no embedding model (--model, VECSTORE_MODEL_DIR or ./{}); indexing for keyword search only",
            model::DEFAULT_MODEL_DIR
        );
    }

    let db = crate::admin::open_db(&args.db.db, true)?;
    let coll = db
        .get_or_create_collection(&args.db.collection)
        .map_err(|e| e.to_string())?;
    if let (Some(e), Some(d)) = (&embedder, coll.config().dimension)
        && e.dimension() != d
    {
        return Err(format!(
            "collection {:?} holds {d}-d vectors but model {} makes {}-d vectors",
            args.db.collection,
            e.model_id(),
            e.dimension()
        ));
    }

    let mut docs: Vec<(Document, Kind)> = Vec::new();
    for (path, kind) in &files {
        for d in read_documents(path, *kind)? {
            docs.push((d, *kind));
        }
    }
    let total_docs = docs.len();
    let bar = ProgressBar::new(total_docs as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} docs  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut chunks = 0usize;
    let embedder_ref: Option<&dyn Embedder> = embedder.as_deref();
    let mut batch: Vec<(Document, Kind)> = Vec::new();
    let mut batch_chars = 0;
    let mut iter = docs.into_iter().peekable();
    while let Some((doc, kind)) = iter.next() {
        batch_chars += doc.text.len();
        batch.push((doc, kind));
        if batch_chars < BATCH_CHARS && iter.peek().is_some() {
            continue;
        }
        let (md, other): (Vec<_>, Vec<_>) =
            batch.drain(..).partition(|(_, k)| *k == Kind::Markdown);
        let n_docs = md.len() + other.len();
        for (group, chunker) in [(md, &md_chunker), (other, &text_chunker)] {
            if group.is_empty() {
                continue;
            }
            let group: Vec<Document> = group.into_iter().map(|(d, _)| d).collect();
            chunks += coll
                .upsert_documents(&group, chunker.as_ref(), embedder_ref)
                .map_err(|e| e.to_string())?;
        }
        batch_chars = 0;
        bar.inc(n_docs as u64);
        let rate = chunks as f64 / started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{chunks} chunks, {rate:.0} chunks/s"));
    }
    bar.finish_and_clear();
    db.flush().map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "ingested {total_docs} documents from {} files as {chunks} chunks into {}:{} ({}) in {:.1}s, {:.0} chunks/s",
        files.len(),
        args.db.db.display(),
        args.db.collection,
        match &embedder {
            Some(e) => format!("dense+keyword, {}", e.model_id()),
            None => "keyword only".into(),
        },
        t0.elapsed().as_secs_f64(),
        chunks as f64 / secs.max(1e-9),
    );
    Ok(())
}
