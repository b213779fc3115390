//! FHIR R4 resource validation for fhirgate: every write is checked before it
//! is stored, and every finding becomes an OperationOutcome issue with the
//! FHIRPath of the element at fault.
//!
//! Three layers, each usable alone through [`Layers`]:
//! - `json_rules`: FHIR JSON representation rules and primitive lexical
//!   forms ([`primitives`]), driven by the type model read from the R4 JSON
//!   schema ([`schema_model`]);
//! - `schema_gate`: the R4 JSON schema via the `jsonschema` crate, compiled
//!   once into one validator for every resource type when the [`Validator`]
//!   is built;
//! - `structure`: the StructureDefinition walk over `fhir-package` element
//!   trees (unknown elements, cardinality, choices), with `values` (fixed,
//!   pattern, maxLength, bindings via `terminology`), `slicing`,
//!   `extensions`, `references` (targets, `#id`, dom-3), [`invariants`]
//!   (FHIRPath constraints via `fhirpath`) and `profiles` (base, meta.profile,
//!   requested and enforced profiles); whole-resource rules the definitions
//!   cannot express: `bundle_rules` (entry identity, links, search entries)
//!   and `bundle_refs` (references a document or message must resolve);
//!   `datatype_rules` (Attachment size and hash against its data);
//!   `extension_context` (where an extension may be used);
//!   `narrative_links` (`href="#x"` leads to an anchor of the narrative);
//!   `conformance_rules` and `differential_paths` (SearchParameter,
//!   CapabilityStatement and StructureDefinition consistency).
//!
//! [`Validator`] owns the compiled state, is `Send + Sync`, and is meant to be
//! built once and shared (`Arc<Validator>`) by every request.

mod bundle_refs;
mod bundle_rules;
mod conformance_rules;
mod datatype_rules;
mod differential_paths;
mod extension_context;
mod extensions;
pub mod invariants;
mod json_rules;
mod narrative_links;
mod path;
pub mod primitives;
mod profiles;
mod references;
pub mod report;
mod schema_gate;
pub mod schema_model;
mod slicing;
mod structure;
mod value_limits;
mod values;
mod vital_signs;

pub use report::{Issue, IssueType, Layer, Severity, ValidationReport};
pub use schema_model::{FhirSchema, SchemaError};

use fhir_package::FhirDefinitions;
use report::Sink;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use terminology::Terminology;

#[derive(Debug, thiserror::Error)]
pub enum ValidatorError {
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error("no R4 JSON schema: the profiles directory has no fhir.schema.json.gz and none was configured")]
    NoSchema,
}

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
    /// The R4 JSON schema; by default the one beside the loaded core
    /// definitions (`FhirDefinitions::fhir_schema_path`).
    pub schema_path: Option<PathBuf>,
}

/// What the structure layer needs, shared by its modules. Every memo here
/// is keyed by the definitions (element definitions by address, type names
/// and texts they contain), never by instance data, except the rooted
/// expressions of `invariants`, which have a fixed bound.
pub(crate) struct Engine {
    defs: Arc<FhirDefinitions>,
    /// Shared with the terminology operations (see [`Validator::terminology`]).
    terminology: Arc<Terminology>,
    expressions: invariants::ExpressionCache,
    plans: invariants::ConstraintPlans,
    /// Memo of "is this type name a resource type", asked for every
    /// complex value the structure walk meets.
    resource_kinds: std::sync::RwLock<fnv::FnvHashMap<String, bool>>,
    /// Memo of the resource types a reference type allows, by the address
    /// of its `TypeRef` (see `references`).
    reference_targets: references::TargetMemo,
    /// Memo of the element each slice discriminator path leads to.
    discriminator_targets: slicing::DiscriminatorMemo,
    /// Memo of the expansions of bound value sets.
    bound_expansions: values::ExpansionMemo,
    eval_context: fhirpath::EvalContext,
    enforced: HashMap<String, Vec<String>>,
}

pub struct Validator {
    schema: FhirSchema,
    gate: schema_gate::SchemaGate,
    engine: Engine,
}

impl Validator {
    /// Builds a validator over loaded definitions. The JSON schema is
    /// compiled here; the rest of the compiled state (element trees, parsed
    /// invariants, constraint plans, expansions) is created on first use and
    /// kept for the validator's life, keyed only by the definitions (see
    /// [`Engine`]); wrap the validator in an `Arc` and share it.
    pub fn new(
        defs: Arc<FhirDefinitions>,
        config: ValidatorConfig,
    ) -> Result<Validator, ValidatorError> {
        let path = config
            .schema_path
            .clone()
            .or_else(|| defs.fhir_schema_path().map(PathBuf::from))
            .ok_or(ValidatorError::NoSchema)?;
        let schema = FhirSchema::load(&path)?;
        let gate = schema_gate::SchemaGate::new(&schema);
        let model = Arc::new(fhirpath::PackageModel::new(defs.clone()));
        let engine = Engine {
            terminology: Arc::new(Terminology::new(defs.clone())),
            expressions: invariants::ExpressionCache::default(),
            plans: invariants::ConstraintPlans::default(),
            resource_kinds: Default::default(),
            reference_targets: Default::default(),
            discriminator_targets: Default::default(),
            bound_expansions: Default::default(),
            eval_context: fhirpath::EvalContext::with_model(model),
            enforced: profiles::with_global_profiles(&defs, config.enforced_profiles),
            defs,
        };
        Ok(Validator {
            schema,
            gate,
            engine,
        })
    }

    /// The terminology the bindings are checked with, for the terminology
    /// operations to share its expansion caches.
    pub fn terminology(&self) -> &Arc<Terminology> {
        &self.engine.terminology
    }

    pub fn definitions(&self) -> &Arc<FhirDefinitions> {
        &self.engine.defs
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
        if opts.layers.structure {
            let mut sink = Sink {
                issues: &mut issues,
                layer: Layer::Structure,
            };
            if resource.is_object() {
                self.engine
                    .validate_structure(resource, "", &opts.profiles, None, &mut sink);
            }
        }
        dedup(&mut issues);
        ValidationReport { issues }
    }
}

/// The same finding from two definitions (base and profile) or two layers
/// is reported once; the first layer to report it keeps it. The JSON-schema
/// gate only restates, in schema terms, what the JSON rules say more
/// precisely about the same element (`'yes' is not a valid boolean` and
/// `"yes" is not of type "boolean"`), so its error at an element the JSON
/// rules already faulted is dropped too.
fn dedup(issues: &mut Vec<Issue>) {
    let mut seen = fnv::FnvHashSet::default();
    let faulted_by_json_rules: fnv::FnvHashSet<String> = issues
        .iter()
        .filter(|i| i.layer == Layer::JsonRules && i.severity.is_error())
        .map(|i| i.expression.clone())
        .collect();
    issues.retain(|i| {
        let restated = i.layer == Layer::Schema
            && i.severity.is_error()
            && faulted_by_json_rules.contains(&i.expression);
        !restated && seen.insert((i.severity, i.code, i.expression.clone(), i.message.clone()))
    });
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
