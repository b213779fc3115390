//! A constraint StructureDefinition's differential may only name elements
//! of its type: each `path` is walked from the type through the loaded type
//! model, choice elements by `[x]` or by a type-specific name
//! (`valueQuantity`). The walk stops, without a finding, where the model
//! cannot follow (a choice of several types, an unknown type); snapshot
//! generation is what reports the finer problems.

use crate::report::{IssueType, Sink};
use crate::Engine;
use fhir_package::ChildElement;
use serde_json::{Map, Value};

impl Engine {
    pub(crate) fn check_differential_paths(
        &self,
        obj: &Map<String, Value>,
        expr: &str,
        sink: &mut Sink,
    ) {
        let text = |key: &str| obj.get(key).and_then(Value::as_str);
        if text("derivation") != Some("constraint") {
            return;
        }
        let Some(type_name) = text("type") else {
            return;
        };
        if self.defs.type_kind(type_name).is_none() {
            return;
        }
        let elements = obj
            .get("differential")
            .and_then(|d| d.get("element"))
            .and_then(Value::as_array);
        for (i, element) in elements.into_iter().flatten().enumerate() {
            let Some(path) = element.get("path").and_then(Value::as_str) else {
                continue;
            };
            if let Some(problem) = self.path_problem(type_name, path) {
                sink.error(
                    IssueType::Invalid,
                    &format!("{expr}.differential.element[{i}].path"),
                    format!("differential path '{path}' does not name an element of {type_name}: {problem}"),
                );
            }
        }
    }

    /// Why `path` is not an element of `type_name`; None when it is (or the
    /// walk cannot tell).
    fn path_problem(&self, type_name: &str, path: &str) -> Option<String> {
        let mut segments = path.split('.');
        // A path outside the type breaks sdf-8a, which its invariant reports.
        if segments.next() != Some(type_name) {
            return None;
        }
        let mut parent = type_name.to_string();
        for segment in segments {
            let name = segment.strip_suffix("[x]").unwrap_or(segment);
            if let Some(child) = self.defs.child_element(&parent, name) {
                parent = walkable_parent(&child)?;
            } else if let Some((_, code)) = self.defs.choice_types(&parent, segment) {
                parent = code.to_string();
            } else {
                return Some(format!("'{segment}' is not an element of {parent}"));
            }
        }
        None
    }
}

/// What to look children up in below `child`: its backbone path or its
/// single type; None when it has several types.
fn walkable_parent(child: &ChildElement) -> Option<String> {
    match child.types {
        [] => Some(child.path.to_string()),
        [only] if matches!(only.code.as_str(), "BackboneElement" | "Element") => {
            Some(child.path.to_string())
        }
        [only] => Some(only.code.clone()),
        _ => None,
    }
}
