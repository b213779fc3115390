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
    // One line per resource on each stream: buffered, not a write each.
    let mut out = std::io::BufWriter::new(out);
    let mut progress = std::io::BufWriter::new(std::io::stderr().lock());
    let mut all_valid = true;
    for input in inputs(files) {
        let (name, bytes) = input?;
        // One resource parsed at a time: a large NDJSON file is never held
        // as parsed JSON all at once.
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
            writeln!(progress, "{label}: {}", summary(&issues))?;
        }
    }
    out.flush()?;
    progress.flush()?;
    Ok(all_valid)
}

type Parsed = (String, Result<Value, Issue>);

/// One JSON document, or NDJSON (one resource a line, numbered in the
/// label), parsed lazily, a line at a time, from the bytes as read. Read as
/// FHIR JSON (`fhir_core::json`): a duplicate key is an error naming the
/// element, numbers keep their text, and invalid UTF-8 is an error rather
/// than replaced.
fn resources<'a>(name: &'a str, bytes: &'a [u8]) -> Box<dyn Iterator<Item = Parsed> + 'a> {
    let whole_error = match json::parse(bytes) {
        Ok(value) => return Box::new(std::iter::once((name.to_owned(), Ok(value)))),
        Err(error) => error,
    };
    let mut lines = bytes
        .split(|byte| *byte == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.trim_ascii().is_empty())
        .peekable();
    // NDJSON when the first line is a document of its own: it parses, or is
    // refused only for FHIR's reasons (a duplicate key, too deep) and not
    // cut short, as the first line of a pretty-printed document is.
    let first_is_document = lines.peek().is_some_and(|(_, line)| {
        json::parse(line).map_or_else(|e| e.kind != JsonErrorKind::Syntax, |_| true)
    });
    if !first_is_document {
        return Box::new(std::iter::once((
            name.to_owned(),
            Err(unreadable(&whole_error, None)),
        )));
    }
    Box::new(lines.map(move |(index, line)| {
        let parsed = json::parse(line).map_err(|e| unreadable(&e, Some(index + 1)));
        (format!("{name}:{}", index + 1), parsed)
    }))
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

#[cfg(test)]
mod tests {
    use super::resources;

    #[test]
    fn ndjson_lines_are_numbered_and_a_bad_line_is_reported_alone() {
        let text =
            b"{\"resourceType\":\"Patient\"}\n\n{\"resourceType\":\n{\"resourceType\":\"Basic\"}\n";
        let parsed: Vec<_> = resources("f.ndjson", text).collect();
        let labels: Vec<&str> = parsed.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["f.ndjson:1", "f.ndjson:3", "f.ndjson:4"]);
        assert!(parsed[0].1.is_ok() && parsed[2].1.is_ok());
        let error = parsed[1].1.as_ref().expect_err("line 3 is cut short");
        assert!(
            error.diagnostics.starts_with("line 3: not valid JSON"),
            "{error:?}"
        );
    }

    #[test]
    fn one_document_and_garbage_give_one_entry_each() {
        let one: Vec<_> = resources("a.json", b"{\"resourceType\":\"Patient\"}").collect();
        assert_eq!(one.len(), 1);
        assert!(one[0].1.is_ok());
        let garbage: Vec<_> = resources("b", b"\xff\xfe not json").collect();
        assert_eq!(garbage.len(), 1);
        let error = garbage[0].1.as_ref().expect_err("garbage");
        assert!(error.diagnostics.starts_with("not valid JSON"), "{error:?}");
    }

    #[test]
    fn a_refused_first_line_does_not_hide_the_rest_of_an_ndjson_file() {
        let text = b"{\"resourceType\":\"Patient\",\"gender\":\"male\",\"gender\":\"female\"}\r\n{\"resourceType\":\"Basic\"}\n";
        let parsed: Vec<_> = resources("f.ndjson", text).collect();
        assert_eq!(parsed.len(), 2, "{parsed:?}");
        let error = parsed[0].1.as_ref().expect_err("duplicate key");
        assert!(error.diagnostics.contains("appears twice"), "{error:?}");
        assert!(parsed[1].1.is_ok(), "{parsed:?}");
    }
}
