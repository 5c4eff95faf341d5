//! Recursive-descent parser for the filter syntax (grammar in the module docs).
//!
//! Recursion happens only at `NOT`, `(` and `[`; each of those checks the
//! nesting against [`MAX_FILTER_DEPTH`] before descending, so the stack stays
//! bounded whatever the input.

use super::lexer::{Keyword, Lexer, Tok, Token, quote, shorten};
use super::{CmpOp, Filter};
use crate::validate::MAX_FILTER_DEPTH;
use crate::{Error, Result, Value};

/// Parses `src` into a filter without checking the node-count limit.
pub(super) fn parse(src: &str) -> Result<Filter> {
    let mut parser = Parser::new(src)?;
    let filter = parser.or(0)?;
    match parser.tok.tok {
        Tok::End => Ok(filter),
        _ => Err(parser.unexpected("AND, OR or end of input")),
    }
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    /// The current, not yet consumed token.
    tok: Token,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Self> {
        let mut lexer = Lexer::new(src);
        let tok = lexer.next_token()?;
        Ok(Parser { src, lexer, tok })
    }

    /// Consumes the current token and returns it.
    fn advance(&mut self) -> Result<Token> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.tok, next))
    }

    fn at_keyword(&self, kw: Keyword) -> bool {
        self.tok.tok == Tok::Keyword(kw)
    }

    /// Consumes the current token if it is `tok`, else fails expecting `expected`.
    fn expect(&mut self, tok: Tok, expected: &str) -> Result<()> {
        if self.tok.tok == tok {
            self.advance()?;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// A parse error at the current token.
    fn unexpected(&self, expected: &str) -> Error {
        let text = &self.src[self.tok.start..self.tok.end];
        let found = match self.tok.tok {
            Tok::End => "end of input".to_string(),
            // A string literal shows its own quotes.
            Tok::Str(_) => shorten(text),
            _ => quote(text),
        };
        Error::FilterParse {
            position: self.tok.start,
            expected: expected.to_string(),
            found,
        }
    }

    /// Fails when descending one more level would pass the depth limit.
    fn check_depth(depth: usize, what: &'static str) -> Result<usize> {
        let deeper = depth + 1;
        if deeper > MAX_FILTER_DEPTH {
            return Err(Error::FilterTooComplex {
                what,
                got: deeper,
                limit: MAX_FILTER_DEPTH,
            });
        }
        Ok(deeper)
    }

    /// `and (OR and)*`; `depth` counts the enclosing `NOT`s and `(`s.
    fn or(&mut self, depth: usize) -> Result<Filter> {
        let first = self.and(depth)?;
        if !self.at_keyword(Keyword::Or) {
            return Ok(first);
        }
        let mut children = vec![first];
        while self.at_keyword(Keyword::Or) {
            self.advance()?;
            children.push(self.and(depth)?);
        }
        Ok(Filter::Or(children))
    }

    /// `unary (AND unary)*`.
    fn and(&mut self, depth: usize) -> Result<Filter> {
        let first = self.unary(depth)?;
        if !self.at_keyword(Keyword::And) {
            return Ok(first);
        }
        let mut children = vec![first];
        while self.at_keyword(Keyword::And) {
            self.advance()?;
            children.push(self.unary(depth)?);
        }
        Ok(Filter::And(children))
    }

    /// `NOT unary | '(' or ')' | TRUE | FALSE | predicate`.
    fn unary(&mut self, depth: usize) -> Result<Filter> {
        match self.tok.tok {
            Tok::Keyword(Keyword::Not) => {
                let depth = Self::check_depth(depth, "depth")?;
                self.advance()?;
                Ok(Filter::Not(Box::new(self.unary(depth)?)))
            }
            Tok::LParen => {
                let depth = Self::check_depth(depth, "depth")?;
                self.advance()?;
                let inner = self.or(depth)?;
                self.expect(Tok::RParen, "AND, OR or ')'")?;
                Ok(inner)
            }
            Tok::Keyword(Keyword::True) => {
                self.advance()?;
                Ok(Filter::And(Vec::new()))
            }
            Tok::Keyword(Keyword::False) => {
                self.advance()?;
                Ok(Filter::Or(Vec::new()))
            }
            Tok::Field(ref field) => {
                let field = field.clone();
                self.advance()?;
                self.predicate(field)
            }
            _ => Err(self.unexpected("a field name, NOT or '('")),
        }
    }

    /// Everything after the field name of a predicate.
    fn predicate(&mut self, field: String) -> Result<Filter> {
        match self.tok.tok {
            Tok::Op(op) => {
                self.advance()?;
                let value = self.value(0)?;
                Ok(Filter::Compare { field, op, value })
            }
            Tok::Keyword(Keyword::Not) => {
                self.advance()?;
                match self.tok.tok {
                    Tok::Keyword(Keyword::In) => self.in_list(field, true),
                    Tok::Keyword(Keyword::Contains | Keyword::Starts | Keyword::Exists) => {
                        Ok(Filter::Not(Box::new(self.predicate(field)?)))
                    }
                    _ => Err(self.unexpected("IN, CONTAINS, STARTS WITH or EXISTS")),
                }
            }
            Tok::Keyword(Keyword::In) => self.in_list(field, false),
            Tok::Keyword(Keyword::Contains) => {
                self.advance()?;
                let value = self.value(0)?;
                Ok(Filter::Contains { field, value })
            }
            Tok::Keyword(Keyword::Starts) => {
                self.advance()?;
                self.expect(Tok::Keyword(Keyword::With), "WITH")?;
                match self.tok.tok {
                    Tok::Str(ref prefix) => {
                        let prefix = prefix.clone();
                        self.advance()?;
                        Ok(Filter::StartsWith { field, prefix })
                    }
                    _ => Err(self.unexpected("a string")),
                }
            }
            Tok::Keyword(Keyword::Exists) => {
                self.advance()?;
                Ok(Filter::Exists { field })
            }
            Tok::Keyword(Keyword::Is) => {
                self.advance()?;
                let op = if self.at_keyword(Keyword::Not) {
                    self.advance()?;
                    CmpOp::Ne
                } else {
                    CmpOp::Eq
                };
                let expected = if op == CmpOp::Ne {
                    "NULL"
                } else {
                    "NULL or NOT NULL"
                };
                self.expect(Tok::Keyword(Keyword::Null), expected)?;
                Ok(Filter::Compare {
                    field,
                    op,
                    value: Value::Null,
                })
            }
            // A bare field is a boolean flag: `archived` means `archived = TRUE`.
            Tok::Keyword(Keyword::And | Keyword::Or) | Tok::RParen | Tok::End => {
                Ok(Filter::Compare {
                    field,
                    op: CmpOp::Eq,
                    value: Value::Bool(true),
                })
            }
            _ => Err(self.unexpected("an operator")),
        }
    }

    /// `'(' [value (',' value)*] ')'` after `IN` (the current token).
    fn in_list(&mut self, field: String, negated: bool) -> Result<Filter> {
        self.advance()?;
        self.expect(Tok::LParen, "'('")?;
        let mut values = Vec::new();
        if self.tok.tok == Tok::RParen {
            self.advance()?;
        } else {
            loop {
                values.push(self.value(0)?);
                match self.tok.tok {
                    Tok::Comma => self.advance()?,
                    Tok::RParen => {
                        self.advance()?;
                        break;
                    }
                    _ => return Err(self.unexpected("',' or ')'")),
                };
            }
        }
        Ok(Filter::In {
            field,
            values,
            negated,
        })
    }

    /// A literal; `depth` counts the enclosing `[`s.
    fn value(&mut self, depth: usize) -> Result<Value> {
        let value = match self.tok.tok {
            Tok::Str(ref s) => Value::String(s.clone()),
            Tok::Int(i) => Value::Int(i),
            Tok::Float(f) => Value::Float(f),
            Tok::Keyword(Keyword::True) => Value::Bool(true),
            Tok::Keyword(Keyword::False) => Value::Bool(false),
            Tok::Keyword(Keyword::Null) => Value::Null,
            Tok::LBracket => return self.list(depth),
            _ => return Err(self.unexpected("a value")),
        };
        self.advance()?;
        Ok(value)
    }

    /// `'[' [value (',' value)*] ']'`.
    fn list(&mut self, depth: usize) -> Result<Value> {
        let depth = Self::check_depth(depth, "value nesting depth")?;
        self.advance()?;
        let mut items = Vec::new();
        if self.tok.tok == Tok::RBracket {
            self.advance()?;
            return Ok(Value::List(items));
        }
        loop {
            items.push(self.value(depth)?);
            match self.tok.tok {
                Tok::Comma => self.advance()?,
                Tok::RBracket => {
                    self.advance()?;
                    return Ok(Value::List(items));
                }
                _ => return Err(self.unexpected("',' or ']'")),
            };
        }
    }
}
