//! Terminology over the vendored FHIR R4 core: pre-expanded and composed
//! value sets, v3 hierarchies, and the packaged ConceptMaps.

use std::sync::Arc;

use terminology::{ExpansionSource, Membership, Terminology};

fn terminology() -> Terminology {
    match fhir_package::core() {
        Ok(defs) => Terminology::new(Arc::clone(&defs)),
        Err(error) => panic!("core definitions must load: {error}"),
    }
}

const GENDER_VS: &str = "http://hl7.org/fhir/ValueSet/administrative-gender";
const GENDER_CS: &str = "http://hl7.org/fhir/administrative-gender";

#[test]
fn administrative_gender() {
    let terms = terminology();
    let bound = format!("{GENDER_VS}|4.0.1");
    assert_eq!(
        terms.validate_code(&bound, Some(GENDER_CS), "female"),
        Ok(Membership::InValueSet {
            display: Some("Female".into())
        })
    );
    assert_eq!(
        terms.validate_code(&bound, Some(GENDER_CS), "f"),
        Ok(Membership::NotInValueSet)
    );
    assert!(matches!(
        terms.validate_code(&bound, None, "unknown"),
        Ok(Membership::InValueSet { .. })
    ));
    assert_eq!(
        terms.validate_code(&bound, None, "M"),
        Ok(Membership::NotInValueSet)
    );
    let expansion = terms.expand(GENDER_VS).expect("expansion");
    assert_eq!(expansion.source, ExpansionSource::PreExpanded);
    assert_eq!(expansion.concepts.len(), 4);
    let composed = terms.expand_from_compose(GENDER_VS).expect("compose");
    assert_eq!(composed.concepts.len(), 4);
}

#[test]
fn snomed_bound_value_sets_are_unknown() {
    let terms = terminology();
    // Condition.code: example binding to SNOMED CT clinical findings.
    let membership = terms
        .validate_code(
            "http://hl7.org/fhir/ValueSet/condition-code",
            Some("http://snomed.info/sct"),
            "22298006",
        )
        .expect("evaluable");
    assert!(
        matches!(membership, Membership::Unknown { .. }),
        "{membership:?}"
    );
}

#[test]
fn v3_is_a_hierarchy() {
    let terms = terminology();
    // v3 ActEncounterCode: AMB (ambulatory) is a concept in a nested hierarchy.
    let info = terms
        .lookup("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB")
        .expect("AMB");
    assert_eq!(info.display.as_deref(), Some("ambulatory"));
    assert!(!info.parents.is_empty());
}

#[test]
fn packaged_concept_maps_translate() {
    let terms = terminology();
    let translations = terms.translate(
        "http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2",
        Some(GENDER_CS),
        "male",
    );
    assert_eq!(translations.len(), 1);
    assert_eq!(translations[0].code.as_deref(), Some("M"));
    assert_eq!(
        translations[0].system.as_deref(),
        Some("http://terminology.hl7.org/CodeSystem/v2-0001")
    );
    assert_eq!(translations[0].equivalence, "equal");
    let home = terms.translate(
        "http://hl7.org/fhir/ConceptMap/cm-contact-point-use-v2",
        None,
        "home",
    );
    assert_eq!(home.len(), 3);
}

/// Every core value set whose compose only uses local, complete code
/// systems expands by compose to (at least) the codes of its packaged
/// expansion. The publisher's expansions are not uniform: some leave out
/// deprecated codes (which we keep, flagged, as activeOnly defaults to
/// false), so only missing codes count as a disagreement; abstract entries
/// (navigation only) are not compared.
#[test]
fn compose_covers_packaged_expansions() {
    let terms = terminology();
    let defs = Arc::clone(terms.definitions());
    let mut compared = 0;
    let mut identical = 0;
    let mut missing = Vec::new();
    for value_set in defs.value_sets() {
        let canonical = value_set.versioned_url();
        let Some(pre) = defs.value_set_expansion(&canonical) else {
            continue;
        };
        let Ok(composed) = terms.expand_from_compose(&canonical) else {
            continue;
        };
        let packaged_complete = terms.expand(&canonical).is_ok_and(|e| e.is_complete());
        if !composed.is_complete() || !packaged_complete {
            continue;
        }
        let packaged = terminology_codes(pre.json());
        let mut mine: Vec<(String, String)> = composed
            .concepts
            .iter()
            .map(|c| (c.system.clone(), c.code.clone()))
            .collect();
        mine.sort();
        compared += 1;
        if mine == packaged {
            identical += 1;
        }
        let absent: Vec<_> = packaged
            .iter()
            .filter(|code| mine.binary_search(code).is_err())
            .collect();
        if !absent.is_empty() {
            missing.push(format!(
                "{}: {:?}",
                value_set.url,
                &absent[..absent.len().min(3)]
            ));
        }
    }
    assert!(compared > 450, "compared only {compared}");
    assert!(
        identical * 100 >= compared * 95,
        "{identical} of {compared} identical"
    );
    assert!(
        missing.is_empty(),
        "{} value sets miss codes: {:?}",
        missing.len(),
        missing
    );
}

fn terminology_codes(value_set: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(contains: &serde_json::Value, out: &mut Vec<(String, String)>) {
        for entry in contains.as_array().into_iter().flatten() {
            let selectable = entry["abstract"].as_bool() != Some(true);
            if let (Some(system), Some(code), true) =
                (entry["system"].as_str(), entry["code"].as_str(), selectable)
            {
                out.push((system.to_string(), code.to_string()));
            }
            walk(&entry["contains"], out);
        }
    }
    let mut out = Vec::new();
    walk(&value_set["expansion"]["contains"], &mut out);
    out.sort();
    out.dedup();
    out
}
