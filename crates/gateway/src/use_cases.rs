//! The FHIR interactions as use-cases over [`Storage`], shared by every edge.

use std::sync::Arc;

use fhir_core::operation_outcome::{Issue, Severity};
use serde_json::Value;

use crate::error::GatewayError;
use crate::resource::{check_id, check_type, check_type_matches, check_update_id, parse_resource};
use crate::storage::{
    HistoryPage, HistoryQuery, Precondition, Storage, StoredVersion, WriteMethod, WriteOutcome,
    WriteRequest,
};

/// The tenant every request uses until tenants are configurable; every table
/// already carries the key (DESIGN: storage).
pub const DEFAULT_TENANT: &str = "default";

/// Checks a resource against the base specification and profiles. The
/// `fhir-validate` crate implements it; without one only structural checks run.
pub trait ResourceValidator: Send + Sync + 'static {
    /// Validates against the base definition, `meta.profile`, the operator's
    /// enforced profiles and `extra_profiles`.
    fn validate(&self, resource: &Value, extra_profiles: &[String]) -> Vec<Issue>;
}

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// PUT to an id that does not exist creates it (R4 "update as create").
    pub allow_update_create: bool,
    /// Refuse creates and updates that do not validate (422).
    pub validate_on_write: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            allow_update_create: true,
            validate_on_write: true,
        }
    }
}

/// A committed write and the validation warnings that did not stop it.
#[derive(Debug, Clone)]
pub struct Written {
    pub outcome: WriteOutcome,
    pub warnings: Vec<Issue>,
}

#[derive(Clone)]
pub struct Gateway {
    storage: Arc<dyn Storage>,
    validator: Option<Arc<dyn ResourceValidator>>,
    config: GatewayConfig,
}

impl Gateway {
    pub fn new(storage: Arc<dyn Storage>, config: GatewayConfig) -> Self {
        Self {
            storage,
            validator: None,
            config,
        }
    }

    pub fn with_validator(mut self, validator: Arc<dyn ResourceValidator>) -> Self {
        self.validator = Some(validator);
        self
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// POST /{type}: the server assigns the id (any id in the body is replaced, as R4 says).
    pub fn create(&self, resource_type: &str, body: &[u8]) -> Result<Written, GatewayError> {
        check_type(resource_type)?;
        let resource = parse_resource(body)?;
        check_type_matches(resource_type, &resource)?;
        let warnings = self.validate(&resource)?;
        let request = WriteRequest {
            resource_type: resource_type.to_owned(),
            id: fhir_core::id::LogicalId::generate().to_string(),
            method: WriteMethod::Post,
            precondition: Precondition::MustNotExist,
            resource: Some(resource),
        };
        let outcome = self.storage.write(DEFAULT_TENANT, request)?;
        Ok(Written { outcome, warnings })
    }

    /// PUT /{type}/{id}, with the `If-Match` version when the client sent one.
    pub fn update(
        &self,
        resource_type: &str,
        id: &str,
        body: &[u8],
        if_match: Option<i64>,
    ) -> Result<Written, GatewayError> {
        check_type(resource_type)?;
        check_id(id)?;
        let resource = parse_resource(body)?;
        check_type_matches(resource_type, &resource)?;
        check_update_id(resource_type, id, &resource)?;
        let warnings = self.validate(&resource)?;
        let precondition = match (if_match, self.config.allow_update_create) {
            (Some(version), _) => Precondition::VersionIs(version),
            (None, true) => Precondition::None,
            (None, false) => Precondition::MustExist,
        };
        let request = WriteRequest {
            resource_type: resource_type.to_owned(),
            id: id.to_owned(),
            method: WriteMethod::Put,
            precondition,
            resource: Some(resource),
        };
        let outcome = self.storage.write(DEFAULT_TENANT, request)?;
        Ok(Written { outcome, warnings })
    }

    /// DELETE /{type}/{id}: a new, deleted version. Deleting what is absent or
    /// already deleted changes nothing and still succeeds (R4 3.1.0.7).
    pub fn delete(
        &self,
        resource_type: &str,
        id: &str,
        if_match: Option<i64>,
    ) -> Result<WriteOutcome, GatewayError> {
        check_type(resource_type)?;
        check_id(id)?;
        let precondition = match if_match {
            Some(version) => Precondition::VersionIs(version),
            None => Precondition::None,
        };
        let request = WriteRequest {
            resource_type: resource_type.to_owned(),
            id: id.to_owned(),
            method: WriteMethod::Delete,
            precondition,
            resource: None,
        };
        Ok(self.storage.write(DEFAULT_TENANT, request)?)
    }

    /// GET /{type}/{id}: the current version; 410 when it was deleted.
    pub fn read(&self, resource_type: &str, id: &str) -> Result<StoredVersion, GatewayError> {
        check_type(resource_type)?;
        check_id(id)?;
        let current = self
            .storage
            .read_current(DEFAULT_TENANT, resource_type, id)?
            .ok_or_else(|| GatewayError::NotFound {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
            })?;
        if current.deleted {
            return Err(GatewayError::Gone {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
                version: current.version,
            });
        }
        Ok(current)
    }

    /// GET /{type}/{id}/_history/{vid}; a deleted version answers 410.
    pub fn vread(
        &self,
        resource_type: &str,
        id: &str,
        version: &str,
    ) -> Result<StoredVersion, GatewayError> {
        check_type(resource_type)?;
        check_id(id)?;
        let not_found = || GatewayError::VersionNotFound {
            resource_type: resource_type.to_owned(),
            id: id.to_owned(),
            version: version.to_owned(),
        };
        let number: i64 = version.parse().map_err(|_| not_found())?;
        let stored = self
            .storage
            .read_version(DEFAULT_TENANT, resource_type, id, number)?
            .ok_or_else(not_found)?;
        if stored.deleted {
            return Err(GatewayError::Gone {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
                version: stored.version,
            });
        }
        Ok(stored)
    }

    pub fn history(&self, query: &HistoryQuery) -> Result<HistoryPage, GatewayError> {
        if let crate::storage::HistoryScope::Type(resource_type) = &query.scope {
            check_type(resource_type)?;
        }
        if let crate::storage::HistoryScope::Instance(resource_type, id) = &query.scope {
            check_type(resource_type)?;
            check_id(id)?;
        }
        Ok(self.storage.history(DEFAULT_TENANT, query)?)
    }

    /// `$validate`: checks a resource without storing it. Structural problems
    /// (not JSON, unknown type, wrong type for the URL) are errors of the
    /// operation itself; everything else comes back as issues.
    pub fn validate_only(
        &self,
        url_type: Option<&str>,
        body: &[u8],
        profiles: &[String],
    ) -> Result<Vec<Issue>, GatewayError> {
        let resource = parse_resource(body)?;
        if let Some(url_type) = url_type {
            check_type(url_type)?;
            check_type_matches(url_type, &resource)?;
        }
        self.validate_value(&resource, profiles)
    }

    /// Validates an already parsed resource (the stored one, for instance-level `$validate`).
    pub fn validate_value(
        &self,
        resource: &Value,
        profiles: &[String],
    ) -> Result<Vec<Issue>, GatewayError> {
        match &self.validator {
            Some(validator) => Ok(validator.validate(resource, profiles)),
            None => Err(GatewayError::NotImplemented(
                "validation is switched off on this server".to_owned(),
            )),
        }
    }

    /// Runs the validator: errors refuse the write (422), the rest come back as warnings.
    fn validate(&self, resource: &Value) -> Result<Vec<Issue>, GatewayError> {
        let Some(validator) = self
            .validator
            .as_ref()
            .filter(|_| self.config.validate_on_write)
        else {
            return Ok(Vec::new());
        };
        let issues = validator.validate(resource, &[]);
        if issues
            .iter()
            .any(|issue| matches!(issue.severity, Severity::Error | Severity::Fatal))
        {
            return Err(GatewayError::ValidationFailed(issues));
        }
        Ok(issues)
    }
}
