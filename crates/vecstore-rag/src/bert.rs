//! [`BertEncoder`]: the BERT forward pass of a sentence embedder (embeddings,
//! N post-LayerNorm encoder layers, mean pooling, L2 normalisation) on the
//! CPU, for texts packed without padding.
//!
//! Why not candle-transformers' `BertModel`: it pads every batch to its
//! longest text, runs each element-wise op (bias, mask, softmax in five
//! passes, erf-GELU through a scalar libm `erf`) on one thread, and copies
//! the per-head tensors to contiguous layouts. Here the tokens of all texts
//! of a pass are stacked into one `(tokens, hidden)` matrix, so the dense
//! layers are single large matrix products (candle's `gemm`, which uses
//! rayon's threads); attention runs per text on strided views of the fused
//! QKV product, so no padding and no mask exist; the element-wise work is
//! fused per row ([`crate::activations`]) and spread over rayon's threads.

use crate::activations;
use candle_core::{Device, Storage, Tensor};
use rayon::prelude::*;
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

/// Rows of element-wise work per rayon task.
const ROWS_PER_TASK: usize = 32;

fn embed_err(reason: impl Into<String>) -> Error {
    Error::Embedding {
        reason: reason.into(),
    }
}

pub(crate) fn candle_err(e: candle_core::Error) -> Error {
    embed_err(e.to_string())
}

/// Runs `f` on the `f32` elements of a CPU tensor (from its start offset).
fn with_slice<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(cpu) => {
            let all = cpu.as_slice::<f32>().map_err(candle_err)?;
            let n = layout.shape().elem_count();
            let start = layout.start_offset();
            if !layout.is_contiguous() || start + n > all.len() {
                return Err(embed_err("internal: non-contiguous tensor"));
            }
            Ok(f(&all[start..start + n]))
        }
        _ => Err(embed_err("internal: tensor is not on the CPU")),
    }
}

/// A weight matrix stored as `(in, out)` for `x (rows, in) @ w`.
fn linear_weight(tensors: &HashMap<String, Tensor>, name: &str) -> Result<Tensor> {
    let w = tensor(tensors, name)?;
    w.t()
        .and_then(|t| t.contiguous())
        .map_err(|e| embed_err(format!("{name}: {e}")))
}

fn tensor<'a>(tensors: &'a HashMap<String, Tensor>, name: &str) -> Result<&'a Tensor> {
    tensors
        .get(name)
        .or_else(|| tensors.get(&format!("bert.{name}")))
        .ok_or_else(|| embed_err(format!("model.safetensors has no tensor {name}")))
}

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

struct Layer {
    /// `(hidden, 3 hidden)`: query (pre-scaled by `1/sqrt(head_dim)`), key, value.
    qkv_w: Tensor,
    qkv_b: Vec<f32>,
    out_w: Tensor,
    out_b: Vec<f32>,
    ln1_g: Vec<f32>,
    ln1_b: Vec<f32>,
    ff1_w: Tensor,
    ff1_b: Vec<f32>,
    ff2_w: Tensor,
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
        let scale = 1.0 / (head_dim as f64).sqrt();
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
        let ln_g = vector(tensors, "embeddings.LayerNorm.weight", h)?;
        let ln_b = vector(tensors, "embeddings.LayerNorm.bias", h)?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let load = || -> candle_core::Result<Tensor> {
                let q = (tensor(tensors, &format!("{p}.attention.self.query.weight"))
                    .map_err(|e| candle_core::Error::Msg(e.to_string()))?
                    * scale)?;
                let k = tensor(tensors, &format!("{p}.attention.self.key.weight"))
                    .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
                let v = tensor(tensors, &format!("{p}.attention.self.value.weight"))
                    .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
                Tensor::cat(&[&q, k, v], 0)?.t()?.contiguous()
            };
            let qkv_w = load().map_err(|e| embed_err(format!("{p} attention: {e}")))?;
            let mut qkv_b = vector(tensors, &format!("{p}.attention.self.query.bias"), h)?;
            qkv_b.iter_mut().for_each(|b| *b *= scale as f32);
            qkv_b.extend(vector(tensors, &format!("{p}.attention.self.key.bias"), h)?);
            qkv_b.extend(vector(
                tensors,
                &format!("{p}.attention.self.value.bias"),
                h,
            )?);
            let inter = cfg.intermediate_size;
            layers.push(Layer {
                qkv_w,
                qkv_b,
                out_w: linear_weight(tensors, &format!("{p}.attention.output.dense.weight"))?,
                out_b: vector(tensors, &format!("{p}.attention.output.dense.bias"), h)?,
                ln1_g: vector(
                    tensors,
                    &format!("{p}.attention.output.LayerNorm.weight"),
                    h,
                )?,
                ln1_b: vector(tensors, &format!("{p}.attention.output.LayerNorm.bias"), h)?,
                ff1_w: linear_weight(tensors, &format!("{p}.intermediate.dense.weight"))?,
                ff1_b: vector(tensors, &format!("{p}.intermediate.dense.bias"), inter)?,
                ff2_w: linear_weight(tensors, &format!("{p}.output.dense.weight"))?,
                ff2_b: vector(tensors, &format!("{p}.output.dense.bias"), h)?,
                ln2_g: vector(tensors, &format!("{p}.output.LayerNorm.weight"), h)?,
                ln2_b: vector(tensors, &format!("{p}.output.LayerNorm.bias"), h)?,
            });
            let want = [(h, 3 * h), (h, h), (h, inter), (inter, h)];
            let l = layers.last().expect("pushed above");
            for (w, dims) in [&l.qkv_w, &l.out_w, &l.ff1_w, &l.ff2_w].iter().zip(want) {
                if w.dims() != [dims.0, dims.1] {
                    return Err(embed_err(format!(
                        "{p}: weight of shape {:?}, the config implies {dims:?}",
                        w.dims()
                    )));
                }
            }
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
    /// computed in one pass.
    pub(crate) fn embed(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let h = self.cfg.hidden_size;
        let mut starts = Vec::with_capacity(seqs.len());
        let mut total = 0usize;
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
            starts.push(total);
            total += s.len();
        }
        if total == 0 {
            return Ok(Vec::new());
        }
        // (token id, position) of every row.
        let rows: Vec<(u32, usize)> = seqs
            .iter()
            .flat_map(|s| s.iter().enumerate().map(|(p, &id)| (id, p)))
            .collect();
        let mut x = vec![0.0f32; total * h];
        let eps = self.cfg.layer_norm_eps as f32;
        x.par_chunks_mut(h * ROWS_PER_TASK)
            .zip(rows.par_chunks(ROWS_PER_TASK))
            .for_each(|(xs, rs)| {
                for (row, &(id, pos)) in xs.chunks_exact_mut(h).zip(rs) {
                    let w = &self.word[id as usize * h..][..h];
                    let p = &self.position[pos * h..][..h];
                    for (((o, a), b), c) in row.iter_mut().zip(w).zip(p).zip(&self.token_type0) {
                        *o = a + b + c;
                    }
                    activations::layer_norm(row, &self.ln_g, &self.ln_b, eps);
                }
            });
        let mut x = Tensor::from_vec(x, (total, h), &Device::Cpu).map_err(candle_err)?;
        for layer in &self.layers {
            x = self.layer_forward(layer, &x, seqs, &starts)?;
        }
        with_slice(&x, |xs| {
            seqs.par_iter()
                .zip(starts.par_iter())
                .map(|(s, &start)| {
                    let mut v = vec![0.0f32; h];
                    for row in xs[start * h..(start + s.len()) * h].chunks_exact(h) {
                        v.iter_mut().zip(row).for_each(|(a, b)| *a += b);
                    }
                    let inv = 1.0 / s.len() as f32;
                    v.iter_mut().for_each(|a| *a *= inv);
                    let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-12);
                    v.iter_mut().for_each(|a| *a /= norm);
                    v
                })
                .collect()
        })
    }

    fn layer_forward(
        &self,
        l: &Layer,
        x: &Tensor,
        seqs: &[&[u32]],
        starts: &[usize],
    ) -> Result<Tensor> {
        let h = self.cfg.hidden_size;
        let total = starts
            .last()
            .map_or(0, |s| s + seqs.last().map_or(0, |q| q.len()));
        let cpu = Device::Cpu;
        // Fused QKV projection, then bias.
        let qkv = x.matmul(&l.qkv_w).map_err(candle_err)?;
        let mut qkv_b = vec![0.0f32; total * 3 * h];
        with_slice(&qkv, |s| {
            qkv_b
                .par_chunks_mut(3 * h * ROWS_PER_TASK)
                .zip(s.par_chunks(3 * h * ROWS_PER_TASK))
                .for_each(|(o, s)| activations::add_bias(s, &l.qkv_b, o));
        })?;
        drop(qkv);
        let qkv = Tensor::from_vec(qkv_b, (total, 3 * h), &cpu).map_err(candle_err)?;

        // Attention per text, written into its rows of `ctx`.
        let mut ctx = vec![0.0f32; total * h];
        let mut parts = Vec::with_capacity(seqs.len());
        let mut rest: &mut [f32] = &mut ctx;
        for s in seqs {
            let (head, tail) = rest.split_at_mut(s.len() * h);
            parts.push(head);
            rest = tail;
        }
        parts
            .into_par_iter()
            .zip(starts.par_iter().zip(seqs.par_iter()))
            .try_for_each(|(out, (&start, s))| self.attention(&qkv, start, s.len(), out))?;
        drop(qkv);

        // Output projection + residual + LayerNorm.
        let ctx = Tensor::from_vec(ctx, (total, h), &cpu).map_err(candle_err)?;
        let attn = ctx.matmul(&l.out_w).map_err(candle_err)?;
        drop(ctx);
        let x1 = self.residual_norm(&attn, &l.out_b, x, &l.ln1_g, &l.ln1_b)?;
        drop(attn);
        let x1 = Tensor::from_vec(x1, (total, h), &cpu).map_err(candle_err)?;

        // Feed-forward: GELU(x W1 + b1) W2 + b2, residual, LayerNorm.
        let inter = self.cfg.intermediate_size;
        let f1 = x1.matmul(&l.ff1_w).map_err(candle_err)?;
        let mut g = vec![0.0f32; total * inter];
        with_slice(&f1, |s| {
            g.par_chunks_mut(inter * ROWS_PER_TASK)
                .zip(s.par_chunks(inter * ROWS_PER_TASK))
                .for_each(|(o, s)| activations::bias_gelu(s, &l.ff1_b, o));
        })?;
        drop(f1);
        let g = Tensor::from_vec(g, (total, inter), &cpu).map_err(candle_err)?;
        let f2 = g.matmul(&l.ff2_w).map_err(candle_err)?;
        drop(g);
        let out = self.residual_norm(&f2, &l.ff2_b, &x1, &l.ln2_g, &l.ln2_b)?;
        Tensor::from_vec(out, (total, h), &cpu).map_err(candle_err)
    }

    /// `LayerNorm(a + bias + residual)` row by row.
    fn residual_norm(
        &self,
        a: &Tensor,
        bias: &[f32],
        residual: &Tensor,
        gamma: &[f32],
        beta: &[f32],
    ) -> Result<Vec<f32>> {
        let h = self.cfg.hidden_size;
        let eps = self.cfg.layer_norm_eps as f32;
        let mut out = vec![0.0f32; a.elem_count()];
        with_slice(a, |a| {
            with_slice(residual, |r| {
                out.par_chunks_mut(h * ROWS_PER_TASK)
                    .zip(a.par_chunks(h * ROWS_PER_TASK))
                    .zip(r.par_chunks(h * ROWS_PER_TASK))
                    .for_each(|((o, a), r)| {
                        for ((o, a), r) in o
                            .chunks_exact_mut(h)
                            .zip(a.chunks_exact(h))
                            .zip(r.chunks_exact(h))
                        {
                            activations::residual_layer_norm(a, bias, r, gamma, beta, eps, o);
                        }
                    })
            })
        })??;
        Ok(out)
    }

    /// Self-attention of the `n` tokens from row `start` of the fused QKV
    /// matrix; writes the `(n, hidden)` context (heads concatenated) to `out`.
    fn attention(&self, qkv: &Tensor, start: usize, n: usize, out: &mut [f32]) -> Result<()> {
        let heads = self.cfg.num_attention_heads;
        let h = self.cfg.hidden_size;
        let d = h / heads;
        let run = || -> candle_core::Result<Tensor> {
            // (n, 3, heads, d) view of this text's rows; no copies below
            // except the products' results.
            let t = qkv.narrow(0, start, n)?.reshape((n, 3, heads, d))?;
            let q = t.narrow(1, 0, 1)?.squeeze(1)?.transpose(0, 1)?; // (heads, n, d)
            let k = t.narrow(1, 1, 1)?.squeeze(1)?.transpose(0, 1)?;
            let v = t.narrow(1, 2, 1)?.squeeze(1)?.transpose(0, 1)?;
            let scores = q.matmul(&k.t()?)?; // (heads, n, n), q pre-scaled
            let mut probs = scores.flatten_all()?.to_vec1::<f32>()?;
            probs.chunks_exact_mut(n).for_each(activations::softmax);
            let probs = Tensor::from_vec(probs, (heads, n, n), &Device::Cpu)?;
            probs.matmul(&v) // (heads, n, d)
        };
        let ctx = run().map_err(candle_err)?;
        with_slice(&ctx, |c| {
            for (hd, block) in c.chunks_exact(n * d).enumerate() {
                for (t, row) in block.chunks_exact(d).enumerate() {
                    out[t * h + hd * d..][..d].copy_from_slice(row);
                }
            }
        })
    }
}
