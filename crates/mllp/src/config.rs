//! Server settings. Every limit has a default suited to a hospital integration link.

use std::time::Duration;

use crate::codec::DEFAULT_MAX_FRAME_SIZE;
use crate::tls::ServerTlsConfig;

/// What happens to a connection that arrives while `max_connections` are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionLimitPolicy {
    /// Accept it and close it at once (the peer sees end of stream), counted in
    /// `connections_refused`. A sender learns immediately and retries later.
    #[default]
    Refuse,
    /// Stop accepting until a slot frees up; new connections wait in the kernel's
    /// listen backlog (mini-redis style). Nothing is dropped, but a waiting sender
    /// cannot tell a busy gateway from a dead one.
    Wait,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest accepted payload; larger frames are discarded as they arrive.
    pub max_frame_size: usize,
    /// How long a started frame may go without new bytes before the connection is
    /// closed. It restarts with every read: it catches stalls, not slow senders.
    /// Also bounds the TLS handshake.
    pub read_timeout: Duration,
    /// How long a connection may sit between frames before it is closed.
    pub idle_timeout: Duration,
    /// How long writing one reply may take (a peer that does not read its ACKs).
    pub write_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    pub connection_limit_policy: ConnectionLimitPolicy,
    /// After shutdown is signalled, how long open connections get to finish the
    /// frames they have received before they are aborted.
    pub shutdown_grace: Duration,
    pub tls: Option<ServerTlsConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(600),
            write_timeout: Duration::from_secs(30),
            max_connections: 256,
            connection_limit_policy: ConnectionLimitPolicy::default(),
            shutdown_grace: Duration::from_secs(30),
            tls: None,
        }
    }
}
