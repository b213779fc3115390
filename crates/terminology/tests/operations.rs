//! What the REST terminology operations ask of the crate, over the vendored
//! R4 core: lookups with typed properties, translation queries (named map,
//! maps in scope, reverse, target system), resources by id, known but
//! uncarried systems, inline value sets and expansion pages.

use std::sync::Arc;

use serde_json::json;
use terminology::{Lookup, Membership, PageRequest, Terminology, TerminologyError, TranslateQuery};

fn terminology() -> Terminology {
    match fhir_package::core() {
        Ok(defs) => Terminology::new(Arc::clone(&defs)),
        Err(error) => panic!("core definitions must load: {error}"),
    }
}

const GENDER_CS: &str = "http://hl7.org/fhir/administrative-gender";
const V2_SEX: &str = "http://terminology.hl7.org/CodeSystem/v2-0001";
const GENDER_TO_V2: &str = "http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2";

#[test]
fn lookup_details_keep_property_types_and_hierarchy() {
    let terms = terminology();
    let Ok(Lookup::Found(amb)) =
        terms.lookup_details("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB")
    else {
        panic!("AMB is in v3 ActCode");
    };
    assert_eq!(amb.name, "v3.ActCode");
    assert_eq!(amb.display.as_deref(), Some("ambulatory"));
    assert!(amb
        .properties
        .iter()
        .any(|p| p.code == "parent" && p.value_key == "valueCode"));
    let Ok(Lookup::Found(male)) = terms.lookup_details(GENDER_CS, "male") else {
        panic!("male is in administrative-gender");
    };
    assert_eq!(male.name, "AdministrativeGender");
    assert_eq!(male.version.as_deref(), Some("4.0.1"));
    assert_eq!(male.definition.as_deref(), Some("Male."));
}

#[test]
fn lookup_tells_unknown_codes_from_uncarried_systems() {
    let terms = terminology();
    assert_eq!(
        terms.lookup_details(GENDER_CS, "xyz"),
        Ok(Lookup::UnknownCode)
    );
    assert!(matches!(
        terms.lookup_details("http://snomed.info/sct", "22298006"),
        Ok(Lookup::NotCarried { .. })
    ));
    assert_eq!(
        terms.lookup_details("http://example.org/none", "x"),
        Ok(Lookup::UnknownSystem)
    );
    // A version that is not loaded is not looked up in another version.
    assert_eq!(
        terms.lookup_details(&format!("{GENDER_CS}|0.1"), "male"),
        Ok(Lookup::UnknownSystem)
    );
}

#[test]
fn translate_queries() {
    let terms = terminology();
    let query = |concept_map: Option<&str>, system: &str, code: &str| TranslateQuery {
        concept_map: concept_map.map(str::to_owned),
        system: Some(system.to_owned()),
        code: code.to_owned(),
        ..TranslateQuery::default()
    };
    let named = terms
        .translate_query(&query(Some(GENDER_TO_V2), GENDER_CS, "female"))
        .expect("known map");
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].translation.code.as_deref(), Some("F"));
    assert_eq!(named[0].concept_map, GENDER_TO_V2);

    // Every map in scope, narrowed to one target system.
    let mut any = query(None, GENDER_CS, "male");
    any.target_system = Some(V2_SEX.to_owned());
    let found = terms.translate_query(&any).expect("maps");
    assert!(!found.is_empty());
    assert!(found
        .iter()
        .all(|m| m.translation.system.as_deref() == Some(V2_SEX)));
    any.target_scope = Some("http://example.org/vs/elsewhere".to_owned());
    assert!(terms.translate_query(&any).expect("maps").is_empty());

    // Reverse: v2 A (ambiguous) is where "other" maps, more widely.
    let mut reverse = query(Some(GENDER_TO_V2), V2_SEX, "A");
    reverse.reverse = true;
    let back = terms.translate_query(&reverse).expect("known map");
    assert_eq!(back[0].translation.code.as_deref(), Some("other"));
    assert_eq!(back[0].translation.system.as_deref(), Some(GENDER_CS));
    assert_eq!(back[0].translation.equivalence, "narrower");

    assert!(matches!(
        terms.translate_query(&query(
            Some("http://example.org/cm/none"),
            GENDER_CS,
            "male"
        )),
        Err(TerminologyError::UnknownConceptMap { .. })
    ));
}

#[test]
fn packaged_resources_by_id_and_known_systems() {
    let terms = terminology();
    let value_set = terms.value_set_by_id("administrative-gender").expect("id");
    assert_eq!(
        value_set.url,
        "http://hl7.org/fhir/ValueSet/administrative-gender"
    );
    assert_eq!(
        terms
            .code_system_by_id("administrative-gender")
            .map(|c| c.url.as_str()),
        Some(GENDER_CS)
    );
    assert!(terms
        .concept_map_by_id("cm-administrative-gender-v2")
        .is_some());
    assert!(terms.value_set_by_id("no-such-value-set").is_none());
    for known in [
        GENDER_CS,
        "http://snomed.info/sct",
        "http://loinc.org",
        "http://unitsofmeasure.org",
    ] {
        assert!(terms.is_known_system(known), "{known}");
    }
    assert!(!terms.is_known_system("http://example.org/cs/none"));
    assert!(!terms.is_known_system("http://loinc"));
}

#[test]
fn inline_value_sets_and_pages_of_packaged_ones() {
    let terms = terminology();
    let inline = json!({"resourceType": "ValueSet", "url": "http://example.org/vs/inline",
    "compose": {"include": [
        {"system": GENDER_CS, "concept": [{"code": "male"}]},
        {"system": "http://loinc.org", "concept": [{"code": "8867-4", "display": "Heart rate"}]},
        {"system": "http://snomed.info/sct"}
    ]}});
    let expansion = terms.expand_resource(&inline).expect("inline");
    assert_eq!(expansion.concepts.len(), 2);
    assert!(!expansion.is_complete());
    assert!(matches!(
        expansion.membership(Some("http://snomed.info/sct"), "22298006"),
        Membership::Unknown { .. }
    ));
    assert_eq!(
        expansion.membership(Some(GENDER_CS), "female"),
        Membership::NotInValueSet
    );

    let types = terms
        .expand("http://hl7.org/fhir/ValueSet/resource-types")
        .expect("resource types");
    let request = PageRequest {
        filter: Some("observation".into()),
        ..PageRequest::default()
    };
    let page = types.page(&request).expect("page");
    assert!(page.concepts.iter().any(|c| c.code == "Observation"));
    assert!(page
        .concepts
        .iter()
        .all(|c| c.code.to_lowercase().contains("observation")
            || c.display
                .as_deref()
                .is_some_and(|d| d.to_lowercase().contains("observation"))));
}
