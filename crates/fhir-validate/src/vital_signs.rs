//! Profiles the specification itself requires: an Observation whose code is
//! a vital sign "SHALL conform" to the matching vital signs profile
//! (`fhir_core::vital_signs` holds the table), whether or not it claims that
//! profile in `meta.profile`.

use serde_json::Value;

/// The vital signs profile `resource` must conform to, as a canonical URL:
/// None unless it is an Observation with a vital sign code.
pub(crate) fn implied_profile(resource: &Value) -> Option<String> {
    if resource.get("resourceType").and_then(Value::as_str) != Some("Observation") {
        return None;
    }
    let codings = resource
        .get("code")
        .and_then(|c| c.get("coding"))
        .and_then(Value::as_array)?;
    fhir_core::vital_signs::implied_profile(codings)
}

#[cfg(test)]
mod tests {
    use super::implied_profile;
    use serde_json::json;

    #[test]
    fn only_observations_imply_a_profile() {
        let obs = json!({ "resourceType": "Observation", "code": { "coding": [
            { "system": "http://loinc.org", "code": "8310-5" } ] } });
        assert_eq!(
            implied_profile(&obs).as_deref(),
            Some("http://hl7.org/fhir/StructureDefinition/bodytemp")
        );
        let cond = json!({ "resourceType": "Condition", "code": { "coding": [
            { "system": "http://loinc.org", "code": "8310-5" } ] } });
        assert_eq!(implied_profile(&cond), None);
    }
}
