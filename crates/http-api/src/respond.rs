//! Building responses: resource bodies (stored text sent as is when possible),
//! version headers, `Location`, and the `Prefer: return=` variants.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use fhir_core::operation_outcome::{operation_outcome, Issue, IssueType};
use gateway::use_cases::Written;
use gateway::{GatewayError, StoredVersion};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::negotiate::ResponseFormat;
use crate::request::{return_preference, ReturnPreference};

/// `http(s)://host/fhir`, as the client addressed us.
pub fn base_url(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}/fhir", info.scheme(), info.host())
}

pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

pub fn http_date(stored: &StoredVersion) -> String {
    let seconds = u64::try_from(stored.last_updated.seconds()).unwrap_or(0);
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds))
}

/// Renders a JSON value in the negotiated format.
pub fn render(value: &Value, format: &ResponseFormat) -> String {
    if format.pretty {
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    } else {
        value.to_string()
    }
}

/// The stored body, re-rendered only when it must change (pretty printing or a subset).
pub fn stored_body(
    stored: &StoredVersion,
    format: &ResponseFormat,
    transform: Option<&dyn Fn(&mut Value)>,
) -> ApiResult<String> {
    let text = stored.body.as_deref().ok_or_else(|| {
        ApiError(GatewayError::Internal(format!(
            "{}/{} version {} has no body",
            stored.resource_type, stored.id, stored.version
        )))
    })?;
    if !format.pretty && transform.is_none() {
        return Ok(text.to_owned());
    }
    let mut value: Value = fhir_core::json::parse_str(text).map_err(|error| {
        ApiError(GatewayError::Internal(format!(
            "stored body is not JSON: {error}"
        )))
    })?;
    if let Some(transform) = transform {
        transform(&mut value);
    }
    Ok(render(&value, format))
}

pub fn with_version_headers(
    mut builder: HttpResponseBuilder,
    stored: &StoredVersion,
) -> HttpResponseBuilder {
    if stored.version > 0 {
        builder
            .insert_header((header::ETAG, etag(stored.version)))
            .insert_header((header::LAST_MODIFIED, http_date(stored)));
    }
    builder
}

/// The response to a create or update, honouring `Prefer: return=`.
pub fn write_response(
    request: &HttpRequest,
    format: &ResponseFormat,
    written: &Written,
) -> ApiResult<HttpResponse> {
    let stored = &written.outcome.stored;
    let status = if written.outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let location = format!(
        "{}/{}/{}/_history/{}",
        base_url(request),
        stored.resource_type,
        stored.id,
        stored.version
    );
    let mut builder = with_version_headers(HttpResponse::build(status), stored);
    builder.insert_header((header::LOCATION, location));
    match return_preference(request) {
        ReturnPreference::Minimal => Ok(builder.finish()),
        ReturnPreference::OperationOutcome => {
            let mut issues = written.warnings.clone();
            if issues.is_empty() {
                issues.push(Issue::information(
                    IssueType::Informational,
                    format!(
                        "{} {}/{} version {}",
                        if written.outcome.created {
                            "created"
                        } else {
                            "updated"
                        },
                        stored.resource_type,
                        stored.id,
                        stored.version
                    ),
                ));
            }
            let body = render(&operation_outcome(&issues), format);
            Ok(builder.content_type(format.content_type).body(body))
        }
        ReturnPreference::Representation => {
            let body = stored_body(stored, format, None)?;
            Ok(builder.content_type(format.content_type).body(body))
        }
    }
}
