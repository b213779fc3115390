//! Precedence-climbing parser from tokens to [`Expr`], with the operator
//! precedence of the FHIRPath N1 grammar (lowest first): `implies` (right
//! associative), `or`/`xor`, `and`, `in`/`contains`, equality, inequality,
//! `|`, `is`/`as`, additive, multiplicative, unary sign, then `.` and `[]`.

use fhir_core::decimal::Decimal;
use fhir_core::temporal::{parse_date_time_fhirpath, Time};

use crate::ast::{BinaryOp, Expr, ExprKind, TypeSpec};
use crate::error::{ParseError, ParseErrorKind, Position};
use crate::functions::Func;
use crate::lexer::{tokenize, Token, TokenKind};
use crate::value::{Quantity, Value};

/// Deepest tree accepted; deeper input is an error, not a stack overflow.
const MAX_DEPTH: u32 = 200;
const UNARY_BP: u8 = 11;

pub fn parse_expression(text: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        text,
        tokens,
        pos: 0,
        nesting: 0,
    };
    let expr = parser.expression(0)?;
    match &parser.current().kind {
        TokenKind::End => Ok(expr),
        _ => Err(parser.error("expected an operator or the end of the expression")),
    }
}

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<Token>,
    pos: usize,
    /// Current recursion depth of `expression` (parentheses, arguments).
    nesting: u32,
}

fn infix_op(token: &TokenKind) -> Option<(BinaryOp, u8)> {
    use BinaryOp::*;
    let op = match token {
        TokenKind::Symbol(s) => match *s {
            "*" => (Mul, 10),
            "/" => (Div, 10),
            "+" => (Add, 9),
            "-" => (Sub, 9),
            "&" => (Concat, 9),
            "|" => (Union, 7),
            "<" => (Lt, 6),
            "<=" => (Le, 6),
            ">" => (Gt, 6),
            ">=" => (Ge, 6),
            "=" => (Eq, 5),
            "!=" => (Ne, 5),
            "~" => (Equiv, 5),
            "!~" => (NotEquiv, 5),
            _ => return None,
        },
        TokenKind::Identifier(word) => match word.as_str() {
            "div" => (IntDiv, 10),
            "mod" => (Mod, 10),
            "in" => (In, 4),
            "contains" => (Contains, 4),
            "and" => (And, 3),
            "or" => (Or, 2),
            "xor" => (Xor, 2),
            "implies" => (Implies, 1),
            _ => return None,
        },
        _ => return None,
    };
    Some(op)
}

const TYPE_OP_BP: u8 = 8;

impl<'t> Parser<'t> {
    fn current(&self) -> &Token {
        // tokenize always ends with End, and pos never passes it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let token = self.current().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn error_at(
        &self,
        offset: usize,
        kind: ParseErrorKind,
        message: impl Into<String>,
    ) -> ParseError {
        ParseError {
            kind,
            position: Position::locate(self.text, offset),
            message: message.into(),
        }
    }

    fn error(&self, expected: &str) -> ParseError {
        let found = match &self.current().kind {
            TokenKind::End => "end of expression".to_string(),
            TokenKind::Symbol(s) => format!("'{s}'"),
            TokenKind::Identifier(s) | TokenKind::DelimitedIdentifier(s) => {
                format!("identifier '{s}'")
            }
            other => format!("{other:?}"),
        };
        self.error_at(
            self.current().offset,
            ParseErrorKind::Syntax,
            format!("{expected}, found {found}"),
        )
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(&self.current().kind, TokenKind::Symbol(s) if *s == symbol)
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), ParseError> {
        if self.is_symbol(symbol) {
            self.advance();
            Ok(())
        } else {
            Err(self.error(&format!("expected '{symbol}'")))
        }
    }

    fn checked(&self, expr: Expr) -> Result<Expr, ParseError> {
        if expr.depth > MAX_DEPTH {
            return Err(self.error_at(
                expr.offset,
                ParseErrorKind::Syntax,
                "expression nested too deeply",
            ));
        }
        Ok(expr)
    }

    fn expression(&mut self, min_bp: u8) -> Result<Expr, ParseError> {
        if self.nesting >= MAX_DEPTH {
            return Err(self.error_at(
                self.current().offset,
                ParseErrorKind::Syntax,
                "expression nested too deeply",
            ));
        }
        self.nesting += 1;
        let result = self.expression_inner(min_bp);
        self.nesting -= 1;
        result
    }

    fn expression_inner(&mut self, min_bp: u8) -> Result<Expr, ParseError> {
        let mut left = self.prefix()?;
        loop {
            let token = self.current().clone();
            if self.is_symbol(".") {
                self.advance();
                let right = self.invocation()?;
                left = self.checked(Expr::new(
                    ExprKind::Path(Box::new(left), Box::new(right)),
                    token.offset,
                ))?;
                continue;
            }
            if self.is_symbol("[") {
                self.advance();
                let index = self.expression(0)?;
                self.expect_symbol("]")?;
                left = self.checked(Expr::new(
                    ExprKind::Indexer(Box::new(left), Box::new(index)),
                    token.offset,
                ))?;
                continue;
            }
            if let TokenKind::Identifier(word) = &token.kind {
                if (word == "is" || word == "as") && TYPE_OP_BP >= min_bp {
                    self.advance();
                    let spec = self.type_specifier()?;
                    let kind = if word == "is" {
                        ExprKind::Is(Box::new(left), spec)
                    } else {
                        ExprKind::As(Box::new(left), spec)
                    };
                    left = self.checked(Expr::new(kind, token.offset))?;
                    continue;
                }
            }
            let Some((op, bp)) = infix_op(&token.kind) else {
                break;
            };
            if bp < min_bp {
                break;
            }
            self.advance();
            let next_min = if op == BinaryOp::Implies { bp } else { bp + 1 };
            let right = self.expression(next_min)?;
            left = self.checked(Expr::new(
                ExprKind::Binary(op, Box::new(left), Box::new(right)),
                token.offset,
            ))?;
        }
        Ok(left)
    }

    fn type_specifier(&mut self) -> Result<TypeSpec, ParseError> {
        let first = self
            .identifier()
            .ok_or_else(|| self.error("expected a type name"))?;
        if self.is_symbol(".") {
            self.advance();
            let name = self
                .identifier()
                .ok_or_else(|| self.error("expected a type name after '.'"))?;
            return Ok(TypeSpec {
                namespace: Some(first),
                name,
            });
        }
        Ok(TypeSpec {
            namespace: None,
            name: first,
        })
    }

    fn identifier(&mut self) -> Option<String> {
        match &self.current().kind {
            TokenKind::Identifier(s) | TokenKind::DelimitedIdentifier(s) => {
                let name = s.clone();
                self.advance();
                Some(name)
            }
            _ => None,
        }
    }

    fn prefix(&mut self) -> Result<Expr, ParseError> {
        let token = self.current().clone();
        match &token.kind {
            TokenKind::Symbol("+") | TokenKind::Symbol("-") => {
                self.advance();
                let operand = self.expression(UNARY_BP)?;
                if token.kind == TokenKind::Symbol("+") {
                    return Ok(operand);
                }
                self.checked(Expr::new(ExprKind::Negate(Box::new(operand)), token.offset))
            }
            _ => self.term(),
        }
    }

    fn term(&mut self) -> Result<Expr, ParseError> {
        let token = self.current().clone();
        let offset = token.offset;
        let kind = match token.kind {
            TokenKind::Symbol("(") => {
                self.advance();
                let inner = self.expression(0)?;
                self.expect_symbol(")")?;
                return Ok(inner);
            }
            TokenKind::Symbol("{") => {
                self.advance();
                self.expect_symbol("}")?;
                ExprKind::Empty
            }
            TokenKind::String(s) => {
                self.advance();
                ExprKind::Literal(Value::string(s))
            }
            TokenKind::Number(text) => {
                self.advance();
                return self.number_or_quantity(&text, offset);
            }
            TokenKind::DateTime(text) => {
                self.advance();
                let value = parse_date_time_fhirpath(&text).map_err(|e| {
                    self.error_at(
                        offset,
                        ParseErrorKind::Syntax,
                        format!("bad date/time literal: {e}"),
                    )
                })?;
                if value.has_time() || value.offset.is_some() || value.trailing_t {
                    ExprKind::Literal(Value::DateTime(value))
                } else {
                    ExprKind::Literal(Value::Date(value))
                }
            }
            TokenKind::Time(text) => {
                self.advance();
                let value = Time::parse_fhirpath(&text).map_err(|e| {
                    self.error_at(
                        offset,
                        ParseErrorKind::Syntax,
                        format!("bad time literal: {e}"),
                    )
                })?;
                ExprKind::Literal(Value::Time(value))
            }
            TokenKind::Constant(name) => {
                self.advance();
                ExprKind::Constant(name)
            }
            TokenKind::Variable(name) => {
                self.advance();
                match name.as_str() {
                    "this" => ExprKind::This,
                    "index" => ExprKind::Index,
                    _ => ExprKind::Total,
                }
            }
            TokenKind::Identifier(ref word) if word == "true" || word == "false" => {
                self.advance();
                ExprKind::Literal(Value::Boolean(word == "true"))
            }
            TokenKind::Identifier(_) | TokenKind::DelimitedIdentifier(_) => {
                return self.invocation()
            }
            _ => return Err(self.error("expected an expression")),
        };
        Ok(Expr::new(kind, offset))
    }

    fn number_or_quantity(&mut self, text: &str, offset: usize) -> Result<Expr, ParseError> {
        let unit = match &self.current().kind {
            TokenKind::String(unit) => Some(unit.clone()),
            TokenKind::Identifier(word) if is_calendar_word(word) => Some(word.clone()),
            _ => None,
        };
        if unit.is_some() {
            self.advance();
        }
        let bad = |_| {
            self.error_at(
                offset,
                ParseErrorKind::Syntax,
                format!("number {text} out of range"),
            )
        };
        if let Some(unit) = unit {
            let value = Decimal::parse_lenient(text).map_err(bad)?;
            return Ok(Expr::new(
                ExprKind::Literal(Value::Quantity(Quantity { value, unit })),
                offset,
            ));
        }
        let value = if text.contains('.') {
            Value::Decimal(Decimal::parse_lenient(text).map_err(bad)?)
        } else {
            match text.parse::<i64>() {
                Ok(i) => Value::Integer(i),
                Err(_) => Value::Decimal(Decimal::parse_lenient(text).map_err(bad)?),
            }
        };
        Ok(Expr::new(ExprKind::Literal(value), offset))
    }

    /// An identifier or a function call (after `.` or at the start of a term).
    fn invocation(&mut self) -> Result<Expr, ParseError> {
        let token = self.current().clone();
        let offset = token.offset;
        let kind = match token.kind {
            TokenKind::Variable(ref name) => {
                self.advance();
                match name.as_str() {
                    "this" => ExprKind::This,
                    "index" => ExprKind::Index,
                    _ => ExprKind::Total,
                }
            }
            TokenKind::Identifier(ref name) | TokenKind::DelimitedIdentifier(ref name) => {
                let name = name.clone();
                self.advance();
                if self.is_symbol("(") && matches!(token.kind, TokenKind::Identifier(_)) {
                    return self.call(name, offset);
                }
                ExprKind::Member(name)
            }
            _ => return Err(self.error("expected an identifier or function call")),
        };
        Ok(Expr::new(kind, offset))
    }

    fn call(&mut self, name: String, offset: usize) -> Result<Expr, ParseError> {
        self.expect_symbol("(")?;
        let mut args = Vec::new();
        if !self.is_symbol(")") {
            loop {
                args.push(self.expression(0)?);
                if self.is_symbol(",") {
                    self.advance();
                    continue;
                }
                break;
            }
        }
        self.expect_symbol(")")?;
        let func = Func::lookup(&name).ok_or_else(|| {
            self.error_at(
                offset,
                ParseErrorKind::Semantic,
                format!("unknown function '{name}'"),
            )
        })?;
        let (min, max) = func.arity();
        if args.len() < min || args.len() > max {
            return Err(self.error_at(
                offset,
                ParseErrorKind::Semantic,
                format!(
                    "function '{name}' takes {min}..={max} arguments, {} given",
                    args.len()
                ),
            ));
        }
        let type_arg = if func.takes_type_argument() {
            let spec = args.first().and_then(Expr::as_type_spec);
            if spec.is_none() {
                return Err(self.error_at(
                    offset,
                    ParseErrorKind::Semantic,
                    format!("function '{name}' expects a type name"),
                ));
            }
            spec
        } else {
            None
        };
        self.checked(Expr::new(
            ExprKind::Call {
                func,
                args,
                type_arg,
            },
            offset,
        ))
    }
}

fn is_calendar_word(word: &str) -> bool {
    matches!(
        word,
        "year"
            | "years"
            | "month"
            | "months"
            | "week"
            | "weeks"
            | "day"
            | "days"
            | "hour"
            | "hours"
            | "minute"
            | "minutes"
            | "second"
            | "seconds"
            | "millisecond"
            | "milliseconds"
    )
}
