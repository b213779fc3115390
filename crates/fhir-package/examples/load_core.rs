//! Times loading the profiles directory (default: the vendored core) and
//! the first element-tree compilations, for docs/benchmarks/fhir-package.md.
//!
//! `cargo run --release -p fhir-package --example load_core [DIR]`

use std::time::Instant;

use fhir_package::FhirDefinitions;

fn main() {
    let dir = match std::env::args().nth(1) {
        Some(dir) => std::path::PathBuf::from(dir),
        None => match fhir_package::locate_profiles_dir() {
            Ok(dir) => dir,
            Err(error) => {
                eprintln!("{error}");
                std::process::exit(1);
            }
        },
    };
    let started = Instant::now();
    let definitions = match FhirDefinitions::load_dir(&dir) {
        Ok(definitions) => definitions,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let loaded = started.elapsed();
    println!("load_dir({}): {loaded:?}", dir.display());
    println!("{:?}", definitions.counts());

    let started = Instant::now();
    let mut elements = 0;
    let mut failed = 0;
    for sd in definitions.type_definitions() {
        match sd.element_tree() {
            Ok(tree) => elements += tree.len(),
            Err(_) => failed += 1,
        }
    }
    println!(
        "element trees of all {} type definitions: {:?} ({elements} elements, {failed} without snapshot)",
        definitions.type_definitions().count(),
        started.elapsed()
    );
    let started = Instant::now();
    let found = definitions
        .child_element("Patient.contact", "name")
        .is_some();
    println!(
        "child_element after warm-up: {:?} (found: {found})",
        started.elapsed()
    );
}
