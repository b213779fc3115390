//! Finding the definitions an operation names: packaged resources by their
//! logical id (instance-level operations), value sets given inline in a
//! request, and whether a code system URL is one this server knows of
//! even when it does not carry its codes.
//!
//! Definitions keep their JSON as text until first use, so these scans look
//! at the text first and parse only the resources that can match.

use fhir_package::CanonicalResource;
use serde_json::Value;

use crate::expansion::Expansion;
use crate::{Terminology, TerminologyError};

impl Terminology {
    /// The packaged ValueSet whose `id` is `id`. A linear scan over the text:
    /// it runs once per instance-level request and keeps no index to grow.
    pub fn value_set_by_id(&self, id: &str) -> Option<&CanonicalResource> {
        self.definitions()
            .value_sets()
            .find(|resource| has_id(resource, id))
    }

    pub fn code_system_by_id(&self, id: &str) -> Option<&CanonicalResource> {
        self.definitions()
            .code_systems()
            .find(|resource| has_id(resource, id))
    }

    pub fn concept_map_by_id(&self, id: &str) -> Option<&CanonicalResource> {
        self.definitions()
            .concept_maps()
            .find(|resource| has_id(resource, id))
    }

    /// Whether `system` is a code system the loaded definitions know of: a
    /// CodeSystem resource (complete or not), or a URL that a packaged
    /// ValueSet or ConceptMap names (SNOMED CT, LOINC, UCUM...). Codes of a
    /// known system that is not carried cannot be judged; an unknown URL is
    /// most likely a mistake. Searches the packaged text for the URL as a
    /// JSON string rather than parsing every definition, which would keep
    /// them all in memory.
    pub fn is_known_system(&self, system: &str) -> bool {
        let defs = self.definitions();
        if defs.code_system(system).is_some() {
            return true;
        }
        let quoted = Value::String(system.to_string()).to_string();
        defs.value_sets()
            .chain(defs.concept_maps())
            .any(|resource| resource.raw_json().contains(&quoted))
    }

    /// Expands a ValueSet given in a request (`$expand` with `valueSet`):
    /// its compose when it has one, else its own expansion. Not cached, since
    /// the key would be request data; the work is bounded by the loaded
    /// definitions that the compose draws on.
    pub fn expand_resource(&self, value_set: &Value) -> Result<Expansion, TerminologyError> {
        let url = value_set["url"].as_str().unwrap_or_default().to_string();
        if value_set.get("compose").is_none() && value_set.get("expansion").is_some() {
            let non_local = self.non_local_systems(value_set)?;
            return Ok(Expansion::from_pre_expansion(value_set, non_local));
        }
        self.expand_compose(value_set, &mut vec![url])
    }
}

fn has_id(resource: &CanonicalResource, id: &str) -> bool {
    let quoted = Value::String(id.to_string()).to_string();
    resource.raw_json().contains(&quoted) && resource.json()["id"].as_str() == Some(id)
}
