//! What validation found: issues with a severity, an R4 IssueType code, a
//! FHIRPath expression of the offending element and a message written for an
//! integration engineer, plus the rendering as an R4 OperationOutcome.

use serde_json::{json, Value};
use std::fmt;

/// R4 `IssueSeverity` (http://hl7.org/fhir/issue-severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Fatal,
    Error,
    Warning,
    Information,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::Fatal => "fatal",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
        }
    }

    /// `fatal` and `error` make a resource unacceptable.
    pub fn is_error(self) -> bool {
        matches!(self, Severity::Fatal | Severity::Error)
    }
}

/// The subset of R4 `IssueType` (http://hl7.org/fhir/issue-type) the
/// validator reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueType {
    Invalid,
    Structure,
    Required,
    Value,
    Invariant,
    CodeInvalid,
    NotSupported,
    NotFound,
    Processing,
    Informational,
}

impl IssueType {
    pub fn code(self) -> &'static str {
        match self {
            IssueType::Invalid => "invalid",
            IssueType::Structure => "structure",
            IssueType::Required => "required",
            IssueType::Value => "value",
            IssueType::Invariant => "invariant",
            IssueType::CodeInvalid => "code-invalid",
            IssueType::NotSupported => "not-supported",
            IssueType::NotFound => "not-found",
            IssueType::Processing => "processing",
            IssueType::Informational => "informational",
        }
    }

    pub fn from_code(code: &str) -> Option<IssueType> {
        let all = [
            IssueType::Invalid,
            IssueType::Structure,
            IssueType::Required,
            IssueType::Value,
            IssueType::Invariant,
            IssueType::CodeInvalid,
            IssueType::NotSupported,
            IssueType::NotFound,
            IssueType::Processing,
            IssueType::Informational,
        ];
        all.into_iter().find(|t| t.code() == code)
    }
}

/// Which validation layer raised an issue; lets callers and tests measure
/// what each layer catches on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// FHIR JSON representation rules and primitive lexical forms.
    JsonRules,
    /// The R4 JSON schema.
    Schema,
    /// StructureDefinition walk of the base type (and of profiles).
    Structure,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub severity: Severity,
    pub code: IssueType,
    /// FHIRPath of the element, e.g. `Bundle.entry[3].resource.name[0].family`.
    pub expression: String,
    /// Human readable, starts with the expression so a log line stands alone.
    pub message: String,
    pub layer: Layer,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {}",
            self.severity.code(),
            self.code.code(),
            self.message
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationReport {
    pub issues: Vec<Issue>,
}

impl ValidationReport {
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity.is_error())
    }

    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity.is_error())
    }

    /// R4 OperationOutcome JSON. An outcome without issues still needs one
    /// issue (OperationOutcome.issue is 1..*), so success is reported as a
    /// single `information` issue.
    pub fn to_operation_outcome(&self) -> Value {
        let issues: Vec<Value> = if self.issues.is_empty() {
            vec![json!({
                "severity": "information",
                "code": "informational",
                "diagnostics": "Validation successful: no issues found"
            })]
        } else {
            self.issues.iter().map(issue_json).collect()
        };
        json!({ "resourceType": "OperationOutcome", "issue": issues })
    }
}

fn issue_json(issue: &Issue) -> Value {
    let mut out = json!({
        "severity": issue.severity.code(),
        "code": issue.code.code(),
        "diagnostics": issue.message,
    });
    if !issue.expression.is_empty() {
        out["expression"] = json!([issue.expression]);
    }
    out
}

/// Collects issues while a layer walks a resource.
#[derive(Debug)]
pub(crate) struct Sink<'a> {
    pub issues: &'a mut Vec<Issue>,
    pub layer: Layer,
}

impl Sink<'_> {
    pub fn push(&mut self, severity: Severity, code: IssueType, expr: &str, detail: String) {
        let message = if expr.is_empty() {
            detail
        } else {
            format!("{expr}: {detail}")
        };
        self.issues.push(Issue {
            severity,
            code,
            expression: expr.to_string(),
            message,
            layer: self.layer,
        });
    }

    pub fn error(&mut self, code: IssueType, expr: &str, detail: String) {
        self.push(Severity::Error, code, expr, detail);
    }

    pub fn warning(&mut self, code: IssueType, expr: &str, detail: String) {
        self.push(Severity::Warning, code, expr, detail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_report_is_one_information_issue() {
        let oo = ValidationReport::default().to_operation_outcome();
        assert_eq!(oo["issue"].as_array().map(Vec::len), Some(1));
        assert_eq!(oo["issue"][0]["severity"], "information");
    }

    #[test]
    fn issue_renders_expression_and_code() {
        let mut issues = Vec::new();
        Sink {
            issues: &mut issues,
            layer: Layer::JsonRules,
        }
        .error(IssueType::Value, "Patient.birthDate", "bad".into());
        let report = ValidationReport { issues };
        assert!(report.has_errors());
        let oo = report.to_operation_outcome();
        assert_eq!(oo["issue"][0]["expression"][0], "Patient.birthDate");
        assert_eq!(oo["issue"][0]["code"], "value");
        assert_eq!(oo["issue"][0]["diagnostics"], "Patient.birthDate: bad");
    }

    #[test]
    fn issue_type_codes_round_trip() {
        for code in ["invalid", "code-invalid", "not-supported", "invariant"] {
            assert_eq!(IssueType::from_code(code).map(IssueType::code), Some(code));
        }
        assert_eq!(IssueType::from_code("nope"), None);
    }
}
