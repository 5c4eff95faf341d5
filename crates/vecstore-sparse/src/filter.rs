//! Row filters for keyword search.

use roaring::RoaringBitmap;

/// Which rows a keyword search may return: an optional allow-set (for
/// example the rows matching a metadata filter) and an optional deny-set
/// (deleted rows). The same bitmaps the dense index takes.
///
/// ```
/// use roaring::RoaringBitmap;
/// use vecstore_sparse::KeywordFilter;
/// let deleted: RoaringBitmap = [3u32].into_iter().collect();
/// let f = KeywordFilter::none().deny(&deleted);
/// assert!(f.allows(2) && !f.allows(3));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct KeywordFilter<'a> {
    /// Only these rows, when set.
    pub allow: Option<&'a RoaringBitmap>,
    /// Never these rows, when set.
    pub deny: Option<&'a RoaringBitmap>,
}

impl<'a> KeywordFilter<'a> {
    /// No restriction.
    pub fn none() -> Self {
        KeywordFilter::default()
    }

    /// Restricts results to `rows`.
    pub fn allow(mut self, rows: &'a RoaringBitmap) -> Self {
        self.allow = Some(rows);
        self
    }

    /// Excludes `rows`.
    pub fn deny(mut self, rows: &'a RoaringBitmap) -> Self {
        self.deny = Some(rows);
        self
    }

    /// Whether `row` may be returned.
    #[inline]
    pub fn allows(&self, row: u32) -> bool {
        self.allow.is_none_or(|a| a.contains(row)) && self.deny.is_none_or(|d| !d.contains(row))
    }

    /// True when nothing can pass (an empty allow-set).
    pub fn is_empty_allow(&self) -> bool {
        self.allow.is_some_and(|a| a.is_empty())
    }
}
