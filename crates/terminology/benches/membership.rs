//! Membership checks against a packaged expansion and a composed ValueSet,
//! once the expansions are cached (the validator's steady state).
//! `cargo bench -p terminology --bench membership`

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use terminology::Terminology;

fn benchmarks(c: &mut Criterion) {
    let defs = match fhir_package::core() {
        Ok(defs) => defs,
        Err(error) => {
            eprintln!("skipped: {error}");
            return;
        }
    };
    let terms = Terminology::new(Arc::clone(&defs));
    let gender = "http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1";
    let gender_system = Some("http://hl7.org/fhir/administrative-gender");
    let act_reason = "http://terminology.hl7.org/ValueSet/v3-ActReason";
    let account_type = "http://hl7.org/fhir/ValueSet/account-type";
    c.bench_function("validate_code administrative-gender (pre-expanded)", |b| {
        b.iter(|| terms.validate_code(gender, gender_system, "female"))
    });
    c.bench_function("validate_code v3-ActReason by code alone", |b| {
        b.iter(|| terms.validate_code(act_reason, None, "HTEST"))
    });
    let mut compose = c.benchmark_group("compose");
    compose.sample_size(10);
    compose.bench_function(
        "expand_from_compose v3-ActReason (whole code system)",
        |b| {
            b.iter(|| {
                terms
                    .expand_from_compose(act_reason)
                    .map(|e| e.concepts.len())
            })
        },
    );
    compose.bench_function(
        "expand_from_compose account-type (is-a over v3-ActCode)",
        |b| {
            b.iter(|| {
                terms
                    .expand_from_compose(account_type)
                    .map(|e| e.concepts.len())
            })
        },
    );
    compose.finish();
    c.bench_function("lookup v3-ActCode AMB", |b| {
        b.iter(|| terms.lookup("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"))
    });
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
