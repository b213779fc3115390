//! Throughput of the R4 search-parameter expressions over the official R4
//! examples: every (SearchParameter.expression, example of a base type)
//! pair, expressions parsed once. bench-compare/run.js runs the same
//! workload on the reference JavaScript engine (fhirpath@5.2.0).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fhirpath::{parse, EvalContext, Expression, PackageModel};
use serde_json::Value as Json;

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    dir.exists().then_some(dir)
}

fn workload(data: &Path) -> Vec<(Expression, Vec<Json>)> {
    let mut text = String::new();
    let file = std::fs::File::open(data.join("fhir-r4/search-parameters.json.gz"))
        .expect("search parameters");
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("gzip");
    let bundle: Json = serde_json::from_str(&text).expect("json");
    let mut examples: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    let mut paths: Vec<_> = std::fs::read_dir(data.join("fhir-examples"))
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    for path in paths {
        let Ok(json) = std::fs::read_to_string(&path).map(|t| serde_json::from_str::<Json>(&t))
        else {
            continue;
        };
        let Ok(json) = json else { continue };
        if let Some(rt) = json["resourceType"].as_str() {
            examples.entry(rt.to_string()).or_default().push(json);
        }
    }
    let mut out = Vec::new();
    for sp in bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["resource"])
    {
        let Some(text) = sp["expression"].as_str() else {
            continue;
        };
        let Ok(expr) = parse(text) else { continue };
        let mut inputs = Vec::new();
        for base in sp["base"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
        {
            inputs.extend(examples.get(base).into_iter().flatten().cloned());
        }
        out.push((expr, inputs));
    }
    out
}

fn bench(c: &mut Criterion) {
    let Some(data) = data_dir() else {
        println!("skipped: ../shared/data not found");
        return;
    };
    let model = Arc::new(PackageModel::core().expect("fhir-profiles"));
    let ctx = EvalContext::with_model(model);
    let work = workload(&data);
    let evaluations: usize = work.iter().map(|(_, inputs)| inputs.len()).sum();
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
            for (expr, inputs) in &work {
                for input in inputs {
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
