//! Seeded corpus generators and a naive BM25 oracle shared by the tests.
#![allow(dead_code)]

use proptest::prelude::*;
use std::collections::HashMap;
use vecstore_sparse::{Bm25Config, InvertedIndex, TokenizerConfig};

/// Plain words only: no stemming or stop words, so a document's terms are
/// exactly its words and the oracle needs no tokenizer of its own.
pub fn plain_config(k1: f32, b: f32) -> Bm25Config {
    Bm25Config {
        k1,
        b,
        tokenizer: TokenizerConfig {
            stem: false,
            stop_words: false,
            ..TokenizerConfig::default()
        },
    }
}

/// Word `i` of the test vocabulary.
pub fn word(i: usize) -> String {
    format!("w{i}")
}

/// A document of 0..max_len words drawn with a skew (low ids are common).
pub fn doc_strategy(vocab: usize, max_len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        (0.0f64..1.0).prop_map(move |u| (u * u * vocab as f64) as usize),
        0..max_len,
    )
    .prop_map(|ids| ids.into_iter().map(word).collect::<Vec<_>>().join(" "))
}

/// A query of 1..6 words (repeats allowed, some possibly unknown).
pub fn query_strategy(vocab: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(0..vocab + 3, 1..6)
        .prop_map(|ids| ids.into_iter().map(word).collect::<Vec<_>>().join(" "))
}

pub fn build(config: Bm25Config, docs: &[String]) -> InvertedIndex {
    let mut idx = InvertedIndex::new(config).unwrap();
    for (row, d) in docs.iter().enumerate() {
        idx.add(row as u32, d).unwrap();
    }
    idx
}

/// Textbook Lucene BM25 in f64 over whitespace-split documents:
/// row -> score for every document containing a query term.
pub fn naive_scores(docs: &[String], query: &str, k1: f64, b: f64) -> HashMap<u32, f64> {
    let docs: Vec<Vec<&str>> = docs
        .iter()
        .map(|d| d.split_whitespace().collect())
        .collect();
    let n = docs.len() as f64;
    let avg = if docs.is_empty() {
        1.0
    } else {
        let total: usize = docs.iter().map(Vec::len).sum();
        if total == 0 { 1.0 } else { total as f64 / n }
    };
    let mut out = HashMap::new();
    for q in query.split_whitespace() {
        let df = docs.iter().filter(|d| d.contains(&q)).count() as f64;
        if df == 0.0 {
            continue;
        }
        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        for (row, d) in docs.iter().enumerate() {
            let tf = d.iter().filter(|w| **w == q).count() as f64;
            if tf > 0.0 {
                let s = idf * tf / (tf + k1 * (1.0 - b + b * d.len() as f64 / avg));
                *out.entry(row as u32).or_insert(0.0) += s;
            }
        }
    }
    out
}
