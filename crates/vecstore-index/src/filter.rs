//! Which rows a search may return: an optional allow-set and an optional
//! deny-set (deleted rows), both roaring bitmaps of row ids.

use roaring::RoaringBitmap;

/// Restricts a search to rows in `allow` (when given) that are not in `deny`.
///
/// Row ids at or beyond the index's length are ignored in both sets.
///
/// ```
/// use roaring::RoaringBitmap;
/// use vecstore_index::SearchFilter;
/// let allow: RoaringBitmap = (0..10).collect();
/// let deleted: RoaringBitmap = [3].into_iter().collect();
/// let f = SearchFilter::allow(&allow).with_deny(&deleted);
/// assert!(f.accepts(2) && !f.accepts(3) && !f.accepts(11));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchFilter<'a> {
    allow: Option<(&'a RoaringBitmap, u64)>,
    deny: Option<&'a RoaringBitmap>,
}

impl<'a> SearchFilter<'a> {
    /// No restriction: every row may be returned.
    pub const NONE: SearchFilter<'static> = SearchFilter {
        allow: None,
        deny: None,
    };

    /// Only rows in `allow` may be returned.
    pub fn allow(allow: &'a RoaringBitmap) -> Self {
        Self::allow_with_cardinality(allow, allow.len())
    }

    /// Like [`SearchFilter::allow`] with a cardinality the caller already
    /// knows (it must equal `allow.len()`; it only steers the planner).
    pub fn allow_with_cardinality(allow: &'a RoaringBitmap, cardinality: u64) -> Self {
        SearchFilter {
            allow: Some((allow, cardinality)),
            deny: None,
        }
    }

    /// Rows in `deny` (e.g. deleted rows) are never returned.
    pub fn with_deny(mut self, deny: &'a RoaringBitmap) -> Self {
        self.deny = Some(deny).filter(|d| !d.is_empty());
        self
    }

    /// Only a deny-set.
    pub fn deny(deny: &'a RoaringBitmap) -> Self {
        SearchFilter::default().with_deny(deny)
    }

    /// The allow-set, if any.
    pub fn allow_set(&self) -> Option<&'a RoaringBitmap> {
        self.allow.map(|(a, _)| a)
    }

    /// The deny-set, if any.
    pub fn deny_set(&self) -> Option<&'a RoaringBitmap> {
        self.deny
    }

    /// Whether the filter restricts anything.
    pub fn is_none(&self) -> bool {
        self.allow.is_none() && self.deny.is_none()
    }

    /// Whether `row` may be returned (ignoring the index length).
    #[inline]
    pub fn accepts(&self, row: u32) -> bool {
        if let Some((a, _)) = self.allow
            && !a.contains(row)
        {
            return false;
        }
        match self.deny {
            Some(d) => !d.contains(row),
            None => true,
        }
    }

    /// A cheap upper bound of the rows `< n` that may be returned, for the
    /// planner.
    pub(crate) fn estimate(&self, n: usize) -> usize {
        let allowed = match self.allow {
            Some((_, card)) => (card as usize).min(n),
            None => n,
        };
        match (self.allow, self.deny) {
            // Without an allow-set every deny bit below n removes one row.
            (None, Some(d)) => allowed.saturating_sub(d.len() as usize),
            _ => allowed,
        }
    }

    /// The exact number of rows `< n` that may be returned.
    pub fn count(&self, n: usize) -> usize {
        let below = |b: &RoaringBitmap| -> u64 {
            if n == 0 {
                0
            } else if n > u32::MAX as usize {
                b.len()
            } else {
                b.rank(n as u32 - 1)
            }
        };
        match (self.allow, self.deny) {
            (None, None) => n,
            (None, Some(d)) => n - below(d) as usize,
            (Some((a, _)), None) => below(a) as usize,
            (Some((a, _)), Some(d)) => (below(a) - below(&(a & d))) as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_respects_n_and_deny() {
        let a: RoaringBitmap = (0..100).collect();
        let d: RoaringBitmap = (50..150).collect();
        assert_eq!(SearchFilter::allow(&a).count(80), 80);
        assert_eq!(SearchFilter::allow(&a).with_deny(&d).count(80), 50);
        assert_eq!(SearchFilter::allow(&a).with_deny(&d).count(1000), 50);
        assert_eq!(SearchFilter::deny(&d).count(60), 50);
        assert_eq!(SearchFilter::NONE.count(7), 7);
        assert_eq!(SearchFilter::allow(&a).count(0), 0);
    }
}
