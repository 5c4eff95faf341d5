//! Markdown-aware splitting: `text-splitter`'s Markdown splitter for the
//! boundaries, `pulldown-cmark` for the heading path kept as metadata.

use crate::chunk::{Chunk, Chunker};
use crate::splitters::{CharCount, chunk_config, to_chunks};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use text_splitter::MarkdownSplitter as InnerMarkdown;
use vecstore_core::{Result, Value};

/// Splits Markdown at its structure (sections, then blocks, then lines,
/// sentences, words) into chunks of at most `chunk_size` characters, and
/// records the heading path in force at each chunk's start as metadata:
/// `headings` (list of titles, outermost first) and `section` (the titles
/// joined by `" > "`). Chunks before the first heading have neither key.
///
/// ```
/// use vecstore_rag::{Chunker, MarkdownChunker};
/// let md = "# Guide\n\nIntro text.\n\n## Install\n\nRun the script.";
/// let chunks = MarkdownChunker::new(20, 0).unwrap().chunk(md);
/// let last = chunks.last().unwrap();
/// assert_eq!(last.text, "Run the script.");
/// assert_eq!(last.metadata.get("section").and_then(|v| v.as_str()), Some("Guide > Install"));
/// ```
#[derive(Debug)]
pub struct MarkdownChunker {
    chunk_size: usize,
    overlap: usize,
    inner: InnerMarkdown<CharCount>,
}

impl MarkdownChunker {
    /// A Markdown chunker for chunks of up to `chunk_size` characters with
    /// `overlap` characters of overlap. Errors if `chunk_size` is 0 or
    /// `overlap >= chunk_size`.
    pub fn new(chunk_size: usize, overlap: usize) -> Result<Self> {
        let config = chunk_config(chunk_size, overlap, CharCount)?;
        Ok(MarkdownChunker {
            chunk_size,
            overlap,
            inner: InnerMarkdown::new(config),
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

impl Chunker for MarkdownChunker {
    fn chunk(&self, text: &str) -> Vec<Chunk> {
        let mut chunks = to_chunks(self.inner.chunk_indices(text));
        let headings = headings(text);
        let mut next = 0;
        let mut path: Vec<(usize, String)> = Vec::new();
        for chunk in &mut chunks {
            // Chunks come in source order, but overlap can move a start back
            // before an already applied heading; recompute in that case.
            if next > 0 && headings[next - 1].start > chunk.start {
                next = 0;
                path.clear();
            }
            while next < headings.len() && headings[next].start <= chunk.start {
                let h = &headings[next];
                while path.last().is_some_and(|(level, _)| *level >= h.level) {
                    path.pop();
                }
                path.push((h.level, h.title.clone()));
                next += 1;
            }
            if !path.is_empty() {
                let titles: Vec<String> = path.iter().map(|(_, t)| t.clone()).collect();
                chunk
                    .metadata
                    .insert("section", Value::String(titles.join(" > ")));
                chunk.metadata.insert("headings", titles);
            }
        }
        chunks
    }
}

/// A heading found in the source.
struct Heading {
    start: usize,
    level: usize,
    title: String,
}

/// All headings (ATX and Setext) with their byte offset, level and plain
/// text title, in source order.
fn headings(text: &str) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut current: Option<Heading> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some(Heading {
                    start: range.start,
                    level: level as usize,
                    title: String::new(),
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(mut h) = current.take() {
                    h.title = h.title.split_whitespace().collect::<Vec<_>>().join(" ");
                    out.push(h);
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = current.as_mut() {
                    h.title.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(h) = current.as_mut() {
                    h.title.push(' ');
                }
            }
            _ => {}
        }
    }
    out
}
