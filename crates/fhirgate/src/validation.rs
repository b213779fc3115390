//! Wiring `fhir-validate` into the gateway: loading definitions once per
//! profiles folder, and translating the validator's issues into the
//! OperationOutcome issues every edge renders.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context;
use fhir_core::operation_outcome::{Issue, IssueType, Severity};
use fhir_package::FhirDefinitions;
use fhir_validate::{ValidateOptions, Validator, ValidatorConfig};
use gateway::use_cases::ResourceValidator;
use serde_json::Value;

/// Definitions are immutable once loaded; several applications in one process
/// (tests, the CLI) share them rather than parsing 90 MB again.
pub fn load_definitions(profiles: &Path) -> anyhow::Result<Arc<FhirDefinitions>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<FhirDefinitions>>>> = OnceLock::new();
    let key = profiles
        .canonicalize()
        .unwrap_or_else(|_| profiles.to_path_buf());
    let cache = LOADED.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(found) = cache.lock().ok().and_then(|map| map.get(&key).cloned()) {
        return Ok(found);
    }
    let definitions =
        Arc::new(FhirDefinitions::load_dir(profiles).with_context(|| {
            format!("cannot load FHIR definitions from {}", profiles.display())
        })?);
    for warning in definitions.warnings() {
        tracing::warn!(%warning, "FHIR package");
    }
    if let Ok(mut map) = cache.lock() {
        map.insert(key, definitions.clone());
    }
    Ok(definitions)
}

/// A validator for these profiles and enforced profiles, shared per process.
pub fn build_validator(
    profiles: &Path,
    enforced_profiles: &HashMap<String, Vec<String>>,
) -> anyhow::Result<Arc<Validator>> {
    type Key = (PathBuf, Vec<(String, Vec<String>)>);
    static BUILT: OnceLock<Mutex<HashMap<Key, Arc<Validator>>>> = OnceLock::new();
    let mut enforced: Vec<(String, Vec<String>)> = enforced_profiles.clone().into_iter().collect();
    enforced.sort();
    let key = (profiles.to_path_buf(), enforced);
    let cache = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(found) = cache.lock().ok().and_then(|map| map.get(&key).cloned()) {
        return Ok(found);
    }
    let definitions = load_definitions(profiles)?;
    let config = ValidatorConfig {
        enforced_profiles: enforced_profiles.clone(),
        schema_path: None,
    };
    let validator =
        Arc::new(Validator::new(definitions, config).context("cannot build the validator")?);
    if let Ok(mut map) = cache.lock() {
        map.insert(key, validator.clone());
    }
    Ok(validator)
}

/// Validates a resource and returns gateway issues.
pub fn validate(validator: &Validator, resource: &Value, profiles: &[String]) -> Vec<Issue> {
    let options = ValidateOptions {
        profiles: profiles.to_vec(),
        ..ValidateOptions::default()
    };
    validator
        .validate(resource, &options)
        .issues
        .into_iter()
        .map(to_outcome_issue)
        .collect()
}

fn to_outcome_issue(issue: fhir_validate::Issue) -> Issue {
    let severity = match issue.severity {
        fhir_validate::Severity::Fatal => Severity::Fatal,
        fhir_validate::Severity::Error => Severity::Error,
        fhir_validate::Severity::Warning => Severity::Warning,
        fhir_validate::Severity::Information => Severity::Information,
    };
    let code = issue_type(issue.code.code());
    let outcome = Issue::new(severity, code, issue.message);
    if issue.expression.is_empty() {
        outcome
    } else {
        outcome.at(issue.expression)
    }
}

/// Both crates use the R4 issue-type codes; map by code.
fn issue_type(code: &str) -> IssueType {
    match code {
        "structure" => IssueType::Structure,
        "required" => IssueType::Required,
        "value" => IssueType::Value,
        "invariant" => IssueType::Invariant,
        "code-invalid" => IssueType::CodeInvalid,
        "not-supported" => IssueType::NotSupported,
        "processing" => IssueType::Processing,
        "not-found" => IssueType::NotFound,
        "business-rule" => IssueType::BusinessRule,
        "informational" => IssueType::Informational,
        "too-long" => IssueType::TooLong,
        "exception" => IssueType::Exception,
        "incomplete" => IssueType::Incomplete,
        _ => IssueType::Invalid,
    }
}

/// The gateway's view of the validator.
pub struct GatewayValidator(pub Arc<Validator>);

impl ResourceValidator for GatewayValidator {
    fn validate(&self, resource: &Value, extra_profiles: &[String]) -> Vec<Issue> {
        validate(&self.0, resource, extra_profiles)
    }
}
