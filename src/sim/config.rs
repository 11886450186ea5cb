//! Simulator settings; every default documented.

use super::fault::Fault;
use crate::proto::segment::InstrumentId;
use crate::secret::Secret;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Default client id the simulator accepts.
pub const DEFAULT_CLIENT_ID: &str = "1000000001";
/// Default access token the simulator accepts.
pub const DEFAULT_ACCESS_TOKEN: &str = "sim-access-token";
/// Default partner id for PARTNER logins on the order feed.
pub const DEFAULT_PARTNER_ID: &str = "sim-partner";
/// Default partner secret.
pub const DEFAULT_PARTNER_SECRET: &str = "sim-partner-secret";

/// Everything the simulator can be told. `Debug` never shows a credential.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Listen address. Default `127.0.0.1:0` (a free port).
    pub listen: SocketAddr,
    /// Serve TLS with a generated certificate (default) or plain `ws://`.
    pub tls: bool,
    /// Accepted client id. Default [`DEFAULT_CLIENT_ID`].
    pub client_id: Secret,
    /// Accepted access token. Default [`DEFAULT_ACCESS_TOKEN`].
    pub access_token: Secret,
    /// Read the accepted access token from this file instead (trimmed), for each
    /// new connection; when the file changes, connections opened with another
    /// token are closed with 807 (market, depth and order feeds alike), as
    /// Dhan does when a token is renewed. Default none.
    pub access_token_file: Option<PathBuf>,
    /// A token the simulator treats as expired (code 807). Default `"expired-token"`.
    pub expired_token: Secret,
    /// Accepted partner id. Default [`DEFAULT_PARTNER_ID`].
    pub partner_id: Secret,
    /// Accepted partner secret. Default [`DEFAULT_PARTNER_SECRET`].
    pub partner_secret: Secret,
    /// Seed of every random walk. Default 42.
    pub seed: u64,
    /// Market packets per second per connection (0: as fast as the socket takes,
    /// batching writes). Default 100.
    pub rate: f64,
    /// Depth messages per second per connection. Default 4.
    pub depth_rate: f64,
    /// Instruments that exist; `None` (default) accepts every id.
    pub universe: Option<Vec<InstrumentId>>,
    /// Server ping interval. Default 10 s (Dhan's).
    pub ping_interval: Duration,
    /// Close a connection after this long without a pong. Default 40 s (Dhan's).
    pub pong_timeout: Duration,
    /// Emit one order lifecycle this often to every logged-in order socket;
    /// `None` disables. Default 3 s.
    pub order_interval: Option<Duration>,
    /// Gap between the steps of one order lifecycle. Default 200 ms.
    pub order_step: Duration,
    /// Stop creating periodic order lifecycles after this many (the one in
    /// flight finishes). Default none (no limit).
    pub order_count: Option<u64>,
    /// A fault to inject repeatedly. Default none.
    pub scenario: Option<Fault>,
    /// How often the scenario fault is injected. Default 5 s.
    pub scenario_every: Duration,
    /// Connections per user per feed before the oldest is sent 805. Default 5.
    pub max_connections_per_feed: usize,
    /// Instruments per market-feed connection (804 beyond). Default 5,000.
    pub max_instruments_per_connection: usize,
    /// Write every message sent into one capture file per connection in this
    /// directory (`<n>-<feed>.cap`, the format of `dhan-feed decode`). Default none.
    pub capture_dir: Option<PathBuf>,
    /// Benchmark mode: the last-trade-time field of ticker, quote and full packets
    /// carries the low 32 bits of the send time ([`crate::time::now_ns`], a clock
    /// shared with an in-process client) instead of the walk's time, and so
    /// does `volume` of quote and full packets. Default false.
    pub stamp: bool,
    /// Benchmark mode: at rate 0 the market feed generates one batch of 4,096
    /// packets and resends those bytes, so the sender is not the bottleneck of a
    /// throughput measurement. Default false.
    pub replay: bool,
    /// Benchmark mode: pin every connection thread (the senders) to this core;
    /// failure to pin is logged. Default none (the scheduler decides).
    pub sender_core: Option<usize>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: true,
            client_id: DEFAULT_CLIENT_ID.into(),
            access_token: DEFAULT_ACCESS_TOKEN.into(),
            access_token_file: None,
            expired_token: "expired-token".into(),
            partner_id: DEFAULT_PARTNER_ID.into(),
            partner_secret: DEFAULT_PARTNER_SECRET.into(),
            seed: 42,
            rate: 100.0,
            depth_rate: 4.0,
            universe: None,
            ping_interval: Duration::from_secs(10),
            pong_timeout: Duration::from_secs(40),
            order_interval: Some(Duration::from_secs(3)),
            order_step: Duration::from_millis(200),
            order_count: None,
            scenario: None,
            scenario_every: Duration::from_secs(5),
            max_connections_per_feed: 5,
            max_instruments_per_connection: 5_000,
            capture_dir: None,
            stamp: false,
            replay: false,
            sender_core: None,
        }
    }
}
