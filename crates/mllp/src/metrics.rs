//! Counters the server updates; the binary exports them (e.g. to Prometheus) by
//! reading a [`MetricsSnapshot`]. Plain relaxed atomics: each counter is
//! independent, and a scrape does not need a consistent cut across them.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct MllpMetrics {
    pub(crate) frames_in: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    pub(crate) frames_rejected: AtomicU64,
    pub(crate) frames_out: AtomicU64,
    pub(crate) bytes_skipped: AtomicU64,
    pub(crate) connections_open: AtomicU64,
    pub(crate) connections_total: AtomicU64,
    pub(crate) connections_refused: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) handler_panics: AtomicU64,
}

/// A copy of all counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Complete frames handed to the handler.
    pub frames_in: u64,
    /// Bytes read from connections (after TLS), framing included.
    pub bytes_in: u64,
    /// Frames dropped by the codec (too large, bad end block, truncated).
    pub frames_rejected: u64,
    /// Replies written.
    pub frames_out: u64,
    /// Bytes skipped outside frames.
    pub bytes_skipped: u64,
    /// Connections being served now (gauge).
    pub connections_open: u64,
    /// Connections served since start.
    pub connections_total: u64,
    /// Connections closed at once because the connection cap was reached.
    pub connections_refused: u64,
    /// Connections closed by the read, idle, write or TLS handshake timeout.
    pub timeouts: u64,
    /// Handler calls that panicked (each closed its connection).
    pub handler_panics: u64,
}

impl MllpMetrics {
    pub fn snapshot(&self) -> MetricsSnapshot {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        MetricsSnapshot {
            frames_in: read(&self.frames_in),
            bytes_in: read(&self.bytes_in),
            frames_rejected: read(&self.frames_rejected),
            frames_out: read(&self.frames_out),
            bytes_skipped: read(&self.bytes_skipped),
            connections_open: read(&self.connections_open),
            connections_total: read(&self.connections_total),
            connections_refused: read(&self.connections_refused),
            timeouts: read(&self.timeouts),
            handler_panics: read(&self.handler_panics),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn incr(counter: &AtomicU64) {
        Self::add(counter, 1);
    }
}

/// Keeps `connections_open` right however a connection task ends (panic included).
pub(crate) struct OpenConnectionGuard<'a>(&'a MllpMetrics);

impl<'a> OpenConnectionGuard<'a> {
    pub(crate) fn new(metrics: &'a MllpMetrics) -> Self {
        MllpMetrics::incr(&metrics.connections_open);
        MllpMetrics::incr(&metrics.connections_total);
        Self(metrics)
    }
}

impl Drop for OpenConnectionGuard<'_> {
    fn drop(&mut self) {
        self.0.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}
