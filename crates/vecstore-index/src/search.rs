//! Graph traversal (greedy descent on the upper layers, best-first search on
//! layer 0, optionally restricted by a [`SearchFilter`]) and the exact scan.

use std::cmp::Reverse;

use vecstore_core::Metric;
use vecstore_core::kernels::{KernelFn, Kernels, prefetch};

use crate::filter::SearchFilter;
use crate::graph::Links;
use crate::scratch::{Cand, Scratch};
use crate::vectors::VectorSource;

/// [`Metric::distance`] with the kernel looked up once: hot loops hold one
/// of these and call the chosen SIMD kernel directly, skipping the dispatch
/// table on every call. Gives exactly the values of `Metric::distance`.
#[derive(Clone, Copy)]
pub(crate) struct Distance {
    kernel: KernelFn,
    metric: Metric,
}

impl Distance {
    pub(crate) fn new(metric: Metric) -> Self {
        let k = Kernels::get();
        let kernel = match metric {
            Metric::L2 => k.l2sq,
            Metric::Dot | Metric::Cosine => k.dot,
        };
        Distance { kernel, metric }
    }

    #[inline(always)]
    pub(crate) fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        let x = (self.kernel)(a, b);
        match self.metric {
            Metric::L2 => x,
            Metric::Dot => -x,
            Metric::Cosine => 1.0 - x,
        }
    }
}

/// Internal distance between two prepared vectors (one-off uses).
#[inline(always)]
pub(crate) fn distance(metric: Metric, a: &[f32], b: &[f32]) -> f32 {
    metric.distance(a, b)
}

/// Candidates kept on layer 1 as entry points of layer 0.
pub(crate) const UPPER_EF: usize = 4;

/// Walks layer `level` greedily from `cur` to a local minimum.
pub(crate) fn greedy<L: Links, V: VectorSource>(
    g: &L,
    vectors: &V,
    query: &[f32],
    mut cur: Cand,
    level: u8,
    buf: &mut Vec<u32>,
) -> Cand {
    let dist = Distance::new(vectors.metric());
    loop {
        let before = cur.id;
        g.with_links(cur.id, level, buf, |links| {
            for &nb in links {
                let d = dist.eval(query, vectors.vector(nb));
                if d < cur.dist {
                    cur = Cand { dist: d, id: nb };
                }
            }
        });
        if cur.id == before {
            return cur;
        }
    }
}

/// Best-first search of layer `level` from `entry`, keeping the `ef` best
/// rows that `accept` allows in `s.best` (worst on top).
///
/// When `FILTERED`, rows that `accept` rejects are still expanded (so the
/// walk stays connected) but never enter `s.best`, and the walk does not
/// stop before `ef` accepted rows are found or the frontier is empty.
#[allow(clippy::too_many_arguments)]
pub(crate) fn search_layer<L: Links, V: VectorSource, const FILTERED: bool>(
    g: &L,
    vectors: &V,
    query: &[f32],
    entries: &[Cand],
    level: u8,
    ef: usize,
    accept: impl Fn(u32) -> bool,
    s: &mut Scratch,
) {
    let dist = Distance::new(vectors.metric());
    let Scratch {
        visited,
        frontier,
        best,
        links,
        fresh,
        ..
    } = s;
    visited.reset(g.nodes());
    frontier.clear();
    best.clear();
    for &entry in entries {
        if !visited.insert(entry.id) {
            continue;
        }
        frontier.push(Reverse(entry));
        if !FILTERED || accept(entry.id) {
            best.push(entry);
            if best.len() > ef {
                best.pop();
            }
        }
    }
    let mut bound = best.peek().map_or(f32::INFINITY, |w| w.dist);
    while let Some(Reverse(c)) = frontier.pop() {
        if c.dist > bound && (!FILTERED || best.len() >= ef) {
            break;
        }
        fresh.clear();
        g.with_links(c.id, level, links, |ls| {
            for &nb in ls {
                if visited.insert(nb) {
                    fresh.push(nb);
                }
            }
        });
        // Start loading all unvisited neighbours' vectors before computing
        // the first distance, so their cache misses overlap.
        for &nb in fresh.iter() {
            prefetch(vectors.vector(nb), 4);
        }
        for &nb in fresh.iter() {
            let d = dist.eval(query, vectors.vector(nb));
            if best.len() < ef || d < bound {
                g.prefetch_level0(nb);
                frontier.push(Reverse(Cand { dist: d, id: nb }));
                if !FILTERED || accept(nb) {
                    best.push(Cand { dist: d, id: nb });
                    if best.len() > ef {
                        best.pop();
                    }
                    if let Some(w) = best.peek() {
                        bound = w.dist;
                    }
                }
            }
        }
    }
}

/// Drains `s.best` into `(row, distance)` pairs, best first, at most `k`.
pub(crate) fn take_best(s: &mut Scratch, k: usize) -> Vec<(u32, f32)> {
    let mut v: Vec<Cand> = s.best.drain().collect();
    v.sort_unstable();
    v.truncate(k);
    v.into_iter().map(|c| (c.id, c.dist)).collect()
}

/// HNSW k-NN search of a prepared query; rows restricted by `filter`.
pub(crate) fn graph_search<L: Links, V: VectorSource>(
    g: &L,
    vectors: &V,
    query: &[f32],
    k: usize,
    ef: usize,
    filter: &SearchFilter<'_>,
    s: &mut Scratch,
) -> Vec<(u32, f32)> {
    let Some((ep, max_level)) = g.entry() else {
        return Vec::new();
    };
    let mut cur = Cand {
        dist: distance(vectors.metric(), query, vectors.vector(ep)),
        id: ep,
    };
    for level in (2..=max_level).rev() {
        cur = greedy(g, vectors, query, cur, level, &mut s.links);
    }
    // On layer 1, keep a few candidates instead of one and start layer 0
    // from all of them: a single greedy path sometimes ends in the wrong
    // cluster, from which a small-ef search on layer 0 cannot escape.
    let mut entries = std::mem::take(&mut s.cands);
    entries.clear();
    if max_level >= 1 {
        search_layer::<_, _, false>(g, vectors, query, &[cur], 1, UPPER_EF, |_| true, s);
        entries.extend(s.best.drain());
    } else {
        entries.push(cur);
    }
    let ef = ef.max(k);
    if filter.is_none() {
        search_layer::<_, _, false>(g, vectors, query, &entries, 0, ef, |_| true, s);
    } else {
        search_layer::<_, _, true>(g, vectors, query, &entries, 0, ef, |r| filter.accepts(r), s);
    }
    s.cands = entries;
    take_best(s, k)
}

/// Exact top-`k` of a prepared query over rows `0..n` allowed by `filter`.
pub(crate) fn exact_search<V: VectorSource>(
    vectors: &V,
    query: &[f32],
    k: usize,
    n: usize,
    filter: &SearchFilter<'_>,
    s: &mut Scratch,
) -> Vec<(u32, f32)> {
    let dist = Distance::new(vectors.metric());
    let best = &mut s.best;
    best.clear();
    if k == 0 {
        return Vec::new();
    }
    let mut offer = |row: u32| {
        let d = dist.eval(query, vectors.vector(row));
        if best.len() < k {
            best.push(Cand { dist: d, id: row });
        } else if let Some(w) = best.peek() {
            let c = Cand { dist: d, id: row };
            if c < *w {
                best.pop();
                best.push(c);
            }
        }
    };
    let deny = filter.deny_set();
    let n32 = u32::try_from(n).unwrap_or(u32::MAX);
    match filter.allow_set() {
        Some(allow) => {
            for row in allow.iter().take_while(|&r| r < n32) {
                if deny.is_none_or(|d| !d.contains(row)) {
                    offer(row);
                }
            }
        }
        None => {
            for row in 0..n32 {
                if deny.is_none_or(|d| !d.contains(row)) {
                    offer(row);
                }
            }
        }
    }
    take_best(s, k)
}
