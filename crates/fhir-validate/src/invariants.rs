//! Constraints (invariants) of element definitions, evaluated with the
//! `fhirpath` crate at their own severity. Expressions are parsed once and
//! cached by text. Some core constraints are not evaluated; [`SKIPPED`]
//! says why for each (checked natively, or not decidable on one resource).

use crate::report::{IssueType, Severity, Sink};
use crate::structure::Item;
use crate::Engine;
use fhir_package::{Constraint, ElementDef};
use fhirpath::Expression;
use fnv::FnvHashMap;
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

/// How many rooted texts (see [`rooted_prefix`]) are kept parsed at most.
/// They carry the instance's array indexes, so the set of texts grows with
/// the traffic; the map is emptied when it reaches this size. A backbone
/// constraint rooted at an index seen before (the usual shapes:
/// `Patient.contact[0]`, `Bundle.entry[3].resource...`) is parsed once.
const MAX_ROOTED_EXPRESSIONS: usize = 4_096;

type ParsedMap = HashMap<String, Option<Arc<Expression>>, foldhash::fast::FixedState>;

/// Parsed constraint expressions, by text (None when the text does not
/// parse). The constraint texts of the definitions are kept for the
/// validator's life (bounded by the definitions); rooted texts are kept in
/// a second map bounded by [`MAX_ROOTED_EXPRESSIONS`]. Rooted texts are long
/// (a path and a whole constraint), so the maps hash them a word at a time
/// (foldhash) rather than a byte at a time (FNV).
#[derive(Default)]
pub(crate) struct ExpressionCache {
    constraints: RwLock<ParsedMap>,
    rooted: RwLock<ParsedMap>,
}

impl ExpressionCache {
    /// A constraint's own expression, as its definition gives it.
    fn constraint(&self, text: &str) -> Option<Arc<Expression>> {
        get_or_parse(&self.constraints, text, usize::MAX)
    }

    /// A `{prefix}.select({constraint})` text built from an instance path.
    fn rooted(&self, text: &str) -> Option<Arc<Expression>> {
        get_or_parse(&self.rooted, text, MAX_ROOTED_EXPRESSIONS)
    }
}

fn get_or_parse(map: &RwLock<ParsedMap>, text: &str, bound: usize) -> Option<Arc<Expression>> {
    if let Ok(map) = map.read() {
        if let Some(found) = map.get(text) {
            return found.clone();
        }
    }
    let parsed = fhirpath::parse(text).ok().map(Arc::new);
    if let Ok(mut map) = map.write() {
        if map.len() >= bound {
            map.clear();
        }
        map.insert(text.to_string(), parsed.clone());
    }
    parsed
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
    /// This walk is against a profile, after the walk against the base
    /// definition. A constraint introduced by a core type definition was
    /// then already evaluated by the base walk on this very element (that
    /// walk reaches every element, with its resource or datatype definition
    /// carrying the constraint), with the same expression, focus and
    /// `%resource`, so it would only produce the same issue again, which
    /// `dedup` drops. Such constraints are skipped in profile walks.
    pub profile_walk: bool,
}

impl<'v> ResourceScope<'v> {
    pub fn new(
        resource: &'v Value,
        expr: &'v str,
        inherited: Option<&[(String, String)]>,
        profile_walk: bool,
    ) -> ResourceScope<'v> {
        let local = match inherited {
            Some(ids) => ids.to_vec(),
            None => contained_ids(resource),
        };
        ResourceScope {
            resource,
            expr,
            local,
            profile_walk,
        }
    }

    /// The type of the resource being walked.
    pub fn resource_type(&self) -> Option<&str> {
        self.resource.get("resourceType")?.as_str()
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

/// What is left to evaluate of one element definition's constraints once
/// the skipped ones are dropped, with their parsed expressions.
struct Planned {
    /// Index into `ElementDef::constraints`.
    index: usize,
    /// None when the text does not parse (the constraint is then only
    /// evaluated rooted, where it reports that it cannot be parsed).
    expression: Option<Arc<Expression>>,
    /// Introduced by a core type definition (a resource or datatype), not
    /// by a profile: see [`ResourceScope::profile_walk`].
    from_type_definition: bool,
}

struct Plan {
    /// Backbone constraints are evaluated rooted (see [`rooted_prefix`]).
    backbone: bool,
    constraints: Vec<Planned>,
}

/// Plans by element definition, built on first use. Keyed by the
/// definition's address: element trees live in the `FhirDefinitions` the
/// engine holds an `Arc` of and are never moved or freed while it lives,
/// so an address names one definition for the engine's whole life.
#[derive(Default)]
pub(crate) struct ConstraintPlans {
    plans: RwLock<FnvHashMap<usize, Arc<Plan>>>,
}

impl Engine {
    fn plan(&self, def: &ElementDef) -> Arc<Plan> {
        let key = def as *const ElementDef as usize;
        if let Ok(plans) = self.plans.plans.read() {
            if let Some(plan) = plans.get(&key) {
                return plan.clone();
            }
        }
        let constraints = def
            .constraints
            .iter()
            .enumerate()
            .filter(|(_, c)| !SKIPPED.iter().any(|(key, _)| *key == c.key))
            .filter_map(|(index, c)| Some((index, c.expression.as_deref()?)))
            // resolve() would need other servers' resources; local targets
            // are checked natively by the reference checks.
            .filter(|(_, text)| !text.contains("resolve()"))
            .map(|(index, text)| Planned {
                index,
                expression: self.expressions.constraint(text),
                from_type_definition: def
                    .constraints
                    .get(index)
                    .and_then(|c| c.source.as_deref())
                    .and_then(|url| self.defs.structure_definition(url))
                    .is_some_and(|sd| sd.is_type_definition()),
            })
            .collect();
        let plan = Arc::new(Plan {
            backbone: is_backbone(def),
            constraints,
        });
        if let Ok(mut plans) = self.plans.plans.write() {
            plans.insert(key, plan.clone());
        }
        plan
    }

    pub(crate) fn check_constraints(
        &self,
        def: &ElementDef,
        item: &Item,
        scope: &ResourceScope,
        sink: &mut Sink,
    ) {
        let Some(focus) = item.value else { return };
        // Most elements only carry ele-1, which is checked natively.
        if def.constraints.iter().all(|c| c.key == "ele-1") {
            return;
        }
        let plan = self.plan(def);
        // The rooted path of a backbone item, rendered once for all its
        // constraints (see [`rooted_prefix`]).
        let mut prefix: Option<Option<String>> = None;
        for planned in &plan.constraints {
            if scope.profile_walk && planned.from_type_definition {
                continue;
            }
            let Some(constraint) = def.constraints.get(planned.index) else {
                continue;
            };
            let Some(text) = constraint.expression.as_deref() else {
                continue;
            };
            let rooted = if plan.backbone {
                prefix
                    .get_or_insert_with(|| rooted_prefix(item, scope))
                    .as_ref()
                    .map(|prefix| select_text(prefix, text))
            } else {
                None
            };
            if let Some(rooted) = rooted {
                let outcome = match self.expressions.rooted(&rooted) {
                    Some(e) => e
                        .evaluate_bool(&self.eval_context, scope.resource)
                        .map_err(|e| e.to_string()),
                    None => Err(format!("cannot parse {rooted}")),
                };
                report(outcome, constraint, item, sink);
                continue;
            }
            let Some(expression) = &planned.expression else {
                continue;
            };
            let outcome = expression
                .evaluate_bool_in(&self.eval_context, focus, scope.resource)
                .map_err(|e| e.to_string());
            report(outcome, constraint, item, sink);
        }
    }
}

fn is_backbone(def: &ElementDef) -> bool {
    let backbone = def
        .types
        .first()
        .is_some_and(|t| t.code == "BackboneElement" || t.code == "Element");
    backbone && def.path.contains('.')
}

/// The fhirpath engine types its input from `resourceType` only, so a
/// backbone element given as the focus would be untyped (choice and
/// prefix-sharing names then resolve wrongly). Constraints on backbone
/// elements are therefore evaluated from the resource root as
/// `Type.path[i].to[j].select(constraint)`; that path has only plain names,
/// since backbone elements are never choices. This is the part before
/// `.select(...)`.
fn rooted_prefix(item: &Item, scope: &ResourceScope) -> Option<String> {
    let rt = scope.resource.get("resourceType")?.as_str()?;
    let rendered = item.expr();
    let relative = rendered.strip_prefix(scope.expr)?;
    Some(format!("{rt}{relative}"))
}

/// `{prefix}.select({text})`, built without the formatting machinery (one
/// per backbone constraint evaluation).
fn select_text(prefix: &str, text: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + text.len() + 9);
    out.push_str(prefix);
    out.push_str(".select(");
    out.push_str(text);
    out.push(')');
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooted_texts_are_kept_up_to_the_bound_and_constraints_apart() {
        let cache = ExpressionCache::default();
        let text = |i: usize| format!("Patient.contact[{i}].select(name.exists())");
        for i in 0..MAX_ROOTED_EXPRESSIONS + 10 {
            assert!(cache.rooted(&text(i)).is_some());
            let held = cache.rooted.read().map(|m| m.len()).unwrap_or(usize::MAX);
            assert!(held <= MAX_ROOTED_EXPRESSIONS, "{held} rooted texts held");
        }
        assert!(cache.constraint("name.exists()").is_some());
        assert!(cache.constraint("name.exists(").is_none(), "unparsable");
        let constraints = cache.constraints.read().map(|m| m.len()).unwrap_or(0);
        assert_eq!(
            constraints, 2,
            "constraints are not dropped with the rooted texts"
        );
    }
}
