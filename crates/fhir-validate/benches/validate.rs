//! Resources per second on one core: the official R4 examples and a
//! generated patient set, all layers and each layer alone.
//! `cargo bench -p fhir-validate --bench validate`
mod patient_generator;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fhir_validate::{Layer, Layers, ValidateOptions, Validator, ValidatorConfig};
use serde_json::Value;
use std::path::PathBuf;

fn examples() -> Vec<Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/fhir-examples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("skipped: ../shared/data/fhir-examples not found");
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|p| serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok())
        .collect()
}

fn bench(c: &mut Criterion) {
    let defs = fhir_package::core().expect("core definitions");
    let validator = Validator::new(defs, ValidatorConfig::default()).expect("validator");
    let sets = [
        ("examples", examples()),
        ("patients", patient_generator::generate(200)),
    ];
    let layer_sets = [
        ("all", Layers::ALL),
        ("json-rules", Layers::only(Layer::JsonRules)),
        ("schema", Layers::only(Layer::Schema)),
        ("structure", Layers::only(Layer::Structure)),
    ];
    for (set, resources) in &sets {
        if resources.is_empty() {
            continue;
        }
        let mut group = c.benchmark_group(*set);
        group.throughput(Throughput::Elements(resources.len() as u64));
        group.sample_size(10);
        for (name, layers) in layer_sets {
            let opts = ValidateOptions {
                profiles: Vec::new(),
                layers,
            };
            // Compile everything lazily built before timing.
            resources
                .iter()
                .for_each(|r| drop(validator.validate(r, &opts)));
            group.bench_function(name, |b| {
                b.iter(|| {
                    resources
                        .iter()
                        .map(|r| validator.validate(r, &opts).issues.len())
                        .sum::<usize>()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
