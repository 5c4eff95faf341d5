//! Printing filters in the syntax the parser reads, so that
//! `parse(filter.to_string()) == filter` for every valid filter whose
//! `And`/`Or` nodes have zero or at least two children.

use super::lexer::is_bare_field;
use super::{CmpOp, Filter};
use crate::Value;
use std::fmt::{self, Display, Formatter, Write};

impl Display for Filter {
    /// Prints the filter syntax; see the [module docs](super) for which trees
    /// read back exactly.
    ///
    /// ```
    /// use vecstore_core::Filter;
    /// let f = Filter::eq("a", 1).and(Filter::eq("b", 2.0).or(Filter::not_exists("it's")));
    /// assert_eq!(f.to_string(), "a = 1 AND (b = 2.0 OR `it's` NOT EXISTS)");
    /// ```
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Filter::And(children) if children.is_empty() => f.write_str("TRUE"),
            Filter::Or(children) if children.is_empty() => f.write_str("FALSE"),
            Filter::And(children) => write_joined(f, children, " AND "),
            Filter::Or(children) => write_joined(f, children, " OR "),
            Filter::Not(child) => match &**child {
                Filter::Exists { field } => write!(f, "{} NOT EXISTS", FieldName(field)),
                Filter::Contains { field, value } => {
                    write!(f, "{} NOT CONTAINS {}", FieldName(field), Literal(value))
                }
                Filter::StartsWith { field, prefix } => {
                    write!(f, "{} NOT STARTS WITH ", FieldName(field))?;
                    write_string(f, prefix)
                }
                child => {
                    f.write_str("NOT ")?;
                    write_operand(f, child)
                }
            },
            Filter::Compare { field, op, value } => {
                write!(f, "{} {} {}", FieldName(field), op, Literal(value))
            }
            Filter::In {
                field,
                values,
                negated,
            } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{} {not}IN (", FieldName(field))?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Literal(value))?;
                }
                f.write_char(')')
            }
            Filter::Contains { field, value } => {
                write!(f, "{} CONTAINS {}", FieldName(field), Literal(value))
            }
            Filter::StartsWith { field, prefix } => {
                write!(f, "{} STARTS WITH ", FieldName(field))?;
                write_string(f, prefix)
            }
            Filter::Exists { field } => write!(f, "{} EXISTS", FieldName(field)),
        }
    }
}

impl Display for CmpOp {
    /// The operator's symbol, e.g. `>=`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

fn write_joined(f: &mut Formatter<'_>, children: &[Filter], separator: &str) -> fmt::Result {
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        write_operand(f, child)?;
    }
    Ok(())
}

/// Writes an operand of `AND`, `OR` or `NOT`, in parentheses when it is
/// itself an `And`/`Or`: for `Or` under `And` or `Not` that is required by
/// precedence, for `And` under `And` it keeps the group a separate node, and
/// for `And` under `Or` it is only for the reader.
fn write_operand(f: &mut Formatter<'_>, child: &Filter) -> fmt::Result {
    match child {
        Filter::And(c) | Filter::Or(c) if !c.is_empty() => write!(f, "({child})"),
        _ => write!(f, "{child}"),
    }
}

/// `text` in single quotes, with each quote doubled.
fn write_string(f: &mut Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('\'')?;
    for part in text.split_inclusive('\'') {
        f.write_str(part)?;
        if part.ends_with('\'') {
            f.write_char('\'')?;
        }
    }
    f.write_char('\'')
}

/// A field name, in backticks unless it is a plain identifier.
struct FieldName<'a>(&'a str);

impl Display for FieldName<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if is_bare_field(self.0) {
            return f.write_str(self.0);
        }
        f.write_char('`')?;
        for part in self.0.split_inclusive('`') {
            f.write_str(part)?;
            if part.ends_with('`') {
                f.write_char('`')?;
            }
        }
        f.write_char('`')
    }
}

/// A value as a filter literal.
struct Literal<'a>(&'a Value);

impl Display for Literal<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Null => f.write_str("NULL"),
            Value::Bool(true) => f.write_str("TRUE"),
            Value::Bool(false) => f.write_str("FALSE"),
            Value::Int(i) => write!(f, "{i}"),
            // Debug is the shortest text that parses back to the same bits
            // and always has a '.' or an exponent, so it reads back as Float.
            Value::Float(x) => write!(f, "{x:?}"),
            Value::String(s) => write_string(f, s),
            Value::List(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Literal(item))?;
                }
                f.write_char(']')
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_the_syntax() {
        let cases = [
            (Filter::And(vec![]), "TRUE"),
            (Filter::Or(vec![]), "FALSE"),
            (Filter::eq("a", "it's"), "a = 'it''s'"),
            (Filter::ne("a b", 1.0), "`a b` != 1.0"),
            (Filter::ge("x`", -3), "`x``` >= -3"),
            (Filter::lt("in", 1e-7), "`in` < 1e-7"),
            (Filter::le("", Value::Null), "`` <= NULL"),
            (Filter::gt("f", f64::NAN), "f > NaN"),
            (Filter::in_("l", ["en", "de"]), "l IN ('en', 'de')"),
            (Filter::not_in("l", Vec::<i32>::new()), "l NOT IN ()"),
            (Filter::contains("t", vec![1, 2]), "t CONTAINS [1, 2]"),
            (Filter::starts_with("s", "''"), "s STARTS WITH ''''''"),
            (Filter::not_exists("e"), "e NOT EXISTS"),
            (!Filter::contains("t", true), "t NOT CONTAINS TRUE"),
            (!Filter::starts_with("t", "p"), "t NOT STARTS WITH 'p'"),
            (!!Filter::eq("a", true), "NOT NOT a = TRUE"),
            (!Filter::And(vec![]), "NOT TRUE"),
            (
                !Filter::eq("a", 1).or(Filter::eq("b", 2)),
                "NOT (a = 1 OR b = 2)",
            ),
            (
                Filter::eq("a", 1).or(Filter::eq("b", 2).and(Filter::eq("c", 3))),
                "a = 1 OR (b = 2 AND c = 3)",
            ),
            (
                Filter::eq("a", 1).and(Filter::eq("b", 2).and(Filter::eq("c", 3))),
                "a = 1 AND (b = 2 AND c = 3)",
            ),
            (Filter::And(vec![Filter::eq("a", 1)]), "a = 1"),
        ];
        for (filter, text) in cases {
            assert_eq!(filter.to_string(), text);
        }
    }
}
