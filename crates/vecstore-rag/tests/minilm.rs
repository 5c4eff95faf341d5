//! The local MiniLM embedder against sentence-transformers' own output.
//!
//! Needs the model (`scripts/fetch-model.sh`, or `VECSTORE_MODEL_DIR`); when
//! it is absent each test prints a note and returns. The reference vectors
//! in `tests/data/minilm_reference.json` were made by
//! `tests/data/make_minilm_reference.py` (sentence-transformers,
//! `normalize_embeddings=True`).
#![cfg(feature = "embed")]

use std::path::PathBuf;
use vecstore_rag::{Embedder, MiniLmEmbedder, TokenCounter};

fn model_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("VECSTORE_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/all-MiniLM-L6-v2")
        });
    if dir.join("model.safetensors").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: no model in {} (run scripts/fetch-model.sh)",
            dir.display()
        );
        None
    }
}

fn load() -> Option<MiniLmEmbedder> {
    model_dir().map(|d| MiniLmEmbedder::from_dir(d).expect("model loads"))
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[derive(serde::Deserialize)]
struct Reference {
    texts: Vec<String>,
    vectors: Vec<Vec<f32>>,
}

#[test]
fn matches_sentence_transformers() {
    let Some(e) = load() else { return };
    let raw = include_str!("data/minilm_reference.json");
    let reference: Reference = serde_json::from_str(raw).unwrap();
    let texts: Vec<&str> = reference.texts.iter().map(String::as_str).collect();
    let ours = e.embed_batch(&texts).unwrap();
    for ((text, a), b) in texts.iter().zip(&ours).zip(&reference.vectors) {
        let c = cosine(a, b);
        assert!(c >= 0.9999, "cosine {c} for {text:?}");
    }
}

#[test]
fn batch_equals_single_and_is_normalised() {
    let Some(e) = load() else { return };
    assert_eq!(e.dimension(), 384);
    let texts = [
        "A short one.",
        "A somewhat longer sentence so that the batch needs padding for the short one.",
        "",
        "Ünïcödé and emoji 🦀 work too.",
    ];
    let batch = e.embed_batch(&texts).unwrap();
    assert_eq!(batch.len(), texts.len());
    for (t, v) in texts.iter().zip(&batch) {
        assert_eq!(v.len(), 384);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        let single = e.embed(t).unwrap();
        let c = cosine(v, &single);
        assert!(c > 0.99999, "padding changed {t:?}: cosine {c}");
    }
    assert!(e.embed_batch(&[]).unwrap().is_empty());
}

#[test]
fn similar_texts_are_closer() {
    let Some(e) = load() else { return };
    let v = e
        .embed_batch(&[
            "How do I bake bread at home?",
            "A simple recipe for homemade bread.",
            "The stock market fell sharply today.",
        ])
        .unwrap();
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.3);
}

#[test]
fn long_texts_are_truncated_at_256_tokens() {
    let Some(e) = load() else { return };
    let base = "word ".repeat(254); // 254 tokens + [CLS] + [SEP] = 256
    let longer = format!("{base}{}", "other ".repeat(500));
    assert_eq!(e.count_tokens(&longer), 754);
    let a = e.embed(&base).unwrap();
    let b = e.embed(&longer).unwrap();
    assert!(
        cosine(&a, &b) > 0.99999,
        "text beyond 256 tokens changed the vector"
    );
}

#[test]
fn counts_wordpiece_tokens() {
    let Some(e) = load() else { return };
    assert_eq!(e.count_tokens(""), 0);
    assert_eq!(e.count_tokens("hello world"), 2);
    assert!(e.count_tokens("unbelievably tokenization") > 2);
}

#[test]
fn missing_model_dir_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = MiniLmEmbedder::from_dir(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("config.json"), "{err}");
}
