//! Datatype rules: an Attachment's size and hash agree with its data, and a
//! Quantity bound to a value set (a profile's units) is checked by its code.
mod common;

use fhir_validate::{ValidateOptions, Validator};
use serde_json::{json, Value};

fn error_messages(v: &Validator, resource: &Value, profiles: Vec<String>) -> Vec<String> {
    let opts = ValidateOptions {
        profiles,
        ..ValidateOptions::default()
    };
    v.validate(resource, &opts)
        .errors()
        .map(|i| i.message.clone())
        .collect()
}

fn media(content: Value) -> Value {
    json!({ "resourceType": "Media", "status": "completed", "content": content })
}

#[test]
fn attachment_size_and_hash_must_match_the_data() {
    let Some(v) = common::validator() else { return };
    // "help i'm a bug": 14 bytes, SHA-1 base64 below.
    let data = "aGVscCBpJ20gYSBidWc=";
    let good = media(
        json!({ "contentType": "text/plain", "data": data, "size": 14,
        "hash": "A5JzLb8YWDe4J9CPz6U0BbTlqkU=" }),
    );
    assert_eq!(error_messages(v, &good, vec![]), Vec::<String>::new());

    let bad = media(
        json!({ "contentType": "text/plain", "data": data, "size": 100,
        "hash": "2jmj7l5rSw0yVb/vlWAYkK/YBwk=" }),
    );
    let errors = error_messages(v, &bad, vec![]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with("Media.content: Attachment.size is 100, but data holds 14 bytes"));
    assert!(errors[1].contains("Attachment.hash '2jmj7l5rSw0yVb/vlWAYkK/YBwk='"));

    // Not a base64 SHA-1 at all (hex): a warning, not an error.
    let hex = media(json!({ "contentType": "text/plain", "data": data,
        "hash": "571ef9c5655840f324e679072ed62b1b95eef8a0" }));
    assert_eq!(error_messages(v, &hex, vec![]), Vec::<String>::new());
    let warned = v.validate(&hex, &ValidateOptions::default()).issues;
    assert!(
        warned
            .iter()
            .any(|i| i.message.contains("is not a base64 SHA-1")),
        "{warned:?}"
    );
}

#[test]
fn a_quantity_bound_by_a_profile_is_checked_by_its_code() {
    let Some(core) = common::validator() else {
        return;
    };
    let profile = json!({
        "resourceType": "StructureDefinition", "url": "http://example.org/fhir/StructureDefinition/aged",
        "name": "Aged", "status": "draft", "kind": "resource", "abstract": false, "type": "Observation",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation", "derivation": "constraint",
        "differential": { "element": [{ "id": "Observation.value[x]", "path": "Observation.value[x]",
            "type": [{ "code": "Quantity" }],
            "binding": { "strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/age-units" } }] }
    });
    let v = common::validator_with(core, &[profile]);
    let observation = |code: &str| {
        json!({ "resourceType": "Observation", "status": "final", "code": { "text": "age" },
            "valueQuantity": { "value": 3, "system": "http://unitsofmeasure.org", "code": code } })
    };
    let aged = vec!["http://example.org/fhir/StructureDefinition/aged".to_string()];
    assert_eq!(
        error_messages(&v, &observation("a"), aged.clone()),
        Vec::<String>::new()
    );
    let errors = error_messages(&v, &observation("m"), aged);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("http://unitsofmeasure.org#m is not in the required value set"));
}
