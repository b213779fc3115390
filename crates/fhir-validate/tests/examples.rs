//! Every official R4 example validates without errors, except the listed
//! ones that really contain an error.
mod common;

use fhir_validate::ValidateOptions;
use std::collections::BTreeMap;

#[test]
fn official_examples_have_no_errors() {
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
    for (name, errors) in &failures {
        println!("{name}");
        for e in errors.iter().take(5) {
            println!("    {e}");
        }
    }
    println!("{} files, {} with errors", files.len(), failures.len());
    assert!(failures.is_empty());
}
