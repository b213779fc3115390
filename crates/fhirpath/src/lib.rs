//! FHIRPath (normative release N1, as FHIR R4 uses it) over `serde_json`.
//!
//! [`parse`] turns text into an [`Expression`] (lexer -> precedence-climbing
//! parser -> syntax tree in `ast`, function names resolved in `functions`);
//! [`Expression::evaluate`] walks the tree (`eval`) over borrowed JSON,
//! typing elements through a [`ModelProvider`] (the FHIR R4 model comes from
//! `fhir-package` through the `package_model` adapter). Values use the exact
//! decimals and partial-precision dates of `fhir-core`; `ucum` compares
//! quantities, `boundary` and `html` hold the less common functions, and
//! `output` renders results as JSON for the CLI.

mod absent;
mod ast;
mod boundary;
pub mod context;
pub mod error;
mod eval;
mod functions;
pub mod html;
mod lexer;
pub mod model;
pub mod output;
pub mod package_model;
mod parser;
pub mod ucum;
pub mod value;

use std::sync::Arc;

pub use context::{ConformanceProvider, EvalContext, TerminologyProvider};
pub use error::{EvalError, ParseError, ParseErrorKind, Position};
pub use model::{ChildInfo, ChildType, ModelProvider, StaticModel};
pub use output::{evaluate_ndjson, to_json_output};
pub use package_model::PackageModel;
pub use value::{Collection, Node, Quantity, Value};

/// A parsed expression: cheap to clone and share between threads.
#[derive(Debug, Clone)]
pub struct Expression {
    text: Arc<str>,
    root: Arc<ast::Expr>,
    /// The result when one member of the input is absent, if the shape of
    /// the expression decides it (see `absent`).
    guard: Option<Arc<absent::AbsentGuard>>,
}

/// Parses a FHIRPath expression.
pub fn parse(text: &str) -> Result<Expression, ParseError> {
    let root = parser::parse_expression(text)?;
    Ok(Expression {
        text: Arc::from(text),
        guard: absent::AbsentGuard::of(&root).map(Arc::new),
        root: Arc::new(root),
    })
}

impl Expression {
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates against `input` (the focus, `%context`, and `%resource`
    /// unless the context names another).
    pub fn evaluate<'a>(
        &self,
        ctx: &'a EvalContext,
        input: &'a serde_json::Value,
    ) -> Result<Collection<'a>, EvalError> {
        self.run(eval::Evaluator::new(ctx, input), input)
    }

    /// Like [`Expression::evaluate`], with `%resource` (and `%rootResource`
    /// unless the context names one) borrowed: an element's constraints can
    /// see their resource without a copy of it in the context.
    pub fn evaluate_in<'a>(
        &self,
        ctx: &'a EvalContext,
        input: &'a serde_json::Value,
        resource: &'a serde_json::Value,
    ) -> Result<Collection<'a>, EvalError> {
        self.run(eval::Evaluator::with_resource(ctx, input, resource), input)
    }

    /// [`Expression::evaluate_bool`] with a borrowed `%resource`, as
    /// [`Expression::evaluate_in`].
    pub fn evaluate_bool_in(
        &self,
        ctx: &EvalContext,
        input: &serde_json::Value,
        resource: &serde_json::Value,
    ) -> Result<Option<bool>, EvalError> {
        let result = self.evaluate_in(ctx, input, resource)?;
        eval::ops::to_logic(&result, 0).map_err(|e| e.resolve(&self.text))
    }

    fn run<'a>(
        &self,
        evaluator: eval::Evaluator<'a>,
        input: &'a serde_json::Value,
    ) -> Result<Collection<'a>, EvalError> {
        let root = evaluator.root_node(input);
        if let Some(guard) = &self.guard {
            // Decided without a walk, unless the absent member is not even
            // an element of the input's type (the walk reports that).
            if guard.member_is_absent(input)
                && evaluator
                    .check_element_name(std::slice::from_ref(&root), &guard.member)
                    .is_ok()
            {
                return Ok(vec![Value::Boolean(guard.value)]);
            }
        }
        let frame = eval::Frame {
            this: Some(root.clone()),
            index: None,
            total: None,
        };
        evaluator
            .eval(&self.root, std::slice::from_ref(&root), &frame)
            .map_err(|e| e.resolve(&self.text))
    }

    /// Evaluates and reads the result as a boolean the way invariants do:
    /// empty is `None`, a single Boolean its value, any other single item
    /// `true`; several items are an error.
    pub fn evaluate_bool(
        &self,
        ctx: &EvalContext,
        input: &serde_json::Value,
    ) -> Result<Option<bool>, EvalError> {
        let result = self.evaluate(ctx, input)?;
        eval::ops::to_logic(&result, 0).map_err(|e| e.resolve(&self.text))
    }
}
