//! Rules applied through profiles: minValue/maxValue (with UCUM
//! conversion), type slicing (resources and choice types), the vital signs
//! profiles the specification requires by code, and ImplementationGuide
//! `global` profiles.
mod common;

use fhir_package::FhirDefinitions;
use fhir_validate::{Severity, ValidateOptions, Validator, ValidatorConfig};
use serde_json::{json, Value};
use std::sync::Arc;

/// The core plus `resources`, as a validator.
fn validator_with(core: &Validator, resources: Vec<Value>) -> Validator {
    let texts = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("test-{i}"), r.to_string()))
        .collect();
    let defs = FhirDefinitions::with_resources(core.definitions(), texts)
        .expect("resources layer over the core");
    let config = ValidatorConfig {
        schema_path: core.definitions().fhir_schema_path().map(Into::into),
        ..ValidatorConfig::default()
    };
    Validator::new(Arc::new(defs), config).expect("validator builds")
}

/// The core plus one profile.
fn with_profile(core: &Validator, url: &str, type_name: &str, elements: Value) -> Validator {
    validator_with(core, vec![profile(url, type_name, elements)])
}

fn profile(url: &str, type_name: &str, elements: Value) -> Value {
    json!({
        "resourceType": "StructureDefinition", "url": url, "name": "Test", "status": "draft",
        "kind": "resource", "abstract": false, "type": type_name,
        "baseDefinition": format!("http://hl7.org/fhir/StructureDefinition/{type_name}"),
        "derivation": "constraint", "differential": { "element": elements }
    })
}

fn issues(v: &Validator, resource: &Value, profiles: &[&str], severity: Severity) -> Vec<String> {
    let opts = ValidateOptions {
        profiles: profiles.iter().map(|p| p.to_string()).collect(),
        ..ValidateOptions::default()
    };
    v.validate(resource, &opts)
        .issues
        .into_iter()
        .filter(|i| {
            i.severity == severity || (severity == Severity::Error && i.severity.is_error())
        })
        .map(|i| format!("{}: {}", i.expression, i.message))
        .collect()
}

fn observation(value: Value) -> Value {
    json!({ "resourceType": "Observation", "status": "final", "code": { "text": "x" },
        "valueQuantity": value })
}

#[test]
fn quantity_limits_compare_after_ucum_conversion() {
    let Some(core) = common::validator() else {
        return;
    };
    let url = "http://example.org/fhir/StructureDefinition/weight-limits";
    let v = with_profile(
        core,
        url,
        "Observation",
        json!([
            { "path": "Observation.value[x]", "type": [{ "code": "Quantity" }] },
            { "path": "Observation.valueQuantity",
              "minValueQuantity": { "value": 0, "system": "http://unitsofmeasure.org", "code": "kg" },
              "maxValueQuantity": { "value": 2, "system": "http://unitsofmeasure.org", "code": "kg" } }
        ]),
    );
    let grams = |n: i64| {
        observation(json!({ "value": n, "system": "http://unitsofmeasure.org", "code": "g" }))
    };
    assert_eq!(
        issues(&v, &grams(1500), &[url], Severity::Error),
        Vec::<String>::new()
    );

    let low = issues(&v, &grams(-1), &[url], Severity::Error);
    assert_eq!(low.len(), 1, "{low:?}");
    assert!(
        low[0].contains("value -1 g is less than the minValue 0 kg"),
        "{low:?}"
    );
    assert!(low[0].contains("after UCUM conversion"));

    let high = issues(&v, &grams(2500), &[url], Severity::Error);
    assert_eq!(high.len(), 1, "{high:?}");
    assert!(high[0].contains("greater than the maxValue 2 kg"));

    // A length cannot be compared with a mass: a warning, not a pass.
    let cm =
        observation(json!({ "value": 5, "system": "http://unitsofmeasure.org", "code": "cm" }));
    assert_eq!(
        issues(&v, &cm, &[url], Severity::Error),
        Vec::<String>::new()
    );
    let warnings = issues(&v, &cm, &[url], Severity::Warning);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("not comparable with 'kg'")),
        "{warnings:?}"
    );
}

#[test]
fn integer_limits_bound_the_number() {
    let Some(core) = common::validator() else {
        return;
    };
    let url = "http://example.org/fhir/StructureDefinition/few-births";
    let v = with_profile(
        core,
        url,
        "Patient",
        json!([{ "path": "Patient.multipleBirth[x]", "type": [{ "code": "integer" }],
                     "maxValueInteger": 4 }]),
    );
    let patient = |n: i64| json!({ "resourceType": "Patient", "multipleBirthInteger": n });
    assert_eq!(
        issues(&v, &patient(3), &[url], Severity::Error),
        Vec::<String>::new()
    );
    let errors = issues(&v, &patient(5), &[url], Severity::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("value 5 is greater than the maxValue 4"));
}

#[test]
fn type_slices_count_every_type_they_allow() {
    let Some(core) = common::validator() else {
        return;
    };
    let url = "http://example.org/fhir/StructureDefinition/one-carer";
    let v = with_profile(
        core,
        url,
        "Bundle",
        json!([
            { "id": "Bundle.entry", "path": "Bundle.entry",
              "slicing": { "discriminator": [{ "type": "type", "path": "resource" }], "rules": "open" } },
            { "id": "Bundle.entry:carer", "path": "Bundle.entry", "sliceName": "carer", "min": 1, "max": "1" },
            { "id": "Bundle.entry:carer.resource", "path": "Bundle.entry.resource",
              "type": [{ "code": "Practitioner" }, { "code": "Person" }] }
        ]),
    );
    let entry = |rt: &str, n: u32| {
        json!({ "fullUrl": format!("urn:uuid:00000000-0000-0000-0000-00000000000{n}"),
                "resource": { "resourceType": rt, "name": [{ "text": "x" }] } })
    };
    let bundle = |entries: Vec<Value>| json!({ "resourceType": "Bundle", "type": "collection", "entry": entries });
    let one = bundle(vec![entry("Patient", 1), entry("Person", 2)]);
    assert_eq!(
        issues(&v, &one, &[url], Severity::Error),
        Vec::<String>::new()
    );
    let two = bundle(vec![entry("Practitioner", 1), entry("Person", 2)]);
    let errors = issues(&v, &two, &[url], Severity::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("slice 'carer' allows fewer items than the 2 found"));
}

#[test]
fn a_type_slice_of_a_choice_takes_only_its_type() {
    let Some(core) = common::validator() else {
        return;
    };
    let url = "http://example.org/fhir/StructureDefinition/string-result";
    let v = with_profile(
        core,
        url,
        "Observation",
        json!([
            { "id": "Observation.value[x]", "path": "Observation.value[x]",
              "slicing": { "discriminator": [{ "type": "type", "path": "$this" }], "rules": "open" } },
            { "id": "Observation.value[x]:valueString", "path": "Observation.value[x]",
              "sliceName": "valueString", "min": 1, "type": [{ "code": "string" }] }
        ]),
    );
    let text = json!({ "resourceType": "Observation", "status": "final", "code": { "text": "x" },
        "valueString": "fine" });
    assert_eq!(
        issues(&v, &text, &[url], Severity::Error),
        Vec::<String>::new()
    );
    let quantity = observation(json!({ "value": 1 }));
    let errors = issues(&v, &quantity, &[url], Severity::Error);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("slice 'valueString' requires at least 1")),
        "{errors:?}"
    );
}

#[test]
fn a_vital_sign_code_brings_its_vital_signs_profile() {
    let Some(v) = common::validator() else { return };
    let temperature = |coding: Value| {
        json!({ "resourceType": "Observation", "status": "final",
            "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs" }] }],
            "code": { "coding": [coding] }, "subject": { "reference": "Patient/1" },
            "effectiveDateTime": "2020-06-30T09:50:55Z",
            "valueQuantity": { "value": 36.5, "unit": "C", "system": "http://unitsofmeasure.org", "code": "Cel" } })
    };
    let loinc = temperature(json!({ "system": "http://loinc.org", "code": "8310-5" }));
    assert_eq!(
        issues(v, &loinc, &[], Severity::Error),
        Vec::<String>::new()
    );
    // A SNOMED CT body temperature code without the LOINC code the body
    // temperature profile requires.
    let snomed = temperature(json!({ "system": "http://snomed.info/sct", "code": "276885007" }));
    let errors = issues(v, &snomed, &[], Severity::Error);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("Observation.code.coding") && e.contains("BodyTempCode")),
        "{errors:?}"
    );
}

#[test]
fn implementation_guide_globals_apply_to_their_type() {
    let Some(core) = common::validator() else {
        return;
    };
    let url = "http://example.org/fhir/StructureDefinition/named-patient";
    let guide = json!({ "resourceType": "ImplementationGuide",
        "url": "http://example.org/fhir/ImplementationGuide/test", "name": "Test", "status": "draft",
        "packageId": "example.test", "fhirVersion": ["4.0.1"],
        "global": [{ "type": "Patient", "profile": url }] });
    let v = validator_with(
        core,
        vec![
            profile(
                url,
                "Patient",
                json!([{ "path": "Patient.name", "min": 1 }]),
            ),
            guide,
        ],
    );
    let named = json!({ "resourceType": "Patient", "name": [{ "family": "Chalmers" }] });
    assert_eq!(
        issues(&v, &named, &[], Severity::Error),
        Vec::<String>::new()
    );
    let nameless = json!({ "resourceType": "Patient", "active": true });
    let errors = issues(&v, &nameless, &[], Severity::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Patient.name"), "{errors:?}");
}

#[test]
fn a_bundle_profile_applies_entry_type_profiles() {
    let Some(core) = common::validator() else {
        return;
    };
    let bundle_url = "http://example.org/fhir/StructureDefinition/org-bundle";
    let org_url = "http://example.org/fhir/StructureDefinition/endpointed-org";
    let v = validator_with(
        core,
        vec![
            profile(
                bundle_url,
                "Bundle",
                json!([{ "id": "Bundle.entry.resource", "path": "Bundle.entry.resource",
                         "type": [{ "code": "Organization", "profile": [org_url] }] }]),
            ),
            profile(
                org_url,
                "Organization",
                json!([
                    { "id": "Organization.name", "path": "Organization.name", "min": 1 },
                    { "id": "Organization.endpoint", "path": "Organization.endpoint",
                      "type": [{ "code": "Reference",
                                 "targetProfile": ["http://example.org/fhir/StructureDefinition/nowhere"] }] }
                ]),
            ),
        ],
    );
    let bundle = |org: Value| {
        json!({ "resourceType": "Bundle", "type": "collection",
            "entry": [{ "fullUrl": "http://example.org/fhir/Organization/1", "resource": org }] })
    };
    let named = bundle(json!({ "resourceType": "Organization", "id": "1", "name": "Acme" }));
    assert_eq!(
        issues(&v, &named, &[bundle_url], Severity::Error),
        Vec::<String>::new()
    );

    let nameless = bundle(
        json!({ "resourceType": "Organization", "id": "1", "identifier": [{ "value": "1" }] }),
    );
    let errors = issues(&v, &nameless, &[bundle_url], Severity::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("Bundle.entry[0].resource.name"),
        "{errors:?}"
    );

    // A reference the profile restricts to a profile nobody can resolve.
    let endpointed = bundle(
        json!({ "resourceType": "Organization", "id": "1", "name": "Acme",
        "endpoint": [{ "reference": "Endpoint/1" }] }),
    );
    let errors = issues(&v, &endpointed, &[bundle_url], Severity::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains(
            "target profile http://example.org/fhir/StructureDefinition/nowhere cannot be resolved"
        ),
        "{errors:?}"
    );
}

#[test]
fn a_vital_sign_needs_ucum_units_from_its_value_set() {
    let Some(v) = common::validator() else { return };
    let weight = |system: &str, code: &str| {
        json!({ "resourceType": "Observation", "status": "final",
            "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs" }] }],
            "code": { "coding": [{ "system": "http://loinc.org", "code": "29463-7" }] },
            "subject": { "reference": "Patient/1" }, "effectiveDateTime": "2020-06-30",
            "valueQuantity": { "value": 70, "unit": "weight", "system": system, "code": code } })
    };
    let ucum = "http://unitsofmeasure.org";
    assert_eq!(
        issues(v, &weight(ucum, "kg"), &[], Severity::Error),
        Vec::<String>::new()
    );
    let errors = issues(v, &weight(ucum, "kilo"), &[], Severity::Error);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("Observation.valueQuantity.code")
                && e.contains("'kilo' is not in the required value set")),
        "{errors:?}"
    );
    let errors = issues(
        v,
        &weight("http://example.org/units", "kg"),
        &[],
        Severity::Error,
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("Observation.valueQuantity.system")),
        "{errors:?}"
    );
}

#[test]
fn a_units_value_set_holds_a_coded_choice_value_as_extensible() {
    let Some(v) = common::validator() else { return };
    let heart_rate = json!({ "resourceType": "Observation", "status": "final",
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs" }] }],
        "code": { "coding": [{ "system": "http://loinc.org", "code": "8867-4" }] },
        "subject": { "reference": "Patient/1" }, "effectiveDateTime": "2020-06-30",
        "valueQuantity": { "value": 48, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min" },
        "component": [{ "code": { "coding": [{ "system": "urn:iso:std:iso:11073:10101", "code": "68193" }] },
            "valueCodeableConcept": { "coding": [{ "system": "urn:iso:std:iso:11073:10101", "code": "150588" }] } }] });
    assert_eq!(
        issues(v, &heart_rate, &[], Severity::Error),
        Vec::<String>::new()
    );
    let warnings = issues(v, &heart_rate, &[], Severity::Warning);
    assert!(
        warnings.iter().any(
            |w| w.starts_with("Observation.component[0].valueCodeableConcept")
                && w.contains("urn:iso:std:iso:11073:10101#150588 is not in the units")
        ),
        "{warnings:?}"
    );
}
