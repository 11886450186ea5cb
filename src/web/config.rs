//! [`WebConfig`]: how the page is served.

use std::net::SocketAddr;
use std::time::Duration;

/// How the page is served.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Where to listen. Default `127.0.0.1:8080`; port 0 picks a free one
    /// ([`WebServer::local_addr`](super::WebServer::local_addr) says which).
    pub addr: SocketAddr,
    /// Serve other hosts too: needed for an address that is not loopback, and
    /// lifts the loopback `Host` check. Default `false`.
    pub allow_remote: bool,
    /// How often open pages get an update. Default 100 ms (10 Hz).
    pub push_interval: Duration,
    /// A feed with no frame (data or ping) for this long is `stale`, and
    /// `/health` answers 503. Default 30 s (Dhan pings every 10 s; the client
    /// pings a quiet connection after 15 s).
    pub stale_after: Duration,
    /// Connections served at once; past this a client gets 503. Default 256.
    pub max_clients: usize,
    /// Bytes queued for one page before it counts as stalled and is dropped.
    /// Default 1 MiB (about ten seconds of updates for a hundred instruments).
    pub client_buffer: usize,
    /// The largest request head accepted; a larger one gets 431. Default 8 KiB.
    pub max_request: usize,
    /// A request head must be complete within this, or 408. Default 10 s.
    pub request_timeout: Duration,
    /// Price points kept per instrument for its chart. Default 120.
    pub history: usize,
    /// Order events kept for a page that opens later. Default 100.
    pub order_rows: usize,
    /// Instruments shown in the table (and depth ladders), the first subscribed
    /// first; the rest are in `/subscriptions` only. Default 500 (a page opens
    /// with every row's chart history, about 1 KB a row).
    pub max_rows: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            allow_remote: false,
            push_interval: Duration::from_millis(100),
            stale_after: Duration::from_secs(30),
            max_clients: 256,
            client_buffer: 1 << 20,
            max_request: 8 * 1024,
            request_timeout: Duration::from_secs(10),
            history: 120,
            order_rows: 100,
            max_rows: 500,
        }
    }
}
