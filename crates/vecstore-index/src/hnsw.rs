//! The owned, growable HNSW graph.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vecstore_core::{Error, Result};

use crate::build::{LinksMut, insert_node};
use crate::filter::SearchFilter;
use crate::graph::{HnswParams, HnswParts, HnswView, Links, MAX_LEVEL};
use crate::planner::Plan;
use crate::scratch::with_scratch;
use crate::vectors::VectorSource;

/// An owned HNSW graph in flat arrays (see [`HnswParts`] for the layout).
///
/// Grow it one row at a time with [`Hnsw::insert`] (rows in order
/// `0, 1, 2, ...`) or build it at once with [`Hnsw::build_parallel`]; search
/// it with [`Hnsw::search`] from any number of threads.
///
/// # Concurrency
/// `Hnsw` is `Send + Sync`; `search` takes `&self`, `insert` takes
/// `&mut self`. A mutable segment that must be searched while it grows
/// keeps the graph behind an `RwLock` (an insert of one row takes
/// about the time of one search with `ef = ef_construction`) or clones it
/// (`Hnsw: Clone`) and publishes the clone.
///
/// ```
/// use vecstore_core::Metric;
/// use vecstore_index::{Hnsw, HnswParams, SearchFilter, VectorStore};
/// let mut vectors = VectorStore::new(2, Metric::L2).unwrap();
/// let mut graph = Hnsw::new(HnswParams::default()).unwrap();
/// for i in 0..100 {
///     let row = vectors.push(&[i as f32, 0.0]).unwrap();
///     graph.insert(row, &vectors).unwrap();
/// }
/// let hits = graph.search(&vectors, &[41.2, 0.0], 2, 32, &SearchFilter::NONE);
/// assert_eq!(hits[0].0, 41);
/// assert_eq!(hits[1].0, 42);
/// ```
#[derive(Debug, Clone)]
pub struct Hnsw {
    pub(crate) params: HnswParams,
    pub(crate) level0: Vec<u32>,
    pub(crate) levels: Vec<u8>,
    pub(crate) upper_offsets: Vec<u32>,
    pub(crate) upper: Vec<u32>,
    pub(crate) entry_point: u32,
    pub(crate) max_level: u8,
    pub(crate) rng: ChaCha8Rng,
}

impl Hnsw {
    /// An empty graph.
    pub fn new(params: HnswParams) -> Result<Self> {
        params.validate()?;
        Ok(Hnsw {
            params,
            level0: Vec::new(),
            levels: Vec::new(),
            upper_offsets: vec![0],
            upper: Vec::new(),
            entry_point: 0,
            max_level: 0,
            rng: ChaCha8Rng::seed_from_u64(params.seed),
        })
    }

    /// The build parameters.
    pub fn params(&self) -> HnswParams {
        self.params
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.levels.len()
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Draws the next node's top layer: `floor(-ln(u) / ln(m))`, as in the
    /// HNSW paper, capped at [`MAX_LEVEL`].
    pub(crate) fn draw_level(&mut self) -> u8 {
        let u: f64 = 1.0 - self.rng.random::<f64>();
        let mult = 1.0 / (self.params.m as f64).ln();
        let l = (-u.ln() * mult).floor();
        if l >= MAX_LEVEL as f64 {
            MAX_LEVEL
        } else {
            l as u8
        }
    }

    /// Adds row `row` of `vectors` to the graph. Rows must be inserted in
    /// order: `row` must equal [`Hnsw::len`], and `vectors` must hold it.
    pub fn insert<V: VectorSource>(&mut self, row: u32, vectors: &V) -> Result<()> {
        if row as usize != self.len() || row == u32::MAX {
            return Err(Error::InvalidArgument {
                name: "row",
                value: row.to_string(),
                reason: "rows must be inserted in order 0, 1, 2, ...",
            });
        }
        if row as usize >= vectors.len() {
            return Err(Error::InvalidArgument {
                name: "row",
                value: row.to_string(),
                reason: "the vector source does not hold this row",
            });
        }
        let level = self.draw_level();
        let m = self.params.m;
        self.level0.resize(self.level0.len() + 1 + 2 * m, 0);
        self.levels.push(level);
        let upper_len = self.upper.len() + level as usize * (1 + m);
        let offset = u32::try_from(upper_len).map_err(|_| Error::InvalidArgument {
            name: "row",
            value: row.to_string(),
            reason: "the graph's upper layers exceed 2^32 entries",
        })?;
        self.upper.resize(upper_len, 0);
        self.upper_offsets.push(offset);
        if row == 0 {
            self.entry_point = 0;
            self.max_level = level;
            return Ok(());
        }
        let entry = (self.entry_point, self.max_level);
        let ef = self.params.ef_construction;
        with_scratch(|s| insert_node(self, vectors, row, level, entry, m, ef, s));
        if level > self.max_level {
            self.entry_point = row;
            self.max_level = level;
        }
        Ok(())
    }

    /// The arrays of the graph, e.g. to write them to a file.
    pub fn parts(&self) -> HnswParts<'_> {
        HnswParts {
            m: self.params.m,
            level0: &self.level0,
            levels: &self.levels,
            upper_offsets: &self.upper_offsets,
            upper: &self.upper,
            entry_point: self.entry_point,
            max_level: self.max_level,
        }
    }

    /// A read-only view of the graph (no validation needed: the owned graph
    /// upholds the invariants `HnswView::from_parts` checks).
    pub fn view(&self) -> HnswView<'_> {
        HnswView {
            parts: self.parts(),
        }
    }

    /// Bytes of graph arrays held in memory (capacities included).
    pub fn memory_bytes(&self) -> usize {
        4 * (self.level0.capacity() + self.upper.capacity() + self.upper_offsets.capacity())
            + self.levels.capacity()
    }

    /// Top-`k` rows nearest to `query`; see [`HnswView::search`].
    pub fn search<V: VectorSource>(
        &self,
        vectors: &V,
        query: &[f32],
        k: usize,
        ef: usize,
        filter: &SearchFilter<'_>,
    ) -> Vec<(u32, f32)> {
        self.view().search(vectors, query, k, ef, filter)
    }

    /// [`Hnsw::search`] with an explicit plan; see
    /// [`HnswView::search_with_plan`].
    pub fn search_with_plan<V: VectorSource>(
        &self,
        vectors: &V,
        query: &[f32],
        k: usize,
        ef: usize,
        filter: &SearchFilter<'_>,
        plan: Plan,
    ) -> Vec<(u32, f32)> {
        self.view()
            .search_with_plan(vectors, query, k, ef, filter, plan)
    }

    fn list_range(&self, node: u32, level: u8) -> Option<std::ops::Range<usize>> {
        let m = self.params.m;
        if level == 0 {
            let base = node as usize * (1 + 2 * m);
            Some(base..base + 1 + 2 * m)
        } else if self.levels.get(node as usize).is_some_and(|&l| l >= level) {
            let base = self.upper_offsets[node as usize] as usize + (level as usize - 1) * (1 + m);
            Some(base..base + 1 + m)
        } else {
            None
        }
    }

    fn list_mut(&mut self, node: u32, level: u8) -> Option<&mut [u32]> {
        let r = self.list_range(node, level)?;
        Some(if level == 0 {
            &mut self.level0[r]
        } else {
            &mut self.upper[r]
        })
    }
}

impl Links for Hnsw {
    #[inline]
    fn nodes(&self) -> usize {
        self.levels.len()
    }

    fn entry(&self) -> Option<(u32, u8)> {
        (!self.is_empty()).then_some((self.entry_point, self.max_level))
    }

    #[inline(always)]
    fn prefetch_level0(&self, node: u32) {
        self.view().prefetch_level0(node)
    }

    #[inline]
    fn with_links<R>(
        &self,
        node: u32,
        level: u8,
        buf: &mut Vec<u32>,
        f: impl FnOnce(&[u32]) -> R,
    ) -> R {
        self.view().with_links(node, level, buf, f)
    }
}

impl LinksMut for Hnsw {
    fn set(&mut self, node: u32, level: u8, list: &[u32]) {
        if let Some(slot) = self.list_mut(node, level) {
            let n = list.len().min(slot.len() - 1);
            slot[1..=n].copy_from_slice(&list[..n]);
            slot[0] = n as u32;
        }
    }

    fn update(&mut self, node: u32, level: u8, tmp: &mut Vec<u32>, f: impl FnOnce(&mut Vec<u32>)) {
        tmp.clear();
        if let Some(slot) = self.list_mut(node, level) {
            let count = (slot[0] as usize).min(slot.len() - 1);
            tmp.extend_from_slice(&slot[1..=count]);
        } else {
            return;
        }
        f(tmp);
        self.set(node, level, tmp);
    }
}
