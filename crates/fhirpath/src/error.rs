//! Errors of the two phases: [`ParseError`] (syntax, or a semantic problem
//! found while building the tree, such as an unknown function) and
//! [`EvalError`] (run time). Both carry the character offset of the
//! offending sub-expression.

/// Where in the expression text: character offset plus 1-based line/column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// Computes line and column of a byte offset in `text`.
    pub fn locate(text: &str, byte_offset: usize) -> Position {
        let prefix = text.get(..byte_offset).unwrap_or(text);
        let line = prefix.matches('\n').count() + 1;
        let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
        let column = prefix[line_start..].chars().count() + 1;
        Position {
            offset: prefix.chars().count(),
            line,
            column,
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "offset {} (line {}, column {})",
            self.offset, self.line, self.column
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// Grammatical, but meaningless: unknown function, wrong argument count.
    Semantic,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{kind:?} error at {position}: {message}")]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub position: Position,
    pub message: String,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("evaluation error at {position}: {message}")]
pub struct EvalError {
    pub position: Position,
    pub message: String,
}

/// Run-time error before the position is resolved to line/column: the
/// evaluator carries byte offsets and converts once at the API boundary.
#[derive(Debug, Clone)]
pub(crate) struct RawEvalError {
    pub offset: usize,
    pub message: String,
}

impl RawEvalError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> RawEvalError {
        RawEvalError {
            offset,
            message: message.into(),
        }
    }

    pub(crate) fn resolve(self, text: &str) -> EvalError {
        EvalError {
            position: Position::locate(text, self.offset),
            message: self.message,
        }
    }
}
