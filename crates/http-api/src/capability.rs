//! `GET /metadata`: a CapabilityStatement generated from what is implemented.
//! It must never claim more than the server does; a test exercises every claim.

use actix_web::{web, HttpRequest, HttpResponse};
use fhir_core::resource_types::RESOURCE_TYPES;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::metrics::note_interaction;
use crate::negotiate::response_format;
use crate::respond::{base_url, render};
use crate::AppState;

/// The type-level interactions every resource type supports.
pub const TYPE_INTERACTIONS: [&str; 7] = [
    "read",
    "vread",
    "update",
    "delete",
    "history-instance",
    "history-type",
    "create",
];

static VALIDATE_OPERATION: std::sync::LazyLock<Value> = std::sync::LazyLock::new(
    || json!({"name": "validate", "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"}),
);

/// The terminology operations (`terminology_ops`) each type answers.
fn terminology_operations(resource_type: &str) -> &'static [(&'static str, &'static str)] {
    match resource_type {
        "ValueSet" => &[
            ("expand", "ValueSet-expand"),
            ("validate-code", "ValueSet-validate-code"),
        ],
        "CodeSystem" => &[
            ("lookup", "CodeSystem-lookup"),
            ("validate-code", "CodeSystem-validate-code"),
        ],
        "ConceptMap" => &[("translate", "ConceptMap-translate")],
        _ => &[],
    }
}

fn operations(resource_type: &str) -> Vec<Value> {
    let mut operations = vec![VALIDATE_OPERATION.clone()];
    for (name, definition) in terminology_operations(resource_type) {
        operations.push(json!({
            "name": name,
            "definition": format!("http://hl7.org/fhir/OperationDefinition/{definition}"),
        }));
    }
    operations
}

pub async fn metadata(request: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    note_interaction(&request, "capabilities", "");
    let format = response_format(&request)?;
    let statement = capability_statement(
        &base_url(&request),
        state.gateway.config().allow_update_create,
    );
    Ok(HttpResponse::Ok()
        .content_type(format.content_type)
        .body(render(&statement, &format)))
}

fn capability_statement(base: &str, update_create: bool) -> Value {
    let interactions: Vec<Value> = TYPE_INTERACTIONS
        .iter()
        .map(|code| json!({"code": code}))
        .collect();
    let resources: Vec<Value> = RESOURCE_TYPES
        .iter()
        .map(|resource_type| {
            json!({
                "type": resource_type,
                "profile": format!("http://hl7.org/fhir/StructureDefinition/{resource_type}"),
                "interaction": interactions,
                "versioning": "versioned",
                "readHistory": true,
                "updateCreate": update_create,
                "conditionalCreate": false,
                "conditionalRead": "full-support",
                "conditionalUpdate": false,
                "conditionalDelete": "not-supported",
                "operation": operations(resource_type),
            })
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-22",
        "publisher": "fhirgate",
        "kind": "instance",
        "software": {"name": "fhirgate", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": "fhirgate FHIR R4 gateway", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "patchFormat": [],
        "rest": [{
            "mode": "server",
            "resource": resources,
            "interaction": [{"code": "history-system"}],
            "operation": [VALIDATE_OPERATION.clone()],
        }],
    })
}
