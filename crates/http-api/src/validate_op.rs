//! `$validate` at system, type and instance level (R4 Resource-validate):
//! the resource in the body (or inside a `Parameters` as `resource`), `profile`
//! and `mode` as query or `Parameters` values. Answers 200 with an
//! OperationOutcome listing every issue; errors of the request itself (not
//! JSON, wrong type) are 4xx as for any interaction.

use actix_web::{web, HttpRequest, HttpResponse};
use fhir_core::operation_outcome::{operation_outcome, Issue, IssueType};
use gateway::resource::{check_type, check_type_matches, parse_resource};
use gateway::GatewayError;
use serde_json::Value;

use crate::crud::blocking;
use crate::error::{invalid_parameter, ApiError, ApiResult};
use crate::metrics::note_interaction;
use crate::negotiate::{check_request_content_type, response_format};
use crate::request::{query_pairs, read_body};
use crate::respond::render;
use crate::AppState;

pub async fn system(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    validate(request, payload, state, None, None).await
}

pub async fn for_type(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    validate(request, payload, state, Some(path.into_inner()), None).await
}

pub async fn for_instance(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (resource_type, id) = path.into_inner();
    validate(request, payload, state, Some(resource_type), Some(id)).await
}

/// What the request asks to validate.
struct Request {
    resource: Option<Value>,
    profiles: Vec<String>,
    mode: Option<String>,
}

fn read_request(http: &HttpRequest, body: &[u8]) -> ApiResult<Request> {
    let mut parsed = Request {
        resource: None,
        profiles: Vec::new(),
        mode: None,
    };
    for (name, value) in query_pairs(http) {
        match name.as_str() {
            "profile" => parsed.profiles.push(value),
            "mode" => parsed.mode = Some(value),
            _ => {}
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(parsed);
    }
    let value = parse_resource(body).map_err(ApiError)?;
    if value["resourceType"] != "Parameters" {
        parsed.resource = Some(value);
        return Ok(parsed);
    }
    for parameter in value["parameter"].as_array().into_iter().flatten() {
        match parameter["name"].as_str() {
            Some("resource") => parsed.resource = parameter.get("resource").cloned(),
            Some("profile") => {
                let url = parameter
                    .get("valueUri")
                    .or_else(|| parameter.get("valueCanonical"));
                if let Some(url) = url.and_then(Value::as_str) {
                    parsed.profiles.push(url.to_owned());
                }
            }
            Some("mode") => parsed.mode = parameter["valueCode"].as_str().map(str::to_owned),
            _ => {}
        }
    }
    if parsed.resource.is_none() {
        return Err(invalid_parameter(
            "the Parameters body has no 'resource' parameter to validate",
        ));
    }
    Ok(parsed)
}

async fn validate(
    http: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    resource_type: Option<String>,
    id: Option<String>,
) -> ApiResult<HttpResponse> {
    note_interaction(&http, "validate", resource_type.as_deref().unwrap_or(""));
    let format = response_format(&http)?;
    check_request_content_type(&http)?;
    let body = read_body(&http, payload, state.settings.body_limit).await?;
    let request = read_request(&http, &body)?;
    if let Some(resource_type) = &resource_type {
        check_type(resource_type).map_err(ApiError)?;
    }
    let mode = request.mode.clone().unwrap_or_else(|| "create".to_owned());
    if !matches!(mode.as_str(), "create" | "update" | "delete" | "profile") {
        return Err(invalid_parameter(format!(
            "mode '{mode}' is not one of create, update, delete, profile"
        )));
    }
    let gateway = state.gateway.clone();
    let issues = blocking(move || {
        if mode == "delete" {
            // No referential-integrity rules exist yet, so any delete is allowed.
            return Ok(vec![Issue::information(
                IssueType::Informational,
                "deleting this resource is allowed",
            )]);
        }
        let resource = match (request.resource, &resource_type, &id) {
            (Some(resource), _, _) => resource,
            (None, Some(resource_type), Some(id)) => {
                let stored = gateway.read(resource_type, id)?;
                let text = stored.body.unwrap_or_default();
                fhir_core::json::parse_str(&text)
                    .map_err(|e| GatewayError::Internal(e.to_string()))?
            }
            (None, _, _) => {
                return Err(GatewayError::invalid_body(
                    "$validate needs a resource in the body",
                    None,
                ));
            }
        };
        if let Some(resource_type) = &resource_type {
            check_type_matches(resource_type, &resource)?;
        }
        if mode == "update" {
            if let (Some(id), Some(body_id)) = (&id, resource["id"].as_str()) {
                if id != body_id {
                    return Err(GatewayError::invalid_body(
                        format!(
                            "the body's id '{body_id}' does not match the id '{id}' in the URL"
                        ),
                        None,
                    ));
                }
            }
        }
        gateway.validate_value(&resource, &request.profiles)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type)
        .body(render(&operation_outcome(&issues), &format)))
}
