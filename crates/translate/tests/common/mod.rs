//! Helpers shared by the integration tests: fixtures, ../shared/data, the validator.
#![allow(dead_code)]
// The helpers return what `V2ToFhir::translate` returns.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fhir_validate::{ValidateOptions, Validator, ValidatorConfig};
use hl7v2::{Message, ParseOptions};
use serde_json::Value;
use translate::{Rejection, Translated, V2ToFhir};

pub fn translator() -> &'static V2ToFhir {
    static TRANSLATOR: OnceLock<V2ToFhir> = OnceLock::new();
    TRANSLATOR.get_or_init(|| V2ToFhir::new().expect("embedded mapping tables load"))
}

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).expect("fixture exists")
}

/// Translates every message in `bytes` (batches split); `Err` when the parser refuses one.
pub fn try_translate_all(bytes: &[u8]) -> Result<Vec<Result<Translated, Rejection>>, String> {
    let options = ParseOptions::default();
    let split = hl7v2::split_messages(bytes, &options).map_err(|e| e.to_string())?;
    split
        .messages
        .iter()
        .map(|chunk| {
            let message: Message<'_> = chunk.parse(&options).map_err(|e| e.to_string())?;
            Ok(translator().translate(&message))
        })
        .collect()
}

pub fn translate_all(bytes: &[u8]) -> Vec<Result<Translated, Rejection>> {
    try_translate_all(bytes).expect("every message parses")
}

pub fn translate_one(bytes: &[u8]) -> Result<Translated, Rejection> {
    let mut all = translate_all(bytes);
    assert_eq!(all.len(), 1, "one message expected");
    all.remove(0)
}

/// The resources of one type in a translation.
pub fn resources_of<'a>(translated: &'a Translated, kind: &str) -> Vec<&'a Value> {
    translated
        .resources()
        .filter(|(k, _, _)| *k == kind)
        .map(|(_, _, r)| r)
        .collect()
}

pub fn only<'a>(translated: &'a Translated, kind: &str) -> &'a Value {
    let found = resources_of(translated, kind);
    assert_eq!(found.len(), 1, "one {kind} expected, got {}", found.len());
    found[0]
}

pub fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let definitions = fhir_package::core().expect("core definitions load");
        Validator::new(definitions, ValidatorConfig::default()).expect("validator builds")
    })
}

/// Error-level validator issues for every resource and for the Bundle itself.
pub fn validation_errors(translated: &Translated) -> Vec<String> {
    let validator = validator();
    let options = ValidateOptions::default();
    let mut errors = Vec::new();
    for (kind, id, resource) in translated.resources() {
        for issue in validator.validate(resource, &options).errors() {
            errors.push(format!("{kind}/{id}: {issue}"));
        }
    }
    for issue in validator.validate(&translated.bundle, &options).errors() {
        errors.push(format!("Bundle: {issue}"));
    }
    errors
}

/// `<workspace>/../shared/data/<rel>`, or `None` after printing the skip line.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let manifest = dir.join("Cargo.toml");
        if std::fs::read_to_string(&manifest).is_ok_and(|t| t.contains("[workspace]")) {
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
