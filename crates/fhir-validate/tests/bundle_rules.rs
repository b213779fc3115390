//! Bundle rules on whole Bundles: entry identity, paging links, search
//! entries, and references a document or message must resolve.
mod common;

use fhir_validate::ValidateOptions;
use serde_json::{json, Value};

fn errors_at(bundle: &Value) -> Vec<String> {
    let Some(v) = common::validator() else {
        return vec!["skipped".into()];
    };
    let report = v.validate(bundle, &ValidateOptions::default());
    report.errors().map(|i| i.expression.clone()).collect()
}

fn patient(id: &str) -> Value {
    json!({ "resourceType": "Patient", "id": id })
}

fn observation(id: &str, version: &str) -> Value {
    json!({ "resourceType": "Observation", "id": id, "meta": { "versionId": version },
        "status": "final", "code": { "text": "weight" } })
}

fn document(section_entries: Value, entries: Vec<Value>) -> Value {
    let composition = json!({
        "resourceType": "Composition", "id": "c", "status": "final",
        "type": { "text": "summary" }, "date": "2024-01-01", "title": "Summary",
        "subject": { "reference": "Patient/p" }, "author": [{ "reference": "Patient/p" }],
        "section": [{ "title": "Results", "entry": section_entries }]
    });
    let mut all =
        vec![json!({ "fullUrl": "http://x.org/fhir/Composition/c", "resource": composition })];
    all.extend(entries);
    json!({ "resourceType": "Bundle", "type": "document", "timestamp": "2024-01-01T00:00:00Z",
        "identifier": { "system": "urn:ietf:rfc:3986", "value": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0" },
        "entry": all })
}

fn entry(url: &str, resource: Value) -> Value {
    json!({ "fullUrl": url, "resource": resource })
}

#[test]
fn a_complete_document_has_no_bundle_errors() {
    let bundle = document(
        json!([{ "reference": "Observation/o/_history/1" }, { "reference": "Observation/o/_history/2" }]),
        vec![
            entry("http://x.org/fhir/Patient/p", patient("p")),
            entry("http://x.org/fhir/Observation/o", observation("o", "1")),
            entry("http://x.org/fhir/Observation/o", observation("o", "2")),
        ],
    );
    assert_eq!(errors_at(&bundle), Vec::<String>::new());
}

#[test]
fn document_references_must_resolve_once_in_the_bundle() {
    let bundle = document(
        json!([{ "reference": "Observation/o" }, { "reference": "Observation/o/_history/3" }]),
        vec![
            entry("http://x.org/fhir/Observation/o", observation("o", "1")),
            entry("http://x.org/fhir/Observation/o", observation("o", "2")),
        ],
    );
    let errors = errors_at(&bundle);
    for at in [
        "Bundle.entry[0].resource.subject",
        "Bundle.entry[0].resource.author[0]",
        "Bundle.entry[0].resource.section[0].entry[0]",
        "Bundle.entry[0].resource.section[0].entry[1]",
    ] {
        assert!(errors.iter().any(|e| e == at), "{at} not in {errors:?}");
    }
}

#[test]
fn message_focus_must_be_in_the_bundle() {
    let header = json!({ "resourceType": "MessageHeader", "id": "m",
        "eventCoding": { "system": "http://example.org/events", "code": "e" },
        "source": { "endpoint": "http://x.org/app" }, "focus": [{ "reference": "Patient/gone" }] });
    let bundle = json!({ "resourceType": "Bundle", "type": "message", "timestamp": "2024-01-01T00:00:00Z",
        "identifier": { "system": "urn:ietf:rfc:3986", "value": "urn:uuid:1c3151bd-1cbf-4d64-b04d-cd9187a4c6e0" },
        "entry": [entry("http://x.org/fhir/MessageHeader/m", header),
                  entry("http://x.org/fhir/Patient/p", patient("p"))] });
    assert_eq!(
        errors_at(&bundle),
        vec!["Bundle.entry[0].resource.focus[0]"]
    );
}

#[test]
fn full_urls_are_absolute_unique_and_match_restful_identity() {
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
        entry("Patient/a", patient("a")),
        entry("http://x.org/fhir/Patient/b", patient("c")),
        entry("urn:uuid:2c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", patient("d")),
        entry("urn:uuid:2c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", patient("e")),
    ] });
    assert_eq!(
        errors_at(&bundle),
        vec!["Bundle.entry[0].fullUrl", "Bundle.entry[3].fullUrl"]
    );
    let Some(v) = common::validator() else { return };
    let report = v.validate(&bundle, &ValidateOptions::default());
    let warned = report
        .issues
        .iter()
        .any(|i| i.expression == "Bundle.entry[1].fullUrl" && i.message.contains("Patient/c"));
    assert!(warned, "{:?}", report.issues);
}

#[test]
fn searchsets_check_links_and_entry_modes() {
    let bundle = json!({ "resourceType": "Bundle", "type": "searchset",
        "link": [
            { "relation": "self", "url": "http://x.org/fhir/Observation?code=1" },
            { "relation": "self", "url": "http://x.org/fhir/Observation?code=1" },
            { "relation": "alternate", "url": "http://x.org/a" },
            { "relation": "alternate", "url": "http://x.org/b" }
        ],
        "entry": [
            { "fullUrl": "http://x.org/fhir/Patient/p", "resource": patient("p"), "search": { "mode": "outcome" } },
            { "fullUrl": "urn:uuid:3c3151bd-1cbf-4d64-b04d-cd9187a4c6e0",
              "resource": { "resourceType": "Observation", "status": "final", "code": { "text": "x" } },
              "search": { "mode": "match" } },
            { "fullUrl": "http://x.org/fhir/Patient/q", "resource": patient("q"), "search": { "mode": "match" } },
            { "fullUrl": "http://x.org/fhir/Patient/r", "resource": patient("r"), "search": { "mode": "include" } }
        ] });
    assert_eq!(
        errors_at(&bundle),
        vec![
            "Bundle.link[1].relation",
            "Bundle.entry[0].resource",
            "Bundle.entry[1].resource",
            "Bundle.entry[2].resource"
        ]
    );
}
