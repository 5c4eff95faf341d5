//! Parallel bulk build: all threads insert into one graph of atomic `u32`
//! slots. Readers never lock (a list read while it is rewritten yields a mix
//! of old and new links, all valid nodes of that layer, which only perturbs
//! a construction-time search, as in hnswlib); writers lock the node's stripe.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use vecstore_core::{Error, Result};

use crate::build::{LinksMut, insert_node};
use crate::graph::{HnswParams, Links};
use crate::hnsw::Hnsw;
use crate::scratch::with_scratch;
use crate::vectors::VectorSource;

/// Number of write locks; a node uses `locks[node % STRIPES]`. Threads hold
/// one lock at a time, so striping cannot deadlock.
const STRIPES: usize = 1024;

struct AtomicGraph {
    m: usize,
    level0: Vec<AtomicU32>,
    levels: Vec<u8>,
    upper_offsets: Vec<u32>,
    upper: Vec<AtomicU32>,
    locks: Vec<Mutex<()>>,
    /// Entry point in the low 32 bits, its level above.
    entry: AtomicU64,
}

fn pack(ep: u32, level: u8) -> u64 {
    (level as u64) << 32 | ep as u64
}

fn unpack(x: u64) -> (u32, u8) {
    (x as u32, (x >> 32) as u8)
}

impl AtomicGraph {
    fn slot(&self, node: u32, level: u8) -> Option<(&[AtomicU32], usize)> {
        let m = self.m;
        if level == 0 {
            let base = node as usize * (1 + 2 * m);
            Some((&self.level0[base..base + 1 + 2 * m], 2 * m))
        } else if self.levels.get(node as usize).is_some_and(|&l| l >= level) {
            let base = self.upper_offsets[node as usize] as usize + (level as usize - 1) * (1 + m);
            Some((&self.upper[base..base + 1 + m], m))
        } else {
            None
        }
    }

    fn read(&self, node: u32, level: u8, out: &mut Vec<u32>) {
        out.clear();
        if let Some((slot, cap)) = self.slot(node, level) {
            // Acquire pairs with the Release in `write`: the links a count
            // covers were stored before the count.
            let count = (slot[0].load(Ordering::Acquire) as usize).min(cap);
            out.extend(slot[1..=count].iter().map(|a| a.load(Ordering::Relaxed)));
        }
    }

    fn write(&self, node: u32, level: u8, list: &[u32]) {
        if let Some((slot, cap)) = self.slot(node, level) {
            let n = list.len().min(cap);
            for (a, &v) in slot[1..=n].iter().zip(list) {
                a.store(v, Ordering::Relaxed);
            }
            slot[0].store(n as u32, Ordering::Release);
        }
    }

    fn lock(&self, node: u32) -> std::sync::MutexGuard<'_, ()> {
        // A poisoned stripe only means another insert panicked; the data it
        // guards is a plain list that is always valid, so carry on.
        self.locks[node as usize % STRIPES]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Clone, Copy)]
struct Shared<'a>(&'a AtomicGraph);

impl Links for Shared<'_> {
    fn nodes(&self) -> usize {
        self.0.levels.len()
    }

    fn entry(&self) -> Option<(u32, u8)> {
        Some(unpack(self.0.entry.load(Ordering::Acquire)))
    }

    #[inline]
    fn with_links<R>(
        &self,
        node: u32,
        level: u8,
        buf: &mut Vec<u32>,
        f: impl FnOnce(&[u32]) -> R,
    ) -> R {
        self.0.read(node, level, buf);
        f(buf)
    }
}

impl LinksMut for Shared<'_> {
    fn set(&mut self, node: u32, level: u8, list: &[u32]) {
        let _g = self.0.lock(node);
        self.0.write(node, level, list);
    }

    fn update(&mut self, node: u32, level: u8, tmp: &mut Vec<u32>, f: impl FnOnce(&mut Vec<u32>)) {
        let _g = self.0.lock(node);
        self.0.read(node, level, tmp);
        f(tmp);
        self.0.write(node, level, tmp);
    }
}

impl Hnsw {
    /// Builds a graph over all rows of `vectors` using the current rayon
    /// thread pool (run it inside `ThreadPool::install` to choose the number
    /// of threads). Node levels are the same as inserting the rows one by
    /// one with the same seed; the links depend on thread timing.
    pub fn build_parallel<V: VectorSource>(vectors: &V, params: HnswParams) -> Result<Hnsw> {
        let mut h = Hnsw::new(params)?;
        let n = vectors.len();
        if n >= u32::MAX as usize {
            return Err(Error::InvalidArgument {
                name: "rows",
                value: n.to_string(),
                reason: "a graph holds at most 2^32 - 1 rows",
            });
        }
        if n == 0 {
            return Ok(h);
        }
        let m = params.m;
        let levels: Vec<u8> = (0..n).map(|_| h.draw_level()).collect();
        let mut upper_offsets = Vec::with_capacity(n + 1);
        let mut total = 0usize;
        upper_offsets.push(0u32);
        for &l in &levels {
            total += l as usize * (1 + m);
            upper_offsets.push(u32::try_from(total).map_err(|_| Error::InvalidArgument {
                name: "rows",
                value: n.to_string(),
                reason: "the graph's upper layers exceed 2^32 entries",
            })?);
        }
        let g = AtomicGraph {
            m,
            level0: (0..n * (1 + 2 * m)).map(|_| AtomicU32::new(0)).collect(),
            levels,
            upper_offsets,
            upper: (0..total).map(|_| AtomicU32::new(0)).collect(),
            locks: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            entry: AtomicU64::new(0),
        };
        g.entry.store(pack(0, g.levels[0]), Ordering::Release);
        let top = Mutex::new(());
        let next = AtomicUsize::new(1);
        let work = || {
            let mut shared = Shared(&g);
            with_scratch(|s| {
                loop {
                    let row = next.fetch_add(1, Ordering::Relaxed);
                    if row >= n {
                        break;
                    }
                    let level = g.levels[row];
                    let entry = unpack(g.entry.load(Ordering::Acquire));
                    if level > entry.1 {
                        // A new top node: serialise with other such inserts
                        // so the entry point only ever moves up.
                        let _t = top.lock().unwrap_or_else(|e| e.into_inner());
                        let entry = unpack(g.entry.load(Ordering::Acquire));
                        let row32 = row as u32;
                        insert_node(
                            &mut shared,
                            vectors,
                            row32,
                            level,
                            entry,
                            m,
                            params.ef_construction,
                            s,
                        );
                        if level > entry.1 {
                            g.entry.store(pack(row32, level), Ordering::Release);
                        }
                    } else {
                        insert_node(
                            &mut shared,
                            vectors,
                            row as u32,
                            level,
                            entry,
                            m,
                            params.ef_construction,
                            s,
                        );
                    }
                }
            });
        };
        let threads = rayon::current_num_threads().max(1);
        rayon::scope(|sc| {
            for _ in 0..threads {
                sc.spawn(|_| work());
            }
        });
        let (ep, max_level) = unpack(g.entry.into_inner());
        h.level0 = g.level0.into_iter().map(AtomicU32::into_inner).collect();
        h.upper = g.upper.into_iter().map(AtomicU32::into_inner).collect();
        h.levels = g.levels;
        h.upper_offsets = g.upper_offsets;
        h.entry_point = ep;
        h.max_level = max_level;
        Ok(h)
    }
}
