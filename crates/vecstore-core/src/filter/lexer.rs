//! Tokens of the filter syntax, produced one at a time so that the first
//! error in the text is the one reported.

use super::CmpOp;
use crate::{Error, Result};

/// A reserved word. Matched case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    And,
    Or,
    Not,
    In,
    Contains,
    Starts,
    With,
    Exists,
    Is,
    True,
    False,
    Null,
}

const KEYWORDS: [(&str, Keyword); 12] = [
    ("AND", Keyword::And),
    ("OR", Keyword::Or),
    ("NOT", Keyword::Not),
    ("IN", Keyword::In),
    ("CONTAINS", Keyword::Contains),
    ("STARTS", Keyword::Starts),
    ("WITH", Keyword::With),
    ("EXISTS", Keyword::Exists),
    ("IS", Keyword::Is),
    ("TRUE", Keyword::True),
    ("FALSE", Keyword::False),
    ("NULL", Keyword::Null),
];

/// The keyword spelled by `word`, ignoring ASCII case.
pub(super) fn keyword(word: &str) -> Option<Keyword> {
    KEYWORDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(word))
        .map(|&(_, kw)| kw)
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Whether `field` can be written without backticks.
pub(super) fn is_bare_field(field: &str) -> bool {
    let mut chars = field.chars();
    chars.next().is_some_and(is_ident_start)
        && chars.all(is_ident_continue)
        && keyword(field).is_none()
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A bare or backtick-quoted field name.
    Field(String),
    Keyword(Keyword),
    Str(String),
    Int(i64),
    Float(f64),
    Op(CmpOp),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    /// A character that starts no token; the parser reports it in context.
    Unknown,
    End,
}

/// A token and the byte range of its text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// How much of a token's text an error message quotes.
const MAX_QUOTED_CHARS: usize = 40;

/// `text` cut to a readable length for an error message.
pub(super) fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// `text` for an error's `found`: shortened, in single quotes.
pub(super) fn quote(text: &str) -> String {
    format!("'{}'", shorten(text))
}

fn parse_error(position: usize, expected: impl Into<String>, found: impl Into<String>) -> Error {
    Error::FilterParse {
        position,
        expected: expected.into(),
        found: found.into(),
    }
}

/// Splits filter text into tokens on demand.
pub(super) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_char_at(&self, offset: usize) -> Option<char> {
        self.src.get(self.pos + offset..)?.chars().next()
    }

    /// The next token; errors only for malformed literals.
    pub fn next_token(&mut self) -> Result<Token> {
        while let Some(c) = self.peek_char().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(Token {
                tok: Tok::End,
                start,
                end: start,
            });
        };
        let next = self.peek_char_at(c.len_utf8());
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            ',' => (Tok::Comma, 1),
            '=' => (Tok::Op(CmpOp::Eq), 1),
            '!' if next == Some('=') => (Tok::Op(CmpOp::Ne), 2),
            '<' if next == Some('=') => (Tok::Op(CmpOp::Le), 2),
            '<' => (Tok::Op(CmpOp::Lt), 1),
            '>' if next == Some('=') => (Tok::Op(CmpOp::Ge), 2),
            '>' => (Tok::Op(CmpOp::Gt), 1),
            '\'' | '"' => return self.quoted(c).map(|s| self.token(Tok::Str(s), start)),
            '`' => return self.quoted(c).map(|s| self.token(Tok::Field(s), start)),
            c if c.is_ascii_digit() => return self.number(),
            '-' if next.is_some_and(|n| n.is_ascii_digit()) => return self.number(),
            c if is_ident_start(c) => {
                let len = self.src[start..]
                    .find(|c: char| !is_ident_continue(c))
                    .unwrap_or(self.src.len() - start);
                let word = &self.src[start..start + len];
                let tok = match keyword(word) {
                    Some(kw) => Tok::Keyword(kw),
                    None => Tok::Field(word.to_string()),
                };
                (tok, len)
            }
            other => (Tok::Unknown, other.len_utf8()),
        };
        self.pos += len;
        Ok(self.token(tok, start))
    }

    fn token(&self, tok: Tok, start: usize) -> Token {
        Token {
            tok,
            start,
            end: self.pos,
        }
    }

    /// A literal enclosed in `quote`, where a doubled quote stands for one.
    fn quoted(&mut self, quote: char) -> Result<String> {
        let start = self.pos;
        let mut out = String::new();
        let mut rest = self.src[start + 1..].char_indices();
        while let Some((i, c)) = rest.next() {
            if c != quote {
                out.push(c);
                continue;
            }
            if self.src[start + 1 + i + 1..].starts_with(quote) {
                out.push(quote);
                rest.next();
                continue;
            }
            self.pos = start + 1 + i + 1;
            return Ok(out);
        }
        Err(parse_error(
            start,
            format!("a closing {quote} for the literal starting here"),
            "end of input",
        ))
    }

    /// `-?digits(.digits)?([eE][+-]?digits)?`: an `Int` unless it has a
    /// fraction or an exponent.
    fn number(&mut self) -> Result<Token> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let digits_from = |mut i: usize| {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            i
        };
        let mut end = start;
        if bytes[end] == b'-' {
            end += 1;
        }
        end = digits_from(end);
        let mut is_float = false;
        if end < bytes.len() && bytes[end] == b'.' {
            let frac_end = digits_from(end + 1);
            if frac_end == end + 1 {
                return Err(self.bad_number(start, end + 1, "a digit after '.'"));
            }
            end = frac_end;
            is_float = true;
        }
        if end < bytes.len() && (bytes[end] | 0x20) == b'e' {
            let mut exp = end + 1;
            if exp < bytes.len() && (bytes[exp] == b'+' || bytes[exp] == b'-') {
                exp += 1;
            }
            let exp_end = digits_from(exp);
            if exp_end == exp {
                return Err(self.bad_number(start, exp, "a digit in the exponent"));
            }
            end = exp_end;
            is_float = true;
        }
        if self.src[end..].starts_with(is_ident_continue) {
            return Err(self.bad_number(start, start, "a number"));
        }
        let text = &self.src[start..end];
        let tok = if is_float {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Tok::Float(f),
                _ => return Err(parse_error(start, "a finite number", quote(text))),
            }
        } else {
            match text.parse::<i64>() {
                Ok(i) => Tok::Int(i),
                Err(_) => {
                    return Err(parse_error(
                        start,
                        "an integer in the i64 range",
                        quote(text),
                    ));
                }
            }
        };
        self.pos = end;
        Ok(self.token(tok, start))
    }

    /// An error at `position` quoting the malformed number that starts at
    /// `start`, up to the end of its run of number-like characters.
    fn bad_number(&self, start: usize, position: usize, expected: &str) -> Error {
        let len = self.src[start + 1..]
            .find(|c: char| !(is_ident_continue(c) || c == '+' || c == '-'))
            .map_or(self.src.len(), |l| start + 1 + l);
        parse_error(position, expected, quote(&self.src[start..len]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let mut lexer = Lexer::new(s);
        let mut out = Vec::new();
        loop {
            let t = lexer.next_token().unwrap();
            if t.tok == Tok::End {
                return out;
            }
            out.push(t.tok);
        }
    }

    #[test]
    fn tokens() {
        assert_eq!(
            toks("a.b_1 >= -12 AnD 'it''s' \"q\"\"\" `x y``` 1.5e3 2E-2 [ ] ,"),
            vec![
                Tok::Field("a.b_1".into()),
                Tok::Op(CmpOp::Ge),
                Tok::Int(-12),
                Tok::Keyword(Keyword::And),
                Tok::Str("it's".into()),
                Tok::Str("q\"".into()),
                Tok::Field("x y`".into()),
                Tok::Float(1500.0),
                Tok::Float(0.02),
                Tok::LBracket,
                Tok::RBracket,
                Tok::Comma,
            ]
        );
        assert_eq!(toks("''"), vec![Tok::Str(String::new())]);
        assert_eq!(toks("''''"), vec![Tok::Str("'".into())]);
        assert_eq!(toks("'é'"), vec![Tok::Str("é".into())]);
        assert_eq!(
            toks("- ! é"),
            vec![Tok::Unknown, Tok::Unknown, Tok::Unknown]
        );
        assert_eq!(toks("-9223372036854775808"), vec![Tok::Int(i64::MIN)]);
    }

    #[test]
    fn bare_fields() {
        assert!(is_bare_field("a.b_c9"));
        assert!(is_bare_field("_x"));
        for quoted in ["", "9a", "a b", "in", "Null", "é", ".a"] {
            assert!(!is_bare_field(quoted), "{quoted}");
        }
    }
}
