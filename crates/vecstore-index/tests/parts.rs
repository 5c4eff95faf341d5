//! Graph parts round-trip through `HnswView::from_parts`, and malformed
//! parts are rejected with an error instead of a panic.

use proptest::prelude::*;
use vecstore_core::{Error, Metric};
use vecstore_index::{
    Hnsw, HnswParams, HnswParts, HnswView, SearchFilter, SliceVectors, VectorStore,
};
use vecstore_testkit::uniform;

struct Owned {
    m: usize,
    level0: Vec<u32>,
    levels: Vec<u8>,
    upper_offsets: Vec<u32>,
    upper: Vec<u32>,
    entry_point: u32,
    max_level: u8,
}

impl Owned {
    fn of(g: &Hnsw) -> Self {
        let p = g.parts();
        Owned {
            m: p.m,
            level0: p.level0.to_vec(),
            levels: p.levels.to_vec(),
            upper_offsets: p.upper_offsets.to_vec(),
            upper: p.upper.to_vec(),
            entry_point: p.entry_point,
            max_level: p.max_level,
        }
    }
    fn parts(&self) -> HnswParts<'_> {
        HnswParts {
            m: self.m,
            level0: &self.level0,
            levels: &self.levels,
            upper_offsets: &self.upper_offsets,
            upper: &self.upper,
            entry_point: self.entry_point,
            max_level: self.max_level,
        }
    }
}

fn graph() -> (VectorStore, Hnsw) {
    let v = VectorStore::from_rows(8, Metric::L2, &uniform(600, 8, 1)).unwrap();
    let g = Hnsw::build_parallel(
        &v,
        HnswParams {
            m: 4,
            ef_construction: 32,
            seed: 1,
        },
    )
    .unwrap();
    (v, g)
}

#[test]
fn view_over_copied_parts_searches_like_the_owner() {
    let (v, g) = graph();
    let o = Owned::of(&g);
    let view = HnswView::from_parts(o.parts()).unwrap();
    let flat = v.as_slice().to_vec();
    let borrowed = SliceVectors::new(&flat, 8, Metric::L2).unwrap();
    for q in uniform(10, 8, 2).chunks_exact(8) {
        assert_eq!(
            view.search(&borrowed, q, 5, 32, &SearchFilter::NONE),
            g.search(&v, q, 5, 32, &SearchFilter::NONE)
        );
    }
    let empty = Owned::of(&Hnsw::new(HnswParams::default()).unwrap());
    assert!(HnswView::from_parts(empty.parts()).unwrap().is_empty());
}

fn assert_corrupt(o: &Owned, what: &str) {
    match HnswView::from_parts(o.parts()) {
        Err(Error::Corruption { .. }) => {}
        other => panic!("{what}: expected a corruption error, got {other:?}"),
    }
}

#[test]
fn malformed_parts_are_errors() {
    let (_, g) = graph();
    let stride0 = 1 + 2 * 4;
    let top = g.parts().entry_point;
    type Damage = Box<dyn Fn(&mut Owned)>;
    let cases: Vec<(&str, Damage)> = vec![
        ("m zero", Box::new(|o| o.m = 0)),
        ("m huge", Box::new(|o| o.m = 100_000)),
        (
            "short level0",
            Box::new(|o| {
                o.level0.pop();
            }),
        ),
        (
            "count too big",
            Box::new(move |o| o.level0[stride0 * 3] = 99),
        ),
        (
            "neighbour out of range",
            Box::new(move |o| {
                o.level0[stride0 * 3] = 1;
                o.level0[stride0 * 3 + 1] = 600;
            }),
        ),
        (
            "entry point out of range",
            Box::new(|o| o.entry_point = 600),
        ),
        (
            "entry point wrong level",
            Box::new(move |o| {
                o.entry_point = (0..600)
                    .find(|&i| o.levels[i as usize] < o.max_level && i != top)
                    .unwrap()
            }),
        ),
        ("max level too high", Box::new(|o| o.max_level = 200)),
        (
            "offsets short",
            Box::new(|o| {
                o.upper_offsets.pop();
            }),
        ),
        (
            "offsets inconsistent",
            Box::new(|o| {
                let last = o.upper_offsets.len() - 1;
                o.upper_offsets[last] += 1;
            }),
        ),
        (
            "upper truncated",
            Box::new(|o| {
                o.upper.pop();
            }),
        ),
        (
            "node level above max",
            Box::new(|o| {
                let i = o.levels.iter().position(|&l| l == 0).unwrap();
                o.levels[i] = o.max_level + 1;
            }),
        ),
    ];
    for (what, f) in cases {
        let mut o = Owned::of(&g);
        f(&mut o);
        assert_corrupt(&o, what);
    }
    // An upper-layer link to a node without that layer.
    let mut o = Owned::of(&g);
    let node = (0..600).find(|&i| o.levels[i] >= 1).unwrap();
    let base = o.upper_offsets[node] as usize;
    let low = o.levels.iter().position(|&l| l == 0).unwrap() as u32;
    o.upper[base] = 1;
    o.upper[base + 1] = low;
    assert_corrupt(&o, "upper link to a layer-0-only node");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Random damage to any array never panics: either an error, or a view
    /// whose searches return rows in range.
    #[test]
    fn random_damage_never_panics(which in 0usize..4, pos in any::<usize>(), val in any::<u32>()) {
        let (v, g) = graph();
        let mut o = Owned::of(&g);
        match which {
            0 => { let i = pos % o.level0.len(); o.level0[i] = val; }
            1 => { let i = pos % o.upper.len().max(1); if !o.upper.is_empty() { o.upper[i] = val; } }
            2 => { let i = pos % o.upper_offsets.len(); o.upper_offsets[i] = val; }
            _ => { let i = pos % o.levels.len(); o.levels[i] = val as u8; }
        }
        if let Ok(view) = HnswView::from_parts(o.parts()) {
            let hits = view.search(&v, &[0.5; 8], 10, 32, &SearchFilter::NONE);
            prop_assert!(hits.iter().all(|h| (h.0 as usize) < 600));
        }
    }
}
