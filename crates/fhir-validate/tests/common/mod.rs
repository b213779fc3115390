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
