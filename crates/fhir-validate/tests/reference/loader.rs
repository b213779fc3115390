//! Definitions for a step: the core plus the step's supporting files and
//! packages. This is the one place that knows how extra definitions are
//! loaded; everything else asks [`Loader::validator_for`].

use fhir_package::FhirDefinitions;
use fhir_validate::{Validator, ValidatorConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Core definitions plus `extras`: a temporary profiles directory holding
/// links to the vendored core (and its inflate cache) and to each extra
/// file, loaded with `FhirDefinitions::load_dir`.
pub fn definitions_with(
    profiles_dir: &Path,
    extras: &[PathBuf],
) -> Result<FhirDefinitions, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let link = |from: &Path, name: &str| {
        std::os::unix::fs::symlink(from, dir.path().join(name)).map_err(|e| e.to_string())
    };
    link(&profiles_dir.join("hl7.fhir.r4.core"), "hl7.fhir.r4.core")?;
    if profiles_dir.join(".cache").is_dir() {
        link(&profiles_dir.join(".cache"), ".cache")?;
    }
    for (i, extra) in extras.iter().enumerate() {
        let name = extra
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("extra");
        // Numbered so that files load in the manifest's order.
        link(extra, &format!("x{i:03}-{name}"))?;
    }
    FhirDefinitions::load_dir(dir.path()).map_err(|e| e.to_string())
}

/// One validator per distinct set of extra files, kept while consecutive
/// steps share it (a case's base and profile steps often do).
pub struct Loader {
    profiles_dir: PathBuf,
    last: HashMap<Vec<PathBuf>, Arc<Validator>>,
}

impl Loader {
    pub fn new(profiles_dir: PathBuf) -> Loader {
        Loader {
            profiles_dir,
            last: HashMap::new(),
        }
    }

    pub fn validator_for(&mut self, extras: &[PathBuf]) -> Result<Arc<Validator>, String> {
        if let Some(found) = self.last.get(extras) {
            return Ok(found.clone());
        }
        let defs = definitions_with(&self.profiles_dir, extras)?;
        // The temporary directory is gone once loaded: the schema is read
        // from the vendored core.
        let config = ValidatorConfig {
            schema_path: Some(
                self.profiles_dir
                    .join("hl7.fhir.r4.core/fhir.schema.json.gz"),
            ),
            ..ValidatorConfig::default()
        };
        let validator = Validator::new(Arc::new(defs), config).map_err(|e| e.to_string())?;
        let validator = Arc::new(validator);
        self.last.clear();
        self.last.insert(extras.to_vec(), validator.clone());
        Ok(validator)
    }
}
