//! Loading the vendored core (warm cache) and type-model lookups.
//! `cargo bench -p fhir-package --bench definitions`

use criterion::{criterion_group, criterion_main, Criterion};
use fhir_package::FhirDefinitions;

fn benchmarks(c: &mut Criterion) {
    let dir = match fhir_package::locate_profiles_dir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("skipped: {error}");
            return;
        }
    };
    let mut load = c.benchmark_group("load");
    load.sample_size(10);
    load.bench_function("load_dir core (warm cache)", |b| {
        b.iter(|| FhirDefinitions::load_dir(&dir).map(|defs| defs.counts()))
    });
    load.finish();

    let Ok(defs) = FhirDefinitions::load_dir(&dir) else {
        return;
    };
    // Compile the trees once; the lookups below measure the warm path.
    let _ = defs.child_element("Patient.contact", "name");
    let _ = defs.child_element("Observation", "value");
    c.bench_function("child_element Patient.contact name", |b| {
        b.iter(|| {
            defs.child_element("Patient.contact", "name")
                .map(|child| child.min)
        })
    });
    c.bench_function("choice_types Observation valueQuantity", |b| {
        b.iter(|| defs.choice_types("Observation", "valueQuantity"))
    });
    c.bench_function("base_type code", |b| b.iter(|| defs.base_type("code")));
    c.bench_function("search_parameter Patient name", |b| {
        b.iter(|| {
            defs.search_parameter("Patient", "name")
                .map(|p| p.code.len())
        })
    });
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
