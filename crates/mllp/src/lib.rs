//! HL7 v2 MLLP transport on tokio: framing, listener, client, TLS. It moves bytes
//! and knows nothing of HL7 content beyond reading MSH-10/MSA-2 to match ACKs.
//!
//! - [`codec`]: the `tokio_util` codec (`0x0B … 0x1C 0x0D`) with a frame-size limit
//!   and resynchronisation after bad frames.
//! - [`server`]: [`MllpServer`] binds, caps connections, serves each connection in
//!   its own task (the private `connection` module: read/idle/write timeouts, in-order
//!   handling), and shuts down gracefully.
//!   It calls the caller's [`MllpHandler`] once per frame, in order per connection.
//! - [`client`]: [`MllpClient`] sends a message and awaits the ACK whose MSA-2 is the
//!   message's MSH-10 ([`control_id`] reads those, or the caller's [`AckMatcher`]).
//! - [`tls`]: OpenSSL server (optionally mutual) and client TLS from PEM files.
//! - [`metrics`]: counters the binary exports.
//!
//! Wiring a server into a binary:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use bytes::Bytes;
//! use mllp::{CancellationToken, HandlerOutcome, MllpHandler, MllpServer, PeerInfo, ServerConfig};
//!
//! struct Ingest;
//!
//! impl MllpHandler for Ingest {
//!     async fn handle(&self, frame: Bytes, peer: PeerInfo) -> HandlerOutcome {
//!         // Parse, commit, then answer with the ACK built by the hl7v2 crate.
//!         let _ = peer;
//!         HandlerOutcome::Reply(frame)
//!     }
//! }
//!
//! # async fn wire() -> Result<(), mllp::ServerError> {
//! let server = MllpServer::bind("127.0.0.1:0", ServerConfig::default(), Arc::new(Ingest)).await?;
//! println!("MLLP listening on {}", server.local_addr());
//! let metrics = server.metrics(); // read metrics.snapshot() from /metrics
//! let shutdown = CancellationToken::new();
//! let serving = tokio::spawn(server.run(shutdown.clone()));
//! // ...on SIGTERM:
//! shutdown.cancel();
//! let _ = serving.await; // returns once in-flight messages are answered
//! # drop(metrics);
//! # Ok(())
//! # }
//! ```

pub mod client;
pub mod codec;
pub mod config;
mod connection;
pub mod control_id;
pub mod handler;
pub mod metrics;
pub mod server;
pub mod tls;

pub use client::{ClientError, ClientOptions, MllpClient};
pub use codec::{encode_frame, CodecError, MllpCodec, DEFAULT_MAX_FRAME_SIZE};
pub use config::{ConnectionLimitPolicy, ServerConfig};
pub use control_id::{AckMatcher, Er7ControlIds};
pub use handler::{HandlerOutcome, MllpHandler, PeerInfo};
pub use metrics::{MetricsSnapshot, MllpMetrics};
pub use server::{MllpServer, ServerError};
pub use tls::{ClientCertificate, ClientTlsConfig, ServerTlsConfig, TlsError};
pub use tokio_util::sync::CancellationToken;
