//! Definitions for a step: the core plus the step's supporting files and
//! packages. This is the one place that knows how extra definitions are
//! loaded; everything else asks [`Loader::validator_for`].

use fhir_package::FhirDefinitions;
use fhir_validate::{Validator, ValidatorConfig};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Core definitions plus `extras`: `.tgz` packages and JSON resources
/// (one each, or a Bundle) layered over the shared core, which is not
/// reloaded.
pub fn definitions_with(
    core: &FhirDefinitions,
    extras: &[PathBuf],
) -> Result<FhirDefinitions, String> {
    let (packages, files): (Vec<PathBuf>, Vec<PathBuf>) = extras
        .iter()
        .cloned()
        .partition(|p| p.extension().is_some_and(|e| e == "tgz"));
    let mut texts = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        texts.push((file.display().to_string(), text));
    }
    FhirDefinitions::with_packages(core, &packages, texts).map_err(|e| e.to_string())
}

/// One validator per distinct set of extra files, kept while consecutive
/// steps share it (a case's base and profile steps often do).
pub struct Loader {
    core: Arc<FhirDefinitions>,
    profiles_dir: PathBuf,
    last: HashMap<Vec<PathBuf>, Arc<Validator>>,
}

impl Loader {
    pub fn new(core: Arc<FhirDefinitions>, profiles_dir: PathBuf) -> Loader {
        Loader {
            core,
            profiles_dir,
            last: HashMap::new(),
        }
    }

    pub fn validator_for(&mut self, extras: &[PathBuf]) -> Result<Arc<Validator>, String> {
        if let Some(found) = self.last.get(extras) {
            return Ok(found.clone());
        }
        let defs = definitions_with(&self.core, extras)?;
        // The schema is the vendored core's.
        let config = ValidatorConfig {
            schema_path: Some(
                self.profiles_dir
                    .join("hl7.fhir.r4.core/fhir.schema.json.gz"),
            ),
            enforced_profiles: global_profiles(extras),
        };
        let validator = Validator::new(Arc::new(defs), config).map_err(|e| e.to_string())?;
        let validator = Arc::new(validator);
        self.last.clear();
        self.last.insert(extras.to_vec(), validator.clone());
        Ok(validator)
    }
}

/// The `global` profiles of the ImplementationGuides among `extras`: the
/// reference validator applies them to every resource of their type, as an
/// operator's enforced profiles do here.
fn global_profiles(extras: &[PathBuf]) -> HashMap<String, Vec<String>> {
    let mut enforced: HashMap<String, Vec<String>> = HashMap::new();
    for path in extras
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let Ok(guide) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if guide["resourceType"] != "ImplementationGuide" {
            continue;
        }
        for global in guide["global"].as_array().into_iter().flatten() {
            if let (Some(rt), Some(profile)) = (global["type"].as_str(), global["profile"].as_str())
            {
                enforced
                    .entry(rt.to_string())
                    .or_default()
                    .push(profile.to_string());
            }
        }
    }
    enforced
}
