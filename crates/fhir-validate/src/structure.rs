//! Layer c: the StructureDefinition walk. The instance is walked together
//! with a compiled element tree from `fhir-package`: each JSON property must
//! be an element of the tree (unknown elements), each element's count must
//! fit min..max (a primitive counts when it has a value or extensions), a
//! choice may appear under one type only and only under an allowed one.
//! Per value, [`crate::values`] checks fixed/pattern/maxLength/bindings,
//! [`crate::invariants`] runs the constraints, [`crate::slicing`] sorts
//! repeats into slices, extensions are checked against their own
//! definitions and nested resources (contained, Bundle entries) are walked
//! with their own type's tree. Complex datatypes are walked with the
//! datatype's tree unless the profile constrains their children.

use crate::invariants::ResourceScope;
use crate::path::Path;
use crate::report::{IssueType, Sink};
use crate::Engine;
use fhir_package::{ElementDef, ElementId, ElementTree, TypeRef};
use serde_json::{Map, Value};
use smallvec::SmallVec;

/// One element occurrence: the JSON value (None for a primitive that only
/// has `_x` extensions), its `_x` companion and where it is.
pub(crate) struct Item<'v> {
    pub value: Option<&'v Value>,
    pub extras: Option<&'v Value>,
    pub path: Path<'v>,
}

impl Item<'_> {
    /// The element's expression, for an issue.
    pub fn expr(&self) -> String {
        self.path.render()
    }
}

impl Engine {
    /// Validates `resource` against the element tree `tree` (its type's
    /// base definition or a profile). `expr` is the resource's path.
    pub(crate) fn walk_resource(
        &self,
        tree: &ElementTree,
        resource: &Value,
        expr: &str,
        container: Option<&[(String, String)]>,
        profile_walk: bool,
        sink: &mut Sink,
    ) {
        let Value::Object(obj) = resource else { return };
        let scope = ResourceScope::new(resource, expr, container, profile_walk);
        let path = Path::Root(expr);
        self.walk_object(tree, tree.root(), obj, &path, &scope, sink);
        let root = tree.get(tree.root());
        if let Some(root) = root {
            let item = Item {
                value: Some(resource),
                extras: None,
                path,
            };
            self.check_constraints(root, &item, &scope, sink);
        }
        self.check_contained_referenced(obj, expr, sink);
        // Whole-resource rules depend on the resource, not on the profile:
        // once, in the walk against the base definition.
        if !profile_walk {
            self.check_resource_rules(obj, expr, sink);
        }
    }

    /// Rules on a whole resource (`narrative_links`) and on resources of
    /// some types (`bundle_rules`, `conformance_rules`).
    fn check_resource_rules(&self, obj: &Map<String, Value>, expr: &str, sink: &mut Sink) {
        self.check_narrative_links(obj, expr, sink);
        match obj.get("resourceType").and_then(Value::as_str) {
            Some("Bundle") => self.check_bundle_rules(obj, expr, sink),
            Some(rt) => self.check_conformance_rules(rt, obj, expr, sink),
            None => {}
        }
    }

    /// Matches the properties of `obj` to the children of `element`.
    pub(crate) fn walk_object(
        &self,
        tree: &ElementTree,
        element: ElementId,
        obj: &Map<String, Value>,
        path: &Path,
        scope: &ResourceScope,
        sink: &mut Sink,
    ) {
        let children = tree.children_of(element);
        // One pass over the properties, pairing `x` with `_x`, so that the
        // elements are read without looking the object up again. Most
        // objects have a handful of properties: no heap allocation for them.
        let mut seen: SmallVec<[Present; 16]> = SmallVec::new();
        let mut cursor = 0;
        for (key, value) in obj {
            // resourceType is a property of the resource, not an element,
            // except in the few backbones that define one (ExampleScenario).
            if key == "resourceType" && element == tree.root() {
                continue;
            }
            let (name, is_extras) = match key.strip_prefix('_') {
                Some(name) => (name, true),
                None => (key.as_str(), false),
            };
            let slot = match seen.iter().position(|p| p.name == name) {
                Some(at) => seen.get_mut(at),
                None => match child_named(tree, element, children, &mut cursor, name) {
                    Some(child) => {
                        seen.push(Present {
                            child,
                            name,
                            value: None,
                            extras: None,
                        });
                        seen.last_mut()
                    }
                    None => {
                        sink.error(
                            IssueType::Structure,
                            &path.field(name).render(),
                            format!("unknown element '{name}'"),
                        );
                        None
                    }
                },
            };
            if let Some(slot) = slot {
                if is_extras {
                    slot.extras = Some(value);
                } else {
                    slot.value = Some(value);
                }
            }
        }
        // Stable: a choice's properties stay in document order.
        seen.sort_by_key(|p| p.child);
        // Every property found is one of `children`, which ascend (snapshot
        // order), so each child's properties are at the front of `rest`.
        let mut rest: &[Present] = &seen;
        for child in children {
            let run = rest.iter().take_while(|p| p.child == *child).count();
            let (present, after) = rest.split_at(run);
            rest = after;
            let Some(def) = tree.get(*child) else {
                continue;
            };
            if present.is_empty() {
                // Absent: only a minimum can be broken.
                if def.min > 0 {
                    self.report_missing(def, 0, path, sink);
                }
                continue;
            }
            self.check_element(tree, *child, def, present, path, scope, sink);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_element<'v>(
        &self,
        tree: &ElementTree,
        id: ElementId,
        def: &ElementDef,
        present: &[Present<'v>],
        parent: &'v Path<'v>,
        scope: &ResourceScope,
        sink: &mut Sink,
    ) {
        if def.is_choice && present.len() > 1 {
            sink.error(
                IssueType::Structure,
                &format!("{}.{}[x]", parent.render(), def.name),
                format!(
                    "only one of {} may be present, found {}",
                    def.name,
                    present
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        // Most elements have one or a few occurrences: kept on the stack.
        let mut items: Items = SmallVec::new();
        for p in present {
            let type_ref = if def.is_choice {
                p.name
                    .strip_prefix(def.name.as_str())
                    .and_then(|s| def.choice_type_for_suffix(s))
            } else {
                def.types.first()
            };
            items_of(p, parent, type_ref, &mut items);
        }
        // A primitive counts when it has a value or extensions; an `_x`
        // holding only an id does not satisfy a minimum.
        let count = items
            .iter()
            .filter(|(i, _)| {
                i.value.is_some() || i.extras.is_some_and(|e| e.get("extension").is_some())
            })
            .count();
        if count < def.min as usize {
            self.report_missing(def, count, parent, sink);
        }
        if !def.max.allows(count) {
            sink.error(
                IssueType::Structure,
                &parent
                    .field(present.first().map_or(def.name.as_str(), |p| p.name))
                    .render(),
                format!("{count} values, but at most {} allowed", max_text(def)),
            );
        }
        if count == 0 {
            return;
        }
        let slice_of = if def.slicing.is_some() {
            self.assign_slices(tree, def, &items, sink)
        } else {
            Vec::new()
        };
        for (index, (item, type_ref)) in items.iter().enumerate() {
            let target = slice_of.get(index).copied().flatten().unwrap_or(id);
            let Some(target_def) = tree.get(target) else {
                continue;
            };
            self.check_item(tree, target, target_def, *type_ref, item, scope, sink);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn check_item(
        &self,
        tree: &ElementTree,
        id: ElementId,
        def: &ElementDef,
        type_ref: Option<&TypeRef>,
        item: &Item,
        scope: &ResourceScope,
        sink: &mut Sink,
    ) {
        let Some(type_ref) = type_ref else {
            if def.is_choice {
                sink.error(
                    IssueType::Structure,
                    &item.expr(),
                    format!("this type is not allowed for {}[x]", def.name),
                );
            } else if def.content_reference.is_some() || def.types.is_empty() {
                if let Some(Value::Object(obj)) = item.value {
                    self.walk_object(tree, id, obj, &item.path, scope, sink);
                    self.check_constraints(def, item, scope, sink);
                }
            }
            return;
        };
        let code = type_ref.code.as_str();
        self.check_value_rules(def, code, item, sink);
        if crate::primitives::is_primitive(code) || type_ref.system_type.is_some() {
            if let Some(Value::Object(extras)) = item.extras {
                self.walk_extensions_of(extras, &item.path, scope, sink);
            }
            self.check_constraints(def, item, scope, sink);
            return;
        }
        let Some(Value::Object(obj)) = item.value else {
            return;
        };
        if !scope.profile_walk {
            self.check_datatype_rules(code, obj, item, sink);
        }
        if code == "Resource" || self.is_resource_type(code) {
            let container = (def.name == "contained").then_some(scope.local.as_slice());
            // A profile on the resource's type (a profiled Bundle's entries)
            // applies to the nested resource; several profiles mean "any of
            // them", which is not checked.
            let profiles = crate::profiles::type_profiles(def, obj);
            let profiles: &[String] = match profiles.as_slice() {
                [_] => &profiles,
                _ => &[],
            };
            self.validate_structure(
                item.value.unwrap_or(&Value::Null),
                &item.expr(),
                profiles,
                container,
                sink,
            );
            return;
        }
        if code == "Extension" {
            self.check_extension(tree, id, def, obj, item, scope, sink);
        } else if code == "Reference" {
            self.check_reference(type_ref, obj, &item.path, scope, sink);
        }
        if !tree.children_of(id).is_empty() && code != "Extension" {
            self.walk_object(tree, id, obj, &item.path, scope, sink);
        } else if scope.profile_walk && !matches!(code, "Extension" | "BackboneElement" | "Element")
        {
            // The profile does not constrain this datatype's content, so
            // the walk below would repeat, on the same value with the same
            // datatype tree and path, what the base walk already did (the
            // base walk reaches every value, and walks datatype content with
            // its type's tree): it could only report the same issues again,
            // which `dedup` drops.
        } else if code != "Extension" {
            match self.type_tree(code) {
                Some(type_tree) => {
                    self.walk_object(type_tree, type_tree.root(), obj, &item.path, scope, sink);
                    if let Some(root) = type_tree.get(type_tree.root()) {
                        self.check_constraints(root, item, scope, sink);
                    }
                }
                None => sink.warning(
                    IssueType::NotSupported,
                    &item.expr(),
                    format!("no definition for type '{code}'; content not checked"),
                ),
            }
        }
        self.check_constraints(def, item, scope, sink);
    }

    /// `def` has `count` values, fewer than its minimum.
    fn report_missing(&self, def: &ElementDef, count: usize, parent: &Path, sink: &mut Sink) {
        let what = if def.is_choice {
            format!("{}[x]", def.name)
        } else {
            def.name.clone()
        };
        let detail = if count == 0 {
            format!("'{what}' is required (minimum {}) but missing", def.min)
        } else {
            format!("'{what}' has {count} value(s), minimum is {}", def.min)
        };
        sink.error(IssueType::Required, &parent.field(&what).render(), detail);
    }

    /// Whether `code` names a resource type (memoized `type_kind`).
    fn is_resource_type(&self, code: &str) -> bool {
        if let Ok(known) = self.resource_kinds.read() {
            if let Some(answer) = known.get(code) {
                return *answer;
            }
        }
        let answer = self.defs.type_kind(code) == Some(fhir_package::TypeKind::Resource);
        if let Ok(mut known) = self.resource_kinds.write() {
            known.insert(code.to_string(), answer);
        }
        answer
    }

    /// The base definition's tree of a datatype or resource type.
    pub(crate) fn type_tree(&self, type_name: &str) -> Option<&ElementTree> {
        self.defs
            .structure_definition_for_type(type_name)?
            .element_tree()
            .ok()
    }

    /// `_x.extension` of a primitive.
    fn walk_extensions_of(
        &self,
        extras: &Map<String, Value>,
        path: &Path,
        scope: &ResourceScope,
        sink: &mut Sink,
    ) {
        if let Some(tree) = self.type_tree("Element") {
            self.walk_object(tree, tree.root(), extras, path, scope, sink);
        }
    }
}

/// `tree.child_of(element, name)`, searching from the child after the one
/// the previous property matched: properties mostly come in definition
/// order, so an exact name is usually found at the first try. Child names
/// are unique, so an exact match is the one `child_of` finds; choice
/// properties (`valueQuantity`) fall back to it.
fn child_named(
    tree: &ElementTree,
    element: ElementId,
    children: &[ElementId],
    cursor: &mut usize,
    name: &str,
) -> Option<ElementId> {
    let start = (*cursor).min(children.len());
    let (before, from) = children.split_at(start);
    for (at, id) in from.iter().chain(before).enumerate() {
        if tree.get(*id).is_some_and(|def| def.name == name) {
            *cursor = (start + at) % children.len() + 1;
            return Some(*id);
        }
    }
    tree.child_of(element, name)
}

fn max_text(def: &ElementDef) -> String {
    match def.max {
        fhir_package::Max::Bounded(n) => n.to_string(),
        fhir_package::Max::Unbounded => "*".into(),
    }
}

/// A property present in an object, with its `_x` companion.
pub(crate) struct Present<'v> {
    child: ElementId,
    name: &'v str,
    value: Option<&'v Value>,
    extras: Option<&'v Value>,
}

/// The occurrences of one element, with the type each is checked against.
type Items<'v, 't> = SmallVec<[(Item<'v>, Option<&'t TypeRef>); 4]>;

/// The occurrences of a present property (and its `_x`), aligned.
fn items_of<'v, 't>(
    present: &Present<'v>,
    parent: &'v Path<'v>,
    type_ref: Option<&'t TypeRef>,
    out: &mut Items<'v, 't>,
) {
    let (value, extras, prop) = (present.value, present.extras, present.name);
    match (value, extras) {
        (Some(Value::Array(values)), extras) => {
            let extras = extras.and_then(Value::as_array);
            let len = values.len().max(extras.map_or(0, Vec::len));
            let items = (0..len)
                .map(|i| Item {
                    value: values.get(i).filter(|v| !v.is_null()),
                    extras: extras.and_then(|e| e.get(i)).filter(|v| !v.is_null()),
                    path: Path::Item(parent, prop, i),
                })
                .filter(|item| item.value.is_some() || item.extras.is_some());
            out.extend(items.map(|item| (item, type_ref)));
        }
        (None, Some(Value::Array(extras))) => {
            let items = extras
                .iter()
                .enumerate()
                .filter(|(_, e)| !e.is_null())
                .map(|(i, e)| Item {
                    value: None,
                    extras: Some(e),
                    path: Path::Item(parent, prop, i),
                });
            out.extend(items.map(|item| (item, type_ref)));
        }
        (Some(Value::Null), None) | (None, None) => {}
        (value, extras) => out.push((
            Item {
                value: value.filter(|v| !v.is_null()),
                extras,
                path: Path::Field(parent, prop),
            },
            type_ref,
        )),
    }
}
