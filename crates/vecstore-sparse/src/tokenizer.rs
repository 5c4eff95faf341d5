//! Text analysis: Unicode word segmentation, lowercasing, stop words,
//! Snowball stemming and ASCII folding.
//!
//! The order of the steps matters and is fixed: words are split per UAX #29
//! (`unicode-segmentation`), lowercased, dropped if they are stop words,
//! stemmed with the language's Snowball stemmer, and finally folded to ASCII.
//! Folding comes after stemming so that stemmers which know their accented
//! letters (German, French, ...) see them; for English both orders give the
//! same terms.

use crate::folding::fold_to_ascii;
use crate::stopwords;
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_segmentation::UnicodeSegmentation;

/// Longest token kept, in bytes. Longer "words" (base64 blobs, URLs without
/// separators) are dropped, as Lucene's standard tokenizer does past 255.
pub const MAX_TOKEN_BYTES: usize = 255;

/// Language of the Snowball stemmer and of the stop-word list.
///
/// Stop-word lists are built in for English only; for the other languages
/// `stop_words = true` removes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[allow(missing_docs)] // the variant names are the languages
pub enum Language {
    Arabic,
    Danish,
    Dutch,
    #[default]
    English,
    Finnish,
    French,
    German,
    Greek,
    Hungarian,
    Italian,
    Norwegian,
    Portuguese,
    Romanian,
    Russian,
    Spanish,
    Swedish,
    Tamil,
    Turkish,
}

impl Language {
    /// The `rust-stemmers` algorithm for this language.
    pub fn algorithm(self) -> Algorithm {
        match self {
            Language::Arabic => Algorithm::Arabic,
            Language::Danish => Algorithm::Danish,
            Language::Dutch => Algorithm::Dutch,
            Language::English => Algorithm::English,
            Language::Finnish => Algorithm::Finnish,
            Language::French => Algorithm::French,
            Language::German => Algorithm::German,
            Language::Greek => Algorithm::Greek,
            Language::Hungarian => Algorithm::Hungarian,
            Language::Italian => Algorithm::Italian,
            Language::Norwegian => Algorithm::Norwegian,
            Language::Portuguese => Algorithm::Portuguese,
            Language::Romanian => Algorithm::Romanian,
            Language::Russian => Algorithm::Russian,
            Language::Spanish => Algorithm::Spanish,
            Language::Swedish => Algorithm::Swedish,
            Language::Tamil => Algorithm::Tamil,
            Language::Turkish => Algorithm::Turkish,
        }
    }
}

/// How text is turned into index terms. Every step can be switched off.
///
/// ```
/// use vecstore_sparse::{Tokenizer, TokenizerConfig};
/// let t = Tokenizer::new(&TokenizerConfig::default());
/// assert_eq!(t.tokenize("The Running Cafés"), vec!["run", "cafe"]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenizerConfig {
    /// Stemmer and stop-word language (English by default).
    pub language: Language,
    /// Apply the Snowball stemmer.
    pub stem: bool,
    /// Remove the language's stop words (Lucene's English list: "the", "of", ...).
    pub stop_words: bool,
    /// Lowercase every word (Unicode lowercase mapping).
    pub lowercase: bool,
    /// Fold accented Latin letters to ASCII ("café" -> "cafe").
    pub ascii_folding: bool,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            language: Language::English,
            stem: true,
            stop_words: true,
            lowercase: true,
            ascii_folding: true,
        }
    }
}

/// Turns text into terms according to a [`TokenizerConfig`].
///
/// Cheap to share: it holds a stemmer and a reference to a static stop list.
pub struct Tokenizer {
    config: TokenizerConfig,
    stemmer: Option<Stemmer>,
    stop_words: &'static [&'static str],
    /// Length in bytes of the longest stop word: longer words skip the lookup.
    max_stop_len: usize,
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer")
            .field("config", &self.config)
            .finish()
    }
}

impl Clone for Tokenizer {
    fn clone(&self) -> Self {
        Tokenizer::new(&self.config)
    }
}

impl Tokenizer {
    /// A tokenizer for `config`.
    pub fn new(config: &TokenizerConfig) -> Self {
        let stemmer = config
            .stem
            .then(|| Stemmer::create(config.language.algorithm()));
        let stop_words = if config.stop_words {
            stopwords::for_language(config.language)
        } else {
            &[]
        };
        Tokenizer {
            config: config.clone(),
            stemmer,
            stop_words,
            max_stop_len: stop_words.iter().map(|w| w.len()).max().unwrap_or(0),
        }
    }

    /// The configuration this tokenizer applies.
    pub fn config(&self) -> &TokenizerConfig {
        &self.config
    }

    /// The terms of `text`, in order, with repeats. Never fails: text with
    /// no words (empty, punctuation, emoji) gives an empty list.
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_term(text, |t| out.push(t.to_owned()));
        out
    }

    /// Calls `f` with each term of `text`; avoids allocating a `String` per
    /// term when the caller only counts or looks terms up.
    pub fn for_each_term(&self, text: &str, mut f: impl FnMut(&str)) {
        let mut lower = String::new();
        let mut folded = String::new();
        for word in text.unicode_words() {
            if word.len() > MAX_TOKEN_BYTES {
                continue;
            }
            let word: &str = if self.config.lowercase {
                lower.clear();
                if word.is_ascii() {
                    lower.push_str(word);
                    lower.make_ascii_lowercase();
                } else {
                    lower.extend(word.chars().flat_map(char::to_lowercase));
                }
                &lower
            } else {
                word
            };
            if self.is_stop_word(word) {
                continue;
            }
            let stemmed = match &self.stemmer {
                Some(s) => s.stem(word),
                None => std::borrow::Cow::Borrowed(word),
            };
            let term: &str = if self.config.ascii_folding && !stemmed.is_ascii() {
                folded.clear();
                fold_to_ascii(&stemmed, &mut folded);
                &folded
            } else {
                &stemmed
            };
            if !term.is_empty() {
                f(term);
            }
        }
    }

    fn is_stop_word(&self, word: &str) -> bool {
        // The lists are short and sorted (33 words for English): a binary
        // search needs no hashing and no allocation.
        word.len() <= self.max_stop_len && self.stop_words.binary_search(&word).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(stem: bool, stop: bool, lower: bool, fold: bool) -> TokenizerConfig {
        TokenizerConfig {
            language: Language::English,
            stem,
            stop_words: stop,
            lowercase: lower,
            ascii_folding: fold,
        }
    }

    #[test]
    fn default_pipeline() {
        let t = Tokenizer::new(&TokenizerConfig::default());
        assert_eq!(
            t.tokenize("The cats are running, into the Gardens!"),
            vec!["cat", "run", "garden"]
        );
    }

    #[test]
    fn each_step_switches_off() {
        let t = Tokenizer::new(&cfg(false, false, false, false));
        assert_eq!(t.tokenize("The Cafés"), vec!["The", "Cafés"]);
        let t = Tokenizer::new(&cfg(false, false, true, false));
        assert_eq!(t.tokenize("The Cafés"), vec!["the", "cafés"]);
        let t = Tokenizer::new(&cfg(false, true, true, true));
        assert_eq!(t.tokenize("The Cafés"), vec!["cafes"]);
        let t = Tokenizer::new(&cfg(true, true, true, true));
        assert_eq!(t.tokenize("The Cafés"), vec!["cafe"]);
    }

    #[test]
    fn other_language_stems() {
        let config = TokenizerConfig {
            language: Language::German,
            ..TokenizerConfig::default()
        };
        let t = Tokenizer::new(&config);
        // German stemmer sees the umlaut, folding happens afterwards.
        assert_eq!(t.tokenize("Häuser"), vec!["haus"]);
    }

    #[test]
    fn unicode_never_panics() {
        let t = Tokenizer::new(&TokenizerConfig::default());
        for text in [
            "",
            "   ",
            "!!! ??? ...",
            "東京は日本の首都です",
            "Ærøskøbing straße İstanbul ΣΊΣΥΦΟΣ",
            "emoji 🦀🚀👩‍👩‍👧 rust",
            "\u{0}\u{feff}\u{200b}zero\u{301}width",
            &"x".repeat(1000),
        ] {
            let terms = t.tokenize(text);
            assert!(terms.iter().all(|s| !s.is_empty()));
        }
        assert!(!t.tokenize("東京").is_empty());
        assert_eq!(t.tokenize("🦀🚀"), Vec::<String>::new());
        assert_eq!(t.tokenize(&"x".repeat(1000)), Vec::<String>::new());
    }

    #[test]
    fn config_serde_round_trip() {
        let c = TokenizerConfig {
            language: Language::French,
            stem: false,
            ..TokenizerConfig::default()
        };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<TokenizerConfig>(&json).unwrap(), c);
    }
}
