use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{get, post, put, send, Backend, TestServer};

fn entries(bundle: &Value) -> Vec<(String, String)> {
    bundle["entry"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|entry| {
                    let url = entry["fullUrl"].as_str().unwrap_or("");
                    let id = url.rsplit('/').next().unwrap_or("").to_owned();
                    (
                        id,
                        entry["response"]["etag"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn next_link(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|link| link["relation"] == "next")
        .and_then(|link| link["url"].as_str())
        .map(str::to_owned)
}

fn paging_through_type_and_system_history(backend: Backend) {
    let server = TestServer::start(backend);
    for n in 0..7 {
        let reply = put(
            &server.url(&format!("Patient/p{n}")),
            &json!({"resourceType": "Patient", "id": format!("p{n}")}),
        );
        assert_eq!(reply.status, 201);
    }
    assert_eq!(
        post(
            &server.url("Organization"),
            &json!({"resourceType": "Organization", "name": "Acme"})
        )
        .status,
        201
    );
    let mut url = Some(server.url("Patient/_history?_count=3"));
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(next) = url {
        let bundle = get(&next).json();
        assert_eq!(bundle["type"], "history");
        assert!(bundle["entry"].as_array().is_some_and(|e| e.len() <= 3));
        seen.extend(entries(&bundle));
        url = next_link(&bundle);
        pages += 1;
    }
    assert_eq!(pages, 3);
    let ids: Vec<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["p6", "p5", "p4", "p3", "p2", "p1", "p0"],
        "newest first, no gaps or repeats"
    );
    let system = get(&server.url("_history")).json();
    assert_eq!(system["entry"].as_array().map(Vec::len), Some(8));
    assert_eq!(
        system["entry"][0]["resource"]["resourceType"],
        "Organization"
    );
    get(&server.url("Patient/_history?_count=abc")).assert_outcome(400, "invalid");
    get(&server.url("Unicorn/_history")).assert_outcome(404, "not-supported");
    get(&server.url("Patient/nobody/_history")).assert_outcome(404, "not-found");
}

fn since_and_at(backend: Backend) {
    let server = TestServer::start(backend);
    let first = put(
        &server.url("Patient/a"),
        &json!({"resourceType": "Patient", "id": "a", "active": true}),
    )
    .json();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = put(
        &server.url("Patient/a"),
        &json!({"resourceType": "Patient", "id": "a", "active": false}),
    )
    .json();
    let first_time = first["meta"]["lastUpdated"]
        .as_str()
        .expect("lastUpdated")
        .to_owned();
    let second_time = second["meta"]["lastUpdated"]
        .as_str()
        .expect("lastUpdated")
        .to_owned();
    let encode = |t: &str| t.replace('+', "%2B");

    let since = get(&server.url(&format!(
        "Patient/a/_history?_since={}",
        encode(&second_time)
    )))
    .json();
    assert_eq!(entries(&since), [("a".to_owned(), "W/\"2\"".to_owned())]);
    let all = get(&server.url(&format!("_history?_since={}", encode(&first_time)))).json();
    assert_eq!(entries(&all).len(), 2);
    // _at the first version's time: only version 1 was current then.
    let at_first =
        get(&server.url(&format!("Patient/_history?_at={}", encode(&first_time)))).json();
    assert_eq!(entries(&at_first), [("a".to_owned(), "W/\"1\"".to_owned())]);
    let at_year = get(&server.url("Patient/_history?_at=1999")).json();
    assert!(entries(&at_year).is_empty());
    get(&server.url("Patient/_history?_since=yesterday")).assert_outcome(400, "invalid");
    get(&server.url("Patient/_history?_at=2024-13")).assert_outcome(400, "invalid");
    let deleted = send("DELETE", &server.url("Patient/a"), &[], None);
    assert_eq!(deleted.status, 204);
    let history = get(&server.url("Patient/a/_history")).json();
    assert_eq!(history["entry"][0]["request"]["method"], "DELETE");
    assert!(history["entry"][0].get("resource").is_none());
}

on_both_backends!(paging_through_type_and_system_history, since_and_at);
