//! `fhirgate translate --from hl7v2 --to fhir FILE…`: the FHIR transaction Bundle for each
//! HL7 v2 message (batches split) on stdout, what was not carried over on stderr. Exits 1
//! when any message is rejected or does not parse; FHIR -> v2 is not built yet (exit 2).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use hl7v2::ParseOptions;
use translate::{Rejection, V2ToFhir};

use super::inputs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Hl7v2,
    Fhir,
}

pub fn run(
    from: Format,
    to: Format,
    files: &[PathBuf],
    out: &mut impl Write,
    err: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    match (from, to) {
        (Format::Hl7v2, Format::Fhir) => v2_to_fhir(files, out, err),
        (Format::Fhir, Format::Hl7v2) => {
            writeln!(
                err,
                "fhirgate: translation from FHIR to HL7 v2 is not yet supported"
            )?;
            Ok(ExitCode::from(2))
        }
        _ => {
            writeln!(err, "fhirgate: --from and --to must differ (hl7v2 -> fhir)")?;
            Ok(ExitCode::from(2))
        }
    }
}

fn v2_to_fhir(
    files: &[PathBuf],
    out: &mut impl Write,
    err: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let translator = V2ToFhir::new().context("cannot load the v2 -> FHIR mapping tables")?;
    let options = ParseOptions::default();
    let mut all_ok = true;
    for input in inputs(files) {
        let (name, bytes) = input?;
        let split = match hl7v2::split_messages(&bytes, &options) {
            Ok(split) => split,
            Err(error) => {
                all_ok = false;
                writeln!(err, "{name}: {error}")?;
                continue;
            }
        };
        for (index, chunk) in split.messages.iter().enumerate() {
            let label = format!("{name} message {}", index + 1);
            let message = match chunk.parse(&options) {
                Ok(message) => message,
                Err(error) => {
                    all_ok = false;
                    writeln!(err, "{label}: {error}")?;
                    continue;
                }
            };
            match translator.translate(&message) {
                Ok(translated) => {
                    let text = serde_json::to_string_pretty(&translated.bundle)?;
                    writeln!(out, "{text}").context("cannot write output")?;
                    for unmapped in &translated.unmapped {
                        writeln!(err, "{label}: unmapped {unmapped}")?;
                    }
                }
                Err(rejection) => {
                    all_ok = false;
                    let ack = match rejection {
                        Rejection::Unsupported { .. } => "AR",
                        Rejection::Content { .. } => "AE",
                    };
                    writeln!(
                        err,
                        "{label}: rejected ({ack}, {}): {rejection}",
                        rejection.code()
                    )?;
                }
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
