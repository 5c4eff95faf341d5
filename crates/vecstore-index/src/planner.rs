//! Choosing between an exact scan and a graph traversal, and the entry
//! points that prepare the query and run the chosen plan.

use crate::filter::SearchFilter;
use crate::graph::{HnswView, Links};
use crate::scratch::with_scratch;
use crate::search::{exact_search, graph_search};
use crate::vectors::VectorSource;

/// How a search is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Plan {
    /// Let [`choose_plan`] decide (the default).
    #[default]
    Auto,
    /// Scan every allowed row: exact, cost proportional to the allowed rows.
    Exact,
    /// HNSW traversal, collecting only allowed rows.
    Graph,
}

/// Graphs this small are always scanned.
pub const SMALL_GRAPH: usize = 256;

/// Cost-model constant of [`choose_plan`]; see there.
pub const EXACT_FACTOR: usize = 12;

/// The plan [`Plan::Auto`] runs for a graph of `n` rows.
///
/// A filtered traversal that must find `ef` allowed rows at selectivity
/// `s = allowed / n` expands about `1/s` times as many nodes as an
/// unfiltered one, so it costs roughly `c * ef / s` distance computations
/// (`c`: distances per collected row, tens for `m = 16`), while the exact
/// scan costs `s * n`. The scan wins when `allowed^2 <= EXACT_FACTOR * ef * n`
/// (`EXACT_FACTOR` = 12 measured on SIFT and MiniLM data, see
/// docs/architecture.md). Unfiltered searches use the graph unless
/// `n <= SMALL_GRAPH`.
pub fn choose_plan(n: usize, filter: &SearchFilter<'_>, k: usize, ef: usize) -> Plan {
    if n <= SMALL_GRAPH {
        return Plan::Exact;
    }
    if filter.is_none() {
        return Plan::Graph;
    }
    let allowed = filter.estimate(n) as u128;
    let ef = ef.max(k) as u128;
    if allowed * allowed <= EXACT_FACTOR as u128 * ef * n as u128 {
        Plan::Exact
    } else {
        Plan::Graph
    }
}

/// Prepares `query` for the metric and runs `plan` over the first
/// `g.nodes()` rows.
pub(crate) fn run<L: Links, V: VectorSource>(
    g: &L,
    vectors: &V,
    query: &[f32],
    k: usize,
    ef: usize,
    filter: &SearchFilter<'_>,
    plan: Plan,
) -> Vec<(u32, f32)> {
    let n = g.nodes();
    if k == 0 || n == 0 || query.len() != vectors.dim() || vectors.len() < n {
        return Vec::new();
    }
    let plan = match plan {
        Plan::Auto => choose_plan(n, filter, k, ef),
        p => p,
    };
    with_scratch(|s| {
        let mut q = std::mem::take(&mut s.query);
        q.clear();
        q.extend_from_slice(query);
        vectors.metric().prepare(&mut q);
        let hits = match plan {
            Plan::Graph => {
                let mut ef = ef.max(k);
                let mut hits = graph_search(g, vectors, &q, k, ef, filter, s);
                if hits.len() < k {
                    // Too few: the allowed rows may be few or poorly
                    // connected. Widen ef once, then fall back to the scan,
                    // so the result always has min(k, allowed) rows.
                    let want = filter.count(n).min(k);
                    if hits.len() < want && ef < n {
                        ef = ef.saturating_mul(4).min(n);
                        hits = graph_search(g, vectors, &q, k, ef, filter, s);
                    }
                    if hits.len() < want {
                        hits = exact_search(vectors, &q, k, n, filter, s);
                    }
                }
                hits
            }
            _ => exact_search(vectors, &q, k, n, filter, s),
        };
        s.query = q;
        hits
    })
}

impl HnswView<'_> {
    /// The `k` rows nearest to `query` that `filter` allows, as
    /// `(row, internal distance)` best first (turn distances into scores
    /// with [`Metric::score`](vecstore_core::Metric::score)).
    ///
    /// - `query` is given raw: the index prepares it for the metric of
    ///   `vectors` (normalises for cosine), so callers need not.
    /// - `ef` is the search breadth (raised to `k` if smaller); see
    ///   [`DEFAULT_EF_SEARCH`](crate::DEFAULT_EF_SEARCH).
    /// - The planner ([`choose_plan`]) picks an exact scan or a filtered
    ///   traversal; the result always holds `min(k, allowed rows)` hits.
    /// - `vectors` must hold at least [`HnswView::len`] rows of the graph's
    ///   dimension; rows beyond the graph are not searched. A query of the
    ///   wrong length, `k == 0` or too short a `vectors` give an empty result
    ///   (callers validate input first with `vecstore_core::validate`).
    pub fn search<V: VectorSource>(
        &self,
        vectors: &V,
        query: &[f32],
        k: usize,
        ef: usize,
        filter: &SearchFilter<'_>,
    ) -> Vec<(u32, f32)> {
        run(self, vectors, query, k, ef, filter, Plan::Auto)
    }

    /// [`HnswView::search`] with a forced plan (for benchmarks and tests).
    pub fn search_with_plan<V: VectorSource>(
        &self,
        vectors: &V,
        query: &[f32],
        k: usize,
        ef: usize,
        filter: &SearchFilter<'_>,
        plan: Plan,
    ) -> Vec<(u32, f32)> {
        run(self, vectors, query, k, ef, filter, plan)
    }
}

/// Exact top-`k` over all rows of `vectors` that `filter` allows, as
/// `(row, internal distance)` best first; `query` is given raw (prepared
/// here). This is the oracle for the graph and the plan for small or highly
/// selective searches. Returns `min(k, allowed rows)` hits.
///
/// ```
/// use vecstore_core::Metric;
/// use vecstore_index::{flat_search, SearchFilter, VectorStore};
/// let v = VectorStore::from_rows(1, Metric::L2, &[0.0, 5.0, 2.0]).unwrap();
/// let hits = flat_search(&v, &[1.9], 2, &SearchFilter::NONE);
/// assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), vec![2, 0]);
/// ```
pub fn flat_search<V: VectorSource>(
    vectors: &V,
    query: &[f32],
    k: usize,
    filter: &SearchFilter<'_>,
) -> Vec<(u32, f32)> {
    if k == 0 || query.len() != vectors.dim() {
        return Vec::new();
    }
    with_scratch(|s| {
        let mut q = std::mem::take(&mut s.query);
        q.clear();
        q.extend_from_slice(query);
        vectors.metric().prepare(&mut q);
        let hits = exact_search(vectors, &q, k, vectors.len(), filter, s);
        s.query = q;
        hits
    })
}
