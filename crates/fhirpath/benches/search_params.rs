//! Throughput of the R4 search-parameter expressions over the official R4
//! examples: every (SearchParameter.expression, example of a base type)
//! pair, expressions parsed once. bench-compare/run.js runs the same
//! workload on the reference JavaScript engine (fhirpath@5.2.0).

#[path = "support/workload.rs"]
mod workload;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fhirpath::{EvalContext, PackageModel};
use workload::{data_dir, workload};

fn bench(c: &mut Criterion) {
    let Some(data) = data_dir() else {
        println!("skipped: ../shared/data not found");
        return;
    };
    let model = Arc::new(PackageModel::core().expect("fhir-profiles"));
    let ctx = EvalContext::with_model(model);
    let work = workload(&data);
    let evaluations: usize = work.iter().map(|(_, expressions)| expressions.len()).sum();
    println!(
        "{} expressions, {evaluations} evaluations per iteration",
        work.len()
    );
    let mut group = c.benchmark_group("search_params");
    group.throughput(Throughput::Elements(evaluations as u64));
    group.sample_size(20);
    group.bench_function("r4_examples", |b| {
        b.iter(|| {
            let mut items = 0;
            for (input, expressions) in &work {
                for expr in expressions {
                    items += expr.evaluate(&ctx, input).map(|r| r.len()).unwrap_or(0);
                }
            }
            black_box(items)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
