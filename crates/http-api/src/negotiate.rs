//! Content negotiation: `_format`, `Accept`, `Content-Type`, `_pretty`.
//! JSON only for now; XML is answered 406/415 with an OperationOutcome.

use actix_web::http::header;
use actix_web::HttpRequest;
use gateway::GatewayError;

use crate::error::ApiError;
use crate::request::query_value;

pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";
pub const PLAIN_JSON: &str = "application/json; charset=utf-8";

/// How to render a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseFormat {
    pub content_type: &'static str,
    pub pretty: bool,
}

enum MediaKind {
    Json,
    PlainJson,
    Xml,
    Any,
    Other,
}

fn classify(media: &str) -> MediaKind {
    let media = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        // `+` in a query string decodes to a space.
        "json"
        | "application/fhir+json"
        | "application/fhir json"
        | "application/json+fhir"
        | "application/json fhir" => MediaKind::Json,
        "application/json" => MediaKind::PlainJson,
        "xml"
        | "application/fhir+xml"
        | "application/fhir xml"
        | "application/xml"
        | "application/xml+fhir"
        | "text/xml" => MediaKind::Xml,
        "*/*" | "application/*" | "" => MediaKind::Any,
        _ => MediaKind::Other,
    }
}

/// Picks the response format from `_format` (which wins) or `Accept`.
pub fn response_format(request: &HttpRequest) -> Result<ResponseFormat, ApiError> {
    let pretty = query_value(request, "_pretty").as_deref() == Some("true");
    let json = |content_type| {
        Ok(ResponseFormat {
            content_type,
            pretty,
        })
    };
    if let Some(format) = query_value(request, "_format") {
        return match classify(&format) {
            MediaKind::Json | MediaKind::Any => json(FHIR_JSON),
            MediaKind::PlainJson => json(PLAIN_JSON),
            MediaKind::Xml => Err(not_acceptable(&format, "_format")),
            MediaKind::Other => Err(not_acceptable(&format, "_format")),
        };
    }
    let Some(accept) = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
    else {
        return json(FHIR_JSON);
    };
    for media in accept.split(',') {
        match classify(media) {
            MediaKind::Json | MediaKind::Any => return json(FHIR_JSON),
            MediaKind::PlainJson => return json(PLAIN_JSON),
            MediaKind::Xml | MediaKind::Other => {}
        }
    }
    Err(not_acceptable(accept, "Accept"))
}

fn not_acceptable(asked: &str, via: &str) -> ApiError {
    ApiError(GatewayError::NotAcceptable(format!(
        "{via} asks for '{asked}'; this server produces FHIR JSON only (application/fhir+json or application/json)"
    )))
}

/// A request body must be FHIR JSON (a missing Content-Type is read as JSON).
pub fn check_request_content_type(request: &HttpRequest) -> Result<(), ApiError> {
    let Some(content_type) = request.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = content_type.to_str().unwrap_or("");
    match classify(text) {
        MediaKind::Json | MediaKind::PlainJson => Ok(()),
        _ => Err(ApiError(GatewayError::UnsupportedMediaType(format!(
            "Content-Type '{text}' is not supported; send application/fhir+json"
        )))),
    }
}
