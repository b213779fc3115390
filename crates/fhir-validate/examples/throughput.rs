//! Quick throughput check over a folder of resources, per layer:
//! `cargo run --release -p fhir-validate --example throughput -- DIR|FILE.ndjson`.
use fhir_validate::{Layer, Layers, ValidateOptions, Validator, ValidatorConfig};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let source = std::env::args()
        .nth(1)
        .ok_or("usage: throughput DIR|FILE.ndjson")?;
    let mut resources = Vec::new();
    if source.ends_with(".ndjson") {
        for line in std::fs::read_to_string(&source)?
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            resources.push(serde_json::from_str::<serde_json::Value>(line)?);
        }
    } else {
        for entry in std::fs::read_dir(&source)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json") {
                resources.push(serde_json::from_str::<serde_json::Value>(
                    &std::fs::read_to_string(&path)?,
                )?);
            }
        }
    }
    let t = Instant::now();
    let validator = Validator::new(fhir_package::core()?, ValidatorConfig::default())?;
    println!("validator built in {:?}", t.elapsed());
    for (name, layers) in [
        ("json-rules", Layers::only(Layer::JsonRules)),
        ("schema", Layers::only(Layer::Schema)),
        ("structure", Layers::only(Layer::Structure)),
        ("all", Layers::ALL),
    ] {
        let opts = ValidateOptions {
            profiles: Vec::new(),
            layers,
        };
        for pass in ["cold", "warm"] {
            let t = Instant::now();
            let mut errors = 0;
            for r in &resources {
                let report = validator.validate(r, &opts);
                if pass == "warm" && name == "all" && errors < 5 {
                    report.errors().for_each(|e| println!("  {e}"));
                }
                errors += report.errors().count();
            }
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{name:<10} {pass}: {} resources in {secs:.3}s = {:.0}/s ({errors} errors)",
                resources.len(),
                resources.len() as f64 / secs
            );
        }
    }
    Ok(())
}
