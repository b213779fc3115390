//! Times loading the profiles directory (default: the vendored core) and
//! the first element-tree compilations, for docs/benchmarks/fhir-package.md.
//!
//! `cargo run --release -p fhir-package --example load_core [DIR]`
//! (`FHIRGATE_PACKAGE_CACHE=off` to time loading without the decompression cache).
//! Prints wall-clock time and, on Linux, the process CPU time (user + system,
//! all threads), which stays meaningful on a busy machine.

use std::time::Instant;

use fhir_package::FhirDefinitions;

/// CPU seconds used by this process so far (Linux `/proc/self/stat`), if known.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports these in USER_HZ, 100 per second on every mainstream platform.
    Some(ticks / 100.0)
}

fn cpu_since(start: Option<f64>) -> String {
    match (start, cpu_seconds()) {
        (Some(start), Some(now)) => format!("{:.2} s CPU", now - start),
        _ => "CPU time unavailable".to_string(),
    }
}

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
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let definitions = match FhirDefinitions::load_dir(&dir) {
        Ok(definitions) => definitions,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let loaded = started.elapsed();
    println!(
        "load_dir({}): {loaded:?} wall, {}",
        dir.display(),
        cpu_since(cpu)
    );
    println!("{:?}", definitions.counts());

    let (started, cpu) = (Instant::now(), cpu_seconds());
    let mut elements = 0;
    let mut failed = 0;
    for sd in definitions.type_definitions() {
        match sd.element_tree() {
            Ok(tree) => elements += tree.len(),
            Err(_) => failed += 1,
        }
    }
    println!(
        "element trees of all {} type definitions: {:?} wall, {} ({elements} elements, {failed} without snapshot)",
        definitions.type_definitions().count(),
        started.elapsed(),
        cpu_since(cpu)
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
