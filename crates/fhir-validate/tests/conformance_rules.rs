//! Conformance resources consistent with the loaded definitions:
//! SearchParameter types, CapabilityStatement search parameters and
//! StructureDefinition differential paths.
mod common;

use fhir_validate::ValidateOptions;
use serde_json::{json, Value};

fn errors_at(resource: &Value) -> Vec<String> {
    let Some(v) = common::validator() else {
        return vec!["skipped".into()];
    };
    let report = v.validate(resource, &ValidateOptions::default());
    report.errors().map(|i| i.message.clone()).collect()
}

fn search_parameter(kind: &str, derived: Option<&str>, components: usize) -> Value {
    let mut sp = json!({ "resourceType": "SearchParameter", "url": "http://example.org/fhir/SearchParameter/n",
        "name": "N", "status": "draft", "description": "n", "code": "n", "base": ["Organization"],
        "type": kind, "expression": "Organization.name" });
    if let Some(derived) = derived {
        sp["derivedFrom"] = json!(derived);
    }
    let parts: Vec<Value> = (0..components)
        .map(|_| json!({ "definition": "http://hl7.org/fhir/SearchParameter/Organization-name", "expression": "name" }))
        .collect();
    if components > 0 {
        sp["component"] = json!(parts);
    }
    sp
}

#[test]
fn a_search_parameter_keeps_the_type_it_derives_from() {
    let org_name = Some("http://hl7.org/fhir/SearchParameter/Organization-name");
    assert_eq!(
        errors_at(&search_parameter("string", org_name, 0)),
        Vec::<String>::new()
    );
    let errors = errors_at(&search_parameter("token", org_name, 0));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("SearchParameter.type: type is token, but the SearchParameter"));
}

#[test]
fn a_composite_search_parameter_has_two_components() {
    let errors = errors_at(&search_parameter("composite", None, 1));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("at least two components, it has 1")),
        "{errors:?}"
    );
    let errors = errors_at(&search_parameter("composite", None, 2));
    assert!(
        !errors.iter().any(|e| e.contains("components")),
        "{errors:?}"
    );
}

#[test]
fn a_capability_statement_search_param_should_have_its_definitions_type() {
    let cs = json!({ "resourceType": "CapabilityStatement", "status": "draft", "date": "2024-01-01",
        "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"],
        "implementation": { "description": "x" },
        "rest": [{ "mode": "server", "resource": [{ "type": "AllergyIntolerance", "searchParam": [
            { "name": "clinical-status", "type": "date",
              "definition": "http://hl7.org/fhir/SearchParameter/AllergyIntolerance-clinical-status" },
            { "name": "code", "type": "token", "definition": "http://hl7.org/fhir/SearchParameter/clinical-code" }
        ] }] }] });
    assert_eq!(errors_at(&cs), Vec::<String>::new());
    let Some(v) = common::validator() else { return };
    let report = v.validate(&cs, &ValidateOptions::default());
    let warned: Vec<&str> = report.issues.iter().map(|i| i.message.as_str()).collect();
    assert!(
        warned.iter().any(|m| m.starts_with(
            "CapabilityStatement.rest[0].resource[0].searchParam[0].type: type is date, but its definition"
        )),
        "{warned:?}"
    );
}

#[test]
fn a_differential_names_only_elements_of_its_type() {
    let sd = |paths: &[&str]| {
        let elements: Vec<Value> = paths
            .iter()
            .map(|p| json!({ "id": p, "path": p }))
            .collect();
        json!({ "resourceType": "StructureDefinition", "url": "http://example.org/fhir/StructureDefinition/o",
            "name": "O", "status": "draft", "kind": "resource", "abstract": false, "type": "Observation",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
            "derivation": "constraint", "differential": { "element": elements } })
    };
    let good = sd(&[
        "Observation",
        "Observation.value[x]",
        "Observation.valueQuantity.code",
        "Observation.component.code.coding.system",
        "Observation.extension.value[x]",
    ]);
    assert_eq!(errors_at(&good), Vec::<String>::new());
    let errors = errors_at(&sd(&["Observation.valueBla", "Observation.code.codingX"]));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with("StructureDefinition.differential.element[0].path: differential path 'Observation.valueBla'"));
    assert!(errors[1].ends_with("'codingX' is not an element of CodeableConcept"));
}
