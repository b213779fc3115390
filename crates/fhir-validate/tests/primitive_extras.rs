//! `_x` arrays align with their value arrays; trailing nulls carry nothing
//! and are accepted.
mod common;

use fhir_validate::ValidateOptions;
use serde_json::{json, Value};

fn errors(resource: &Value) -> Vec<String> {
    let Some(v) = common::validator() else {
        return Vec::new();
    };
    v.validate(resource, &ValidateOptions::default())
        .errors()
        .map(|i| i.expression.clone())
        .collect()
}

#[test]
fn trailing_nulls_in_an_underscore_array_are_accepted() {
    let patient = json!({ "resourceType": "Patient",
        "name": [{ "given": ["a"], "_given": [{ "id": "g1" }, null] }] });
    assert_eq!(errors(&patient), Vec::<String>::new());
}

#[test]
fn an_underscore_item_without_a_value_item_is_misaligned() {
    let patient = json!({ "resourceType": "Patient",
        "name": [{ "given": ["a"], "_given": [null, { "id": "g2" }] }] });
    assert!(
        errors(&patient).contains(&"Patient.name[0].given".to_string()),
        "{:?}",
        errors(&patient)
    );
}
