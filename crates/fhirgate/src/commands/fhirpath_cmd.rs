//! `fhirgate fhirpath EXPRESSION [FILE]`: evaluates FHIRPath over a resource
//! (prints one JSON array) or over NDJSON (one array a line, streaming).

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use fhirpath::{EvalContext, PackageModel};

/// Returns false when an evaluation failed (the error is printed).
pub fn run(
    expression: &str,
    file: Option<&Path>,
    profiles: &Path,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let expression = fhirpath::parse(expression).map_err(|error| anyhow::anyhow!("{error}"))?;
    let definitions = fhir_package::FhirDefinitions::load_dir(profiles)
        .with_context(|| format!("cannot load FHIR definitions from {}", profiles.display()))?;
    let context = EvalContext::with_model(Arc::new(PackageModel::new(Arc::new(definitions))));
    let mut input: Box<dyn BufRead> = match file {
        Some(path) if path != Path::new("-") => Box::new(BufReader::new(
            File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
        )),
        _ => Box::new(BufReader::new(std::io::stdin())),
    };
    // NDJSON when the first line is a whole JSON value on its own; a pretty-printed
    // resource spans several lines and is read whole.
    let mut first_line = String::new();
    input
        .read_line(&mut first_line)
        .context("cannot read input")?;
    let is_ndjson = serde_json::from_str::<serde_json::Value>(first_line.trim()).is_ok();
    if is_ndjson {
        let stream = Cursor::new(first_line.into_bytes()).chain(input);
        fhirpath::evaluate_ndjson(&expression, &context, BufReader::new(stream), &mut *out)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        return Ok(true);
    }
    let mut text = first_line;
    input
        .read_to_string(&mut text)
        .context("cannot read input")?;
    let resource = fhir_core::json::parse_str(&text)
        .context("the input is neither a JSON resource nor NDJSON")?;
    match expression.evaluate(&context, &resource) {
        Ok(result) => {
            writeln!(out, "{}", fhirpath::to_json_output(&result))?;
            Ok(true)
        }
        Err(error) => {
            eprintln!("fhirpath: {error}");
            Ok(false)
        }
    }
}
