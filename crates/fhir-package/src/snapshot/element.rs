//! Merging one differential element over its base element: what the
//! differential states replaces the base's value, except constraints,
//! conditions, mappings and aliases, which accumulate, and bindings and
//! slicing, which are merged field by field. Type narrowing is checked.

use serde_json::{Map, Value};

use crate::definitions::FhirDefinitions;

/// Keys that a snapshot sets from the element's place in the tree.
const PLACE_KEYS: [&str; 3] = ["id", "path", "sliceName"];

/// Type codes that admit any more specific type in a profile.
const OPEN_TYPES: [&str; 4] = ["Resource", "DomainResource", "Element", "BackboneElement"];

pub(crate) fn merge_element(
    defs: &FhirDefinitions,
    profile_url: &str,
    element: &mut Map<String, Value>,
    diff: &Map<String, Value>,
) -> Result<(), String> {
    if let Some(types) = diff.get("type") {
        check_types(defs, element.get("type"), types)?;
    }
    for (key, value) in diff {
        if PLACE_KEYS.contains(&key.as_str()) {
            continue;
        }
        match key.as_str() {
            "constraint" => append_constraints(element, value, profile_url),
            "condition" | "alias" | "mapping" => append_unique(element, key, value),
            "binding" | "slicing" => merge_object(element, key, value),
            _ => {
                if let Some(prefix) = ["fixed", "pattern"]
                    .into_iter()
                    .find(|prefix| is_prefixed(key, prefix))
                {
                    element.retain(|existing, _| !is_prefixed(existing, prefix));
                }
                element.insert(key.clone(), value.clone());
            }
        }
    }
    check_cardinality(element)
}

fn is_prefixed(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
}

fn codes(types: Option<&Value>) -> Vec<&str> {
    types
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|type_json| type_json.get("code").and_then(Value::as_str))
        .collect()
}

/// A profile may only narrow the types of its base.
fn check_types(
    defs: &FhirDefinitions,
    base_types: Option<&Value>,
    diff_types: &Value,
) -> Result<(), String> {
    let base = codes(base_types);
    if base.is_empty() {
        return Ok(());
    }
    let diff_list = diff_types.as_array().ok_or("type is not an array")?;
    for type_json in diff_list {
        let code = type_json
            .get("code")
            .and_then(Value::as_str)
            .ok_or("a type without code")?;
        // FHIRPath system types (on `id`, `url`, primitive values) stand
        // for the FHIR primitive a profile may name instead.
        let allowed = base.iter().any(|base_code| {
            *base_code == code
                || OPEN_TYPES.contains(base_code)
                || base_code.starts_with("http://hl7.org/fhirpath/")
                || defs.is_subtype_of(code, base_code)
        });
        if !allowed {
            return Err(format!(
                "type {code} is not allowed by the base (allowed: {})",
                base.join(", ")
            ));
        }
    }
    Ok(())
}

fn check_cardinality(element: &Map<String, Value>) -> Result<(), String> {
    let min = element.get("min").and_then(Value::as_u64).unwrap_or(0);
    match element.get("max").and_then(Value::as_str) {
        None | Some("*") => Ok(()),
        Some(text) => match text.parse::<u64>() {
            Ok(max) if min > max => Err(format!("min {min} is greater than max {max}")),
            Ok(_) => Ok(()),
            Err(_) => Err(format!("invalid max {text:?}")),
        },
    }
}

/// Adds the differential's constraints whose keys are new, marking them as
/// coming from the profile.
fn append_constraints(element: &mut Map<String, Value>, value: &Value, profile_url: &str) {
    let existing: Vec<String> = element
        .get("constraint")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|constraint| constraint.get("key").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    let mut added: Vec<Value> = Vec::new();
    for constraint in value.as_array().into_iter().flatten() {
        let key = constraint.get("key").and_then(Value::as_str);
        if key.is_some_and(|key| existing.iter().any(|known| known == key)) {
            continue;
        }
        let mut constraint = constraint.clone();
        if let Some(object) = constraint.as_object_mut() {
            object
                .entry("source")
                .or_insert_with(|| Value::String(profile_url.to_string()));
        }
        added.push(constraint);
    }
    push_all(element, "constraint", added);
}

fn append_unique(element: &mut Map<String, Value>, key: &str, value: &Value) {
    let existing = element
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let added: Vec<Value> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| !existing.contains(item))
        .cloned()
        .collect();
    push_all(element, key, added);
}

fn push_all(element: &mut Map<String, Value>, key: &str, added: Vec<Value>) {
    if added.is_empty() {
        return;
    }
    let entry = element
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    match entry.as_array_mut() {
        Some(items) => items.extend(added),
        None => *entry = Value::Array(added),
    }
}

fn merge_object(element: &mut Map<String, Value>, key: &str, value: &Value) {
    match (element.get_mut(key), value.as_object()) {
        (Some(Value::Object(base)), Some(diff)) => {
            for (field, field_value) in diff {
                base.insert(field.clone(), field_value.clone());
            }
        }
        _ => {
            element.insert(key.to_string(), value.clone());
        }
    }
}
