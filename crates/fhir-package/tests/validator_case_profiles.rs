//! The differential-only profiles of the reference validator's test cases
//! (`../shared/data/fhir-validator-cases`): each case's JSON profiles,
//! supporting resources and local packages are layered over the core, and
//! every StructureDefinition among them must get a usable element tree.

use std::fs;
use std::path::{Path, PathBuf};

use fhir_package::FhirDefinitions;
use serde_json::Value;

mod common;
use common::{core, shared_data};

/// The JSON files and local packages a case loads before validating.
fn case_inputs(dir: &Path, case: &Value) -> (Vec<PathBuf>, Vec<(String, String)>) {
    let mut names: Vec<&str> = Vec::new();
    let lists = [
        &case["profiles"],
        &case["supporting"],
        &case["profile"]["supporting"],
    ];
    for list in lists {
        names.extend(
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str),
        );
    }
    names.extend(case["profile"]["source"].as_str());
    let mut packages = Vec::new();
    // Dependencies (`package-map`) first, then the packages that need them.
    for name in case["package-map"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_str())
    {
        packages.push(dir.join(name));
    }
    let package_lists = [&case["packages"], &case["profile"]["packages"]];
    for list in package_lists {
        for name in list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if name.ends_with(".tgz") {
                packages.push(dir.join(name));
            }
        }
    }
    let extras = names
        .into_iter()
        .filter(|name| name.ends_with(".json"))
        .filter_map(|name| {
            let text = fs::read_to_string(dir.join(name)).ok()?;
            Some((
                name.to_string(),
                text.trim_start_matches('\u{feff}').to_string(),
            ))
        })
        .collect();
    (packages, extras)
}

#[test]
fn differential_only_profiles_of_the_validator_cases_get_snapshots() {
    let Some(dir) = shared_data("fhir-validator-cases") else {
        return;
    };
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).expect("manifest"))
            .expect("manifest JSON");
    let base = core();
    let (mut generated, mut failures) = (0, Vec::new());
    for case in manifest["test-cases"].as_array().into_iter().flatten() {
        let (packages, extras) = case_inputs(&dir, case);
        let urls: Vec<String> = extras
            .iter()
            .filter_map(|(_, text)| serde_json::from_str::<Value>(text).ok())
            .filter(|json| json["resourceType"] == "StructureDefinition")
            .filter(|json| json.get("snapshot").is_none())
            .filter_map(|json| json["url"].as_str().map(str::to_string))
            .collect();
        if urls.is_empty() {
            continue;
        }
        let defs = match FhirDefinitions::with_packages(&base, &packages, extras) {
            Ok(defs) => defs,
            Err(error) => {
                failures.push(format!("{}: {error}", case["name"]));
                continue;
            }
        };
        for url in urls {
            match defs.element_tree(&url) {
                Ok(_) => generated += 1,
                Err(error) => failures.push(format!("{}: {error}", case["name"])),
            }
        }
    }
    println!("{generated} differential-only profiles generated; failures: {failures:#?}");
    assert!(generated >= 30, "{generated}");
    assert!(failures.is_empty(), "{failures:#?}");
}
