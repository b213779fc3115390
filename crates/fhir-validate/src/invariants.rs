//! Constraints (invariants) of element definitions, evaluated with the
//! `fhirpath` crate at their own severity. Expressions are parsed once and
//! cached by text. Some core constraints are not evaluated; [`SKIPPED`]
//! says why for each (checked natively, or not decidable on one resource).

use crate::report::{IssueType, Severity, Sink};
use crate::structure::Item;
use crate::Engine;
use fhir_package::{Constraint, ElementDef};
use fhirpath::Expression;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Core constraint keys that are not evaluated, with the reason. Besides
/// these, every constraint whose expression calls `resolve()` is skipped:
/// its targets may live on other servers (local `#id` targets and the
/// allowed target types are checked natively in `references`).
pub const SKIPPED: &[(&str, &str)] = &[
    ("ele-1", "checked natively by the JSON rules (no empty elements)"),
    ("ext-1", "checked natively: an extension has either nested extensions or a value"),
    ("dom-3", "checked natively with a precise expression (contained resources must be referenced)"),
    ("ref-1", "checked natively: local '#id' references must resolve to a contained resource"),
    ("bdl-7", "needs fullUrl+versionId uniqueness across entries; checked natively over fullUrl only"),
    (
        "que-7",
        "written as `answer is Boolean` for a FHIR boolean; the fhirpath engine applies the strict \
         System.Boolean type test, which rejects valid resources",
    ),
    ("txt-1", "XHTML narrative content rules need an XHTML parser; only the div shape is checked"),
    ("txt-2", "XHTML narrative content rules need an XHTML parser; only the div shape is checked"),
];

const MAX_CACHED_EXPRESSIONS: usize = 50_000;

/// Parsed constraint expressions, by text (None when the text does not parse).
#[derive(Default)]
pub(crate) struct ExpressionCache {
    parsed: RwLock<HashMap<String, Option<Arc<Expression>>>>,
}

impl ExpressionCache {
    fn get(&self, text: &str) -> Option<Arc<Expression>> {
        if let Ok(map) = self.parsed.read() {
            if let Some(found) = map.get(text) {
                return found.clone();
            }
        }
        let parsed = fhirpath::parse(text).ok().map(Arc::new);
        if let Ok(mut map) = self.parsed.write() {
            // Rooted texts carry array indexes; a bound keeps hostile
            // inputs (huge arrays) from growing the cache without limit.
            if map.len() < MAX_CACHED_EXPRESSIONS {
                map.insert(text.to_string(), parsed.clone());
            }
        }
        parsed
    }
}

/// What the checks of one resource need besides the focus: `%resource` for
/// invariants (borrowed by the evaluation) and the contained resources local
/// references may point at
/// (those of the container when this resource is itself contained).
pub(crate) struct ResourceScope<'v> {
    resource: &'v Value,
    /// The resource's own expression (`Bundle.entry[2].resource`).
    expr: &'v str,
    /// (id, resourceType) of the resources `#id` references resolve to.
    pub local: Vec<(String, String)>,
}

impl<'v> ResourceScope<'v> {
    pub fn new(
        resource: &'v Value,
        expr: &'v str,
        inherited: Option<&[(String, String)]>,
    ) -> ResourceScope<'v> {
        let local = match inherited {
            Some(ids) => ids.to_vec(),
            None => contained_ids(resource),
        };
        ResourceScope {
            resource,
            expr,
            local,
        }
    }

    pub fn local_type(&self, id: &str) -> Option<String> {
        self.local
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, t)| t.clone())
    }
}

fn contained_ids(resource: &Value) -> Vec<(String, String)> {
    let Some(Value::Array(contained)) = resource.get("contained") else {
        return Vec::new();
    };
    contained
        .iter()
        .filter_map(|c| {
            let id = c.get("id")?.as_str()?;
            let rt = c.get("resourceType")?.as_str()?;
            Some((id.to_string(), rt.to_string()))
        })
        .collect()
}

impl Engine {
    pub(crate) fn check_constraints(
        &self,
        def: &ElementDef,
        item: &Item,
        scope: &ResourceScope,
        sink: &mut Sink,
    ) {
        let Some(focus) = item.value else { return };
        for constraint in &def.constraints {
            if SKIPPED.iter().any(|(key, _)| *key == constraint.key) {
                continue;
            }
            let Some(text) = constraint.expression.as_deref() else {
                continue;
            };
            // resolve() would need other servers' resources; local targets
            // are checked natively by the reference checks.
            if text.contains("resolve()") {
                continue;
            }
            if let Some(rooted) = rooted_text(def, item, scope, text) {
                let outcome = match self.expressions.get(&rooted) {
                    Some(e) => e
                        .evaluate_bool(&self.eval_context, scope.resource)
                        .map_err(|e| e.to_string()),
                    None => Err(format!("cannot parse {rooted}")),
                };
                report(outcome, constraint, item, sink);
                continue;
            }
            let Some(expression) = self.expressions.get(text) else {
                continue;
            };
            let outcome = expression
                .evaluate_bool_in(&self.eval_context, focus, scope.resource)
                .map_err(|e| e.to_string());
            report(outcome, constraint, item, sink);
        }
    }
}

/// The fhirpath engine types its input from `resourceType` only, so a
/// backbone element given as the focus would be untyped (choice and
/// prefix-sharing names then resolve wrongly). Constraints on backbone
/// elements are therefore evaluated from the resource root as
/// `Type.path[i].to[j].select(constraint)`; that path has only plain names,
/// since backbone elements are never choices.
fn rooted_text(def: &ElementDef, item: &Item, scope: &ResourceScope, text: &str) -> Option<String> {
    let backbone = def
        .types
        .first()
        .is_some_and(|t| t.code == "BackboneElement" || t.code == "Element");
    if !backbone || !def.path.contains('.') {
        return None;
    }
    let rt = scope.resource.get("resourceType")?.as_str()?;
    let rendered = item.expr();
    let relative = rendered.strip_prefix(scope.expr)?;
    Some(format!("{rt}{relative}.select({text})"))
}

fn report(
    outcome: Result<Option<bool>, String>,
    constraint: &Constraint,
    item: &Item,
    sink: &mut Sink,
) {
    let severity = if constraint.severity == "warning" {
        Severity::Warning
    } else {
        Severity::Error
    };
    match outcome {
        Ok(Some(true)) | Ok(None) => {}
        Ok(Some(false)) => sink.push(
            severity,
            IssueType::Invariant,
            &item.expr(),
            format!("constraint {} failed: {}", constraint.key, constraint.human),
        ),
        Err(error) => sink.push(
            Severity::Information,
            IssueType::Processing,
            &item.expr(),
            format!(
                "constraint {} could not be evaluated: {error}",
                constraint.key
            ),
        ),
    }
}
