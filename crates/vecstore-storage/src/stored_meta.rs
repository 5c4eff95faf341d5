//! Per-row metadata of a segment file as one rkyv archive (section
//! `META_RKYV`): a `Vec` with one entry per row, each the row's fields in
//! key order. The archive is validated with bytecheck once, on the first
//! metadata read of the segment, and then read in place: a row's metadata
//! is rebuilt from the mapped bytes without a parse.
//!
//! Segment files of format version 1 held the same data as JSON per row;
//! this build refuses them with `Error::UnsupportedVersion`.

use rkyv::{Archive, Deserialize, Serialize};
use vecstore_core::{Metadata, Value};

/// A metadata value in archivable form (mirrors [`Value`], which lives in
/// vecstore-core and does not depend on rkyv).
#[derive(Debug, Clone, PartialEq, Archive, Serialize, Deserialize)]
#[rkyv(serialize_bounds(
    __S: rkyv::ser::Writer + rkyv::ser::Allocator,
    __S::Error: rkyv::rancor::Source,
))]
#[rkyv(deserialize_bounds(__D::Error: rkyv::rancor::Source))]
#[rkyv(bytecheck(bounds(
    __C: rkyv::validation::ArchiveContext,
    __C::Error: rkyv::rancor::Source,
)))]
pub(crate) enum StoredValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(#[rkyv(omit_bounds)] Vec<StoredValue>),
}

/// One metadata field.
#[derive(Debug, Clone, PartialEq, Archive, Serialize, Deserialize)]
pub(crate) struct StoredField {
    pub(crate) key: String,
    pub(crate) value: StoredValue,
}

/// The archived section: one field list per row.
pub(crate) type StoredRows = Vec<Vec<StoredField>>;

impl From<&Value> for StoredValue {
    fn from(v: &Value) -> Self {
        match v {
            Value::Null => StoredValue::Null,
            Value::Bool(b) => StoredValue::Bool(*b),
            Value::Int(i) => StoredValue::Int(*i),
            Value::Float(f) => StoredValue::Float(*f),
            Value::String(s) => StoredValue::Str(s.clone()),
            Value::List(l) => StoredValue::List(l.iter().map(StoredValue::from).collect()),
        }
    }
}

/// The archivable fields of one row.
pub(crate) fn store_row(m: &Metadata) -> Vec<StoredField> {
    m.iter()
        .map(|(k, v)| StoredField {
            key: k.clone(),
            value: StoredValue::from(v),
        })
        .collect()
}

fn load_value(v: &ArchivedStoredValue) -> Value {
    match v {
        ArchivedStoredValue::Null => Value::Null,
        ArchivedStoredValue::Bool(b) => Value::Bool(*b),
        ArchivedStoredValue::Int(i) => Value::Int(i.to_native()),
        ArchivedStoredValue::Float(f) => Value::Float(f.to_native()),
        ArchivedStoredValue::Str(s) => Value::String(s.as_str().to_string()),
        ArchivedStoredValue::List(l) => Value::List(l.iter().map(load_value).collect()),
    }
}

/// Rebuilds a row's metadata from its archived fields.
pub(crate) fn load_row(fields: &[ArchivedStoredField]) -> Metadata {
    let mut m = Metadata::new();
    for f in fields {
        m.insert(f.key.as_str(), load_value(&f.value));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_kind_round_trips_through_the_archive() {
        let mut a = Metadata::new();
        a.insert("null", Value::Null);
        a.insert("b", true);
        a.insert("i", -7i64);
        a.insert("f", 2.5f64);
        a.insert("s", "héllo");
        a.insert(
            "l",
            Value::List(vec![Value::Int(1), Value::List(vec!["x".into()])]),
        );
        let rows: StoredRows = vec![store_row(&a), store_row(&Metadata::new())];
        let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&rows).unwrap();
        let archived =
            rkyv::access::<rkyv::Archived<StoredRows>, rkyv::rancor::Error>(&bytes).unwrap();
        assert_eq!(load_row(&archived[0]), a);
        assert!(load_row(&archived[1]).is_empty());
        // Validating damaged bytes returns (an error or a valid archive);
        // it never panics or reads out of bounds.
        let mut bad = bytes.to_vec();
        for at in 0..bad.len() {
            bad[at] ^= 0xff;
            let mut aligned = rkyv::util::AlignedVec::<16>::new();
            aligned.extend_from_slice(&bad);
            let _ = rkyv::access::<rkyv::Archived<StoredRows>, rkyv::rancor::Error>(&aligned);
            bad[at] ^= 0xff;
        }
    }
}
