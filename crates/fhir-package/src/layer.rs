//! Extra definitions layered over loaded ones: the supporting profiles,
//! value sets and packages of one validation, added to the loaded core
//! without loading the core again. The result clones the base's indexes and
//! shares every base definition (parsed JSON and compiled trees included),
//! so the cost is that of the extras plus a copy of the indexes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::bundle::split_text;
use crate::definitions::FhirDefinitions;
use crate::error::PackageError;
use crate::header::{classify, Loaded};
use crate::source::{discover_folder, load_unit, Unit};

impl FhirDefinitions {
    /// `base` plus extra resources, each given as `(origin, JSON text)`; a
    /// text may hold one resource or a Bundle of them, and `origin` (a file
    /// name) names it in errors and in each definition's `source`. A later
    /// definition with the same URL replaces an earlier one, the base's
    /// included. Resources without a `url` are ignored.
    pub fn with_resources(
        base: &FhirDefinitions,
        extra: Vec<(String, String)>,
    ) -> Result<FhirDefinitions, PackageError> {
        FhirDefinitions::with_packages(base, &[], extra)
    }

    /// `base` plus the resources of local packages (npm `.tgz` archives,
    /// npm folders, or `.json`/`.json.gz` files), then `extra` resources as
    /// in [`FhirDefinitions::with_resources`]. Later definitions replace
    /// earlier ones with the same URL: packages in order, then `extra`.
    pub fn with_packages(
        base: &FhirDefinitions,
        packages: &[PathBuf],
        extra: Vec<(String, String)>,
    ) -> Result<FhirDefinitions, PackageError> {
        let mut loaded = Vec::new();
        for path in packages {
            loaded.extend(load_package(path)?);
        }
        for (origin, text) in extra {
            for raw in split_text(Arc::from(text), &origin, &origin)? {
                loaded.push(classify(raw)?);
            }
        }
        let mut definitions = base.clone();
        let mut added_structures = Vec::new();
        let mut search_changed = false;
        for item in loaded {
            match definitions.add_overriding(item) {
                Some(AddedKind::Structure(position)) => added_structures.push(position),
                Some(AddedKind::SearchParameter) => search_changed = true,
                Some(AddedKind::Other) | None => {}
            }
        }
        for position in &added_structures {
            definitions.index_type(*position);
        }
        if search_changed {
            definitions.index_search_bases();
        }
        definitions.generate_missing_snapshots(&added_structures);
        Ok(definitions)
    }

    /// Adds one definition over whatever has its URL.
    fn add_overriding(&mut self, loaded: Loaded) -> Option<AddedKind> {
        match loaded {
            Loaded::Instance => None,
            Loaded::StructureDefinition(sd) => {
                let (url, version) = (sd.resource.url.clone(), sd.resource.version.clone());
                let (position, _) =
                    self.structure_definitions
                        .add_overriding(&url, version.as_deref(), sd);
                Some(AddedKind::Structure(position))
            }
            Loaded::SearchParameter(parameter) => {
                let (url, version) = (
                    parameter.resource.url.clone(),
                    parameter.resource.version.clone(),
                );
                self.search_parameters
                    .add_overriding(&url, version.as_deref(), parameter);
                Some(AddedKind::SearchParameter)
            }
            Loaded::ValueSet {
                resource,
                has_expansion,
            } => {
                let (url, version) = (resource.url.clone(), resource.version.clone());
                if has_expansion {
                    self.expansions
                        .add_overriding(&url, version.as_deref(), resource);
                } else {
                    // A packaged pre-expansion belongs to the definition it
                    // was expanded from, not to this one.
                    self.expansions.forget(&url);
                    self.value_sets
                        .add_overriding(&url, version.as_deref(), resource);
                }
                Some(AddedKind::Other)
            }
            Loaded::Canonical(resource) => {
                let (url, version) = (resource.url.clone(), resource.version.clone());
                let store = match resource.resource_type.as_str() {
                    "CodeSystem" => &mut self.code_systems,
                    "ConceptMap" => &mut self.concept_maps,
                    _ => &mut self.others,
                };
                store.add_overriding(&url, version.as_deref(), resource);
                Some(AddedKind::Other)
            }
        }
    }
}

enum AddedKind {
    Structure(usize),
    SearchParameter,
    Other,
}

/// Reads every resource of one local package.
fn load_package(path: &Path) -> Result<Vec<Loaded>, PackageError> {
    let units = if path.is_dir() {
        discover_folder(path)?
    } else if path.extension().is_some_and(|extension| extension == "tgz") {
        vec![Unit::Tgz {
            path: path.to_path_buf(),
        }]
    } else {
        vec![Unit::File {
            path: path.to_path_buf(),
            source: path.display().to_string(),
        }]
    };
    let mut loaded = Vec::new();
    for unit in &units {
        for raw in load_unit(unit, None)? {
            loaded.push(classify(raw)?);
        }
    }
    Ok(loaded)
}
