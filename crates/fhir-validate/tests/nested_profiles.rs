//! A profile reaches into nested resources: the profile named on a
//! Bundle's entry resource type applies to that entry, and target profiles
//! the server does not know make a reference unverifiable (an error).
mod common;

use fhir_validate::ValidateOptions;
use serde_json::{json, Value};

const BUNDLE_PROFILE: &str = "http://example.org/fhir/StructureDefinition/patients-bundle";
const PATIENT_PROFILE: &str = "http://example.org/fhir/StructureDefinition/named-patient";

fn profiles() -> Vec<Value> {
    let sd = |url: &str, rt: &str, elements: Value| {
        json!({ "resourceType": "StructureDefinition", "url": url, "name": "P", "status": "draft",
            "kind": "resource", "abstract": false, "type": rt, "derivation": "constraint",
            "baseDefinition": format!("http://hl7.org/fhir/StructureDefinition/{rt}"),
            "differential": { "element": elements } })
    };
    vec![
        sd(
            PATIENT_PROFILE,
            "Patient",
            json!([
                { "id": "Patient.name", "path": "Patient.name", "min": 1 },
                { "id": "Patient.generalPractitioner", "path": "Patient.generalPractitioner",
                  "type": [{ "code": "Reference",
                             "targetProfile": ["http://example.org/fhir/StructureDefinition/not-loaded"] }] }
            ]),
        ),
        sd(
            BUNDLE_PROFILE,
            "Bundle",
            json!([
                { "id": "Bundle.entry.resource", "path": "Bundle.entry.resource",
                  "type": [{ "code": "Patient", "profile": [PATIENT_PROFILE] }] }
            ]),
        ),
    ]
}

fn errors_at(resource: &Value, profile: &str) -> Vec<String> {
    let Some(core) = common::validator() else {
        return Vec::new();
    };
    let v = common::validator_with(core, &profiles());
    let opts = ValidateOptions {
        profiles: vec![profile.to_string()],
        ..ValidateOptions::default()
    };
    v.validate(resource, &opts)
        .errors()
        .map(|i| i.expression.clone())
        .collect()
}

#[test]
fn the_entry_resource_profile_applies_to_each_entry() {
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
        { "fullUrl": "urn:uuid:00000000-0000-0000-0000-000000000001",
          "resource": { "resourceType": "Patient", "name": [{ "family": "Ruiz" }] } },
        { "fullUrl": "urn:uuid:00000000-0000-0000-0000-000000000002",
          "resource": { "resourceType": "Patient" } }
    ] });
    assert_eq!(
        errors_at(&bundle, BUNDLE_PROFILE),
        vec!["Bundle.entry[1].resource.name"]
    );
}

#[test]
fn an_unknown_target_profile_is_an_error() {
    let patient = json!({ "resourceType": "Patient", "name": [{ "family": "Ruiz" }],
        "generalPractitioner": [{ "reference": "Practitioner/1" }] });
    assert_eq!(
        errors_at(&patient, PATIENT_PROFILE),
        vec!["Patient.generalPractitioner[0]"]
    );
}
