//! BM25 scores against a naive oracle, MaxScore against exhaustive scoring,
//! incremental updates against a rebuilt index, sealed views against the
//! owned index.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use roaring::RoaringBitmap;
use vecstore_sparse::{CorpusStats, InvertedIndex, KeywordFilter, KeywordSegment, SparseView};

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: n,
        rng_seed: RngSeed::Fixed(0x5eed),
        ..ProptestConfig::default()
    }
}

fn corpus() -> impl Strategy<Value = Vec<String>> {
    (2usize..40).prop_flat_map(|vocab| prop::collection::vec(doc_strategy(vocab, 30), 0..80))
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn scores_match_naive_reference(
        docs in corpus(),
        query in query_strategy(40),
        k1 in 0.0f32..3.0,
        b in 0.0f32..=1.0,
    ) {
        let idx = build(plain_config(k1, b), &docs);
        let want = naive_scores(&docs, &query, f64::from(k1), f64::from(b));
        let got = idx.search(&query, docs.len().max(1), &KeywordFilter::none());
        prop_assert_eq!(got.len(), want.len());
        for (row, score) in &got {
            let w = want[row];
            prop_assert!((f64::from(*score) - w).abs() <= 1e-4 * w.max(1.0), "row {row}: {score} vs {w}");
        }
        prop_assert!(got.windows(2).all(|p| p[0].1 >= p[1].1), "not best first");
    }

    #[test]
    fn pruned_top_k_equals_exhaustive(
        docs in corpus(),
        query in query_strategy(40),
        k in 1usize..12,
        allow_mod in 1u32..4,
        deny_mod in 2u32..6,
    ) {
        let idx = build(plain_config(1.2, 0.75), &docs);
        let none = KeywordFilter::none();
        prop_assert_eq!(idx.search(&query, k, &none), idx.search_exhaustive(&query, k, &none));
        let allow: RoaringBitmap = (0..docs.len() as u32).filter(|r| r % allow_mod == 0).collect();
        let deny: RoaringBitmap = (0..docs.len() as u32).filter(|r| r % deny_mod == 1).collect();
        let f = KeywordFilter::none().allow(&allow).deny(&deny);
        let got = idx.search(&query, k, &f);
        prop_assert!(got.iter().all(|(r, _)| allow.contains(*r) && !deny.contains(*r)));
        prop_assert_eq!(got, idx.search_exhaustive(&query, k, &f));

        // A selective allow-set takes the row-by-row path: same answers.
        let few: RoaringBitmap = (0..docs.len() as u32).filter(|r| r % 23 == allow_mod).collect();
        let f_few = KeywordFilter::none().allow(&few).deny(&deny);
        prop_assert_eq!(idx.search(&query, k, &f_few), idx.search_exhaustive(&query, k, &f_few));

        // The sealed view prunes with stored bounds: same answers.
        let parts = idx.to_parts();
        let view = SparseView::from_parts(parts.as_parts()).unwrap();
        prop_assert_eq!(view.search(&query, k, &f), view.search_exhaustive(&query, k, &f));
        prop_assert_eq!(view.search(&query, k, &none), idx.search(&query, k, &none));
        prop_assert_eq!(view.search(&query, k, &f_few), idx.search(&query, k, &f_few));
    }

    #[test]
    fn global_stats_keep_pruning_exact(
        a in corpus(),
        b in corpus(),
        query in query_strategy(40),
        k in 1usize..8,
    ) {
        // Two segments searched with merged statistics, one of them sealed:
        // its stored bounds are rescaled to the collection's average length.
        let ia = build(plain_config(1.2, 0.75), &a);
        let ib = build(plain_config(1.2, 0.75), &b);
        let pb = ib.to_parts();
        let vb = SparseView::from_parts(pb.as_parts()).unwrap();
        let terms = ia.tokenize(&query);
        let mut stats = CorpusStats::default();
        stats.merge(&ia.corpus_stats(&terms));
        stats.merge(&vb.corpus_stats(&terms));
        let f = KeywordFilter::none();
        prop_assert_eq!(
            ia.search_terms(&terms, k, &f, Some(&stats)),
            ia.search_terms_exhaustive(&terms, k, &f, Some(&stats))
        );
        prop_assert_eq!(
            vb.search_terms(&terms, k, &f, Some(&stats)),
            vb.search_terms_exhaustive(&terms, k, &f, Some(&stats))
        );
        // With merged statistics, scores equal those of one index over a ++ b.
        let all: Vec<String> = a.iter().chain(&b).cloned().collect();
        let want = naive_scores(&all, &query, 1.2, 0.75);
        for (row, s) in vb.search_terms(&terms, b.len().max(1), &f, Some(&stats)) {
            let w = want[&(row + a.len() as u32)];
            prop_assert!((f64::from(s) - w).abs() <= 1e-4 * w.max(1.0));
        }
    }

    #[test]
    fn add_remove_equals_rebuilt(
        ops in prop::collection::vec((0u32..30, prop::option::weighted(0.7, doc_strategy(20, 20))), 0..120),
        query in query_strategy(20),
    ) {
        let mut idx = InvertedIndex::new(plain_config(1.2, 0.75)).unwrap();
        let mut model: std::collections::BTreeMap<u32, String> = Default::default();
        for (row, text) in ops {
            match text {
                Some(t) => {
                    idx.add(row, &t).unwrap();
                    model.insert(row, t);
                }
                None => {
                    prop_assert_eq!(idx.remove(row), model.remove(&row).is_some());
                }
            }
        }
        let mut rebuilt = InvertedIndex::new(plain_config(1.2, 0.75)).unwrap();
        for (row, t) in &model {
            rebuilt.add(*row, t).unwrap();
        }
        prop_assert_eq!(idx.num_docs(), model.len() as u64);
        prop_assert_eq!(idx.avg_doc_len(), rebuilt.avg_doc_len());
        let f = KeywordFilter::none();
        prop_assert_eq!(idx.search(&query, 40, &f), rebuilt.search(&query, 40, &f));
        prop_assert_eq!(idx.to_parts(), rebuilt.to_parts());
    }
}

#[test]
fn empty_and_stop_word_queries_return_nothing() {
    let mut idx = InvertedIndex::new(Default::default()).unwrap();
    idx.add(0, "the quick brown fox").unwrap();
    idx.add(1, "").unwrap();
    let f = KeywordFilter::none();
    for q in ["", "   ", "the of and", "?!", "🦀", "unknownword"] {
        assert!(idx.search(q, 10, &f).is_empty(), "{q:?}");
    }
    assert_eq!(idx.num_docs(), 2);
    assert_eq!(idx.search("foxes", 10, &f).len(), 1);
    let empty = InvertedIndex::new(Default::default()).unwrap();
    assert!(empty.search("fox", 10, &f).is_empty());
    let parts = empty.to_parts();
    let view = SparseView::from_parts(parts.as_parts()).unwrap();
    assert!(view.search("fox", 10, &f).is_empty());
}

#[test]
fn unicode_documents_index_and_search() {
    let mut idx = InvertedIndex::new(Default::default()).unwrap();
    let texts = [
        "東京は日本の首都です",
        "Crème brûlée à la française",
        "emoji only 🦀🚀👩‍👩‍👧",
        "Ελληνικά κείμενα και русский текст",
        "\u{0}\u{feff}control\u{200b}chars",
    ];
    for (i, t) in texts.iter().enumerate() {
        idx.add(i as u32, t).unwrap();
    }
    let f = KeywordFilter::none();
    assert_eq!(idx.search("東京", 5, &f)[0].0, 0);
    assert_eq!(idx.search("creme brulee", 5, &f)[0].0, 1);
    assert_eq!(idx.search("русский", 5, &f)[0].0, 3);
    assert!(idx.search("🚀", 5, &f).is_empty());
    let parts = idx.to_parts();
    let view = SparseView::from_parts(parts.as_parts()).unwrap();
    assert_eq!(
        view.search("française", 5, &f),
        idx.search("française", 5, &f)
    );
}

#[test]
fn rejects_the_end_marker_row_and_bad_config() {
    let mut idx = InvertedIndex::new(Default::default()).unwrap();
    assert!(idx.add(u32::MAX, "x").is_err());
    assert!(idx.add(1_000, "x").is_ok());
    assert!(InvertedIndex::new(plain_config(f32::NAN, 0.5)).is_err());
}

#[test]
fn k_zero_and_huge_k() {
    let docs: Vec<String> = (0..50).map(|i| format!("w{} w{}", i % 7, i % 3)).collect();
    let idx = build(plain_config(1.2, 0.75), &docs);
    let f = KeywordFilter::none();
    assert!(idx.search("w1", 0, &f).is_empty());
    assert_eq!(
        idx.search("w1 w2", 10_000, &f).len(),
        docs.iter()
            .filter(|d| d.contains("w1") || d.contains("w2"))
            .count()
    );
}
