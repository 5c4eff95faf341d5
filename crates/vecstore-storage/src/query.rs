//! The read path: dense, keyword and hybrid queries, `get`, `count` and a
//! full scan, each over one consistent snapshot (see [`crate::view`]).

use crate::engine::Engine;
use crate::mutable::MutableData;
use crate::sealed::MetadataRows;
use crate::view::{SegData, SegRef, View, read};
use std::collections::HashMap;
use std::sync::Arc;
use vecstore_core::{
    Error, Filter, Fusion, HybridQuery, Metadata, Neighbor, Query, Record, Result, SearchOptions,
    validate,
};
use vecstore_sparse::fusion::{default_depth, fuse};
use vecstore_sparse::{CorpusStats, KeywordSegment};

/// A candidate hit: internal distance (dense, lower is better) or BM25
/// score (keyword, higher is better), with its id and, once known, its
/// metadata.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) value: f32,
    pub(crate) id: String,
    pub(crate) metadata: Option<Metadata>,
    /// Which immutable segment and row, for fetching metadata late.
    src: Option<(usize, u32)>,
}

impl Engine {
    /// Runs `f` with the mutable segment read-locked and the view that
    /// matches it.
    pub(crate) fn with_snapshot<R>(&self, f: impl FnOnce(&Arc<View>, &MutableData) -> R) -> R {
        loop {
            let v = self.view.load_full();
            let m = read(&v.mutable);
            let v2 = self.view.load_full();
            if Arc::ptr_eq(&v.mutable, &v2.mutable) {
                return f(&v2, &m);
            }
        }
    }

    /// Live rows (records with a vector or text).
    pub(crate) fn count(&self) -> usize {
        self.with_snapshot(|v, m| m.live() + live_in_entries(v))
    }

    pub(crate) fn get(&self, id: &str) -> Result<Option<Record>> {
        validate::id(id)?;
        self.check_open()?;
        self.with_snapshot(|v, m| Engine::locate_record(v, m, id))
    }

    /// Every live record, mutable segment first, then segments newest first.
    pub(crate) fn scan(&self, mut f: impl FnMut(Record) -> Result<()>) -> Result<()> {
        self.check_open()?;
        let (view, mutable) = self.with_snapshot(|v, m| {
            let mut rows = Vec::with_capacity(m.live());
            for row in 0..m.rows() {
                if !m.dead.contains(row) {
                    rows.push(m.record(row));
                }
            }
            (v.clone(), rows)
        });
        for r in mutable {
            f(r)?;
        }
        for e in view.entries.iter().rev() {
            let per_row = |seg: &SegRef<'_>, f: &mut dyn FnMut(Record) -> Result<()>| {
                for row in 0..seg.rows() {
                    if !e.dead.contains(row) {
                        f(seg.record(row)?)?;
                    }
                }
                Ok::<(), Error>(())
            };
            match &e.data {
                SegData::Frozen(fz) => per_row(&SegRef::Mem(&read(fz)), &mut f)?,
                SegData::Sealed(s) => per_row(&SegRef::Disk(s), &mut f)?,
            }
        }
        Ok(())
    }

    pub(crate) fn query(&self, q: &Query, opts: &SearchOptions) -> Result<Vec<Neighbor>> {
        self.check_open()?;
        validate::k(q.k)?;
        validate::vector(&q.vector, None)?;
        if let Some(f) = &q.filter {
            f.validate()?;
        }
        let ef = opts.ef_search.unwrap_or(self.config.ef_search);
        validate_ef(ef)?;
        let metric = self.config.metric;
        let hits = self.dense_hits(&q.vector, q.k, ef, opts.exact, q.filter.as_ref())?;
        Ok(hits
            .into_iter()
            .map(|h| Neighbor {
                id: h.id,
                score: metric.score(h.value),
                metadata: h.metadata.unwrap_or_default(),
            })
            .collect())
    }

    /// Dense top-`k` across all segments, best first, metadata attached.
    fn dense_hits(
        &self,
        vector: &[f32],
        k: usize,
        ef: usize,
        exact: bool,
        filter: Option<&Filter>,
    ) -> Result<Vec<Hit>> {
        let mut q = vector.to_vec();
        self.config.metric.prepare(&mut q);
        let ef = ef.max(k);
        let (view, mut hits) = self.with_snapshot(|v, m| {
            match v.dim {
                None => return Ok((v.clone(), None)),
                Some(d) if d != q.len() => {
                    if m.live() + live_in_entries(v) == 0 {
                        return Ok((v.clone(), None));
                    }
                    return Err(Error::DimensionMismatch {
                        expected: d,
                        got: q.len(),
                    });
                }
                Some(_) => {}
            }
            let seg = SegRef::Mem(m);
            let hits: Vec<Hit> = seg
                .dense(&q, k, ef, exact, filter, &m.dead)?
                .into_iter()
                .map(|(row, d)| Hit {
                    value: d,
                    id: m.id(row).to_string(),
                    metadata: Some(m.metadata(row).clone()),
                    src: None,
                })
                .collect();
            Ok((v.clone(), Some(hits)))
        })?;
        let Some(hits) = hits.as_mut() else {
            return Ok(Vec::new());
        };
        for (i, e) in view.entries.iter().enumerate() {
            let found = match &e.data {
                SegData::Frozen(f) => {
                    let f = read(f);
                    let seg = SegRef::Mem(&f);
                    seg.dense(&q, k, ef, exact, filter, &e.dead)?
                        .into_iter()
                        .map(|(row, d)| (row, d, seg.id(row)))
                        .collect::<Vec<_>>()
                }
                SegData::Sealed(s) => {
                    let seg = SegRef::Disk(s);
                    seg.dense(&q, k, ef, exact, filter, &e.dead)?
                        .into_iter()
                        .map(|(row, d)| (row, d, seg.id(row)))
                        .collect()
                }
            };
            hits.extend(found.into_iter().map(|(row, d, id)| Hit {
                value: d,
                id,
                metadata: None,
                src: Some((i, row)),
            }));
        }
        hits.sort_by(|a, b| a.value.total_cmp(&b.value).then_with(|| a.id.cmp(&b.id)));
        hits.truncate(k);
        fill_metadata(&view, hits)?;
        Ok(std::mem::take(hits))
    }

    /// BM25 top-`k` across all segments with collection-wide statistics.
    fn keyword_hits(&self, keywords: &str, k: usize, filter: Option<&Filter>) -> Result<Vec<Hit>> {
        let (view, terms, stats, mut hits) = self.with_snapshot(|v, m| {
            let seg = SegRef::Mem(m);
            let terms = m.sparse.tokenize(keywords);
            if terms.is_empty() {
                return Ok((v.clone(), terms, CorpusStats::default(), Vec::new()));
            }
            let mut stats = seg.corpus_stats(&terms)?;
            for e in &v.entries {
                let s = match &e.data {
                    SegData::Frozen(f) => SegRef::Mem(&read(f)).corpus_stats(&terms)?,
                    SegData::Sealed(s) => SegRef::Disk(s).corpus_stats(&terms)?,
                };
                stats.merge(&s);
            }
            let hits: Vec<Hit> = seg
                .keyword(&terms, k, filter, &m.dead, &stats)?
                .into_iter()
                .map(|(row, s)| Hit {
                    value: s,
                    id: m.id(row).to_string(),
                    metadata: Some(m.metadata(row).clone()),
                    src: None,
                })
                .collect();
            Ok((v.clone(), terms, stats, hits))
        })?;
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        for (i, e) in view.entries.iter().enumerate() {
            let found: Vec<(u32, f32, String)> = match &e.data {
                SegData::Frozen(f) => {
                    let f = read(f);
                    let seg = SegRef::Mem(&f);
                    seg.keyword(&terms, k, filter, &e.dead, &stats)?
                        .into_iter()
                        .map(|(r, s)| (r, s, seg.id(r)))
                        .collect()
                }
                SegData::Sealed(s) => {
                    let seg = SegRef::Disk(s);
                    seg.keyword(&terms, k, filter, &e.dead, &stats)?
                        .into_iter()
                        .map(|(r, s)| (r, s, seg.id(r)))
                        .collect()
                }
            };
            hits.extend(found.into_iter().map(|(row, s, id)| Hit {
                value: s,
                id,
                metadata: None,
                src: Some((i, row)),
            }));
        }
        hits.sort_by(|a, b| b.value.total_cmp(&a.value).then_with(|| a.id.cmp(&b.id)));
        hits.truncate(k);
        fill_metadata(&view, &mut hits)?;
        Ok(hits)
    }

    pub(crate) fn keyword_query(
        &self,
        keywords: &str,
        k: usize,
        filter: Option<&Filter>,
    ) -> Result<Vec<Neighbor>> {
        self.check_open()?;
        validate::k(k)?;
        if let Some(f) = filter {
            f.validate()?;
        }
        Ok(self
            .keyword_hits(keywords, k, filter)?
            .into_iter()
            .map(|h| Neighbor {
                id: h.id,
                score: h.value,
                metadata: h.metadata.unwrap_or_default(),
            })
            .collect())
    }

    pub(crate) fn hybrid_query(
        &self,
        q: &HybridQuery,
        fusion: &Fusion,
        opts: &SearchOptions,
    ) -> Result<Vec<Neighbor>> {
        self.check_open()?;
        validate::k(q.k)?;
        validate::fusion(fusion)?;
        validate::vector(&q.vector, None)?;
        if let Some(f) = &q.filter {
            f.validate()?;
        }
        let depth = opts
            .fusion_depth
            .unwrap_or_else(|| default_depth(q.k))
            .max(q.k);
        validate::k(depth).map_err(|_| Error::InvalidArgument {
            name: "fusion_depth",
            value: depth.to_string(),
            reason: "must be between k and 10000",
        })?;
        let ef = opts.ef_search.unwrap_or(self.config.ef_search);
        validate_ef(ef)?;
        let metric = self.config.metric;
        let dense = self.dense_hits(&q.vector, depth, ef, opts.exact, q.filter.as_ref())?;
        let keyword = self.keyword_hits(&q.keywords, depth, q.filter.as_ref())?;
        let to_higher = |d: f32| {
            let s = metric.score(d);
            if metric.higher_is_better() { s } else { -s }
        };
        let dense_list: Vec<(String, f32)> = dense
            .iter()
            .map(|h| (h.id.clone(), to_higher(h.value)))
            .collect();
        let kw_list: Vec<(String, f32)> = keyword.iter().map(|h| (h.id.clone(), h.value)).collect();
        let mut meta: HashMap<String, Metadata> = HashMap::new();
        for h in dense.into_iter().chain(keyword) {
            meta.entry(h.id)
                .or_insert_with(|| h.metadata.unwrap_or_default());
        }
        Ok(fuse(fusion, &dense_list, &kw_list, q.k)
            .into_iter()
            .map(|(id, score)| Neighbor {
                metadata: meta.remove(&id).unwrap_or_default(),
                id,
                score,
            })
            .collect())
    }
}

fn validate_ef(ef: usize) -> Result<()> {
    if ef == 0 || ef > 100_000 {
        return Err(Error::InvalidArgument {
            name: "ef_search",
            value: ef.to_string(),
            reason: "must be between 1 and 100000",
        });
    }
    Ok(())
}

pub(crate) fn live_in_entries(v: &View) -> usize {
    v.entries
        .iter()
        .map(|e| e.rows as usize - e.dead.len() as usize)
        .sum()
}

fn fill_metadata(view: &View, hits: &mut [Hit]) -> Result<()> {
    // One archive access per sealed segment, not per hit.
    let mut archives: Vec<(usize, MetadataRows<'_>)> = Vec::new();
    for h in hits.iter_mut() {
        if h.metadata.is_some() {
            continue;
        }
        if let Some((i, row)) = h.src {
            h.metadata = Some(match &view.entries[i].data {
                SegData::Frozen(f) => read(f).metadata(row).clone(),
                SegData::Sealed(s) => match archives.iter().find(|(at, _)| *at == i) {
                    Some((_, rows)) => rows.get(row),
                    None => {
                        let rows = s.metadata_rows()?;
                        archives.push((i, rows));
                        rows.get(row)
                    }
                },
            });
        }
    }
    Ok(())
}
