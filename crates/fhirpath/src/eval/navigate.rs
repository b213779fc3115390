//! Navigation: member access typed through the model (choice elements,
//! primitives with their `_name` siblings, contained resources), the
//! children of a node, and type derivation.

use std::sync::Arc;

use serde_json::Value as Json;

use super::Evaluator;
use crate::value::{infer_type, Collection, Node, TypeName, Value, UNTYPED};

impl<'a> Evaluator<'a> {
    /// Navigates to child `name` of `item` (or keeps `item` when `name` is
    /// its type, as in `Patient.name`). Naming an element that the model
    /// says the type does not have is an error (the expression is wrong,
    /// whatever the data): `Observation.valueQuantity`.
    pub fn member(&self, item: &Value<'a>, name: &str, out: &mut Collection<'a>) {
        if let Value::TypeInfo {
            namespace,
            name: type_name,
        } = item
        {
            match name {
                "namespace" => out.push(Value::string(*namespace)),
                "name" => out.push(Value::string(type_name.to_string())),
                _ => {}
            }
            return;
        }
        let Value::Node(node) = item else { return };
        if name.starts_with(|c: char| c.is_ascii_uppercase()) {
            let other_resource = self.input_resource_type.as_ref().is_some_and(|rt| {
                Arc::ptr_eq(rt, &node.type_name) && name != "Resource" && name != "DomainResource"
            });
            if &*node.type_name == name
                || (!other_resource && self.type_derives(&node.type_name, name))
            {
                out.push(item.clone());
            }
            return;
        }
        self.member_of_node(node, name, out);
    }

    /// A path step that found nothing is an error when no item of the
    /// focus could ever have the element: every item has a type the model
    /// knows and none declares `name` (`Observation.valueQuantity`). With
    /// mixed collections (`descendants().linkId`) one declaring type is
    /// enough for an empty result.
    pub(crate) fn check_element_name(&self, focus: &[Value<'a>], name: &str) -> Result<(), String> {
        let Some(model) = self.model else {
            return Ok(());
        };
        if name.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Ok(());
        }
        let mut first_unknown = None;
        for item in focus {
            let Value::Node(node) = item else {
                return Ok(());
            };
            // Cheapest and most common answer first: the element exists.
            if model.child(&node.type_name, name).is_some()
                || is_primitive_extra(node, name)
                || !(node.type_name.contains('.') || model.is_type(&node.type_name))
            {
                return Ok(());
            }
            first_unknown.get_or_insert(node.type_name.clone());
        }
        match first_unknown {
            Some(type_name) => Err(format!("{type_name} has no element '{name}'")),
            None => Ok(()),
        }
    }

    fn member_of_node(&self, node: &Node<'a>, name: &str, out: &mut Collection<'a>) {
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
                        let extra = sibling(map, key);
                        push_key(
                            Some(value),
                            extra,
                            self.resolve_type(&t.type_name, value),
                            out,
                        );
                    }
                }
                // A choice primitive with only its `_valueX` sibling. Open
                // choices have ~50 types: look for the keys only when some
                // `_name...` key exists at all.
                let has_sibling = map
                    .keys()
                    .any(|k| k.strip_prefix('_').is_some_and(|k| k.starts_with(name)));
                for t in info.types.iter().filter(|_| has_sibling) {
                    let key = format!("{name}{}", t.json_suffix);
                    if !map.contains_key(&key) {
                        if let Some(extra) = sibling(map, &key) {
                            push_key(None, Some(extra), t.type_name.clone(), out);
                        }
                    }
                }
            }
            Some(info) => {
                let Some(t) = info.types.first() else { return };
                let value = lookup(map, name);
                let extra = if is_lowercase_type(&t.type_name) {
                    sibling(map, name)
                } else {
                    None
                };
                let type_name = match value {
                    Some(v) => self.resolve_type(&t.type_name, v),
                    None => t.type_name.clone(),
                };
                push_key(value, extra, type_name, out);
            }
            // A type the model knows but without this element: nothing (no guessing).
            None if self
                .model
                .is_some_and(|m| m.is_type(&node.type_name) || node.type_name.contains('.')) => {}
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
        if let Some(value) = lookup(map, name) {
            let type_name = guess_type(value);
            push_key(Some(value), sibling(map, name), type_name, out);
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
                push_key(Some(value), sibling(map, key), type_name, out);
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
            if let Some(rt) = first.and_then(resource_type_value).and_then(Json::as_str) {
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
                self.member_of_node(node, name, out);
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
            let extra = sibling(map, key);
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

/// `id` and `extension` of a primitive, which the model lists on Element.
fn is_primitive_extra(node: &Node<'_>, name: &str) -> bool {
    (name == "id" || name == "extension") && !matches!(node.json, Some(Json::Object(_)))
}

/// A property of a JSON object. FHIR objects are small, and a scan that
/// compares lengths first beats hashing the key (serde_json's map hashes
/// with SipHash).
fn lookup<'a>(map: &'a serde_json::Map<String, Json>, key: &str) -> Option<&'a Json> {
    if map.len() > 16 {
        return map.get(key);
    }
    map.iter()
        .find(|(k, _)| k.len() == key.len() && k.as_str() == key)
        .map(|(_, v)| v)
}

/// `resourceType` of a resource: written first in FHIR JSON, so look there
/// before searching.
pub(super) fn resource_type(json: &Json) -> Option<&str> {
    let Json::Object(map) = json else { return None };
    match map.iter().next() {
        Some((key, value)) if key == "resourceType" => value.as_str(),
        _ => lookup(map, "resourceType").and_then(Json::as_str),
    }
}

/// The `_name` sibling of a primitive property, looked up without
/// allocating for ordinary property names.
fn sibling<'a>(map: &'a serde_json::Map<String, Json>, name: &str) -> Option<&'a Json> {
    if map.len() > 16 {
        return map.get(&format!("_{name}"));
    }
    map.iter()
        .find(|(k, _)| k.len() == name.len() + 1 && k.strip_prefix('_') == Some(name))
        .map(|(_, v)| v)
}

fn resource_type_value(json: &Json) -> Option<&Json> {
    let Json::Object(map) = json else { return None };
    lookup(map, "resourceType")
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
        Some(json @ Json::Object(_)) => match resource_type(json) {
            Some(rt) => Arc::from(rt),
            None => Arc::from(UNTYPED),
        },
        Some(other) => Arc::from(infer_type(other)),
        None => Arc::from(UNTYPED),
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
                let type_name = match is_resource.then(|| resource_type(item)).flatten() {
                    Some(rt) => Arc::from(rt),
                    None => type_name.clone(),
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
