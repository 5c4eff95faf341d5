//! Built-in stop-word lists, sorted so they can be binary-searched.

use crate::tokenizer::Language;

/// Lucene's (and Elasticsearch's, and bm25s's "en") English stop words.
pub const ENGLISH: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// The sorted stop-word list of `language` (empty where none is built in).
pub fn for_language(language: Language) -> &'static [&'static str] {
    match language {
        Language::English => ENGLISH,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_are_sorted() {
        assert!(super::ENGLISH.windows(2).all(|w| w[0] < w[1]));
    }
}
