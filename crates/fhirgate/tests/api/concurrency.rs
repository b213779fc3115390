use std::sync::Arc;

use serde_json::json;

use crate::on_both_backends;
use crate::support::{all_at_once, get, put, send, Backend, TestServer};

const WRITERS: usize = 20;

/// WRITERS threads PUT `Patient/{id}` at the same instant; returns their statuses.
fn race(url: &str, id: &'static str, if_match: Option<&'static str>) -> Vec<u16> {
    let url = url.to_owned();
    all_at_once(WRITERS, move |n| {
        let body =
            json!({"resourceType": "Patient", "id": id, "name": [{"text": format!("writer {n}")}]});
        let headers: Vec<(&str, &str)> =
            if_match.map(|tag| ("If-Match", tag)).into_iter().collect();
        send("PUT", &url, &headers, Some(&body.to_string())).status
    })
}

fn concurrent_if_match_updates(backend: Backend) {
    let server = Arc::new(TestServer::start(backend));
    let url = server.url("Patient/race");
    assert_eq!(
        put(&url, &json!({"resourceType": "Patient", "id": "race"})).status,
        201
    );
    let statuses = race(&url, "race", Some("W/\"1\""));
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "exactly one wins: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        WRITERS - 1,
        "{statuses:?}"
    );
    let history = get(&server.url("Patient/race/_history")).json();
    assert_eq!(history["entry"].as_array().map(Vec::len), Some(2));
}

fn concurrent_blind_updates_lose_nothing(backend: Backend) {
    let server = Arc::new(TestServer::start(backend));
    let url = server.url("Patient/crowd");
    let statuses = race(&url, "crowd", None);
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        WRITERS - 1,
        "{statuses:?}"
    );
    let history =
        get(&server.url(&format!("Patient/crowd/_history?_count={}", WRITERS + 5))).json();
    let entries = history["entry"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), WRITERS, "every update is a version");
    let mut writers_seen: Vec<String> = entries
        .iter()
        .map(|e| {
            e["resource"]["name"][0]["text"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    writers_seen.sort();
    writers_seen.dedup();
    assert_eq!(writers_seen.len(), WRITERS, "no update lost");
    let versions: Vec<String> = entries
        .iter()
        .map(|e| {
            e["resource"]["meta"]["versionId"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = (1..=WRITERS).rev().map(|v| v.to_string()).collect();
    assert_eq!(versions, expected);
}

on_both_backends!(
    concurrent_if_match_updates,
    concurrent_blind_updates_lose_nothing
);
