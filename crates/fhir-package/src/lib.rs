//! Loads FHIR R4 packages from a profiles directory and answers questions
//! about them; no HTTP, no database.
//!
//! * `source` finds packages: npm folders (`package/package.json`), `.tgz`
//!   npm archives, and folders or loose `.json`/`.json.gz` files holding
//!   resources or definition Bundles (the vendored core in
//!   `fhir-profiles/hl7.fhir.r4.core/`, always loaded first); `bundle` splits
//!   a file into resources and `header` reads the few fields the indexes need.
//!   `parallel` runs the files on all cores; `cache` keeps inflated `.json.gz`
//!   text and a resource index in `<profiles dir>/.cache/`. Each resource stays
//!   a slice of its file's text and is parsed on first use (`resource`).
//! * [`FhirDefinitions`] indexes StructureDefinitions, ValueSets (and their
//!   packaged pre-expansions), CodeSystems, ConceptMaps, SearchParameters (also
//!   by base resource type) and other canonical resources by `url` and
//!   `url|version`. A duplicate URL: the later version wins; the same version
//!   twice: the first wins and a warning is recorded ([`FhirDefinitions::warnings`]).
//! * [`ElementTree`] (`element`, built by `compile`) is the compiled snapshot of a StructureDefinition
//!   (compiled on first use, cached): per element min/max, types, choice,
//!   fixed/pattern, maxLength, binding, constraints, slicing and slices, and
//!   resolved `contentReference`s.
//! * `snapshot` generates, at load, the snapshot of every StructureDefinition
//!   published with only a differential (US Core and IPS style), from its base
//!   (recursively): cardinality, types and type profiles, fixed/pattern,
//!   bindings, constraints, choices renamed by type (`valueQuantity`),
//!   slicing and re-slicing, extension slices by profile, datatype children
//!   and `contentReference`s. The tree then compiles from it on first use; a
//!   profile that cannot be expanded gives
//!   [`ElementTreeError::SnapshotGeneration`] naming the element and the
//!   reason (also listed in [`FhirDefinitions::warnings`]).
//! * The type model for FHIRPath (`type_model`): [`FhirDefinitions::child_element`],
//!   [`FhirDefinitions::choice_types`], [`FhirDefinitions::base_type`],
//!   [`FhirDefinitions::type_kind`], [`FhirDefinitions::resource_types`].
//!
//! * `layer` adds extra definitions over loaded ones
//!   ([`FhirDefinitions::with_resources`], [`FhirDefinitions::with_packages`]):
//!   the supporting profiles and packages of one validation, added to the
//!   loaded core without reloading it. The stores (`index`) hold their items
//!   behind `Arc`, so the result shares the base's definitions, parsed JSON
//!   and compiled trees, and copies only the indexes.
//!
//! Entry points: [`FhirDefinitions::load_dir`] and [`core()`] (the profiles
//! directory found by [`locate_profiles_dir`], loaded once per process).
//! The R4 JSON Schema ships beside the core: [`FhirDefinitions::fhir_schema_path`].
//! Inflated `.json.gz` files are cached in `<profiles dir>/.cache/` (see [`CACHE_ENV`]).
//!
//! # API
//!
//! ```text
//! core() -> Result<Arc<FhirDefinitions>, PackageError>
//! locate_profiles_dir() -> Result<PathBuf, PackageError>     // $FHIRGATE_PROFILES, ./fhir-profiles, workspace
//! FhirDefinitions::load_dir(path) -> Result<FhirDefinitions, PackageError>
//! FhirDefinitions::with_resources(&base, Vec<(origin, json_text)>) -> Result<FhirDefinitions, PackageError>
//! FhirDefinitions::with_packages(&base, &[tgz_or_folder_or_json], Vec<(origin, json_text)>)
//!                                       -> Result<FhirDefinitions, PackageError>  // later URL wins
//!   .structure_definition(canonical) -> Option<&StructureDefinition>     // url or url|version
//!   .structure_definition_for_type("Patient") -> Option<&StructureDefinition>
//!   .structure_definitions() / .type_definitions() -> impl Iterator<Item = &StructureDefinition>
//!   .element_tree(canonical) -> Result<&ElementTree, PackageError>
//!   .value_set(c) / .value_set_expansion(c) / .code_system(c) / .concept_map(c) -> Option<&CanonicalResource>
//!   .value_sets() / .code_systems() / .concept_maps() -> impl Iterator<Item = &CanonicalResource>
//!   .canonical_resource(resource_type, c) -> Option<&CanonicalResource>  // OperationDefinition, ...
//!   .search_parameters_for(type) -> Vec<&SearchParameter>           // incl. Resource/DomainResource ones
//!   .search_parameter(type, code) / .search_parameter_by_url(c) -> Option<&SearchParameter>
//!   .all_search_parameters() -> impl Iterator<Item = &SearchParameter>
//!   .child_element(parent, name) -> Option<ChildElement>        // parent: "HumanName" or "Patient.contact"
//!   .child_elements(parent) -> Vec<(&str, ChildElement)>
//!   .choice_types(parent, "valueQuantity") -> Option<("value", "Quantity")>
//!   .base_type(t) -> Option<&str>, .is_subtype_of(t, ancestor) -> bool
//!   .type_kind(t) -> Option<TypeKind>, .resource_types() -> impl Iterator<Item = &str>
//!   .generate_snapshot(&sd_json) -> Result<Vec<Value>, ElementTreeError>  // from its differential
//!   .counts() -> DefinitionCounts, .warnings() -> &[String]
//!   .fhir_schema_path() -> Option<&Path>, .load_fhir_schema() -> Result<Value, PackageError>
//! StructureDefinition { resource: CanonicalResource, type_name, kind, is_abstract, derivation,
//!                       base_definition, has_snapshot }  .element_tree() .json() .url()
//!                       .generated_snapshot() -> Option<Result<&str, &ElementTreeError>>
//! CanonicalResource { resource_type, url, version, name, status, source }  .json() .raw_json()
//! ElementTree: root(), get(id), element(id_or_path), children(id_or_path), children_of(id),
//!              child(id_or_path, name), child_of(id, name), slices(id_or_path), slice(id, name),
//!              content_of(id), elements()
//! ElementDef { id, path, name, slice_name, min, max: Max, types: Vec<TypeRef>, is_choice, fixed,
//!              pattern, max_length, binding, constraints, slicing, is_modifier, is_summary,
//!              must_support, content_reference, content_target, parent, children, slices }
//! ```

mod bundle;
mod cache;
mod compile;
mod definitions;
mod element;
mod error;
mod header;
mod index;
mod layer;
mod parallel;
mod resource;
mod snapshot;
mod source;
mod type_model;

use std::path::PathBuf;
use std::sync::Arc;

pub use cache::CACHE_ENV;
pub use definitions::{DefinitionCounts, FhirDefinitions};
pub use element::{
    type_suffix, Binding, Constraint, Discriminator, ElementDef, ElementId, ElementTree, Max,
    Slicing, TypeRef, TypedValue, ValueLimits,
};
pub use error::{ElementTreeError, PackageError};
pub use index::compare_versions;
pub use resource::{
    CanonicalResource, Derivation, SearchParameter, SearchParameterComponent, StructureDefinition,
    TypeKind,
};
pub use type_model::ChildElement;

/// Environment variable naming the profiles directory.
pub const PROFILES_ENV: &str = "FHIRGATE_PROFILES";

/// Finds the profiles directory: `$FHIRGATE_PROFILES`, else `./fhir-profiles`,
/// else the workspace's `fhir-profiles/` (for tests and `cargo run`).
pub fn locate_profiles_dir() -> Result<PathBuf, PackageError> {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os(PROFILES_ENV) {
        candidates.push(PathBuf::from(dir));
    }
    candidates.push(PathBuf::from("fhir-profiles"));
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fhir-profiles"));
    candidates
        .iter()
        .find(|dir| dir.is_dir())
        .cloned()
        .ok_or_else(|| PackageError::ProfilesDirNotFound {
            tried: candidates
                .iter()
                .map(|dir| dir.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The definitions of the located profiles directory, loaded once per
/// process and shared (a failed load is not cached; the next call retries).
pub fn core() -> Result<Arc<FhirDefinitions>, PackageError> {
    parallel::shared(|| FhirDefinitions::load_dir(locate_profiles_dir()?))
}
