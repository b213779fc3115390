//! Every official R4 example validates without errors, except the listed
//! ones that really contain an error (checked by hand against the R4 spec).
mod common;

use fhir_validate::ValidateOptions;
use std::collections::BTreeMap;

/// Examples with real errors, and what is wrong with each.
const REALLY_INVALID: &[(&str, &str)] = &[
    ("DeviceMetric-example.json", "parent references a DeviceDefinition; R4 DeviceMetric.parent is Reference(Device)"),
    ("DeviceUseStatement-example.json", "reasonReference to a Procedure; R4 allows Condition|Observation|DiagnosticReport|DocumentReference|Media"),
    ("ImplementationGuide-fhir.json", "name and status are 1..1 and missing"),
    ("MedicationRequest-medrx0301.json", "dispenseRequest.performer references a Practitioner; R4 allows Organization only"),
    ("Observation-f202.json", "code 8310-5 is a body temperature, which SHALL conform to the bodytemp vital signs profile (effective[x] 1..1); it has no effective[x]"),
    ("Observation-clinical-gender.json", "performer references an Encounter, which is not an allowed target"),
    ("Questionnaire-qs1.json", "nested items have no linkId (1..1)"),
    ("SearchParameter-codesystem-extensions-CodeSystem-author.json", "base is 1..* and missing"),
    ("SearchParameter-codesystem-extensions-CodeSystem-effective.json", "base is 1..* and missing"),
    ("SearchParameter-codesystem-extensions-CodeSystem-end.json", "base is 1..* and missing"),
    ("SearchParameter-codesystem-extensions-CodeSystem-keyword.json", "base is 1..* and missing"),
    ("SearchParameter-codesystem-extensions-CodeSystem-workflow.json", "base is 1..* and missing"),
    ("SearchParameter-valueset-extensions-ValueSet-author.json", "base is 1..* and missing"),
    ("SearchParameter-valueset-extensions-ValueSet-effective.json", "base is 1..* and missing"),
    ("SearchParameter-valueset-extensions-ValueSet-end.json", "base is 1..* and missing"),
    ("SearchParameter-valueset-extensions-ValueSet-keyword.json", "base is 1..* and missing"),
    ("SearchParameter-valueset-extensions-ValueSet-workflow.json", "base is 1..* and missing"),
    ("SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json", "id has 67 characters; ids are at most 64"),
    ("StructureDefinition-Definition.json", "sdf-4: not abstract and no baseDefinition"),
    ("StructureDefinition-Event.json", "sdf-4: not abstract and no baseDefinition"),
    ("StructureDefinition-FiveWs.json", "sdf-4: not abstract and no baseDefinition"),
    ("StructureDefinition-Request.json", "sdf-4: not abstract and no baseDefinition"),
];

#[test]
fn official_examples_have_no_errors_except_the_really_invalid_ones() {
    let Some(dir) = common::shared_data("fhir-examples") else {
        return;
    };
    let Some(validator) = common::validator() else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let report = validator.validate(&value, &ValidateOptions::default());
        let errors: Vec<String> = report.errors().map(|i| i.to_string()).collect();
        if !errors.is_empty() {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            failures.insert(name, errors);
        }
    }
    let mut unexpected = Vec::new();
    for (name, errors) in &failures {
        if !REALLY_INVALID.iter().any(|(n, _)| n == name) {
            unexpected.push(name.clone());
            println!("{name}");
            for e in errors.iter().take(5) {
                println!("    {e}");
            }
        }
    }
    let missed: Vec<&str> = REALLY_INVALID
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !failures.contains_key(*n))
        .collect();
    println!(
        "{} files, {} with errors, {} unexpected",
        files.len(),
        failures.len(),
        unexpected.len()
    );
    assert!(files.len() >= 800, "expected the 818 official examples");
    assert!(
        unexpected.is_empty(),
        "valid examples reported invalid: {unexpected:?}"
    );
    assert!(
        missed.is_empty(),
        "really invalid examples not caught: {missed:?}"
    );
}
