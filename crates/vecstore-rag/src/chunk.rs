//! The [`Chunker`] trait, the [`Chunk`] it returns and the [`TokenCounter`]
//! that token-based chunkers measure with.

use vecstore_core::Metadata;

/// One piece of a source text, ready to embed and index.
///
/// `start..end` are byte offsets into the text that was chunked, and
/// `&source[chunk.start..chunk.end] == chunk.text` always holds: the chunkers
/// in this crate never rewrite text (they only drop surrounding whitespace by
/// moving the offsets).
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// The chunk's text, a verbatim slice of the source.
    pub text: String,
    /// Byte offset of the first byte in the source.
    pub start: usize,
    /// Byte offset one past the last byte in the source.
    pub end: usize,
    /// Structure the chunker found, e.g. the Markdown heading path
    /// (`headings`: list of titles, `section`: titles joined by `" > "`).
    pub metadata: Metadata,
}

impl Chunk {
    /// A chunk of `source[start..end]` with no metadata.
    ///
    /// Returns `None` when the range is out of bounds or not on character
    /// boundaries.
    pub fn from_source(source: &str, start: usize, end: usize) -> Option<Chunk> {
        let text = source.get(start..end)?;
        Some(Chunk {
            text: text.to_owned(),
            start,
            end,
            metadata: Metadata::new(),
        })
    }
}

/// Splits a text into chunks. Implementations must not panic on any input
/// and must return chunks in source order with exact byte offsets.
pub trait Chunker: Send + Sync {
    /// Chunks `text`. Empty or whitespace-only text gives no chunks.
    fn chunk(&self, text: &str) -> Vec<Chunk>;
}

impl<C: Chunker + ?Sized> Chunker for &C {
    fn chunk(&self, text: &str) -> Vec<Chunk> {
        (**self).chunk(text)
    }
}

impl<C: Chunker + ?Sized> Chunker for Box<C> {
    fn chunk(&self, text: &str) -> Vec<Chunk> {
        (**self).chunk(text)
    }
}

impl<C: Chunker + ?Sized> Chunker for std::sync::Arc<C> {
    fn chunk(&self, text: &str) -> Vec<Chunk> {
        (**self).chunk(text)
    }
}

/// Counts tokens the way a model would, for [`crate::TokenSplitter`].
///
/// The model-backed counter (`MiniLmEmbedder`, feature `embed`) counts
/// WordPiece tokens; [`WordCount`] is a model-free approximation.
pub trait TokenCounter: Send + Sync {
    /// Number of tokens in `text`, without special tokens such as `[CLS]`.
    fn count_tokens(&self, text: &str) -> usize;
}

impl<T: TokenCounter + ?Sized> TokenCounter for &T {
    fn count_tokens(&self, text: &str) -> usize {
        (**self).count_tokens(text)
    }
}

impl<T: TokenCounter + ?Sized> TokenCounter for std::sync::Arc<T> {
    fn count_tokens(&self, text: &str) -> usize {
        (**self).count_tokens(text)
    }
}

/// Counts Unicode words (UAX #29 word boundaries, punctuation excluded).
/// English prose has roughly 1.3 WordPiece tokens per word.
#[derive(Debug, Clone, Copy, Default)]
pub struct WordCount;

impl TokenCounter for WordCount {
    fn count_tokens(&self, text: &str) -> usize {
        use unicode_segmentation::UnicodeSegmentation;
        text.unicode_words().count()
    }
}
