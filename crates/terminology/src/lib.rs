//! Terminology over the definitions loaded by `fhir-package`, with no
//! network: ValueSet expansion and membership, CodeSystem lookup and
//! ConceptMap translation.
//!
//! * [`Terminology::expand`] uses a packaged pre-expansion when there is one
//!   (`expansions.json.gz` in the core) and otherwise evaluates the compose
//!   rules (`compose`): whole local code systems, concept lists, imported
//!   value sets, and `is-a` / `descendent-of` / `is-not-a` / `=` / `in` /
//!   `exists` filters over local CodeSystem hierarchies and properties.
//!   Expansions are cached per canonical URL.
//! * [`Terminology::validate_code`] answers [`Membership`]: in the value set,
//!   not in it, or [`Membership::Unknown`] when it cannot be decided locally
//!   (SNOMED CT, LOINC, UCUM, an unknown ValueSet, a too-costly expansion).
//! * [`Terminology::lookup`] and [`Terminology::subsumes`] read local
//!   CodeSystems (`code_system` module); [`Terminology::translate`] applies
//!   ConceptMaps (`concept_map` module). `expansion` holds the expansion and
//!   membership types, `compose` the rule evaluation.
//! * For the REST operations: `paging` cuts an expansion into `$expand`
//!   pages (text filter, activeOnly, offset/count, the too-costly limit);
//!   `lookup` gathers what `$lookup` returns; `translate_query` picks the
//!   ConceptMaps a `$translate` uses (forwards or in reverse); `resolve`
//!   finds packaged resources by id, expands an inline ValueSet and tells a
//!   code system known but not carried (SNOMED CT) from an unknown URL.
//!
//! # API
//!
//! ```text
//! Terminology::new(Arc<FhirDefinitions>) -> Terminology          // Send + Sync, caches inside
//!   .validate_code(value_set, Option<system>, code) -> Result<Membership, TerminologyError>
//!   .validate_code_in_system(system, code) -> Result<Membership, TerminologyError>
//!   .expand(value_set) -> Result<Arc<Expansion>, TerminologyError>   // cached
//!   .expand_from_compose(value_set) -> Result<Expansion, TerminologyError>
//!   .lookup(system, code) -> Option<ConceptInfo>
//!   .subsumes(system, a, b) -> Option<Subsumption>
//!   .translate(concept_map, Option<system>, code) -> Vec<Translation>
//!   .lookup_details(system, code) -> Result<Lookup, TerminologyError>
//!   .translate_query(&TranslateQuery) -> Result<Vec<MapMatch>, TerminologyError>
//!   .value_set_by_id(id) / .code_system_by_id(id) / .concept_map_by_id(id)
//!   .is_known_system(url) -> bool
//!   .expand_resource(&ValueSet json) -> Result<Expansion, TerminologyError>  // not cached
//! Membership::{InValueSet { display }, NotInValueSet, Unknown { reason }}
//! Expansion { url, version, source, concepts: Vec<ExpansionConcept>, unevaluated }
//!   .membership(Option<system>, code) .find(Option<system>, code) .is_complete()
//!   .page(&PageRequest) -> Result<ExpansionPage, TerminologyError>     // TooCostly above the limit
//! ```

mod code_system;
mod compose;
mod concept_map;
mod error;
mod expansion;
mod lookup;
mod paging;
mod resolve;
mod translate_query;

use fnv::FnvHashMap as HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use fhir_package::FhirDefinitions;

use code_system::CodeSystemIndex;
pub use code_system::ConceptInfo;
pub use concept_map::Translation;
pub use error::TerminologyError;
pub use expansion::{
    Expansion, ExpansionConcept, ExpansionSource, Membership, Unevaluated, Verdict,
};
pub use lookup::{Lookup, LookupProperty, LookupResult};
pub use paging::{matches_filter, ExpansionPage, PageRequest, MAX_EXPANSION_PAGE};
pub use translate_query::{MapMatch, TranslateQuery};

/// The outcome of [`Terminology::subsumes`] (`$subsumes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subsumption {
    Equivalent,
    /// code A is an ancestor of code B.
    Subsumes,
    /// code A is a descendant of code B.
    SubsumedBy,
    NotSubsumed,
}

/// Terminology services over one set of loaded definitions.
#[derive(Debug)]
pub struct Terminology {
    defs: Arc<FhirDefinitions>,
    expansions: Mutex<HashMap<String, Arc<Expansion>>>,
    code_systems: Mutex<HashMap<String, Arc<CodeSystemIndex>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The caches hold only finished entries, so a poisoned lock is still consistent.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Terminology {
    pub fn new(defs: Arc<FhirDefinitions>) -> Terminology {
        Terminology {
            defs,
            expansions: Mutex::new(HashMap::default()),
            code_systems: Mutex::new(HashMap::default()),
        }
    }

    pub fn definitions(&self) -> &Arc<FhirDefinitions> {
        &self.defs
    }

    pub(crate) fn lock_code_systems(
        &self,
    ) -> MutexGuard<'_, HashMap<String, Arc<CodeSystemIndex>>> {
        lock(&self.code_systems)
    }

    /// Is `code` (of `system`, or of any system when None, as for a `code`
    /// element with a required binding) in the value set `value_set_url`
    /// (`url` or `url|version`)? A value set that is not loaded is Unknown.
    pub fn validate_code(
        &self,
        value_set_url: &str,
        system: Option<&str>,
        code: &str,
    ) -> Result<Membership, TerminologyError> {
        match self.expand(value_set_url) {
            Ok(expansion) => Ok(expansion.membership(system, code)),
            Err(TerminologyError::UnknownValueSet { url }) => Ok(Membership::Unknown {
                reason: format!("ValueSet {url} is not available locally"),
            }),
            Err(error) => Err(error),
        }
    }

    /// Is `code` defined in the code system `system`? Unknown when the
    /// system is not available locally or is only a fragment.
    pub fn validate_code_in_system(
        &self,
        system: &str,
        code: &str,
    ) -> Result<Membership, TerminologyError> {
        let (url, version) = split_version(system);
        let Some(code_system) = self.code_system_index(url, version)? else {
            return Ok(Membership::Unknown {
                reason: format!("CodeSystem {system} is not available locally"),
            });
        };
        if let Some(position) = code_system.position(code) {
            let display = code_system
                .concept(position)
                .and_then(|c| c.display.clone());
            return Ok(Membership::InValueSet { display });
        }
        if code_system.is_complete() {
            Ok(Membership::NotInValueSet)
        } else {
            Ok(Membership::Unknown {
                reason: format!(
                    "CodeSystem {system} is not complete here (content = {})",
                    code_system.content
                ),
            })
        }
    }

    /// The expansion of a ValueSet (`url` or `url|version`), cached.
    pub fn expand(&self, value_set_url: &str) -> Result<Arc<Expansion>, TerminologyError> {
        self.expand_with_stack(value_set_url, &mut Vec::new())
    }

    /// Evaluates the ValueSet's compose rules even when a packaged
    /// pre-expansion exists (not cached; for checks and `$expand` on demand).
    pub fn expand_from_compose(&self, value_set_url: &str) -> Result<Expansion, TerminologyError> {
        let value_set = self.defs.value_set(value_set_url).ok_or_else(|| {
            TerminologyError::UnknownValueSet {
                url: value_set_url.to_string(),
            }
        })?;
        self.expand_compose(value_set.json(), &mut vec![value_set_url.to_string()])
    }

    pub(crate) fn expand_with_stack(
        &self,
        canonical: &str,
        stack: &mut Vec<String>,
    ) -> Result<Arc<Expansion>, TerminologyError> {
        if let Some(cached) = lock(&self.expansions).get(canonical) {
            return Ok(Arc::clone(cached));
        }
        if stack.iter().any(|url| url == canonical) {
            return Err(TerminologyError::ImportCycle {
                url: canonical.to_string(),
                chain: stack.join(" -> "),
            });
        }
        let expansion = if let Some(pre) = self.defs.value_set_expansion(canonical) {
            Expansion::from_pre_expansion(pre.json(), self.non_local_systems(pre.json())?)
        } else {
            let value_set = self.defs.value_set(canonical).ok_or_else(|| {
                TerminologyError::UnknownValueSet {
                    url: canonical.to_string(),
                }
            })?;
            stack.push(canonical.to_string());
            let result = self.expand_compose(value_set.json(), stack);
            stack.pop();
            result?
        };
        let expansion = Arc::new(expansion);
        lock(&self.expansions).insert(canonical.to_string(), Arc::clone(&expansion));
        Ok(expansion)
    }

    /// A concept of a local CodeSystem (`system` may be `url|version`).
    pub fn lookup(&self, system: &str, code: &str) -> Option<ConceptInfo> {
        let (url, version) = split_version(system);
        match self.code_system_index(url, version) {
            Ok(code_system) => {
                let code_system = code_system?;
                code_system.info(code_system.position(code)?)
            }
            Err(error) => {
                tracing::warn!(%error, "lookup in a malformed CodeSystem");
                None
            }
        }
    }

    /// `$subsumes` over a local CodeSystem's hierarchy: how `code_a` relates
    /// to `code_b`. None when the system or either code is not known here.
    pub fn subsumes(&self, system: &str, code_a: &str, code_b: &str) -> Option<Subsumption> {
        let (url, version) = split_version(system);
        let code_system = self.code_system_index(url, version).ok()??;
        let (a, b) = (code_system.position(code_a)?, code_system.position(code_b)?);
        Some(if a == b {
            Subsumption::Equivalent
        } else if code_system.self_and_descendants(code_a).contains(&b) {
            Subsumption::Subsumes
        } else if code_system.self_and_descendants(code_b).contains(&a) {
            Subsumption::SubsumedBy
        } else {
            Subsumption::NotSubsumed
        })
    }

    /// Translates a code with the ConceptMap `concept_map_url`; `system`
    /// selects the source groups (None: every group). An unknown map gives
    /// no translations.
    pub fn translate(
        &self,
        concept_map_url: &str,
        system: Option<&str>,
        code: &str,
    ) -> Vec<Translation> {
        match self.defs.concept_map(concept_map_url) {
            Some(map) => concept_map::translate(map.json(), system, code),
            None => {
                tracing::debug!(concept_map_url, "translate with an unknown ConceptMap");
                Vec::new()
            }
        }
    }
}

fn split_version(canonical: &str) -> (&str, Option<&str>) {
    match canonical.split_once('|') {
        Some((url, version)) => (url, Some(version)),
        None => (canonical, None),
    }
}
