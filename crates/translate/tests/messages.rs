//! Hand-written fixtures: every supported ADT event, data-type edge cases, malformed content.

mod common;

use common::*;
use hl7v2::ErrorCode;
use serde_json::json;
use translate::{Rejection, UnmappedReason};

const EVENT_FIXTURES: &[&str] = &[
    "adt_a01_full.hl7",
    "adt_a02.hl7",
    "adt_a03.hl7",
    "adt_a04.hl7",
    "adt_a05.hl7",
    "adt_a06.hl7",
    "adt_a07.hl7",
    "adt_a08.hl7",
    "adt_a08_v23_no_offset.hl7",
    "adt_a11.hl7",
    "adt_a12.hl7",
    "adt_a13.hl7",
    "adt_a28.hl7",
    "adt_a31.hl7",
    "adt_v21_event_in_evn.hl7",
    "escapes_and_repetitions.hl7",
    "nulls.hl7",
    "other_delimiters.hl7",
    "bad_unknown_sex.hl7",
    "adt_a01_without_pv1.hl7",
];

#[test]
fn every_translation_of_the_fixtures_validates_without_errors() {
    // The check can fail: a broken resource in a translation is caught.
    let mut broken = translate_one(&fixture("adt_a08.hl7")).expect("translates");
    broken.bundle["entry"][1]["resource"]["status"] = json!("bogus");
    assert!(
        !validation_errors(&broken).is_empty(),
        "validator must flag a bad status"
    );
    for name in EVENT_FIXTURES {
        let translated = translate_one(&fixture(name)).unwrap_or_else(|r| panic!("{name}: {r}"));
        let errors = validation_errors(&translated);
        assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
    }
}

#[test]
fn bundle_is_a_transaction_of_puts_with_matching_urls() {
    let translated = translate_one(&fixture("adt_a01_full.hl7")).expect("translates");
    assert_eq!(translated.bundle["type"], "transaction");
    let entries = translated.bundle["entry"].as_array().expect("entries");
    assert_eq!(
        entries.len(),
        6,
        "Patient, Encounter, AllergyIntolerance, Condition, 2 Observations"
    );
    for entry in entries {
        let resource = &entry["resource"];
        let url = format!(
            "{}/{}",
            resource["resourceType"].as_str().expect("type"),
            resource["id"].as_str().expect("id")
        );
        assert_eq!(entry["request"]["method"], "PUT");
        assert_eq!(entry["request"]["url"], url.as_str());
        let id = resource["id"].as_str().expect("id");
        assert!(
            id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        );
    }
}

#[test]
fn pid_maps_to_patient() {
    let translated = translate_one(&fixture("adt_a01_full.hl7")).expect("translates");
    let patient = only(&translated, "Patient");
    let first = &patient["identifier"][0];
    assert_eq!(first["value"], "MRN12345");
    assert_eq!(first["system"], "urn:oid:1.2.840.114350.1.13");
    assert_eq!(first["type"]["coding"][0]["code"], "MR");
    assert_eq!(
        patient["identifier"][1]["system"],
        "urn:fhirgate:v2:assigner:SSA"
    );
    assert_eq!(patient["name"][0]["family"], "Doe");
    assert_eq!(patient["name"][0]["given"], json!(["Jane", "Q"]));
    assert_eq!(patient["name"][0]["use"], "official");
    assert_eq!(patient["name"][1]["use"], "maiden");
    assert_eq!(patient["gender"], "female");
    assert_eq!(patient["birthDate"], "1985-03-15");
    assert_eq!(
        patient["_birthDate"]["extension"][0]["valueDateTime"], "1985-03-15T09:30:00+01:00",
        "time of birth kept with MSH-7's offset"
    );
    assert_eq!(
        patient["address"][0]["line"],
        json!(["12 Main St", "Apt 4"])
    );
    assert_eq!(patient["address"][0]["district"], "Sangamon");
    assert_eq!(patient["address"][0]["use"], "home");
    let telecom = patient["telecom"].as_array().expect("telecom");
    assert_eq!(telecom.len(), 3);
    assert_eq!(
        telecom[0],
        json!({"system": "phone", "value": "+1 217 5551234", "use": "home"})
    );
    assert_eq!(telecom[1]["system"], "email");
    assert_eq!(telecom[2]["use"], "work");
    assert_eq!(telecom[2]["value"], "+1 217 5559876 ext. 12");
    assert_eq!(
        patient["maritalStatus"]["coding"][0]["system"],
        "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
    );
    assert_eq!(
        patient["multipleBirthInteger"], 2,
        "PID-25 wins over PID-24"
    );
    assert!(patient.get("multipleBirthBoolean").is_none());
    assert_eq!(patient["deceasedBoolean"], false);
    assert_eq!(
        patient["generalPractitioner"][0]["identifier"]["value"],
        "1234"
    );
    // NK1 1 becomes a contact; NK1 2 carries nothing.
    let contacts = patient["contact"].as_array().expect("contacts");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["name"]["family"], "Doe");
    assert_eq!(
        contacts[0]["relationship"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn pv1_maps_to_encounter_with_references() {
    let translated = translate_one(&fixture("adt_a01_full.hl7")).expect("translates");
    let patient = only(&translated, "Patient");
    let encounter = only(&translated, "Encounter");
    let patient_ref = format!("Patient/{}", patient["id"].as_str().expect("id"));
    assert_eq!(encounter["subject"]["reference"], patient_ref.as_str());
    assert_eq!(encounter["class"]["code"], "IMP");
    assert_eq!(encounter["status"], "in-progress");
    assert_eq!(encounter["period"]["start"], "2026-03-01T09:45:00+01:00");
    assert_eq!(encounter["identifier"][0]["value"], "V0001");
    assert_eq!(
        encounter["identifier"][0]["type"]["coding"][0]["code"],
        "VN"
    );
    assert_eq!(encounter["location"][0]["status"], "active");
    assert_eq!(encounter["location"][1]["status"], "completed");
    assert_eq!(
        encounter["participant"][0]["type"][0]["coding"][0]["code"],
        "ATND"
    );
    assert_eq!(
        encounter["participant"][0]["individual"]["identifier"]["value"],
        "5678"
    );
    assert_eq!(
        encounter["participant"][1]["type"][0]["coding"][0]["code"],
        "REF"
    );
    assert_eq!(
        encounter["hospitalization"]["admitSource"]["coding"][0]["code"],
        "7"
    );
    assert_eq!(encounter["reasonCode"][0]["coding"][0]["code"], "CHEST");
    let encounter_ref = format!("Encounter/{}", encounter["id"].as_str().expect("id"));
    let allergy = only(&translated, "AllergyIntolerance");
    assert_eq!(allergy["patient"]["reference"], patient_ref.as_str());
    assert_eq!(allergy["category"], json!(["medication"]));
    assert_eq!(allergy["criticality"], "high");
    assert_eq!(
        allergy["code"]["coding"][0]["system"],
        "http://www.nlm.nih.gov/research/umls/rxnorm"
    );
    assert_eq!(allergy["reaction"].as_array().map(Vec::len), Some(2));
    let condition = only(&translated, "Condition");
    assert_eq!(condition["encounter"]["reference"], encounter_ref.as_str());
    assert_eq!(
        condition["code"]["coding"][0]["system"],
        "http://hl7.org/fhir/sid/icd-10"
    );
    assert_eq!(condition["code"]["text"], "Heart attack");
    let observations = resources_of(&translated, "Observation");
    assert_eq!(observations.len(), 2);
    assert_eq!(observations[0]["status"], "final");
    assert_eq!(
        serde_json::to_string(&observations[0]["valueQuantity"]["value"]).expect("json"),
        "172.50",
        "decimal digits kept as sent"
    );
    assert_eq!(
        observations[0]["valueQuantity"]["system"],
        "http://unitsofmeasure.org"
    );
    assert_eq!(observations[1]["valueString"], "Crushing chest pain");
}

#[test]
fn encounter_status_follows_the_trigger_event() {
    let cases = [
        ("adt_a02.hl7", "in-progress"),
        ("adt_a03.hl7", "finished"),
        ("adt_a04.hl7", "in-progress"),
        ("adt_a05.hl7", "planned"),
        ("adt_a06.hl7", "in-progress"),
        ("adt_a07.hl7", "in-progress"),
        ("adt_a08.hl7", "in-progress"),
        ("adt_a11.hl7", "cancelled"),
        ("adt_a12.hl7", "in-progress"),
        ("adt_a13.hl7", "in-progress"),
    ];
    for (name, status) in cases {
        let translated = translate_one(&fixture(name)).expect("translates");
        assert_eq!(only(&translated, "Encounter")["status"], status, "{name}");
    }
    let a03 = translate_one(&fixture("adt_a03.hl7")).expect("translates");
    assert_eq!(
        only(&a03, "Encounter")["period"]["end"],
        "2026-03-05T12:00:00+01:00"
    );
    let a04 = translate_one(&fixture("adt_a04.hl7")).expect("translates");
    assert_eq!(only(&a04, "Encounter")["class"]["code"], "AMB");
    let a02 = translate_one(&fixture("adt_a02.hl7")).expect("translates");
    let locations = only(&a02, "Encounter")["location"]
        .as_array()
        .expect("locations")
        .clone();
    assert_eq!(locations.len(), 2, "new and prior location");
}

#[test]
fn the_same_patient_and_visit_get_the_same_ids_across_messages() {
    let a01 = translate_one(&fixture("adt_a01_full.hl7")).expect("translates");
    let a08 = translate_one(&fixture("adt_a08.hl7")).expect("translates");
    assert_eq!(only(&a01, "Patient")["id"], only(&a08, "Patient")["id"]);
    assert_eq!(only(&a01, "Encounter")["id"], only(&a08, "Encounter")["id"]);
    let again = translate_one(&fixture("adt_a01_full.hl7")).expect("translates");
    assert_eq!(a01.bundle, again.bundle, "translation is deterministic");
}

#[test]
fn a_visit_event_without_pv1_updates_the_patient_only() {
    let translated = translate_one(&fixture("adt_a01_without_pv1.hl7")).expect("translates");
    assert_eq!(only(&translated, "Patient")["name"][0]["family"], "No");
    assert!(resources_of(&translated, "Encounter").is_empty());
}

#[test]
fn person_level_events_make_no_encounter() {
    for name in ["adt_a28.hl7", "adt_a31.hl7"] {
        let translated = translate_one(&fixture(name)).expect("translates");
        assert_eq!(resources_of(&translated, "Patient").len(), 1, "{name}");
        assert!(resources_of(&translated, "Encounter").is_empty(), "{name}");
        assert!(
            translated.unmapped.iter().all(|u| u.segment != "PV1"),
            "pseudo PV1 is silent"
        );
    }
    // A person-level event whose PV1 does carry visit data says it was not translated.
    let text = String::from_utf8(fixture("adt_a28.hl7")).expect("utf-8");
    let with_visit = text.replace("PV1|1|N", "PV1|1|I|4E^401");
    let translated = translate_one(with_visit.as_bytes()).expect("translates");
    let pv1 = translated
        .unmapped
        .iter()
        .find(|u| u.segment == "PV1")
        .expect("PV1 reported");
    assert_eq!((pv1.field, pv1.reason), (None, UnmappedReason::NotMapped));
}

#[test]
fn legacy_messages_route_and_keep_what_their_times_allow() {
    let v21 = translate_one(&fixture("adt_v21_event_in_evn.hl7")).expect("event from EVN-1");
    assert_eq!(only(&v21, "Encounter")["class"]["code"], "AMB");
    let v23 = translate_one(&fixture("adt_a08_v23_no_offset.hl7")).expect("translates");
    let patient = only(&v23, "Patient");
    assert_eq!(patient["birthDate"], "1970-01-01");
    assert!(
        patient.get("_birthDate").is_none(),
        "no birth time without an offset"
    );
    let dropped: Vec<_> = v23
        .unmapped
        .iter()
        .filter(|u| u.reason == UnmappedReason::PrecisionLost)
        .map(|u| (u.segment.as_str(), u.field))
        .collect();
    assert_eq!(dropped, vec![("PID", Some(7)), ("PV1", Some(44))]);
    assert_eq!(only(&v23, "Encounter")["period"]["start"], "2026-03-02");
}

#[test]
fn escapes_are_decoded_and_repetitions_kept() {
    let translated = translate_one(&fixture("escapes_and_repetitions.hl7")).expect("translates");
    let patient = only(&translated, "Patient");
    assert_eq!(patient["name"][0]["family"], "O&Brien|Smith");
    assert_eq!(patient["name"][0]["given"], json!(["Anne^Marie"]));
    assert_eq!(patient["name"][1]["use"], "nickname");
    assert_eq!(patient["identifier"].as_array().map(Vec::len), Some(2));
    assert_eq!(patient["address"][0]["line"], json!(["1 High St~Rear"]));
    assert_eq!(patient["address"][1]["use"], "temp");
    assert_eq!(patient["telecom"].as_array().map(Vec::len), Some(2));
    assert!(
        translated.unmapped.iter().any(|u| u.field == Some(13)
            && u.repetition == Some(2)
            && u.component == Some(2)
            && u.reason == UnmappedReason::UnknownCode),
        "ORN has no FHIR use: reported at PID-13[2].2"
    );
}

#[test]
fn hl7_nulls_and_empty_fields_leave_elements_out() {
    let translated = translate_one(&fixture("nulls.hl7")).expect("translates");
    let patient = only(&translated, "Patient");
    for element in ["birthDate", "gender", "address", "telecom", "maritalStatus"] {
        assert!(patient.get(element).is_none(), "{element} should be absent");
    }
    assert!(only(&translated, "Encounter").get("location").is_none());
    assert!(translated.unmapped.is_empty(), "{:?}", translated.unmapped);
}

#[test]
fn other_delimiters_are_read_from_msh() {
    let translated = translate_one(&fixture("other_delimiters.hl7")).expect("translates");
    assert_eq!(only(&translated, "Patient")["name"][0]["family"], "Hash");
    assert_eq!(only(&translated, "Patient")["gender"], "male");
}

#[test]
fn unknown_sex_is_a_warning_not_a_guess() {
    let translated =
        translate_one(&fixture("bad_unknown_sex.hl7")).expect("accepted with a warning");
    assert!(only(&translated, "Patient").get("gender").is_none());
    let warning = translated
        .unmapped
        .iter()
        .find(|u| u.segment == "PID" && u.field == Some(8))
        .expect("PID-8 reported");
    assert_eq!(warning.reason, UnmappedReason::UnknownCode);
    assert_eq!(warning.reason.error_code(), ErrorCode::TableValueNotFound);
}

fn content_rejection(name: &str) -> (ErrorCode, String, Option<usize>) {
    match translate_one(&fixture(name)) {
        Err(Rejection::Content { code, location, .. }) => {
            (code, location.segment_id, location.field)
        }
        other => panic!("{name}: expected a content rejection, got {other:?}"),
    }
}

#[test]
fn malformed_content_is_rejected_with_its_location() {
    assert_eq!(
        content_rejection("bad_missing_pid.hl7"),
        (ErrorCode::SegmentSequence, "PID".into(), None)
    );
    assert_eq!(
        content_rejection("bad_birth_date.hl7"),
        (ErrorCode::DataType, "PID".into(), Some(7))
    );
    assert_eq!(
        content_rejection("bad_no_patient_identifier.hl7"),
        (ErrorCode::RequiredFieldMissing, "PID".into(), Some(3))
    );
    assert_eq!(
        content_rejection("bad_missing_patient_class.hl7"),
        (ErrorCode::RequiredFieldMissing, "PV1".into(), Some(2))
    );
}

#[test]
fn unsupported_types_and_events_are_rejected_as_such() {
    let codes: Vec<_> = ["unsupported_oru.hl7", "unsupported_a40.hl7"]
        .iter()
        .map(|name| match translate_one(&fixture(name)) {
            Err(Rejection::Unsupported { code, .. }) => code,
            other => panic!("{name}: expected unsupported, got {other:?}"),
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            ErrorCode::UnsupportedMessageType,
            ErrorCode::UnsupportedEventCode
        ]
    );
}

#[test]
fn everything_present_and_not_carried_is_reported() {
    let translated = translate_one(&fixture("adt_a01_full.hl7")).expect("translates");
    let at = |segment: &str, field: Option<usize>| {
        translated
            .unmapped
            .iter()
            .any(|u| u.segment == segment && u.field == field)
    };
    assert!(at("PID", Some(10)), "race is not mapped");
    assert!(at("PID", Some(18)), "account number is not mapped");
    assert!(at("EVN", Some(2)), "EVN-2 is not mapped");
    assert!(!at("PID", Some(5)), "names are mapped");
    assert!(!at("MSH", Some(9)), "MSH-9 is used for routing");
}
