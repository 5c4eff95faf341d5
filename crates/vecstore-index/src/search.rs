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

/// Cache lines of one vector of `dim` components.
#[inline(always)]
fn vector_lines(dim: usize) -> usize {
    (dim * std::mem::size_of::<f32>()).div_ceil(64)
}

/// Unfiltered best-first search of layer `level` from `entries`, leaving
/// the `ef` closest rows in `s.pool` (closest first).
///
/// Memory latency, not arithmetic, bounds this loop once the vectors
/// outgrow L2: an expansion first marks the node's unvisited neighbours,
/// then prefetches the first of their vectors and the link list of the
/// node most likely expanded next (the closest unexpanded one, so that
/// list has the whole distance loop to arrive; a closer row entering the
/// pool meanwhile is prefetched at the end), and while computing each
/// distance prefetches the vector two places ahead (so a few loads are in
/// flight and the CPU's fill buffers are not swamped).
pub(crate) fn search_pool<L: Links, V: VectorSource>(
    g: &L,
    vectors: &V,
    query: &[f32],
    entries: &[Cand],
    level: u8,
    ef: usize,
    s: &mut Scratch,
) {
    let dist = Distance::new(vectors.metric());
    let lines = vector_lines(vectors.dim());
    let Scratch {
        visited,
        pool,
        links,
        fresh,
        ..
    } = s;
    visited.reset(g.nodes());
    pool.reset(ef);
    for &entry in entries {
        if visited.insert(entry.id) {
            pool.insert(entry);
        }
    }
    while let Some(c) = pool.next() {
        fresh.clear();
        g.with_links(c.id, level, links, |ls| {
            for &nb in ls {
                if visited.insert(nb) {
                    fresh.push(nb);
                }
            }
        });
        for &nb in fresh.iter().take(AHEAD) {
            prefetch(vectors.vector(nb), lines);
        }
        let guess = pool.peek().map(|n| n.id);
        if level == 0
            && let Some(id) = guess
        {
            g.prefetch_level0(id);
        }
        let mut bound = pool.bound();
        for (i, &nb) in fresh.iter().enumerate() {
            if let Some(&next) = fresh.get(i + AHEAD) {
                prefetch(vectors.vector(next), lines);
            }
            let d = dist.eval(query, vectors.vector(nb));
            if d < bound && pool.insert(Cand { dist: d, id: nb }) {
                bound = pool.bound();
            }
        }
        if level == 0
            && let Some(next) = pool.peek()
            && Some(next.id) != guess
        {
            g.prefetch_level0(next.id);
        }
    }
}

/// How many vectors ahead of the distance being computed are prefetched.
const AHEAD: usize = 2;

/// Filtered best-first search of layer 0 from `entries`, keeping the `ef`
/// closest rows that `accept` allows in `s.best` (worst on top).
///
/// Rows that `accept` rejects are still expanded (so the walk stays
/// connected) but never enter `s.best`, and the walk does not stop before
/// `ef` accepted rows are found or the frontier is empty. Unlike the
/// unfiltered [`search_pool`], the frontier is not bounded by the results,
/// so it is a separate heap.
pub(crate) fn search_filtered<L: Links, V: VectorSource>(
    g: &L,
    vectors: &V,
    query: &[f32],
    entries: &[Cand],
    ef: usize,
    accept: impl Fn(u32) -> bool,
    s: &mut Scratch,
) {
    let dist = Distance::new(vectors.metric());
    let lines = vector_lines(vectors.dim());
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
        if accept(entry.id) {
            best.push(entry);
            if best.len() > ef {
                best.pop();
            }
        }
    }
    let mut bound = best.peek().map_or(f32::INFINITY, |w| w.dist);
    while let Some(Reverse(c)) = frontier.pop() {
        if c.dist > bound && best.len() >= ef {
            break;
        }
        fresh.clear();
        g.with_links(c.id, 0, links, |ls| {
            for &nb in ls {
                if visited.insert(nb) {
                    fresh.push(nb);
                }
            }
        });
        for &nb in fresh.iter().take(AHEAD) {
            prefetch(vectors.vector(nb), lines);
        }
        for (i, &nb) in fresh.iter().enumerate() {
            if let Some(&next) = fresh.get(i + AHEAD) {
                prefetch(vectors.vector(next), lines);
            }
            let d = dist.eval(query, vectors.vector(nb));
            if best.len() < ef || d < bound {
                g.prefetch_level0(nb);
                frontier.push(Reverse(Cand { dist: d, id: nb }));
                if accept(nb) {
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
        search_pool(g, vectors, query, &[cur], 1, UPPER_EF, s);
        entries.extend(s.pool.items());
    } else {
        entries.push(cur);
    }
    let ef = ef.max(k);
    let hits = if filter.is_none() {
        search_pool(g, vectors, query, &entries, 0, ef, s);
        s.pool.items().take(k).map(|c| (c.id, c.dist)).collect()
    } else {
        search_filtered(g, vectors, query, &entries, ef, |r| filter.accepts(r), s);
        take_best(s, k)
    };
    s.cands = entries;
    hits
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
