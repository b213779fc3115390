//! Shared helpers of the integration tests: locating ../shared/data, the
//! core model, and a minimal conformsTo provider for core profiles.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use fhirpath::{ConformanceProvider, ModelProvider, PackageModel};
use serde_json::Value as Json;

/// The directory holding the workspace Cargo.toml.
pub fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("Cargo.toml").exists()
        || !std::fs::read_to_string(dir.join("Cargo.toml"))
            .unwrap_or_default()
            .contains("[workspace]")
    {
        if !dir.pop() {
            return PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        }
    }
    dir
}

/// `../shared/data/<name>` beside the workspace, or `None` after printing
/// the skip line.
pub fn shared_data(name: &str) -> Option<PathBuf> {
    let path = workspace_root().join("../shared/data").join(name);
    if path.exists() {
        Some(path)
    } else {
        println!("skipped: ../shared/data/{name} not found");
        None
    }
}

/// The R4 core model, loaded once for all tests of a binary.
pub fn core_model() -> Option<Arc<dyn ModelProvider>> {
    static MODEL: OnceLock<Option<Arc<PackageModel>>> = OnceLock::new();
    let model = MODEL.get_or_init(|| match PackageModel::core() {
        Ok(model) => Some(Arc::new(model)),
        Err(e) => {
            println!("skipped: fhir-profiles not loadable: {e}");
            None
        }
    });
    model.clone().map(|m| m as Arc<dyn ModelProvider>)
}

/// conformsTo() for the core resource profiles only: a resource conforms to
/// `http://hl7.org/fhir/StructureDefinition/<its type>`; other core URLs give
/// false; anything else is an error (unknown profile).
pub struct CoreProfiles;

impl ConformanceProvider for CoreProfiles {
    fn conforms_to(&self, resource: &Json, profile_url: &str) -> Result<bool, String> {
        let Some(name) = profile_url.strip_prefix("http://hl7.org/fhir/StructureDefinition/")
        else {
            return Err(format!("unknown profile {profile_url}"));
        };
        Ok(resource.get("resourceType").and_then(Json::as_str) == Some(name))
    }
}
