//! create, read, vread, update, delete.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use fhir_core::subsetting::{apply_elements, apply_summary, Summary};
use gateway::GatewayError;
use serde_json::Value;

use crate::error::{invalid_parameter, ApiError, ApiResult};
use crate::metrics::note_interaction;
use crate::negotiate::{check_request_content_type, response_format};
use crate::request::{if_match, if_none_match_hits, not_modified_since, query_value, read_body};
use crate::respond::{stored_body, with_version_headers, write_response};
use crate::AppState;

/// Runs a blocking gateway call on actix's blocking pool.
pub async fn blocking<T, F>(call: F) -> ApiResult<T>
where
    F: FnOnce() -> Result<T, GatewayError> + Send + 'static,
    T: Send + 'static,
{
    web::block(call)
        .await
        .map_err(|error| ApiError(GatewayError::Internal(format!("worker failed: {error}"))))?
        .map_err(ApiError)
}

pub async fn create(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let resource_type = path.into_inner();
    note_interaction(&request, "create", &resource_type);
    let format = response_format(&request)?;
    check_request_content_type(&request)?;
    let body = read_body(&request, payload, state.settings.body_limit).await?;
    let gateway = state.gateway.clone();
    let written = blocking(move || gateway.create(&resource_type, &body)).await?;
    write_response(&request, &format, &written)
}

pub async fn update(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (resource_type, id) = path.into_inner();
    note_interaction(&request, "update", &resource_type);
    let format = response_format(&request)?;
    check_request_content_type(&request)?;
    let expected_version = if_match(&request)?;
    let body = read_body(&request, payload, state.settings.body_limit).await?;
    let gateway = state.gateway.clone();
    let written =
        blocking(move || gateway.update(&resource_type, &id, &body, expected_version)).await?;
    write_response(&request, &format, &written)
}

pub async fn delete(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (resource_type, id) = path.into_inner();
    note_interaction(&request, "delete", &resource_type);
    let expected_version = if_match(&request)?;
    let gateway = state.gateway.clone();
    let outcome = blocking(move || gateway.delete(&resource_type, &id, expected_version)).await?;
    Ok(with_version_headers(HttpResponse::NoContent(), &outcome.stored).finish())
}

pub async fn read(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (resource_type, id) = path.into_inner();
    note_interaction(&request, "read", &resource_type);
    let format = response_format(&request)?;
    let subset = Subset::from_request(&request)?;
    let gateway = state.gateway.clone();
    let stored = blocking(move || gateway.read(&resource_type, &id)).await?;
    if if_none_match_hits(&request, stored.version)
        || not_modified_since(&request, stored.last_updated.seconds())
    {
        return Ok(
            with_version_headers(HttpResponse::build(StatusCode::NOT_MODIFIED), &stored).finish(),
        );
    }
    resource_response(&stored, &format, &subset)
}

pub async fn vread(
    request: HttpRequest,
    path: web::Path<(String, String, String)>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (resource_type, id, version) = path.into_inner();
    note_interaction(&request, "vread", &resource_type);
    let format = response_format(&request)?;
    let subset = Subset::from_request(&request)?;
    let gateway = state.gateway.clone();
    let stored = blocking(move || gateway.vread(&resource_type, &id, &version)).await?;
    resource_response(&stored, &format, &subset)
}

/// A 200 with the stored version, subset when the client asked.
fn resource_response(
    stored: &gateway::StoredVersion,
    format: &crate::negotiate::ResponseFormat,
    subset: &Subset,
) -> ApiResult<HttpResponse> {
    let transform = |value: &mut Value| subset.apply(value);
    let transform = subset
        .is_some()
        .then_some(&transform as &dyn Fn(&mut Value));
    let body = stored_body(stored, format, transform)?;
    Ok(with_version_headers(HttpResponse::Ok(), stored)
        .content_type(format.content_type)
        .body(body))
}

/// `_summary` / `_elements` on a read.
struct Subset {
    summary: Option<Summary>,
    elements: Option<Vec<String>>,
}

impl Subset {
    fn from_request(request: &HttpRequest) -> ApiResult<Self> {
        let summary = match query_value(request, "_summary") {
            None => None,
            Some(text) if text == "count" => {
                return Err(invalid_parameter(
                    "_summary=count applies to searches only, not to a read",
                ))
            }
            Some(text) => Some(Summary::parse(&text).ok_or_else(|| {
                invalid_parameter(format!(
                    "_summary='{text}' is not one of true, text, data, count, false"
                ))
            })?),
        };
        let elements = query_value(request, "_elements").map(|text| {
            text.split(',')
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
                .collect()
        });
        if summary.is_some() && elements.is_some() {
            return Err(invalid_parameter(
                "_summary and _elements cannot be combined",
            ));
        }
        Ok(Self { summary, elements })
    }

    fn is_some(&self) -> bool {
        self.summary
            .is_some_and(|summary| summary != Summary::False)
            || self.elements.is_some()
    }

    fn apply(&self, value: &mut Value) {
        if let Some(summary) = self.summary {
            apply_summary(value, summary);
        }
        if let Some(elements) = &self.elements {
            let names: Vec<&str> = elements.iter().map(String::as_str).collect();
            apply_elements(value, &names);
        }
    }
}
