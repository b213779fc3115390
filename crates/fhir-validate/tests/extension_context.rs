//! Extensions are used where their definitions say: on an element their
//! context names, and modifier extensions only in `modifierExtension`.
mod common;

use fhir_validate::ValidateOptions;
use serde_json::{json, Value};

fn errors(resource: &Value) -> Vec<(String, String)> {
    let Some(v) = common::validator() else {
        return Vec::new();
    };
    v.validate(resource, &ValidateOptions::default())
        .errors()
        .map(|i| (i.expression.clone(), i.message.clone()))
        .collect()
}

const MOTHERS_FAMILY: &str = "http://hl7.org/fhir/StructureDefinition/humanname-mothers-family";
const BIRTH_TIME: &str = "http://hl7.org/fhir/StructureDefinition/patient-birthTime";

#[test]
fn an_extension_in_its_context_is_accepted() {
    let patient = json!({ "resourceType": "Patient",
        "name": [{ "family": "Ruiz", "_family": { "extension": [{ "url": MOTHERS_FAMILY, "valueString": "Lopez" }] } }],
        "birthDate": "1970-03-30",
        "_birthDate": { "extension": [{ "url": BIRTH_TIME, "valueDateTime": "1970-03-30T14:35:45-05:00" }] },
        "extension": [{ "url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName", "valueString": "Lopez" }] });
    assert_eq!(errors(&patient), Vec::new());
}

#[test]
fn an_extension_outside_its_context_is_an_error() {
    let patient = json!({ "resourceType": "Patient",
        "name": [{ "family": "Ruiz", "extension": [{ "url": MOTHERS_FAMILY, "valueString": "Lopez" }] }] });
    let found = errors(&patient);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "Patient.name[0].extension[0]");
    assert!(
        found[0]
            .1
            .contains("is not allowed on Patient.name (HumanName)"),
        "{found:?}"
    );
    assert!(found[0].1.contains("HumanName.family"), "{found:?}");
}

#[test]
fn modifier_and_ordinary_extensions_keep_to_their_own_element() {
    let patient = json!({ "resourceType": "Patient",
        "modifierExtension": [{ "url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName", "valueString": "Lopez" }] });
    let found = errors(&patient);
    assert!(
        found
            .iter()
            .any(|(at, m)| at == "Patient.modifierExtension[0]"
                && m.contains("belongs in extension")),
        "{found:?}"
    );
}
