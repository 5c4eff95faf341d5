//! Graph traversal (greedy descent on the upper layers, best-first search on
//! layer 0, optionally restricted by a [`SearchFilter`]) and the exact scan.

use std::cmp::Reverse;

use vecstore_core::Metric;

use crate::filter::SearchFilter;
use crate::graph::Links;
use crate::scratch::{Cand, Scratch};
use crate::vectors::VectorSource;

/// Internal distance between a prepared query and a stored row.
#[inline(always)]
pub(crate) fn distance(metric: Metric, a: &[f32], b: &[f32]) -> f32 {
    metric.distance(a, b)
}

/// Walks layer `level` greedily from `cur` to a local minimum.
pub(crate) fn greedy<L: Links, V: VectorSource>(
    g: &L,
    vectors: &V,
    query: &[f32],
    mut cur: Cand,
    level: u8,
    buf: &mut Vec<u32>,
) -> Cand {
    let metric = vectors.metric();
    loop {
        let before = cur.id;
        g.with_links(cur.id, level, buf, |links| {
            for &nb in links {
                let d = distance(metric, query, vectors.vector(nb));
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
    entry: Cand,
    level: u8,
    ef: usize,
    accept: impl Fn(u32) -> bool,
    s: &mut Scratch,
) {
    let metric = vectors.metric();
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
    visited.insert(entry.id);
    frontier.push(Reverse(entry));
    let mut bound = f32::INFINITY;
    if !FILTERED || accept(entry.id) {
        best.push(entry);
        bound = entry.dist;
    }
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
        for &nb in fresh.iter() {
            let d = distance(metric, query, vectors.vector(nb));
            if best.len() < ef || d < bound {
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
    let metric = vectors.metric();
    let mut cur = Cand {
        dist: distance(metric, query, vectors.vector(ep)),
        id: ep,
    };
    for level in (1..=max_level).rev() {
        cur = greedy(g, vectors, query, cur, level, &mut s.links);
    }
    let ef = ef.max(k);
    if filter.is_none() {
        search_layer::<_, _, false>(g, vectors, query, cur, 0, ef, |_| true, s);
    } else {
        search_layer::<_, _, true>(g, vectors, query, cur, 0, ef, |r| filter.accepts(r), s);
    }
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
    let metric = vectors.metric();
    let best = &mut s.best;
    best.clear();
    if k == 0 {
        return Vec::new();
    }
    let mut offer = |row: u32| {
        let d = distance(metric, query, vectors.vector(row));
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
