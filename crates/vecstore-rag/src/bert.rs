//! [`BertEncoder`]: the BERT forward pass of a sentence embedder (embeddings,
//! N post-LayerNorm encoder layers, mean pooling, L2 normalisation) on the
//! CPU, for texts packed without padding.
//!
//! Why not candle-transformers' `BertModel`: it pads every batch to its
//! longest text, runs each element-wise op on one thread, allocates a fresh
//! tensor per op and copies the per-head tensors to contiguous layouts.
//!
//! Here the texts of a call are cut into groups of consecutive texts of at
//! most [`GROUP_TOKENS`] tokens, and rayon's threads take whole groups (data
//! parallelism): one thread runs a group through every layer with
//! single-threaded matrix products ([`crate::kernels::matmul`], the `gemm` crate's
//! kernel) into buffers it keeps between groups and calls (no allocation,
//! no page faults, no synchronisation inside a pass, activations of a group
//! stay in cache). The tokens of a group are stacked into one
//! `(tokens, hidden)` matrix, so the dense layers are single products;
//! attention runs per text and head on strided views of the fused QKV
//! product and writes into its columns of the context, so there is no
//! padding and no mask; biases are pre-filled into the outputs of the
//! products, GELU and residual + LayerNorm run in place
//! ([`crate::kernels::simd`], AVX2 where the CPU has it).

use crate::activations;
use crate::kernels::matmul::{View, ViewMut, matmul};
use crate::kernels::simd;
use candle_core::Tensor;
use rayon::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use vecstore_core::{Error, Result};

/// The fields of a BERT `config.json` this encoder uses.
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub hidden_act: String,
}

fn default_eps() -> f64 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

/// Tokens of one group (one thread's unit of work) at most, unless a single
/// text is longer. Large enough for efficient products, small enough that a
/// group's activations stay in cache and the threads' loads even out.
const GROUP_TOKENS: usize = 512;

fn embed_err(reason: impl Into<String>) -> Error {
    Error::Embedding {
        reason: reason.into(),
    }
}

fn tensor<'a>(tensors: &'a HashMap<String, Tensor>, name: &str) -> Result<&'a Tensor> {
    tensors
        .get(name)
        .or_else(|| tensors.get(&format!("bert.{name}")))
        .ok_or_else(|| embed_err(format!("model.safetensors has no tensor {name}")))
}

/// The values of tensor `name` in row-major order, which must number `len`.
fn vector(tensors: &HashMap<String, Tensor>, name: &str, len: usize) -> Result<Vec<f32>> {
    let v: Vec<f32> = tensor(tensors, name)?
        .flatten_all()
        .and_then(|t| t.to_dtype(candle_core::DType::F32))
        .and_then(|t| t.to_vec1())
        .map_err(|e| embed_err(format!("{name}: {e}")))?;
    if v.len() != len {
        return Err(embed_err(format!(
            "{name} has {} values, the config implies {len}",
            v.len()
        )));
    }
    Ok(v)
}

/// A torch `Linear` weight (`out x in`, row-major) as the `(in, out)`
/// row-major matrix `x (rows, in) @ w` needs, scaled by `scale`.
fn linear_weight(
    tensors: &HashMap<String, Tensor>,
    name: &str,
    inp: usize,
    out: usize,
    scale: f32,
) -> Result<Vec<f32>> {
    let w = vector(tensors, name, out * inp)?;
    let mut t = vec![0.0f32; inp * out];
    for (o, row) in w.chunks_exact(inp).enumerate() {
        for (i, v) in row.iter().enumerate() {
            t[i * out + o] = v * scale;
        }
    }
    Ok(t)
}

/// Writes the columns of `parts` (each `(rows, width_p)` row-major) side by
/// side into one `(rows, sum width_p)` row-major matrix.
fn concat_columns(parts: &[(&[f32], usize)], rows: usize) -> Vec<f32> {
    let width: usize = parts.iter().map(|p| p.1).sum();
    let mut out = Vec::with_capacity(rows * width);
    for r in 0..rows {
        for (data, w) in parts {
            out.extend_from_slice(&data[r * w..(r + 1) * w]);
        }
    }
    out
}

/// Weights of one encoder layer; matrices are `(in, out)` row-major.
struct Layer {
    /// `(hidden, 3 hidden)`: query (pre-scaled by `1/sqrt(head_dim)`), key, value.
    qkv_w: Vec<f32>,
    qkv_b: Vec<f32>,
    out_w: Vec<f32>,
    out_b: Vec<f32>,
    ln1_g: Vec<f32>,
    ln1_b: Vec<f32>,
    ff1_w: Vec<f32>,
    ff1_b: Vec<f32>,
    ff2_w: Vec<f32>,
    ff2_b: Vec<f32>,
    ln2_g: Vec<f32>,
    ln2_b: Vec<f32>,
}

/// A BERT encoder with mean pooling; see the module docs.
pub(crate) struct BertEncoder {
    cfg: BertConfig,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type0: Vec<f32>,
    ln_g: Vec<f32>,
    ln_b: Vec<f32>,
    layers: Vec<Layer>,
}

/// Activation buffers of one thread, grown on demand and kept for the
/// thread's next group.
#[derive(Default)]
struct Scratch {
    /// `(tokens, hidden)`: the hidden states.
    x: Vec<f32>,
    /// `(tokens, 3 hidden)`: fused Q, K, V.
    qkv: Vec<f32>,
    /// `(tokens, hidden)`: attention context, then sub-layer outputs.
    ctx: Vec<f32>,
    /// `(tokens, hidden)`: output of the attention projection and of the
    /// second feed-forward product.
    proj: Vec<f32>,
    /// `(tokens, intermediate)`: feed-forward activations.
    ff: Vec<f32>,
    /// `(n, n)`: attention scores of one text and head.
    scores: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The first `len` elements of `v`, growing it if needed.
fn buf(v: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if v.len() < len {
        v.resize(len, 0.0);
    }
    &mut v[..len]
}

/// `out = x w + bias` for the `rows` rows of `x` (`x` is `rows x k`, `w` is
/// `k x bias.len()`): the bias is written into `out` first and the product
/// accumulated onto it.
fn linear(x: &[f32], w: &[f32], bias: &[f32], out: &mut [f32], rows: usize, k: usize) {
    let n = bias.len();
    for row in out.chunks_exact_mut(n) {
        row.copy_from_slice(bias);
    }
    matmul(
        View::rows(x, rows, k),
        View::rows(w, k, n),
        ViewMut::rows(out, rows, n),
        true,
    );
}

impl BertEncoder {
    /// Builds the encoder from the tensors of a `model.safetensors`.
    pub(crate) fn load(cfg: BertConfig, tensors: &HashMap<String, Tensor>) -> Result<Self> {
        if cfg.hidden_act != "gelu" {
            return Err(embed_err(format!(
                "hidden_act {:?} is not supported (only \"gelu\")",
                cfg.hidden_act
            )));
        }
        let h = cfg.hidden_size;
        if cfg.num_attention_heads == 0 || !h.is_multiple_of(cfg.num_attention_heads) {
            return Err(embed_err(format!(
                "hidden_size {h} is not a multiple of num_attention_heads {}",
                cfg.num_attention_heads
            )));
        }
        let head_dim = h / cfg.num_attention_heads;
        let scale = (1.0 / (head_dim as f64).sqrt()) as f32;
        let inter = cfg.intermediate_size;
        let word = vector(
            tensors,
            "embeddings.word_embeddings.weight",
            cfg.vocab_size * h,
        )?;
        let position = vector(
            tensors,
            "embeddings.position_embeddings.weight",
            cfg.max_position_embeddings * h,
        )?;
        let token_types = vector(
            tensors,
            "embeddings.token_type_embeddings.weight",
            cfg.type_vocab_size * h,
        )?;
        if token_types.len() < h {
            return Err(embed_err("type_vocab_size is 0"));
        }
        let ln_g = vector(tensors, "embeddings.LayerNorm.weight", h)?;
        let ln_b = vector(tensors, "embeddings.LayerNorm.bias", h)?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let lw = |name: &str, inp, out, scale| {
                linear_weight(tensors, &format!("{p}.{name}.weight"), inp, out, scale)
            };
            let v = |name: &str, len| vector(tensors, &format!("{p}.{name}"), len);
            let q = lw("attention.self.query", h, h, scale)?;
            let k = lw("attention.self.key", h, h, 1.0)?;
            let vw = lw("attention.self.value", h, h, 1.0)?;
            let mut qkv_b = v("attention.self.query.bias", h)?;
            qkv_b.iter_mut().for_each(|b| *b *= scale);
            qkv_b.extend(v("attention.self.key.bias", h)?);
            qkv_b.extend(v("attention.self.value.bias", h)?);
            layers.push(Layer {
                qkv_w: concat_columns(&[(&q, h), (&k, h), (&vw, h)], h),
                qkv_b,
                out_w: lw("attention.output.dense", h, h, 1.0)?,
                out_b: v("attention.output.dense.bias", h)?,
                ln1_g: v("attention.output.LayerNorm.weight", h)?,
                ln1_b: v("attention.output.LayerNorm.bias", h)?,
                ff1_w: lw("intermediate.dense", h, inter, 1.0)?,
                ff1_b: v("intermediate.dense.bias", inter)?,
                ff2_w: lw("output.dense", inter, h, 1.0)?,
                ff2_b: v("output.dense.bias", h)?,
                ln2_g: v("output.LayerNorm.weight", h)?,
                ln2_b: v("output.LayerNorm.bias", h)?,
            });
        }
        Ok(BertEncoder {
            token_type0: token_types[..h].to_vec(),
            cfg,
            word,
            position,
            ln_g,
            ln_b,
            layers,
        })
    }

    /// Length of the output vectors.
    pub(crate) fn hidden_size(&self) -> usize {
        self.cfg.hidden_size
    }

    /// Longest sequence the position embeddings allow.
    pub(crate) fn max_positions(&self) -> usize {
        self.cfg.max_position_embeddings
    }

    /// Mean-pooled, L2-normalised vectors of `seqs` (token ids, each
    /// non-empty and at most [`max_positions`](Self::max_positions) long),
    /// in order; groups of texts run in parallel on rayon's threads.
    pub(crate) fn embed(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        for s in seqs {
            if s.is_empty() || s.len() > self.cfg.max_position_embeddings {
                return Err(embed_err(format!(
                    "sequence of {} tokens (1 to {} allowed)",
                    s.len(),
                    self.cfg.max_position_embeddings
                )));
            }
            if let Some(&bad) = s.iter().find(|&&id| id as usize >= self.cfg.vocab_size) {
                return Err(embed_err(format!(
                    "token id {bad} outside the vocabulary of {}",
                    self.cfg.vocab_size
                )));
            }
        }
        // Consecutive texts up to GROUP_TOKENS tokens per group.
        let mut groups: Vec<(usize, usize, usize)> = Vec::new(); // (first, end, tokens)
        for (i, s) in seqs.iter().enumerate() {
            match groups.last_mut() {
                Some(g) if g.2 + s.len() <= GROUP_TOKENS => {
                    g.1 = i + 1;
                    g.2 += s.len();
                }
                _ => groups.push((i, i + 1, s.len())),
            }
        }
        // Largest first, so the last tasks to be picked up are the short ones.
        groups.sort_by_key(|g| std::cmp::Reverse(g.2));
        let mut done: Vec<(usize, Vec<Vec<f32>>)> = groups
            .par_iter()
            .map(|&(first, end, _)| {
                let group = &seqs[first..end];
                let vecs = SCRATCH.with(|cell| match cell.try_borrow_mut() {
                    Ok(mut scratch) => self.forward(group, &mut scratch),
                    Err(_) => self.forward(group, &mut Scratch::default()),
                });
                (first, vecs)
            })
            .collect();
        done.sort_by_key(|d| d.0);
        Ok(done.into_iter().flat_map(|d| d.1).collect())
    }

    /// Runs one group of texts through the whole model on this thread.
    fn forward(&self, seqs: &[&[u32]], s: &mut Scratch) -> Vec<Vec<f32>> {
        let h = self.cfg.hidden_size;
        let total: usize = seqs.iter().map(|q| q.len()).sum();
        let eps = self.cfg.layer_norm_eps as f32;
        let x = buf(&mut s.x, total * h);
        let ids = seqs
            .iter()
            .flat_map(|q| q.iter().enumerate().map(|(p, &id)| (id as usize, p)));
        for (row, (id, pos)) in x.chunks_exact_mut(h).zip(ids) {
            let w = &self.word[id * h..][..h];
            let p = &self.position[pos * h..][..h];
            for (((o, a), b), c) in row.iter_mut().zip(w).zip(p).zip(&self.token_type0) {
                *o = a + b + c;
            }
            activations::layer_norm(row, &self.ln_g, &self.ln_b, eps);
        }
        for layer in &self.layers {
            self.layer_forward(layer, seqs, total, s);
        }
        let x = &s.x[..total * h];
        let mut start = 0;
        seqs.iter()
            .map(|q| {
                let mut v = vec![0.0f32; h];
                for row in x[start * h..(start + q.len()) * h].chunks_exact(h) {
                    v.iter_mut().zip(row).for_each(|(a, b)| *a += b);
                }
                start += q.len();
                let inv = 1.0 / q.len() as f32;
                v.iter_mut().for_each(|a| *a *= inv);
                let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-12);
                v.iter_mut().for_each(|a| *a /= norm);
                v
            })
            .collect()
    }

    /// One encoder layer over the `total` rows of `s.x`, in place.
    fn layer_forward(&self, l: &Layer, seqs: &[&[u32]], total: usize, s: &mut Scratch) {
        let h = self.cfg.hidden_size;
        let inter = self.cfg.intermediate_size;
        let eps = self.cfg.layer_norm_eps as f32;
        let Scratch {
            x,
            qkv,
            ctx,
            proj,
            ff,
            scores,
        } = s;
        let x = &mut x[..total * h];

        // Fused QKV projection.
        let qkv = buf(qkv, total * 3 * h);
        linear(x, &l.qkv_w, &l.qkv_b, qkv, total, h);

        // Attention per text, written into its rows of `ctx`.
        let ctx = buf(ctx, total * h);
        let mut start = 0;
        for q in seqs {
            self.attention(qkv, start, q.len(), ctx, scores);
            start += q.len();
        }

        // Output projection, residual, LayerNorm.
        let proj = buf(proj, total * h);
        linear(ctx, &l.out_w, &l.out_b, proj, total, h);
        simd::add_layer_norm_rows(x, proj, &l.ln1_g, &l.ln1_b, eps);

        // Feed-forward: GELU(x W1 + b1) W2 + b2, residual, LayerNorm.
        let ff = buf(ff, total * inter);
        linear(x, &l.ff1_w, &l.ff1_b, ff, total, h);
        simd::gelu(ff);
        linear(ff, &l.ff2_w, &l.ff2_b, proj, total, inter);
        simd::add_layer_norm_rows(x, proj, &l.ln2_g, &l.ln2_b, eps);
    }

    /// Self-attention of the `n` tokens from row `start` of the fused QKV
    /// matrix `(rows, 3 hidden)`; writes their `(n, hidden)` context (heads
    /// side by side) to the same rows of `ctx`.
    fn attention(
        &self,
        qkv: &[f32],
        start: usize,
        n: usize,
        ctx: &mut [f32],
        scores: &mut Vec<f32>,
    ) {
        let h = self.cfg.hidden_size;
        let d = h / self.cfg.num_attention_heads;
        let rows = &qkv[start * 3 * h..(start + n) * 3 * h];
        let out = &mut ctx[start * h..(start + n) * h];
        let scores = buf(scores, n * n);
        for hd in 0..self.cfg.num_attention_heads {
            let col = hd * d;
            // Q K^T (q pre-scaled): Q is (n, d) at column `col`, K^T is the
            // (d, n) transposed view of K's block.
            matmul(
                View {
                    data: &rows[col..],
                    rows: n,
                    cols: d,
                    rs: 3 * h,
                    cs: 1,
                },
                View {
                    data: &rows[h + col..],
                    rows: d,
                    cols: n,
                    rs: 1,
                    cs: 3 * h,
                },
                ViewMut::rows(scores, n, n),
                false,
            );
            simd::softmax_rows(scores, n);
            // P V into this head's columns of the context.
            matmul(
                View::rows(scores, n, n),
                View {
                    data: &rows[2 * h + col..],
                    rows: n,
                    cols: d,
                    rs: 3 * h,
                    cs: 1,
                },
                ViewMut {
                    data: &mut out[col..],
                    rows: n,
                    cols: d,
                    rs: h,
                },
                false,
            );
        }
    }
}
