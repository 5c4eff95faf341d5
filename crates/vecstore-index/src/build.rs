//! Inserting nodes: the HNSW insertion algorithm (shared by the sequential
//! [`Hnsw::insert`](crate::Hnsw::insert) and the parallel build) and
//! hnswlib's neighbour-selection heuristic.

use crate::graph::Links;
use crate::scratch::{Cand, Scratch};
use crate::search::{Distance, greedy, search_pool};
use crate::vectors::VectorSource;

/// Write access to neighbour lists. Implemented by the owned graph (plain
/// vectors, `&mut`) and by a handle to the concurrently built graph (atomics
/// plus striped locks; each thread owns a copy of the handle).
pub(crate) trait LinksMut: Links {
    /// Replaces the list of `node` on `level` with `list` (already within
    /// the layer's capacity).
    fn set(&mut self, node: u32, level: u8, list: &[u32]);
    /// Reads the list of `node` on `level` into `tmp`, lets `f` edit it and
    /// writes it back, atomically with respect to other updates of the node.
    fn update(&mut self, node: u32, level: u8, tmp: &mut Vec<u32>, f: impl FnOnce(&mut Vec<u32>));
}

/// hnswlib's `getNeighborsByHeuristic2`: walk candidates closest first and
/// keep one only if it is closer to the base than to every kept one, which
/// spreads links over directions instead of spending them on one cluster.
/// `cands` must be sorted ascending; at most `m` ids go to `out`.
pub(crate) fn select_neighbors<V: VectorSource>(
    vectors: &V,
    dist: Distance,
    cands: &[Cand],
    m: usize,
    out: &mut Vec<u32>,
) {
    out.clear();
    if cands.len() <= m {
        out.extend(cands.iter().map(|c| c.id));
        return;
    }
    for c in cands {
        if out.len() >= m {
            break;
        }
        let vc = vectors.vector(c.id);
        let good = out
            .iter()
            .all(|&kept| dist.eval(vc, vectors.vector(kept)) >= c.dist);
        if good {
            out.push(c.id);
        }
    }
}

/// Inserts `row` with top layer `level` into `g`, starting from `entry`
/// (the current entry point and its level). Does not update the entry point.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_node<G: LinksMut, V: VectorSource>(
    g: &mut G,
    vectors: &V,
    row: u32,
    level: u8,
    entry: (u32, u8),
    m: usize,
    ef_construction: usize,
    s: &mut Scratch,
) {
    let dist = Distance::new(vectors.metric());
    let q = vectors.vector(row);
    let (ep, max_level) = entry;
    let mut cur = Cand {
        dist: dist.eval(q, vectors.vector(ep)),
        id: ep,
    };
    let mut l = max_level;
    while l > level {
        cur = greedy(&*g, vectors, q, cur, l, &mut s.links);
        l -= 1;
    }
    // First choose the new node's links on every layer, then publish them
    // all, and only then link neighbours back to it. Until a neighbour
    // links to it no concurrent search can reach the node, so none ever
    // finds it with an empty list on a lower layer (it would start that
    // layer's search from a dead end and link the row it inserts to this
    // node alone), and no concurrent back-link is overwritten by `set`.
    s.chosen.clear();
    s.chosen_at.clear();
    for l in (0..=level.min(max_level)).rev() {
        search_pool(&*g, vectors, q, &[cur], l, ef_construction, s);
        s.cands.clear();
        s.cands.extend(s.pool.items().filter(|c| c.id != row));
        let Some(&closest) = s.cands.first() else {
            continue;
        };
        select_neighbors(vectors, dist, &s.cands, m, &mut s.selected);
        let start = s.chosen.len();
        s.chosen.extend_from_slice(&s.selected);
        s.chosen_at.push((l, start, s.chosen.len()));
        cur = closest;
    }
    for &(l, a, b) in &s.chosen_at {
        g.set(row, l, &s.chosen[a..b]);
    }
    let Scratch {
        chosen,
        chosen_at,
        list,
        prune,
        kept,
        ..
    } = s;
    for &(l, a, b) in chosen_at.iter() {
        let cap = if l == 0 { 2 * m } else { m };
        for &nb in &chosen[a..b] {
            g.update(nb, l, list, |links| {
                if links.contains(&row) {
                    return;
                }
                if links.len() < cap {
                    links.push(row);
                    return;
                }
                let vn = vectors.vector(nb);
                prune.clear();
                prune.extend(links.iter().map(|&x| Cand {
                    dist: dist.eval(vn, vectors.vector(x)),
                    id: x,
                }));
                prune.push(Cand {
                    dist: dist.eval(vn, q),
                    id: row,
                });
                prune.sort_unstable();
                select_neighbors(vectors, dist, prune, cap, kept);
                links.clear();
                links.extend_from_slice(kept);
            });
        }
    }
}
