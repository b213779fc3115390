//! The syntax tree the parser builds and the evaluator walks. Function names
//! are resolved to [`Func`] at parse time, so evaluation never looks names up.

use crate::functions::Func;
use crate::value::Value;

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    /// Byte offset of the sub-expression in the source text.
    pub offset: usize,
    /// Height of the tree below this node; bounded by the parser so that
    /// evaluation cannot overflow the stack.
    pub depth: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Mul,
    Div,
    IntDiv,
    Mod,
    Add,
    Sub,
    Concat,
    Union,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Equiv,
    NotEquiv,
    In,
    Contains,
    And,
    Or,
    Xor,
    Implies,
}

/// A type name as written: `Quantity`, `FHIR.Quantity`, `System.String`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeSpec {
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for TypeSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    /// `{}`
    Empty,
    Literal(Value<'static>),
    /// An identifier applied to the focus (member access or type filter).
    Member(String),
    /// A function applied to the focus.
    Call {
        func: Func,
        args: Vec<Expr>,
        type_arg: Option<TypeSpec>,
    },
    /// `left.right`: `right` (a Member or Call) evaluated on each result of `left`.
    Path(Box<Expr>, Box<Expr>),
    This,
    Index,
    Total,
    Constant(String),
    Indexer(Box<Expr>, Box<Expr>),
    Negate(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Is(Box<Expr>, TypeSpec),
    As(Box<Expr>, TypeSpec),
}

impl Expr {
    pub fn new(kind: ExprKind, offset: usize) -> Expr {
        let depth = match &kind {
            ExprKind::Call { args, .. } => args.iter().map(|a| a.depth).max().unwrap_or(0),
            ExprKind::Path(a, b) | ExprKind::Indexer(a, b) | ExprKind::Binary(_, a, b) => {
                a.depth.max(b.depth)
            }
            ExprKind::Negate(a) | ExprKind::Is(a, _) | ExprKind::As(a, _) => a.depth,
            _ => 0,
        } + 1;
        Expr {
            kind,
            offset,
            depth,
        }
    }

    /// The type named by an argument such as `Quantity` or `FHIR.Period`.
    pub fn as_type_spec(&self) -> Option<TypeSpec> {
        match &self.kind {
            ExprKind::Member(name) => Some(TypeSpec {
                namespace: None,
                name: name.clone(),
            }),
            ExprKind::Path(left, right) => match (&left.kind, &right.kind) {
                (ExprKind::Member(ns), ExprKind::Member(name)) => Some(TypeSpec {
                    namespace: Some(ns.clone()),
                    name: name.clone(),
                }),
                _ => None,
            },
            _ => None,
        }
    }
}
