//! `$translate` as a request: one named ConceptMap, or every packaged map
//! that fits the source and target scopes, forwards or in reverse, with the
//! answers narrowed to a target system.

use fhir_package::CanonicalResource;
use serde_json::Value;

use crate::concept_map::{translate, translate_reverse, Translation};
use crate::{Terminology, TerminologyError};

/// What `$translate` was asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranslateQuery {
    /// A ConceptMap `url` or `url|version`; None: every map in scope.
    pub concept_map: Option<String>,
    pub system: Option<String>,
    pub code: String,
    /// The source ValueSet the map must be for (its target when `reverse`).
    pub source_scope: Option<String>,
    /// The target ValueSet the map must be for (its source when `reverse`).
    pub target_scope: Option<String>,
    /// Only answers in this code system.
    pub target_system: Option<String>,
    pub reverse: bool,
}

/// One answer and the ConceptMap that gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapMatch {
    pub concept_map: String,
    pub translation: Translation,
}

impl Terminology {
    /// Runs a `$translate` query. A named map that is not loaded is
    /// [`TerminologyError::UnknownConceptMap`]; no map in scope is no match.
    pub fn translate_query(
        &self,
        query: &TranslateQuery,
    ) -> Result<Vec<MapMatch>, TerminologyError> {
        let maps: Vec<&CanonicalResource> = match &query.concept_map {
            Some(url) => {
                let map = self
                    .definitions()
                    .concept_map(url)
                    .ok_or_else(|| TerminologyError::UnknownConceptMap { url: url.clone() })?;
                vec![map]
            }
            None => {
                // Only maps whose text holds the code can match; the others
                // are not parsed (definitions stay text until used).
                let quoted = Value::String(query.code.clone()).to_string();
                self.definitions()
                    .concept_maps()
                    .filter(|map| map.raw_json().contains(&quoted))
                    .filter(|map| in_scope(map.json(), query))
                    .collect()
            }
        };
        let mut matches = Vec::new();
        for map in maps {
            let system = query.system.as_deref();
            let translations = if query.reverse {
                translate_reverse(map.json(), system, &query.code)
            } else {
                translate(map.json(), system, &query.code)
            };
            let wanted = |t: &Translation| {
                query
                    .target_system
                    .as_deref()
                    .is_none_or(|wanted| t.system.as_deref() == Some(wanted))
            };
            matches.extend(
                translations
                    .into_iter()
                    .filter(wanted)
                    .map(|translation| MapMatch {
                        concept_map: map.url.clone(),
                        translation,
                    }),
            );
        }
        Ok(matches)
    }
}

/// Whether a map's declared source and target value sets fit the query.
fn in_scope(map: &Value, query: &TranslateQuery) -> bool {
    let scope = |keys: [&str; 2]| keys.iter().find_map(|key| map[*key].as_str());
    let source = scope(["sourceUri", "sourceCanonical"]);
    let target = scope(["targetUri", "targetCanonical"]);
    let (source, target) = if query.reverse {
        (target, source)
    } else {
        (source, target)
    };
    fits(source, query.source_scope.as_deref()) && fits(target, query.target_scope.as_deref())
}

/// A wanted scope (`url` or `url|version`) against a declared one.
fn fits(declared: Option<&str>, wanted: Option<&str>) -> bool {
    let Some(wanted) = wanted else {
        return true;
    };
    let strip = |url: &str| url.split('|').next().unwrap_or(url).to_string();
    declared.is_some_and(|declared| strip(declared) == strip(wanted))
}
