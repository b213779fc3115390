//! The R4 terminology operations over the loaded packages, by GET with query
//! parameters or POST with a `Parameters` body: `ValueSet/$expand`,
//! `ValueSet/$validate-code`, `CodeSystem/$validate-code`,
//! `CodeSystem/$lookup` and `ConceptMap/$translate`, at type level and (for
//! all but `$lookup`) on a packaged resource by id.
//!
//! `params` reads the inputs; `expand`, `validate_code`, `lookup` and
//! `translate` each turn them into the operation's output with the
//! `terminology` crate. Answers the server cannot decide (a code of SNOMED
//! CT, which it does not carry) are warnings, never a pass or a failure.

mod expand;
mod lookup;
mod params;
mod translate;
mod validate_code;

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use fhir_core::operation_outcome::{Issue, IssueType};
use gateway::GatewayError;
use serde_json::{json, Value};
use terminology::{Terminology, TerminologyError};

use crate::crud::blocking;
use crate::error::ApiResult;
use crate::metrics::note_interaction;
use crate::negotiate::{check_request_content_type, response_format};
use crate::request::{query_pairs, read_body};
use crate::respond::render;
use crate::AppState;

pub use params::{Coding, OpParams};

/// What computes an operation's answer from the terminology, the inputs and
/// the instance id.
type Operation = fn(&Terminology, &OpParams, Option<&str>) -> Result<Value, GatewayError>;

async fn run(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    (name, resource_type): (&'static str, &str),
    operation: Operation,
    id: Option<String>,
) -> ApiResult<HttpResponse> {
    note_interaction(&request, name, resource_type);
    let format = response_format(&request)?;
    check_request_content_type(&request)?;
    let body = read_body(&request, payload, state.settings.body_limit).await?;
    let params = OpParams::read(query_pairs(&request), &body)?;
    let terminology = Arc::clone(&state.terminology);
    let answer = blocking(move || operation(&terminology, &params, id.as_deref())).await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type)
        .body(render(&answer, &format)))
}

/// The instance id when the route has one (`ValueSet/{id}/$expand`).
type InstanceId = Option<web::Path<String>>;

pub async fn expand(
    request: HttpRequest,
    id: InstanceId,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (op, id) = (("expand", "ValueSet"), id.map(|p| p.into_inner()));
    run(request, payload, state, op, expand::expand, id).await
}

pub async fn value_set_validate_code(
    request: HttpRequest,
    id: InstanceId,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (op, id) = (("validate-code", "ValueSet"), id.map(|p| p.into_inner()));
    run(request, payload, state, op, validate_code::in_value_set, id).await
}

pub async fn code_system_validate_code(
    request: HttpRequest,
    id: InstanceId,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (op, id) = (("validate-code", "CodeSystem"), id.map(|p| p.into_inner()));
    run(
        request,
        payload,
        state,
        op,
        validate_code::in_code_system,
        id,
    )
    .await
}

pub async fn lookup(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let op = ("lookup", "CodeSystem");
    run(request, payload, state, op, lookup::lookup, None).await
}

pub async fn translate(
    request: HttpRequest,
    id: InstanceId,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (op, id) = (("translate", "ConceptMap"), id.map(|p| p.into_inner()));
    run(request, payload, state, op, translate::translate, id).await
}

/// A `Parameters` resource from its `parameter` entries.
/// The entries are moved in, not passed through `json!`, whose serialiser
/// would deep-copy them and rewrite number text.
fn parameters(entries: Vec<Value>) -> Value {
    let mut answer = json!({"resourceType": "Parameters"});
    answer["parameter"] = Value::Array(entries);
    answer
}

/// One `Parameters.parameter` with `part`s, moved in (see [`parameters`]).
fn with_parts(name: &str, parts: Vec<Value>) -> Value {
    let mut entry = json!({"name": name});
    entry["part"] = Value::Array(parts);
    entry
}

/// One `Parameters.parameter` with a `value[x]`.
fn param(name: &str, value_key: &str, value: impl Into<Value>) -> Value {
    let mut entry = json!({"name": name});
    entry[value_key] = value.into();
    entry
}

/// A FHIR Coding with only the elements that have a value.
fn coding_json(
    system: Option<&str>,
    version: Option<&str>,
    code: &str,
    display: Option<&str>,
) -> Value {
    let mut coding = json!({});
    for (key, value) in [
        ("system", system),
        ("version", version),
        ("display", display),
    ] {
        if let Some(value) = value {
            coding[key] = json!(value);
        }
    }
    coding["code"] = json!(code);
    coding
}

/// The error for a required parameter that is absent.
fn missing(parameter: &str, why: &str) -> GatewayError {
    GatewayError::MissingParameter {
        parameter: parameter.to_owned(),
        message: format!("the parameter '{parameter}' is required: {why}"),
    }
}

/// `url` with `version` appended as a canonical reference, when given.
fn canonical(url: &str, version: Option<&str>) -> String {
    match version {
        Some(version) => format!("{url}|{version}"),
        None => url.to_owned(),
    }
}

/// The one place terminology errors become gateway errors. A malformed
/// definition cannot be evaluated: 422 naming it (`inline` is a ValueSet the
/// client sent, so its faults are the request's: 400 on `valueSet`).
fn terminology_error(error: TerminologyError, inline: bool) -> GatewayError {
    match error {
        TerminologyError::UnknownValueSet { .. } | TerminologyError::UnknownConceptMap { .. } => {
            GatewayError::TermNotFound(format!("{error} on this server"))
        }
        TerminologyError::TooCostly { .. } => GatewayError::TooCostly(error.to_string()),
        _ if inline => GatewayError::InvalidParameterValue {
            parameter: "valueSet".to_owned(),
            message: error.to_string(),
        },
        _ => GatewayError::ValidationFailed(vec![Issue::error(
            IssueType::Processing,
            format!("cannot be evaluated: {error}"),
        )]),
    }
}
