//! The evaluation context: the type model, optional terminology and profile
//! services, external constants (`%name`) and a fixed "now" for
//! reproducible runs. Build one per configuration and share it.

use std::collections::HashMap;
use std::sync::Arc;

use fhir_core::temporal::DateTime;
use serde_json::Value as Json;

use crate::model::ModelProvider;

/// Answers `memberOf()`. `item` is the JSON of a code (string), Coding or
/// CodeableConcept and `type_name` its FHIR type.
pub trait TerminologyProvider: Send + Sync {
    fn member_of(&self, item: &Json, type_name: &str, value_set_url: &str) -> Result<bool, String>;
}

/// Answers `conformsTo()`.
pub trait ConformanceProvider: Send + Sync {
    fn conforms_to(&self, resource: &Json, profile_url: &str) -> Result<bool, String>;
}

#[derive(Default, Clone)]
pub struct EvalContext {
    pub model: Option<Arc<dyn ModelProvider>>,
    pub terminology: Option<Arc<dyn TerminologyProvider>>,
    pub conformance: Option<Arc<dyn ConformanceProvider>>,
    /// Values of `%name` constants supplied by the caller.
    pub constants: HashMap<String, Json>,
    /// `%resource` when the input is not the resource itself (for example a
    /// constraint evaluated on an element).
    pub resource: Option<Json>,
    /// `%rootResource` when it differs from `%resource` (a Bundle entry).
    pub root_resource: Option<Json>,
    /// FHIR type (or backbone element path, `Patient.contact`) of the input
    /// when it is not a resource, e.g. an element a constraint is checked
    /// on. Without it, an input without `resourceType` is navigated
    /// leniently, by JSON key.
    pub input_type: Option<String>,
    /// Fixed value for `now()`/`today()`/`timeOfDay()`; the clock when absent.
    pub now: Option<DateTime>,
}

impl EvalContext {
    pub fn new() -> EvalContext {
        EvalContext::default()
    }

    pub fn with_model(model: Arc<dyn ModelProvider>) -> EvalContext {
        EvalContext {
            model: Some(model),
            ..EvalContext::default()
        }
    }

    pub fn constant(mut self, name: &str, value: Json) -> EvalContext {
        self.constants.insert(name.to_string(), value);
        self
    }
}
