//! The HNSW graph as flat arrays: the owned [`Hnsw`], its borrowed
//! [`HnswParts`] and the validated read-only [`HnswView`].
//!
//! Layout (all `u32`, little-endian when stored by the storage engine):
//! - `level0`: `n` lists of fixed stride `1 + 2m`; slot 0 holds the count,
//!   slots `1..=count` the neighbour row ids.
//! - `levels[i]`: the top layer of row `i` (0 = only layer 0).
//! - `upper`: for each row with `levels[i] > 0`, `levels[i]` lists of stride
//!   `1 + m` (layers 1, 2, ...), packed in row order; row `i`'s lists start
//!   at `upper_offsets[i]` (`n + 1` offsets, `upper_offsets[n] == upper.len()`).

use vecstore_core::{Error, Result};

/// Highest layer a node may have. With `m >= 2` the chance of drawing a
/// level this high is below 2^-16 per node; the cap keeps `u8` levels and
/// validation simple.
pub const MAX_LEVEL: u8 = 16;
/// Largest supported `m`.
pub const MAX_M: usize = 256;
/// The `ef` used when the caller has no preference. On SIFT-like data with
/// `m = 16` it gives recall@10 around 0.98.
pub const DEFAULT_EF_SEARCH: usize = 64;

/// Build parameters of an HNSW graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswParams {
    /// Links per node on the upper layers; layer 0 keeps `2m`.
    pub m: usize,
    /// Candidate list size while inserting; larger builds a better graph
    /// more slowly.
    pub ef_construction: usize,
    /// Seed of the level generator: the same seed and insertion order give
    /// the same graph (a parallel build gives the same levels, but its links
    /// depend on thread timing).
    pub seed: u64,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            m: 16,
            ef_construction: 200,
            seed: 42,
        }
    }
}

impl HnswParams {
    /// Checks `2 <= m <= 256` and `1 <= ef_construction <= 100_000`.
    pub fn validate(&self) -> Result<()> {
        if !(2..=MAX_M).contains(&self.m) {
            return Err(Error::InvalidArgument {
                name: "m",
                value: self.m.to_string(),
                reason: "must be between 2 and 256",
            });
        }
        if !(1..=100_000).contains(&self.ef_construction) {
            return Err(Error::InvalidArgument {
                name: "ef_construction",
                value: self.ef_construction.to_string(),
                reason: "must be between 1 and 100000",
            });
        }
        Ok(())
    }
}

/// The graph's arrays, borrowed; see the module docs for the layout. This is
/// what the storage engine writes to a segment file and hands back to
/// [`HnswView::from_parts`] when it maps the file.
#[derive(Debug, Clone, Copy)]
pub struct HnswParts<'a> {
    /// Upper-layer links per node (layer 0 has `2m`).
    pub m: usize,
    /// Layer-0 lists, stride `1 + 2m`, count in slot 0.
    pub level0: &'a [u32],
    /// Top layer of each node; its length is the node count `n`.
    pub levels: &'a [u8],
    /// `n + 1` offsets into `upper`.
    pub upper_offsets: &'a [u32],
    /// Upper-layer lists, stride `1 + m`, count in slot 0.
    pub upper: &'a [u32],
    /// Where searches start; ignored when `n == 0`.
    pub entry_point: u32,
    /// Top layer of the entry point (0 when `n == 0`).
    pub max_level: u8,
}

/// A read-only HNSW graph over borrowed arrays (e.g. a memory-mapped
/// segment). Cheap to copy; `Send + Sync`; search with
/// [`HnswView::search`](crate::HnswView::search).
#[derive(Debug, Clone, Copy)]
pub struct HnswView<'a> {
    pub(crate) parts: HnswParts<'a>,
}

fn corrupt(reason: String) -> Error {
    Error::corruption("hnsw graph", 0, reason)
}

impl<'a> HnswView<'a> {
    /// Validates `parts` and wraps them. Checks every length, every count
    /// and every neighbour id (`< n`, and on layer `l` only nodes that have
    /// layer `l`), and the entry point; returns [`Error::Corruption`] (path
    /// `"hnsw graph"`, offset = index of the bad `u32`) instead of panicking.
    /// Cost: one pass over the arrays.
    pub fn from_parts(parts: HnswParts<'a>) -> Result<Self> {
        let m = parts.m;
        if !(2..=MAX_M).contains(&m) {
            return Err(corrupt(format!("m = {m} is outside 2..=256")));
        }
        let n = parts.levels.len();
        if n >= u32::MAX as usize {
            return Err(corrupt(format!("{n} nodes is too many")));
        }
        let stride0 = 1 + 2 * m;
        if n.checked_mul(stride0) != Some(parts.level0.len()) {
            return Err(corrupt(format!(
                "level0 has {} entries, expected {n} x {stride0}",
                parts.level0.len()
            )));
        }
        if parts.upper_offsets.len() != n + 1 {
            return Err(corrupt(format!(
                "upper_offsets has {} entries, expected {}",
                parts.upper_offsets.len(),
                n + 1
            )));
        }
        if parts.max_level > MAX_LEVEL {
            return Err(corrupt(format!(
                "max level {} > {MAX_LEVEL}",
                parts.max_level
            )));
        }
        if n == 0 {
            if parts.max_level != 0 || parts.upper_offsets[0] != 0 || !parts.upper.is_empty() {
                return Err(corrupt("empty graph with upper layers".into()));
            }
            return Ok(HnswView { parts });
        }
        let ep = parts.entry_point as usize;
        if ep >= n {
            return Err(corrupt(format!("entry point {ep} >= node count {n}")));
        }
        if parts.levels[ep] != parts.max_level {
            return Err(corrupt(format!(
                "entry point {ep} has level {}, max level is {}",
                parts.levels[ep], parts.max_level
            )));
        }
        let check_list = |list: &[u32], base: usize, cap: usize, level: u8| -> Result<()> {
            let count = list[0] as usize;
            if count > cap {
                return Err(Error::corruption(
                    "hnsw graph",
                    base as u64,
                    format!("list holds {count} links, capacity {cap}"),
                ));
            }
            for (j, &nb) in list[1..=count].iter().enumerate() {
                let ok = (nb as usize) < n && parts.levels[nb as usize] >= level;
                if !ok {
                    return Err(Error::corruption(
                        "hnsw graph",
                        (base + 1 + j) as u64,
                        format!("neighbour {nb} is not a node of layer {level}"),
                    ));
                }
            }
            Ok(())
        };
        for (i, list) in parts.level0.chunks_exact(stride0).enumerate() {
            check_list(list, i * stride0, 2 * m, 0)?;
        }
        if parts.upper_offsets[0] != 0 {
            return Err(corrupt("upper_offsets[0] != 0".into()));
        }
        let stride = 1 + m;
        for i in 0..n {
            let level = parts.levels[i];
            if level > parts.max_level {
                return Err(corrupt(format!(
                    "node {i} has level {level} above max level {}",
                    parts.max_level
                )));
            }
            let (start, end) = (
                parts.upper_offsets[i] as usize,
                parts.upper_offsets[i + 1] as usize,
            );
            if end < start || end - start != level as usize * stride || end > parts.upper.len() {
                return Err(corrupt(format!(
                    "node {i}: upper lists span {start}..{end}, expected {} entries",
                    level as usize * stride
                )));
            }
            for l in 1..=level {
                let base = start + (l as usize - 1) * stride;
                check_list(&parts.upper[base..base + stride], base, m, l)?;
            }
        }
        if parts.upper_offsets[n] as usize != parts.upper.len() {
            return Err(corrupt(format!(
                "upper has {} entries, offsets end at {}",
                parts.upper.len(),
                parts.upper_offsets[n]
            )));
        }
        Ok(HnswView { parts })
    }

    /// The arrays behind this view.
    pub fn parts(&self) -> HnswParts<'a> {
        self.parts
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.parts.levels.len()
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.parts.levels.is_empty()
    }
}

/// Read access to neighbour lists, shared by the validated view and the
/// concurrently built graph.
pub(crate) trait Links: Sync {
    /// Number of nodes.
    fn nodes(&self) -> usize;
    /// Entry point and its level, `None` for an empty graph.
    fn entry(&self) -> Option<(u32, u8)>;
    /// Hints the CPU to load the layer-0 list of `node` soon.
    fn prefetch_level0(&self, _node: u32) {}
    /// Calls `f` with the neighbours of `node` on `level` (empty if the node
    /// has no such layer). `buf` may be used to copy the list.
    fn with_links<R>(
        &self,
        node: u32,
        level: u8,
        buf: &mut Vec<u32>,
        f: impl FnOnce(&[u32]) -> R,
    ) -> R;
}

impl Links for HnswView<'_> {
    #[inline]
    fn nodes(&self) -> usize {
        self.parts.levels.len()
    }

    #[inline(always)]
    fn prefetch_level0(&self, node: u32) {
        let stride = 1 + 2 * self.parts.m;
        let start = node as usize * stride;
        if let Some(list) = self.parts.level0.get(start..start + stride) {
            // The whole list (count and links), which may straddle one
            // more line than its length needs.
            vecstore_core::kernels::prefetch(list, usize::MAX);
        }
    }

    #[inline]
    fn entry(&self) -> Option<(u32, u8)> {
        (!self.parts.levels.is_empty()).then_some((self.parts.entry_point, self.parts.max_level))
    }

    #[inline]
    fn with_links<R>(
        &self,
        node: u32,
        level: u8,
        _buf: &mut Vec<u32>,
        f: impl FnOnce(&[u32]) -> R,
    ) -> R {
        let p = &self.parts;
        let node = node as usize;
        let list: &[u32] = if level == 0 {
            let stride = 1 + 2 * p.m;
            let base = node * stride;
            let count = (p.level0[base] as usize).min(2 * p.m);
            &p.level0[base + 1..base + 1 + count]
        } else if p.levels.get(node).is_some_and(|&l| l >= level) {
            let stride = 1 + p.m;
            let base = p.upper_offsets[node] as usize + (level as usize - 1) * stride;
            let count = (p.upper[base] as usize).min(p.m);
            &p.upper[base + 1..base + 1 + count]
        } else {
            &[]
        };
        f(list)
    }
}
