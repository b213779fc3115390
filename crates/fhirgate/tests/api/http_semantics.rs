use serde_json::json;

use crate::on_both_backends;
use crate::support::{get, post, send, Backend, TestServer};

fn patient() -> serde_json::Value {
    json!({"resourceType": "Patient", "id": "p1", "active": true,
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Peter</div>"},
        "name": [{"family": "Chalmers"}], "photo": [{"title": "portrait"}], "birthDate": "1974-12-25"})
}

fn conditional_requests(backend: Backend) {
    let server = TestServer::start(backend);
    let url = server.url("Patient/p1");
    let body = patient().to_string();
    assert_eq!(send("PUT", &url, &[], Some(&body)).status, 201);
    // If-Match: wrong version refused, right version applied.
    send("PUT", &url, &[("If-Match", "W/\"7\"")], Some(&body)).assert_outcome(412, "conflict");
    send("PUT", &url, &[("If-Match", "banana")], Some(&body)).assert_outcome(400, "invalid");
    let applied = send("PUT", &url, &[("If-Match", "W/\"1\"")], Some(&body));
    assert_eq!(applied.status, 200, "{}", applied.text);
    send("DELETE", &url, &[("If-Match", "W/\"1\"")], None).assert_outcome(412, "conflict");
    // If-None-Match and If-Modified-Since give 304 when unchanged.
    assert_eq!(
        send("GET", &url, &[("If-None-Match", "W/\"2\"")], None).status,
        304
    );
    assert_eq!(
        send("GET", &url, &[("If-None-Match", "W/\"1\"")], None).status,
        200
    );
    let last_modified = get(&url)
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();
    assert_eq!(
        send("GET", &url, &[("If-Modified-Since", &last_modified)], None).status,
        304
    );
    let long_ago = "Mon, 01 Jan 2001 00:00:00 GMT";
    assert_eq!(
        send("GET", &url, &[("If-Modified-Since", long_ago)], None).status,
        200
    );
}

fn prefer_return(backend: Backend) {
    let server = TestServer::start(backend);
    let body = patient().to_string();
    let minimal = send(
        "POST",
        &server.url("Patient"),
        &[("Prefer", "return=minimal")],
        Some(&body),
    );
    assert_eq!(minimal.status, 201);
    assert!(minimal.text.is_empty());
    assert!(minimal.header("location").is_some() && minimal.header("etag").is_some());
    let outcome = send(
        "POST",
        &server.url("Patient"),
        &[("Prefer", "return=OperationOutcome")],
        Some(&body),
    );
    assert_eq!(outcome.status, 201);
    assert_eq!(outcome.json()["resourceType"], "OperationOutcome");
    let full = send(
        "POST",
        &server.url("Patient"),
        &[("Prefer", "return=representation")],
        Some(&body),
    );
    assert_eq!(full.json()["resourceType"], "Patient");
}

fn content_negotiation(backend: Backend) {
    let server = TestServer::start(backend);
    let body = patient().to_string();
    assert_eq!(
        send("PUT", &server.url("Patient/p1"), &[], Some(&body)).status,
        201
    );
    let url = server.url("Patient/p1");
    let fhir = send("GET", &url, &[("Accept", "application/fhir+json")], None);
    assert!(fhir
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/fhir+json")));
    let plain = send("GET", &url, &[("Accept", "application/json")], None);
    assert!(plain
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
    let browser = send(
        "GET",
        &url,
        &[("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
        None,
    );
    assert_eq!(browser.status, 200);
    send("GET", &url, &[("Accept", "application/fhir+xml")], None)
        .assert_outcome(406, "not-supported");
    get(&format!("{url}?_format=xml")).assert_outcome(406, "not-supported");
    assert_eq!(get(&format!("{url}?_format=json")).status, 200);
    assert_eq!(
        get(&format!("{url}?_format=application/fhir%2Bjson")).status,
        200
    );
    send(
        "PUT",
        &url,
        &[("Content-Type", "application/fhir+xml")],
        Some("<Patient/>"),
    )
    .assert_outcome(415, "not-supported");
    let pretty = get(&format!("{url}?_pretty=true"));
    assert!(
        pretty.text.contains("\n  \"id\": \"p1\""),
        "{}",
        pretty.text
    );
    assert!(!get(&url).text.contains('\n'));
}

fn gzip_when_asked(backend: Backend) {
    let server = TestServer::start(backend);
    let body = patient().to_string();
    assert_eq!(
        send("PUT", &server.url("Patient/p1"), &[], Some(&body)).status,
        201
    );
    // Raw HTTP, so that no client inflates the body before we look at it.
    use std::io::{Read, Write};
    let address = server.root.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    let request = format!("GET /fhir/Patient/p1 HTTP/1.1\r\nHost: {address}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let body = &raw[split + 4..];
    assert!(
        body.windows(2).any(|w| w == [0x1f, 0x8b]),
        "gzip magic in the body"
    );
    let inflated = send(
        "GET",
        &server.url("Patient/p1"),
        &[("Accept-Encoding", "gzip")],
        None,
    );
    assert_eq!(inflated.json()["id"], "p1");
}

fn summary_and_elements(backend: Backend) {
    let server = TestServer::start(backend);
    let body = patient().to_string();
    assert_eq!(
        send("PUT", &server.url("Patient/p1"), &[], Some(&body)).status,
        201
    );
    let summary = get(&server.url("Patient/p1?_summary=true")).json();
    assert!(summary.get("photo").is_none() && summary.get("text").is_none());
    assert_eq!(summary["birthDate"], "1974-12-25");
    assert_eq!(summary["meta"]["tag"][0]["code"], "SUBSETTED");
    let text = get(&server.url("Patient/p1?_summary=text")).json();
    assert!(text.get("text").is_some() && text.get("name").is_none());
    let data = get(&server.url("Patient/p1?_summary=data")).json();
    assert!(data.get("text").is_none() && data.get("photo").is_some());
    let elements = get(&server.url("Patient/p1?_elements=name,active")).json();
    let keys: Vec<&String> = elements
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["resourceType", "id", "meta", "active", "name"]);
    get(&server.url("Patient/p1?_summary=count")).assert_outcome(400, "invalid");
    get(&server.url("Patient/p1?_summary=maybe")).assert_outcome(400, "invalid");
    let v1 = get(&server.url("Patient/p1/_history/1?_elements=birthDate")).json();
    assert_eq!(v1["birthDate"], "1974-12-25");
    assert!(v1.get("name").is_none());
    assert_eq!(post(&server.url("Patient"), &patient()).status, 201);
}

on_both_backends!(
    conditional_requests,
    prefer_return,
    content_negotiation,
    gzip_when_asked,
    summary_and_elements
);
