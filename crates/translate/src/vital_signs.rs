//! Observations translated from OBX whose code (OBX-3) is a vital sign
//! (`fhir_core::vital_signs`) SHALL conform to the R4 vital signs profile.
//! The v2-to-FHIR mapping of an OBX gives no category, and an OBX may lack
//! its value (OBX-5) or its time (OBX-14), so this completes what the profile
//! requires and v2 does not say. Other Observations are left as mapped.

use serde_json::{json, Map, Value as Json};

/// Adds, to a vital sign Observation only: the `vital-signs` category; a
/// data-absent reason "unknown" when there is no value (vs-2); and, when
/// OBX-14 is empty, `effectiveDateTime` from the event (`event_time`:
/// EVN-2, else MSH-7). That last one departs from the mapping guide, which
/// takes the time from OBX-14 only: FHIR requires a time for a vital sign,
/// and the time the event was recorded is the best the message gives.
pub(crate) fn complete(body: &mut Map<String, Json>, event_time: impl FnOnce() -> Option<String>) {
    let codings = body
        .get("code")
        .and_then(|code| code.get("coding"))
        .and_then(Json::as_array);
    let profile = codings
        .map(Vec::as_slice)
        .and_then(fhir_core::vital_signs::implied_profile);
    if profile.is_none() {
        return;
    }
    if !body.contains_key("category") {
        body.insert(
            "category".into(),
            json!([{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs",
                "display": "Vital Signs"
            }]}]),
        );
    }
    let has = |body: &Map<String, Json>, prefix: &str| body.keys().any(|k| k.starts_with(prefix));
    if !has(body, "value") && !has(body, "component") && !has(body, "dataAbsentReason") {
        body.insert(
            "dataAbsentReason".into(),
            json!({"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                "code": "unknown",
                "display": "Unknown"
            }]}),
        );
    }
    if !has(body, "effective") {
        if let Some(time) = event_time() {
            body.insert("effectiveDateTime".into(), Json::String(time));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::complete;
    use serde_json::{json, Map, Value};

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_vital_sign_gets_category_reason_and_event_time() {
        let mut weight = body(json!({"resourceType": "Observation",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]}}));
        complete(&mut weight, || Some("2024-01-02T10:00:00+01:00".into()));
        assert_eq!(weight["category"][0]["coding"][0]["code"], "vital-signs");
        assert_eq!(weight["dataAbsentReason"]["coding"][0]["code"], "unknown");
        assert_eq!(weight["effectiveDateTime"], "2024-01-02T10:00:00+01:00");
    }

    #[test]
    fn what_the_message_says_is_kept() {
        let mut weight = body(json!({"resourceType": "Observation",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "valueQuantity": {"value": 70}, "effectiveDateTime": "2023"}));
        complete(&mut weight, || Some("2024".into()));
        assert_eq!(weight["effectiveDateTime"], "2023");
        assert!(!weight.contains_key("dataAbsentReason"));
    }

    #[test]
    fn other_observations_are_left_as_mapped() {
        let mut lab = body(json!({"resourceType": "Observation",
            "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]}}));
        let before = lab.clone();
        complete(&mut lab, || Some("2024".into()));
        assert_eq!(lab, before);
    }
}
