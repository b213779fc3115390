//! The FHIR REST edge on actix-web: routes, content negotiation, HTTP
//! semantics (ETag, conditional requests, Prefer), OperationOutcome
//! rendering and metrics. No SQL and no FHIR rules live here: handlers parse
//! the request, call a `gateway::Gateway` use-case on the blocking pool and
//! render what comes back.
//!
//! `routes` wires the paths; `negotiate` picks formats; `request` reads
//! bodies, headers and query parameters; `respond` builds responses;
//! `crud`, `history` and `capability` are the interactions; `validate_op`
//! and `terminology_ops` (`$expand`, `$validate-code`, `$lookup`,
//! `$translate` over the loaded packages) are the operations; `metrics` and
//! `health` are the operations endpoints.

mod capability;
mod crud;
mod error;
mod health;
mod history;
pub mod hl7v2_routes;
pub mod metrics;
mod negotiate;
mod request;
mod respond;
mod routes;
mod terminology_ops;
mod validate_op;

use std::sync::Arc;

pub use error::ApiError;
pub use metrics::Metrics;
pub use routes::configure;

/// Everything the handlers share.
pub struct AppState {
    pub gateway: gateway::Gateway,
    /// Terminology over the loaded packages, for the terminology operations.
    pub terminology: Arc<terminology::Terminology>,
    pub metrics: Arc<Metrics>,
    pub settings: HttpSettings,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest request body accepted; larger ones get 413.
    pub body_limit: usize,
    /// Largest `_count` a history page may have.
    pub max_page_size: u32,
    pub default_page_size: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            body_limit: 16 * 1024 * 1024,
            max_page_size: 1000,
            default_page_size: 50,
        }
    }
}
