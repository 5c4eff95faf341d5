//! Metadata filters: an AST, a builder, a string syntax, and evaluation.
//!
//! A [`Filter`] is built in code or parsed from a string; both give the same
//! tree, and [`Display`](std::fmt::Display) prints a string that parses back
//! to exactly that tree:
//!
//! ```
//! use vecstore_core::Filter;
//! let built = Filter::eq("category", "tech")
//!     .and(Filter::gt("score", 0.5).or(Filter::eq("archived", true).not()))
//!     .and(Filter::in_("lang", ["en", "de"]));
//! let parsed: Filter =
//!     "category = 'tech' AND (score > 0.5 OR NOT archived) AND lang IN ('en', 'de')".parse()?;
//! assert_eq!(built, parsed);
//! assert_eq!(built.to_string().parse::<Filter>()?, built);
//! # Ok::<(), vecstore_core::Error>(())
//! ```
//!
//! # Syntax
//!
//! ```text
//! filter    := or
//! or        := and ( OR and )*
//! and       := unary ( AND unary )*
//! unary     := NOT unary | '(' filter ')' | TRUE | FALSE | predicate
//! predicate := field                                  -- means field = TRUE
//!            | field ( = | != | < | <= | > | >= ) value
//!            | field [NOT] IN '(' [ value ( ',' value )* ] ')'
//!            | field [NOT] CONTAINS value
//!            | field [NOT] STARTS WITH string
//!            | field [NOT] EXISTS
//!            | field IS [NOT] NULL                    -- field = NULL / field != NULL
//! field     := [A-Za-z_][A-Za-z0-9_.]*  |  `any text, `` for a backtick`
//! value     := string | number | TRUE | FALSE | NULL | '[' [ value ( ',' value )* ] ']'
//! string    := 'text, '' for a quote'  |  "text, "" for a quote"
//! number    := -?[0-9]+                               -- Int (i64)
//!            | -?[0-9]+ ( . [0-9]+ )? ( [eE] [+-]? [0-9]+ )?   -- Float when it has . or e
//! ```
//!
//! Keywords (`AND OR NOT IN CONTAINS STARTS WITH EXISTS IS TRUE FALSE NULL`)
//! are case-insensitive and reserved: a field with such a name is written in
//! backticks (`` `in` = 1 ``), as is any field that is not a plain identifier.
//! Precedence is `NOT` > `AND` > `OR`. `a AND b AND c` is one `And` with three
//! children; a parenthesised group stays its own node, so `a AND (b AND c)` is
//! `And([a, And([b, c])])`. `field NOT IN (..)` is `In { negated: true }`;
//! the other `field NOT ...` forms are `Not(..)` around the positive predicate.
//! `TRUE` and `FALSE` as whole filters are `And([])` (matches everything) and
//! `Or([])` (matches nothing), which is how `Display` prints those two trees.
//!
//! Errors carry the byte offset of the offending token, what was expected
//! there and what was found ([`Error::FilterParse`]); filters nested deeper than
//! [`MAX_FILTER_DEPTH`] or with more than [`MAX_FILTER_NODES`] nodes are
//! rejected with [`Error::FilterTooComplex`], and the parser stops at that depth
//! before recursing further, so hostile input cannot exhaust the stack.
//!
//! Floats print with Rust's shortest round-trip form (`1.0`, `2.5e-8`), so a
//! printed filter parses back to bit-identical values. NaN and infinities have
//! no string form: [`Filter::validate`] rejects them and `Display` prints `NaN`
//! / `inf`, which the parser rejects. A single-child `And`/`Or` prints as its
//! child, so it reads back as the child alone (same matches, different tree).
//!
//! # Matching rules ([`Filter::matches`])
//!
//! | Filter | Matches a record when |
//! |---|---|
//! | `f = v` | `f` is present and equal to `v` (see equality below) |
//! | `f != v` | `f` is present and **not** equal to `v` (any type) |
//! | `f < v`, `<=`, `>`, `>=` | `f` and `v` are both numbers, or both strings, and the order holds |
//! | `f IN (v1, ..)` | `f` is present and equal to some `vi` |
//! | `f NOT IN (v1, ..)` | `f` is present and equal to none of the `vi` |
//! | `f CONTAINS v` | `f` is a list with an element equal to `v`, or `f` and `v` are strings and `v` is a substring of `f` |
//! | `f STARTS WITH 'p'` | `f` is a string starting with `p` |
//! | `f EXISTS` | the key `f` is present, even if its value is `NULL` |
//! | `NOT x` | `x` does not match |
//! | `a AND b`, `a OR b` | as in logic; `And([])` always, `Or([])` never matches |
//!
//! Equality: an `Int` and a `Float` are compared numerically and exactly
//! (`1 = 1.0`, but `2^53 + 1 != 2^53 as f64`); strings, bools and `NULL` equal
//! only the same type with the same value; lists equal element by element.
//! Strings order by Unicode code point (byte order of UTF-8); bools, `NULL`
//! and lists have no order, so `<` etc. never match them. A type mismatch
//! never matches except through `!=` / `NOT IN`.
//!
//! A missing field matches nothing except through `NOT`: `NOT (a = 1)` and
//! `a NOT EXISTS` match a record without `a`, while `a != 1` and
//! `a NOT IN (1)` do not. Use `a != 1 OR a NOT EXISTS` for "not 1, or absent".

mod display;
mod eval;
mod inspect;
mod lexer;
mod parser;

pub use eval::{compare_values, values_equal};

#[cfg(doc)]
use crate::{
    Error,
    validate::{MAX_FILTER_DEPTH, MAX_FILTER_NODES},
};
use crate::{Result, Value};

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

impl CmpOp {
    /// The operator as written in the filter syntax.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}

/// A filter over record metadata. See the [module docs](self) for the
/// syntax and the matching rules.
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

fn compare(field: impl Into<String>, op: CmpOp, value: impl Into<Value>) -> Filter {
    Filter::Compare {
        field: field.into(),
        op,
        value: value.into(),
    }
}

/// Builder: one constructor per predicate, plus combinators.
impl Filter {
    /// `field = value`.
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CmpOp::Eq, value)
    }

    /// `field != value`.
    pub fn ne(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CmpOp::Ne, value)
    }

    /// `field > value`.
    pub fn gt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CmpOp::Gt, value)
    }

    /// `field >= value`.
    pub fn ge(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CmpOp::Ge, value)
    }

    /// `field < value`.
    pub fn lt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CmpOp::Lt, value)
    }

    /// `field <= value`.
    pub fn le(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CmpOp::Le, value)
    }

    /// `field IN (values..)`.
    pub fn in_<V: Into<Value>>(
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Filter::In {
            field: field.into(),
            values: values.into_iter().map(Into::into).collect(),
            negated: false,
        }
    }

    /// `field NOT IN (values..)`.
    pub fn not_in<V: Into<Value>>(
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Filter::In {
            field: field.into(),
            values: values.into_iter().map(Into::into).collect(),
            negated: true,
        }
    }

    /// `field CONTAINS value`.
    pub fn contains(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Filter::Contains {
            field: field.into(),
            value: value.into(),
        }
    }

    /// `field STARTS WITH 'prefix'`.
    pub fn starts_with(field: impl Into<String>, prefix: impl Into<String>) -> Self {
        Filter::StartsWith {
            field: field.into(),
            prefix: prefix.into(),
        }
    }

    /// `field EXISTS`.
    pub fn exists(field: impl Into<String>) -> Self {
        Filter::Exists {
            field: field.into(),
        }
    }

    /// `field NOT EXISTS`, i.e. `Not(Exists)`.
    pub fn not_exists(field: impl Into<String>) -> Self {
        Filter::Exists {
            field: field.into(),
        }
        .not()
    }

    /// `And` of all `filters` (an empty `And` matches everything).
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Self {
        Filter::And(filters.into_iter().collect())
    }

    /// `Or` of all `filters` (an empty `Or` matches nothing).
    pub fn any(filters: impl IntoIterator<Item = Filter>) -> Self {
        Filter::Or(filters.into_iter().collect())
    }

    /// `self AND other`. When `self` is already a non-empty `And`, `other` is
    /// appended to it, so `a.and(b).and(c)` is `And([a, b, c])`, as
    /// `a AND b AND c` parses; `other` itself is kept whole, like a
    /// parenthesised group. An empty `And` (`TRUE`) is kept as an operand,
    /// as `TRUE AND b` parses, so built trees always print and read back.
    pub fn and(self, other: Filter) -> Self {
        match self {
            Filter::And(mut children) if !children.is_empty() => {
                children.push(other);
                Filter::And(children)
            }
            first => Filter::And(vec![first, other]),
        }
    }

    /// `self OR other`, appending to an existing top-level `Or` like [`Filter::and`].
    pub fn or(self, other: Filter) -> Self {
        match self {
            Filter::Or(mut children) if !children.is_empty() => {
                children.push(other);
                Filter::Or(children)
            }
            first => Filter::Or(vec![first, other]),
        }
    }

    /// `NOT self`. Always wraps, so `x.not().not()` is `Not(Not(x))`.
    #[allow(clippy::should_implement_trait)] // it is implemented too; this one needs no import
    pub fn not(self) -> Self {
        Filter::Not(Box::new(self))
    }

    /// Parses the filter syntax described in the [module docs](self), then
    /// checks the limits like [`Filter::validate`].
    ///
    /// ```
    /// use vecstore_core::{Error, Filter};
    /// let f = Filter::parse("lang IN ('en', 'de') AND NOT archived")?;
    /// assert_eq!(f, Filter::in_("lang", ["en", "de"]).and(!Filter::eq("archived", true)));
    /// match Filter::parse("score > ") {
    ///     Err(Error::FilterParse { position, expected, found }) => {
    ///         assert_eq!((position, expected.as_str(), found.as_str()), (8, "a value", "end of input"));
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Filter> {
        let filter = parser::parse(s)?;
        filter.validate()?;
        Ok(filter)
    }
}

impl std::ops::Not for Filter {
    type Output = Filter;
    fn not(self) -> Filter {
        Filter::Not(Box::new(self))
    }
}

impl std::str::FromStr for Filter {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Filter> {
        Filter::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_flattens_only_the_receiver() {
        let (a, b, c) = (Filter::eq("a", 1), Filter::eq("b", 2), Filter::eq("c", 3));
        assert_eq!(
            a.clone().and(b.clone()).and(c.clone()),
            Filter::And(vec![a.clone(), b.clone(), c.clone()])
        );
        assert_eq!(
            a.clone().and(b.clone().and(c.clone())),
            Filter::And(vec![a.clone(), Filter::And(vec![b.clone(), c.clone()])])
        );
        assert_eq!(
            a.clone().or(b.clone()).or(c.clone()),
            Filter::Or(vec![a.clone(), b.clone(), c.clone()])
        );
        assert_eq!(
            a.clone().or(b.clone()).and(c.clone()),
            Filter::And(vec![Filter::Or(vec![a.clone(), b.clone()]), c.clone()])
        );
        assert_eq!(!a.clone(), Filter::Not(Box::new(a.clone())));
        assert_eq!(a.clone().not(), !a.clone());
        assert_eq!(
            Filter::not_exists("x"),
            Filter::Not(Box::new(Filter::Exists { field: "x".into() }))
        );
        assert_eq!(
            Filter::not_in("x", [1, 2]),
            Filter::In {
                field: "x".into(),
                values: vec![Value::Int(1), Value::Int(2)],
                negated: true
            }
        );
        assert_eq!(Filter::all([]), Filter::And(vec![]));
        assert_eq!(
            Filter::all([]).and(a.clone()),
            Filter::And(vec![Filter::And(vec![]), a.clone()])
        );
        assert_eq!(
            Filter::any([]).or(a.clone()),
            Filter::Or(vec![Filter::Or(vec![]), a.clone()])
        );
        assert_eq!(Filter::any([a.clone()]), Filter::Or(vec![a]));
    }
}
