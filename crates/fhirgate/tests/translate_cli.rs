//! `fhirgate translate`, run as the real binary.

mod cli_support;

use std::process::Output;

use cli_support::fhirgate;

use serde_json::Value;

const A08: &str =
    "MSH|^~\\&|LAB|HOSP|GATE|HUB|20240101120000+0100||ADT^A08^ADT_A01|MSG001|P|2.5.1\r\
    PID|1||12345^^^HOSP^MR||Muller^Hans||19800101|M||2106-3^White^HL70005\r\
    PV1|1|I|4E^401\r";

fn bundles(output: &Output) -> Vec<Value> {
    serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .expect("stdout is JSON documents")
}

#[test]
fn translates_each_message_of_a_batch_and_lists_unmapped_data() {
    let two = format!("{A08}\n{}", A08.replace("MSG001", "MSG002"));
    let output = fhirgate(
        &["translate", "--from", "hl7v2", "--to", "fhir"],
        two.as_bytes(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let bundles = bundles(&output);
    assert_eq!(bundles.len(), 2);
    assert_eq!(bundles[0]["type"], "transaction");
    assert_eq!(
        bundles[0]["entry"][0]["resource"]["name"][0]["family"],
        "Muller"
    );
    assert_eq!(
        bundles[0]["entry"][1]["resource"]["resourceType"],
        "Encounter"
    );
    assert!(stderr.contains("message 1: unmapped PID[1]-10"), "{stderr}");
    assert!(stderr.contains("message 2: unmapped PID[1]-10"), "{stderr}");
}

#[test]
fn rejected_messages_exit_1_with_the_reason() {
    let unsupported = A08.replace("ADT^A08^ADT_A01", "ADT^A40^ADT_A39");
    let output = fhirgate(
        &["translate", "--from", "hl7v2", "--to", "fhir"],
        unsupported.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rejected (AR, 201"), "{stderr}");
    let bad_date = A08.replace("19800101", "2023-13-45");
    let output = fhirgate(
        &["translate", "--from", "hl7v2", "--to", "fhir"],
        bad_date.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rejected (AE, 102") && stderr.contains("PID[1]-7"),
        "{stderr}"
    );
    assert!(bundles(&output).is_empty());
}

#[test]
fn reads_files_and_reports_unparseable_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("a08.hl7");
    std::fs::write(&good, A08).expect("write");
    let garbage = dir.path().join("garbage.hl7");
    std::fs::write(&garbage, b"\x00\x01 not HL7").expect("write");
    let args = ["translate", "--from", "hl7v2", "--to", "fhir"];
    let good_path = good.to_str().expect("utf-8 path");
    let output = fhirgate(&[&args[..], &[good_path]].concat(), b"");
    assert!(output.status.success());
    assert_eq!(bundles(&output).len(), 1);
    let garbage_path = garbage.to_str().expect("utf-8 path");
    let output = fhirgate(&[&args[..], &[good_path, garbage_path]].concat(), b"");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        bundles(&output).len(),
        1,
        "the good file is still translated"
    );
}

#[test]
fn fhir_to_v2_is_not_yet_supported() {
    let output = fhirgate(
        &["translate", "--from", "fhir", "--to", "hl7v2", "-"],
        b"{}",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not yet supported"));
}
