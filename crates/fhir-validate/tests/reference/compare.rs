//! Runs one step and compares our errors with the reference's: (a) the
//! verdict (valid ⇔ no error or fatal issue), (b) the error count, (c) the
//! multiset of error expressions where the reference gives them.

use super::expected::Expected;
use super::loader::Loader;
use super::manifest::Step;
use fhir_validate::{Issue, IssueType, Layer, Layers, Severity, ValidateOptions, Validator};

pub struct Outcome {
    pub step: Step,
    pub expected: Expected,
    /// Our error and fatal issues.
    pub ours: Vec<Issue>,
}

impl Outcome {
    pub fn verdict_agrees(&self) -> bool {
        self.expected.is_valid() == self.ours.is_empty()
    }

    pub fn count_agrees(&self) -> bool {
        self.expected.error_count == self.ours.len()
    }

    /// None when the reference does not give every error's expression.
    pub fn expressions_agree(&self) -> Option<bool> {
        let mut theirs: Vec<String> = self
            .expected
            .expressions()?
            .iter()
            .map(|e| normalise(e))
            .collect();
        let mut ours: Vec<String> = self.ours.iter().map(|i| i.expression.clone()).collect();
        theirs.sort();
        ours.sort();
        Some(theirs == ours)
    }
}

/// The reference's expression in our form: without the `/*Type/id*/`
/// comments it puts after a nested resource, and with choice elements
/// named by their property (`value.ofType(Quantity)` → `valueQuantity`).
pub fn normalise(expression: &str) -> String {
    let mut out = String::with_capacity(expression.len());
    let mut rest = expression;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        match rest[start..].find("*/") {
            Some(end) => rest = &rest[start + end + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    while let Some(at) = out.find(".ofType(") {
        let Some(close) = out[at..].find(')') else {
            break;
        };
        let type_name = out[at + 8..at + close].to_string();
        let mut chars = type_name.chars();
        let suffix: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        out.replace_range(at..at + close + 1, &suffix);
    }
    out
}

/// Validates the step's file as the server would (base step) or against the
/// step's profile (profile step). The JSON and schema layers depend only on
/// the core, so they run on the shared core validator; the structure layer
/// runs on a validator holding the step's extra definitions.
pub fn run(step: &Step, core: &Validator, loader: &mut Loader) -> Result<Vec<Issue>, String> {
    let text = std::fs::read_to_string(&step.file).map_err(|e| e.to_string())?;
    let resource: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(e) => return Ok(vec![unreadable(e)]),
    };
    let profiles = step.profile.iter().cloned().collect();
    let mut issues = if step.extras.is_empty() {
        core.validate(
            &resource,
            &ValidateOptions {
                profiles,
                layers: Layers::ALL,
            },
        )
        .issues
    } else {
        let own = loader.validator_for(&step.extras)?;
        let json_and_schema = Layers {
            structure: false,
            ..Layers::ALL
        };
        let mut issues = core
            .validate(
                &resource,
                &ValidateOptions {
                    profiles: vec![],
                    layers: json_and_schema,
                },
            )
            .issues;
        let structure = ValidateOptions {
            profiles,
            layers: Layers::only(Layer::Structure),
        };
        issues.extend(own.validate(&resource, &structure).issues);
        issues
    };
    issues.retain(|i| i.severity.is_error());
    // As `Validator::validate` does within one call.
    let mut seen = std::collections::HashSet::new();
    issues.retain(|i| seen.insert((i.expression.clone(), i.message.clone())));
    Ok(issues)
}

/// A body that is not JSON: the server refuses it outright.
fn unreadable(error: serde_json::Error) -> Issue {
    Issue {
        severity: Severity::Fatal,
        code: IssueType::Structure,
        expression: String::new(),
        message: format!("not valid JSON: {error}"),
        layer: Layer::JsonRules,
    }
}
