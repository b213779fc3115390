//! Compiles a StructureDefinition snapshot into an [`ElementTree`].
//!
//! Parent/child and slice links come from `ElementDefinition.id`
//! ("Observation.component:systolic.code"): the last `.` segment names the
//! element, a `:name` suffix on it makes the element a slice of the same id
//! without that suffix (`a:b/c` is a re-slice of `a:b`).

use fnv::FnvHashMap as HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::element::{
    Binding, Constraint, Discriminator, ElementDef, ElementId, ElementTree, Max, Slicing, TypeRef,
    TypedValue, ValueLimits,
};
use crate::error::ElementTreeError;
use crate::resource::StructureDefinition;

const FHIR_TYPE_EXTENSION: &str =
    "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";
const FHIRPATH_SYSTEM_PREFIX: &str = "http://hl7.org/fhirpath/";

/// Only the snapshot is read: skipping the narrative and the differential
/// as the JSON is scanned makes compiling several times faster than going
/// through the whole resource as a `Value`.
#[derive(Deserialize)]
pub(crate) struct SnapshotOnly {
    pub(crate) snapshot: Option<Snapshot>,
}

#[derive(Deserialize)]
pub(crate) struct Snapshot {
    pub(crate) element: Vec<Value>,
}

pub(crate) fn compile_tree(sd: &StructureDefinition) -> Result<ElementTree, ElementTreeError> {
    let url = sd.url().to_string();
    // A definition published without a snapshot has none to read.
    let published = match sd.has_snapshot {
        true => {
            let parsed: SnapshotOnly =
                serde_json::from_str(sd.resource.raw_json()).map_err(|error| {
                    ElementTreeError::InvalidDefinition {
                        url: url.clone(),
                        message: format!("snapshot: {error}"),
                    }
                })?;
            parsed.snapshot
        }
        false => None,
    };
    let elements = match (published, sd.generated_snapshot()) {
        (Some(snapshot), _) if !snapshot.element.is_empty() => snapshot.element,
        (_, Some(Err(error))) => return Err(error.clone()),
        (_, Some(Ok(generated))) => serde_json::from_str(generated).map_err(|error| {
            ElementTreeError::InvalidDefinition {
                url: url.clone(),
                message: format!("generated snapshot: {error}"),
            }
        })?,
        _ => return Err(ElementTreeError::NoSnapshot { url: url.clone() }),
    };
    compile_elements(&url, &sd.type_name, &elements)
}

/// Builds the tree from the `snapshot.element` array.
pub(crate) fn compile_elements(
    url: &str,
    type_name: &str,
    elements: &[Value],
) -> Result<ElementTree, ElementTreeError> {
    let mut tree = ElementTree {
        url: url.to_string(),
        type_name: type_name.to_string(),
        elements: Vec::with_capacity(elements.len()),
        by_id: HashMap::with_capacity_and_hasher(elements.len(), Default::default()),
    };
    for (index, json) in elements.iter().enumerate() {
        let invalid = |message: String| ElementTreeError::InvalidElement {
            url: url.to_string(),
            index,
            message,
        };
        let object = json
            .as_object()
            .ok_or_else(|| invalid("not an object".into()))?;
        let mut element = parse_element(object).map_err(invalid)?;
        let id = ElementId(index as u32);
        if index > 0 {
            element.parent = link_to_tree(&mut tree, id, &element.id).map_err(invalid)?;
        } else if element.id.contains('.') {
            return Err(invalid(format!(
                "first element {} is not a root",
                element.id
            )));
        }
        if tree.by_id.insert(element.id.clone(), id).is_some() {
            return Err(invalid(format!("duplicate element id {}", element.id)));
        }
        tree.elements.push(element);
    }
    resolve_content_references(&mut tree, url)?;
    Ok(tree)
}

/// Records `id` as a child or a slice of the element its id derives from,
/// and returns its parent (a slice's parent is the parent of what it slices).
fn link_to_tree(
    tree: &mut ElementTree,
    id: ElementId,
    element_id: &str,
) -> Result<Option<ElementId>, String> {
    let (prefix, last) = element_id
        .rsplit_once('.')
        .ok_or_else(|| format!("second root element {element_id}"))?;
    let sliced = last
        .rsplit_once(['/', ':'])
        .map(|(base, _slice)| format!("{prefix}.{base}"));
    let (owner_id, is_slice) = match sliced {
        Some(base_id) if tree.by_id.contains_key(&base_id) => (base_id, true),
        // Deliberate leniency: a few R4 core profiles (familymemberhistory-
        // genetic, catalog) give an element a sliceName without ever
        // declaring the unsliced element. Such a "slice" is the element
        // itself: link it as a child and let its unsliced id find it too.
        Some(base_id) => {
            tree.by_id.insert(base_id, id);
            (prefix.to_string(), false)
        }
        None => (prefix.to_string(), false),
    };
    let owner = *tree
        .by_id
        .get(&owner_id)
        .ok_or_else(|| format!("element {element_id} comes before its parent {owner_id}"))?;
    let owner_element = tree
        .elements
        .get_mut(owner.index())
        .ok_or_else(|| format!("dangling element index for {owner_id}"))?;
    if is_slice {
        owner_element.slices.push(id);
        Ok(owner_element.parent)
    } else {
        owner_element.children.push(id);
        Ok(Some(owner))
    }
}

fn resolve_content_references(tree: &mut ElementTree, url: &str) -> Result<(), ElementTreeError> {
    let references: Vec<(usize, String)> = tree
        .elements
        .iter()
        .enumerate()
        .filter_map(|(index, element)| Some((index, element.content_reference.clone()?)))
        .collect();
    for (index, reference) in references {
        // "#Questionnaire.item" (R4 core) or "http://...StructureDefinition/X#X.item".
        let target_id = reference
            .rsplit_once('#')
            .map_or(reference.as_str(), |(_, fragment)| fragment);
        let target = tree
            .element(target_id)
            .ok_or_else(|| ElementTreeError::InvalidElement {
                url: url.to_string(),
                index,
                message: format!("contentReference {reference} does not resolve"),
            })?;
        if let Some(element) = tree.elements.get_mut(index) {
            element.content_target = Some(target);
        }
    }
    Ok(())
}

fn parse_element(object: &Map<String, Value>) -> Result<ElementDef, String> {
    let path = string_field(object, "path")?.ok_or("missing path")?;
    let id = string_field(object, "id")?.unwrap_or_else(|| path.clone());
    let last_segment = path.rsplit('.').next().unwrap_or(&path);
    let is_choice = last_segment.ends_with("[x]");
    let name = last_segment.trim_end_matches("[x]").to_string();
    let min = match object.get("min") {
        None => 0,
        Some(value) => value
            .as_u64()
            .and_then(|min| u32::try_from(min).ok())
            .ok_or_else(|| format!("{id}: invalid min {value}"))?,
    };
    let max = match string_field(object, "max")?.as_deref() {
        None | Some("*") => Max::Unbounded,
        Some(text) => Max::Bounded(
            text.parse()
                .map_err(|_| format!("{id}: invalid max {text:?}"))?,
        ),
    };
    let max_length = match object.get("maxLength") {
        None => None,
        Some(value) => Some(
            value
                .as_u64()
                .and_then(|length| u32::try_from(length).ok())
                .ok_or_else(|| format!("{id}: invalid maxLength {value}"))?,
        ),
    };
    Ok(ElementDef {
        slice_name: string_field(object, "sliceName")?,
        min,
        max,
        types: parse_types(object, &id)?,
        is_choice,
        fixed: prefixed_value(object, "fixed"),
        pattern: prefixed_value(object, "pattern"),
        max_length,
        value_limits: value_limits(object),
        binding: parse_binding(object, &id)?,
        constraints: parse_constraints(object, &id)?,
        slicing: parse_slicing(object, &id)?,
        is_modifier: bool_field(object, "isModifier"),
        is_summary: bool_field(object, "isSummary"),
        must_support: bool_field(object, "mustSupport"),
        content_reference: string_field(object, "contentReference")?,
        content_target: None,
        parent: None,
        children: Vec::new(),
        slices: Vec::new(),
        id,
        path,
        name,
    })
}

fn string_field(object: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(format!("{key} is not a string: {other}")),
    }
}

fn bool_field(object: &Map<String, Value>, key: &str) -> bool {
    object.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn parse_types(object: &Map<String, Value>, id: &str) -> Result<Vec<TypeRef>, String> {
    let Some(types) = object.get("type") else {
        return Ok(Vec::new());
    };
    let types = types
        .as_array()
        .ok_or_else(|| format!("{id}: type is not an array"))?;
    types
        .iter()
        .map(|type_json| {
            let code = type_json
                .get("code")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{id}: type without code"))?;
            let (code, system_type) = map_type_code(code, type_json);
            Ok(TypeRef {
                code,
                system_type,
                profiles: string_list(type_json.get("profile")),
                target_profiles: string_list(type_json.get("targetProfile")),
            })
        })
        .collect()
}

/// Maps a FHIRPath system type code to the FHIR type the element holds.
fn map_type_code(code: &str, type_json: &Value) -> (String, Option<String>) {
    let Some(system_type) = code.strip_prefix(FHIRPATH_SYSTEM_PREFIX) else {
        return (code.to_string(), None);
    };
    let declared = type_json
        .get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|extension| extension.get("url").and_then(Value::as_str) == Some(FHIR_TYPE_EXTENSION))
        .and_then(|extension| {
            extension
                .get("valueUrl")
                .or_else(|| extension.get("valueUri"))
                .and_then(Value::as_str)
        });
    let fhir_type = match declared {
        Some(declared) => declared.to_string(),
        None => match system_type.strip_prefix("System.").unwrap_or(system_type) {
            "DateTime" => "dateTime".to_string(),
            other => other.to_lowercase(),
        },
    };
    (fhir_type, Some(system_type.to_string()))
}

fn prefixed_value(object: &Map<String, Value>, prefix: &str) -> Option<TypedValue> {
    object.iter().find_map(|(key, value)| {
        let suffix = key.strip_prefix(prefix)?;
        suffix
            .starts_with(|c: char| c.is_ascii_uppercase())
            .then(|| TypedValue {
                type_suffix: suffix.to_string(),
                value: value.clone(),
            })
    })
}

fn value_limits(object: &Map<String, Value>) -> Option<Box<ValueLimits>> {
    let min = prefixed_value(object, "minValue");
    let max = prefixed_value(object, "maxValue");
    (min.is_some() || max.is_some()).then(|| Box::new(ValueLimits { min, max }))
}

fn parse_binding(object: &Map<String, Value>, id: &str) -> Result<Option<Binding>, String> {
    let Some(binding) = object.get("binding") else {
        return Ok(None);
    };
    let strength = binding
        .get("strength")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{id}: binding without strength"))?;
    Ok(Some(Binding {
        strength: strength.to_string(),
        value_set: binding
            .get("valueSet")
            .and_then(Value::as_str)
            .map(str::to_string),
    }))
}

fn parse_constraints(object: &Map<String, Value>, id: &str) -> Result<Vec<Constraint>, String> {
    let Some(constraints) = object.get("constraint").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    constraints
        .iter()
        .map(|constraint| {
            let text = |key: &str| {
                constraint
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            Ok(Constraint {
                key: text("key").ok_or_else(|| format!("{id}: constraint without key"))?,
                severity: text("severity").unwrap_or_else(|| "error".to_string()),
                human: text("human").unwrap_or_default(),
                expression: text("expression"),
                source: text("source"),
            })
        })
        .collect()
}

fn parse_slicing(object: &Map<String, Value>, id: &str) -> Result<Option<Slicing>, String> {
    let Some(slicing) = object.get("slicing") else {
        return Ok(None);
    };
    let discriminators = slicing
        .get("discriminator")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|discriminator| {
            let kind = discriminator.get("type").and_then(Value::as_str);
            let path = discriminator.get("path").and_then(Value::as_str);
            match (kind, path) {
                (Some(kind), Some(path)) => Ok(Discriminator {
                    kind: kind.to_string(),
                    path: path.to_string(),
                }),
                _ => Err(format!("{id}: discriminator needs type and path")),
            }
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Some(Slicing {
        discriminators,
        rules: slicing
            .get("rules")
            .and_then(Value::as_str)
            .unwrap_or("open")
            .to_string(),
        ordered: slicing
            .get("ordered")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        description: slicing
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
    }))
}
