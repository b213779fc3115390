//! The MLLP edge: every frame goes through the `gateway::v2_intake` use-case on the
//! blocking pool, and the ACK it committed is written back. Also exports the mllp
//! crate's counters to the `/metrics` registry.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use futures_util::FutureExt;
use gateway::v2_intake::{IntakeOutcome, V2Intake};
use gateway::GatewayError;
use mllp::{
    CancellationToken, CodecError, HandlerOutcome, MllpHandler, MllpMetrics, MllpServer, PeerInfo,
    ServerConfig,
};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounter, IntGauge, Opts};
use tokio::task::JoinHandle;

pub struct IntakeHandler {
    intake: V2Intake,
}

impl MllpHandler for IntakeHandler {
    async fn handle(&self, frame: Bytes, peer: PeerInfo) -> HandlerOutcome {
        let intake = self.intake.clone();
        let processed = tokio::task::spawn_blocking(move || intake.ingest(&frame)).await;
        answer(processed, &peer)
    }

    async fn on_frame_error(&self, error: &CodecError, peer: &PeerInfo) -> Option<HandlerOutcome> {
        let CodecError::FrameTooLarge { head, len, max, .. } = error else {
            // A badly ended frame is gone: nothing of it is kept, so nothing can name
            // it. The server logged it; the connection goes on with the next frame.
            tracing::warn!(peer = %peer.addr, %error, "bad MLLP frame dropped");
            return None;
        };
        let (intake, head, len, max) = (self.intake.clone(), head.clone(), *len, *max);
        let processed =
            tokio::task::spawn_blocking(move || intake.reject_oversize(&head, len, max)).await;
        Some(answer(processed, peer))
    }
}

/// The reply for an intake result: the committed ACK, or a close with its reason.
fn answer(
    processed: Result<Result<IntakeOutcome, GatewayError>, tokio::task::JoinError>,
    peer: &PeerInfo,
) -> HandlerOutcome {
    match processed {
        Ok(Ok(IntakeOutcome::Ack { ack, .. })) => HandlerOutcome::Reply(Bytes::from(ack)),
        Ok(Ok(IntakeOutcome::NoAck { log_id, reason })) => {
            tracing::warn!(peer = %peer.addr, log_id, %reason, "HL7 v2 message cannot be acknowledged; closing");
            HandlerOutcome::Close { reason }
        }
        // Nothing was committed, so no ACK may be sent (promise 1): closing makes the
        // sender retransmit once the database is back.
        Ok(Err(error)) => {
            tracing::error!(peer = %peer.addr, %error, "HL7 v2 intake failed; closing");
            HandlerOutcome::Close {
                reason: error.to_string(),
            }
        }
        Err(error) => {
            tracing::error!(peer = %peer.addr, %error, "HL7 v2 intake task failed; closing");
            HandlerOutcome::Close {
                reason: error.to_string(),
            }
        }
    }
}

/// A running MLLP listener.
pub struct MllpListener {
    pub local_addr: SocketAddr,
    pub metrics: Arc<MllpMetrics>,
    pub serving: JoinHandle<()>,
}

/// Binds `addr` and starts serving until `shutdown` is cancelled. Must run inside a
/// tokio runtime.
///
/// Synchronous because `Application::build` is: the address is resolved here (std), and
/// binding a resolved address completes on its first poll (tokio does no I/O wait for
/// it), so the bind error or the chosen port is known before `build` returns.
pub fn start_now(
    addr: &str,
    intake: V2Intake,
    config: ServerConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<MllpListener> {
    let resolved: SocketAddr = addr
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve the MLLP address {addr}"))?
        .next()
        .with_context(|| format!("the MLLP address {addr} resolves to nothing"))?;
    let handler = Arc::new(IntakeHandler { intake });
    let server = MllpServer::bind(resolved, config, handler)
        .now_or_never()
        .with_context(|| format!("binding MLLP on {addr} did not complete at once"))?
        .with_context(|| format!("cannot listen for MLLP on {addr}"))?;
    let local_addr = server.local_addr();
    let metrics = server.metrics();
    let serving = tokio::spawn(server.run(shutdown));
    Ok(MllpListener {
        local_addr,
        metrics,
        serving,
    })
}

/// Prometheus collector reading [`MllpMetrics::snapshot`] at scrape time.
pub struct MllpCollector {
    metrics: Arc<MllpMetrics>,
    counters: Vec<IntCounter>,
    connections_open: IntGauge,
}

const COUNTERS: [(&str, &str); 9] = [
    ("fhirgate_mllp_frames_in_total", "MLLP frames received"),
    (
        "fhirgate_mllp_bytes_in_total",
        "MLLP payload bytes received",
    ),
    (
        "fhirgate_mllp_frames_rejected_total",
        "MLLP frames dropped as malformed or oversize",
    ),
    ("fhirgate_mllp_frames_out_total", "MLLP frames (ACKs) sent"),
    (
        "fhirgate_mllp_bytes_skipped_total",
        "Bytes skipped outside MLLP frames",
    ),
    (
        "fhirgate_mllp_connections_total",
        "MLLP connections accepted",
    ),
    (
        "fhirgate_mllp_connections_refused_total",
        "MLLP connections refused at the limit",
    ),
    (
        "fhirgate_mllp_timeouts_total",
        "MLLP read, idle or write timeouts",
    ),
    ("fhirgate_mllp_handler_panics_total", "MLLP handler panics"),
];

impl MllpCollector {
    pub fn new(metrics: Arc<MllpMetrics>) -> Result<Self, prometheus::Error> {
        let counters = COUNTERS
            .iter()
            .map(|(name, help)| IntCounter::with_opts(Opts::new(*name, *help)))
            .collect::<Result<Vec<_>, _>>()?;
        let connections_open =
            IntGauge::new("fhirgate_mllp_connections_open", "Open MLLP connections")?;
        Ok(Self {
            metrics,
            counters,
            connections_open,
        })
    }
}

impl Collector for MllpCollector {
    fn desc(&self) -> Vec<&Desc> {
        let mut descs: Vec<&Desc> = self.counters.iter().flat_map(|c| c.desc()).collect();
        descs.extend(self.connections_open.desc());
        descs
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let snapshot = self.metrics.snapshot();
        let values = [
            snapshot.frames_in,
            snapshot.bytes_in,
            snapshot.frames_rejected,
            snapshot.frames_out,
            snapshot.bytes_skipped,
            snapshot.connections_total,
            snapshot.connections_refused,
            snapshot.timeouts,
            snapshot.handler_panics,
        ];
        let mut families = Vec::new();
        for (counter, value) in self.counters.iter().zip(values) {
            // Counters only grow, so bring ours up to the snapshot's total.
            counter.inc_by(value.saturating_sub(counter.get()));
            families.extend(counter.collect());
        }
        self.connections_open
            .set(i64::try_from(snapshot.connections_open).unwrap_or(i64::MAX));
        families.extend(self.connections_open.collect());
        families
    }
}
