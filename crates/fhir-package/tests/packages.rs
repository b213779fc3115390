//! Loading implementation guides (npm folders and `.tgz`) next to the core,
//! duplicate rules, and typed errors for every kind of malformed input.

use std::fs;
use std::path::{Path, PathBuf};

use fhir_package::{ElementTreeError, FhirDefinitions, Max, PackageError};

use flate2::write::GzEncoder;
use flate2::Compression;

mod common;
use common::build_tgz;

const PROFILE: &str = "http://example.org/fhir/StructureDefinition/example-patient";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example-ig")
}

fn vendored_core() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fhir-profiles/hl7.fhir.r4.core")
}

fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let package = fixture_dir().join("package");
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(&package)
        .expect("fixtures")
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = format!(
                "package/{}",
                path.file_name().and_then(|n| n.to_str()).unwrap_or("")
            );
            (name, fs::read(&path).expect("read fixture"))
        })
        .collect();
    files.sort();
    files
}

fn tgz_of(files: &[(String, Vec<u8>)], target: &Path) {
    let borrowed: Vec<(&str, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.clone()))
        .collect();
    build_tgz(target, &borrowed);
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn load(dir: &Path) -> FhirDefinitions {
    match FhirDefinitions::load_dir(dir) {
        Ok(definitions) => definitions,
        Err(error) => panic!("load {}: {error}", dir.display()),
    }
}

#[test]
fn ig_tgz_beside_the_core_adds_its_profile() {
    let dir = temp_dir();
    std::os::unix::fs::symlink(vendored_core(), dir.path().join("hl7.fhir.r4.core"))
        .expect("symlink");
    tgz_of(
        &fixture_files(),
        &dir.path().join("example.fhirgate.ig-0.1.0.tgz"),
    );
    let defs = load(dir.path());

    let profile = defs.structure_definition(PROFILE).expect("profile loaded");
    assert_eq!(profile.type_name, "Patient");
    assert_eq!(profile.resource.source, "example.fhirgate.ig#0.1.0");
    assert!(defs
        .structure_definition(&format!("{PROFILE}|0.1.0"))
        .is_some());
    // A profile does not replace the type definition.
    assert_eq!(
        defs.structure_definition_for_type("Patient")
            .map(|sd| sd.url()),
        Some("http://hl7.org/fhir/StructureDefinition/Patient")
    );
    assert!(defs
        .value_set("http://example.org/fhir/ValueSet/example-gender")
        .is_some());
    assert!(defs
        .value_set("http://hl7.org/fhir/ValueSet/administrative-gender")
        .is_some());

    let tree = defs.element_tree(PROFILE).expect("profile tree");
    let identifier = tree.element("Patient.identifier").expect("identifier");
    assert_eq!(tree.get(identifier).map(|e| e.min), Some(1));
    let mrn = tree.element("Patient.identifier:mrn").expect("mrn slice");
    assert_eq!(tree.get(mrn).map(|e| e.max), Some(Max::Bounded(1)));
    let system = tree
        .child_of(mrn, "system")
        .and_then(|id| tree.get(id))
        .expect("mrn.system");
    assert_eq!(
        system.fixed.as_ref().map(|f| f.value.clone()),
        Some("http://example.org/mrn".into())
    );
    let name = tree
        .element("Patient.name")
        .and_then(|id| tree.get(id))
        .expect("name");
    assert_eq!(name.max_length, Some(200));
    assert_eq!(name.constraints[0].severity, "warning");
    // The fixture's profile published without snapshot gets one generated
    // from its base in the core.
    assert!(defs.warnings().is_empty(), "{:?}", defs.warnings());
    let generated = defs
        .element_tree("http://example.org/fhir/StructureDefinition/no-snapshot")
        .expect("generated snapshot");
    let subject = generated
        .element("Observation.subject")
        .and_then(|id| generated.get(id))
        .expect("subject");
    assert_eq!((subject.min, subject.max), (1, Max::Bounded(1)));
    assert!(generated.element("Observation.component.code").is_some());
}

#[test]
fn ig_folder_loads_and_profile_without_its_base_is_reported() {
    // Without the core, the differential-only profile has no base to build from.
    let defs = load(fixture_dir().parent().expect("fixtures dir"));
    assert!(defs.structure_definition(PROFILE).is_some());
    let url = "http://example.org/fhir/StructureDefinition/no-snapshot";
    assert!(!defs.structure_definition(url).expect("loaded").has_snapshot);
    match defs.element_tree(url) {
        Err(PackageError::ElementTree(ElementTreeError::SnapshotGeneration {
            url: reported,
            reason,
            ..
        })) => {
            assert_eq!(reported, url);
            assert!(reason.contains("is not loaded"), "{reason}");
        }
        other => panic!("expected SnapshotGeneration, got {other:?}"),
    }
    assert_eq!(defs.warnings().len(), 1, "{:?}", defs.warnings());
    assert!(defs.warnings()[0].contains("no-snapshot"));
    assert!(matches!(
        defs.element_tree("http://example.org/unknown"),
        Err(PackageError::UnknownStructureDefinition { .. })
    ));
    // Instances (no url) are not indexed.
    assert_eq!(defs.counts().other, 0);
}

fn value_set(version: &str, code: &str) -> String {
    format!(
        r#"{{"resourceType":"ValueSet","url":"http://example.org/vs","version":"{version}","name":"{code}","status":"active"}}"#
    )
}

#[test]
fn later_version_wins_and_same_version_warns() {
    let dir = temp_dir();
    fs::write(dir.path().join("a.json"), value_set("1.0.0", "first")).expect("write");
    fs::write(dir.path().join("b.json"), value_set("1.2.0", "second")).expect("write");
    fs::write(dir.path().join("c.json"), value_set("1.2.0", "third")).expect("write");
    fs::write(dir.path().join("d.json"), value_set("1.1.0", "older")).expect("write");
    let defs = load(dir.path());
    assert_eq!(
        defs.value_set("http://example.org/vs")
            .and_then(|v| v.name.as_deref()),
        Some("second")
    );
    assert_eq!(
        defs.value_set("http://example.org/vs|1.0.0")
            .and_then(|v| v.name.as_deref()),
        Some("first")
    );
    assert_eq!(
        defs.value_set("http://example.org/vs|1.1.0")
            .and_then(|v| v.name.as_deref()),
        Some("older")
    );
    assert_eq!(defs.warnings().len(), 1);
    assert!(defs.warnings()[0].contains("http://example.org/vs|1.2.0"));
}

#[test]
fn bundle_files_load_every_entry() {
    let dir = temp_dir();
    let bundle = format!(
        r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"resource":{}}},{{"fullUrl":"x"}},{{"resource":{{"resourceType":"Patient","id":"p"}}}}]}}"#,
        value_set("1", "in-bundle")
    );
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    std::io::Write::write_all(&mut gz, bundle.as_bytes()).expect("gzip");
    fs::write(dir.path().join("defs.json.gz"), gz.finish().expect("gzip")).expect("write");
    let defs = load(dir.path());
    assert_eq!(
        defs.value_set("http://example.org/vs")
            .and_then(|v| v.name.as_deref()),
        Some("in-bundle")
    );
    assert_eq!(defs.counts().value_sets, 1);
}

fn load_error(dir: &Path) -> PackageError {
    match FhirDefinitions::load_dir(dir) {
        Ok(_) => panic!("{} should not load", dir.display()),
        Err(error) => error,
    }
}

#[test]
fn bad_json_is_a_typed_error_naming_the_file() {
    let dir = temp_dir();
    fs::write(
        dir.path().join("broken.json"),
        r#"{"resourceType": "ValueSet", "url": "#,
    )
    .expect("write");
    match load_error(dir.path()) {
        PackageError::Json { path, .. } => assert!(path.ends_with("broken.json"), "{path}"),
        other => panic!("expected Json error, got {other:?}"),
    }
}

#[test]
fn bad_json_inside_a_tgz_is_reported_with_the_entry() {
    let dir = temp_dir();
    let mut files = fixture_files();
    files.push((
        "package/ValueSet-bad.json".into(),
        b"{\"resourceType\": [".to_vec(),
    ));
    tgz_of(&files, &dir.path().join("ig.tgz"));
    match load_error(dir.path()) {
        PackageError::Json { path, .. } => {
            assert!(path.ends_with("ig.tgz!package/ValueSet-bad.json"), "{path}")
        }
        other => panic!("expected Json error, got {other:?}"),
    }
}

#[test]
fn tgz_without_package_json_is_rejected() {
    let dir = temp_dir();
    let files: Vec<_> = fixture_files()
        .into_iter()
        .filter(|(name, _)| name != "package/package.json")
        .collect();
    tgz_of(&files, &dir.path().join("ig.tgz"));
    assert!(matches!(
        load_error(dir.path()),
        PackageError::MissingPackageJson { .. }
    ));
}

#[test]
fn truncated_tgz_is_an_archive_error() {
    let dir = temp_dir();
    let whole = dir.path().join("whole.tgz");
    tgz_of(&fixture_files(), &whole);
    let bytes = fs::read(&whole).expect("read");
    fs::remove_file(&whole).expect("remove");
    fs::write(dir.path().join("cut.tgz"), &bytes[..bytes.len() / 2]).expect("write");
    assert!(matches!(
        load_error(dir.path()),
        PackageError::Archive { .. }
    ));
}

#[test]
fn not_gzip_is_an_io_error() {
    let dir = temp_dir();
    fs::write(dir.path().join("defs.json.gz"), b"plain text, not gzip").expect("write");
    assert!(matches!(load_error(dir.path()), PackageError::Io { .. }));
}

#[test]
fn not_utf8_and_bad_package_json_are_rejected() {
    let dir = temp_dir();
    fs::write(
        dir.path().join("latin1.json"),
        b"{\"resourceType\":\"ValueSet\",\"name\":\"\xe9\"}",
    )
    .expect("write");
    assert!(matches!(
        load_error(dir.path()),
        PackageError::InvalidResource { .. }
    ));

    let dir = temp_dir();
    let package = dir.path().join("ig").join("package");
    fs::create_dir_all(&package).expect("mkdir");
    fs::write(package.join("package.json"), b"{ name: ").expect("write");
    assert!(matches!(load_error(dir.path()), PackageError::Json { .. }));
}

#[test]
fn invalid_structure_definition_headers_are_rejected() {
    let dir = temp_dir();
    fs::write(
        dir.path().join("sd.json"),
        r#"{"resourceType":"StructureDefinition","url":"http://x/sd","kind":"weird","type":"Patient"}"#,
    )
    .expect("write");
    assert!(matches!(
        load_error(dir.path()),
        PackageError::InvalidResource { .. }
    ));
    fs::write(
        dir.path().join("sd.json"),
        r#"{"resourceType":"SearchParameter","url":"http://x/sp","code":7}"#,
    )
    .expect("write");
    assert!(matches!(load_error(dir.path()), PackageError::Json { .. }));
}

fn tree_error(elements: &str) -> ElementTreeError {
    let dir = temp_dir();
    fs::write(
        dir.path().join("sd.json"),
        format!(
            r#"{{"resourceType":"StructureDefinition","url":"http://x/sd","kind":"resource","type":"Patient","derivation":"constraint","snapshot":{{"element":{elements}}}}}"#
        ),
    )
    .expect("write");
    let defs = load(dir.path());
    match defs.element_tree("http://x/sd") {
        Err(PackageError::ElementTree(error)) => error,
        other => panic!("expected an element tree error, got {other:?}"),
    }
}

#[test]
fn malformed_snapshots_give_element_tree_errors() {
    let cases = [
        r#"[{"id":"Patient","path":"Patient","max":"many"}]"#,
        r#"[{"id":"Patient","path":"Patient","min":-1}]"#,
        r#"[{"id":"Patient","path":"Patient"},{"id":"Patient.a.b","path":"Patient.a.b"}]"#,
        r#"[{"id":"Patient","path":"Patient"},{"id":"Patient.a","path":"Patient.a"},{"id":"Patient.a","path":"Patient.a"}]"#,
        r#"[{"id":"Patient.a","path":"Patient.a"}]"#,
        r##"[{"id":"Patient","path":"Patient"},{"id":"Patient.a","path":"Patient.a","contentReference":"#Patient.zzz"}]"##,
        r#"[{"id":"Patient","path":"Patient","type":[{"profile":[]}]}]"#,
        r#"[{"id":"Patient","path":"Patient","slicing":{"discriminator":[{"type":"value"}]}}]"#,
        r#"[{"id":"Patient","path":"Patient","binding":{}}]"#,
        r#"[{"id":"Patient"}]"#,
        r#"[7]"#,
    ];
    for case in cases {
        match tree_error(case) {
            ElementTreeError::InvalidElement { url, .. } => {
                assert_eq!(url, "http://x/sd", "{case}")
            }
            other => panic!("{case}: unexpected {other:?}"),
        }
    }
    assert!(matches!(
        tree_error("[]"),
        ElementTreeError::NoSnapshot { .. }
    ));
}

#[test]
fn missing_profiles_dir_is_an_io_error() {
    let dir = temp_dir();
    assert!(matches!(
        FhirDefinitions::load_dir(dir.path().join("absent")),
        Err(PackageError::Io { .. })
    ));
}

#[test]
fn newer_search_parameter_replaces_the_older_in_the_type_index() {
    let dir = temp_dir();
    let parameter = |version: &str, expression: &str| {
        format!(
            r#"{{"resourceType":"SearchParameter","url":"http://example.org/sp/nick","version":"{version}","name":"nick","status":"active","code":"nick","base":["Patient"],"type":"string","expression":"{expression}"}}"#
        )
    };
    fs::write(
        dir.path().join("a.json"),
        parameter("2.0.0", "Patient.name.given"),
    )
    .expect("write");
    fs::write(
        dir.path().join("b.json"),
        parameter("1.0.0", "Patient.name"),
    )
    .expect("write");
    let defs = load(dir.path());
    let found = defs.search_parameters_for("Patient");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].expression.as_deref(), Some("Patient.name.given"));
    assert_eq!(
        defs.search_parameter("Patient", "nick")
            .map(|p| p.param_type.as_str()),
        Some("string")
    );
    assert!(defs.search_parameter("Patient", "other").is_none());
}

fn gzip_file(path: &Path, text: &str) {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).expect("gzip");
    fs::write(path, gz.finish().expect("gzip")).expect("write");
}

#[test]
fn warm_loads_from_the_cache_match_cold_loads_and_bad_indexes_are_ignored() {
    let dir = temp_dir();
    let bundle = format!(
        r#"{{"resourceType":"Bundle","entry":[{{"resource":{}}},{{"resource":{}}}]}}"#,
        value_set("1.0.0", "one"),
        r#"{"resourceType":"CodeSystem","url":"http://example.org/cs","content":"complete"}"#
    );
    gzip_file(&dir.path().join("defs.json.gz"), &bundle);
    let check = |defs: &FhirDefinitions| {
        let vs = defs.value_set("http://example.org/vs").expect("value set");
        assert_eq!(vs.name.as_deref(), Some("one"));
        assert_eq!(vs.json()["version"], "1.0.0");
        assert!(defs.code_system("http://example.org/cs").is_some());
    };
    check(&load(dir.path()));
    let cache = dir.path().join(".cache");
    let mut cached: Vec<PathBuf> = fs::read_dir(&cache)
        .expect("cache written")
        .map(|entry| entry.expect("entry").path())
        .collect();
    cached.sort();
    assert_eq!(cached.len(), 2, "{cached:?}");
    check(&load(dir.path()));

    let index = cached
        .iter()
        .find(|path| path.to_string_lossy().ends_with(".index.json"))
        .expect("index file")
        .clone();
    let header = r#"{"resource_type":"ValueSet","has_snapshot":false,"has_expansion":false}"#;
    let damaged = [
        "not json".to_string(),
        r#"{"text_len":1,"entries":[]}"#.to_string(),
        format!(
            r#"{{"text_len":{},"entries":[{{"start":0,"end":99999999,"entry":null,"header":{header}}}]}}"#,
            bundle.len()
        ),
    ];
    for text in damaged {
        fs::write(&index, &text).expect("damage index");
        check(&load(dir.path()));
    }
}
