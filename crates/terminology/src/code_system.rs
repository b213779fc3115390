//! A CodeSystem's concepts indexed by code, with their hierarchy (nested
//! `concept`s and the `parent`/`subsumedBy`/`child` properties) so that
//! `is-a` filters and lookups are cheap.

use fnv::FnvHashMap as HashMap;

use serde_json::Value;

use crate::error::TerminologyError;

/// Everything known about one concept of a local CodeSystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConceptInfo {
    pub system: String,
    pub version: Option<String>,
    pub code: String,
    pub display: Option<String>,
    pub definition: Option<String>,
    /// Property code and value as text (`valueCode`, `valueString`,
    /// `valueBoolean`... rendered as their JSON text without quotes).
    pub properties: Vec<(String, String)>,
    pub parents: Vec<String>,
    pub children: Vec<String>,
    /// Not selectable (`notSelectable` property true).
    pub is_abstract: bool,
    /// `status` retired/inactive, or `inactive` property true.
    pub inactive: bool,
    /// `status` deprecated: valid but discouraged.
    pub deprecated: bool,
}

#[derive(Debug)]
pub(crate) struct Concept {
    pub(crate) code: String,
    pub(crate) display: Option<String>,
    definition: Option<String>,
    properties: Vec<(String, String)>,
    parents: Vec<usize>,
    children: Vec<usize>,
    pub(crate) is_abstract: bool,
    pub(crate) inactive: bool,
    /// `status` deprecated: still valid, but left out of enumerations.
    pub(crate) deprecated: bool,
}

/// A CodeSystem resource prepared for lookups.
#[derive(Debug)]
pub(crate) struct CodeSystemIndex {
    pub(crate) url: String,
    pub(crate) version: Option<String>,
    /// complete | example | fragment | not-present | supplement
    pub(crate) content: String,
    case_sensitive: bool,
    pub(crate) concepts: Vec<Concept>,
    by_code: HashMap<String, usize>,
}

fn property_text(property: &Value) -> Option<(String, String)> {
    let object = property.as_object()?;
    let code = object.get("code")?.as_str()?.to_string();
    let value = object.iter().find_map(|(key, value)| {
        key.strip_prefix("value").map(|_| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    })?;
    Some((code, value))
}

impl CodeSystemIndex {
    pub(crate) fn from_json(json: &Value) -> Result<CodeSystemIndex, TerminologyError> {
        let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_string);
        let url = text("url").unwrap_or_default();
        let mut index = CodeSystemIndex {
            version: text("version"),
            content: text("content").unwrap_or_else(|| "complete".to_string()),
            case_sensitive: json
                .get("caseSensitive")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            concepts: Vec::new(),
            by_code: HashMap::default(),
            url,
        };
        if let Some(concepts) = json.get("concept") {
            index.add_concepts(concepts, None)?;
        }
        index.link_property_hierarchy();
        Ok(index)
    }

    fn add_concepts(
        &mut self,
        concepts: &Value,
        parent: Option<usize>,
    ) -> Result<(), TerminologyError> {
        let url = self.url.clone();
        let invalid = |message: String| TerminologyError::InvalidCodeSystem {
            url: url.clone(),
            message,
        };
        let list = concepts
            .as_array()
            .ok_or_else(|| invalid("concept is not an array".into()))?;
        for concept in list {
            let code = concept
                .get("code")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(format!("concept without code: {concept}")))?;
            let properties: Vec<(String, String)> = concept
                .get("property")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(property_text)
                .collect();
            let flag = |name: &str| {
                properties
                    .iter()
                    .any(|(key, value)| key == name && value == "true")
            };
            let status = |wanted: &[&str]| {
                properties
                    .iter()
                    .any(|(key, value)| key == "status" && wanted.contains(&value.as_str()))
            };
            let inactive = flag("inactive") || status(&["retired", "inactive"]);
            let deprecated = status(&["deprecated"]);
            let position = self.concepts.len();
            self.concepts.push(Concept {
                code: code.to_string(),
                display: concept
                    .get("display")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                definition: concept
                    .get("definition")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                // Only the standard notSelectable property counts: R4 code systems
                // use a local "abstract" property inconsistently (the published
                // expansions list such codes as selectable).
                is_abstract: flag("notSelectable"),
                inactive,
                deprecated,
                properties,
                parents: parent.into_iter().collect(),
                children: Vec::new(),
            });
            // A code repeated in a poly-hierarchy keeps its first position.
            let position = *self.by_code.entry(code.to_string()).or_insert(position);
            if let Some(parent) = parent.and_then(|parent| self.concepts.get_mut(parent)) {
                parent.children.push(position);
            }
            if let Some(nested) = concept.get("concept") {
                self.add_concepts(nested, Some(position))?;
            }
        }
        Ok(())
    }

    /// Hierarchy declared by properties instead of nesting (v3 code systems).
    fn link_property_hierarchy(&mut self) {
        let mut links = Vec::new();
        for (position, concept) in self.concepts.iter().enumerate() {
            for (key, value) in &concept.properties {
                let Some(&other) = self.by_code.get(value) else {
                    continue;
                };
                match key.as_str() {
                    "parent" | "subsumedBy" => links.push((other, position)),
                    "child" => links.push((position, other)),
                    _ => {}
                }
            }
        }
        for (parent, child) in links {
            if let Some(concept) = self.concepts.get_mut(child) {
                if !concept.parents.contains(&parent) {
                    concept.parents.push(parent);
                }
            }
            if let Some(concept) = self.concepts.get_mut(parent) {
                if !concept.children.contains(&child) {
                    concept.children.push(child);
                }
            }
        }
    }

    /// Whether every code of the system is in this resource.
    pub(crate) fn is_complete(&self) -> bool {
        self.content == "complete"
    }

    pub(crate) fn position(&self, code: &str) -> Option<usize> {
        if let Some(position) = self.by_code.get(code) {
            return Some(*position);
        }
        if self.case_sensitive {
            return None;
        }
        self.concepts
            .iter()
            .position(|concept| concept.code.eq_ignore_ascii_case(code))
    }

    pub(crate) fn concept(&self, position: usize) -> Option<&Concept> {
        self.concepts.get(position)
    }

    /// `code` and every concept below it (each once, in hierarchy order).
    pub(crate) fn self_and_descendants(&self, code: &str) -> Vec<usize> {
        let Some(start) = self.position(code) else {
            return Vec::new();
        };
        let mut seen = vec![false; self.concepts.len()];
        let mut found = Vec::new();
        let mut stack = vec![start];
        while let Some(position) = stack.pop() {
            match seen.get_mut(position) {
                Some(visited) if !*visited => *visited = true,
                _ => continue,
            }
            found.push(position);
            if let Some(concept) = self.concepts.get(position) {
                stack.extend(concept.children.iter().rev());
            }
        }
        found
    }

    /// Whether the concept at `position` has `(property, value)`.
    pub(crate) fn has_property(&self, position: usize, property: &str, value: &str) -> bool {
        let Some(concept) = self.concepts.get(position) else {
            return false;
        };
        match property {
            "parent" => concept
                .parents
                .iter()
                .any(|parent| self.concepts.get(*parent).is_some_and(|p| p.code == value)),
            "child" => concept
                .children
                .iter()
                .any(|child| self.concepts.get(*child).is_some_and(|c| c.code == value)),
            _ => concept
                .properties
                .iter()
                .any(|(key, text)| key == property && text == value),
        }
    }

    pub(crate) fn has_any_property(&self, position: usize, property: &str) -> bool {
        self.concepts
            .get(position)
            .is_some_and(|concept| concept.properties.iter().any(|(key, _)| key == property))
    }

    pub(crate) fn info(&self, position: usize) -> Option<ConceptInfo> {
        let concept = self.concepts.get(position)?;
        let codes = |positions: &[usize]| {
            positions
                .iter()
                .filter_map(|p| self.concepts.get(*p).map(|c| c.code.clone()))
                .collect()
        };
        Some(ConceptInfo {
            system: self.url.clone(),
            version: self.version.clone(),
            code: concept.code.clone(),
            display: concept.display.clone(),
            definition: concept.definition.clone(),
            properties: concept.properties.clone(),
            parents: codes(&concept.parents),
            children: codes(&concept.children),
            is_abstract: concept.is_abstract,
            inactive: concept.inactive,
            deprecated: concept.deprecated,
        })
    }
}
