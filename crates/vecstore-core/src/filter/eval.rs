//! Evaluating a filter against one record's metadata, following the table
//! in the module docs. The value comparisons are public so that metadata
//! indexes can apply exactly the same rules.

use super::{CmpOp, Filter};
use crate::{Metadata, Value};
use std::cmp::Ordering;

impl Filter {
    /// Whether a record with metadata `meta` passes this filter.
    ///
    /// ```
    /// use vecstore_core::{Filter, Metadata};
    /// let mut meta = Metadata::new();
    /// meta.insert("score", 2);
    /// meta.insert("tags", vec!["rust", "db"]);
    /// assert!(Filter::parse("score > 1.5 AND tags CONTAINS 'db'")?.matches(&meta));
    /// assert!(!Filter::parse("lang != 'en'")?.matches(&meta)); // missing field
    /// assert!(Filter::parse("NOT lang = 'en'")?.matches(&meta));
    /// # Ok::<(), vecstore_core::Error>(())
    /// ```
    ///
    /// Recursion follows the tree, so run [`Filter::validate`] on trees
    /// built from untrusted input ([`Filter::parse`] already does).
    pub fn matches(&self, meta: &Metadata) -> bool {
        match self {
            Filter::And(children) => children.iter().all(|c| c.matches(meta)),
            Filter::Or(children) => children.iter().any(|c| c.matches(meta)),
            Filter::Not(child) => !child.matches(meta),
            Filter::Compare { field, op, value } => {
                meta.get(field).is_some_and(|v| op.test(v, value))
            }
            Filter::In {
                field,
                values,
                negated,
            } => meta
                .get(field)
                .is_some_and(|v| values.iter().any(|x| values_equal(v, x)) != *negated),
            Filter::Contains { field, value } => {
                meta.get(field).is_some_and(|v| contains(v, value))
            }
            Filter::StartsWith { field, prefix } => meta
                .get(field)
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with(prefix.as_str())),
            Filter::Exists { field } => meta.contains_key(field),
        }
    }
}

impl CmpOp {
    /// Whether `field_value op literal` holds for a present field:
    /// `=` is [`values_equal`], `!=` its negation, and the order operators
    /// hold only when [`compare_values`] gives an order.
    ///
    /// ```
    /// use vecstore_core::{CmpOp, Value};
    /// assert!(CmpOp::Ge.test(&Value::Int(2), &Value::Float(1.5)));
    /// assert!(!CmpOp::Lt.test(&Value::Bool(false), &Value::Bool(true)));
    /// assert!(CmpOp::Ne.test(&Value::String("1".into()), &Value::Int(1)));
    /// ```
    pub fn test(self, field_value: &Value, literal: &Value) -> bool {
        match self {
            CmpOp::Eq => values_equal(field_value, literal),
            CmpOp::Ne => !values_equal(field_value, literal),
            CmpOp::Gt => compare_values(field_value, literal) == Some(Ordering::Greater),
            CmpOp::Ge => compare_values(field_value, literal).is_some_and(|o| o != Ordering::Less),
            CmpOp::Lt => compare_values(field_value, literal) == Some(Ordering::Less),
            CmpOp::Le => {
                compare_values(field_value, literal).is_some_and(|o| o != Ordering::Greater)
            }
        }
    }
}

/// Filter equality: numbers compare numerically across `Int` and `Float`
/// (exactly, without rounding the integer), lists element by element, and
/// everything else only within its own type. NaN equals nothing.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| values_equal(x, y))
        }
        _ => compare_numbers(a, b) == Some(Ordering::Equal),
    }
}

/// Filter order: numbers numerically (`Int` against `Float` exactly),
/// strings by Unicode code point; `None` for every other pair of types and
/// when a NaN is involved.
pub fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => compare_numbers(a, b),
    }
}

fn compare_numbers(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Float(y)) => cmp_int_float(*x, *y),
        (Value::Float(x), Value::Int(y)) => cmp_int_float(*y, *x).map(Ordering::reverse),
        _ => None,
    }
}

/// Orders an `i64` against an `f64` without converting the integer to a
/// float, which would round above 2^53.
fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    // 2^63, exactly representable; every i64 is below it and at least -2^63.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_POW_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_POW_63 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // In [-2^63, 2^63) and integral, so the cast is exact.
    let whole_int = whole as i64;
    match i.cmp(&whole_int) {
        // Same integer part: the fraction (exact for finite floats) decides.
        Ordering::Equal => 0.0f64.partial_cmp(&(f - whole)),
        other => Some(other),
    }
}

/// `CONTAINS`: an element of a list field equal to `value`, or a substring
/// of a string field.
fn contains(field_value: &Value, value: &Value) -> bool {
    match field_value {
        Value::List(items) => items.iter().any(|item| values_equal(item, value)),
        Value::String(s) => value.as_str().is_some_and(|sub| s.contains(sub)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_float_order_is_exact() {
        let big = (1i64 << 53) + 1;
        assert!(!values_equal(&Value::Int(big), &Value::Float(big as f64)));
        assert_eq!(
            cmp_int_float(big, (1i64 << 53) as f64),
            Some(Ordering::Greater)
        );
        assert_eq!(cmp_int_float(i64::MAX, 9.3e18), Some(Ordering::Less));
        assert_eq!(
            cmp_int_float(i64::MIN, i64::MIN as f64),
            Some(Ordering::Equal)
        );
        assert_eq!(cmp_int_float(i64::MIN, -1e19), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(0, -0.5), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(0, 0.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(-1, -0.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(0, -0.0), Some(Ordering::Equal));
        assert_eq!(cmp_int_float(3, f64::INFINITY), Some(Ordering::Less));
        assert_eq!(cmp_int_float(3, f64::NEG_INFINITY), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(3, f64::NAN), None);
    }

    #[test]
    fn int_float_order_agrees_with_exact_arithmetic() {
        // For values where f64 is exact, the naive comparison is the oracle.
        for i in -40i64..=40 {
            for k in -80..=80 {
                let f = k as f64 / 4.0;
                assert_eq!(
                    cmp_int_float(i, f),
                    (i as f64).partial_cmp(&f),
                    "{i} vs {f}"
                );
            }
        }
    }

    #[test]
    fn equality_rules() {
        let list = Value::from(vec![Value::Int(1), Value::from("a")]);
        assert!(values_equal(
            &list,
            &Value::from(vec![Value::Float(1.0), Value::from("a")])
        ));
        assert!(!values_equal(&list, &Value::from(vec![1])));
        assert!(values_equal(&Value::Null, &Value::Null));
        assert!(!values_equal(&Value::Null, &Value::Bool(false)));
        assert!(!values_equal(&Value::Bool(true), &Value::Int(1)));
        assert!(!values_equal(&Value::from("1"), &Value::Int(1)));
        assert!(!values_equal(
            &Value::Float(f64::NAN),
            &Value::Float(f64::NAN)
        ));
        assert_eq!(
            compare_values(&Value::Bool(true), &Value::Bool(false)),
            None
        );
        assert_eq!(compare_values(&Value::Null, &Value::Null), None);
        assert_eq!(compare_values(&list, &list), None);
        assert_eq!(
            compare_values(&Value::from("Z"), &Value::from("a")),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare_values(&Value::from("é"), &Value::from("z")),
            Some(Ordering::Greater)
        );
    }
}
