//! The ADT messages of ../shared/data/v2: each one translates (or is refused as an
//! unsupported event), validates with zero errors, and agrees structurally with the
//! published expected Bundles (resource counts, identifiers, names, birth date, gender,
//! encounter class). The expected Bundles come from other converters with other id schemes
//! and extra content (FHIR-Converter merges guarantor and insurance data into Patient), so
//! our values must be found among theirs rather than equal to them.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use serde_json::Value;
use translate::{Rejection, Translated};

fn adt_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("readable folder")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            (name.starts_with("ADT_") || name.starts_with("MULTI_ADT")) && !name.ends_with(".json")
        })
        .collect();
    files.sort();
    files
}

fn is_unsupported_event(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.starts_with("ADT_A40") || name.starts_with("ADT_A47")
}

#[test]
fn every_shared_adt_message_translates_and_validates() {
    let Some(dir) = shared_data("v2") else {
        return;
    };
    let files = adt_files(&dir);
    assert!(
        files.len() >= 20,
        "expected the ADT development subset, found {}",
        files.len()
    );
    let mut translated_count = 0;
    for path in files {
        let bytes = std::fs::read(&path).expect("readable");
        // Refusing unparseable bytes is the parser's decision (the intake answers AR), not
        // the translator's: such files are skipped, and said so.
        let outcomes = match try_translate_all(&bytes) {
            Ok(outcomes) => outcomes,
            Err(error) => {
                println!("skipped: {} does not parse: {error}", path.display());
                continue;
            }
        };
        for (index, outcome) in outcomes.into_iter().enumerate() {
            let label = format!("{} message {}", path.display(), index + 1);
            match outcome {
                Ok(translated) => {
                    assert!(!is_unsupported_event(&path), "{label}: should be refused");
                    let errors = validation_errors(&translated);
                    assert!(errors.is_empty(), "{label}:\n{}", errors.join("\n"));
                    translated_count += 1;
                }
                Err(Rejection::Unsupported { code, .. }) if is_unsupported_event(&path) => {
                    assert_eq!(code, hl7v2::ErrorCode::UnsupportedEventCode, "{label}");
                }
                Err(rejection) => panic!("{label}: rejected: {rejection}"),
            }
        }
    }
    assert!(
        translated_count > 140,
        "only {translated_count} messages translated"
    );
}

fn expected_for(message: &Path) -> Option<std::path::PathBuf> {
    let name = message.file_name()?.to_str()?;
    let stem = name.strip_suffix(".hl7")?;
    let candidate = message.with_file_name(format!("{stem}.expected.fhir.json"));
    if candidate.exists() {
        return Some(candidate);
    }
    // The IG's sample Bundle for its ADT_A01 benchmark message has its own file name.
    (name == "ADT_A01__v2tofhir-ig__test_conversions.derived.hl7").then(|| {
        message.with_file_name("ADT_A01__v2tofhir-ig__FHIR_bundle.hl7_ADT_A01.expected.fhir.json")
    })
}

fn of_type<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| &entry["resource"])
        .filter(|resource| resource["resourceType"] == kind)
        .collect()
}

fn strings(resource: &Value, list: &str, key: &str) -> Vec<String> {
    resource[list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item[key].as_str().map(str::to_owned))
        .collect()
}

fn compare(label: &str, ours: &Translated, expected: &Value) {
    let our_patients = of_type(&ours.bundle, "Patient");
    let their_patients = of_type(expected, "Patient");
    assert_eq!(
        our_patients.len(),
        their_patients.len(),
        "{label}: Patient count"
    );
    let Some((ours, theirs)) = our_patients.first().zip(their_patients.first()) else {
        return;
    };
    let their_ids: BTreeSet<_> = strings(theirs, "identifier", "value").into_iter().collect();
    let our_ids = strings(ours, "identifier", "value");
    assert!(!our_ids.is_empty(), "{label}: no identifiers");
    for id in &our_ids {
        assert!(
            their_ids.contains(id),
            "{label}: identifier {id} not in {their_ids:?}"
        );
    }
    let their_families: BTreeSet<_> = strings(theirs, "name", "family").into_iter().collect();
    let our_families = strings(ours, "name", "family");
    assert_eq!(
        our_families.first(),
        strings(theirs, "name", "family").first(),
        "{label}: first family name"
    );
    for family in &our_families {
        assert!(
            their_families.contains(family),
            "{label}: family {family} not in {their_families:?}"
        );
    }
    let date = |resource: &Value| {
        resource["birthDate"]
            .as_str()
            .map(|d| d.chars().take(10).collect::<String>())
    };
    assert_eq!(date(ours), date(theirs), "{label}: birthDate");
    assert_eq!(ours["gender"], theirs["gender"], "{label}: gender");
}

fn compare_encounters(label: &str, ours: &Translated, expected: &Value, person_level: bool) {
    let our_encounters = of_type(&ours.bundle, "Encounter");
    let their_encounters = of_type(expected, "Encounter");
    if person_level {
        // A28/A31 carry a pseudo PV1: we make no Encounter (FHIR-Converter does).
        assert!(
            our_encounters.is_empty(),
            "{label}: no Encounter for a person-level event"
        );
        return;
    }
    assert_eq!(
        our_encounters.len(),
        their_encounters.len(),
        "{label}: Encounter count"
    );
    if let Some((ours, theirs)) = our_encounters.first().zip(their_encounters.first()) {
        assert_eq!(
            ours["class"]["code"], theirs["class"]["code"],
            "{label}: class"
        );
        assert_eq!(ours["status"], theirs["status"], "{label}: status");
    }
}

#[test]
fn shared_adt_translations_agree_with_the_expected_bundles() {
    let Some(dir) = shared_data("v2") else {
        return;
    };
    let mut compared = 0;
    for path in adt_files(&dir) {
        let Some(expected_path) = expected_for(&path) else {
            continue;
        };
        let expected: Value =
            serde_json::from_slice(&std::fs::read(&expected_path).expect("readable"))
                .expect("JSON");
        let label = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let Ok(mut outcomes) = try_translate_all(&std::fs::read(&path).expect("readable")) else {
            println!("skipped: {label} does not parse");
            continue;
        };
        let outcome = outcomes.remove(0);
        if is_unsupported_event(&path) {
            assert!(
                matches!(outcome, Err(Rejection::Unsupported { .. })),
                "{label}"
            );
            continue;
        }
        let ours = outcome.unwrap_or_else(|r| panic!("{label}: {r}"));
        compare(&label, &ours, &expected);
        let person_level = label.starts_with("ADT_A28") || label.starts_with("ADT_A31");
        compare_encounters(&label, &ours, &expected, person_level);
        compared += 1;
    }
    assert!(
        compared >= 13,
        "only {compared} messages had expected Bundles"
    );
}
