//! Extra definitions over the loaded core (`FhirDefinitions::with_resources`
//! and `with_packages`): found, overriding, sharing the core, and typed
//! errors for malformed extras.

use std::fs;
use std::path::{Path, PathBuf};

use fhir_package::{FhirDefinitions, PackageError};

mod common;
use common::{build_tgz, core};

const BP: &str = "http://hl7.org/fhir/StructureDefinition/bp";
const EXAMPLE_PATIENT: &str = "http://example.org/fhir/StructureDefinition/example-patient";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/example-ig/package")
        .join(name)
}

fn code_system(url: &str, version: &str) -> String {
    format!(
        r#"{{"resourceType":"CodeSystem","url":"{url}","version":"{version}","status":"active","content":"complete","concept":[{{"code":"a"}}]}}"#
    )
}

#[test]
fn extras_are_found_and_the_base_is_untouched() {
    let base = core();
    let profile = fs::read_to_string(fixture("StructureDefinition-example-patient.json"))
        .expect("fixture profile");
    let bundle = format!(
        r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"resource":{}}}]}}"#,
        code_system("http://example.org/cs", "1")
    );
    let extra = vec![
        ("example-patient.json".to_string(), profile),
        ("bundle.json".to_string(), bundle),
        (
            "instance.json".to_string(),
            r#"{"resourceType":"Patient","id":"p"}"#.to_string(),
        ),
    ];
    let layered = FhirDefinitions::with_resources(&base, extra).expect("layered");
    let sd = layered
        .structure_definition(EXAMPLE_PATIENT)
        .expect("extra profile");
    assert_eq!(sd.resource.source, "example-patient.json");
    assert!(layered.element_tree(EXAMPLE_PATIENT).is_ok());
    assert!(layered.code_system("http://example.org/cs|1").is_some());
    assert!(base.structure_definition(EXAMPLE_PATIENT).is_none());
    assert!(base.code_system("http://example.org/cs").is_none());
    let counts = (base.counts(), layered.counts());
    assert_eq!(
        counts.1.structure_definitions,
        counts.0.structure_definitions + 1
    );
    assert_eq!(counts.1.code_systems, counts.0.code_systems + 1);
    // The core's definitions are shared, not copied.
    let patient = |defs: &FhirDefinitions| {
        defs.structure_definition_for_type("Patient")
            .map(|sd| sd as *const _)
    };
    assert_eq!(patient(&base), patient(&layered));
    assert!(layered
        .structure_definition_for_type("Observation")
        .is_some());
}

#[test]
fn later_definitions_replace_earlier_ones_with_the_same_url() {
    let base = core();
    let core_bp = base.structure_definition(BP).expect("core bp");
    let version = core_bp.resource.version.clone().expect("bp version");
    let mut replacement = core_bp.json().clone();
    replacement["name"] = "ReplacedBP".into();
    let first = code_system("http://example.org/cs", "1").replace("\"a\"", "\"first\"");
    let second = code_system("http://example.org/cs", "1").replace("\"a\"", "\"second\"");
    let layered = FhirDefinitions::with_resources(
        &base,
        vec![
            ("bp.json".into(), replacement.to_string()),
            ("first.json".into(), first),
            ("second.json".into(), second),
        ],
    )
    .expect("layered");
    for canonical in [BP.to_string(), format!("{BP}|{version}")] {
        let sd = layered.structure_definition(&canonical).expect("bp");
        assert_eq!(sd.resource.name.as_deref(), Some("ReplacedBP"));
    }
    assert_eq!(
        base.structure_definition(BP)
            .and_then(|sd| sd.resource.name.as_deref()),
        Some("observation-bp")
    );
    let cs = layered.code_system("http://example.org/cs").expect("cs");
    assert_eq!(cs.json()["concept"][0]["code"], "second");
    assert!(layered.warnings().len() >= base.warnings().len());
}

#[test]
fn a_value_set_replacing_a_core_one_drops_the_packaged_expansion() {
    let base = core();
    let url = "http://hl7.org/fhir/ValueSet/administrative-gender";
    assert!(base.value_set_expansion(url).is_some());
    let replacement = r#"{"resourceType":"ValueSet","url":"http://hl7.org/fhir/ValueSet/administrative-gender","status":"active","compose":{"include":[{"system":"http://hl7.org/fhir/administrative-gender","concept":[{"code":"male"}]}]}}"#;
    let layered =
        FhirDefinitions::with_resources(&base, vec![("vs.json".into(), replacement.into())])
            .expect("layered");
    assert!(layered.value_set_expansion(url).is_none());
    let vs = layered.value_set(url).expect("value set");
    assert_eq!(vs.resource_type, "ValueSet");
    assert_eq!(vs.source, "vs.json");
}

#[test]
fn search_parameters_from_extras_are_indexed_by_base() {
    let base = core();
    let parameter = r#"{"resourceType":"SearchParameter","url":"http://example.org/sp/nickname","name":"nickname","status":"active","code":"nickname","base":["Patient"],"type":"string","expression":"Patient.name.given"}"#;
    let layered =
        FhirDefinitions::with_resources(&base, vec![("sp.json".into(), parameter.into())])
            .expect("layered");
    assert!(layered.search_parameter("Patient", "nickname").is_some());
    assert!(layered.search_parameter("Patient", "family").is_some());
    assert!(base.search_parameter("Patient", "nickname").is_none());
}

#[test]
fn a_local_tgz_package_is_added_and_extras_override_it() {
    let base = core();
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = dir.path().join("example.ig#0.1.0.tgz");
    let profile = fs::read(fixture("StructureDefinition-example-patient.json")).expect("fixture");
    build_tgz(
        &archive,
        &[
            (
                "package/package.json",
                br#"{"name":"example.ig","version":"0.1.0"}"#.to_vec(),
            ),
            ("package/StructureDefinition-example-patient.json", profile),
            (
                "package/CodeSystem-cs.json",
                code_system("http://example.org/cs", "1").into_bytes(),
            ),
        ],
    );
    let override_cs = code_system("http://example.org/cs", "1").replace("\"a\"", "\"b\"");
    let layered = FhirDefinitions::with_packages(
        &base,
        std::slice::from_ref(&archive),
        vec![("cs.json".into(), override_cs)],
    )
    .expect("layered");
    let sd = layered
        .structure_definition(EXAMPLE_PATIENT)
        .expect("profile from the package");
    assert_eq!(sd.resource.source, "example.ig#0.1.0");
    let cs = layered.code_system("http://example.org/cs").expect("cs");
    assert_eq!(cs.json()["concept"][0]["code"], "b");
}

#[test]
fn malformed_extras_are_typed_errors_naming_their_origin() {
    let base = core();
    match FhirDefinitions::with_resources(&base, vec![("broken.json".into(), "{".into())]) {
        Err(PackageError::Json { path, .. }) => assert_eq!(path, "broken.json"),
        other => panic!("expected a JSON error, got {other:?}"),
    }
    let no_type = r#"{"resourceType":"StructureDefinition","url":"http://x/sd","kind":"resource"}"#;
    match FhirDefinitions::with_resources(&base, vec![("sd.json".into(), no_type.into())]) {
        Err(PackageError::InvalidResource { path, .. }) => assert_eq!(path, "sd.json"),
        other => panic!("expected an invalid resource, got {other:?}"),
    }
    let missing = PathBuf::from("/nonexistent/package.tgz");
    assert!(matches!(
        FhirDefinitions::with_packages(&base, &[missing], Vec::new()),
        Err(PackageError::Io { .. })
    ));
}
