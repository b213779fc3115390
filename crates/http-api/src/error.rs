//! Every error leaves as an OperationOutcome with the status `GatewayError::classify` gives.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use fhir_core::operation_outcome::operation_outcome;
use gateway::GatewayError;

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub GatewayError);

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "request failed");
        } else {
            tracing::debug!(error = %self.0, status = status.as_u16(), "request refused");
        }
        let outcome = operation_outcome(&self.0.issues());
        HttpResponse::build(status)
            .content_type(crate::negotiate::FHIR_JSON)
            .body(outcome.to_string())
    }
}

/// Shorthand for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

pub fn invalid_parameter(message: impl Into<String>) -> ApiError {
    ApiError(GatewayError::InvalidParameter(message.into()))
}
