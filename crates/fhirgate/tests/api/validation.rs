//! Validation on every write, `$validate`, and enforced profiles.

use serde_json::json;

use crate::on_both_backends;
use crate::support::{post, put, send, Backend, TestServer};

fn invalid_writes_are_refused_with_the_element(backend: Backend) {
    let server = TestServer::start(backend);
    let bad_date = post(
        &server.url("Patient"),
        &json!({"resourceType": "Patient", "birthDate": "1974-13-01"}),
    );
    let outcome = bad_date.assert_outcome(422, "value");
    assert_eq!(
        outcome["issue"][0]["expression"][0], "Patient.birthDate",
        "{outcome}"
    );
    let unknown = put(
        &server.url("Patient/u"),
        &json!({"resourceType": "Patient", "id": "u", "nickname": "Pete"}),
    );
    let outcome = unknown.json();
    assert_eq!(unknown.status, 422, "{outcome}");
    assert!(
        outcome["issue"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["expression"][0] == "Patient.nickname"),
        "{outcome}"
    );
    let missing_status = post(
        &server.url("Observation"),
        &json!({"resourceType": "Observation", "code": {"text": "x"}}),
    );
    assert_eq!(missing_status.status, 422, "{}", missing_status.text);
    let bad_code = post(
        &server.url("Patient"),
        &json!({"resourceType": "Patient", "gender": "yes"}),
    );
    let outcome = bad_code.json();
    assert_eq!(bad_code.status, 422, "{outcome}");
    assert_eq!(outcome["issue"][0]["expression"][0], "Patient.gender");
    let good = post(
        &server.url("Patient"),
        &json!({"resourceType": "Patient", "gender": "female", "birthDate": "1974-12"}),
    );
    assert_eq!(good.status, 201, "{}", good.text);
}

fn bundle_errors_point_into_the_entry(backend: Backend) {
    let server = TestServer::start(backend);
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", "resource": {"resourceType": "Patient", "active": true}},
        {"fullUrl": "urn:uuid:1c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", "resource": {"resourceType": "Patient", "birthDate": "yesterday"}}]});
    let reply = post(&server.url("$validate"), &bundle);
    assert_eq!(reply.status, 200);
    let outcome = reply.json();
    let expressions: Vec<&str> = outcome["issue"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["severity"] == "error")
        .filter_map(|i| i["expression"][0].as_str())
        .collect();
    assert!(
        expressions.contains(&"Bundle.entry[1].resource.birthDate"),
        "{outcome}"
    );
}

fn validate_operation(backend: Backend) {
    let server = TestServer::start(backend);
    let ok = post(
        &server.url("Patient/$validate"),
        &json!({"resourceType": "Patient", "active": true}),
    )
    .json();
    assert!(
        ok["issue"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|i| i["severity"] != "error"),
        "{ok}"
    );
    let wrapped = json!({"resourceType": "Parameters", "parameter": [
        {"name": "resource", "resource": {"resourceType": "Patient", "birthDate": "1974-02-30"}},
        {"name": "mode", "valueCode": "create"}]});
    let outcome = post(&server.url("Patient/$validate"), &wrapped).json();
    assert_eq!(
        outcome["issue"][0]["expression"][0], "Patient.birthDate",
        "{outcome}"
    );
    post(
        &server.url("Patient/$validate"),
        &json!({"resourceType": "Observation", "status": "final"}),
    )
    .assert_outcome(400, "structure");
    send("POST", &server.url("Patient/$validate"), &[], Some("{oops"))
        .assert_outcome(400, "structure");
    post(
        &server.url("Patient/$validate?mode=sideways"),
        &json!({"resourceType": "Patient"}),
    )
    .assert_outcome(400, "invalid");
    // Instance level validates the stored resource; the write went through with validation off.
    let lax = TestServer::start_with(backend, |s| s.validate_on_write = false);
    assert_eq!(
        put(
            &lax.url("Patient/x"),
            &json!({"resourceType": "Patient", "id": "x", "gender": "yes"})
        )
        .status,
        201
    );
    let stored = send("POST", &lax.url("Patient/x/$validate"), &[], None).json();
    assert_eq!(
        stored["issue"][0]["expression"][0], "Patient.gender",
        "{stored}"
    );
    let delete_mode = send(
        "POST",
        &lax.url("Patient/x/$validate?mode=delete"),
        &[],
        None,
    )
    .json();
    assert_eq!(delete_mode["issue"][0]["severity"], "information");
}

fn enforced_profiles(backend: Backend) {
    let server = TestServer::start_with(backend, |s| {
        s.enforced_profiles.insert(
            "Observation".into(),
            vec!["http://hl7.org/fhir/StructureDefinition/vitalsigns".into()],
        );
    });
    let plain = json!({"resourceType": "Observation", "status": "final", "code": {"text": "note"}});
    let refused = post(&server.url("Observation"), &plain);
    assert_eq!(
        refused.status, 422,
        "the vital-signs profile needs a category and subject: {}",
        refused.text
    );
    let warned = send("POST", &server.url("Patient"), &[("Prefer", "return=OperationOutcome")],
        Some(&json!({"resourceType": "Patient", "meta": {"profile": ["http://example.org/unknown-profile"]}}).to_string()));
    assert!(matches!(warned.status, 201 | 422), "{}", warned.text);
    assert!(
        warned.text.contains("unknown-profile"),
        "the unknown profile is reported: {}",
        warned.text
    );
}

on_both_backends!(
    invalid_writes_are_refused_with_the_element,
    bundle_errors_point_into_the_entry,
    validate_operation,
    enforced_profiles
);
