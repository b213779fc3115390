//! The `fhirgate` binary's library half: configuration (`settings`), logging
//! (`telemetry`), and [`Application`], which opens the database, applies
//! migrations, binds the listeners and runs until a signal stops it. The
//! binary (`main.rs`) only parses the command line and calls in here, so
//! tests start the very same application on port 0.

pub mod commands;
pub mod mllp_listener;
pub mod settings;
pub mod telemetry;
pub mod v2_translation;
pub mod validation;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use gateway::v2_intake::V2Intake;
use gateway::{Gateway, GatewayConfig, Storage};
use http_api::{AppState, HttpSettings, Metrics};
use settings::Settings;
use store::{DatabaseUrl, PoolOptions, Store};

/// How long in-flight requests get to finish after SIGTERM/SIGINT.
const SHUTDOWN_GRACE_SECONDS: u64 = 30;

/// Opens the store and applies pending migrations.
pub fn open_store(settings: &Settings) -> anyhow::Result<(Store, DatabaseUrl)> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    let options = PoolOptions {
        max_connections: settings.max_connections,
        ..PoolOptions::default()
    };
    let store = Store::open(&url, &options)
        .with_context(|| format!("cannot open the {} database", url.backend_name()))?;
    let applied = store.migrate()?;
    if !applied.is_empty() {
        tracing::info!(?applied, "database migrations applied");
    }
    Ok((store, url))
}

pub struct Application {
    server: Server,
    http_addr: SocketAddr,
    mllp: mllp_listener::MllpListener,
    mllp_shutdown: mllp::CancellationToken,
}

impl Application {
    /// Opens everything and binds the listeners. Must run inside an actix/tokio runtime.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let (store, url) = open_store(&settings)?;
        let store = Arc::new(store);
        let validator = Arc::new(validation::GatewayValidator(validation::build_validator(
            &settings.profiles,
            &settings.enforced_profiles,
        )?));
        // The operations share the validator's expansion caches.
        let terminology = Arc::clone(validator.0.terminology());
        let translator = v2_translation::V2ToFhirTranslator::new()
            .context("cannot load the v2 -> FHIR mapping tables")?;
        let mut intake = V2Intake::new(store.clone(), settings.retransmission_window)
            .with_translator(Arc::new(translator))
            .with_sender_charsets(settings.sender_charsets.clone());
        if settings.validate_on_write {
            intake = intake.with_validator(validator.clone());
        }
        let intake = web::Data::new(intake);
        let storage: Arc<dyn Storage> = store;
        let gateway = Gateway::new(
            storage,
            GatewayConfig {
                allow_update_create: settings.allow_update_create,
                validate_on_write: settings.validate_on_write,
            },
        )
        .with_validator(validator);
        let metrics = Arc::new(Metrics::new(url.backend_name())?);
        let mllp_shutdown = mllp::CancellationToken::new();
        let mllp = mllp_listener::start_now(
            &settings.mllp_addr,
            intake.get_ref().clone(),
            settings.mllp_server.clone(),
            mllp_shutdown.clone(),
        )?;
        metrics
            .registry()
            .register(Box::new(mllp_listener::MllpCollector::new(
                mllp.metrics.clone(),
            )?))?;
        let state = web::Data::new(AppState {
            gateway,
            terminology,
            metrics,
            settings: HttpSettings {
                body_limit: settings.body_limit,
                ..HttpSettings::default()
            },
        });
        let listener = TcpListener::bind(&settings.http_addr)
            .with_context(|| format!("cannot listen for HTTP on {}", settings.http_addr))?;
        let http_addr = listener.local_addr()?;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(intake.clone())
                .wrap(Compress::default())
                .wrap(from_fn(http_api::metrics::record))
                .configure(http_api::configure)
        })
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE_SECONDS);
        if let Some(workers) = settings.http_workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(
            http = %format!("http://{http_addr}/fhir"),
            mllp = %mllp.local_addr,
            mllp_tls = settings.mllp_server.tls.is_some(),
            database = url.backend_name(),
            "fhirgate listening"
        );
        Ok(Self {
            server,
            http_addr,
            mllp,
            mllp_shutdown,
        })
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    pub fn mllp_addr(&self) -> SocketAddr {
        self.mllp.local_addr
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown requested; finishing in-flight requests");
            handle.stop(true).await;
        });
        self.server.await?;
        // However HTTP was stopped (signal or handle), MLLP stops with it and
        // answers the frames it has already received.
        self.mllp_shutdown.cancel();
        if let Err(error) = self.mllp.serving.await {
            tracing::error!(%error, "MLLP listener task failed");
        }
        tracing::info!("fhirgate stopped");
        Ok(())
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = interrupt.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
