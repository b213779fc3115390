//! The tree walker. [`Evaluator`] holds what is fixed for one evaluation
//! (context, model, the resources behind `%resource`/`%rootResource`);
//! [`Frame`] holds `$this`, `$index` and `$total` of the innermost
//! iteration. Navigation (`member`) lives here; operators in `ops`,
//! value comparison in `compare`, type tests in `types`.

pub(crate) mod compare;
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

pub(crate) type EvalResult<T> = Result<T, RawEvalError>;

pub(crate) struct Evaluator<'a> {
    pub ctx: &'a EvalContext,
    pub model: Option<&'a dyn ModelProvider>,
    pub input: &'a Json,
    pub resource: &'a Json,
    pub root_resource: &'a Json,
}

#[derive(Clone, Default)]
pub(crate) struct Frame<'a> {
    pub this: Option<Value<'a>>,
    pub index: Option<i64>,
    pub total: Option<Value<'a>>,
}

impl<'a> Evaluator<'a> {
    pub fn new(ctx: &'a EvalContext, input: &'a Json) -> Evaluator<'a> {
        let resource = ctx.resource.as_ref().unwrap_or(input);
        Evaluator {
            ctx,
            model: ctx.model.as_deref(),
            input,
            resource,
            root_resource: ctx.root_resource.as_ref().unwrap_or(resource),
        }
    }

    /// A node for a resource or other top-level JSON value.
    pub fn root_node(&self, json: &'a Json) -> Value<'a> {
        let type_name: TypeName = match json.get("resourceType").and_then(Json::as_str) {
            Some(rt) => Arc::from(rt),
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
                Ok(out)
            }
            ExprKind::Call {
                func,
                args,
                type_arg,
            } => functions::call(self, *func, expr, args, type_arg.as_ref(), focus, frame),
            ExprKind::Path(left, right) => {
                let left = self.eval(left, focus, frame)?;
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
                let items = self.eval(operand, focus, frame)?;
                if items.len() > 1 {
                    return Err(RawEvalError::new(
                        expr.offset,
                        "'as' needs a single item, found several",
                    ));
                }
                Ok(items
                    .into_iter()
                    .filter(|item| self.is_type(item, spec))
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

    /// Navigates to child `name` of `item` (or keeps `item` when `name` is
    /// its type, as in `Patient.name`).
    pub fn member(&self, item: &Value<'a>, name: &str, out: &mut Collection<'a>) {
        let Value::Node(node) = item else { return };
        if name.starts_with(|c: char| c.is_ascii_uppercase())
            && self.type_derives(&node.type_name, name)
        {
            out.push(item.clone());
            return;
        }
        let Some(Json::Object(map)) = node.json else {
            // A primitive: only `id` and `extension`, from the `_name` sibling.
            if let Some(Json::Object(extra)) = node.extra {
                if name == "extension" || name == "id" {
                    let element_type = self.child_type_or("Element", name, "Extension");
                    push_key(map_get(extra, name), None, element_type, out);
                }
            }
            return;
        };
        let info = self.model.and_then(|m| m.child(&node.type_name, name));
        match info {
            Some(info) if info.is_choice => {
                for (key, value) in map {
                    let Some(suffix) = key.strip_prefix(name) else {
                        continue;
                    };
                    if let Some(t) = info.types.iter().find(|t| t.json_suffix == suffix) {
                        let extra = map.get(&format!("_{key}"));
                        push_key(
                            Some(value),
                            extra,
                            self.resolve_type(&t.type_name, value),
                            out,
                        );
                    }
                }
                // A choice primitive with only its `_valueX` sibling.
                for t in &info.types {
                    let key = format!("{name}{}", t.json_suffix);
                    if !map.contains_key(&key) {
                        if let Some(extra) = map.get(&format!("_{key}")) {
                            push_key(None, Some(extra), t.type_name.clone(), out);
                        }
                    }
                }
            }
            Some(info) => {
                let Some(t) = info.types.first() else { return };
                let value = map.get(name);
                let extra = if is_lowercase_type(&t.type_name) {
                    map.get(&format!("_{name}"))
                } else {
                    None
                };
                let type_name = match value {
                    Some(v) => self.resolve_type(&t.type_name, v),
                    None => t.type_name.clone(),
                };
                push_key(value, extra, type_name, out);
            }
            None => self.member_untyped(map, name, out),
        }
    }

    /// Navigation when the model does not know the element: by JSON key,
    /// choice keys recognised by an upper-case suffix.
    fn member_untyped(
        &self,
        map: &'a serde_json::Map<String, Json>,
        name: &str,
        out: &mut Collection<'a>,
    ) {
        if let Some(value) = map.get(name) {
            let type_name = guess_type(value);
            push_key(Some(value), map.get(&format!("_{name}")), type_name, out);
            return;
        }
        for (key, value) in map {
            let Some(suffix) = key.strip_prefix(name) else {
                continue;
            };
            if suffix.starts_with(|c: char| c.is_ascii_uppercase()) {
                let type_name: TypeName = match value {
                    Json::Object(_) | Json::Array(_) => Arc::from(suffix),
                    _ => Arc::from(lower_first(suffix)),
                };
                push_key(Some(value), map.get(&format!("_{key}")), type_name, out);
            }
        }
    }

    fn child_type_or(&self, parent: &str, name: &str, fallback: &str) -> TypeName {
        self.model
            .and_then(|m| m.child(parent, name))
            .and_then(|info| info.types.first().map(|t| t.type_name.clone()))
            .unwrap_or_else(|| Arc::from(fallback))
    }

    /// Contained and entry resources get their own resourceType as type.
    fn resolve_type(&self, declared: &TypeName, value: &Json) -> TypeName {
        if matches!(&**declared, "Resource" | "DomainResource") {
            let first = match value {
                Json::Array(items) => items.first(),
                other => Some(other),
            };
            if let Some(rt) = first
                .and_then(|v| v.get("resourceType"))
                .and_then(Json::as_str)
            {
                if !matches!(value, Json::Array(_)) {
                    return Arc::from(rt);
                }
            }
        }
        declared.clone()
    }

    /// All child elements of a node, typed through the model when it knows
    /// them (`children()`).
    pub fn children(&self, item: &Value<'a>, out: &mut Collection<'a>) {
        let Value::Node(node) = item else { return };
        let Some(Json::Object(map)) = node.json else {
            for name in ["id", "extension"] {
                self.member(item, name, out);
            }
            return;
        };
        for (key, value) in map {
            if key == "resourceType" {
                continue;
            }
            if let Some(base) = key.strip_prefix('_') {
                if !map.contains_key(base) {
                    push_key(
                        None,
                        Some(value),
                        self.child_type_by_key(&node.type_name, base, value),
                        out,
                    );
                }
                continue;
            }
            let extra = map.get(&format!("_{key}"));
            push_key(
                Some(value),
                extra,
                self.child_type_by_key(&node.type_name, key, value),
                out,
            );
        }
    }

    fn child_type_by_key(&self, parent: &str, key: &str, value: &Json) -> TypeName {
        match self.model.and_then(|m| m.child_by_json_key(parent, key)) {
            Some(t) => self.resolve_type(&t.type_name, value),
            None => guess_type(value),
        }
    }

    /// Whether FHIR type `actual` is `target` or derives from it.
    pub fn type_derives(&self, actual: &str, target: &str) -> bool {
        if actual == target {
            return true;
        }
        match self.model {
            Some(model) => model.derives_from(actual, target),
            None => {
                matches!(target, "Resource" | "DomainResource")
                    && actual.starts_with(|c: char| c.is_ascii_uppercase())
            }
        }
    }
}

fn map_get<'a>(map: &'a serde_json::Map<String, Json>, key: &str) -> Option<&'a Json> {
    map.get(key)
}

fn is_lowercase_type(type_name: &str) -> bool {
    type_name.starts_with(|c: char| c.is_ascii_lowercase())
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn guess_type(value: &Json) -> TypeName {
    let first = match value {
        Json::Array(items) => items.first(),
        other => Some(other),
    };
    match first {
        Some(Json::Object(map)) => match map.get("resourceType").and_then(Json::as_str) {
            Some(rt) => Arc::from(rt),
            None => Arc::from("Element"),
        },
        Some(other) => Arc::from(infer_type(other)),
        None => Arc::from("Element"),
    }
}

/// Pushes the nodes of one JSON property (and its `_name` sibling), one per
/// array element; resources inside arrays get their own resourceType.
fn push_key<'a>(
    value: Option<&'a Json>,
    extra: Option<&'a Json>,
    type_name: TypeName,
    out: &mut Collection<'a>,
) {
    match (value, extra) {
        (Some(Json::Array(items)), extra) => {
            let extras = match extra {
                Some(Json::Array(e)) => Some(e),
                _ => None,
            };
            let is_resource = matches!(&*type_name, "Resource" | "DomainResource");
            for (i, item) in items.iter().enumerate() {
                let extra = extras.and_then(|e| e.get(i)).filter(|e| !e.is_null());
                let json = Some(item).filter(|v| !v.is_null());
                if json.is_none() && extra.is_none() {
                    continue;
                }
                let type_name = match item.get("resourceType").and_then(Json::as_str) {
                    Some(rt) if is_resource => Arc::from(rt),
                    _ => type_name.clone(),
                };
                out.push(Value::Node(Node {
                    json,
                    extra,
                    type_name,
                }));
            }
        }
        (Some(Json::Null), None) | (None, None) => {}
        (Some(value), extra) => out.push(Value::Node(Node {
            json: Some(value).filter(|v| !v.is_null()),
            extra,
            type_name,
        })),
        (None, Some(Json::Array(extras))) => {
            for extra in extras.iter().filter(|e| !e.is_null()) {
                out.push(Value::Node(Node {
                    json: None,
                    extra: Some(extra),
                    type_name: type_name.clone(),
                }));
            }
        }
        (None, Some(extra)) => out.push(Value::Node(Node {
            json: None,
            extra: Some(extra),
            type_name,
        })),
    }
}
