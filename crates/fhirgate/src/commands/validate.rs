//! `fhirgate validate [--profile URL]… FILE…`: an OperationOutcome per
//! resource (a Bundle is one resource; NDJSON gives one per line), and
//! exit code 1 when any has an error.

use std::io::Write;
use std::path::{Path, PathBuf};

use fhir_core::json::{self, JsonError, JsonErrorKind};
use fhir_core::operation_outcome::{operation_outcome, Issue, IssueType, Severity};
use serde_json::Value;

use super::inputs;
use crate::validation::{build_validator, validate};

pub fn run(
    profiles_dir: &Path,
    enforced: &std::collections::HashMap<String, Vec<String>>,
    profiles: &[String],
    files: &[PathBuf],
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let validator = build_validator(profiles_dir, enforced)?;
    let mut all_valid = true;
    for input in inputs(files) {
        let (name, bytes) = input?;
        for (label, parsed) in resources(&name, &bytes) {
            let issues = match parsed {
                Ok(resource) => validate(&validator, &resource, profiles),
                Err(unreadable) => vec![unreadable],
            };
            if issues
                .iter()
                .any(|i| matches!(i.severity, Severity::Error | Severity::Fatal))
            {
                all_valid = false;
            }
            let mut outcome = operation_outcome(&issues);
            // Say which input this outcome is about, as a FHIR-valid extension-free field would not.
            outcome["id"] = Value::String(sanitize_id(&label));
            writeln!(out, "{}", serde_json::to_string(&outcome)?)?;
            eprintln!("{label}: {}", summary(&issues));
        }
    }
    Ok(all_valid)
}

/// One JSON document, or NDJSON (one resource a line, numbered in the label).
/// Read as FHIR JSON (`fhir_core::json`): a duplicate key is an error naming
/// the element, and numbers keep their text.
fn resources(name: &str, bytes: &[u8]) -> Vec<(String, Result<Value, Issue>)> {
    match json::parse(bytes) {
        Ok(value) => vec![(name.to_owned(), Ok(value))],
        Err(whole_error) if whole_error.kind != JsonErrorKind::Syntax => {
            vec![(name.to_owned(), Err(unreadable(&whole_error, None)))]
        }
        Err(whole_error) => {
            let text = String::from_utf8_lossy(bytes);
            let lines: Vec<(usize, &str)> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .collect();
            let first_is_json = lines
                .first()
                .is_some_and(|(_, l)| json::parse_str(l).is_ok());
            if !first_is_json {
                return vec![(name.to_owned(), Err(unreadable(&whole_error, None)))];
            }
            lines
                .into_iter()
                .map(|(index, line)| {
                    let parsed = json::parse_str(line).map_err(|e| unreadable(&e, Some(index + 1)));
                    (format!("{name}:{}", index + 1), parsed)
                })
                .collect()
        }
    }
}

fn unreadable(error: &JsonError, ndjson_line: Option<usize>) -> Issue {
    let what = match error.kind {
        JsonErrorKind::Syntax | JsonErrorKind::TooDeep => "not valid JSON",
        JsonErrorKind::DuplicateKey => "not valid FHIR JSON",
    };
    let message = match ndjson_line {
        Some(line) => format!("line {line}: {what}: {error}"),
        None => format!("{what}: {error}"),
    };
    let issue = Issue::error(IssueType::Structure, message);
    match &error.path {
        Some(path) => issue.at(path.clone()),
        None => issue,
    }
}

fn summary(issues: &[Issue]) -> String {
    let count = |wanted: &[Severity]| {
        issues
            .iter()
            .filter(|i| wanted.contains(&i.severity))
            .count()
    };
    format!(
        "{} error(s), {} warning(s)",
        count(&[Severity::Error, Severity::Fatal]),
        count(&[Severity::Warning])
    )
}

/// The outcome's id names the input (an id allows only [A-Za-z0-9.-]).
fn sanitize_id(label: &str) -> String {
    let cleaned: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    let tail = trimmed.len().saturating_sub(64);
    trimmed.get(tail..).unwrap_or("input").to_owned()
}
