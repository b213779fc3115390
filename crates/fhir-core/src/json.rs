//! Reading JSON as FHIR defines it (R4 §2.6.2, "JSON Representation"):
//!
//! * an object with the same key twice is refused, naming the key and where it
//!   is (`Patient.gender`), where serde_json would silently keep the last;
//! * every number keeps its text exactly as sent (`1E2`, `1.10`, `-0.0`),
//!   where serde_json's `arbitrary_precision` rewrites exponents (`1e+2`).
//!
//! The result is an ordinary `serde_json::Value` (with the workspace's
//! `preserve_order` and `arbitrary_precision` features), so everything after
//! the edge keeps using serde_json. Strings with escapes are decoded by
//! serde_json itself; this reader only walks the structure, which is what no
//! crate does for us: serde_json's lexer has already normalised the number
//! text and merged duplicate keys before any visitor sees them.

use serde_json::{Map, Number, Value};

/// Objects and arrays nest at most this deep, as with serde_json before:
/// everything downstream (validation, FHIRPath) walks a resource recursively,
/// and this bound is what keeps those walks within a thread's stack. It still
/// allows 60-odd levels of Questionnaire items.
pub const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (line {line}, column {column})")]
pub struct JsonError {
    pub message: String,
    /// 1-based, as editors count.
    pub line: usize,
    pub column: usize,
    /// FHIRPath-style location of the offending element (`Patient.name[0].given`),
    /// when the error is about a key or value inside an object.
    pub path: Option<String>,
    pub kind: JsonErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// Not JSON at all (bad token, unterminated string, trailing text).
    Syntax,
    /// Valid JSON text that FHIR forbids: a key given twice.
    DuplicateKey,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Parses one JSON document (surrounding whitespace allowed).
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut reader = Reader { bytes, pos: 0 };
    let result = reader.document();
    result.map_err(|failure| failure.into_error(bytes))
}

/// Parses text (see [`parse`]).
pub fn parse_str(text: &str) -> Result<Value, JsonError> {
    parse(text.as_bytes())
}

struct Reader<'b> {
    bytes: &'b [u8],
    pos: usize,
}

/// An error on its way up: segments are prepended as it leaves each level,
/// so the path costs nothing when parsing succeeds.
struct Failure {
    message: String,
    at: usize,
    kind: JsonErrorKind,
    segments: Vec<Segment>,
    /// The resourceType of the outermost enclosing object that had one
    /// before the error, with how many segments lie below it: FHIRPath
    /// paths start at a resource.
    root: Option<(String, usize)>,
}

enum Segment {
    Key(String),
    Index(usize),
}

impl Failure {
    fn new(kind: JsonErrorKind, at: usize, message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            at,
            kind,
            segments: Vec::new(),
            root: None,
        }
    }

    fn into_error(mut self, bytes: &[u8]) -> JsonError {
        let (line, column) = line_and_column(bytes, self.at);
        let (mut path, below_root) = match self.root.take() {
            Some((resource_type, below)) => (resource_type, below),
            None => (String::new(), self.segments.len()),
        };
        self.segments.truncate(below_root);
        for segment in self.segments.iter().rev() {
            match segment {
                Segment::Key(key) if path.is_empty() => path.push_str(key),
                Segment::Key(key) => {
                    path.push('.');
                    path.push_str(key);
                }
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        JsonError {
            message: self.message,
            line,
            column,
            path: (!path.is_empty()).then_some(path),
            kind: self.kind,
        }
    }
}

fn line_and_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

type Parsed<T> = Result<T, Failure>;

impl Reader<'_> {
    fn document(&mut self) -> Parsed<Value> {
        self.skip_whitespace();
        let value = self.value(0)?;
        self.skip_whitespace();
        if self.pos < self.bytes.len() {
            return Err(self.syntax("trailing characters after the JSON document"));
        }
        Ok(value)
    }

    fn syntax(&self, message: &str) -> Failure {
        Failure::new(JsonErrorKind::Syntax, self.pos, message)
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Parsed<Value> {
        match self.bytes.get(self.pos) {
            None => Err(self.syntax("unexpected end of input, a value was expected")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => Err(self.syntax("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Parsed<Value> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.syntax("expected a JSON value"))
        }
    }

    fn enter(&self, depth: usize) -> Parsed<()> {
        if depth > MAX_DEPTH {
            return Err(Failure::new(
                JsonErrorKind::TooDeep,
                self.pos,
                format!("objects and arrays nest more than {MAX_DEPTH} deep"),
            ));
        }
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Parsed<Value> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        let mut map = Map::new();
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.syntax("expected a string key"));
            }
            let key_at = self.pos;
            let key = self.string()?;
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.syntax("expected ':' after an object key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = match self.value(depth) {
                Ok(value) => value,
                Err(failure) => return Err(leave_object(failure, &key, &map)),
            };
            // One hash lookup: the entry says whether the key came before.
            let duplicate = match map.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                    None
                }
                serde_json::map::Entry::Occupied(earlier) => Some(earlier.key().clone()),
            };
            if let Some(key) = duplicate {
                let message = format!(
                    "the key '{key}' appears twice in one object; FHIR JSON allows each \
                     property once"
                );
                let mut failure = Failure::new(JsonErrorKind::DuplicateKey, key_at, message);
                failure.segments.push(Segment::Key(key));
                return Err(leave_object(failure, "", &map));
            }
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.syntax("expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Parsed<Value> {
        self.enter(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            match self.value(depth) {
                Ok(value) => items.push(value),
                Err(mut failure) => {
                    failure.segments.push(Segment::Index(items.len()));
                    return Err(failure);
                }
            }
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.syntax("expected ',' or ']' in an array")),
            }
        }
    }

    /// A string token; the reader stands on its opening quote.
    fn string(&mut self) -> Parsed<String> {
        let start = self.pos;
        self.pos += 1;
        let mut escaped = false;
        loop {
            match self.bytes.get(self.pos) {
                None => {
                    return Err(Failure::new(
                        JsonErrorKind::Syntax,
                        start,
                        "unterminated string",
                    ))
                }
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 2;
                }
                Some(0x00..=0x1f) => {
                    return Err(self.syntax("control character in a string (it must be escaped)"))
                }
                Some(_) => self.pos += 1,
            }
        }
        self.pos += 1; // closing quote
        let token = &self.bytes[start..self.pos];
        if escaped {
            // serde_json decodes escapes, surrogate pairs and checks UTF-8.
            return serde_json::from_slice::<String>(token).map_err(|error| {
                Failure::new(JsonErrorKind::Syntax, start, format!("bad string: {error}"))
            });
        }
        std::str::from_utf8(&token[1..token.len() - 1])
            .map(str::to_owned)
            .map_err(|_| Failure::new(JsonErrorKind::Syntax, start, "a string is not valid UTF-8"))
    }

    /// A number token, checked against JSON's grammar and kept as sent.
    fn number(&mut self) -> Parsed<Value> {
        let start = self.pos;
        self.eat(b'-');
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.syntax("invalid number")),
        }
        if self.eat(b'.') {
            if !self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                return Err(self.syntax("invalid number: a digit must follow '.'"));
            }
            self.digits();
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if !self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                return Err(self.syntax("invalid number: a digit must follow the exponent"));
            }
            self.digits();
        }
        // The token is ASCII digits, signs, '.', 'e' and 'E' only.
        let text = String::from_utf8_lossy(&self.bytes[start..self.pos]).into_owned();
        Ok(Value::Number(number_from_text(text)))
    }

    fn digits(&mut self) {
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.bytes.get(self.pos) == Some(&byte);
        if found {
            self.pos += 1;
        }
        found
    }
}

/// Adds the key a failure happened under. The outermost object with a
/// resourceType (read before the error) roots the path, as in
/// `Bundle.entry[3].resource.gender`.
fn leave_object(mut failure: Failure, key: &str, map: &Map<String, Value>) -> Failure {
    if !key.is_empty() {
        failure.segments.push(Segment::Key(key.to_owned()));
    }
    if let Some(Value::String(resource_type)) = map.get("resourceType") {
        failure.root = Some((resource_type.clone(), failure.segments.len()));
    }
    failure
}

/// serde_json (with `arbitrary_precision`) keeps a number as its text, but
/// its only way to build one from text re-lexes it and rewrites exponents.
/// `from_string_unchecked` stores the text as given; the grammar was checked
/// above. It is hidden in serde_json's docs, so a test here pins the
/// behaviour (`exponent_text_is_kept`) in case a serde_json update changes it.
fn number_from_text(text: String) -> Number {
    Number::from_string_unchecked(text)
}

#[cfg(test)]
mod tests;
