//! Tokens of FHIRPath: identifiers (plain and `backticked`), string, number,
//! date/time literals, `%constants`, `$variables`, and operators. Comments
//! (`//` and `/* */`) and whitespace are skipped here.

use crate::error::{ParseError, ParseErrorKind, Position};

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    Identifier(String),
    /// A backticked identifier: never a keyword.
    DelimitedIdentifier(String),
    String(String),
    Number(String),
    /// Text after `@` for a date or dateTime.
    DateTime(String),
    /// Text after `@T`.
    Time(String),
    /// `%name`, `%'quoted'` or `%`name``.
    Constant(String),
    /// `$this`, `$index`, `$total`.
    Variable(String),
    Symbol(&'static str),
    End,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    /// Byte offset of the first character.
    pub offset: usize,
}

const SYMBOLS: [&str; 22] = [
    "<=", ">=", "!=", "!~", ".", "[", "]", "(", ")", "{", "}", ",", "+", "-", "*", "/", "&", "|",
    "=", "~", "<", ">",
];

pub fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_trivia()?;
        let offset = lexer.pos;
        let kind = lexer.next_kind()?;
        let done = kind == TokenKind::End;
        tokens.push(Token { kind, offset });
        if done {
            return Ok(tokens);
        }
    }
}

struct Lexer<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

impl<'t> Lexer<'t> {
    fn error(&self, offset: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            kind: ParseErrorKind::Syntax,
            position: Position::locate(self.text, offset),
            message: message.into(),
        }
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn skip_trivia(&mut self) -> Result<(), ParseError> {
        loop {
            match (self.peek_at(0), self.peek_at(1)) {
                (Some(b), _) if b.is_ascii_whitespace() => self.pos += 1,
                (Some(b'/'), Some(b'/')) => {
                    while self.peek_at(0).is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                (Some(b'/'), Some(b'*')) => {
                    let start = self.pos;
                    let end = self.text[self.pos + 2..]
                        .find("*/")
                        .ok_or_else(|| self.error(start, "unterminated comment"))?;
                    self.pos += end + 4;
                }
                _ => return Ok(()),
            }
        }
    }

    fn next_kind(&mut self) -> Result<TokenKind, ParseError> {
        let start = self.pos;
        let Some(first) = self.peek_at(0) else {
            return Ok(TokenKind::End);
        };
        match first {
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                Ok(TokenKind::Identifier(self.plain_identifier().to_string()))
            }
            b'`' => Ok(TokenKind::DelimitedIdentifier(self.quoted(b'`')?)),
            b'\'' => Ok(TokenKind::String(self.quoted(b'\'')?)),
            b'0'..=b'9' => Ok(TokenKind::Number(self.number())),
            b'@' => self.date_time(),
            b'%' => {
                self.pos += 1;
                match self.peek_at(0) {
                    Some(b'\'') => Ok(TokenKind::Constant(self.quoted(b'\'')?)),
                    Some(b'`') => Ok(TokenKind::Constant(self.quoted(b'`')?)),
                    Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                        // %vs-name and %ext-name contain dashes.
                        let begin = self.pos;
                        while self
                            .peek_at(0)
                            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                        {
                            self.pos += 1;
                        }
                        Ok(TokenKind::Constant(self.text[begin..self.pos].to_string()))
                    }
                    _ => Err(self.error(start, "expected a constant name after '%'")),
                }
            }
            b'$' => {
                self.pos += 1;
                let name = self.plain_identifier();
                match name {
                    "this" | "index" | "total" => Ok(TokenKind::Variable(name.to_string())),
                    _ => Err(self.error(start, "expected $this, $index or $total")),
                }
            }
            _ => {
                for symbol in SYMBOLS {
                    if self.text[self.pos..].starts_with(symbol) {
                        self.pos += symbol.len();
                        return Ok(TokenKind::Symbol(symbol));
                    }
                }
                let shown = self.text[self.pos..].chars().next().unwrap_or(' ');
                Err(self.error(start, format!("unexpected character {shown:?}")))
            }
        }
    }

    fn plain_identifier(&mut self) -> &'t str {
        let begin = self.pos;
        while self
            .peek_at(0)
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.pos += 1;
        }
        &self.text[begin..self.pos]
    }

    fn number(&mut self) -> String {
        let begin = self.pos;
        while self.peek_at(0).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.peek_at(0) == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            while self.peek_at(0).is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        self.text[begin..self.pos].to_string()
    }

    /// A quoted string or identifier with FHIRPath escapes.
    fn quoted(&mut self, quote: u8) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let mut chars = rest.chars();
            let Some(c) = chars.next() else {
                return Err(self.error(start, "unterminated string or identifier"));
            };
            self.pos += c.len_utf8();
            if c as u32 == u32::from(quote) {
                return Ok(out);
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let escape_at = self.pos - 1;
            let Some(e) = chars.next() else {
                return Err(self.error(start, "unterminated string or identifier"));
            };
            self.pos += e.len_utf8();
            match e {
                '\'' | '"' | '`' | '\\' | '/' => out.push(e),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hex = self.text.get(self.pos..self.pos + 4).ok_or_else(|| {
                        self.error(escape_at, "expected four hex digits after \\u")
                    })?;
                    let code = u32::from_str_radix(hex, 16)
                        .map_err(|_| self.error(escape_at, "expected four hex digits after \\u"))?;
                    self.pos += 4;
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                other => return Err(self.error(escape_at, format!("unknown escape \\{other}"))),
            }
        }
    }

    fn digits(&mut self, count: usize) -> bool {
        let ok = (0..count).all(|i| self.peek_at(i).is_some_and(|b| b.is_ascii_digit()));
        if ok {
            self.pos += count;
        }
        ok
    }

    /// `@` date/dateTime or `@T` time; the shape is checked loosely here and
    /// exactly by fhir-core when the parser builds the literal.
    fn date_time(&mut self) -> Result<TokenKind, ParseError> {
        let start = self.pos;
        self.pos += 1;
        if self.peek_at(0) == Some(b'T') {
            self.pos += 1;
            let begin = self.pos;
            self.time_part();
            return Ok(TokenKind::Time(self.text[begin..self.pos].to_string()));
        }
        let begin = self.pos;
        if !self.digits(4) {
            return Err(self.error(start, "expected a date after '@'"));
        }
        for _ in 0..2 {
            if self.peek_at(0) == Some(b'-') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit())
            {
                self.pos += 1;
                self.digits(2);
            }
        }
        if self.peek_at(0) == Some(b'T') {
            self.pos += 1;
            if self.time_part() {
                self.time_zone();
            }
        }
        Ok(TokenKind::DateTime(self.text[begin..self.pos].to_string()))
    }

    fn time_part(&mut self) -> bool {
        if !self.digits(2) {
            return false;
        }
        for _ in 0..2 {
            if self.peek_at(0) == Some(b':') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit())
            {
                self.pos += 1;
                self.digits(2);
            }
        }
        if self.peek_at(0) == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            while self.peek_at(0).is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        true
    }

    fn time_zone(&mut self) {
        match self.peek_at(0) {
            Some(b'Z') => self.pos += 1,
            Some(b'+') | Some(b'-') => {
                let shape = [1, 2, 4, 5]
                    .iter()
                    .all(|&i| self.peek_at(i).is_some_and(|b| b.is_ascii_digit()))
                    && self.peek_at(3) == Some(b':');
                if shape {
                    self.pos += 6;
                }
            }
            _ => {}
        }
    }
}
