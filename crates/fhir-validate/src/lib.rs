//! FHIR R4 resource validation for fhirgate: every write is checked before it
//! is stored, and every finding becomes an OperationOutcome issue with the
//! FHIRPath of the element at fault.
//!
//! Three layers, each usable alone through [`Layers`]:
//! - [`json_rules`]: FHIR JSON representation rules and primitive lexical
//!   forms ([`primitives`]), driven by the type model read from the R4 JSON
//!   schema ([`schema_model`]);
//! - [`schema_gate`]: the R4 JSON schema via the `jsonschema` crate, one
//!   lazily compiled validator per resource type;
//! - `structure`: the StructureDefinition walk (base type and profiles).
//!
//! [`Validator`] owns the compiled state, is `Send + Sync`, and is meant to be
//! built once and shared (`Arc<Validator>`) by every request.

mod json_rules;
pub mod primitives;
pub mod report;
mod schema_gate;
pub mod schema_model;

pub use report::{Issue, IssueType, Layer, Severity, ValidationReport};
pub use schema_model::{FhirSchema, SchemaError};

use report::Sink;
use serde_json::Value;
use std::collections::HashMap;

/// Which layers run. All by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    pub json_rules: bool,
    pub schema: bool,
    pub structure: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Layers::ALL
    }
}

impl Layers {
    pub const ALL: Layers = Layers {
        json_rules: true,
        schema: true,
        structure: true,
    };

    /// Only the given layer, to measure what it catches on its own.
    pub fn only(layer: Layer) -> Layers {
        Layers {
            json_rules: layer == Layer::JsonRules,
            schema: layer == Layer::Schema,
            structure: layer == Layer::Structure,
        }
    }
}

/// Per-call options.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// Profiles (canonical URLs) to validate against in addition to the
    /// base definition, `meta.profile` and the enforced profiles, e.g. from
    /// `$validate?profile=` or `fhirgate validate --profile`.
    pub profiles: Vec<String>,
    pub layers: Layers,
}

/// Operator configuration, fixed for the life of a [`Validator`].
#[derive(Debug, Clone, Default)]
pub struct ValidatorConfig {
    /// Resource type -> profile URLs every resource of that type must
    /// conform to.
    pub enforced_profiles: HashMap<String, Vec<String>>,
}

pub struct Validator {
    schema: FhirSchema,
    gate: schema_gate::SchemaGate,
    #[allow(dead_code)]
    config: ValidatorConfig,
}

impl Validator {
    pub fn with_schema(schema: FhirSchema, config: ValidatorConfig) -> Validator {
        let gate = schema_gate::SchemaGate::new(&schema);
        Validator {
            schema,
            gate,
            config,
        }
    }

    /// Validates one resource (a Bundle validates all its entries). Never
    /// fails: every problem, including an unusable input, is an issue.
    pub fn validate(&self, resource: &Value, opts: &ValidateOptions) -> ValidationReport {
        let mut issues = Vec::new();
        if opts.layers.json_rules {
            let mut sink = Sink {
                issues: &mut issues,
                layer: Layer::JsonRules,
            };
            json_rules::JsonRules {
                schema: &self.schema,
            }
            .check_resource(resource, "", &mut sink);
        }
        if opts.layers.schema {
            let mut sink = Sink {
                issues: &mut issues,
                layer: Layer::Schema,
            };
            self.gate
                .check_resource(&self.schema, resource, "", &mut sink);
        }
        ValidationReport { issues }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Validator>();
    }
}
