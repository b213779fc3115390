//! `_summary` and `_elements` (R4 3.1.1.5.8/9): subsets of a resource, tagged SUBSETTED.

use serde_json::{json, Map, Value};

use crate::resource_types::summary_elements;

/// The `_summary` modes that apply to a single resource (`count` is search-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    True,
    Text,
    Data,
    False,
}

impl Summary {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "true" => Some(Summary::True),
            "text" => Some(Summary::Text),
            "data" => Some(Summary::Data),
            "false" => Some(Summary::False),
            _ => None,
        }
    }
}

const ALWAYS_KEPT: [&str; 3] = ["resourceType", "id", "meta"];

/// Applies `_summary`. `Summary::Text` keeps `text`, `id` and `meta` only; R4
/// also asks for the top-level mandatory elements, which needs the
/// StructureDefinition: we deliberately depart until validation owns that.
pub fn apply_summary(resource: &mut Value, summary: Summary) {
    let Some(resource_type) = resource
        .get("resourceType")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return;
    };
    let Some(fields) = resource.as_object_mut() else {
        return;
    };
    match summary {
        Summary::False => return,
        Summary::Data => {
            fields.remove("text");
        }
        Summary::Text => {
            fields.retain(|key, _| ALWAYS_KEPT.contains(&key.as_str()) || key == "text")
        }
        Summary::True => {
            let paths = summary_elements(&resource_type).unwrap_or_default();
            keep_paths(fields, paths, "");
        }
    }
    mark_subsetted(fields);
}

/// Applies `_elements=a,b` (top-level element names, optionally `Type.name`).
pub fn apply_elements(resource: &mut Value, elements: &[&str]) {
    let resource_type = resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let Some(fields) = resource.as_object_mut() else {
        return;
    };
    let prefix = format!("{resource_type}.");
    let names: Vec<&str> = elements
        .iter()
        .map(|element| element.strip_prefix(&prefix).unwrap_or(element))
        .collect();
    fields.retain(|key, _| {
        ALWAYS_KEPT.contains(&key.as_str())
            || names
                .iter()
                .any(|name| key_matches(key, name) || key_matches(key, &format!("{name}[x]")))
    });
    mark_subsetted(fields);
}

/// Keeps the keys of `fields` named in `paths` under `parent` (dotted paths relative to the resource).
fn keep_paths(fields: &mut Map<String, Value>, paths: &[&str], parent: &str) {
    fields.retain(|key, _| {
        (parent.is_empty() && ALWAYS_KEPT.contains(&key.as_str()))
            || paths.iter().any(|path| {
                path.strip_prefix(parent)
                    .is_some_and(|rest| !rest.contains('.') && key_matches(key, rest))
            })
    });
    for (key, value) in fields.iter_mut() {
        let child_parent = format!("{parent}{}.", key.trim_start_matches('_'));
        let has_child_paths = paths.iter().any(|path| path.starts_with(&child_parent));
        if !has_child_paths {
            continue; // a datatype or an element without summary children: kept whole
        }
        let items: Vec<&mut Value> = match value {
            Value::Array(items) => items.iter_mut().collect(),
            other => vec![other],
        };
        for item in items {
            if let Value::Object(child) = item {
                keep_paths(child, paths, &child_parent);
            }
        }
    }
}

/// Does JSON key `key` hold element `name` (`value[x]` matches `valueQuantity`,
/// and `_name` is the primitive's id/extension sibling)?
fn key_matches(key: &str, name: &str) -> bool {
    let key = key.strip_prefix('_').unwrap_or(key);
    match name.strip_suffix("[x]") {
        Some(base) => key
            .strip_prefix(base)
            .and_then(|suffix| suffix.chars().next())
            .is_some_and(|first| first.is_ascii_uppercase()),
        None => key == name,
    }
}

fn mark_subsetted(fields: &mut Map<String, Value>) {
    let meta = fields
        .entry("meta")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(meta) = meta.as_object_mut() else {
        return;
    };
    let tags = meta
        .entry("tag")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(tags) = tags {
        tags.push(json!({
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
            "code": "SUBSETTED",
            "display": "Resource encoded in summary mode"
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patient() -> Value {
        json!({
            "resourceType": "Patient", "id": "p", "meta": {"versionId": "1"},
            "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
            "name": [{"family": "Chalmers"}], "birthDate": "1974-12-25", "_birthDate": {"id": "b"},
            "deceasedBoolean": false, "photo": [{"title": "me"}],
            "contact": [{"name": {"family": "Du Marché"}, "modifierExtension": [{"url": "http://x", "valueBoolean": true}]}]
        })
    }

    #[test]
    fn summary_true_keeps_summary_elements_and_tags() {
        let mut resource = patient();
        apply_summary(&mut resource, Summary::True);
        let keys: Vec<&str> = resource
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "resourceType",
                "id",
                "meta",
                "name",
                "birthDate",
                "_birthDate",
                "deceasedBoolean"
            ]
        );
        // Patient.contact is not a summary element, so its summary children go with it.
        assert_eq!(resource["meta"]["tag"][0]["code"], "SUBSETTED");
    }

    #[test]
    fn summary_text_and_data() {
        let mut text = patient();
        apply_summary(&mut text, Summary::Text);
        assert!(text.get("text").is_some() && text.get("name").is_none());
        let mut data = patient();
        apply_summary(&mut data, Summary::Data);
        assert!(data.get("text").is_none() && data.get("photo").is_some());
        let mut all = patient();
        apply_summary(&mut all, Summary::False);
        assert_eq!(all, patient());
    }

    #[test]
    fn elements_keep_named_and_mandatory() {
        let mut resource = patient();
        apply_elements(&mut resource, &["Patient.birthDate", "deceased"]);
        let keys: Vec<&str> = resource
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "resourceType",
                "id",
                "meta",
                "birthDate",
                "_birthDate",
                "deceasedBoolean"
            ]
        );
    }
}
