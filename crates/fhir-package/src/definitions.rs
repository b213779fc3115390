//! [`FhirDefinitions`]: every definition loaded from a profiles directory,
//! indexed by canonical URL, plus the lookups validators and search need.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::element::ElementTree;
use crate::error::PackageError;
use crate::header::{classify, Loaded};
use crate::index::{Added, CanonicalStore};
use crate::resource::{CanonicalResource, SearchParameter, StructureDefinition};
use crate::source::{discover, load_unit, Unit};

/// All definitions of the loaded packages.
#[derive(Debug, Default)]
pub struct FhirDefinitions {
    pub(crate) structure_definitions: CanonicalStore<StructureDefinition>,
    /// Type definitions (not profiles) by type name: "Patient", "string".
    pub(crate) types: HashMap<String, usize>,
    value_sets: CanonicalStore<CanonicalResource>,
    expansions: CanonicalStore<CanonicalResource>,
    code_systems: CanonicalStore<CanonicalResource>,
    concept_maps: CanonicalStore<CanonicalResource>,
    search_parameters: CanonicalStore<SearchParameter>,
    search_by_base: HashMap<String, Vec<usize>>,
    others: CanonicalStore<CanonicalResource>,
    warnings: Vec<String>,
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
        let loaded = load_units_in_parallel(&units)?;
        let mut definitions = FhirDefinitions {
            fhir_schema: find_fhir_schema(dir),
            ..FhirDefinitions::default()
        };
        for resource in loaded.into_iter().flatten() {
            definitions.add(resource);
        }
        for warning in &definitions.warnings {
            tracing::warn!("{warning}");
        }
        Ok(definitions)
    }

    fn add(&mut self, loaded: Loaded) {
        let (kind, url, version, added) = match loaded {
            Loaded::Instance => return,
            Loaded::StructureDefinition(sd) => {
                let (url, version) = (sd.resource.url.clone(), sd.resource.version.clone());
                let type_name = sd.type_name.clone();
                let is_type_definition = sd.is_type_definition();
                let added = self
                    .structure_definitions
                    .add(&url, version.as_deref(), sd, |sd| {
                        sd.resource.version.as_deref()
                    });
                if let Added::New(position) = added {
                    if is_type_definition
                        && url.starts_with("http://hl7.org/fhir/StructureDefinition/")
                    {
                        self.types.entry(type_name).or_insert(position);
                    }
                }
                ("StructureDefinition", url, version, added)
            }
            Loaded::SearchParameter(parameter) => {
                let (url, version) = (
                    parameter.resource.url.clone(),
                    parameter.resource.version.clone(),
                );
                let bases = parameter.base.clone();
                let added = self
                    .search_parameters
                    .add(&url, version.as_deref(), parameter, |p| {
                        p.resource.version.as_deref()
                    });
                if let Added::New(position) = added {
                    for base in bases {
                        self.search_by_base.entry(base).or_default().push(position);
                    }
                }
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
    /// A profile published without snapshot gives `ElementTreeError::NoSnapshot`.
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

type UnitResult = Result<Vec<Loaded>, PackageError>;

/// Reads the units on all cores (largest first), keeping their order in the result.
fn load_units_in_parallel(units: &[Unit]) -> Result<Vec<Vec<Loaded>>, PackageError> {
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|index| std::cmp::Reverse(units.get(*index).map_or(0, Unit::size_hint)));
    let queue = Mutex::new(order.into_iter());
    let results: Mutex<Vec<Option<UnitResult>>> =
        Mutex::new((0..units.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map_or(1, |count| count.get())
        .min(units.len())
        .max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut queue| queue.next());
                let Some(index) = next else { break };
                let Some(unit) = units.get(index) else { break };
                let result = load_unit(unit).and_then(|raws| {
                    raws.into_iter()
                        .map(classify)
                        .collect::<Result<Vec<_>, _>>()
                });
                if let Ok(mut results) = results.lock() {
                    if let Some(slot) = results.get_mut(index) {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| PackageError::InvalidResource {
            path: "loader".into(),
            message: "a loading thread panicked".into(),
        })?;
    results
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| {
                Err(PackageError::InvalidResource {
                    path: "loader".into(),
                    message: "a loading thread stopped early".into(),
                })
            })
        })
        .collect()
}

/// The shared core definitions, loaded once per process (see [`crate::core`]).
pub(crate) fn shared(
    load: impl FnOnce() -> Result<FhirDefinitions, PackageError>,
) -> Result<Arc<FhirDefinitions>, PackageError> {
    static SHARED: Mutex<Option<Arc<FhirDefinitions>>> = Mutex::new(None);
    let mut slot = SHARED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(definitions) = slot.as_ref() {
        return Ok(Arc::clone(definitions));
    }
    let definitions = Arc::new(load()?);
    *slot = Some(Arc::clone(&definitions));
    Ok(definitions)
}
