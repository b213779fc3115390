//! Every way a gateway request can fail, and — in one table, `GatewayError::classify` —
//! the FHIR issue type and HTTP status each becomes. The HTTP edge renders an
//! OperationOutcome from `issues()`; the MLLP edge will map the same errors to
//! ACK codes. Add a variant here rather than inventing a status at an edge.

use fhir_core::operation_outcome::{Issue, IssueType};

use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("{diagnostics}")]
    InvalidBody {
        diagnostics: String,
        expression: Option<String>,
    },
    #[error("'{0}' is not a FHIR R4 resource type")]
    UnknownResourceType(String),
    #[error("{0}")]
    InvalidId(String),
    #[error("{0}")]
    InvalidParameter(String),
    /// An operation parameter that must be given is absent; `parameter` is
    /// its name, which becomes the issue's expression.
    #[error("{message}")]
    MissingParameter { parameter: String, message: String },
    /// An operation parameter has a value of the wrong form.
    #[error("{message}")]
    InvalidParameterValue { parameter: String, message: String },
    /// A ValueSet, CodeSystem or ConceptMap URL (or a code in one) that the
    /// loaded definitions do not have; the message names it.
    #[error("{0}")]
    TermNotFound(String),
    /// An answer larger than the server returns at once (an `$expand` without paging).
    #[error("{0}")]
    TooCostly(String),
    #[error("{resource_type}/{id} is not known")]
    NotFound { resource_type: String, id: String },
    #[error("{resource_type}/{id} has no version {version}")]
    VersionNotFound {
        resource_type: String,
        id: String,
        version: String,
    },
    #[error("{resource_type}/{id} was deleted (version {version})")]
    Gone {
        resource_type: String,
        id: String,
        version: i64,
    },
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is {size} bytes; this server accepts at most {limit}")]
    PayloadTooLarge { size: u64, limit: u64 },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    NotImplemented(String),
    #[error("the resource is not valid")]
    ValidationFailed(Vec<Issue>),
    #[error("{0}")]
    NoSuchPath(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl GatewayError {
    /// The one table: issue type and HTTP status for every error.
    pub fn classify(&self) -> (IssueType, u16) {
        use GatewayError::*;
        match self {
            InvalidBody { .. } => (IssueType::Structure, 400),
            UnknownResourceType(_) => (IssueType::NotSupported, 404),
            InvalidId(_) => (IssueType::Value, 400),
            InvalidParameter(_) => (IssueType::Invalid, 400),
            MissingParameter { .. } => (IssueType::Required, 400),
            InvalidParameterValue { .. } => (IssueType::Invalid, 400),
            TermNotFound(_) => (IssueType::NotFound, 404),
            TooCostly(_) => (IssueType::TooCostly, 422),
            NotFound { .. } | VersionNotFound { .. } => (IssueType::NotFound, 404),
            NoSuchPath(_) => (IssueType::NotFound, 404),
            Gone { .. } => (IssueType::Deleted, 410),
            PreconditionFailed(_) => (IssueType::Conflict, 412),
            Conflict(_) => (IssueType::Conflict, 409),
            PayloadTooLarge { .. } => (IssueType::TooCostly, 413),
            UnsupportedMediaType(_) => (IssueType::NotSupported, 415),
            NotAcceptable(_) => (IssueType::NotSupported, 406),
            MethodNotAllowed(_) => (IssueType::NotSupported, 405),
            NotImplemented(_) => (IssueType::NotSupported, 501),
            ValidationFailed(_) => (IssueType::Processing, 422),
            Unavailable(_) => (IssueType::Transient, 503),
            Internal(_) => (IssueType::Exception, 500),
        }
    }

    pub fn status(&self) -> u16 {
        self.classify().1
    }

    /// The OperationOutcome issues describing this error.
    pub fn issues(&self) -> Vec<Issue> {
        if let GatewayError::ValidationFailed(issues) = self {
            return issues.clone();
        }
        let (code, _) = self.classify();
        let issue = Issue::error(code, self.to_string());
        let issue = match self {
            GatewayError::InvalidBody {
                expression: Some(expression),
                ..
            } => issue.at(expression.clone()),
            GatewayError::MissingParameter { parameter, .. }
            | GatewayError::InvalidParameterValue { parameter, .. } => issue.at(parameter.clone()),
            _ => issue,
        };
        vec![issue]
    }

    pub fn invalid_body(diagnostics: impl Into<String>, expression: Option<&str>) -> Self {
        GatewayError::InvalidBody {
            diagnostics: diagnostics.into(),
            expression: expression.map(str::to_owned),
        }
    }
}

impl From<StorageError> for GatewayError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::PreconditionFailed { current } => GatewayError::PreconditionFailed(
                match current {
                    Some(version) => format!(
                        "If-Match does not match: the current version is W/\"{version}\""
                    ),
                    None => "If-Match given but the resource does not exist".to_owned(),
                },
            ),
            StorageError::AlreadyExists => {
                GatewayError::Conflict("a resource with this id already exists".to_owned())
            }
            StorageError::NotFound => GatewayError::MethodNotAllowed(
                "update-as-create is disabled on this server: the resource must exist (use POST to create)"
                    .to_owned(),
            ),
            StorageError::Unavailable(message) => GatewayError::Unavailable(message),
            StorageError::Database(message) | StorageError::Corrupt(message) => {
                GatewayError::Internal(message)
            }
        }
    }
}
