//! The hand-written invalid resources of tests/invalid/: each must raise an
//! error with the expected expression and issue code. A second test counts
//! what each layer catches on its own.
mod common;

use fhir_validate::{IssueType, Layer, Layers, ValidateOptions};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Case {
    file: String,
    expression: String,
    code: String,
    rule: String,
    #[serde(default)]
    profiles: Vec<String>,
}

fn load_cases() -> Vec<(Case, serde_json::Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/invalid");
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let cases: Vec<Case> = serde_json::from_str(&manifest).unwrap();
    cases
        .into_iter()
        .map(|case| {
            let text = std::fs::read_to_string(dir.join(&case.file)).unwrap();
            let value = serde_json::from_str(&text).unwrap();
            (case, value)
        })
        .collect()
}

#[test]
fn every_invalid_resource_is_caught_at_the_right_element() {
    let Some(validator) = common::validator() else {
        return;
    };
    let cases = load_cases();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (case, value) in &cases {
        let code =
            IssueType::from_code(&case.code).unwrap_or_else(|| panic!("{}: bad code", case.file));
        let opts = ValidateOptions {
            profiles: case.profiles.clone(),
            ..ValidateOptions::default()
        };
        let report = validator.validate(value, &opts);
        let caught = report
            .errors()
            .any(|i| i.expression == case.expression && i.code == code);
        if !caught {
            let found: Vec<String> = report
                .issues
                .iter()
                .map(|i| format!("{} @ {}", i, i.expression))
                .collect();
            failures.push(format!(
                "{} ({}): expected {} at '{}', got:\n      {}",
                case.file,
                case.rule,
                case.code,
                case.expression,
                found.join("\n      ")
            ));
        }
    }
    for f in &failures {
        println!("{f}");
    }
    println!(
        "{} cases, {} not caught as expected",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty());
}

#[test]
fn what_each_layer_catches_alone() {
    let Some(validator) = common::validator() else {
        return;
    };
    let cases = load_cases();
    let mut counts = Vec::new();
    for layer in [Layer::JsonRules, Layer::Schema, Layer::Structure] {
        let opts = ValidateOptions {
            layers: Layers::only(layer),
            ..ValidateOptions::default()
        };
        let mut any_error = 0;
        let mut at_expression = 0;
        for (case, value) in &cases {
            let opts = ValidateOptions {
                profiles: case.profiles.clone(),
                ..opts.clone()
            };
            let report = validator.validate(value, &opts);
            assert!(report.issues.iter().all(|i| i.layer == layer));
            if report.has_errors() {
                any_error += 1;
            }
            if report.errors().any(|i| i.expression == case.expression) {
                at_expression += 1;
            }
        }
        println!(
            "{layer:?}: flags {any_error}/{} cases as invalid, {at_expression} at the expected element",
            cases.len()
        );
        counts.push((layer, any_error));
    }
    // The layers are complementary: the JSON rules and the schema see only
    // the shape, the structure layer sees profiles, references, invariants.
    let by = |l: Layer| counts.iter().find(|(x, _)| *x == l).map_or(0, |(_, n)| *n);
    assert!(by(Layer::JsonRules) > 60, "json rules catch too little");
    assert!(by(Layer::Schema) > 60, "schema catches too little");
    assert!(
        by(Layer::Structure) > by(Layer::Schema),
        "structure should catch more than the schema"
    );
}
