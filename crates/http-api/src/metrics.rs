//! Prometheus metrics: requests by interaction, resource type and status,
//! latency histograms, database pool in-use and idle, build info.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use fhir_core::resource_types::is_resource_type;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::AppState;

/// Which FHIR interaction a request was; handlers record it for the middleware.
#[derive(Debug, Clone)]
struct Interaction {
    name: &'static str,
    resource_type: String,
}

pub fn note_interaction(request: &HttpRequest, name: &'static str, resource_type: &str) {
    // Only real types become label values, so a client cannot explode the series count.
    let resource_type = if is_resource_type(resource_type) {
        resource_type
    } else {
        ""
    };
    request.extensions_mut().insert(Interaction {
        name,
        resource_type: resource_type.to_owned(),
    });
}

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_in_use: IntGauge,
    pool_idle: IntGauge,
}

impl Metrics {
    pub fn new(backend: &str) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "fhirgate_http_requests_total",
                "HTTP requests by FHIR interaction, resource type and status",
            ),
            &["interaction", "resource_type", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "fhirgate_http_request_duration_seconds",
                "HTTP request latency by FHIR interaction",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["interaction"],
        )?;
        let pool_in_use = IntGauge::new("fhirgate_db_pool_in_use", "Database connections in use")?;
        let pool_idle = IntGauge::new("fhirgate_db_pool_idle", "Idle database connections")?;
        let build = IntGaugeVec::new(
            Opts::new("fhirgate_build_info", "Build information (always 1)"),
            &["version", "database"],
        )?;
        build
            .with_label_values(&[env!("CARGO_PKG_VERSION"), backend])
            .set(1);
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool_in_use.clone()))?;
        registry.register(Box::new(pool_idle.clone()))?;
        registry.register(Box::new(build))?;
        Ok(Self {
            registry,
            requests,
            latency,
            pool_in_use,
            pool_idle,
        })
    }

    /// The registry, for other edges (MLLP) to register their own metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    fn observe(&self, interaction: &str, resource_type: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[interaction, resource_type, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[interaction])
            .observe(seconds);
    }
}

/// Middleware: times every request and counts it under its interaction.
pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(request).await?;
    if let Some(state) = state {
        let interaction = response
            .request()
            .extensions()
            .get::<Interaction>()
            .cloned();
        let (name, resource_type) = match &interaction {
            Some(interaction) => (interaction.name, interaction.resource_type.as_str()),
            None => ("other", ""),
        };
        state.metrics.observe(
            name,
            resource_type,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

pub async fn render(state: web::Data<AppState>) -> HttpResponse {
    let (in_use, idle) = state.gateway.storage().pool_state();
    state.metrics.pool_in_use.set(i64::from(in_use));
    state.metrics.pool_idle.set(i64::from(idle));
    let mut text = Vec::new();
    match TextEncoder::new().encode(&state.metrics.registry.gather(), &mut text) {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
}
