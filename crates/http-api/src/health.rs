//! `/health/live` (the process answers) and `/health/ready` (the database answers).

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::crud::blocking;
use crate::AppState;

pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "live"}))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let gateway = state.gateway.clone();
    match blocking(move || {
        gateway
            .storage()
            .ping()
            .map_err(gateway::GatewayError::from)
    })
    .await
    {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"})),
        Err(error) => HttpResponse::ServiceUnavailable()
            .json(json!({"status": "not ready", "database": error.0.to_string()})),
    }
}
