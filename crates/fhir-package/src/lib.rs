//! Loads FHIR R4 packages from a profiles directory and answers questions
//! about them; no HTTP, no database.
//!
//! * [`source`](crate) finds packages: npm folders (`package/package.json`),
//!   `.tgz` npm archives, and folders or loose `.json`/`.json.gz` files holding
//!   resources or definition Bundles (the vendored core in
//!   `fhir-profiles/hl7.fhir.r4.core/`, always loaded first). Files are read in
//!   parallel; each resource is kept as JSON text and parsed on first use.
//! * [`FhirDefinitions`] indexes StructureDefinitions, ValueSets (and their
//!   packaged pre-expansions), CodeSystems, ConceptMaps, SearchParameters (also
//!   by base resource type) and other canonical resources by `url` and
//!   `url|version`. A duplicate URL: the later version wins; the same version
//!   twice: the first wins and a warning is recorded ([`FhirDefinitions::warnings`]).
//! * [`ElementTree`] is the compiled snapshot of a StructureDefinition
//!   (compiled on first use, cached): per element min/max, types, choice,
//!   fixed/pattern, maxLength, binding, constraints, slicing and slices, and
//!   resolved `contentReference`s. Snapshot generation is out of scope: a
//!   profile without a snapshot gives [`ElementTreeError::NoSnapshot`].
//! * The type model for FHIRPath: [`FhirDefinitions::child_element`],
//!   [`FhirDefinitions::choice_types`], [`FhirDefinitions::base_type`],
//!   [`FhirDefinitions::type_kind`], [`FhirDefinitions::resource_types`].
//!
//! Entry points: [`FhirDefinitions::load_dir`] and [`core`] (the profiles
//! directory found by [`locate_profiles_dir`], loaded once per process).
//! The R4 JSON Schema ships beside the core: [`FhirDefinitions::fhir_schema_path`].

mod compile;
mod definitions;
mod element;
mod error;
mod header;
mod index;
mod resource;
mod source;
mod type_model;

use std::path::PathBuf;
use std::sync::Arc;

pub use definitions::{DefinitionCounts, FhirDefinitions};
pub use element::{
    type_suffix, Binding, Constraint, Discriminator, ElementDef, ElementId, ElementTree, Max,
    Slicing, TypeRef, TypedValue,
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
    definitions::shared(|| FhirDefinitions::load_dir(locate_profiles_dir()?))
}
