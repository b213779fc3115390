//! The reference validator's expected outcome of a step (the manifest's
//! `java` key): an OperationOutcome file (absent file: no issues), an inline
//! outcome, or the older `errorCount` form.

use serde_json::Value;
use std::path::Path;

/// One expected error or fatal issue.
#[derive(Debug, Clone)]
pub struct ExpectedError {
    pub expression: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Expected {
    pub error_count: usize,
    /// The errors themselves, when the expectation lists them.
    pub errors: Option<Vec<ExpectedError>>,
}

impl Expected {
    pub fn is_valid(&self) -> bool {
        self.error_count == 0
    }

    /// The expressions of the errors, when every error has one.
    pub fn expressions(&self) -> Option<Vec<String>> {
        self.errors
            .as_ref()?
            .iter()
            .map(|e| e.expression.clone())
            .collect()
    }
}

/// The expectation of `java`; None when nothing is asserted.
pub fn read(cases_dir: &Path, java: &Value) -> Result<Option<Expected>, String> {
    match java {
        Value::String(rel) => {
            let path = cases_dir.join("outcomes").join(rel);
            if !path.is_file() {
                return Ok(Some(from_outcome(&Value::Null)));
            }
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{rel}: {e}"))?;
            let outcome: Value = serde_json::from_str(&text).map_err(|e| format!("{rel}: {e}"))?;
            Ok(Some(from_outcome(&outcome)))
        }
        Value::Object(obj) if obj.contains_key("outcome") => {
            Ok(Some(from_outcome(&obj["outcome"])))
        }
        Value::Object(obj) => {
            Ok(obj
                .get("errorCount")
                .and_then(Value::as_u64)
                .map(|count| Expected {
                    error_count: count as usize,
                    errors: None,
                }))
        }
        _ => Ok(None),
    }
}

fn from_outcome(outcome: &Value) -> Expected {
    let errors: Vec<ExpectedError> = outcome["issue"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| matches!(i["severity"].as_str(), Some("error" | "fatal")))
        .map(|i| ExpectedError {
            expression: i["expression"][0]
                .as_str()
                .or_else(|| i["location"][0].as_str())
                .map(str::to_string),
            text: i["details"]["text"].as_str().unwrap_or("").to_string(),
        })
        .collect();
    Expected {
        error_count: errors.len(),
        errors: Some(errors),
    }
}
