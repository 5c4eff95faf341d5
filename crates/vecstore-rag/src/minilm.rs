//! [`MiniLmEmbedder`]: sentence-transformers' all-MiniLM-L6-v2 in pure Rust
//! (candle BERT on the CPU + the `tokenizers` crate).
//!
//! Output matches `SentenceTransformer("all-MiniLM-L6-v2").encode(texts,
//! normalize_embeddings=True)`: WordPiece with `[CLS] .. [SEP]`, truncation
//! at 256 tokens (the model's `max_seq_length`), BERT forward, mean pooling
//! over the attention mask, L2 normalisation.
//!
//! Throughput: texts are tokenized once, sorted by token count and cut into
//! batches of similar length, so that padding (wasted compute) stays small;
//! the matrix products run on candle's CPU thread pool (`RAYON_NUM_THREADS`
//! caps it).

use crate::chunk::TokenCounter;
use crate::embedder::Embedder;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::{Path, PathBuf};
use tokenizers::{Tokenizer, TruncationParams};
use vecstore_core::{Error, Result};

/// Environment variable naming the model directory for
/// [`MiniLmEmbedder::from_env`].
pub const MODEL_DIR_ENV: &str = "VECSTORE_MODEL_DIR";

/// Tokens per text, as sentence-transformers' `max_seq_length` for
/// all-MiniLM-L6-v2.
pub const DEFAULT_MAX_TOKENS: usize = 256;

/// Texts per forward pass. Measured on SciFact abstracts (2 threads):
/// larger batches of length-sorted texts do not run faster.
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// A local BERT sentence embedder (all-MiniLM-L6-v2 or another BERT model
/// with mean pooling) loaded from a directory holding `config.json`,
/// `tokenizer.json` and `model.safetensors`.
///
/// `Send + Sync`: share one instance (e.g. in an `Arc`) between threads.
pub struct MiniLmEmbedder {
    model: BertModel,
    /// Truncates at `max_tokens`, no padding: used for embedding.
    tokenizer: Tokenizer,
    /// No truncation: used for counting tokens of chunks.
    counter: Tokenizer,
    device: Device,
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

fn candle_err(e: candle_core::Error) -> Error {
    Error::Embedding {
        reason: e.to_string(),
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
        let config: Config =
            serde_json::from_str(&config_text).map_err(|e| model_err(dir, "bad config.json", e))?;
        let dimension = config.hidden_size;

        let mut counter = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| model_err(dir, "bad tokenizer.json", e))?;
        counter.with_padding(None);
        counter
            .with_truncation(None)
            .map_err(|e| model_err(dir, "tokenizer", e))?;
        let mut tokenizer = counter.clone();
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: DEFAULT_MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| model_err(dir, "tokenizer", e))?;

        let device = Device::Cpu;
        // `safetensors::load` reads the file into memory: no mmap, no unsafe.
        let tensors = candle_core::safetensors::load(&weights_path, &device)
            .map_err(|e| model_err(dir, "bad model.safetensors", e))?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let model =
            BertModel::load(vb, &config).map_err(|e| model_err(dir, "cannot load BERT", e))?;

        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bert".into());
        Ok(MiniLmEmbedder {
            model,
            tokenizer,
            counter,
            device,
            dimension,
            max_tokens: DEFAULT_MAX_TOKENS,
            batch_size: DEFAULT_BATCH_SIZE,
            model_id: format!("{name}/mean/{DEFAULT_MAX_TOKENS}"),
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

    /// Runs one padded batch through BERT and writes the pooled, normalised
    /// vectors to `out` (one slot per encoding).
    fn forward_batch(
        &self,
        encodings: &[&tokenizers::Encoding],
        ids: &mut Vec<u32>,
        mask: &mut Vec<u32>,
        out: &mut [Vec<f32>],
    ) -> Result<()> {
        let b = encodings.len();
        let len = encodings.iter().map(|e| e.len()).max().unwrap_or(0).max(1);
        ids.clear();
        mask.clear();
        for e in encodings {
            ids.extend_from_slice(e.get_ids());
            mask.extend(std::iter::repeat_n(1u32, e.len()));
            ids.extend(std::iter::repeat_n(0u32, len - e.len()));
            mask.extend(std::iter::repeat_n(0u32, len - e.len()));
        }
        let input_ids = Tensor::from_slice(ids, (b, len), &self.device).map_err(candle_err)?;
        let type_ids = input_ids.zeros_like().map_err(candle_err)?;
        let padded = encodings.iter().any(|e| e.len() < len);
        let mask_t = if padded {
            Some(Tensor::from_slice(mask, (b, len), &self.device).map_err(candle_err)?)
        } else {
            None
        };
        let hidden = self
            .model
            .forward(&input_ids, &type_ids, mask_t.as_ref())
            .map_err(candle_err)?;
        let flat: Vec<f32> = hidden
            .flatten_all()
            .and_then(|t| t.to_vec1())
            .map_err(candle_err)?;
        let d = self.dimension;
        for (row, (slot, e)) in out.iter_mut().zip(encodings).enumerate() {
            let n = e.len().max(1);
            let mut v = vec![0.0f32; d];
            for t in 0..e.len() {
                let base = (row * len + t) * d;
                for (acc, x) in v.iter_mut().zip(&flat[base..base + d]) {
                    *acc += x;
                }
            }
            let inv = 1.0 / n as f32;
            v.iter_mut().for_each(|x| *x *= inv);
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().for_each(|x| *x /= norm);
            *slot = v;
        }
        Ok(())
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
        // Longest first, as sentence-transformers does: batches of similar
        // length waste little compute on padding.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].len()));

        let mut sorted_out = vec![Vec::new(); texts.len()];
        let mut ids = Vec::new();
        let mut mask = Vec::new();
        for (batch_idx, out) in order
            .chunks(self.batch_size)
            .zip(sorted_out.chunks_mut(self.batch_size))
        {
            let batch: Vec<&tokenizers::Encoding> =
                batch_idx.iter().map(|&i| &encodings[i]).collect();
            self.forward_batch(&batch, &mut ids, &mut mask, out)?;
        }
        let mut result = vec![Vec::new(); texts.len()];
        for (v, &i) in sorted_out.into_iter().zip(&order) {
            result[i] = v;
        }
        Ok(result)
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
