//! `cargo run --release --example search_throughput -- ROUNDS`: evaluates the
//! benchmark workload (see benches/support/workload.rs) once to warm up,
//! then ROUNDS times, and prints the evaluation count. On a shared machine,
//! compare the user CPU time of two ROUNDS values (`/usr/bin/time -f %U`):
//! see docs/benchmarks/fhirpath.md.

#[path = "../benches/support/workload.rs"]
mod workload;

use std::sync::Arc;

use fhirpath::{EvalContext, PackageModel};

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let Some(data) = workload::data_dir() else {
        println!("skipped: ../shared/data not found");
        return;
    };
    let model = match PackageModel::core() {
        Ok(model) => Arc::new(model),
        Err(e) => {
            println!("skipped: {e}");
            return;
        }
    };
    let ctx = EvalContext::with_model(model);
    let work = workload::workload(&data);
    let per_round: usize = work.iter().map(|(_, expressions)| expressions.len()).sum();
    let mut items = 0usize;
    for _ in 0..=rounds {
        for (input, expressions) in &work {
            for expr in expressions {
                items += std::hint::black_box(expr.evaluate(&ctx, input))
                    .map(|r| r.len())
                    .unwrap_or(0);
            }
        }
    }
    println!("{} resources, {per_round} evaluations per round, {rounds} rounds after warm-up, {items} items", work.len());
}
