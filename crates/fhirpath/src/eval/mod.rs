//! The tree walker. [`Evaluator`] holds what is fixed for one evaluation
//! (context, model, the resources behind `%resource`/`%rootResource`);
//! [`Frame`] holds `$this`, `$index` and `$total` of the innermost
//! iteration. Navigation (`member`) lives here; operators in `ops`,
//! value comparison in `compare`, type tests in `types`.

pub(crate) mod compare;
mod navigate;
pub(crate) mod ops;
pub(crate) mod types;

use std::sync::Arc;

use serde_json::Value as Json;

use crate::ast::{Expr, ExprKind};
use crate::context::EvalContext;
use crate::error::RawEvalError;
use crate::functions;
use crate::model::ModelProvider;
use crate::value::{infer_type, Collection, Node, TypeName, Value};
use navigate::resource_type;

pub(crate) type EvalResult<T> = Result<T, RawEvalError>;

pub(crate) struct Evaluator<'a> {
    pub ctx: &'a EvalContext,
    pub model: Option<&'a dyn ModelProvider>,
    pub input: &'a Json,
    pub resource: &'a Json,
    pub root_resource: &'a Json,
    /// Type of the input when it is a resource: typed once per evaluation,
    /// and lets type filters such as `Condition.code` on another resource
    /// fail without asking the model.
    pub input_resource_type: Option<TypeName>,
}

#[derive(Clone, Default)]
pub(crate) struct Frame<'a> {
    pub this: Option<Value<'a>>,
    pub index: Option<i64>,
    pub total: Option<Value<'a>>,
}

impl<'a> Evaluator<'a> {
    pub fn new(ctx: &'a EvalContext, input: &'a Json) -> Evaluator<'a> {
        Evaluator::with_resource(ctx, input, ctx.resource.as_ref().unwrap_or(input))
    }

    /// `%resource` given by reference rather than owned by the context.
    pub fn with_resource(
        ctx: &'a EvalContext,
        input: &'a Json,
        resource: &'a Json,
    ) -> Evaluator<'a> {
        let model = ctx.model.as_deref();
        let input_resource_type = match (model, resource_type(input)) {
            (Some(model), Some(rt)) => model.resource_type_name(rt),
            _ => None,
        };
        Evaluator {
            ctx,
            model,
            input,
            resource,
            root_resource: ctx.root_resource.as_ref().unwrap_or(resource),
            input_resource_type,
        }
    }

    /// A node for a resource or other top-level JSON value.
    pub fn root_node(&self, json: &'a Json) -> Value<'a> {
        if let Some(input_type) = self
            .ctx
            .input_type
            .as_deref()
            .filter(|_| std::ptr::eq(json, self.input))
        {
            let type_name = match self.model {
                Some(model) => model.intern_type(input_type),
                None => Arc::from(input_type),
            };
            return Value::Node(Node::new(json, type_name));
        }
        if let Some(type_name) = self
            .input_resource_type
            .as_ref()
            .filter(|_| std::ptr::eq(json, self.input))
        {
            return Value::Node(Node::new(json, type_name.clone()));
        }
        let type_name: TypeName = match resource_type(json) {
            Some(rt) => match self.model {
                Some(model) => model.intern_type(rt),
                None => Arc::from(rt),
            },
            None => Arc::from(infer_type(json)),
        };
        Value::Node(Node::new(json, type_name))
    }

    pub fn eval(
        &self,
        expr: &Expr,
        focus: &[Value<'a>],
        frame: &Frame<'a>,
    ) -> EvalResult<Collection<'a>> {
        match &expr.kind {
            ExprKind::Empty => Ok(Vec::new()),
            ExprKind::Literal(value) => Ok(vec![value.clone()]),
            ExprKind::Member(name) => {
                let mut out = Vec::new();
                for item in focus {
                    self.member(item, name, &mut out);
                }
                if out.is_empty() {
                    self.check_element_name(focus, name)
                        .map_err(|m| RawEvalError::new(expr.offset, m))?;
                }
                Ok(out)
            }
            ExprKind::Call {
                func,
                args,
                type_arg,
            } => functions::call(self, *func, expr, args, type_arg.as_ref(), focus, frame),
            ExprKind::Path(left, right) => {
                let left = self.eval(left, focus, frame)?;
                if left.is_empty() && empty_in_empty_out(right) {
                    return Ok(left);
                }
                self.eval(right, &left, frame)
            }
            ExprKind::This => Ok(frame.this.iter().cloned().collect()),
            ExprKind::Index => Ok(frame.index.map(Value::Integer).into_iter().collect()),
            ExprKind::Total => Ok(frame.total.iter().cloned().collect()),
            ExprKind::Constant(name) => self.constant(name, expr.offset),
            ExprKind::Indexer(target, index) => {
                let items = self.eval(target, focus, frame)?;
                let index = self.eval(index, focus, frame)?;
                let Some(position) = self.integer_singleton(&index, expr.offset)? else {
                    return Ok(Vec::new());
                };
                Ok(usize::try_from(position)
                    .ok()
                    .and_then(|p| items.into_iter().nth(p))
                    .into_iter()
                    .collect())
            }
            ExprKind::Negate(operand) => {
                let items = self.eval(operand, focus, frame)?;
                ops::negate(items, expr.offset)
            }
            ExprKind::Binary(op, left, right) => {
                ops::binary(self, *op, left, right, focus, frame, expr.offset)
            }
            ExprKind::Is(operand, spec) => {
                self.check_type_spec(spec)
                    .map_err(|m| RawEvalError::new(expr.offset, m))?;
                let items = self.eval(operand, focus, frame)?;
                match items.as_slice() {
                    [] => Ok(Vec::new()),
                    [item] => Ok(vec![Value::Boolean(self.is_type(item, spec))]),
                    _ => Err(RawEvalError::new(
                        expr.offset,
                        "'is' needs a single item, found several",
                    )),
                }
            }
            ExprKind::As(operand, spec) => {
                self.check_type_spec(spec)
                    .map_err(|m| RawEvalError::new(expr.offset, m))?;
                // Departure from N1 (which wants a single item): the R4 search
                // parameters apply `as` to collections (`useContext.value as
                // Quantity`), so the operator filters like ofType(). The as()
                // function keeps the single-item rule.
                let items = self.eval(operand, focus, frame)?;
                Ok(items
                    .into_iter()
                    .filter(|item| self.is_type_exact(item, spec))
                    .collect())
            }
        }
    }

    fn constant(&self, name: &str, offset: usize) -> EvalResult<Collection<'a>> {
        if let Some(value) = self.ctx.constants.get(name) {
            return Ok(vec![self.root_node(value)]);
        }
        let text = |s: String| Ok(vec![Value::string(s)]);
        match name {
            "context" => Ok(vec![self.root_node(self.input)]),
            "resource" => Ok(vec![self.root_node(self.resource)]),
            "rootResource" => Ok(vec![self.root_node(self.root_resource)]),
            "ucum" => text("http://unitsofmeasure.org".into()),
            "sct" => text("http://snomed.info/sct".into()),
            "loinc" => text("http://loinc.org".into()),
            _ => {
                if let Some(vs) = name.strip_prefix("vs-") {
                    return text(format!("http://hl7.org/fhir/ValueSet/{vs}"));
                }
                if let Some(ext) = name.strip_prefix("ext-") {
                    return text(format!("http://hl7.org/fhir/StructureDefinition/{ext}"));
                }
                Err(RawEvalError::new(
                    offset,
                    format!("undefined environment variable %{name}"),
                ))
            }
        }
    }

    /// The integer of a singleton collection (`None` when empty).
    pub fn integer_singleton(&self, items: &[Value<'a>], offset: usize) -> EvalResult<Option<i64>> {
        match items {
            [] => Ok(None),
            [item] => match &*item.to_system() {
                Value::Integer(i) => Ok(Some(*i)),
                other => Err(RawEvalError::new(
                    offset,
                    format!("expected an Integer, found {}", other.type_label()),
                )),
            },
            _ => Err(RawEvalError::new(
                offset,
                "expected a single Integer, found several items",
            )),
        }
    }
}

/// Whether `expr`, applied to an empty collection, is empty whatever its
/// arguments: member access and the functions that only map or filter
/// their input. Lets a path stop at the first empty step (search
/// expressions are long unions where most branches are empty).
pub(crate) fn empty_in_empty_out(expr: &Expr) -> bool {
    use crate::functions::Func::*;
    match &expr.kind {
        ExprKind::Member(_) => true,
        ExprKind::Call { func, .. } => matches!(
            func,
            Where
                | Select
                | Repeat
                | OfType
                | First
                | Last
                | Tail
                | Skip
                | Take
                | Single
                | Resolve
                | Extension
                | As
                | Children
                | Descendants
                | Distinct
                | GetValue
                | Substring
                | StartsWith
                | EndsWith
                | Contains
                | Upper
                | Lower
                | Replace
                | Matches
                | ReplaceMatches
                | Length
                | ToChars
                | Split
                | Trim
                | IndexOf
                | ToInteger
                | ToDecimal
                | ToStringFn
                | ToBoolean
                | ToDate
                | ToDateTime
                | ToTime
                | ToQuantity
                | Abs
                | Ceiling
                | Floor
                | Round
                | Truncate
                | Sqrt
                | Exp
                | Ln
                | Log
                | Power
                | LowBoundary
                | HighBoundary
                | Precision
                | MemberOf
                | TypeFn
                | Sort
                | Is
                | Not
        ),
        _ => false,
    }
}
