//! The CLI tools, run as the real binary.

mod cli_support;

use std::process::Output;

use cli_support::fhirgate;

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const ADT: &[u8] = b"MSH|^~\\&|LAB|HOSP|GATE|HUB|20240101120000||ADT^A08^ADT_A01|MSG001|P|2.5.1|||||||UNICODE UTF-8\rPID|1||12345^^^HOSP^MR~67890^^^STATE^SS||M\\XC3BC\\ller^Hans^J||19800101|M\rNTE|1||line one\\.br\\line two \\F\\ pipe\r";

#[test]
fn v2_prints_decoded_json_and_single_values() {
    let whole = fhirgate(&["v2"], ADT);
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let text = stdout(&whole);
    assert!(
        text.contains("Müller"),
        "\\XC3BC\\ decoded as UTF-8 bytes: {text}"
    );
    assert!(text.contains("pipe"));
    let family = fhirgate(&["v2", "--path", "PID-5.1"], ADT);
    assert_eq!(stdout(&family).trim(), "\"Müller\"");
    let second_id = fhirgate(&["v2", "--path", "PID-3[2].1"], ADT);
    assert_eq!(stdout(&second_id).trim(), "\"67890\"");
}

#[test]
fn v2_reports_garbage_and_exits_1() {
    let output = fhirgate(&["v2"], b"\x00\x01 this is not HL7");
    assert_eq!(output.status.code(), Some(1));
    assert!(!output.stderr.is_empty());
}

const PATIENT: &str = r#"{"resourceType":"Patient","id":"p","birthDate":"1974-12-25","name":[{"family":"Chalmers","given":["Peter","James"]}],"extension":[{"url":"http://x","valueDecimal":1.10}]}"#;

#[test]
fn fhirpath_over_one_resource() {
    let output = fhirgate(&["fhirpath", "Patient.name.given"], PATIENT.as_bytes());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout(&output).trim(), r#"["Peter","James"]"#);
    let typed = fhirgate(
        &[
            "fhirpath",
            "Patient.birthDate.is(date) and Patient.extension.value = 1.10",
        ],
        PATIENT.as_bytes(),
    );
    assert_eq!(stdout(&typed).trim(), "[true]");
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(PATIENT).expect("json"),
    )
    .expect("text");
    let multi_line = fhirgate(&["fhirpath", "Patient.name.family"], pretty.as_bytes());
    assert_eq!(stdout(&multi_line).trim(), r#"["Chalmers"]"#);
}

#[test]
fn fhirpath_streams_ndjson() {
    let ndjson = format!("{PATIENT}\n{{\"resourceType\":\"Patient\",\"id\":\"q\"}}\n");
    let output = fhirgate(&["fhirpath", "id", "-"], ndjson.as_bytes());
    assert!(output.status.success());
    assert_eq!(stdout(&output), "[\"p\"]\n[\"q\"]\n");
}

#[test]
fn fhirpath_syntax_error_names_the_position() {
    let output = fhirgate(&["fhirpath", "Patient.name.where("], PATIENT.as_bytes());
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("19") || message.contains("position"),
        "{message}"
    );
}

#[test]
fn validate_prints_outcomes_and_exits_1_on_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.json");
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(&good, r#"{"resourceType":"Patient","gender":"male"}"#).expect("write");
    std::fs::write(&bad, "{\"resourceType\":\"Patient\"}\n{\"resourceType\":\"Patient\",\"birthDate\":\"1974-13-01\"}\n").expect("write");
    let ok = fhirgate(&["validate", good.to_str().expect("path")], b"");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let outcome: serde_json::Value =
        serde_json::from_str(stdout(&ok).trim()).expect("an OperationOutcome");
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let failed = fhirgate(
        &[
            "validate",
            good.to_str().expect("path"),
            bad.to_str().expect("path"),
        ],
        b"",
    );
    assert_eq!(failed.status.code(), Some(1));
    let outcomes: Vec<serde_json::Value> = stdout(&failed)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(outcomes.len(), 3, "one per file, one per NDJSON line");
    assert_eq!(
        outcomes[2]["issue"][0]["expression"][0],
        "Patient.birthDate"
    );
    let twice = fhirgate(
        &["validate"],
        br#"{"resourceType":"Patient","gender":"male","gender":"female"}"#,
    );
    assert_eq!(twice.status.code(), Some(1));
    let outcome: serde_json::Value =
        serde_json::from_str(stdout(&twice).trim()).expect("an OperationOutcome");
    assert_eq!(outcome["issue"][0]["expression"][0], "Patient.gender");
    assert!(stdout(&twice).contains("'gender' appears twice"));
    let garbage = fhirgate(&["validate"], b"not json at all");
    assert_eq!(garbage.status.code(), Some(1));
    assert!(stdout(&garbage).contains("not valid JSON"));
    let profiled = fhirgate(
        &[
            "validate",
            "--profile",
            "http://hl7.org/fhir/StructureDefinition/vitalsigns",
        ],
        br#"{"resourceType":"Observation","status":"final","code":{"text":"x"}}"#,
    );
    assert_eq!(profiled.status.code(), Some(1), "{}", stdout(&profiled));
}
