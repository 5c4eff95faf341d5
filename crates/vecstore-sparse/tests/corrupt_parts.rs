//! Sealed parts come from files: every kind of damage must give an error
//! from `SparseView::from_parts` (or, if the damage happens to leave a
//! consistent index, a view that searches without panicking). Never a panic.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use vecstore_core::Error;
use vecstore_sparse::{KeywordFilter, KeywordSegment, OwnedSparseParts, SparseView};

fn sample() -> OwnedSparseParts {
    // Enough postings for several blocks per common term.
    let docs: Vec<String> = (0..600)
        .map(|i| {
            (0..(i % 13 + 1))
                .map(|j| word((i * 7 + j * j) % 25 % (j + 3)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    build(plain_config(1.2, 0.75), &docs).to_parts()
}

fn check(p: &OwnedSparseParts) -> Result<(), Error> {
    let view = SparseView::from_parts(p.as_parts())?;
    // A view that validated must search safely.
    for q in ["w0", "w1 w2 w3", "w0 w0 w9"] {
        view.search(q, 10, &KeywordFilter::none());
    }
    Ok(())
}

#[test]
fn intact_parts_validate() {
    let p = sample();
    assert!(
        p.block_last_rows.len() > p.doc_freqs.len(),
        "want multi-block terms"
    );
    check(&p).unwrap();
}

#[test]
fn targeted_damage_is_reported() {
    let p = sample();
    let mut cases: Vec<(&str, OwnedSparseParts)> = Vec::new();
    let mut add = |name, f: &dyn Fn(&mut OwnedSparseParts)| {
        let mut q = p.clone();
        f(&mut q);
        cases.push((name, q));
    };
    add("term_offsets short", &|q| {
        q.term_offsets.pop();
    });
    add("term_offsets decreasing", &|q| q.term_offsets.swap(1, 2));
    add("term_offsets past bytes", &|q| {
        *q.term_offsets.last_mut().unwrap() += 1
    });
    add("terms unsorted", &|q| q.term_bytes[0] = b'z');
    add("term not utf8", &|q| q.term_bytes[0] = 0xff);
    add("doc_freq zero", &|q| q.doc_freqs[0] = 0);
    add("doc_freq too high", &|q| q.doc_freqs[0] += 200);
    add("max_tf_norm NaN", &|q| q.max_tf_norms[0] = f32::NAN);
    add("term_blocks past end", &|q| {
        *q.term_blocks.last_mut().unwrap() += 1
    });
    add("block offsets past postings", &|q| {
        *q.block_offsets.last_mut().unwrap() += 1
    });
    add("block offsets swapped", &|q| q.block_offsets.swap(1, 2));
    add("block last row wrong", &|q| q.block_last_rows[0] += 1);
    add("postings truncated", &|q| {
        q.postings.pop();
    });
    add("doc_lens short", &|q| {
        q.doc_lens.truncate(10);
    });
    add("total_len wrong", &|q| q.total_len += 1);
    add("num_docs too high", &|q| q.num_docs = u64::MAX);
    add("bad k1", &|q| q.config.k1 = -1.0);
    for (name, q) in cases {
        match check(&q) {
            Err(Error::Corruption { .. }) => {}
            other => panic!("{name}: expected a corruption error, got {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: RngSeed::Fixed(7), ..ProptestConfig::default() })]

    #[test]
    fn random_byte_damage_never_panics(
        flips in prop::collection::vec((0usize..1_000_000, 0u8..=255), 1..4),
        target in 0usize..5,
    ) {
        let mut p = sample();
        for (at, val) in flips {
            match target {
                0 => { let n = p.postings.len(); p.postings[at % n] = val; }
                1 => { let n = p.term_bytes.len(); p.term_bytes[at % n] = val; }
                2 => { let n = p.doc_lens.len(); p.doc_lens[at % n] = u32::from(val); }
                3 => { let n = p.block_last_rows.len(); p.block_last_rows[at % n] ^= u32::from(val); }
                _ => { let n = p.term_offsets.len(); p.term_offsets[at % n] ^= u32::from(val); }
            }
        }
        let _ = check(&p);
    }
}
