//! Helpers shared by the integration tests: locating ../shared/data and
//! building one validator per test binary.
#![allow(dead_code)]

use fhir_validate::{Validator, ValidatorConfig};
use std::path::PathBuf;
use std::sync::OnceLock;

/// `<workspace root>/../shared/data/<rel>` if it exists; otherwise prints the
/// skip line and returns None.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let manifest = dir.join("Cargo.toml");
        if manifest.exists()
            && std::fs::read_to_string(&manifest).is_ok_and(|t| t.contains("[workspace]"))
        {
            break;
        }
        if !dir.pop() {
            break;
        }
    }
    let path = dir.join("../shared/data").join(rel);
    if path.exists() {
        Some(path)
    } else {
        println!("skipped: ../shared/data/{rel} not found");
        None
    }
}

pub fn validator() -> Option<&'static Validator> {
    static VALIDATOR: OnceLock<Option<Validator>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let defs = fhir_package::core().expect("core definitions load");
            Some(Validator::new(defs, ValidatorConfig::default()).expect("validator builds"))
        })
        .as_ref()
}

/// A validator over the core definitions of `core` plus `resources`
/// (profiles, value sets...), sharing the core's schema.
pub fn validator_with(core: &Validator, resources: &[serde_json::Value]) -> Validator {
    let extra = resources
        .iter()
        .map(|r| ("test".to_string(), r.to_string()))
        .collect();
    let defs = fhir_package::FhirDefinitions::with_resources(core.definitions(), extra)
        .expect("resources layer over the core");
    let config = ValidatorConfig {
        schema_path: core.definitions().fhir_schema_path().map(Into::into),
        ..ValidatorConfig::default()
    };
    Validator::new(std::sync::Arc::new(defs), config).expect("validator builds")
}
