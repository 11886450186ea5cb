//! The page server's counters: [`WebStats`], and the cells the web thread keeps them in.

use crate::proto::json::push_u64;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Counters the web thread keeps, read by [`WebServer::stats`] and shown in
/// `/health`.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub stop: AtomicBool,
    pub connections: AtomicUsize,
    pub streams: AtomicUsize,
    pub served: AtomicU64,
    pub refused: AtomicU64,
    pub dropped_slow: AtomicU64,
    pub bad_requests: AtomicU64,
    pub orders_dropped: Arc<AtomicU64>,
}

impl Shared {
    pub(super) fn stats(&self) -> WebStats {
        WebStats {
            connections: self.connections.load(Ordering::Relaxed),
            streams: self.streams.load(Ordering::Relaxed),
            served: self.served.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            dropped_slow: self.dropped_slow.load(Ordering::Relaxed),
            bad_requests: self.bad_requests.load(Ordering::Relaxed),
            orders_dropped: self.orders_dropped.load(Ordering::Relaxed),
        }
    }

    /// `,"page":{…}`: the server's own counters, for `/health`.
    pub(super) fn page_json(&self, out: &mut Vec<u8>) {
        let s = self.stats();
        out.extend_from_slice(b",\"page\":{");
        for (i, (name, v)) in [
            ("connections", s.connections as u64),
            ("streams", s.streams as u64),
            ("served", s.served),
            ("refused", s.refused),
            ("dropped_slow", s.dropped_slow),
            ("bad_requests", s.bad_requests),
            ("orders_dropped", s.orders_dropped),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            push_u64(out, v);
        }
        out.push(b'}');
    }
}

/// The page server's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebStats {
    /// Connections open now.
    pub connections: usize,
    /// Of those, pages receiving the event stream.
    pub streams: usize,
    /// Requests answered (404s included).
    pub served: u64,
    /// Connections refused with 503 (past `max_clients`).
    pub refused: u64,
    /// Pages dropped because they stopped reading.
    pub dropped_slow: u64,
    /// Requests refused as malformed, oversized, of another method or `Host`, or
    /// incomplete in time.
    pub bad_requests: u64,
    /// Order events an [`OrderSender`](super::OrderSender) could not pass on (the page was behind).
    pub orders_dropped: u64,
}
