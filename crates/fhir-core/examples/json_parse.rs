//! Compares `fhir_core::json::parse` with `serde_json::from_slice` over a folder
//! of JSON resources (default: ../shared/data/fhir-examples), same process,
//! alternating rounds. `cargo run --release -p fhir-core --example json_parse [DIR] [ROUNDS]`
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "../shared/data/fhir-examples".to_owned());
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if entry.path().extension().is_some_and(|e| e == "json") {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                files.push(bytes);
            }
        }
    }
    let total: usize = files.iter().map(Vec::len).sum();
    println!(
        "{} files, {:.1} MB from {dir}",
        files.len(),
        total as f64 / 1e6
    );
    for round in 0..rounds {
        let start = Instant::now();
        let ours = files
            .iter()
            .filter(|f| fhir_core::json::parse(f).is_ok())
            .count();
        let ours_time = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let theirs = files
            .iter()
            .filter(|f| serde_json::from_slice::<serde_json::Value>(f).is_ok())
            .count();
        let theirs_time = start.elapsed().as_secs_f64();
        println!(
            "round {round}: fhir_core::json {:.0} MB/s ({ours} ok), serde_json {:.0} MB/s ({theirs} ok), ratio {:.2}",
            total as f64 / 1e6 / ours_time,
            total as f64 / 1e6 / theirs_time,
            theirs_time / ours_time
        );
    }
}
