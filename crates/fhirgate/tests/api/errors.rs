use serde_json::json;

use crate::on_both_backends;
use crate::support::{get, post, put, send, Backend, TestServer};

fn bodies_that_are_not_resources(backend: Backend) {
    let server = TestServer::start(backend);
    let url = server.url("Patient");
    for body in [
        "{not json",
        "",
        "[1,2]",
        "{}",
        "{\"resourceType\": 5}",
        "{\"resourceType\":\"Nope\"}",
        "\u{0}\u{1}",
    ] {
        let reply = send("POST", &url, &[], Some(body));
        reply.assert_outcome(400, "structure");
    }
    let outcome = send("POST", &url, &[], Some("{\"resourceType\":\"Patient\","))
        .assert_outcome(400, "structure");
    assert!(outcome["issue"][0]["diagnostics"]
        .as_str()
        .unwrap_or("")
        .contains("line 1"));
}

fn type_and_id_rules(backend: Backend) {
    let server = TestServer::start(backend);
    let outcome = post(
        &server.url("Patient"),
        &json!({"resourceType": "Observation", "status": "final"}),
    )
    .assert_outcome(400, "structure");
    assert_eq!(
        outcome["issue"][0]["expression"][0],
        "Observation.resourceType"
    );
    let outcome = put(
        &server.url("Patient/a"),
        &json!({"resourceType": "Patient", "id": "b"}),
    )
    .assert_outcome(400, "structure");
    assert_eq!(outcome["issue"][0]["expression"][0], "Patient.id");
    put(
        &server.url("Patient/a"),
        &json!({"resourceType": "Patient"}),
    )
    .assert_outcome(400, "structure");
    put(
        &server.url("Patient/a_b"),
        &json!({"resourceType": "Patient", "id": "a_b"}),
    )
    .assert_outcome(400, "value");
    let long = "x".repeat(65);
    get(&server.url(&format!("Patient/{long}"))).assert_outcome(400, "value");
    get(&server.url("Unicorn/1")).assert_outcome(404, "not-supported");
    post(&server.url("Unicorn"), &json!({"resourceType": "Unicorn"}))
        .assert_outcome(404, "not-supported");
    get(&server.url("Patient/unknown")).assert_outcome(404, "not-found");
}

fn unknown_paths_and_methods(backend: Backend) {
    let server = TestServer::start(backend);
    get(&format!("{}/nothing/here", server.root)).assert_outcome(404, "not-found");
    get(&server.url("Patient/1/_history/1/extra")).assert_outcome(404, "not-found");
    send("POST", &server.url("Patient/1"), &[], Some("{}")).assert_outcome(405, "not-supported");
    send("DELETE", &server.url("metadata"), &[], None).assert_outcome(405, "not-supported");
    get(&server.url("Patient")).assert_outcome(501, "not-supported");
}

fn body_size_limit(backend: Backend) {
    let server = TestServer::start_with(backend, |s| s.body_limit = 2048);
    let big = json!({"resourceType": "Patient", "name": [{"text": "x".repeat(4096)}]});
    post(&server.url("Patient"), &big).assert_outcome(413, "too-costly");
    let small = json!({"resourceType": "Patient", "name": [{"text": "x".repeat(100)}]});
    assert_eq!(post(&server.url("Patient"), &small).status, 201);
}

on_both_backends!(
    bodies_that_are_not_resources,
    type_and_id_rules,
    unknown_paths_and_methods,
    body_size_limit
);
