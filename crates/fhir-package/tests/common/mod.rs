//! Helpers shared by the package tests.

use std::path::Path;
use std::sync::Arc;

use fhir_package::FhirDefinitions;
use flate2::write::GzEncoder;
use flate2::Compression;

/// The vendored core, loaded once per test process.
#[allow(dead_code)]
pub fn core() -> Arc<FhirDefinitions> {
    match fhir_package::core() {
        Ok(definitions) => definitions,
        Err(error) => panic!("core definitions must load: {error}"),
    }
}

/// Builds an npm-style archive: every fixture file under `package/`.
#[allow(dead_code)]
pub fn build_tgz(target: &Path, files: &[(&str, Vec<u8>)]) {
    let file = std::fs::File::create(target).expect("create tgz");
    let mut builder = tar::Builder::new(GzEncoder::new(file, Compression::fast()));
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .expect("append");
    }
    builder
        .into_inner()
        .and_then(|encoder| encoder.finish())
        .expect("finish tgz");
}

/// `<workspace root>/../shared/data/<rel>`, or None (after printing the skip
/// line) when it is absent; absent under CI=true is a failure.
#[allow(dead_code)]
pub fn shared_data(rel: &str) -> Option<std::path::PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|value| value == "true") {
        panic!("../shared/data/{rel} not found (required when CI=true)");
    }
    println!("skipped: ../shared/data/{rel} not found");
    None
}
