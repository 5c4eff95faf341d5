//! `vecstore query`: dense, keyword or hybrid search over ingested chunks.

use crate::{CliResult, DbArgs, Mode, model};
use std::path::PathBuf;
use vecstore_core::{Filter, Fusion, Neighbor};
use vecstore_rag::DocumentExt;

/// Fusion strategies of `--fusion`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FusionArg {
    /// Reciprocal rank fusion (k = 60).
    Rrf,
    /// `alpha * dense + (1 - alpha) * keyword` on min-max normalised scores.
    Weighted,
    /// Distribution-based score fusion.
    Dbsf,
}

/// Arguments of `vecstore query`.
#[derive(clap::Args, Debug)]
pub struct QueryArgs {
    /// The question or keywords.
    text: String,
    #[command(flatten)]
    db: DbArgs,
    /// Number of chunks to return.
    #[arg(short, default_value_t = 5, value_name = "N")]
    k: usize,
    /// Metadata filter, e.g. "source = 'docs/rag.md' AND chunk < 3".
    #[arg(long, value_name = "EXPR")]
    filter: Option<String>,
    /// Search mode; default hybrid when a model is available, else keyword.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// How hybrid mode fuses the dense and keyword lists.
    #[arg(long, value_enum, default_value = "rrf")]
    fusion: FusionArg,
    /// Dense weight for `--fusion weighted`, in [0, 1].
    #[arg(long, default_value_t = 0.5)]
    alpha: f32,
    /// Embedding model directory (see `ingest --model`).
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: QueryArgs) -> CliResult {
    let filter = args
        .filter
        .as_deref()
        .map(Filter::parse)
        .transpose()
        .map_err(|e| format!("--filter: {e}"))?;
    let db = crate::admin::open_db(&args.db.db, false)?;
    let coll = crate::admin::collection(&db, &args.db.collection)?;
    let has_vectors = coll.config().dimension.is_some();

    let embedder = match args.mode {
        Some(Mode::Keyword) => None,
        Some(_) => {
            let e = model::load(args.model.as_deref())?;
            if e.is_none() {
                return Err(format!(
                    "--mode {} needs an embedding model: pass --model DIR, set VECSTORE_MODEL_DIR or run scripts/fetch-model.sh",
                    if args.mode == Some(Mode::Dense) {
                        "dense"
                    } else {
                        "hybrid"
                    }
                ));
            }
            e
        }
        None if has_vectors => model::load(args.model.as_deref())?,
        None => None,
    };
    let mode = args.mode.unwrap_or(if embedder.is_some() {
        Mode::Hybrid
    } else {
        Mode::Keyword
    });
    if args.mode.is_none() && mode == Mode::Keyword {
        tracing::info!("no model or no vectors in the collection: keyword search");
    }
    let hits: Vec<Neighbor> = match (mode, embedder.as_deref()) {
        (Mode::Keyword, _) => coll.keyword_query(&args.text, args.k, filter),
        (Mode::Dense, Some(e)) => coll.query_text(&args.text, args.k, filter, e),
        (Mode::Hybrid, Some(e)) => {
            let fusion = match args.fusion {
                FusionArg::Rrf => Fusion::Rrf { k: 60 },
                FusionArg::Weighted => Fusion::Weighted(args.alpha),
                FusionArg::Dbsf => Fusion::Dbsf,
            };
            coll.hybrid_query_text_with(&args.text, args.k, filter, args.alpha, fusion, e)
        }
        (_, None) => return Err("internal: no embedder for a dense query".into()),
    }
    .map_err(|e| e.to_string())?;

    let mut rows = Vec::with_capacity(hits.len());
    for (rank, hit) in hits.into_iter().enumerate() {
        let text = coll
            .get(&hit.id)
            .map_err(|e| e.to_string())?
            .and_then(|r| r.text)
            .unwrap_or_default();
        rows.push((rank + 1, hit, text));
    }
    if args.json {
        let results: Vec<serde_json::Value> = rows
            .iter()
            .map(|(rank, hit, text)| {
                serde_json::json!({
                    "rank": rank,
                    "id": hit.id,
                    "score": hit.score,
                    "source": hit.metadata.get("source"),
                    "text": text,
                    "metadata": hit.metadata,
                })
            })
            .collect();
        let out = serde_json::json!({
            "query": args.text,
            "mode": format!("{mode:?}").to_lowercase(),
            "results": results,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    println!(
        "{} results for {:?} ({} search)",
        rows.len(),
        args.text,
        format!("{mode:?}").to_lowercase()
    );
    for (rank, hit, text) in &rows {
        let source = hit
            .metadata
            .get("source")
            .and_then(|v| v.as_str())
            .unwrap_or(hit.id.as_str());
        let section = hit
            .metadata
            .get("section")
            .and_then(|v| v.as_str())
            .map(|s| format!("  [{s}]"))
            .unwrap_or_default();
        println!(
            "{rank:>3}. {:.4}  {}  ({source}){section}",
            hit.score, hit.id
        );
        println!("     {}", snippet(text, 240));
    }
    Ok(())
}

/// The text on one line, cut at `max` characters.
fn snippet(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}...")
    }
}
