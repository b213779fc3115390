//! `$lookup`: everything a local CodeSystem says about one code (display,
//! definition, designations, properties with their declared types, and the
//! hierarchy), and why nothing can be said when the code is not carried.

use serde_json::Value;

use crate::{split_version, Terminology, TerminologyError};

/// One property of a looked-up concept, with its FHIR type kept: `value_key`
/// is the JSON key (`valueCode`, `valueString`, `valueBoolean`...).
#[derive(Debug, Clone, PartialEq)]
pub struct LookupProperty {
    pub code: String,
    pub value_key: String,
    pub value: Value,
}

/// The details of a concept, as `$lookup` returns them.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupResult {
    /// `CodeSystem.name` (or its title or URL when it has none).
    pub name: String,
    pub system: String,
    pub version: Option<String>,
    pub code: String,
    pub display: Option<String>,
    pub definition: Option<String>,
    /// `concept.designation` entries as the CodeSystem writes them.
    pub designations: Vec<Value>,
    pub properties: Vec<LookupProperty>,
}

/// The answer to a lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Found(Box<LookupResult>),
    /// The system is carried completely and has no such code.
    UnknownCode,
    /// The system is here only in part (a fragment, or `not-present` as
    /// SNOMED CT in the core): the code may exist.
    NotCarried {
        reason: String,
    },
    /// No CodeSystem resource for this URL (and version, when given) is loaded.
    UnknownSystem,
}

impl Terminology {
    /// Looks `code` up in the CodeSystem `system` (`url` or `url|version`).
    pub fn lookup_details(&self, system: &str, code: &str) -> Result<Lookup, TerminologyError> {
        let (url, version) = split_version(system);
        // Only definitions reach the CodeSystem cache: a system or version
        // that is not loaded is answered without an entry keyed by request data.
        if self.definitions().code_system(system).is_none() {
            return Ok(Lookup::UnknownSystem);
        }
        let Some(index) = self.code_system_index(url, version)? else {
            return Ok(Lookup::UnknownSystem);
        };
        let Some(info) = index.position(code).and_then(|p| index.info(p)) else {
            if index.is_complete() {
                return Ok(Lookup::UnknownCode);
            }
            return Ok(Lookup::NotCarried {
                reason: format!(
                    "CodeSystem {system} is not complete here (content = {})",
                    index.content
                ),
            });
        };
        let resource = self.definitions().code_system(system);
        let json = resource.map(|r| r.json()).unwrap_or(&Value::Null);
        let concept = find_concept(&json["concept"], &info.code).unwrap_or(&Value::Null);
        let mut properties = declared_properties(concept);
        for (key, codes) in [("parent", &info.parents), ("child", &info.children)] {
            for related in codes {
                let listed = properties
                    .iter()
                    .any(|p| p.code == key && p.value.as_str() == Some(related.as_str()));
                if !listed {
                    properties.push(LookupProperty {
                        code: key.to_string(),
                        value_key: "valueCode".to_string(),
                        value: Value::String(related.clone()),
                    });
                }
            }
        }
        let name = ["name", "title", "url"]
            .iter()
            .find_map(|key| json[*key].as_str())
            .unwrap_or(url)
            .to_string();
        Ok(Lookup::Found(Box::new(LookupResult {
            name,
            system: info.system,
            version: info.version,
            code: info.code,
            display: info.display,
            definition: info.definition,
            designations: concept["designation"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
            properties,
        })))
    }
}

/// The concept with `code` anywhere in a nested `concept` list.
fn find_concept<'a>(concepts: &'a Value, code: &str) -> Option<&'a Value> {
    concepts.as_array()?.iter().find_map(|concept| {
        if concept["code"].as_str() == Some(code) {
            Some(concept)
        } else {
            find_concept(&concept["concept"], code)
        }
    })
}

/// The concept's `property` entries with their `value[x]` key.
fn declared_properties(concept: &Value) -> Vec<LookupProperty> {
    let entries = concept["property"].as_array().into_iter().flatten();
    entries
        .filter_map(|entry| {
            let object = entry.as_object()?;
            let code = object.get("code")?.as_str()?.to_string();
            let (value_key, value) = object.iter().find(|(key, _)| key.starts_with("value"))?;
            Some(LookupProperty {
                code,
                value_key: value_key.clone(),
                value: value.clone(),
            })
        })
        .collect()
}
