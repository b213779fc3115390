//! Writes the benchmark's generated patient set as NDJSON (for the medplum
//! comparison in bench-compare/):
//! `cargo run --release -p fhir-validate --example gen_patients -- OUT.ndjson [PATIENTS]`.
#[path = "../benches/patient_generator.rs"]
mod patient_generator;

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: gen_patients OUT.ndjson [PATIENTS]")?;
    let patients = args.next().map(|n| n.parse()).transpose()?.unwrap_or(200);
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    for resource in patient_generator::generate(patients) {
        writeln!(file, "{}", serde_json::to_string(&resource)?)?;
    }
    Ok(())
}
