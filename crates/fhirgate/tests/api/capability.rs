//! Every claim in the CapabilityStatement is exercised (interactions, and
//! operations such as the terminology ones); nothing unclaimed is advertised.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{get, post, send, Backend, TestServer};

fn exercise(server: &TestServer, resource_type: &str, interaction: &str) {
    let id = format!("cap-{}", interaction.replace('-', ""));
    let body = json!({"resourceType": resource_type, "id": id}).to_string();
    let url = server.url(&format!("{resource_type}/{id}"));
    let ensure = || {
        assert!(matches!(
            send("PUT", &url, &[], Some(&body)).status,
            200 | 201
        ))
    };
    let status = match interaction {
        "read" => {
            ensure();
            get(&url).status
        }
        "vread" => {
            ensure();
            get(&format!("{url}/_history/1")).status
        }
        "update" => {
            ensure();
            send("PUT", &url, &[], Some(&body)).status
        }
        "delete" => {
            ensure();
            send("DELETE", &url, &[], None).status
        }
        "history-instance" => {
            ensure();
            get(&format!("{url}/_history")).status
        }
        "history-type" => get(&server.url(&format!("{resource_type}/_history"))).status,
        "create" => {
            post(
                &server.url(resource_type),
                &json!({"resourceType": resource_type}),
            )
            .status
        }
        other => panic!("the CapabilityStatement claims '{other}', which this test does not know"),
    };
    assert!(
        (200..300).contains(&status),
        "{resource_type} {interaction} answered {status}"
    );
}

/// A terminology operation claimed for a type answers a plain request.
fn exercise_operation(server: &TestServer, resource_type: &str, name: &str) {
    let gender = "http://hl7.org/fhir/administrative-gender";
    let query = match (resource_type, name) {
        ("ValueSet", "expand") => "url=http://hl7.org/fhir/ValueSet/administrative-gender".to_owned(),
        ("ValueSet", "validate-code") => format!(
            "url=http://hl7.org/fhir/ValueSet/administrative-gender&system={gender}&code=male"
        ),
        ("CodeSystem", "validate-code") => format!("url={gender}&code=male"),
        ("CodeSystem", "lookup") => format!("system={gender}&code=male"),
        ("ConceptMap", "translate") => format!(
            "url=http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2&system={gender}&code=male"
        ),
        other => panic!("the CapabilityStatement claims {other:?}, which this test does not know"),
    };
    let reply = get(&server.url(&format!("{resource_type}/${name}?{query}")));
    assert_eq!(reply.status, 200, "{resource_type}/${name}: {}", reply.text);
}

fn every_claim_holds(backend: Backend) {
    // Minimal bodies exercise the interactions; validation has its own tests.
    let server = TestServer::start_with(backend, |s| s.validate_on_write = false);
    let statement: Value = get(&server.url("metadata")).json();
    assert_eq!(statement["resourceType"], "CapabilityStatement");
    assert_eq!(statement["fhirVersion"], "4.0.1");
    for format in statement["format"].as_array().expect("formats") {
        let format = format.as_str().unwrap_or("").replace('+', "%2B");
        assert_eq!(
            get(&server.url(&format!("metadata?_format={format}"))).status,
            200,
            "{format}"
        );
    }
    let rest = &statement["rest"][0];
    for interaction in rest["interaction"].as_array().expect("system interactions") {
        assert_eq!(
            interaction["code"], "history-system",
            "only system history is implemented"
        );
        assert_eq!(get(&server.url("_history")).status, 200);
    }
    assert!(rest.get("searchParam").is_none());
    let operations: Vec<&str> = rest["operation"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(operations, ["validate"], "only $validate is implemented");
    let checked = post(
        &server.url("$validate"),
        &json!({"resourceType": "Patient", "birthDate": "1974-13-01"}),
    );
    assert_eq!(checked.status, 200);
    assert_eq!(checked.json()["issue"][0]["severity"], "error");
    let resources = rest["resource"].as_array().expect("resources");
    assert_eq!(
        resources.len(),
        fhir_core::resource_types::RESOURCE_TYPES.len()
    );
    for resource in resources {
        let resource_type = resource["type"].as_str().expect("type");
        assert!(
            resource.get("searchParam").is_none(),
            "search is not implemented"
        );
        let claimed: Vec<&str> = resource["interaction"]
            .as_array()
            .expect("interactions")
            .iter()
            .filter_map(|i| i["code"].as_str())
            .collect();
        assert!(!claimed.contains(&"search-type") && !claimed.contains(&"patch"));
        // All types share one implementation: exercise every claim on a sample,
        // and creation on every type.
        if ["Patient", "Observation", "Bundle", "Binary"].contains(&resource_type) {
            for interaction in &claimed {
                exercise(&server, resource_type, interaction);
            }
            assert_eq!(resource["updateCreate"], true);
            assert_eq!(resource["conditionalRead"], "full-support");
            let validated = post(
                &server.url(&format!("{resource_type}/$validate")),
                &json!({"resourceType": resource_type}),
            );
            assert_eq!(
                validated.status, 200,
                "{resource_type}/$validate: {}",
                validated.text
            );
            let url = server.url(&format!("{resource_type}/cap-read"));
            assert_eq!(
                send("GET", &url, &[("If-None-Match", "W/\"1\"")], None).status,
                304
            );
        } else {
            exercise(&server, resource_type, "create");
        }
        for operation in resource["operation"].as_array().expect("operations") {
            let name = operation["name"].as_str().expect("name");
            if name != "validate" {
                exercise_operation(&server, resource_type, name);
            }
        }
        for unsupported in ["conditionalCreate", "conditionalUpdate"] {
            assert_eq!(resource[unsupported], false);
        }
    }
    let strict = TestServer::start_with(backend, |s| s.allow_update_create = false);
    let statement = get(&strict.url("metadata")).json();
    assert_eq!(statement["rest"][0]["resource"][0]["updateCreate"], false);
}

on_both_backends!(every_claim_holds);
