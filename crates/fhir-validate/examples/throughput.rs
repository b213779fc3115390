//! Quick throughput check over a folder of resources, per layer:
//! `cargo run --release -p fhir-validate --example throughput -- DIR`.
use fhir_validate::{Layer, Layers, ValidateOptions, Validator, ValidatorConfig};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: throughput DIR")?;
    let mut resources = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            resources.push(serde_json::from_str::<serde_json::Value>(
                &std::fs::read_to_string(&path)?,
            )?);
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
                errors += validator.validate(r, &opts).errors().count();
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
