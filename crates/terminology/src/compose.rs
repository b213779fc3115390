//! Evaluates `ValueSet.compose`: includes and excludes by system (all codes
//! of a local CodeSystem), explicit concept lists, imported value sets and
//! filters over local CodeSystem hierarchies and properties.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use crate::code_system::CodeSystemIndex;
use crate::expansion::{ConceptSet, Expansion, ExpansionConcept, ExpansionSource};
use crate::{Terminology, TerminologyError};

fn text<'a>(json: &'a Value, key: &str) -> Option<&'a str> {
    json.get(key).and_then(Value::as_str)
}

fn list<'a>(json: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    json.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn concept_from(cs: &CodeSystemIndex, position: usize) -> Option<ExpansionConcept> {
    let concept = cs.concept(position)?;
    Some(ExpansionConcept {
        system: cs.url.clone(),
        version: cs.version.clone(),
        code: concept.code.clone(),
        display: concept.display.clone(),
        is_abstract: concept.is_abstract,
        inactive: concept.inactive,
    })
}

impl Terminology {
    /// Expands a ValueSet from its compose; `stack` holds the value sets
    /// being expanded, to detect import cycles.
    pub(crate) fn expand_compose(
        &self,
        value_set: &Value,
        stack: &mut Vec<String>,
    ) -> Result<Expansion, TerminologyError> {
        let url = text(value_set, "url").unwrap_or_default().to_string();
        let compose =
            value_set
                .get("compose")
                .ok_or_else(|| TerminologyError::InvalidValueSet {
                    url: url.clone(),
                    message: "neither compose nor expansion".into(),
                })?;
        let mut set = ConceptSet::default();
        for include in list(compose, "include") {
            let part = self.evaluate_rule(&url, include, stack)?;
            set.unevaluated.extend(part.unevaluated.iter().cloned());
            for concept in part.concepts {
                set.push(concept);
            }
        }
        for exclude in list(compose, "exclude") {
            let part = self.evaluate_rule(&url, exclude, stack)?;
            set.retain(|concept| !part.contains(&concept.system, &concept.code));
            for unknown in &part.unevaluated {
                // An exclusion we cannot evaluate makes every code of that
                // system uncertain: drop them and report them as unknown.
                let system = unknown.system.clone();
                set.retain(|concept| system.as_deref().is_some_and(|s| s != concept.system));
                set.mark_unevaluated(
                    system.as_deref(),
                    format!("exclusion not evaluated: {}", unknown.reason),
                );
            }
        }
        Ok(Expansion::new(
            url,
            text(value_set, "version").map(str::to_string),
            ExpansionSource::Compose,
            set,
        ))
    }

    /// One include or exclude: its system part intersected with every
    /// imported value set.
    fn evaluate_rule(
        &self,
        url: &str,
        rule: &Value,
        stack: &mut Vec<String>,
    ) -> Result<ConceptSet, TerminologyError> {
        let mut result = match text(rule, "system") {
            Some(system) => Some(self.system_part(url, system, rule)?),
            None => None,
        };
        for import in list(rule, "valueSet") {
            let import = import
                .as_str()
                .ok_or_else(|| TerminologyError::InvalidValueSet {
                    url: url.to_string(),
                    message: "compose valueSet is not a string".into(),
                })?;
            let mut imported = ConceptSet::default();
            match self.expand_with_stack(import, stack) {
                Ok(expansion) => {
                    for concept in &expansion.concepts {
                        imported.push(concept.clone());
                    }
                    imported.unevaluated.clone_from(&expansion.unevaluated);
                }
                Err(TerminologyError::UnknownValueSet { .. }) => {
                    imported.mark_unevaluated(
                        None,
                        format!("imported ValueSet {import} is not available locally"),
                    );
                }
                Err(error) => return Err(error),
            }
            result = Some(match result {
                None => imported,
                Some(mut current) => {
                    current.retain(|concept| imported.contains(&concept.system, &concept.code));
                    current.unevaluated.extend(imported.unevaluated);
                    current
                }
            });
        }
        result.ok_or_else(|| TerminologyError::InvalidValueSet {
            url: url.to_string(),
            message: "include/exclude without system or valueSet".into(),
        })
    }

    fn system_part(
        &self,
        url: &str,
        system: &str,
        rule: &Value,
    ) -> Result<ConceptSet, TerminologyError> {
        let code_system = self.code_system_index(system, text(rule, "version"))?;
        let mut set = ConceptSet::default();
        if rule.get("concept").is_some() {
            for listed in list(rule, "concept") {
                let code =
                    text(listed, "code").ok_or_else(|| TerminologyError::InvalidValueSet {
                        url: url.to_string(),
                        message: format!("concept without code in include of {system}"),
                    })?;
                let known = code_system.as_ref().and_then(|cs| {
                    cs.position(code)
                        .and_then(|position| concept_from(cs, position))
                });
                let display = text(listed, "display")
                    .map(str::to_string)
                    .or_else(|| known.as_ref().and_then(|concept| concept.display.clone()));
                set.push(ExpansionConcept {
                    system: system.to_string(),
                    version: text(rule, "version").map(str::to_string),
                    code: code.to_string(),
                    display,
                    is_abstract: known.as_ref().is_some_and(|concept| concept.is_abstract),
                    inactive: known.as_ref().is_some_and(|concept| concept.inactive),
                });
            }
            return Ok(set);
        }
        let code_system = match code_system {
            Some(cs) if cs.is_complete() => cs,
            Some(cs) => {
                set.mark_unevaluated(
                    Some(system),
                    format!(
                        "CodeSystem {system} is not complete here (content = {})",
                        cs.content
                    ),
                );
                return Ok(set);
            }
            None => {
                set.mark_unevaluated(
                    Some(system),
                    format!("CodeSystem {system} is not available locally"),
                );
                return Ok(set);
            }
        };
        let mut positions: Vec<usize> = (0..code_system.concepts.len()).collect();
        for filter in list(rule, "filter") {
            let property = text(filter, "property").unwrap_or_default();
            let op = text(filter, "op").unwrap_or_default();
            let value = text(filter, "value").unwrap_or_default();
            match apply_filter(&code_system, property, op, value) {
                Some(matching) => {
                    let matching: HashSet<usize> = matching.into_iter().collect();
                    positions.retain(|position| matching.contains(position));
                }
                None => {
                    set.mark_unevaluated(
                        Some(system),
                        format!("filter {property} {op} {value} is not supported"),
                    );
                    return Ok(set);
                }
            }
        }
        // Enumerations leave out concepts that cannot be selected (abstract
        // groupers); inactive and deprecated ones stay, flagged, as the spec's
        // default (activeOnly = false) asks. Listing a concept explicitly
        // (above) keeps it whatever its flags.
        let selectable = |position: &usize| {
            code_system
                .concept(*position)
                .is_some_and(|c| !c.is_abstract)
        };
        for position in positions.into_iter().filter(selectable) {
            if let Some(concept) = concept_from(&code_system, position) {
                set.push(concept);
            }
        }
        Ok(set)
    }

    /// Systems a ValueSet draws on by filter or as a whole that are not
    /// available here: a packaged expansion of such a ValueSet may be a
    /// sample (the publisher caps them), so their codes stay Unknown.
    pub(crate) fn non_local_systems(
        &self,
        value_set: &Value,
    ) -> Result<Vec<String>, TerminologyError> {
        let mut systems = Vec::new();
        let Some(compose) = value_set.get("compose") else {
            return Ok(systems);
        };
        for include in list(compose, "include") {
            let Some(system) = text(include, "system") else {
                continue;
            };
            if include.get("concept").is_some() {
                continue;
            }
            let local = self.code_system_index(system, text(include, "version"))?;
            if !local.is_some_and(|cs| cs.is_complete()) && !systems.iter().any(|s| s == system) {
                systems.push(system.to_string());
            }
        }
        Ok(systems)
    }

    /// A local CodeSystem by URL (and version when given, falling back to
    /// the URL alone), parsed once. Every entry point that takes a system
    /// from an instance or a request comes through here. The cache is keyed by the canonical the
    /// definitions answered to, and misses are not cached, so a system or
    /// version named by a request or an instance adds no entry: the cache
    /// is bounded by the loaded CodeSystems.
    pub(crate) fn code_system_index(
        &self,
        system: &str,
        version: Option<&str>,
    ) -> Result<Option<Arc<CodeSystemIndex>>, TerminologyError> {
        let versioned = version.map(|version| format!("{system}|{version}"));
        let found = versioned
            .as_deref()
            .and_then(|key| Some((key, self.defs.code_system(key)?)))
            .or_else(|| Some((system, self.defs.code_system(system)?)));
        let Some((key, resource)) = found else {
            return Ok(None);
        };
        if let Some(cached) = self.lock_code_systems().get(key) {
            return Ok(Some(Arc::clone(cached)));
        }
        let index = Arc::new(CodeSystemIndex::from_json(resource.json())?);
        self.lock_code_systems()
            .insert(key.to_string(), Arc::clone(&index));
        Ok(Some(index))
    }
}

/// Positions matching one filter; None when the filter is not supported.
fn apply_filter(cs: &CodeSystemIndex, property: &str, op: &str, value: &str) -> Option<Vec<usize>> {
    let all = || 0..cs.concepts.len();
    let values = || value.split(',').map(str::trim);
    if property == "concept" || property == "code" {
        return match op {
            "is-a" => Some(cs.self_and_descendants(value)),
            "descendent-of" => {
                let start = cs.position(value);
                Some(
                    cs.self_and_descendants(value)
                        .into_iter()
                        .filter(|p| Some(*p) != start)
                        .collect(),
                )
            }
            "is-not-a" => {
                let below: HashSet<usize> = cs.self_and_descendants(value).into_iter().collect();
                Some(all().filter(|position| !below.contains(position)).collect())
            }
            "=" => Some(cs.position(value).into_iter().collect()),
            "in" => Some(values().filter_map(|code| cs.position(code)).collect()),
            "not-in" => {
                let excluded: HashSet<usize> =
                    values().filter_map(|code| cs.position(code)).collect();
                Some(
                    all()
                        .filter(|position| !excluded.contains(position))
                        .collect(),
                )
            }
            _ => None,
        };
    }
    match op {
        "=" => Some(
            all()
                .filter(|p| cs.has_property(*p, property, value))
                .collect(),
        ),
        "in" => Some(
            all()
                .filter(|p| values().any(|v| cs.has_property(*p, property, v)))
                .collect(),
        ),
        "exists" => {
            let wanted = value == "true";
            Some(
                all()
                    .filter(|p| cs.has_any_property(*p, property) == wanted)
                    .collect(),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::Terminology;

    #[test]
    fn systems_and_versions_named_by_requests_add_no_cache_entries() {
        let defs = match fhir_package::core() {
            Ok(defs) => defs,
            Err(error) => panic!("core definitions must load: {error}"),
        };
        let terms = Terminology::new(defs);
        let gender = "http://hl7.org/fhir/administrative-gender";
        for n in 0..50 {
            let unknown = format!("http://example.org/cs/{n}");
            let _ = terms.validate_code_in_system(&unknown, "x");
            let _ = terms.lookup_details(&format!("{gender}|v{n}"), "male");
            let _ = terms.validate_code_in_system(&format!("{gender}|v{n}"), "male");
        }
        // The versions fall back to the one loaded gender CodeSystem.
        assert_eq!(terms.lock_code_systems().len(), 1);
    }
}
