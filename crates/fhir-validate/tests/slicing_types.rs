//! A type-discriminated slice that allows several types takes items of any
//! of them, so its cardinality counts them all.
mod common;

use fhir_validate::ValidateOptions;
use serde_json::json;

#[test]
fn a_slice_of_several_types_counts_each_of_them() {
    let Some(core) = common::validator() else {
        return;
    };
    let profile = json!({
        "resourceType": "StructureDefinition", "url": "http://example.org/fhir/StructureDefinition/two-slices",
        "name": "TwoSlices", "status": "draft", "kind": "resource", "abstract": false, "type": "Bundle",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Bundle", "derivation": "constraint",
        "differential": { "element": [
            { "id": "Bundle.entry", "path": "Bundle.entry",
              "slicing": { "discriminator": [{ "type": "type", "path": "resource" }], "rules": "open" } },
            { "id": "Bundle.entry:who", "path": "Bundle.entry", "sliceName": "who", "min": 1, "max": "1" },
            { "id": "Bundle.entry:who.resource", "path": "Bundle.entry.resource",
              "type": [{ "code": "Practitioner" }, { "code": "PractitionerRole" }] }
        ] }
    });
    let v = common::validator_with(core, &[profile]);
    let bundle = |types: &[&str]| {
        let entries: Vec<_> = types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                json!({ "fullUrl": format!("urn:uuid:00000000-0000-0000-0000-00000000000{i}"),
                                  "resource": { "resourceType": t } })
            })
            .collect();
        json!({ "resourceType": "Bundle", "type": "collection", "entry": entries })
    };
    let opts = ValidateOptions {
        profiles: vec!["http://example.org/fhir/StructureDefinition/two-slices".into()],
        ..ValidateOptions::default()
    };
    let errors = |types: &[&str]| -> Vec<String> {
        v.validate(&bundle(types), &opts)
            .errors()
            .map(|i| i.message.clone())
            .collect()
    };
    assert_eq!(
        errors(&["Patient", "PractitionerRole"]),
        Vec::<String>::new()
    );
    let two = errors(&["Practitioner", "PractitionerRole"]);
    assert_eq!(two.len(), 1, "{two:?}");
    assert!(
        two[0].contains("slice 'who' allows fewer items than the 2 found"),
        "{two:?}"
    );
}
