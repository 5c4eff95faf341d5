//! Finding the embedding model: `--model DIR`, else `VECSTORE_MODEL_DIR`,
//! else `./models/all-MiniLM-L6-v2` (where `scripts/fetch-model.sh` puts it).
//! Without one, the CLI works in keyword-only mode.

use crate::CliResult;
use std::path::{Path, PathBuf};
use vecstore_rag::Embedder;

/// Default model directory, relative to the working directory.
pub const DEFAULT_MODEL_DIR: &str = "models/all-MiniLM-L6-v2";

/// The model directory to use, if any, and whether the user asked for it
/// explicitly (then failing to load it is an error, not a fallback).
pub fn locate(explicit: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(dir) = explicit {
        return Some((dir.to_path_buf(), true));
    }
    if let Some(dir) = std::env::var_os("VECSTORE_MODEL_DIR").filter(|d| !d.is_empty()) {
        return Some((PathBuf::from(dir), true));
    }
    let default = Path::new(DEFAULT_MODEL_DIR);
    default
        .join("config.json")
        .is_file()
        .then(|| (default.to_path_buf(), false))
}

/// Loads the embedder, or `None` (keyword-only) when no model is found or
/// this binary was built without the `embed` feature and none was asked for.
pub fn load(explicit: Option<&Path>) -> CliResult<Option<Box<dyn Embedder>>> {
    let Some((dir, asked)) = locate(explicit) else {
        return Ok(None);
    };
    load_dir(&dir, asked)
}

#[cfg(feature = "embed")]
fn load_dir(dir: &Path, _asked: bool) -> CliResult<Option<Box<dyn Embedder>>> {
    let t0 = std::time::Instant::now();
    let e = vecstore_rag::MiniLmEmbedder::from_dir(dir).map_err(|e| e.to_string())?;
    tracing::info!(
        "loaded model {} (dim {}) from {} in {:.2?}",
        e.model_id(),
        e.dimension(),
        dir.display(),
        t0.elapsed()
    );
    Ok(Some(Box::new(e)))
}

#[cfg(not(feature = "embed"))]
fn load_dir(dir: &Path, asked: bool) -> CliResult<Option<Box<dyn Embedder>>> {
    if asked {
        Err(format!(
            "model {} given, but this vecstore was built without embeddings; rebuild with `--features embed` (e.g. cargo run --release -p vecstore-cli --features embed -- ...)",
            dir.display()
        ))
    } else {
        tracing::info!(
            "found {} but this build has no `embed` feature; keyword-only",
            dir.display()
        );
        Ok(None)
    }
}
