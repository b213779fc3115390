//! Behaviour that the invalid suite cannot show: what is *not* an error,
//! operator-enforced profiles, and the OperationOutcome rendering.
mod common;

use fhir_validate::{IssueType, Layer, Severity, ValidateOptions, Validator, ValidatorConfig};
use serde_json::json;
use std::collections::HashMap;

const VITALS: &str = "http://hl7.org/fhir/StructureDefinition/vitalsigns";

/// A valid Observation that is not a vital sign (a vital sign code would
/// bring its vital signs profile, which needs a category).
fn observation() -> serde_json::Value {
    json!({
        "resourceType": "Observation", "id": "o1", "status": "final",
        "code": { "coding": [{ "system": "http://loinc.org", "code": "2339-0" }] },
        "subject": { "reference": "Patient/p1" },
        "effectiveDateTime": "2024-01-02T10:00:00Z",
        "valueQuantity": { "value": 95, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL" }
    })
}

#[test]
fn a_valid_resource_gives_one_information_issue() {
    let Some(v) = common::validator() else { return };
    let report = v.validate(&observation(), &ValidateOptions::default());
    assert!(!report.has_errors(), "{:?}", report.issues);
    let oo = v.validate(&json!({"resourceType": "Basic", "id": "b", "code": {"text": "x"},
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}}),
        &ValidateOptions::default()).to_operation_outcome();
    assert_eq!(oo["resourceType"], "OperationOutcome");
    assert_eq!(oo["issue"][0]["severity"], "information");
}

#[test]
fn a_required_primitive_may_be_only_an_extension() {
    let Some(v) = common::validator() else { return };
    let mut obs = observation();
    obs.as_object_mut().unwrap().remove("status");
    obs["_status"] = json!({ "extension": [{ "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown" }] });
    let report = v.validate(&obs, &ValidateOptions::default());
    assert!(
        !report
            .errors()
            .any(|i| i.expression == "Observation.status"),
        "{:?}",
        report.issues
    );
}

#[test]
fn unknown_declared_profile_and_unknown_extension_are_warnings() {
    let Some(v) = common::validator() else { return };
    let mut obs = observation();
    obs["meta"] = json!({ "profile": ["http://example.org/fhir/StructureDefinition/not-loaded"] });
    obs["extension"] = json!([{ "url": "http://example.org/fhir/StructureDefinition/site-flag", "valueBoolean": true }]);
    let report = v.validate(&obs, &ValidateOptions::default());
    assert!(!report.has_errors(), "{:?}", report.issues);
    let warned = |expr: &str| {
        report.issues.iter().any(|i| {
            i.expression == expr
                && i.severity == Severity::Warning
                && i.code == IssueType::NotSupported
        })
    };
    assert!(warned("Observation.meta.profile"));
    assert!(warned("Observation.extension[0]"));
}

#[test]
fn a_code_that_cannot_be_decided_locally_is_not_an_error() {
    let Some(v) = common::validator() else { return };
    // Attachment.contentType is bound (required) to BCP-13 mime types,
    // which are not enumerable locally.
    let patient = json!({ "resourceType": "Patient", "id": "p", "photo": [{ "contentType": "image/x-whatever" }] });
    let report = v.validate(&patient, &ValidateOptions::default());
    assert!(
        !report.errors().any(|i| i.code == IssueType::CodeInvalid),
        "{:?}",
        report.issues
    );
}

#[test]
fn enforced_profiles_apply_to_their_type_only() {
    let defs = fhir_package::core().expect("core definitions");
    let config = ValidatorConfig {
        enforced_profiles: HashMap::from([("Observation".to_string(), vec![VITALS.to_string()])]),
        ..ValidatorConfig::default()
    };
    let v = Validator::new(defs, config).expect("validator");
    let report = v.validate(&observation(), &ValidateOptions::default());
    assert!(
        report
            .errors()
            .any(|i| i.expression == "Observation.category"),
        "{:?}",
        report.issues
    );
    let patient = json!({ "resourceType": "Patient", "id": "p" });
    assert!(!v
        .validate(&patient, &ValidateOptions::default())
        .has_errors());
}

#[test]
fn an_unknown_enforced_profile_is_an_error() {
    let defs = fhir_package::core().expect("core definitions");
    let config = ValidatorConfig {
        enforced_profiles: HashMap::from([(
            "Observation".to_string(),
            vec!["http://example.org/nope".to_string()],
        )]),
        ..ValidatorConfig::default()
    };
    let v = Validator::new(defs, config).expect("validator");
    let report = v.validate(&observation(), &ValidateOptions::default());
    assert!(
        report.errors().any(|i| i.code == IssueType::NotSupported),
        "{:?}",
        report.issues
    );
}

#[test]
fn a_missing_schema_file_is_a_construction_error() {
    let defs = fhir_package::core().expect("core definitions");
    let config = ValidatorConfig {
        schema_path: Some("/nonexistent/fhir.schema.json.gz".into()),
        ..ValidatorConfig::default()
    };
    let err = Validator::new(defs, config).err().expect("must fail");
    assert!(err.to_string().contains("/nonexistent/fhir.schema.json.gz"));
}

#[test]
fn non_object_input_is_reported_not_panicked() {
    let Some(v) = common::validator() else { return };
    for input in [json!(null), json!([]), json!("Patient"), json!(42)] {
        let report = v.validate(&input, &ValidateOptions::default());
        assert!(report.has_errors(), "{input}");
    }
}

#[test]
fn the_validator_is_shared_across_threads() {
    let Some(v) = common::validator() else { return };
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    v.validate(&observation(), &ValidateOptions::default())
                        .has_errors()
                })
            })
            .collect();
        for h in handles {
            assert!(!h.join().unwrap());
        }
    });
}

#[test]
fn under_a_profile_base_constraints_report_once_and_profile_constraints_still_run() {
    let Some(v) = common::validator() else { return };
    let mut obs = observation();
    obs["meta"] = json!({ "profile": [VITALS] });
    // qty-3 (from the Quantity definition): a unit code needs its system.
    obs["valueQuantity"]
        .as_object_mut()
        .unwrap()
        .remove("system");
    let report = v.validate(&obs, &ValidateOptions::default());
    let qty3: Vec<_> = report
        .issues
        .iter()
        .filter(|i| i.message.contains("qty-3"))
        .collect();
    assert_eq!(qty3.len(), 1, "{:?}", report.issues);
    assert_eq!(qty3[0].expression, "Observation.valueQuantity");
    assert_eq!(qty3[0].code, IssueType::Invariant);

    // vs-2 (from the vital-signs profile itself) is still evaluated.
    let mut no_value = observation();
    no_value["meta"] = json!({ "profile": [VITALS] });
    no_value.as_object_mut().unwrap().remove("valueQuantity");
    let report = v.validate(&no_value, &ValidateOptions::default());
    assert!(
        report.issues.iter().any(|i| i.message.contains("vs-2")),
        "{:?}",
        report.issues
    );
    let without_profile = v.validate(
        &{
            let mut o = observation();
            o.as_object_mut().unwrap().remove("valueQuantity");
            o
        },
        &ValidateOptions::default(),
    );
    assert!(!without_profile
        .issues
        .iter()
        .any(|i| i.message.contains("vs-2")));
}

#[test]
fn under_a_profile_an_error_inside_unconstrained_content_is_reported_once() {
    let Some(v) = common::validator() else { return };
    let mut obs = observation();
    obs["meta"] = json!({ "profile": [VITALS] });
    obs["subject"]["bogus"] = json!(1);
    obs["identifier"] = json!([{ "system": "urn:x", "value": "1", "period": { "start": "2024-02-01", "end": "2024-01-01" } }]);
    let report = v.validate(&obs, &ValidateOptions::default());
    let unknown: Vec<_> = report
        .issues
        .iter()
        .filter(|i| i.expression == "Observation.subject.bogus" && i.layer == Layer::Structure)
        .collect();
    // Once by the structure layer (the schema gate reports it too).
    assert_eq!(unknown.len(), 1, "{:?}", report.issues);
    assert_eq!(unknown[0].code, IssueType::Structure);
    // per-1 (Period: start <= end) deep inside an unconstrained Identifier.
    let per1: Vec<_> = report
        .issues
        .iter()
        .filter(|i| i.message.contains("per-1"))
        .collect();
    assert_eq!(per1.len(), 1, "{:?}", report.issues);
    assert_eq!(per1[0].expression, "Observation.identifier[0].period");
}

#[test]
fn one_finding_is_reported_once_across_layers() {
    let Some(v) = common::validator() else { return };
    let patient = json!({"resourceType": "Patient", "multipleBirthBoolean": "yes", "active": 1});
    let report = v.validate(&patient, &ValidateOptions::default());
    for element in ["Patient.multipleBirthBoolean", "Patient.active"] {
        let errors: Vec<_> = report
            .issues
            .iter()
            .filter(|i| i.severity.is_error() && i.expression == element)
            .collect();
        assert_eq!(errors.len(), 1, "{element}: {errors:?}");
        assert_eq!(
            errors[0].layer,
            Layer::JsonRules,
            "the precise message is kept"
        );
    }
}

#[test]
fn trailing_nulls_in_a_primitive_array_companion_still_align() {
    let Some(v) = common::validator() else { return };
    let patient = json!({ "resourceType": "Patient",
        "name": [{ "given": ["a"], "_given": [{ "id": "g1" }, null] }] });
    let report = v.validate(&patient, &ValidateOptions::default());
    assert!(!report.has_errors(), "{:?}", report.issues);
    let misaligned = json!({ "resourceType": "Patient",
        "name": [{ "given": ["a"], "_given": [null, { "id": "g2" }] }] });
    let report = v.validate(&misaligned, &ValidateOptions::default());
    assert!(report.has_errors(), "{:?}", report.issues);
}
