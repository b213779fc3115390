//! Snapshot generation: the snapshot of a StructureDefinition published with
//! only a differential, built from its base definition's snapshot (itself
//! generated first when the base has none).
//!
//! `tree` parses element lists into trees by id and writes them back;
//! `merge` lays the differential over the base tree (children, slices,
//! datatype expansion); `choice` handles choices named by type
//! (`valueQuantity`); `element` merges one element.
//!
//! Snapshots are generated when definitions are loaded
//! ([`FhirDefinitions::load_dir`], [`FhirDefinitions::with_packages`]) and
//! kept as compact JSON text on the StructureDefinition; the element tree is
//! compiled from that text on first use like any published snapshot. Doing
//! it at load (rather than at first `element_tree` call) keeps
//! `StructureDefinition::element_tree` free of any link back to the
//! definitions, and a profile that cannot be expanded is reported in
//! [`FhirDefinitions::warnings`] at start-up, not at first validation.

mod choice;
mod element;
mod merge;
mod tree;

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::compile::SnapshotOnly;
use crate::definitions::FhirDefinitions;
use crate::error::ElementTreeError;
use crate::resource::{Derivation, StructureDefinition};
use tree::{flatten, parse_elements, Node};

/// Generated snapshots nest through base definitions and type profiles;
/// deeper than this is a cycle the visiting list missed or a runaway IG.
const MAX_DEPTH: usize = 32;

pub(crate) struct Generator<'a> {
    defs: &'a FhirDefinitions,
    /// The profile whose snapshot is being generated.
    url: &'a str,
    /// Its base, for `contentReference` targets.
    base_root: Node,
    /// Profiles whose generation is under way (outermost first).
    visiting: Vec<String>,
}

/// Only the differential is read (the snapshot side is
/// `compile::SnapshotOnly`), borrowing the definition rather than copying it.
#[derive(Deserialize)]
struct DifferentialOnly {
    differential: Option<Differential>,
}

#[derive(Deserialize)]
struct Differential {
    element: Vec<Value>,
}

fn failure(url: &str, element: impl Into<String>, reason: impl Into<String>) -> ElementTreeError {
    ElementTreeError::SnapshotGeneration {
        url: url.to_string(),
        element: element.into(),
        reason: reason.into(),
    }
}

impl FhirDefinitions {
    /// Generates the snapshot of a StructureDefinition given as JSON from its
    /// `differential` and the loaded base definition, ignoring any snapshot
    /// it has. Returns the `snapshot.element` list.
    pub fn generate_snapshot(&self, structure: &Value) -> Result<Vec<Value>, ElementTreeError> {
        generate(self, structure, Vec::new())
    }

    /// Generates and stores the snapshots of the StructureDefinitions at
    /// `positions` that were published without one; failures become warnings.
    pub(crate) fn generate_missing_snapshots(&mut self, positions: &[usize]) {
        let mut warnings = Vec::new();
        for position in positions {
            let Some(sd) = self.structure_definitions.item(*position) else {
                continue;
            };
            if sd.has_snapshot {
                continue;
            }
            if let Err(error) = generated_snapshot(self, sd, Vec::new()) {
                warnings.push(format!(
                    "{error} (from {}); it cannot be used for validation",
                    sd.resource.source
                ));
            }
        }
        for warning in &warnings {
            tracing::warn!("{warning}");
        }
        self.warnings.extend(warnings);
    }
}

/// The stored generated snapshot of `sd`, generating it on first call.
fn generated_snapshot(
    defs: &FhirDefinitions,
    sd: &StructureDefinition,
    visiting: Vec<String>,
) -> Result<Arc<str>, ElementTreeError> {
    if visiting.iter().any(|url| url == sd.url()) {
        return Err(failure(
            sd.url(),
            sd.type_name.clone(),
            format!("circular base definitions: {}", visiting.join(" -> ")),
        ));
    }
    sd.generated_snapshot
        .get_or_init(|| {
            let elements = generate(defs, sd.json(), visiting)?;
            serde_json::to_string(&elements)
                .map(Arc::from)
                .map_err(|error| failure(sd.url(), sd.type_name.clone(), error.to_string()))
        })
        .clone()
}

/// The snapshot elements of a loaded definition, published or generated.
fn snapshot_elements(
    defs: &FhirDefinitions,
    sd: &StructureDefinition,
    visiting: Vec<String>,
) -> Result<Vec<Value>, ElementTreeError> {
    let invalid =
        |error: serde_json::Error| failure(sd.url(), sd.type_name.clone(), error.to_string());
    if sd.has_snapshot {
        let published: SnapshotOnly =
            serde_json::from_str(sd.resource.raw_json()).map_err(invalid)?;
        return Ok(published
            .snapshot
            .map(|list| list.element)
            .unwrap_or_default());
    }
    let text = generated_snapshot(defs, sd, visiting)?;
    serde_json::from_str(&text).map_err(invalid)
}

fn generate(
    defs: &FhirDefinitions,
    structure: &Value,
    mut visiting: Vec<String>,
) -> Result<Vec<Value>, ElementTreeError> {
    let text = |key: &str| structure.get(key).and_then(Value::as_str);
    let url = text("url").unwrap_or("(no url)");
    let type_name = text("type").unwrap_or("(no type)");
    if text("derivation") == Some("specialization") || text("kind") == Some("logical") {
        return Err(failure(
            url,
            type_name,
            "only constraint profiles are supported (this one defines a new type)",
        ));
    }
    let base_url = text("baseDefinition")
        .ok_or_else(|| failure(url, type_name, "no baseDefinition to build from"))?;
    let base = defs.structure_definition(base_url).ok_or_else(|| {
        failure(
            url,
            type_name,
            format!("base definition {base_url} is not loaded"),
        )
    })?;
    if visiting.len() > MAX_DEPTH {
        return Err(failure(url, type_name, "base definitions nest too deep"));
    }
    visiting.push(url.to_string());
    let base_elements = snapshot_elements(defs, base, visiting.clone())?;
    let base_root = parse_elements(&base_elements)
        .map_err(|error| failure(base_url, error.element, error.reason))?;
    let lists = DifferentialOnly::deserialize(structure)
        .map_err(|error| failure(url, type_name, format!("differential: {error}")))?;
    let differential = lists
        .differential
        .map(|list| list.element)
        .unwrap_or_default();
    let diff_root = match differential.is_empty() {
        true => Node::default(),
        false => parse_elements(&differential)
            .map_err(|error| failure(url, error.element, error.reason))?,
    };
    let diff_given = diff_root.element.is_some() || !diff_root.children.is_empty();
    if diff_given && diff_root.name != base_root.name {
        return Err(failure(
            url,
            diff_root.name.clone(),
            format!("the differential's root is not {}", base_root.name),
        ));
    }
    let mut generator = Generator {
        defs,
        url,
        base_root: base_root.clone(),
        visiting,
    };
    let mut merged = generator
        .merge(&base_root, &diff_root, &base_root.name)
        .map_err(|(element, reason)| failure(url, element, reason))?;
    merged.name = base_root.name.clone();
    Ok(flatten(&merged))
}

impl Generator<'_> {
    /// The children to constrain below `node` when its base lists none: the
    /// referenced element's (`contentReference`) or its single type's.
    fn expand(&mut self, node: &Node, id: &str) -> Result<Vec<Node>, (String, String)> {
        let element = node.element.clone().unwrap_or_default();
        if let Some(reference) = element.get("contentReference").and_then(Value::as_str) {
            return self
                .expand_reference(reference, id)
                .map(|target| target.children);
        }
        let (code, profile) = merge::single_type(&element).ok_or_else(|| {
            (
                id.to_string(),
                "cannot constrain inside an element with several types; constrain it to one type first".to_string(),
            )
        })?;
        let sd = match profile {
            Some(url) => self
                .defs
                .structure_definition(url)
                .ok_or_else(|| (id.to_string(), format!("type profile {url} is not loaded")))?,
            None => self
                .defs
                .structure_definition_for_type(code)
                .ok_or_else(|| (id.to_string(), format!("type {code} is not loaded")))?,
        };
        let root = self.snapshot_root(sd, id)?;
        Ok(root.children)
    }

    /// The element a `contentReference` points at, in the base.
    pub(crate) fn expand_reference(
        &self,
        reference: &str,
        id: &str,
    ) -> Result<Node, (String, String)> {
        let fragment = reference
            .rsplit_once('#')
            .map_or(reference, |(_, fragment)| fragment);
        let relative = fragment
            .strip_prefix(self.base_root.name.as_str())
            .and_then(|rest| rest.strip_prefix('.'));
        let target = relative.and_then(|relative| self.base_root.find(relative));
        target.cloned().ok_or_else(|| {
            (
                id.to_string(),
                format!("contentReference {reference} does not resolve in the base"),
            )
        })
    }

    pub(crate) fn snapshot_root(
        &mut self,
        sd: &StructureDefinition,
        id: &str,
    ) -> Result<Node, (String, String)> {
        let elements = snapshot_elements(self.defs, sd, self.visiting.clone())
            .map_err(|error| (id.to_string(), error.to_string()))?;
        parse_elements(&elements).map_err(|error| {
            (
                id.to_string(),
                format!("{}: {}: {}", sd.url(), error.element, error.reason),
            )
        })
    }

    /// The root element of a type profile (an extension definition); empty
    /// when that profile is not loaded, since only its texts are taken.
    fn profile_root(
        &mut self,
        url: &str,
        id: &str,
    ) -> Result<Map<String, Value>, (String, String)> {
        let Some(sd) = self.defs.structure_definition(url) else {
            return Ok(Map::new());
        };
        if sd.derivation == Some(Derivation::Specialization) && sd.has_snapshot {
            // A type, not a profile: nothing to take over.
            return Ok(Map::new());
        }
        Ok(self.snapshot_root(sd, id)?.element_or_empty())
    }
}
