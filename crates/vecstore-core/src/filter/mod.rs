//! Metadata filters: an AST, a builder, a string syntax, and evaluation.

use crate::Value;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

/// A filter over record metadata.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// All children match.
    And(Vec<Filter>),
    /// At least one child matches.
    Or(Vec<Filter>),
    /// The child does not match.
    Not(Box<Filter>),
    /// `field op value`.
    Compare {
        /// Field name.
        field: String,
        /// Operator.
        op: CmpOp,
        /// Literal.
        value: Value,
    },
    /// `field IN (..)` or, negated, `field NOT IN (..)`.
    In {
        /// Field name.
        field: String,
        /// Candidate literals.
        values: Vec<Value>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `field CONTAINS value`: list membership, or substring for strings.
    Contains {
        /// Field name.
        field: String,
        /// Literal.
        value: Value,
    },
    /// `field STARTS WITH 'prefix'`.
    StartsWith {
        /// Field name.
        field: String,
        /// Prefix.
        prefix: String,
    },
    /// `field EXISTS`.
    Exists {
        /// Field name.
        field: String,
    },
}
