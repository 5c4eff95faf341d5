//! Measuring and checking a filter tree: depth, node count, fields used,
//! and the limits. Every walk here uses an explicit stack, so even a tree
//! far past the limits (built in code) is measured without recursion.

use super::Filter;
use crate::validate::{MAX_FILTER_DEPTH, MAX_FILTER_NODES};
use crate::{Error, Result, Value};
use std::collections::HashSet;

impl Filter {
    /// The children of an `And`/`Or`/`Not`; empty for predicates.
    pub fn children(&self) -> &[Filter] {
        match self {
            Filter::And(children) | Filter::Or(children) => children,
            Filter::Not(child) => std::slice::from_ref(child),
            _ => &[],
        }
    }

    /// The field a predicate tests; `None` for `And`/`Or`/`Not`.
    pub fn field(&self) -> Option<&str> {
        match self {
            Filter::Compare { field, .. }
            | Filter::In { field, .. }
            | Filter::Contains { field, .. }
            | Filter::StartsWith { field, .. }
            | Filter::Exists { field } => Some(field),
            Filter::And(_) | Filter::Or(_) | Filter::Not(_) => None,
        }
    }

    /// Every node, parents before children, left to right.
    fn nodes(&self) -> impl Iterator<Item = (&Filter, usize)> {
        let mut stack = vec![(self, 1)];
        std::iter::from_fn(move || {
            let (node, depth) = stack.pop()?;
            stack.extend(node.children().iter().rev().map(|c| (c, depth + 1)));
            Some((node, depth))
        })
    }

    /// Levels in the tree: 1 for a single predicate (or an empty `And`/`Or`),
    /// 1 + the deepest child otherwise.
    ///
    /// ```
    /// use vecstore_core::Filter;
    /// assert_eq!(Filter::parse("a = 1 AND NOT (b = 2 OR c)")?.depth(), 4);
    /// # Ok::<(), vecstore_core::Error>(())
    /// ```
    pub fn depth(&self) -> usize {
        self.nodes().map(|(_, depth)| depth).max().unwrap_or(1)
    }

    /// Number of nodes in the tree (`a = 1 AND b = 2` has 3).
    pub fn node_count(&self) -> usize {
        self.nodes().count()
    }

    /// The distinct field names used, in order of first appearance.
    ///
    /// ```
    /// use vecstore_core::Filter;
    /// let f = Filter::parse("a = 1 OR (b EXISTS AND a < 5)")?;
    /// assert_eq!(f.fields(), ["a", "b"]);
    /// # Ok::<(), vecstore_core::Error>(())
    /// ```
    pub fn fields(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.nodes()
            .filter_map(|(node, _)| node.field())
            .filter(|field| seen.insert(*field))
            .collect()
    }

    /// Checks the limits every public entry point enforces: depth at most
    /// [`MAX_FILTER_DEPTH`], at most [`MAX_FILTER_NODES`] nodes, list
    /// literals nested at most [`MAX_FILTER_DEPTH`] deep
    /// ([`Error::FilterTooComplex`]), and only finite numbers
    /// ([`Error::InvalidArgument`]: NaN and infinities have no string form
    /// and compare unlike any number a user would write).
    pub fn validate(&self) -> Result<()> {
        let (mut depth, mut nodes) = (0, 0);
        for (_, d) in self.nodes() {
            depth = depth.max(d);
            nodes += 1;
        }
        if depth > MAX_FILTER_DEPTH {
            return Err(Error::FilterTooComplex {
                what: "depth",
                got: depth,
                limit: MAX_FILTER_DEPTH,
            });
        }
        if nodes > MAX_FILTER_NODES {
            return Err(Error::FilterTooComplex {
                what: "node count",
                got: nodes,
                limit: MAX_FILTER_NODES,
            });
        }
        for (node, _) in self.nodes() {
            match node {
                Filter::Compare { value, .. } | Filter::Contains { value, .. } => {
                    check_literal(value)?
                }
                Filter::In { values, .. } => values.iter().try_for_each(check_literal)?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// A literal has only finite numbers and lists nested at most
/// `MAX_FILTER_DEPTH` deep.
fn check_literal(value: &Value) -> Result<()> {
    let mut stack = vec![(value, 0)];
    let mut deepest = 0;
    while let Some((value, depth)) = stack.pop() {
        match value {
            Value::Float(f) if !f.is_finite() => {
                return Err(Error::InvalidArgument {
                    name: "filter literal",
                    value: f.to_string(),
                    reason: "numbers in filters must be finite",
                });
            }
            Value::List(items) => {
                deepest = deepest.max(depth + 1);
                stack.extend(items.iter().map(|item| (item, depth + 1)));
            }
            _ => {}
        }
    }
    if deepest > MAX_FILTER_DEPTH {
        return Err(Error::FilterTooComplex {
            what: "value nesting depth",
            got: deepest,
            limit: MAX_FILTER_DEPTH,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_chain(n: usize) -> Filter {
        (0..n).fold(Filter::exists("x"), |f, _| f.not())
    }

    #[test]
    fn measures() {
        let f = Filter::eq("a", 1).and(Filter::eq("b", 2).or(Filter::exists("a")).not());
        assert_eq!(f.depth(), 4);
        assert_eq!(f.node_count(), 6);
        assert_eq!(f.fields(), ["a", "b"]);
        assert_eq!(Filter::And(vec![]).depth(), 1);
        assert_eq!(Filter::And(vec![]).fields(), Vec::<&str>::new());
        assert_eq!(Filter::Or(vec![]).node_count(), 1);
    }

    #[test]
    fn limits() {
        assert!(not_chain(MAX_FILTER_DEPTH - 1).validate().is_ok());
        assert!(matches!(
            not_chain(MAX_FILTER_DEPTH).validate(),
            Err(Error::FilterTooComplex {
                what: "depth",
                got: 33,
                limit: 32
            })
        ));
        let deep = not_chain(200_000);
        assert_eq!(deep.depth(), 200_001);
        assert!(matches!(
            deep.validate(),
            Err(Error::FilterTooComplex {
                what: "depth",
                got: 200_001,
                ..
            })
        ));
        // Dropping a Box chain this long recurses, so take it apart by hand.
        let mut node = deep;
        while let Filter::Not(child) = node {
            node = *child;
        }

        let wide = Filter::all((0..MAX_FILTER_NODES - 1).map(|i| Filter::eq("a", i as i64)));
        assert!(wide.validate().is_ok());
        assert!(matches!(
            wide.and(Filter::exists("b")).validate(),
            Err(Error::FilterTooComplex {
                what: "node count",
                got: 1025,
                limit: 1024
            })
        ));

        let nested = (0..MAX_FILTER_DEPTH).fold(Value::Int(1), |v, _| Value::List(vec![v]));
        assert!(Filter::contains("t", nested.clone()).validate().is_ok());
        assert!(matches!(
            Filter::contains("t", Value::List(vec![nested])).validate(),
            Err(Error::FilterTooComplex {
                what: "value nesting depth",
                got: 33,
                ..
            })
        ));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                Filter::in_("x", [Value::Int(1), Value::List(vec![Value::Float(bad)])]).validate(),
                Err(Error::InvalidArgument { .. })
            ));
        }
    }
}
