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

/// The `ef` closest rows found so far, sorted ascending, each marked once it
/// has been expanded: the result list and the frontier of an unfiltered
/// best-first search in one small array (as in NSG and DiskANN).
///
/// This equals HNSW's two heaps: a frontier entry that is not among the
/// `ef` closest is never expanded there either (the search stops as soon as
/// the closest frontier entry is farther than the `ef`-th result), so
/// keeping only the `ef` closest loses nothing. A sorted array of at most a
/// few hundred entries beats two binary heaps: an insertion is a count and
/// a short `memmove`, the next node to expand is found by a cursor that
/// only moves back when a closer row arrives.
///
/// Each entry is one `u64` key, distance bits above, id below, ordered as
/// [`Cand`] orders (distance, then id): the insertion position is the
/// number of keys below the new one, a branch-free count the compiler
/// vectorises (a binary search over `Cand`s mispredicted about every other
/// step and was a tenth of the search time on siftsmall), and an insertion
/// moves two small arrays.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    keys: Vec<u64>,
    expanded: Vec<bool>,
    cap: usize,
    /// No unexpanded entry lies before this index.
    cursor: usize,
}

/// `f32` bits mapped to a `u32` that orders as the floats do (negative
/// floats have all bits flipped, the others only the sign bit).
#[inline(always)]
fn ordered_bits(x: f32) -> u32 {
    let b = x.to_bits();
    if b >> 31 == 1 { !b } else { b | 1 << 31 }
}

#[inline(always)]
fn from_ordered_bits(k: u32) -> f32 {
    f32::from_bits(if k >> 31 == 1 { k & !(1 << 31) } else { !k })
}

#[inline(always)]
fn key(c: Cand) -> u64 {
    (ordered_bits(c.dist) as u64) << 32 | c.id as u64
}

#[inline(always)]
fn cand(k: u64) -> Cand {
    Cand {
        dist: from_ordered_bits((k >> 32) as u32),
        id: k as u32,
    }
}

impl Pool {
    /// Empties the pool and sets its capacity (at least 1).
    pub fn reset(&mut self, cap: usize) {
        self.keys.clear();
        self.expanded.clear();
        self.cap = cap.max(1);
        self.cursor = 0;
    }

    /// Distance a row must beat to enter: that of the `cap`-th entry, or
    /// infinity while the pool is not full.
    #[inline(always)]
    pub fn bound(&self) -> f32 {
        if self.keys.len() < self.cap {
            f32::INFINITY
        } else {
            cand(self.keys[self.cap - 1]).dist
        }
    }

    /// Inserts `c` (unexpanded) if it is among the `cap` closest; returns
    /// whether it was kept. A NaN distance is never kept.
    #[inline]
    pub fn insert(&mut self, c: Cand) -> bool {
        if c.dist.is_nan() {
            return false;
        }
        let k = key(c);
        let pos = self.keys.iter().map(|&x| (x < k) as u32).sum::<u32>() as usize;
        if pos >= self.cap {
            return false;
        }
        if self.keys.len() == self.cap {
            self.keys.pop();
            self.expanded.pop();
        }
        self.keys.insert(pos, k);
        self.expanded.insert(pos, false);
        if pos < self.cursor {
            self.cursor = pos;
        }
        true
    }

    /// The closest unexpanded entry, now marked expanded.
    #[inline]
    pub fn next(&mut self) -> Option<Cand> {
        let i = self.peek_index()?;
        self.expanded[i] = true;
        self.cursor = i + 1;
        Some(cand(self.keys[i]))
    }

    /// The closest unexpanded entry, left unexpanded.
    #[inline]
    pub fn peek(&mut self) -> Option<Cand> {
        self.peek_index().map(|i| cand(self.keys[i]))
    }

    #[inline]
    fn peek_index(&mut self) -> Option<usize> {
        while self.cursor < self.expanded.len() {
            if !self.expanded[self.cursor] {
                return Some(self.cursor);
            }
            self.cursor += 1;
        }
        None
    }

    /// The entries, closest first.
    pub fn items(&self) -> impl ExactSizeIterator<Item = Cand> + '_ {
        self.keys.iter().map(|&k| cand(k))
    }
}

/// Everything one search or one insertion needs besides the graph.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub visited: Visited,
    /// Frontier, closest first.
    pub frontier: BinaryHeap<Reverse<Cand>>,
    /// Best `ef` found so far, worst on top (filtered search).
    pub best: BinaryHeap<Cand>,
    /// Result list and frontier of an unfiltered search.
    pub pool: Pool,
    /// Neighbour ids copied out of a concurrently written graph.
    pub links: Vec<u32>,
    /// Unvisited neighbours of the node being expanded.
    pub fresh: Vec<u32>,
    /// Prepared copy of the query.
    pub query: Vec<f32>,
    /// Insertion: layer candidates, closest first.
    pub cands: Vec<Cand>,
    /// Insertion: the links chosen for the new node on one layer.
    pub selected: Vec<u32>,
    /// Insertion: the links chosen on every layer, concatenated.
    pub chosen: Vec<u32>,
    /// Insertion: `(layer, start, end)` of each layer's links in `chosen`.
    pub chosen_at: Vec<(u8, usize, usize)>,
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
    fn pool_keeps_closest_and_expands_in_order() {
        let mut p = Pool::default();
        p.reset(3);
        for (d, id) in [(5.0, 1), (3.0, 2), (4.0, 3)] {
            assert!(p.insert(Cand { dist: d, id }));
        }
        assert_eq!(p.bound(), 5.0);
        assert_eq!(p.next().map(|c| c.id), Some(2));
        assert!(!p.insert(Cand { dist: 6.0, id: 4 }));
        assert!(p.insert(Cand { dist: 1.0, id: 5 }));
        assert_eq!(p.bound(), 4.0);
        assert_eq!(p.next().map(|c| c.id), Some(5));
        assert_eq!(p.next().map(|c| c.id), Some(3));
        assert_eq!(p.next(), None);
        let ids: Vec<u32> = p.items().map(|c| c.id).collect();
        assert_eq!(ids, vec![5, 2, 3]);
        // Ties are ordered by id, NaN is never kept.
        assert!(p.insert(Cand { dist: 1.0, id: 4 }));
        assert!(p.insert(Cand { dist: 1.0, id: 1 }));
        assert!(!p.insert(Cand {
            dist: f32::NAN,
            id: 9
        }));
        let ids: Vec<u32> = p.items().map(|c| c.id).collect();
        assert_eq!(ids, vec![1, 4, 5]);
    }

    #[test]
    fn keys_order_as_cands_and_round_trip() {
        let ds = [
            -3.5f32,
            -1.0,
            -1e-30,
            0.0,
            1e-30,
            0.25,
            1.0,
            7.0,
            f32::INFINITY,
        ];
        let mut cands = Vec::new();
        for &d in &ds {
            for id in [0u32, 1, u32::MAX - 1] {
                cands.push(Cand { dist: d, id });
            }
        }
        for &a in &cands {
            assert_eq!(cand(key(a)), a);
            for &b in &cands {
                assert_eq!(key(a).cmp(&key(b)), a.cmp(&b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn cand_order() {
        let a = Cand { dist: 1.0, id: 5 };
        let b = Cand { dist: 1.0, id: 6 };
        let c = Cand { dist: 0.5, id: 9 };
        assert!(c < a && a < b);
    }
}
