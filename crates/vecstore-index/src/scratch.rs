//! Per-thread search state reused across queries so the search loop does not
//! allocate: a generation-stamped visited set, the two heaps and buffers.

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A row and its internal distance to the query; ordered by distance, then
/// row id, so heaps are deterministic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cand {
    pub dist: f32,
    pub id: u32,
}

impl Eq for Cand {}

impl PartialOrd for Cand {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cand {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        match self.dist.partial_cmp(&other.dist) {
            Some(Ordering::Equal) | None => self.id.cmp(&other.id),
            Some(o) => o,
        }
    }
}

/// Visited marks as a per-row stamp: a row is visited when its stamp equals
/// the current generation, so starting a new search is O(1) instead of
/// clearing `n` entries. The array is cleared only when the u16 stamp wraps.
#[derive(Debug, Default)]
pub(crate) struct Visited {
    marks: Vec<u16>,
    generation: u16,
}

impl Visited {
    /// Starts a new search over `n` rows.
    pub fn reset(&mut self, n: usize) {
        if self.marks.len() < n {
            self.marks.resize(n, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.marks.iter_mut().for_each(|m| *m = 0);
            self.generation = 1;
        }
    }

    /// Marks `row`; returns whether it was unvisited.
    #[inline]
    pub fn insert(&mut self, row: u32) -> bool {
        let g = self.generation;
        match self.marks.get_mut(row as usize) {
            Some(m) if *m != g => {
                *m = g;
                true
            }
            _ => false,
        }
    }
}

/// Everything one search or one insertion needs besides the graph.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub visited: Visited,
    /// Frontier, closest first.
    pub frontier: BinaryHeap<Reverse<Cand>>,
    /// Best `ef` found so far, worst on top.
    pub best: BinaryHeap<Cand>,
    /// Neighbour ids copied out of a concurrently written graph.
    pub links: Vec<u32>,
    /// Unvisited neighbours of the node being expanded.
    pub fresh: Vec<u32>,
    /// Prepared copy of the query.
    pub query: Vec<f32>,
    /// Insertion: layer candidates, closest first.
    pub cands: Vec<Cand>,
    /// Insertion: the links chosen for the new node.
    pub selected: Vec<u32>,
    /// Insertion: a neighbour's list being rewritten.
    pub list: Vec<u32>,
    /// Insertion: candidates while pruning a neighbour's list.
    pub prune: Vec<Cand>,
    /// Insertion: links kept while pruning.
    pub kept: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch (a fresh one if it is already in use,
/// which only happens if `f` re-enters the index).
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut Scratch::default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visited_generations() {
        let mut v = Visited::default();
        for _ in 0..70_000 {
            v.reset(10);
            assert!(v.insert(3));
            assert!(!v.insert(3));
            assert!(v.insert(4));
        }
        assert!(!v.insert(10), "out of range rows count as visited");
    }

    #[test]
    fn cand_order() {
        let a = Cand { dist: 1.0, id: 5 };
        let b = Cand { dist: 1.0, id: 6 };
        let c = Cand { dist: 0.5, id: 9 };
        assert!(c < a && a < b);
    }
}
