//! Terse paths: `SEG[segment repetition]-FIELD[field repetition].COMPONENT.SUBCOMPONENT`, e.g.
//! `PID-3[2].4.1` or `OBX[2]-5`. Every number is 1-based; omitted repetitions mean 1.

use std::fmt;

use crate::error::PathError;

/// A parsed terse path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TersePath {
    pub segment: String,
    pub segment_repetition: usize,
    pub field: usize,
    pub field_repetition: usize,
    pub component: Option<usize>,
    pub subcomponent: Option<usize>,
}

impl TersePath {
    /// A path to field repetition 1 of the first segment with this name.
    pub fn field(segment: &str, field: usize) -> TersePath {
        TersePath {
            segment: segment.to_string(),
            segment_repetition: 1,
            field,
            field_repetition: 1,
            component: None,
            subcomponent: None,
        }
    }

    pub fn parse(text: &str) -> Result<TersePath, PathError> {
        let mut cursor = Cursor { text, pos: 0 };
        let name = cursor.take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if name.len() != 3 {
            return Err(cursor.error(0, "segment name must be three upper-case letters or digits"));
        }
        let segment_repetition = cursor.repetition()?;
        if !cursor.eat('-') {
            return Err(cursor.error(cursor.pos, "expected '-' before the field number"));
        }
        let field = cursor.number("field number")?;
        let field_repetition = cursor.repetition()?;
        let component = if cursor.eat('.') {
            Some(cursor.number("component number")?)
        } else {
            None
        };
        let subcomponent = if component.is_some() && cursor.eat('.') {
            Some(cursor.number("subcomponent number")?)
        } else {
            None
        };
        if cursor.pos != text.len() {
            return Err(cursor.error(cursor.pos, "unexpected text after the path"));
        }
        Ok(TersePath {
            segment: name.to_string(),
            segment_repetition,
            field,
            field_repetition,
            component,
            subcomponent,
        })
    }
}

impl std::str::FromStr for TersePath {
    type Err = PathError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TersePath::parse(text)
    }
}

impl fmt::Display for TersePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.segment)?;
        if self.segment_repetition != 1 {
            write!(f, "[{}]", self.segment_repetition)?;
        }
        write!(f, "-{}", self.field)?;
        if self.field_repetition != 1 {
            write!(f, "[{}]", self.field_repetition)?;
        }
        if let Some(component) = self.component {
            write!(f, ".{component}")?;
        }
        if let Some(subcomponent) = self.subcomponent {
            write!(f, ".{subcomponent}")?;
        }
        Ok(())
    }
}

struct Cursor<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Cursor<'t> {
    fn error(&self, position: usize, reason: &'static str) -> PathError {
        PathError {
            path: self.text.to_string(),
            position,
            reason,
        }
    }

    fn rest(&self) -> &'t str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'t str {
        let rest = self.rest();
        let len = rest.find(|c: char| !keep(c)).unwrap_or(rest.len());
        self.pos += len;
        rest.get(..len).unwrap_or_default()
    }

    fn eat(&mut self, wanted: char) -> bool {
        if self.rest().starts_with(wanted) {
            self.pos += wanted.len_utf8();
            true
        } else {
            false
        }
    }

    fn number(&mut self, what: &'static str) -> Result<usize, PathError> {
        let start = self.pos;
        let digits = self.take_while(|c| c.is_ascii_digit());
        match digits.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            Ok(_) => Err(self.error(start, "numbers are 1-based")),
            Err(_) => Err(self.error(start, what_expected(what))),
        }
    }

    /// An optional `[n]`; 1 when absent.
    fn repetition(&mut self) -> Result<usize, PathError> {
        if !self.eat('[') {
            return Ok(1);
        }
        let n = self.number("repetition number")?;
        if !self.eat(']') {
            return Err(self.error(self.pos, "expected ']'"));
        }
        Ok(n)
    }
}

fn what_expected(what: &'static str) -> &'static str {
    match what {
        "field number" => "expected a field number",
        "component number" => "expected a component number",
        "subcomponent number" => "expected a subcomponent number",
        _ => "expected a repetition number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_path() {
        let path = TersePath::parse("PID-3[2].4.1").unwrap();
        assert_eq!(path.segment, "PID");
        assert_eq!(path.segment_repetition, 1);
        assert_eq!((path.field, path.field_repetition), (3, 2));
        assert_eq!((path.component, path.subcomponent), (Some(4), Some(1)));
        assert_eq!(path.to_string(), "PID-3[2].4.1");
    }

    #[test]
    fn segment_repetition_and_short_forms() {
        let path = TersePath::parse("OBX[2]-5").unwrap();
        assert_eq!((path.segment_repetition, path.field), (2, 5));
        assert_eq!(path.component, None);
        assert_eq!(path.to_string(), "OBX[2]-5");
        assert_eq!(TersePath::parse("ZP1-1.2").unwrap().component, Some(2));
        assert_eq!(
            TersePath::field("MSH", 9),
            TersePath::parse("MSH-9").unwrap()
        );
    }

    #[test]
    fn malformed_paths_say_where() {
        let cases = [
            ("", 0),
            ("PI-3", 0),
            ("pid-3", 0),
            ("PID", 3),
            ("PID-", 4),
            ("PID-0", 4),
            ("PID-3[", 6),
            ("PID-3[2", 7),
            ("PID-3.", 6),
            ("PID-3.1.", 8),
            ("PID-3.1.1.1", 9),
            ("PID-3x", 5),
            ("PID[0]-3", 4),
            ("PID-99999999999999999999999", 4),
        ];
        for (text, position) in cases {
            let error = TersePath::parse(text).unwrap_err();
            assert_eq!(error.position, position, "{text}: {error}");
        }
    }
}
