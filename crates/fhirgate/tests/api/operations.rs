use serde_json::json;

use crate::on_both_backends;
use crate::support::{get, post, Backend, TestServer};

fn metrics_and_health(backend: Backend) {
    let server = TestServer::start(backend);
    assert_eq!(
        post(&server.url("Patient"), &json!({"resourceType": "Patient"})).status,
        201
    );
    assert_eq!(get(&server.url("Patient/missing")).status, 404);
    let live = get(&format!("{}/health/live", server.root));
    assert_eq!(live.status, 200);
    let ready = get(&format!("{}/health/ready", server.root));
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.json()["database"], "ok");
    let metrics = get(&format!("{}/metrics", server.root));
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/plain")));
    for expected in [
        "fhirgate_http_requests_total{interaction=\"create\",resource_type=\"Patient\",status=\"201\"} 1",
        "fhirgate_http_requests_total{interaction=\"read\",resource_type=\"Patient\",status=\"404\"} 1",
        "fhirgate_http_request_duration_seconds_bucket{interaction=\"create\"",
        "fhirgate_db_pool_in_use",
        "fhirgate_db_pool_idle",
        "fhirgate_build_info{database=",
    ] {
        assert!(metrics.text.contains(expected), "missing {expected} in\n{}", metrics.text);
    }
}

on_both_backends!(metrics_and_health);
