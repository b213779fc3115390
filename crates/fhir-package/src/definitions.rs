//! [`FhirDefinitions`]: every definition loaded from a profiles directory,
//! indexed by canonical URL, plus the lookups validators and search need.

use fnv::FnvHashMap as HashMap;
use std::path::{Path, PathBuf};

use crate::cache::DecompressCache;
use crate::element::ElementTree;
use crate::error::PackageError;
use crate::header::Loaded;
use crate::index::{Added, CanonicalStore};
use crate::parallel::load_units_in_parallel;
use crate::resource::{CanonicalResource, SearchParameter, StructureDefinition};
use crate::source::discover;

/// All definitions of the loaded packages.
///
/// Cloning shares every definition (and its parsed JSON and compiled tree)
/// and copies only the indexes; see [`FhirDefinitions::with_resources`].
#[derive(Debug, Default, Clone)]
pub struct FhirDefinitions {
    pub(crate) structure_definitions: CanonicalStore<StructureDefinition>,
    /// Type definitions (not profiles) by type name: "Patient", "string".
    pub(crate) types: HashMap<String, usize>,
    pub(crate) value_sets: CanonicalStore<CanonicalResource>,
    pub(crate) expansions: CanonicalStore<CanonicalResource>,
    pub(crate) code_systems: CanonicalStore<CanonicalResource>,
    pub(crate) concept_maps: CanonicalStore<CanonicalResource>,
    pub(crate) search_parameters: CanonicalStore<SearchParameter>,
    pub(crate) search_by_base: HashMap<String, Vec<usize>>,
    pub(crate) others: CanonicalStore<CanonicalResource>,
    pub(crate) warnings: Vec<String>,
    fhir_schema: Option<PathBuf>,
}

fn version_of(resource: &CanonicalResource) -> Option<&str> {
    resource.version.as_deref()
}

impl FhirDefinitions {
    /// Loads every package in `dir` (see the crate docs for the layout).
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<FhirDefinitions, PackageError> {
        let dir = dir.as_ref();
        let units = discover(dir)?;
        let cache = DecompressCache::for_profiles_dir(dir);
        let loaded = load_units_in_parallel(&units, cache.as_ref())?;
        let mut definitions = FhirDefinitions {
            fhir_schema: find_fhir_schema(dir),
            ..FhirDefinitions::default()
        };
        for resource in loaded.into_iter().flatten() {
            definitions.add(resource);
        }
        definitions.index_types_and_search_bases();
        for warning in &definitions.warnings {
            tracing::warn!("{warning}");
        }
        let all: Vec<usize> = (0..definitions.structure_definitions.stored()).collect();
        definitions.generate_missing_snapshots(&all);
        Ok(definitions)
    }

    fn add(&mut self, loaded: Loaded) {
        let (kind, url, version, added) = match loaded {
            Loaded::Instance => return,
            Loaded::StructureDefinition(sd) => {
                let (url, version) = (sd.resource.url.clone(), sd.resource.version.clone());
                let added = self
                    .structure_definitions
                    .add(&url, version.as_deref(), sd, |sd| {
                        sd.resource.version.as_deref()
                    });
                ("StructureDefinition", url, version, added)
            }
            Loaded::SearchParameter(parameter) => {
                let (url, version) = (
                    parameter.resource.url.clone(),
                    parameter.resource.version.clone(),
                );
                let added = self
                    .search_parameters
                    .add(&url, version.as_deref(), parameter, |p| {
                        p.resource.version.as_deref()
                    });
                ("SearchParameter", url, version, added)
            }
            Loaded::ValueSet {
                resource,
                has_expansion: true,
            } => {
                // The pre-expansions repeat ValueSets that are also loaded
                // with their compose: keep them apart, not as duplicates.
                let (url, version) = (resource.url.clone(), resource.version.clone());
                let added = self
                    .expansions
                    .add(&url, version.as_deref(), resource, version_of);
                ("ValueSet expansion", url, version, added)
            }
            Loaded::ValueSet {
                resource,
                has_expansion: false,
            } => {
                let (url, version) = (resource.url.clone(), resource.version.clone());
                let added = self
                    .value_sets
                    .add(&url, version.as_deref(), resource, version_of);
                ("ValueSet", url, version, added)
            }
            Loaded::Canonical(resource) => {
                let (url, version) = (resource.url.clone(), resource.version.clone());
                let kind = match resource.resource_type.as_str() {
                    "CodeSystem" => "CodeSystem",
                    "ConceptMap" => "ConceptMap",
                    _ => "other",
                };
                let store = match kind {
                    "CodeSystem" => &mut self.code_systems,
                    "ConceptMap" => &mut self.concept_maps,
                    _ => &mut self.others,
                };
                let added = store.add(&url, version.as_deref(), resource, version_of);
                (kind, url, version, added)
            }
        };
        if added == Added::Duplicate {
            self.warnings.push(format!(
                "duplicate {kind} {url}|{}: the first one loaded is kept",
                version.as_deref().unwrap_or("(no version)")
            ));
        }
    }

    /// Indexes the latest versions only, once every package is in, so that a
    /// replaced version never shadows its successor.
    fn index_types_and_search_bases(&mut self) {
        for position in self.structure_definitions.latest_positions() {
            self.index_type(position);
        }
        self.index_search_bases();
    }

    /// Records a type definition under its type name. Only HL7's own type
    /// definitions name types; an IG's logical model must not shadow a core
    /// type of the same name.
    pub(crate) fn index_type(&mut self, position: usize) {
        let Some(sd) = self.structure_definitions.item(position) else {
            return;
        };
        if sd.is_type_definition()
            && sd
                .url()
                .starts_with("http://hl7.org/fhir/StructureDefinition/")
        {
            self.types.insert(sd.type_name.clone(), position);
        }
    }

    /// Rebuilds the search-parameter index by base type from the latest versions.
    pub(crate) fn index_search_bases(&mut self) {
        self.search_by_base.clear();
        for position in self.search_parameters.latest_positions() {
            let Some(parameter) = self.search_parameters.item(position) else {
                continue;
            };
            for base in &parameter.base {
                self.search_by_base
                    .entry(base.clone())
                    .or_default()
                    .push(position);
            }
        }
    }

    /// Warnings collected while loading (duplicate definitions...).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A StructureDefinition by `url` or `url|version`.
    pub fn structure_definition(&self, canonical: &str) -> Option<&StructureDefinition> {
        self.structure_definitions.get(canonical)
    }

    /// The base definition of a type ("Patient", "HumanName", "string").
    pub fn structure_definition_for_type(&self, type_name: &str) -> Option<&StructureDefinition> {
        let position = self.types.get(type_name)?;
        self.structure_definitions.item(*position)
    }

    /// The latest version of every StructureDefinition (types and profiles).
    pub fn structure_definitions(&self) -> impl Iterator<Item = &StructureDefinition> {
        self.structure_definitions.latest()
    }

    /// The compiled element tree of a StructureDefinition (`url` or `url|version`).
    /// A profile published without snapshot uses the one generated at load, or
    /// gives `ElementTreeError::SnapshotGeneration` saying why there is none.
    pub fn element_tree(&self, canonical: &str) -> Result<&ElementTree, PackageError> {
        let sd = self.structure_definition(canonical).ok_or_else(|| {
            PackageError::UnknownStructureDefinition {
                url: canonical.to_string(),
            }
        })?;
        Ok(sd.element_tree()?)
    }

    /// A ValueSet by `url` or `url|version` (its definition, with `compose`).
    pub fn value_set(&self, canonical: &str) -> Option<&CanonicalResource> {
        self.value_sets
            .get(canonical)
            .or_else(|| self.expansions.get(canonical))
    }

    /// The packaged pre-expanded copy of a ValueSet, when there is one.
    pub fn value_set_expansion(&self, canonical: &str) -> Option<&CanonicalResource> {
        self.expansions.get(canonical)
    }

    pub fn code_system(&self, canonical: &str) -> Option<&CanonicalResource> {
        self.code_systems.get(canonical)
    }

    pub fn concept_map(&self, canonical: &str) -> Option<&CanonicalResource> {
        self.concept_maps.get(canonical)
    }

    /// Any other canonical resource (OperationDefinition, CapabilityStatement,
    /// CompartmentDefinition, ImplementationGuide...) by type and URL.
    pub fn canonical_resource(
        &self,
        resource_type: &str,
        canonical: &str,
    ) -> Option<&CanonicalResource> {
        self.others
            .get(canonical)
            .filter(|resource| resource.resource_type == resource_type)
    }

    pub fn value_sets(&self) -> impl Iterator<Item = &CanonicalResource> {
        self.value_sets.latest()
    }

    pub fn code_systems(&self) -> impl Iterator<Item = &CanonicalResource> {
        self.code_systems.latest()
    }

    pub fn concept_maps(&self) -> impl Iterator<Item = &CanonicalResource> {
        self.concept_maps.latest()
    }

    pub fn search_parameter_by_url(&self, canonical: &str) -> Option<&SearchParameter> {
        self.search_parameters.get(canonical)
    }

    /// Every SearchParameter (latest version of each URL).
    pub fn all_search_parameters(&self) -> impl Iterator<Item = &SearchParameter> {
        self.search_parameters.latest()
    }

    /// The SearchParameters that apply to `resource_type`, including those
    /// declared on its base types (`_id` on Resource, `_text` on DomainResource).
    pub fn search_parameters_for(&self, resource_type: &str) -> Vec<&SearchParameter> {
        let mut found = Vec::new();
        let mut current = Some(resource_type);
        while let Some(type_name) = current {
            if let Some(positions) = self.search_by_base.get(type_name) {
                found.extend(
                    positions
                        .iter()
                        .filter_map(|position| self.search_parameters.item(*position)),
                );
            }
            current = self.base_type(type_name);
        }
        found
    }

    /// The SearchParameter with this `code` for `resource_type` (or its bases).
    pub fn search_parameter(&self, resource_type: &str, code: &str) -> Option<&SearchParameter> {
        self.search_parameters_for(resource_type)
            .into_iter()
            .find(|parameter| parameter.code == code)
    }

    /// Counts of loaded definitions (latest versions), for logs and tests.
    pub fn counts(&self) -> DefinitionCounts {
        DefinitionCounts {
            structure_definitions: self.structure_definitions.len(),
            value_sets: self.value_sets.len(),
            expansions: self.expansions.len(),
            code_systems: self.code_systems.len(),
            concept_maps: self.concept_maps.len(),
            search_parameters: self.search_parameters.len(),
            other: self.others.len(),
        }
    }

    /// Path of the R4 JSON Schema (`fhir.schema.json.gz`) if the profiles
    /// directory has one (the vendored core does).
    pub fn fhir_schema_path(&self) -> Option<&Path> {
        self.fhir_schema.as_deref()
    }

    /// Reads and parses the R4 JSON Schema.
    pub fn load_fhir_schema(&self) -> Result<serde_json::Value, PackageError> {
        let path = self
            .fhir_schema
            .as_deref()
            .ok_or_else(|| PackageError::InvalidResource {
                path: "fhir.schema.json.gz".into(),
                message: "no JSON schema in the profiles directory".into(),
            })?;
        crate::source::read_json_file(path)
    }
}

/// How many definitions of each kind are loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefinitionCounts {
    pub structure_definitions: usize,
    pub value_sets: usize,
    pub expansions: usize,
    pub code_systems: usize,
    pub concept_maps: usize,
    pub search_parameters: usize,
    pub other: usize,
}

fn find_fhir_schema(dir: &Path) -> Option<PathBuf> {
    let names = ["fhir.schema.json.gz", "fhir.schema.json"];
    let folders = [dir.join(crate::source::CORE_FOLDER), dir.to_path_buf()];
    folders
        .iter()
        .flat_map(|folder| names.iter().map(move |name| folder.join(name)))
        .find(|path| path.is_file())
}
