//! Size-bounded splitters over the `text-splitter` crate: by characters
//! ([`RecursiveSplitter`]) and by tokens ([`TokenSplitter`]).
//!
//! Both split at the highest semantic level whose pieces fit the chunk size:
//! runs of blank lines (paragraphs), then single line breaks, then Unicode
//! sentences, then words, then graphemes, and merge neighbouring pieces up to
//! the size. Overlap repeats the end of a chunk at the start of the next one.

use crate::chunk::{Chunk, Chunker, TokenCounter};
use text_splitter::{ChunkConfig, ChunkSizer, TextSplitter};
use vecstore_core::{Error, Result};

/// Checks `chunk_size` and `overlap` and builds the `text-splitter` config.
pub(crate) fn chunk_config<S: ChunkSizer>(
    chunk_size: usize,
    overlap: usize,
    sizer: S,
) -> Result<ChunkConfig<S>> {
    if chunk_size == 0 {
        return Err(Error::InvalidArgument {
            name: "chunk_size",
            value: chunk_size.to_string(),
            reason: "must be at least 1",
        });
    }
    ChunkConfig::new(chunk_size)
        .with_sizer(sizer)
        .with_overlap(overlap)
        .map_err(|_| Error::InvalidArgument {
            name: "overlap",
            value: overlap.to_string(),
            reason: "must be smaller than chunk_size",
        })
}

/// Turns `text-splitter`'s `(byte offset, slice)` pairs into [`Chunk`]s.
pub(crate) fn to_chunks<'a>(pieces: impl Iterator<Item = (usize, &'a str)>) -> Vec<Chunk> {
    pieces
        .filter_map(|(offset, s)| {
            // `text-splitter` trims ASCII-style whitespace; trim every Unicode
            // whitespace too, by moving the offsets, never the text.
            let lead = s.len() - s.trim_start().len();
            let t = s.trim();
            if t.is_empty() {
                return None;
            }
            let start = offset + lead;
            Some(Chunk {
                text: t.to_owned(),
                start,
                end: start + t.len(),
                metadata: Default::default(),
            })
        })
        .collect()
}

/// Counts Unicode scalar values (`char`s), as `text-splitter` does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CharCount;

impl ChunkSizer for CharCount {
    fn size(&self, chunk: &str) -> usize {
        chunk.chars().count()
    }
}

/// Recursive character splitter: chunks of at most `chunk_size` characters
/// (Unicode scalar values), split at paragraph, line, sentence and word
/// boundaries in that order of preference, with `overlap` characters shared
/// between neighbours.
///
/// ```
/// use vecstore_rag::{Chunker, RecursiveSplitter};
/// let splitter = RecursiveSplitter::new(20, 0).unwrap();
/// let text = "First paragraph.\n\nSecond one here.";
/// let chunks = splitter.chunk(text);
/// assert_eq!(chunks.len(), 2);
/// assert_eq!(chunks[1].text, "Second one here.");
/// assert_eq!(&text[chunks[1].start..chunks[1].end], chunks[1].text);
/// ```
#[derive(Debug)]
pub struct RecursiveSplitter {
    chunk_size: usize,
    overlap: usize,
    inner: TextSplitter<CharCount>,
}

impl RecursiveSplitter {
    /// A splitter for chunks of up to `chunk_size` characters with `overlap`
    /// characters of overlap. Errors if `chunk_size` is 0 or
    /// `overlap >= chunk_size`.
    pub fn new(chunk_size: usize, overlap: usize) -> Result<Self> {
        let config = chunk_config(chunk_size, overlap, CharCount)?;
        Ok(RecursiveSplitter {
            chunk_size,
            overlap,
            inner: TextSplitter::new(config),
        })
    }

    /// The maximum chunk size in characters.
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// The overlap in characters.
    pub fn overlap(&self) -> usize {
        self.overlap
    }
}

impl Chunker for RecursiveSplitter {
    fn chunk(&self, text: &str) -> Vec<Chunk> {
        to_chunks(self.inner.chunk_indices(text))
    }
}

/// Adapts a [`TokenCounter`] to `text-splitter`'s sizer trait.
#[derive(Debug, Clone)]
pub(crate) struct CounterSizer<C>(pub(crate) C);

impl<C: TokenCounter> ChunkSizer for CounterSizer<C> {
    fn size(&self, chunk: &str) -> usize {
        self.0.count_tokens(chunk)
    }
}

/// Token-count splitter: like [`RecursiveSplitter`] but chunk size and
/// overlap are measured in tokens of `C`, e.g. the embedding model's own
/// tokenizer so that no chunk is truncated by the model.
///
/// ```
/// use vecstore_rag::{Chunker, TokenSplitter, WordCount};
/// let splitter = TokenSplitter::new(WordCount, 3, 0).unwrap();
/// let chunks = splitter.chunk("one two three four five six");
/// assert_eq!(chunks.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
///            ["one two three", "four five six"]);
/// ```
pub struct TokenSplitter<C: TokenCounter> {
    chunk_size: usize,
    overlap: usize,
    inner: TextSplitter<CounterSizer<C>>,
}

impl<C: TokenCounter> TokenSplitter<C> {
    /// A splitter for chunks of up to `chunk_size` tokens counted by
    /// `counter`, with `overlap` tokens of overlap. Errors if `chunk_size`
    /// is 0 or `overlap >= chunk_size`.
    pub fn new(counter: C, chunk_size: usize, overlap: usize) -> Result<Self> {
        let config = chunk_config(chunk_size, overlap, CounterSizer(counter))?;
        Ok(TokenSplitter {
            chunk_size,
            overlap,
            inner: TextSplitter::new(config),
        })
    }

    /// The maximum chunk size in tokens.
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// The overlap in tokens.
    pub fn overlap(&self) -> usize {
        self.overlap
    }
}

impl<C: TokenCounter> std::fmt::Debug for TokenSplitter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSplitter")
            .field("chunk_size", &self.chunk_size)
            .field("overlap", &self.overlap)
            .finish_non_exhaustive()
    }
}

impl<C: TokenCounter> Chunker for TokenSplitter<C> {
    fn chunk(&self, text: &str) -> Vec<Chunk> {
        to_chunks(self.inner.chunk_indices(text))
    }
}

/// Keeps a whole document as one chunk (trimmed of surrounding whitespace).
/// Useful when documents are already passage-sized, as in BEIR corpora.
#[derive(Debug, Clone, Copy, Default)]
pub struct WholeDocument;

impl Chunker for WholeDocument {
    fn chunk(&self, text: &str) -> Vec<Chunk> {
        let trimmed_start = text.len() - text.trim_start().len();
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Vec::new();
        }
        Chunk::from_source(text, trimmed_start, trimmed_start + trimmed.len())
            .into_iter()
            .collect()
    }
}
