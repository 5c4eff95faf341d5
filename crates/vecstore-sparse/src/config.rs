//! BM25 parameters.

use crate::tokenizer::TokenizerConfig;
use serde::{Deserialize, Serialize};
use vecstore_core::{Error, Result};

/// BM25 parameters and the text analysis used for documents and queries.
///
/// Scores follow Lucene's BM25 (since Lucene 8, and bm25s's `lucene` method):
/// `idf(t) * tf / (tf + k1 * (1 - b + b * len / avg_len))` summed over the
/// query terms, with `idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))`.
/// A term repeated in the query counts once per occurrence.
///
/// ```
/// use vecstore_sparse::Bm25Config;
/// let c = Bm25Config { k1: 0.9, b: 0.4, ..Bm25Config::default() };
/// assert!(c.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bm25Config {
    /// Term-frequency saturation; 1.2 by default. Finite and `>= 0`.
    pub k1: f32,
    /// Length normalisation; 0.75 by default. In `[0, 1]`.
    pub b: f32,
    /// How documents and queries are tokenized.
    pub tokenizer: TokenizerConfig,
}

impl Default for Bm25Config {
    fn default() -> Self {
        Bm25Config {
            k1: 1.2,
            b: 0.75,
            tokenizer: TokenizerConfig::default(),
        }
    }
}

impl Bm25Config {
    /// Checks `k1` and `b`.
    pub fn validate(&self) -> Result<()> {
        if !(self.k1.is_finite() && self.k1 >= 0.0) {
            return Err(Error::InvalidArgument {
                name: "k1",
                value: self.k1.to_string(),
                reason: "must be finite and at least 0",
            });
        }
        if !(0.0..=1.0).contains(&self.b) {
            return Err(Error::InvalidArgument {
                name: "b",
                value: self.b.to_string(),
                reason: "must be between 0 and 1",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates() {
        assert!(Bm25Config::default().validate().is_ok());
        for (k1, b) in [(f32::NAN, 0.5), (-1.0, 0.5), (1.2, 1.5), (1.2, f32::NAN)] {
            let c = Bm25Config {
                k1,
                b,
                ..Bm25Config::default()
            };
            assert!(c.validate().is_err(), "{k1} {b}");
        }
    }

    #[test]
    fn serde_defaults_missing_fields() {
        let c: Bm25Config = serde_json::from_str(r#"{"k1": 0.9}"#).unwrap();
        assert_eq!(c.k1, 0.9);
        assert_eq!(c.b, 0.75);
    }
}
