//! ADT^A08 messages per second, parse + translate (no I/O, no validation, no database):
//! `cargo bench -p translate --bench translate`. Results in docs/benchmarks/translate.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hl7v2::{Message, ParseOptions};
use translate::V2ToFhir;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn bench(c: &mut Criterion) {
    let translator = V2ToFhir::new().expect("tables load");
    let options = ParseOptions::default();
    // A small A08 (PID + PV1) and a full one (every translated segment: the A01 fixture sent
    // as an A08).
    let small = fixture("adt_a08.hl7");
    let full = String::from_utf8(fixture("adt_a01_full.hl7"))
        .expect("utf-8")
        .replace("ADT^A01^ADT_A01", "ADT^A08^ADT_A01")
        .into_bytes();
    let mut group = c.benchmark_group("adt_a08");
    group.throughput(Throughput::Elements(1));
    for (name, bytes) in [("small", &small), ("full", &full)] {
        group.bench_function(format!("{name}/parse+translate"), |b| {
            b.iter(|| {
                let message = Message::parse(bytes, &options).expect("parses");
                translator.translate(&message).expect("translates")
            })
        });
        group.bench_function(format!("{name}/parse+translate+serialize"), |b| {
            b.iter(|| {
                let message = Message::parse(bytes, &options).expect("parses");
                let translated = translator.translate(&message).expect("translates");
                serde_json::to_vec(&translated.bundle).expect("serializes")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
