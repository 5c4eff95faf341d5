//! [`MiniLmEmbedder`]: sentence-transformers' all-MiniLM-L6-v2 in pure Rust
//! (candle BERT on the CPU + the `tokenizers` crate).
//!
//! Output matches `SentenceTransformer("all-MiniLM-L6-v2").encode(texts,
//! normalize_embeddings=True)`: WordPiece with `[CLS] .. [SEP]`, truncation
//! at 256 tokens (the model's `max_seq_length`), BERT forward, mean pooling
//! over the attention mask, L2 normalisation.
//!
//! Throughput: up to `batch_size` texts per pass go through [`BertEncoder`]
//! without padding; it cuts a pass into groups of consecutive texts that
//! rayon's global thread pool (`RAYON_NUM_THREADS` caps it) runs in
//! parallel, each group on one thread with the `gemm` crate's kernel for the
//! matrix products and our own element-wise kernels.

use crate::bert::{BertConfig, BertEncoder};
use crate::chunk::TokenCounter;
use crate::embedder::Embedder;
use candle_core::Device;
use std::path::{Path, PathBuf};
use tokenizers::{Tokenizer, TruncationParams};
use vecstore_core::{Error, Result};

/// Environment variable naming the model directory for
/// [`MiniLmEmbedder::from_env`].
pub const MODEL_DIR_ENV: &str = "VECSTORE_MODEL_DIR";

/// Tokens per text, as sentence-transformers' `max_seq_length` for
/// all-MiniLM-L6-v2.
pub const DEFAULT_MAX_TOKENS: usize = 256;

/// Texts per forward pass. A pass is split into groups of texts that run
/// in parallel, so with small batches the threads wait for each other at
/// the end of each pass; larger batches only hold more token ids and output
/// vectors at once.
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// Tokens per forward pass at most, whatever the batch size: bounds the
/// memory of a pass's token ids and output vectors (activations are bounded
/// per group inside the encoder).
const MAX_PASS_TOKENS: usize = 16_384;

/// A local BERT sentence embedder (all-MiniLM-L6-v2 or another BERT model
/// with mean pooling) loaded from a directory holding `config.json`,
/// `tokenizer.json` and `model.safetensors`.
///
/// `Send + Sync`: share one instance (e.g. in an `Arc`) between threads.
pub struct MiniLmEmbedder {
    model: BertEncoder,
    /// Truncates at `max_tokens`, no padding: used for embedding.
    tokenizer: Tokenizer,
    /// No truncation: used for counting tokens of chunks.
    counter: Tokenizer,
    dimension: usize,
    max_tokens: usize,
    batch_size: usize,
    model_id: String,
}

impl std::fmt::Debug for MiniLmEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLmEmbedder")
            .field("model_id", &self.model_id)
            .field("dimension", &self.dimension)
            .field("max_tokens", &self.max_tokens)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

fn model_err(dir: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Embedding {
        reason: format!("{what} in model directory {}: {e}", dir.display()),
    }
}

impl MiniLmEmbedder {
    /// Loads the model from `dir` (`config.json`, `tokenizer.json`,
    /// `model.safetensors`), e.g. the folder `scripts/fetch-model.sh` fills.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let read = |name: &str| -> Result<PathBuf> {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(model_err(dir, "missing file", name))
            }
        };
        let config_path = read("config.json")?;
        let tokenizer_path = read("tokenizer.json")?;
        let weights_path = read("model.safetensors")?;

        let config_text =
            std::fs::read_to_string(&config_path).map_err(|e| Error::io(&config_path, e))?;
        let config: BertConfig =
            serde_json::from_str(&config_text).map_err(|e| model_err(dir, "bad config.json", e))?;
        let dimension = config.hidden_size;
        let max_tokens = DEFAULT_MAX_TOKENS.min(config.max_position_embeddings);

        let mut counter = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| model_err(dir, "bad tokenizer.json", e))?;
        counter.with_padding(None);
        counter
            .with_truncation(None)
            .map_err(|e| model_err(dir, "tokenizer", e))?;
        let mut tokenizer = counter.clone();
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| model_err(dir, "tokenizer", e))?;

        // `safetensors::load` reads the file into memory: no mmap, no unsafe.
        let tensors = candle_core::safetensors::load(&weights_path, &Device::Cpu)
            .map_err(|e| model_err(dir, "bad model.safetensors", e))?;
        let model = BertEncoder::load(config, &tensors)
            .map_err(|e| model_err(dir, "cannot load BERT", e))?;
        debug_assert_eq!(model.hidden_size(), dimension);
        debug_assert!(max_tokens <= model.max_positions());

        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bert".into());
        Ok(MiniLmEmbedder {
            model,
            tokenizer,
            counter,
            dimension,
            max_tokens,
            batch_size: DEFAULT_BATCH_SIZE,
            model_id: format!("{name}/mean/{max_tokens}"),
        })
    }

    /// Loads the model from the directory named by `VECSTORE_MODEL_DIR`.
    pub fn from_env() -> Result<Self> {
        match std::env::var_os(MODEL_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Self::from_dir(PathBuf::from(dir)),
            _ => Err(Error::Embedding {
                reason: format!("{MODEL_DIR_ENV} is not set"),
            }),
        }
    }

    /// Sets the number of texts per forward pass (at least 1).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The number of texts per forward pass.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Tokens kept per text; longer texts are truncated, as
    /// sentence-transformers does.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }
}

impl Embedder for MiniLmEmbedder {
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch_fast(texts.to_vec(), true)
            .map_err(|e| Error::Embedding {
                reason: format!("tokenizer: {e}"),
            })?;
        let mut out = Vec::with_capacity(texts.len());
        let mut pass: Vec<&[u32]> = Vec::with_capacity(self.batch_size);
        let mut pass_tokens = 0;
        for e in &encodings {
            let ids = e.get_ids();
            if !pass.is_empty()
                && (pass.len() == self.batch_size || pass_tokens + ids.len() > MAX_PASS_TOKENS)
            {
                out.extend(self.model.embed(&pass)?);
                pass.clear();
                pass_tokens = 0;
            }
            pass.push(ids);
            pass_tokens += ids.len();
        }
        if !pass.is_empty() {
            out.extend(self.model.embed(&pass)?);
        }
        Ok(out)
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn model_id(&self) -> &str {
        &self.model_id
    }
}

impl TokenCounter for MiniLmEmbedder {
    fn count_tokens(&self, text: &str) -> usize {
        self.counter
            .encode_fast(text, false)
            .map(|e| e.len())
            .unwrap_or_else(|_| text.split_whitespace().count())
    }
}
