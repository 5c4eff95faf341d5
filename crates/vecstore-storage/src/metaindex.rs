//! Metadata indexes of one segment and the planner that turns a [`Filter`]
//! into the exact set of rows it matches.
//!
//! Per field the index keeps: the rows where the field is present
//! (`exists`), a roaring bitmap per scalar value for equality and `IN`, and
//! numbers in an ordered map for ranges. The planner walks the filter tree
//! with a candidate set: indexed leaves intersect it with bitmaps, `NOT`
//! subtracts, and leaves the index cannot answer exactly (`CONTAINS`,
//! `STARTS WITH`, string ranges, list literals) are evaluated row by row with
//! [`Filter::matches`] over the remaining candidates only. The result equals
//! `rows.filter(|r| filter.matches(r))`; the model test checks this.

use roaring::RoaringBitmap;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use vecstore_core::{CmpOp, Filter, Metadata, Value};

/// A scalar value as an index key. Numbers that are exact integers are keyed
/// as `Int`, so `1` and `1.0` share a key as in [`Filter::matches`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    Null,
    Bool(bool),
    Int(i64),
    /// `f64::to_bits` of a non-integral finite float.
    Float(u64),
    Str(String),
}

impl Key {
    pub(crate) fn of(v: &Value) -> Option<Key> {
        Some(match v {
            Value::Null => Key::Null,
            Value::Bool(b) => Key::Bool(*b),
            Value::Int(i) => Key::Int(*i),
            Value::Float(f) => float_key(*f)?,
            Value::String(s) => Key::Str(s.clone()),
            Value::List(_) => return None,
        })
    }
}

fn float_key(f: f64) -> Option<Key> {
    if !f.is_finite() {
        return None;
    }
    // An integral float in i64 range equals exactly one Int.
    if f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        return Some(Key::Int(f as i64));
    }
    Some(Key::Float(f.to_bits()))
}

/// f64 with a total order, for the range map (NaN never stored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OrdF64(pub(crate) f64);
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

/// Index of one field.
#[derive(Debug, Default, Clone)]
pub(crate) struct FieldIndex {
    pub(crate) exists: RoaringBitmap,
    pub(crate) eq: HashMap<Key, RoaringBitmap>,
    /// Only `Int` values, by exact value (ranges need exact integer order).
    pub(crate) ints: BTreeMap<i64, RoaringBitmap>,
    /// Only `Float` values.
    pub(crate) floats: BTreeMap<OrdF64, RoaringBitmap>,
}

/// All field indexes of one segment.
#[derive(Debug, Default, Clone)]
pub(crate) struct MetaIndex {
    pub(crate) fields: HashMap<String, FieldIndex>,
}

impl MetaIndex {
    /// Adds `row`'s metadata. Rows are added once, in any order.
    pub(crate) fn add(&mut self, row: u32, meta: &Metadata) {
        for (name, value) in meta.iter() {
            let f = self.fields.entry(name.clone()).or_default();
            f.exists.insert(row);
            if let Some(k) = Key::of(value) {
                f.eq.entry(k).or_default().insert(row);
            }
            match value {
                Value::Int(i) => {
                    f.ints.entry(*i).or_default().insert(row);
                }
                Value::Float(x) if x.is_finite() => {
                    f.floats.entry(OrdF64(*x)).or_default().insert(row);
                }
                _ => {}
            }
        }
    }

    /// Approximate heap bytes, for stats.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.fields
            .values()
            .map(|f| {
                f.exists.serialized_size()
                    + f.eq
                        .values()
                        .map(|b| b.serialized_size() + 32)
                        .sum::<usize>()
                    + f.ints
                        .values()
                        .map(|b| b.serialized_size() + 24)
                        .sum::<usize>()
                    + f.floats
                        .values()
                        .map(|b| b.serialized_size() + 24)
                        .sum::<usize>()
            })
            .sum()
    }

    fn eq_rows(&self, field: &str, v: &Value) -> Option<RoaringBitmap> {
        let key = Key::of(v)?;
        Some(
            self.fields
                .get(field)
                .and_then(|f| f.eq.get(&key))
                .cloned()
                .unwrap_or_default(),
        )
    }

    fn exists_rows(&self, field: &str) -> RoaringBitmap {
        self.fields
            .get(field)
            .map(|f| f.exists.clone())
            .unwrap_or_default()
    }

    /// Rows whose number in `field` is in the range `op v`; `None` when `v`
    /// is not a number (string ranges are evaluated row by row).
    fn range_rows(&self, field: &str, op: CmpOp, v: &Value) -> Option<RoaringBitmap> {
        let mut out = RoaringBitmap::new();
        let Some(f) = self.fields.get(field) else {
            return v.as_f64().map(|_| out);
        };
        match v {
            Value::Int(i) => {
                let i = *i;
                for b in f.ints.range(int_bounds(op, i)).map(|(_, b)| b) {
                    out |= b;
                }
                // Floats against an int: the filter's own exact comparison
                // (an integral float equal to i is "equal").
                for (x, b) in &f.floats {
                    if op.test(&Value::Float(x.0), &Value::Int(i)) {
                        out |= b;
                    }
                }
            }
            Value::Float(x) => {
                let x = *x;
                if !x.is_finite() {
                    return None;
                }
                for b in f.floats.range(float_bounds(op, x)).map(|(_, b)| b) {
                    out |= b;
                }
                for (i, b) in &f.ints {
                    if op.test(&Value::Int(*i), &Value::Float(x)) {
                        out |= b;
                    }
                }
            }
            _ => return None,
        }
        Some(out)
    }
}

fn int_bounds(op: CmpOp, i: i64) -> (Bound<i64>, Bound<i64>) {
    use Bound::*;
    match op {
        CmpOp::Gt => (Excluded(i), Unbounded),
        CmpOp::Ge => (Included(i), Unbounded),
        CmpOp::Lt => (Unbounded, Excluded(i)),
        CmpOp::Le => (Unbounded, Included(i)),
        CmpOp::Eq | CmpOp::Ne => (Included(i), Included(i)),
    }
}

fn float_bounds(op: CmpOp, x: f64) -> (Bound<OrdF64>, Bound<OrdF64>) {
    use Bound::*;
    // -0.0 and 0.0 compare equal numerically but differ in total order.
    let lo = OrdF64(if x == 0.0 { -0.0 } else { x });
    let hi = OrdF64(if x == 0.0 { 0.0 } else { x });
    match op {
        CmpOp::Gt => (Excluded(hi), Unbounded),
        CmpOp::Ge => (Included(lo), Unbounded),
        CmpOp::Lt => (Unbounded, Excluded(lo)),
        CmpOp::Le => (Unbounded, Included(hi)),
        CmpOp::Eq | CmpOp::Ne => (Included(lo), Included(hi)),
    }
}

/// What the planner needs from a segment besides its index.
pub(crate) trait RowMetadata {
    /// The metadata of `row` (rows `0..len`).
    fn row_metadata(&self, row: u32) -> Metadata;
}

/// Rows among `candidates` that match `filter`.
pub(crate) fn plan(
    filter: &Filter,
    index: &MetaIndex,
    rows: &dyn RowMetadata,
    candidates: &RoaringBitmap,
) -> RoaringBitmap {
    if candidates.is_empty() {
        return RoaringBitmap::new();
    }
    match filter {
        Filter::And(children) => {
            let mut cur = candidates.clone();
            // Indexed children first: they shrink the set cheaply.
            let (fast, slow): (Vec<&Filter>, Vec<&Filter>) =
                children.iter().partition(|c| indexable(c));
            for c in fast.into_iter().chain(slow) {
                cur = plan(c, index, rows, &cur);
                if cur.is_empty() {
                    break;
                }
            }
            cur
        }
        Filter::Or(children) => {
            let mut out = RoaringBitmap::new();
            for c in children {
                let rest = candidates - &out;
                if rest.is_empty() {
                    break;
                }
                out |= plan(c, index, rows, &rest);
            }
            out
        }
        Filter::Not(inner) => candidates - plan(inner, index, rows, candidates),
        leaf => match leaf_rows(leaf, index) {
            Some(b) => b & candidates,
            None => scan(leaf, rows, candidates),
        },
    }
}

fn indexable(f: &Filter) -> bool {
    match f {
        Filter::And(c) | Filter::Or(c) => c.iter().all(indexable),
        Filter::Not(c) => indexable(c),
        Filter::Compare { op, value, .. } => match op {
            CmpOp::Eq | CmpOp::Ne => Key::of(value).is_some(),
            _ => value.as_f64().is_some(),
        },
        Filter::In { values, .. } => values.iter().all(|v| Key::of(v).is_some()),
        Filter::Exists { .. } => true,
        _ => false,
    }
}

/// The exact rows of an indexed leaf, or `None` to evaluate row by row.
fn leaf_rows(f: &Filter, index: &MetaIndex) -> Option<RoaringBitmap> {
    match f {
        Filter::Compare { field, op, value } => match op {
            CmpOp::Eq => index.eq_rows(field, value),
            CmpOp::Ne => Some(index.exists_rows(field) - index.eq_rows(field, value)?),
            _ => index.range_rows(field, *op, value),
        },
        Filter::In {
            field,
            values,
            negated,
        } => {
            let mut any = RoaringBitmap::new();
            for v in values {
                any |= index.eq_rows(field, v)?;
            }
            Some(if *negated {
                index.exists_rows(field) - any
            } else {
                any
            })
        }
        Filter::Exists { field } => Some(index.exists_rows(field)),
        _ => None,
    }
}

fn scan(f: &Filter, rows: &dyn RowMetadata, candidates: &RoaringBitmap) -> RoaringBitmap {
    candidates
        .iter()
        .filter(|&r| f.matches(&rows.row_metadata(r)))
        .collect()
}

/// Serialisation of a [`MetaIndex`] into one segment section (see
/// docs/file-format.md, "metadata index section"). Little-endian:
/// `u32 fields`, then per field: `str name`, `bitmap exists`,
/// `u32 n_eq` x (`key`, `bitmap`), `u32 n_int` x (`i64`, `bitmap`),
/// `u32 n_float` x (`f64`, `bitmap`). A `bitmap` is `u32 len` + roaring's
/// portable format; a `key` is a tag byte (0 null, 1 bool, 2 int, 3 float,
/// 4 str) and its value.
impl MetaIndex {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut names: Vec<&String> = self.fields.keys().collect();
        names.sort();
        put_u32(&mut out, names.len() as u32);
        for name in names {
            let f = &self.fields[name];
            put_bytes(&mut out, name.as_bytes());
            put_bitmap(&mut out, &f.exists);
            let mut eq: Vec<(&Key, &RoaringBitmap)> = f.eq.iter().collect();
            eq.sort_by(|a, b| a.0.cmp(b.0));
            put_u32(&mut out, eq.len() as u32);
            for (k, b) in eq {
                match k {
                    Key::Null => out.push(0),
                    Key::Bool(v) => {
                        out.push(1);
                        out.push(*v as u8);
                    }
                    Key::Int(i) => {
                        out.push(2);
                        out.extend_from_slice(&i.to_le_bytes());
                    }
                    Key::Float(bits) => {
                        out.push(3);
                        out.extend_from_slice(&bits.to_le_bytes());
                    }
                    Key::Str(s) => {
                        out.push(4);
                        put_bytes(&mut out, s.as_bytes());
                    }
                }
                put_bitmap(&mut out, b);
            }
            put_u32(&mut out, f.ints.len() as u32);
            for (i, b) in &f.ints {
                out.extend_from_slice(&i.to_le_bytes());
                put_bitmap(&mut out, b);
            }
            put_u32(&mut out, f.floats.len() as u32);
            for (x, b) in &f.floats {
                out.extend_from_slice(&x.0.to_bits().to_le_bytes());
                put_bitmap(&mut out, b);
            }
        }
        out
    }

    /// Parses [`MetaIndex::encode`] output; `Err(offset)` on malformed input.
    pub(crate) fn decode(bytes: &[u8]) -> Result<MetaIndex, u64> {
        let mut r = Cursor { b: bytes, pos: 0 };
        let mut idx = MetaIndex::default();
        let n = r.u32()?;
        for _ in 0..n {
            let name = r.string()?;
            let mut f = FieldIndex {
                exists: r.bitmap()?,
                ..Default::default()
            };
            for _ in 0..r.u32()? {
                let key = match r.u8()? {
                    0 => Key::Null,
                    1 => Key::Bool(r.u8()? != 0),
                    2 => Key::Int(r.u64()? as i64),
                    3 => Key::Float(r.u64()?),
                    4 => Key::Str(r.string()?),
                    _ => return Err(r.pos as u64),
                };
                f.eq.insert(key, r.bitmap()?);
            }
            for _ in 0..r.u32()? {
                let i = r.u64()? as i64;
                f.ints.insert(i, r.bitmap()?);
            }
            for _ in 0..r.u32()? {
                let x = f64::from_bits(r.u64()?);
                f.floats.insert(OrdF64(x), r.bitmap()?);
            }
            idx.fields.insert(name, f);
        }
        if r.pos != bytes.len() {
            return Err(r.pos as u64);
        }
        Ok(idx)
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len() as u32);
    out.extend_from_slice(b);
}

pub(crate) fn put_bitmap(out: &mut Vec<u8>, b: &RoaringBitmap) {
    put_u32(out, b.serialized_size() as u32);
    // Writing into a Vec cannot fail.
    let _ = b.serialize_into(&mut *out);
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], u64> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or(self.pos as u64)?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, u64> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, u64> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn string(&mut self) -> Result<String, u64> {
        let n = self.u32()? as usize;
        let at = self.pos as u64;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| at)
    }
    fn bitmap(&mut self) -> Result<RoaringBitmap, u64> {
        let n = self.u32()? as usize;
        let at = self.pos as u64;
        let b = self.take(n)?;
        RoaringBitmap::deserialize_from(b).map_err(|_| at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rows(Vec<Metadata>);
    impl RowMetadata for Rows {
        fn row_metadata(&self, row: u32) -> Metadata {
            self.0[row as usize].clone()
        }
    }

    fn rows() -> Rows {
        let mut out = Vec::new();
        for i in 0..200i64 {
            let mut m = Metadata::new();
            m.insert("cat", ["a", "b", "c"][(i % 3) as usize]);
            if i % 2 == 0 {
                m.insert("n", i);
            } else {
                m.insert("n", i as f64 + 0.5);
            }
            if i % 5 == 0 {
                m.insert("flag", true);
            }
            if i % 7 == 0 {
                m.insert("tags", vec!["x", "y"]);
            }
            if i % 11 == 0 {
                m.insert("nul", Value::Null);
            }
            m.insert("big", if i % 2 == 0 { 1.0 } else { 2.0 });
            out.push(m);
        }
        Rows(out)
    }

    #[test]
    fn plan_equals_row_by_row() {
        let rows = rows();
        let mut idx = MetaIndex::default();
        for (i, m) in rows.0.iter().enumerate() {
            idx.add(i as u32, m);
        }
        let decoded = MetaIndex::decode(&idx.encode()).unwrap();
        let all: RoaringBitmap = (0..rows.0.len() as u32).collect();
        let filters = [
            "cat = 'a'",
            "cat != 'a'",
            "n > 50",
            "n >= 50.5",
            "n < 10 OR cat = 'c'",
            "NOT (n <= 100) AND flag",
            "cat IN ('a', 'b') AND NOT flag",
            "cat NOT IN ('a')",
            "tags CONTAINS 'x'",
            "tags EXISTS AND n > 3.25",
            "nul = NULL",
            "nul IS NOT NULL",
            "big = 1",
            "big = 2.0",
            "cat STARTS WITH 'b' OR n = 4",
            "missing = 1",
            "NOT missing = 1",
            "missing != 1",
            "n = 0.0 OR n = -0.0",
            "cat > 'a'",
            "TRUE",
            "FALSE",
        ];
        for text in filters {
            let f: Filter = text.parse().unwrap();
            let want: RoaringBitmap = all
                .iter()
                .filter(|&r| f.matches(&rows.0[r as usize]))
                .collect();
            assert_eq!(plan(&f, &idx, &rows, &all), want, "{text}");
            assert_eq!(plan(&f, &decoded, &rows, &all), want, "{text} decoded");
        }
        assert!(MetaIndex::decode(&[1, 2, 3]).is_err());
    }
}
