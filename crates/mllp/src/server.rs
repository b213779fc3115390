//! The MLLP listener: accepts connections up to a cap (semaphore), wraps them in TLS
//! when configured, serves each in its own task, and shuts down gracefully when the
//! caller's [`CancellationToken`] fires.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use openssl::ssl::SslAcceptor;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::{ConnectionLimitPolicy, ServerConfig};
use crate::connection::{self, ConnectionContext};
use crate::handler::{MllpHandler, PeerInfo};
use crate::metrics::{MllpMetrics, OpenConnectionGuard};
use crate::tls::{self, TlsError};

/// Pause after a failed `accept` (e.g. out of file descriptors) so the loop does
/// not spin while the condition lasts.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot bind MLLP listener: {0}")]
    Bind(#[source] std::io::Error),
    #[error("MLLP listener has no local address: {0}")]
    LocalAddr(#[source] std::io::Error),
    #[error("invalid MLLP server configuration: {0}")]
    InvalidConfig(&'static str),
    #[error(transparent)]
    Tls(#[from] TlsError),
}

pub struct MllpServer<H> {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: ServerConfig,
    acceptor: Option<Arc<SslAcceptor>>,
    context: Arc<ConnectionContext<H>>,
}

impl<H: MllpHandler> MllpServer<H> {
    /// Binds the listener (port 0 picks a free port; see [`MllpServer::local_addr`])
    /// and loads the TLS material, so configuration errors surface before serving.
    pub async fn bind(
        addr: impl ToSocketAddrs,
        config: ServerConfig,
        handler: Arc<H>,
    ) -> Result<Self, ServerError> {
        check_config(&config)?;
        let acceptor = match &config.tls {
            Some(tls) => Some(Arc::new(tls.build_acceptor()?)),
            None => None,
        };
        let listener = TcpListener::bind(addr).await.map_err(ServerError::Bind)?;
        let local_addr = listener.local_addr().map_err(ServerError::LocalAddr)?;
        let context = Arc::new(ConnectionContext {
            handler,
            metrics: Arc::new(MllpMetrics::default()),
            max_frame_size: config.max_frame_size,
            read_timeout: config.read_timeout,
            idle_timeout: config.idle_timeout,
            write_timeout: config.write_timeout,
        });
        Ok(Self {
            listener,
            local_addr,
            config,
            acceptor,
            context,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The server's counters; keep the `Arc` to read them while `run` is going.
    pub fn metrics(&self) -> Arc<MllpMetrics> {
        Arc::clone(&self.context.metrics)
    }

    /// Serves until `shutdown` is cancelled. Then it stops accepting, lets every
    /// connection finish the frames it has received (and write their replies), closes
    /// idle connections at once, and aborts what is left after `shutdown_grace`.
    pub async fn run(self, shutdown: CancellationToken) {
        let MllpServer {
            listener,
            local_addr,
            config,
            acceptor,
            context,
        } = self;
        tracing::info!(%local_addr, tls = acceptor.is_some(), "MLLP listener serving");
        let slots = Arc::new(Semaphore::new(config.max_connections));
        let mut connections = JoinSet::new();
        let mut next_connection_id: u64 = 0;
        loop {
            reap_finished(&mut connections);
            let waited_permit = match config.connection_limit_policy {
                ConnectionLimitPolicy::Wait => tokio::select! {
                    _ = shutdown.cancelled() => break,
                    permit = Arc::clone(&slots).acquire_owned() => permit.ok(),
                },
                ConnectionLimitPolicy::Refuse => None,
            };
            let (tcp, addr) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "MLLP accept failed");
                        tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                        continue;
                    }
                },
            };
            let permit = match waited_permit {
                Some(permit) => permit,
                None => match Arc::clone(&slots).try_acquire_owned() {
                    Ok(permit) => permit,
                    Err(_) => {
                        MllpMetrics::incr(&context.metrics.connections_refused);
                        tracing::warn!(peer = %addr, limit = config.max_connections,
                            "MLLP connection refused: connection limit reached");
                        drop(tcp);
                        continue;
                    }
                },
            };
            next_connection_id += 1;
            let span = tracing::info_span!("mllp", conn = next_connection_id, peer = %addr);
            let task = serve_connection(
                tcp,
                addr,
                next_connection_id,
                permit,
                acceptor.clone(),
                Arc::clone(&context),
                shutdown.clone(),
            );
            connections.spawn(task.instrument(span));
        }
        drop(listener);
        tracing::info!(
            open = connections.len(),
            "MLLP listener stopped accepting; draining"
        );
        drain(connections, config.shutdown_grace).await;
        tracing::info!("MLLP listener shut down");
    }
}

fn check_config(config: &ServerConfig) -> Result<(), ServerError> {
    let problem = if config.max_connections == 0 {
        Some("max_connections must be at least 1")
    } else if config.read_timeout.is_zero() {
        Some("read_timeout must be positive")
    } else if config.idle_timeout.is_zero() {
        Some("idle_timeout must be positive")
    } else if config.write_timeout.is_zero() {
        Some("write_timeout must be positive")
    } else {
        None
    };
    problem.map_or(Ok(()), |problem| Err(ServerError::InvalidConfig(problem)))
}

fn reap_finished(connections: &mut JoinSet<()>) {
    while let Some(result) = connections.try_join_next() {
        log_task_end(result);
    }
}

fn log_task_end(result: Result<(), tokio::task::JoinError>) {
    if let Err(error) = result {
        if error.is_panic() {
            tracing::error!(%error, "MLLP connection task panicked");
        }
    }
}

async fn drain(mut connections: JoinSet<()>, grace: Duration) {
    let wait_all = async {
        while let Some(result) = connections.join_next().await {
            log_task_end(result);
        }
    };
    if tokio::time::timeout(grace, wait_all).await.is_err() {
        tracing::warn!(
            left = connections.len(),
            ?grace,
            "MLLP connections still busy after the shutdown grace period; aborting them"
        );
        connections.shutdown().await;
    }
}

async fn serve_connection<H: MllpHandler>(
    tcp: TcpStream,
    addr: SocketAddr,
    connection_id: u64,
    permit: OwnedSemaphorePermit,
    acceptor: Option<Arc<SslAcceptor>>,
    context: Arc<ConnectionContext<H>>,
    shutdown: CancellationToken,
) {
    let _permit = permit;
    let _open = OpenConnectionGuard::new(&context.metrics);
    // ACKs are small and awaited by the sender: do not let Nagle hold them back.
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    let mut peer = PeerInfo {
        addr,
        connection_id,
        tls_client_subject: None,
    };
    tracing::info!("MLLP connection opened");
    let Some(acceptor) = acceptor else {
        connection::serve(tcp, peer, &context, &shutdown).await;
        return;
    };
    match tokio::time::timeout(context.read_timeout, tls::accept(&acceptor, tcp)).await {
        Ok(Ok(stream)) => {
            peer.tls_client_subject = stream
                .ssl()
                .peer_certificate()
                .map(|cert| tls::subject_text(&cert));
            connection::serve(stream, peer, &context, &shutdown).await;
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "MLLP connection closed: TLS handshake failed");
        }
        Err(_elapsed) => {
            MllpMetrics::incr(&context.metrics.timeouts);
            tracing::warn!(timeout = ?context.read_timeout, "MLLP connection closed: TLS handshake timed out");
        }
    }
}
