//! Chunker behaviour a user relies on: exact offsets, size bounds, overlap,
//! Unicode safety, Markdown heading paths; and property tests that no input
//! makes a chunker panic or lie about offsets.

use proptest::prelude::*;
use vecstore_rag::{
    Chunk, Chunker, MarkdownChunker, RecursiveSplitter, TokenCounter, TokenSplitter, WholeDocument,
    WordCount,
};

fn assert_offsets(text: &str, chunks: &[Chunk]) {
    let mut prev_start = 0;
    for c in chunks {
        assert!(c.start < c.end, "empty chunk {c:?}");
        assert_eq!(&text[c.start..c.end], c.text, "offsets of {c:?}");
        assert!(c.start >= prev_start, "chunks out of order");
        assert_eq!(c.text.trim(), c.text, "chunk not trimmed: {:?}", c.text);
        prev_start = c.start;
    }
}

/// Every non-whitespace byte of the source is inside some chunk.
fn assert_covers(text: &str, chunks: &[Chunk]) {
    let mut covered = vec![false; text.len()];
    for c in chunks {
        covered[c.start..c.end].iter_mut().for_each(|b| *b = true);
    }
    for (i, ch) in text.char_indices() {
        if !ch.is_whitespace() {
            assert!(covered[i], "byte {i} ({ch:?}) is in no chunk");
        }
    }
}

const PROSE: &str = "Vector databases store embeddings. They answer nearest-neighbour queries quickly.\n\
Each record has an id and metadata.\n\n\
Hybrid search mixes BM25 keyword scores with dense similarity. Weighted fusion uses alpha; \
reciprocal rank fusion uses ranks only.\n\n\
Snapshots are hard links of immutable segment files, so they are cheap.";

#[test]
fn recursive_respects_size_and_offsets() {
    for size in [20, 50, 80, 200] {
        let s = RecursiveSplitter::new(size, 0).unwrap();
        let chunks = s.chunk(PROSE);
        assert!(!chunks.is_empty());
        assert_offsets(PROSE, &chunks);
        assert_covers(PROSE, &chunks);
        for c in &chunks {
            assert!(c.text.chars().count() <= size, "{} > {size}", c.text.len());
        }
    }
}

#[test]
fn recursive_prefers_paragraph_boundaries() {
    let s = RecursiveSplitter::new(200, 0).unwrap();
    let chunks = s.chunk(PROSE);
    // Each paragraph fits, two do not: one chunk per paragraph.
    assert_eq!(chunks.len(), 3);
    assert!(chunks[0].text.starts_with("Vector databases"));
    assert!(chunks[0].text.ends_with("metadata."));
    assert!(chunks[2].text.starts_with("Snapshots"));
}

#[test]
fn recursive_splits_sentences_before_words() {
    let s = RecursiveSplitter::new(40, 0).unwrap();
    let chunks = s.chunk("Short one. Another short one. A third sentence here.");
    assert_eq!(
        chunks.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
        ["Short one. Another short one.", "A third sentence here."]
    );
}

#[test]
fn overlap_repeats_text_between_neighbours() {
    let text = (0..60)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let s = RecursiveSplitter::new(40, 15).unwrap();
    let chunks = s.chunk(&text);
    assert!(chunks.len() > 3);
    assert_offsets(&text, &chunks);
    assert_covers(&text, &chunks);
    for pair in chunks.windows(2) {
        assert!(
            pair[1].start < pair[0].end,
            "no overlap between {:?} and {:?}",
            pair[0],
            pair[1]
        );
        let shared = pair[0].end - pair[1].start;
        assert!(shared <= 15, "overlap {shared} > 15");
    }
}

#[test]
fn bad_config_is_an_error() {
    assert!(RecursiveSplitter::new(0, 0).is_err());
    assert!(RecursiveSplitter::new(10, 10).is_err());
    assert!(MarkdownChunker::new(10, 12).is_err());
    assert!(TokenSplitter::new(WordCount, 0, 0).is_err());
}

#[test]
fn unicode_text_is_split_on_char_boundaries() {
    let text =
        "Größe 東京 🦀🦀🦀 naïve café. Ünïcödé wörds everywhere 你好世界。 Ещё немного текста!";
    for size in 1..30 {
        let chunks = RecursiveSplitter::new(size, 0).unwrap().chunk(text);
        assert_offsets(text, &chunks);
        assert_covers(text, &chunks);
        for c in &chunks {
            assert!(c.text.chars().count() <= size);
        }
    }
}

#[test]
fn empty_and_blank_text_give_no_chunks() {
    let s = RecursiveSplitter::new(10, 2).unwrap();
    assert!(s.chunk("").is_empty());
    assert!(s.chunk(" \n\n\t ").is_empty());
    assert!(WholeDocument.chunk("   ").is_empty());
    let m = MarkdownChunker::new(10, 0).unwrap();
    assert!(m.chunk("\n\n").is_empty());
}

#[test]
fn whole_document_trims_and_keeps_offsets() {
    let text = "\n  title and body \n";
    let chunks = WholeDocument.chunk(text);
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].text, "title and body");
    assert_offsets(text, &chunks);
}

/// Counts characters 'x' as tokens: makes sizes easy to check by hand.
struct CountX;
impl TokenCounter for CountX {
    fn count_tokens(&self, text: &str) -> usize {
        text.matches('x').count()
    }
}

#[test]
fn token_splitter_uses_the_counter() {
    let text = "one two three four five six seven";
    let chunks = TokenSplitter::new(WordCount, 2, 0).unwrap().chunk(text);
    let words: Vec<_> = chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(words, ["one two", "three four", "five six", "seven"]);
    assert_offsets(text, &chunks);

    let text = "xx yy xx. xxx yy. x";
    let chunks = TokenSplitter::new(CountX, 4, 0).unwrap().chunk(text);
    assert_offsets(text, &chunks);
    for c in &chunks {
        assert!(CountX.count_tokens(&c.text) <= 4, "{:?}", c.text);
    }
}

#[test]
fn token_splitter_overlap_in_tokens() {
    let text = (0..30)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let chunks = TokenSplitter::new(WordCount, 8, 3).unwrap().chunk(&text);
    assert_offsets(&text, &chunks);
    for c in &chunks {
        assert!(WordCount.count_tokens(&c.text) <= 8);
    }
    for pair in chunks.windows(2) {
        let shared = &text[pair[1].start..pair[0].end.max(pair[1].start)];
        let n = WordCount.count_tokens(shared);
        assert!((1..=3).contains(&n), "overlap of {n} words: {shared:?}");
    }
}

const MD: &str = "# vecstore\n\nAn embedded vector database.\n\n\
## Install\n\nAdd the crate to Cargo.toml and build.\n\n\
### Features\n\nThe embed feature pulls in candle.\n\n\
## Usage\n\nOpen a directory and upsert vectors.\n\n\
Setext title\n------------\n\nBody under setext.\n";

fn section(c: &Chunk) -> Option<&str> {
    c.metadata.get("section").and_then(|v| v.as_str())
}

#[test]
fn markdown_keeps_heading_paths() {
    let chunks = MarkdownChunker::new(60, 0).unwrap().chunk(MD);
    assert_offsets(MD, &chunks);
    assert_covers(MD, &chunks);
    let find = |needle: &str| {
        chunks
            .iter()
            .find(|c| c.text.contains(needle))
            .unwrap_or_else(|| panic!("no chunk with {needle:?}: {chunks:#?}"))
    };
    assert_eq!(section(find("embedded vector")), Some("vecstore"));
    assert_eq!(section(find("Cargo.toml")), Some("vecstore > Install"));
    assert_eq!(
        section(find("candle")),
        Some("vecstore > Install > Features")
    );
    assert_eq!(section(find("upsert vectors")), Some("vecstore > Usage"));
    assert_eq!(
        section(find("Body under setext")),
        Some("vecstore > Setext title") // a "---" underline is a level-2 heading
    );
    let headings = find("candle").metadata.get("headings").unwrap();
    assert_eq!(
        headings,
        &vecstore_core::Value::from(vec!["vecstore", "Install", "Features"])
    );
}

#[test]
fn markdown_text_before_first_heading_has_no_section() {
    let text = "Preamble line.\n\n# Title\n\nBody.";
    let chunks = MarkdownChunker::new(16, 0).unwrap().chunk(text);
    assert_eq!(chunks[0].text, "Preamble line.");
    assert!(section(&chunks[0]).is_none());
    assert_eq!(section(chunks.last().unwrap()), Some("Title"));
}

#[test]
fn markdown_with_overlap_stays_consistent() {
    let chunks = MarkdownChunker::new(40, 10).unwrap().chunk(MD);
    assert_offsets(MD, &chunks);
    assert_covers(MD, &chunks);
    for c in &chunks {
        assert!(c.text.chars().count() <= 40);
    }
}

fn chunkers() -> Vec<Box<dyn Chunker>> {
    vec![
        Box::new(RecursiveSplitter::new(17, 5).unwrap()),
        Box::new(RecursiveSplitter::new(3, 0).unwrap()),
        Box::new(MarkdownChunker::new(23, 4).unwrap()),
        Box::new(TokenSplitter::new(WordCount, 4, 1).unwrap()),
        Box::new(WholeDocument),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]

    #[test]
    fn chunkers_never_panic_and_offsets_hold(text in "(\\PC|[ \n#*`>-]){0,300}") {
        for chunker in chunkers() {
            let chunks = chunker.chunk(&text);
            assert_offsets(&text, &chunks);
            assert_covers(&text, &chunks);
        }
    }

    #[test]
    fn char_sizes_are_respected(text in "[a-zé🦀 .\n]{0,400}", size in 1usize..60) {
        let chunks = RecursiveSplitter::new(size, size / 3).unwrap().chunk(&text);
        assert_offsets(&text, &chunks);
        for c in &chunks {
            prop_assert!(c.text.chars().count() <= size);
        }
    }
}
