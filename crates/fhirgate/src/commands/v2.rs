//! `fhirgate v2 [--path TERSE] FILE…`: what an HL7 v2 message really contains,
//! decoded (escapes, character set), one JSON document per message (batches split).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use hl7v2::ParseOptions;

use super::inputs;

pub fn run(path: Option<&str>, files: &[PathBuf], out: &mut impl Write) -> anyhow::Result<bool> {
    let options = ParseOptions::default();
    let mut all_ok = true;
    for input in inputs(files) {
        let (name, bytes) = input?;
        let rendered = match path {
            Some(path) => hl7v2::render_path(&bytes, path, &options),
            None => hl7v2::render_json(&bytes, &options),
        };
        match rendered {
            Ok(documents) => {
                for document in documents {
                    let text = if path.is_some() {
                        serde_json::to_string(&document)?
                    } else {
                        serde_json::to_string_pretty(&document)?
                    };
                    writeln!(out, "{text}").context("cannot write output")?;
                }
            }
            Err(error) => {
                all_ok = false;
                eprintln!("{name}: {error}");
            }
        }
    }
    Ok(all_ok)
}
