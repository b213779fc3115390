use serde_json::json;

use crate::on_both_backends;
use crate::support::{get, post, put, send, Backend, TestServer};

fn create_read_update_delete(backend: Backend) {
    let server = TestServer::start(backend);
    // Raw text: json! would turn 1.10 into the f64 1.1 before the server sees it.
    let patient = r#"{"resourceType": "Patient", "id": "ignored", "active": true,
        "name": [{"family": "Chalmers", "given": ["Peter"]}],
        "extension": [{"url": "http://example.org/weight", "valueDecimal": 1.10}]}"#;
    let created = send("POST", &server.url("Patient"), &[], Some(patient));
    assert_eq!(created.status, 201, "{}", created.text);
    let body = created.json();
    let id = body["id"].as_str().expect("server-assigned id").to_owned();
    assert_ne!(id, "ignored", "create ignores the id in the body");
    assert_eq!(body["meta"]["versionId"], "1");
    assert!(
        created.text.contains("\"valueDecimal\":1.10"),
        "decimal keeps its digits: {}",
        created.text
    );
    assert_eq!(created.header("etag"), Some("W/\"1\""));
    assert!(created.header("last-modified").is_some());
    let location = created.header("location").expect("Location");
    assert!(
        location.ends_with(&format!("/fhir/Patient/{id}/_history/1")),
        "{location}"
    );

    let read = get(&server.url(&format!("Patient/{id}")));
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), body);
    assert!(read.text.contains("1.10"));

    let mut changed = body.clone();
    changed["active"] = json!(false);
    let updated = put(&server.url(&format!("Patient/{id}")), &changed);
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json()["meta"]["versionId"], "2");
    assert_eq!(updated.header("etag"), Some("W/\"2\""));
    assert!(updated
        .header("location")
        .is_some_and(|l| l.ends_with("/_history/2")));

    let v1 = get(&server.url(&format!("Patient/{id}/_history/1")));
    assert_eq!(v1.status, 200);
    assert_eq!(v1.json()["active"], true);
    assert_eq!(
        get(&server.url(&format!("Patient/{id}/_history/9"))).status,
        404
    );
    assert_eq!(
        get(&server.url(&format!("Patient/{id}/_history/x"))).status,
        404
    );

    let deleted = send("DELETE", &server.url(&format!("Patient/{id}")), &[], None);
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.header("etag"), Some("W/\"3\""));
    get(&server.url(&format!("Patient/{id}"))).assert_outcome(410, "deleted");
    get(&server.url(&format!("Patient/{id}/_history/3"))).assert_outcome(410, "deleted");
    assert_eq!(
        get(&server.url(&format!("Patient/{id}/_history/2"))).status,
        200
    );
    // Deleting again changes nothing and still succeeds.
    assert_eq!(
        send("DELETE", &server.url(&format!("Patient/{id}")), &[], None).status,
        204
    );
    assert_eq!(
        send("DELETE", &server.url("Patient/never-existed"), &[], None).status,
        204
    );

    let history = get(&server.url(&format!("Patient/{id}/_history"))).json();
    let methods: Vec<&str> = history["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["request"]["method"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(methods, ["DELETE", "PUT", "POST"]);

    // Update after delete brings it back as a new version.
    let revived = put(&server.url(&format!("Patient/{id}")), &changed);
    assert_eq!(revived.status, 201, "{}", revived.text);
    assert_eq!(revived.json()["meta"]["versionId"], "4");
}

fn update_as_create(backend: Backend) {
    let server = TestServer::start(backend);
    let text = r#"{"resourceType": "Observation", "id": "obs-1", "status": "final",
        "code": {"text": "weight"}, "valueQuantity": {"value": 72.50, "unit": "kg"},
        "effectiveDateTime": "2024-03-01T10:15:00.120+05:30"}"#;
    let body: serde_json::Value = serde_json::from_str(text).expect("fixture");
    let created = send("PUT", &server.url("Observation/obs-1"), &[], Some(text));
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(created.text.contains("72.50"));
    assert!(
        created.text.contains("2024-03-01T10:15:00.120+05:30"),
        "time keeps precision and offset"
    );
    assert_eq!(
        get(&server.url("Observation/obs-1")).json()["meta"]["versionId"],
        "1"
    );

    let strict = TestServer::start_with(backend, |s| s.allow_update_create = false);
    put(&strict.url("Observation/obs-1"), &body).assert_outcome(405, "not-supported");
    let created = post(&strict.url("Observation"), &body);
    assert_eq!(created.status, 201);
}

fn meta_is_kept_but_server_fields_are_set(backend: Backend) {
    let server = TestServer::start(backend);
    let body = json!({"resourceType": "Patient", "id": "m1",
        "meta": {"versionId": "99", "lastUpdated": "2000-01-01T00:00:00Z", "profile": ["http://example.org/p"],
                 "tag": [{"system": "http://example.org", "code": "t"}]}});
    let reply = put(&server.url("Patient/m1"), &body).json();
    assert_eq!(reply["meta"]["versionId"], "1");
    assert_ne!(reply["meta"]["lastUpdated"], "2000-01-01T00:00:00Z");
    assert_eq!(reply["meta"]["profile"][0], "http://example.org/p");
    assert_eq!(reply["meta"]["tag"][0]["code"], "t");
}

/// FHIR JSON (R4 2.6.2): a key given twice is refused, naming the element;
/// a number reads back exactly as sent, exponent form included.
fn json_as_fhir_defines_it(backend: Backend) {
    let server = TestServer::start(backend);
    let twice = r#"{"resourceType": "Patient", "gender": "male", "gender": "female"}"#;
    let refused = send("POST", &server.url("Patient"), &[], Some(twice));
    refused.assert_outcome(400, "structure");
    let issue = &refused.json()["issue"][0];
    assert_eq!(issue["expression"][0], "Patient.gender", "{}", refused.text);
    assert!(
        issue["diagnostics"]
            .as_str()
            .is_some_and(|d| d.contains("'gender' appears twice")),
        "{}",
        refused.text
    );

    let text = r#"{"resourceType": "Observation", "status": "final", "code": {"text": "x"},
        "valueQuantity": {"value": 1E2}, "component": [{"code": {"text": "y"},
        "valueQuantity": {"value": -2.50e-3}}]}"#;
    let created = send("POST", &server.url("Observation"), &[], Some(text));
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap_or_default().to_owned();
    for read in [
        get(&server.url(&format!("Observation/{id}"))),
        get(&server.url(&format!("Observation/{id}?_pretty=true"))),
        get(&server.url(&format!("Observation/{id}/_history"))),
    ] {
        assert_eq!(read.status, 200, "{}", read.text);
        let compact: String = read.text.split_whitespace().collect();
        assert!(compact.contains(r#""value":1E2"#), "{}", read.text);
        assert!(compact.contains(r#""value":-2.50e-3"#), "{}", read.text);
    }
}

on_both_backends!(
    create_read_update_delete,
    json_as_fhir_defines_it,
    update_as_create,
    meta_is_kept_but_server_fields_are_set
);
