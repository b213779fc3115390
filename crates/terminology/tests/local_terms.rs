//! Expansion, membership, lookup and translation over a small hand-written
//! terminology (tests/fixtures/body-terms): nested and property-declared
//! hierarchies, filters, imports, excludes, unknown systems and cycles.

use std::path::Path;
use std::sync::Arc;

use fhir_package::FhirDefinitions;
use terminology::{Membership, Terminology, TerminologyError};

const BODY: &str = "http://example.org/cs/body";

fn terminology() -> Terminology {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    match FhirDefinitions::load_dir(&dir) {
        Ok(defs) => Terminology::new(Arc::new(defs)),
        Err(error) => panic!("fixtures must load: {error}"),
    }
}

fn codes(terms: &Terminology, url: &str) -> Vec<String> {
    let expansion = terms
        .expand(url)
        .unwrap_or_else(|error| panic!("{url}: {error}"));
    let mut codes: Vec<String> = expansion.concepts.iter().map(|c| c.code.clone()).collect();
    codes.sort();
    codes
}

fn is_member(membership: Membership) -> bool {
    matches!(membership, Membership::InValueSet { .. })
}

#[test]
fn is_a_filter_follows_nested_and_property_hierarchy() {
    let terms = terminology();
    assert_eq!(
        codes(&terms, "http://example.org/vs/limbs"),
        ["arm", "foot", "hand", "leg", "limb"]
    );
    let membership = terms
        .validate_code("http://example.org/vs/limbs", Some(BODY), "hand")
        .expect("evaluable");
    assert_eq!(
        membership,
        Membership::InValueSet {
            display: Some("Hand".into())
        }
    );
    assert_eq!(
        terms.validate_code("http://example.org/vs/limbs", Some(BODY), "eye"),
        Ok(Membership::NotInValueSet)
    );
    // The same code from another system is not a member.
    assert_eq!(
        terms.validate_code("http://example.org/vs/limbs", Some("http://other"), "hand"),
        Ok(Membership::NotInValueSet)
    );
}

#[test]
fn descendent_of_excludes_the_root() {
    let terms = terminology();
    assert_eq!(
        codes(&terms, "http://example.org/vs/below-head"),
        ["ear", "eye"]
    );
}

#[test]
fn import_with_exclude_and_versioned_canonical() {
    let terms = terminology();
    assert_eq!(
        codes(&terms, "http://example.org/vs/limbs-no-hand"),
        ["arm", "foot", "leg", "limb"]
    );
    assert!(is_member(
        terms
            .validate_code("http://example.org/vs/limbs|1.0.0", None, "leg")
            .expect("versioned")
    ));
}

#[test]
fn property_filter_and_abstract_concepts() {
    let terms = terminology();
    assert_eq!(
        codes(&terms, "http://example.org/vs/whole-and-paired"),
        ["body", "ear", "eye"]
    );
    // "body" is listed but notSelectable: not a valid value.
    assert_eq!(
        terms.validate_code("http://example.org/vs/whole-and-paired", Some(BODY), "body"),
        Ok(Membership::NotInValueSet)
    );
}

#[test]
fn unknown_systems_give_unknown_not_errors() {
    let terms = terminology();
    let vs = "http://example.org/vs/mixed";
    assert!(is_member(
        terms.validate_code(vs, Some(BODY), "ear").expect("ok")
    ));
    // Explicitly listed SNOMED codes are enumerable even without SNOMED.
    assert!(is_member(
        terms
            .validate_code(vs, Some("http://snomed.info/sct"), "22298006")
            .expect("ok")
    ));
    assert_eq!(
        terms.validate_code(vs, Some("http://snomed.info/sct"), "1234"),
        Ok(Membership::NotInValueSet)
    );
    // LOINC by filter cannot be evaluated here.
    assert!(matches!(
        terms.validate_code(vs, Some("http://loinc.org"), "18842-5"),
        Ok(Membership::Unknown { .. })
    ));
    // Code alone: could be a LOINC code, so unknown.
    assert!(matches!(
        terms.validate_code(vs, None, "nope"),
        Ok(Membership::Unknown { .. })
    ));
    assert!(matches!(
        terms.validate_code("http://example.org/vs/not-loaded", None, "x"),
        Ok(Membership::Unknown { .. })
    ));
    assert!(!terms.expand(vs).expect("expansion").is_complete());
}

#[test]
fn import_cycles_and_malformed_value_sets_are_errors() {
    let terms = terminology();
    assert!(matches!(
        terms.expand("http://example.org/vs/cycle-a"),
        Err(TerminologyError::ImportCycle { .. })
    ));
    assert!(matches!(
        terms.validate_code("http://example.org/vs/bad-include", None, "x"),
        Err(TerminologyError::InvalidValueSet { .. })
    ));
}

#[test]
fn lookup_reports_hierarchy_and_properties() {
    let terms = terminology();
    let foot = terms.lookup(BODY, "foot").expect("foot");
    assert_eq!(foot.parents, ["leg"]);
    assert_eq!(foot.display.as_deref(), Some("Foot"));
    let limb = terms
        .lookup(&format!("{BODY}|1.0.0"), "limb")
        .expect("limb");
    assert_eq!(limb.children, ["arm", "leg"]);
    assert!(terms.lookup(BODY, "tail").is_none());
    assert!(terms.lookup("http://snomed.info/sct", "22298006").is_none());
    assert!(matches!(
        terms.validate_code_in_system(BODY, "eye"),
        Ok(Membership::InValueSet { .. })
    ));
    assert_eq!(
        terms.validate_code_in_system(BODY, "tail"),
        Ok(Membership::NotInValueSet)
    );
    assert!(matches!(
        terms.validate_code_in_system("http://loinc.org", "1-8"),
        Ok(Membership::Unknown { .. })
    ));
}

#[test]
fn translate_with_unmapped_rule() {
    let terms = terminology();
    let map = "http://example.org/cm/body-to-region";
    let hand = terms.translate(map, Some(BODY), "hand");
    assert_eq!(hand.len(), 1);
    assert_eq!(hand[0].code.as_deref(), Some("upper"));
    assert_eq!(hand[0].equivalence, "wider");
    let other = terms.translate(map, Some(BODY), "eye");
    assert_eq!(other[0].code.as_deref(), Some("unknown-region"));
    assert!(terms
        .translate(map, Some("http://other"), "hand")
        .is_empty());
    assert!(terms
        .translate("http://example.org/cm/none", None, "hand")
        .is_empty());
}
