//! The terminology operations over the packaged R4 core, by GET and POST:
//! `$expand` (filter, paging, too-costly), `$validate-code` on ValueSet and
//! CodeSystem (including codes the server cannot decide), `$lookup` and
//! `$translate`, and their errors.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{get, post, send, Backend, Reply, TestServer};

const GENDER_VS: &str = "http://hl7.org/fhir/ValueSet/administrative-gender";
const GENDER_CS: &str = "http://hl7.org/fhir/administrative-gender";
const V2_SEX: &str = "http://terminology.hl7.org/CodeSystem/v2-0001";
const GENDER_TO_V2: &str = "http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2";
const SNOMED: &str = "http://snomed.info/sct";

fn parameters(entries: Value) -> Value {
    json!({"resourceType": "Parameters", "parameter": entries})
}

/// The value (`value[x]`, `resource` or `part`) of the output parameter `name`.
fn output<'a>(answer: &'a Value, name: &str) -> Option<&'a Value> {
    let entry = answer["parameter"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)?;
    entry
        .as_object()?
        .iter()
        .find(|(key, _)| key.starts_with("value") || *key == "resource" || *key == "part")
        .map(|(_, value)| value)
}

fn codes(expanded: &Value) -> Vec<String> {
    expanded["expansion"]["contains"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["code"].as_str().map(str::to_owned))
        .collect()
}

fn ok(reply: Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

/// A 4xx OperationOutcome whose issue points at `parameter`.
fn refused(reply: Reply, status: u16, code: &str, parameter: &str) {
    let outcome = reply.assert_outcome(status, code);
    assert_eq!(outcome["issue"][0]["expression"][0], parameter, "{outcome}");
}

fn expand_pages_and_filters(backend: Backend) {
    let server = TestServer::start(backend);
    let whole = ok(get(
        &server.url(&format!("ValueSet/$expand?url={GENDER_VS}"))
    ));
    assert_eq!(whole["resourceType"], "ValueSet");
    assert_eq!(whole["url"], GENDER_VS);
    assert!(whole.get("compose").is_none());
    let expansion = &whole["expansion"];
    assert_eq!(expansion["total"], 4);
    assert_eq!(expansion["offset"], 0);
    assert!(expansion["identifier"]
        .as_str()
        .is_some_and(|i| i.starts_with("urn:uuid:")));
    assert!(expansion["timestamp"]
        .as_str()
        .is_some_and(|t| t.len() >= 20));
    assert_eq!(expansion["contains"][0]["system"], GENDER_CS);
    let all = codes(&whole);
    assert_eq!(all.len(), 4);

    // Instance level, by the packaged id, one page.
    let page = ok(get(
        &server.url("ValueSet/administrative-gender/$expand?count=2&offset=1")
    ));
    assert_eq!(codes(&page), all[1..3]);
    assert_eq!(page["expansion"]["total"], 4);
    let echoed = &page["expansion"]["parameter"];
    assert!(echoed
        .as_array()
        .is_some_and(|p| p.contains(&json!({"name": "count", "valueInteger": 2}))
            && p.contains(&json!({"name": "offset", "valueInteger": 1}))));

    // Filter: case-insensitive substring of code or display, by POST.
    let body = parameters(json!([
        {"name": "url", "valueUri": GENDER_VS},
        {"name": "filter", "valueString": "MAL"},
    ]));
    let filtered = ok(post(&server.url("ValueSet/$expand"), &body));
    let mut found = codes(&filtered);
    found.sort();
    assert_eq!(found, ["female", "male"]);
    assert_eq!(filtered["expansion"]["total"], 2);
    assert_eq!(filtered["expansion"]["parameter"][0]["valueString"], "MAL");

    // Paging through a larger value set is stable and complete.
    let url = "http://hl7.org/fhir/ValueSet/resource-types";
    let full = codes(&ok(
        get(&server.url(&format!("ValueSet/$expand?url={url}"))),
    ));
    assert!(full.len() > 100, "{}", full.len());
    let mut paged = Vec::new();
    for offset in (0..full.len()).step_by(40) {
        let page_url = server.url(&format!(
            "ValueSet/$expand?url={url}&count=40&offset={offset}"
        ));
        let first = codes(&ok(get(&page_url)));
        assert_eq!(first, codes(&ok(get(&page_url))), "same page twice");
        paged.extend(first);
    }
    assert_eq!(paged, full);

    // A ValueSet given in the body.
    let inline = json!({"resourceType": "ValueSet", "status": "active",
        "url": "http://example.org/vs/two-genders",
        "compose": {"include": [{"system": GENDER_CS, "concept": [{"code": "male"}, {"code": "female"}]}]}});
    let body = parameters(json!([{"name": "valueSet", "resource": inline}]));
    let expanded = ok(post(&server.url("ValueSet/$expand"), &body));
    assert_eq!(codes(&expanded), ["male", "female"]);
    assert_eq!(expanded["expansion"]["contains"][0]["display"], "Male");
}

fn expand_refuses_what_it_cannot_do(backend: Backend) {
    let server = TestServer::start(backend);
    let unknown = get(&server.url("ValueSet/$expand?url=http://example.org/vs/none"));
    let outcome = unknown.assert_outcome(404, "not-found");
    assert!(outcome["issue"][0]["diagnostics"]
        .as_str()
        .is_some_and(|d| d.contains("http://example.org/vs/none")));
    get(&server.url("ValueSet/no-such-id/$expand")).assert_outcome(404, "not-found");
    refused(get(&server.url("ValueSet/$expand")), 400, "required", "url");
    let with = |query: &str| get(&server.url(&format!("ValueSet/$expand?url={GENDER_VS}&{query}")));
    refused(with("count=ten"), 400, "invalid", "count");
    refused(with("offset=-1"), 400, "invalid", "offset");
    refused(with("activeOnly=yes"), 400, "invalid", "activeOnly");
    refused(with("count=1&count=2"), 400, "invalid", "count");
    let patient = post(
        &server.url("ValueSet/$expand"),
        &json!({"resourceType": "Patient"}),
    );
    patient.assert_outcome(400, "structure");
    let not_json = send("POST", &server.url("ValueSet/$expand"), &[], Some("{url"));
    not_json.assert_outcome(400, "structure");
    let bad_entry = parameters(json!([{"valueUri": GENDER_VS}]));
    post(&server.url("ValueSet/$expand"), &bad_entry).assert_outcome(400, "structure");
    let wrong_resource =
        parameters(json!([{"name": "valueSet", "resource": {"resourceType": "CodeSystem"}}]));
    refused(
        post(&server.url("ValueSet/$expand"), &wrong_resource),
        400,
        "invalid",
        "valueSet",
    );

    // 4,000 SNOMED CT codes packaged as a sample: too many at once, and
    // pages of it are marked incomplete, with no total.
    let reason = "http://hl7.org/fhir/ValueSet/encounter-reason";
    let costly = get(&server.url(&format!("ValueSet/$expand?url={reason}")));
    costly.assert_outcome(422, "too-costly");
    let page = ok(get(
        &server.url(&format!("ValueSet/$expand?url={reason}&count=10"))
    ));
    assert_eq!(codes(&page).len(), 10);
    assert!(page["expansion"].get("total").is_none(), "{page}");
    assert_eq!(page["expansion"]["extension"][0]["valueBoolean"], true);
}

fn validate_code_in_value_sets(backend: Backend) {
    let server = TestServer::start(backend);
    let check = |query: &str| ok(get(&server.url(&format!("ValueSet/$validate-code?{query}"))));
    let valid = check(&format!("url={GENDER_VS}&system={GENDER_CS}&code=female"));
    assert_eq!(output(&valid, "result"), Some(&json!(true)));
    assert_eq!(output(&valid, "display"), Some(&json!("Female")));

    let invalid = check(&format!("url={GENDER_VS}&system={GENDER_CS}&code=f"));
    assert_eq!(output(&invalid, "result"), Some(&json!(false)));
    assert!(
        output(&invalid, "message").is_some_and(|m| m.as_str().is_some_and(|m| m.contains("'f'")))
    );
    let issues = output(&invalid, "issues").expect("issues");
    assert_eq!(issues["issue"][0]["severity"], "error");

    let wrong_display = check(&format!(
        "url={GENDER_VS}&system={GENDER_CS}&code=male&display=Masculine"
    ));
    assert_eq!(output(&wrong_display, "result"), Some(&json!(false)));
    assert_eq!(output(&wrong_display, "display"), Some(&json!("Male")));

    // By the packaged id, with a coding, by POST.
    let body = parameters(json!([
        {"name": "coding", "valueCoding": {"system": GENDER_CS, "code": "other", "display": "other"}},
    ]));
    let by_id = ok(post(
        &server.url("ValueSet/administrative-gender/$validate-code"),
        &body,
    ));
    assert_eq!(output(&by_id, "result"), Some(&json!(true)));

    // A CodeableConcept is valid when one of its codings is.
    let body = parameters(json!([
        {"name": "url", "valueUri": GENDER_VS},
        {"name": "codeableConcept", "valueCodeableConcept": {"coding": [
            {"system": V2_SEX, "code": "M"}, {"system": GENDER_CS, "code": "male"}]}},
    ]));
    let concept = ok(post(&server.url("ValueSet/$validate-code"), &body));
    assert_eq!(output(&concept, "result"), Some(&json!(true)));

    // SNOMED CT is not carried: the server cannot decide, and says so.
    let condition = "http://hl7.org/fhir/ValueSet/condition-code";
    let undecided = check(&format!("url={condition}&system={SNOMED}&code=22298006"));
    assert_eq!(output(&undecided, "result"), None, "{undecided}");
    assert!(output(&undecided, "message")
        .and_then(Value::as_str)
        .is_some_and(|m| m.contains("cannot be decided")));
    let warning = &output(&undecided, "issues").expect("issues")["issue"][0];
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["code"], "not-supported");
    // A code of another system is simply not in that value set.
    let other = check(&format!("url={condition}&system={GENDER_CS}&code=male"));
    assert_eq!(output(&other, "result"), Some(&json!(false)));

    let url = |query: &str| get(&server.url(&format!("ValueSet/$validate-code?{query}")));
    refused(
        url(&format!("system={GENDER_CS}&code=male")),
        400,
        "required",
        "url",
    );
    refused(
        url(&format!("url={GENDER_VS}&code=male")),
        400,
        "required",
        "system",
    );
    refused(
        url(&format!("url={GENDER_VS}&system={GENDER_CS}")),
        400,
        "required",
        "code",
    );
    url("url=http://example.org/vs/none&system=x&code=y").assert_outcome(404, "not-found");
    let body = parameters(json!([
        {"name": "url", "valueUri": GENDER_VS},
        {"name": "codeableConcept", "valueCoding": {"system": GENDER_CS, "code": "male"}},
    ]));
    let mistyped = post(&server.url("ValueSet/$validate-code"), &body);
    refused(mistyped, 400, "invalid", "codeableConcept");
}

fn validate_code_in_code_systems(backend: Backend) {
    let server = TestServer::start(backend);
    let check = |query: &str| get(&server.url(&format!("CodeSystem/$validate-code?{query}")));
    let valid = ok(check(&format!("url={GENDER_CS}&code=male")));
    assert_eq!(output(&valid, "result"), Some(&json!(true)));
    assert_eq!(output(&valid, "display"), Some(&json!("Male")));
    let invalid = ok(check(&format!("url={GENDER_CS}&code=xyz")));
    assert_eq!(output(&invalid, "result"), Some(&json!(false)));

    let by_id = ok(post(
        &server.url("CodeSystem/administrative-gender/$validate-code"),
        &parameters(
            json!([{"name": "coding", "valueCoding": {"system": GENDER_CS, "code": "unknown"}}]),
        ),
    ));
    assert_eq!(output(&by_id, "result"), Some(&json!(true)));

    // SNOMED CT (packaged as not-present) and LOINC (only referenced): undecided.
    for (system, code) in [(SNOMED, "22298006"), ("http://loinc.org", "8867-4")] {
        let undecided = ok(check(&format!("url={system}&code={code}")));
        assert_eq!(output(&undecided, "result"), None, "{undecided}");
        let issue = &output(&undecided, "issues").expect("issues")["issue"][0];
        assert_eq!(issue["severity"], "warning", "{undecided}");
    }
    let unknown = check("url=http://example.org/cs/none&code=x");
    let outcome = unknown.assert_outcome(404, "not-found");
    assert!(outcome.to_string().contains("http://example.org/cs/none"));
    refused(check("code=male"), 400, "required", "url");
    refused(check(&format!("url={GENDER_CS}")), 400, "required", "code");
}

fn lookup_codes(backend: Backend) {
    let server = TestServer::start(backend);
    let male = ok(get(
        &server.url(&format!("CodeSystem/$lookup?system={GENDER_CS}&code=male"))
    ));
    assert_eq!(output(&male, "name"), Some(&json!("AdministrativeGender")));
    assert_eq!(output(&male, "display"), Some(&json!("Male")));
    assert_eq!(output(&male, "version"), Some(&json!("4.0.1")));

    let body = parameters(json!([
        {"name": "coding", "valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}},
        {"name": "property", "valueCode": "parent"},
    ]));
    let amb = ok(post(&server.url("CodeSystem/$lookup"), &body));
    assert_eq!(output(&amb, "display"), Some(&json!("ambulatory")));
    let properties: Vec<&Value> = amb["parameter"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == "property")
        .collect();
    assert!(!properties.is_empty(), "{amb}");
    assert!(
        properties
            .iter()
            .all(|p| p["part"][0]["valueCode"] == "parent"),
        "{amb}"
    );

    let lookup = |query: &str| get(&server.url(&format!("CodeSystem/$lookup?{query}")));
    let unknown_code = lookup(&format!("system={GENDER_CS}&code=xyz"));
    assert!(unknown_code
        .assert_outcome(404, "not-found")
        .to_string()
        .contains("xyz"));
    let snomed = lookup(&format!("system={SNOMED}&code=22298006"));
    assert!(snomed
        .assert_outcome(404, "not-found")
        .to_string()
        .contains("cannot be looked up"));
    lookup("system=http://example.org/cs/none&code=x").assert_outcome(404, "not-found");
    refused(lookup("code=male"), 400, "required", "system");
    refused(
        lookup(&format!("system={GENDER_CS}")),
        400,
        "required",
        "code",
    );
    refused(lookup("coding=male"), 400, "invalid", "coding");
}

fn translate_codes(backend: Backend) {
    let server = TestServer::start(backend);
    let forward = ok(get(&server.url(&format!(
        "ConceptMap/$translate?url={GENDER_TO_V2}&system={GENDER_CS}&code=male"
    ))));
    assert_eq!(output(&forward, "result"), Some(&json!(true)));
    let matched = output(&forward, "match").expect("match");
    assert_eq!(
        matched[0],
        json!({"name": "equivalence", "valueCode": "equal"})
    );
    assert_eq!(matched[1]["valueCoding"]["code"], "M");
    assert_eq!(matched[1]["valueCoding"]["system"], V2_SEX);
    assert_eq!(matched[2]["valueUri"], GENDER_TO_V2);

    // By id, with a coding, by POST.
    let body = parameters(
        json!([{"name": "coding", "valueCoding": {"system": GENDER_CS, "code": "female"}}]),
    );
    let by_id = ok(post(
        &server.url("ConceptMap/cm-administrative-gender-v2/$translate"),
        &body,
    ));
    assert_eq!(
        output(&by_id, "match").expect("match")[1]["valueCoding"]["code"],
        "F"
    );

    // Without a map: every packaged map in scope, narrowed to one target system.
    let any = ok(get(&server.url(&format!(
        "ConceptMap/$translate?system={GENDER_CS}&code=male&targetsystem={V2_SEX}"
    ))));
    assert_eq!(output(&any, "result"), Some(&json!(true)));
    assert!(any["parameter"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == "match")
        .all(|m| m["part"][1]["valueCoding"]["system"] == V2_SEX));

    let reverse = ok(get(&server.url(&format!(
        "ConceptMap/$translate?url={GENDER_TO_V2}&system={V2_SEX}&code=F&reverse=true"
    ))));
    assert_eq!(
        output(&reverse, "match").expect("match")[1]["valueCoding"]["code"],
        "female"
    );

    let none = ok(get(&server.url(&format!(
        "ConceptMap/$translate?url={GENDER_TO_V2}&system={GENDER_CS}&code=nothing"
    ))));
    assert_eq!(output(&none, "result"), Some(&json!(false)));
    assert!(output(&none, "message").is_some());

    let translate = |query: &str| get(&server.url(&format!("ConceptMap/$translate?{query}")));
    translate("url=http://example.org/cm/none&system=x&code=y").assert_outcome(404, "not-found");
    get(&server.url("ConceptMap/no-such-map/$translate?system=x&code=y"))
        .assert_outcome(404, "not-found");
    refused(
        translate(&format!("url={GENDER_TO_V2}")),
        400,
        "required",
        "code",
    );
    refused(
        translate(&format!("url={GENDER_TO_V2}&code=male")),
        400,
        "required",
        "system",
    );
    refused(
        translate(&format!(
            "url={GENDER_TO_V2}&system={GENDER_CS}&code=male&reverse=maybe"
        )),
        400,
        "invalid",
        "reverse",
    );
}

on_both_backends!(
    expand_pages_and_filters,
    expand_refuses_what_it_cannot_do,
    validate_code_in_value_sets,
    validate_code_in_code_systems,
    lookup_codes,
    translate_codes,
);
