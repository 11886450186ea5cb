//! The Dhan protocol simulator: the server side of all five endpoints over real
//! TLS (or plain `ws://`) on loopback, with Dhan's authentication, limits,
//! keepalive, deterministic data and faults on purpose.
//!
//! ```no_run
//! use dhan_feed::sim::{Fault, Simulator};
//! let sim = Simulator::builder().seed(7).rate(500.0).start()?;
//! println!("serving {}", sim.url());            // wss://127.0.0.1:PORT
//! let pem = sim.cert_pem().unwrap_or_default();  // trust this to connect over TLS
//! sim.handle().inject(Fault::Disconnect(807));   // every live connection gets 807
//! # Ok::<(), dhan_feed::sim::SimError>(())
//! ```
//!
//! Routing follows Dhan's URLs: `/?version=2&token=…&clientId=…&authType=2` is the
//! market feed; `/twentydepth?…` 20-level depth; `/twohundreddepth?…` and `/?token=…`
//! without `version` 200-level depth; `/` with no query the order feed (login
//! message first). Authentication: an expired token gets 807, a wrong token 809, a
//! wrong client id 808, each as a disconnect packet followed by a close frame; a bad
//! order-feed login is refused with close code 1008.
//!
//! The Global Stocks (US) feed is served on a listener of its own
//! ([`Simulator::global_url`]): its URL has the market feed's shape (`/?clientId=…
//! &token=…&authType=…&version=2`), so one listener could not tell the two apart.

mod cert;
mod config;
mod conn;
mod depth;
mod fault;
mod flow;
mod global;
mod known;
mod market;
mod orders;
mod out;
mod rest;
mod shared;
mod stream;
pub mod walk;

pub use cert::SimCert;
pub use config::{
    DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, DEFAULT_PARTNER_ID, DEFAULT_PARTNER_SECRET, SimConfig,
};
pub use fault::{Fault, ParseFaultError};
pub use global::SIM_GLOBAL_SEGMENT;
pub use known::{DerivKind, Derives, KNOWN, Known, symbol_of};
pub use orders::{Lifecycle, lifecycle_update};

use crate::proto::endpoint::FeedKind;
use crate::proto::order::OrderUpdate;
use crossbeam_channel::{Receiver, Sender};
use rustls_pki_types::CertificateDer;
use shared::{Shared, lock};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Binding or configuring the listener failed.
    #[error("simulator listener: {0}")]
    Io(#[from] std::io::Error),
    /// Generating the certificate failed.
    #[error("simulator certificate: {0}")]
    Cert(#[from] rcgen::Error),
    /// Building the TLS configuration failed.
    #[error("simulator TLS config: {0}")]
    Tls(#[from] rustls::Error),
    /// The access-token file could not be read (its text is never shown).
    #[error("simulator access-token file {path}: {source}")]
    TokenFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Builds a [`Simulator`]; every setting defaults as [`SimConfig`] documents.
#[derive(Clone, Debug, Default)]
pub struct SimBuilder {
    cfg: SimConfig,
}

impl SimBuilder {
    /// Uses `cfg` wholesale.
    pub fn config(mut self, cfg: SimConfig) -> Self {
        self.cfg = cfg;
        self
    }
    /// Listen address (default `127.0.0.1:0`).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.cfg.listen = addr;
        self
    }
    /// Plain `ws://` instead of TLS.
    pub fn plain(mut self) -> Self {
        self.cfg.tls = false;
        self
    }
    /// Accepted client id.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.cfg.client_id = crate::Secret::new(id);
        self
    }
    /// Accepted access token.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.cfg.access_token = crate::Secret::new(token);
        self
    }
    /// Seed of the random walks.
    pub fn seed(mut self, seed: u64) -> Self {
        self.cfg.seed = seed;
        self
    }
    /// Market packets per second per connection (0 = as fast as possible).
    pub fn rate(mut self, rate: f64) -> Self {
        self.cfg.rate = rate;
        self
    }
    /// Depth messages per second per connection.
    pub fn depth_rate(mut self, rate: f64) -> Self {
        self.cfg.depth_rate = rate;
        self
    }
    /// Server ping interval and pong timeout.
    pub fn keepalive(mut self, ping: Duration, pong_timeout: Duration) -> Self {
        self.cfg.ping_interval = ping;
        self.cfg.pong_timeout = pong_timeout;
        self
    }
    /// Periodic order lifecycles (`None` disables).
    pub fn order_interval(mut self, every: Option<Duration>) -> Self {
        self.cfg.order_interval = every;
        self
    }
    /// A fault injected every `every`.
    pub fn scenario(mut self, fault: Fault, every: Duration) -> Self {
        self.cfg.scenario = Some(fault);
        self.cfg.scenario_every = every;
        self
    }
    /// Benchmark mode: send times (the low 32 bits of [`crate::now_ns`])
    /// stamped into the last-trade-time field, and into `volume` of quote and
    /// full packets.
    pub fn stamp(mut self, on: bool) -> Self {
        self.cfg.stamp = on;
        self
    }
    /// Benchmark mode: resend one generated batch at rate 0.
    pub fn replay(mut self, on: bool) -> Self {
        self.cfg.replay = on;
        self
    }
    /// Benchmark mode: pin the connection (sender) threads to `core`.
    pub fn sender_core(mut self, core: Option<usize>) -> Self {
        self.cfg.sender_core = core;
        self
    }
    /// Capture every message sent into `dir` (one file per connection).
    pub fn capture_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cfg.capture_dir = Some(dir.into());
        self
    }
    /// Starts serving.
    pub fn start(self) -> Result<Simulator, SimError> {
        Simulator::start(self.cfg)
    }
}

/// A running simulator. Dropping it stops it (threads joined, sockets closed).
pub struct Simulator {
    addr: SocketAddr,
    global_addr: SocketAddr,
    rest_addr: SocketAddr,
    cert: Option<SimCert>,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    conn_threads: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
    stop_tx: Option<Sender<()>>,
    commands: Sender<Lifecycle>,
}

/// Counters of a simulator, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Upgrades accepted.
    pub accepted: u64,
    /// Upgrades refused (429, 404, bad handshakes).
    pub refused: u64,
    /// WebSocket data messages sent.
    pub messages: u64,
    /// Packets (or order updates) sent.
    pub packets: u64,
    /// Bytes of data frames written.
    pub bytes: u64,
    /// Connections evicted with 805 because a sixth opened.
    pub evicted: u64,
    /// Successful order-feed logins.
    pub logins: u64,
    /// `{"RequestCode":12}` disconnect requests received (market and depth feeds).
    pub disconnect_requests: u64,
    /// Order updates written to order sockets (one per socket reached).
    pub order_updates: u64,
    /// `GET /v2/orders` requests answered with the book.
    pub order_book_requests: u64,
    /// Orders created (periodic lifecycles and [`SimHandle::start_lifecycle`]).
    pub orders: u64,
}

/// For examples and tools: a client for Dhan when `DHAN_CLIENT_ID` and
/// `DHAN_ACCESS_TOKEN` are set (see [`crate::ClientConfig::from_env`]); otherwise a
/// simulator started from `builder` and a client for it (keep the returned
/// simulator alive while the client runs: bound as `let (_sim, client) = …`, the
/// client is dropped first and leaves before its simulator does). The simulator is
/// `Some` when it chose the simulator; it also logs its choice at `info`.
pub fn env_or_simulator(
    builder: SimBuilder,
) -> Result<(Option<Simulator>, crate::Client), Box<dyn std::error::Error + Send + Sync>> {
    if crate::ClientConfig::env_has_credentials() {
        log::info!("Dhan credentials found in the environment: connecting to Dhan");
        return Ok((None, crate::Client::from_env()?));
    }
    let sim = builder.start()?;
    log::info!(
        "no DHAN_CLIENT_ID/DHAN_ACCESS_TOKEN set: using the built-in simulator at {}",
        sim.url()
    );
    let client = crate::Client::new(sim.client_config())?;
    Ok((Some(sim), client))
}

/// A cloneable handle to inject faults and order updates into a running simulator.
#[derive(Clone)]
pub struct SimHandle {
    shared: Arc<Shared>,
    commands: Sender<Lifecycle>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle").finish_non_exhaustive()
    }
}

impl SimHandle {
    /// Creates no more periodic order lifecycles (those in flight finish).
    pub fn stop_orders(&self) {
        self.shared.orders_stopped.store(true, Ordering::Relaxed);
    }

    /// Every order's latest state (what `GET /v2/orders` serves), oldest first.
    pub fn order_book(&self) -> Vec<OrderUpdate> {
        lock(&self.shared.order_book).values().copied().collect()
    }

    /// How many orders are in each status now (`TRADED`, `CANCELLED`, …).
    pub fn orders_by_status(&self) -> std::collections::BTreeMap<String, u64> {
        let mut by = std::collections::BTreeMap::new();
        for u in lock(&self.shared.order_book).values() {
            *by.entry(u.status.as_str().to_owned()).or_insert(0) += 1;
        }
        by
    }

    /// Sets how many instruments a market-feed connection opened from now on
    /// may carry (Dhan's 804 past it); live connections keep their limit.
    pub fn set_instrument_limit(&self, limit: usize) {
        self.shared
            .instrument_limit
            .store(limit, std::sync::atomic::Ordering::Relaxed);
    }

    /// Injects `fault` into every live connection (handshake faults arm the next
    /// upgrade). Returns the number of connections reached.
    pub fn inject(&self, fault: Fault) -> usize {
        self.shared.inject(None, fault)
    }

    /// Injects `fault` into the live connections of one feed.
    pub fn inject_on(&self, kind: FeedKind, fault: Fault) -> usize {
        self.shared.inject(Some(kind), fault)
    }

    /// Sends `update` (as Dhan's PascalCase JSON) to every logged-in order socket;
    /// returns how many received it.
    pub fn send_order_update(&self, update: &OrderUpdate) -> usize {
        self.shared.broadcast_order(orders::encode(update))
    }

    /// Sends raw text to every logged-in order socket (for malformed-input tests).
    pub fn send_order_text(&self, text: &[u8]) -> usize {
        self.shared.broadcast_order(text.to_vec())
    }

    /// Sends a binary message to every logged-in order socket (Dhan's order feed
    /// is JSON text only: a client must skip it and count it).
    pub fn send_order_binary(&self, bytes: &[u8]) -> usize {
        self.shared.broadcast_order_binary(bytes.to_vec())
    }

    /// Starts one order lifecycle now (its steps follow at the configured gap).
    pub fn start_lifecycle(&self, lifecycle: Lifecycle) {
        let _ = self.commands.send(lifecycle);
    }

    /// Live (authenticated) connections of `kind`.
    pub fn live(&self, kind: FeedKind) -> usize {
        self.shared.live(kind)
    }

    /// Waits until `kind` has exactly `n` live connections, up to `timeout`.
    pub fn wait_live(&self, kind: FeedKind, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.live(kind) == n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.live(kind) == n
    }

    /// The counters so far.
    pub fn stats(&self) -> SimStats {
        let c = &self.shared.counters;
        SimStats {
            accepted: c.accepted.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            messages: c.messages.load(Ordering::Relaxed),
            packets: c.packets.load(Ordering::Relaxed),
            bytes: c.bytes.load(Ordering::Relaxed),
            evicted: c.evicted.load(Ordering::Relaxed),
            logins: self.shared.orders_seen.load(Ordering::Relaxed),
            disconnect_requests: self.shared.disconnect_requests.load(Ordering::Relaxed),
            order_updates: self.shared.order_updates_sent.load(Ordering::Relaxed),
            order_book_requests: self.shared.order_book_requests.load(Ordering::Relaxed),
            orders: lock(&self.shared.order_book).len() as u64,
        }
    }
}

impl Simulator {
    /// A builder with the documented defaults.
    pub fn builder() -> SimBuilder {
        SimBuilder::default()
    }

    /// Starts a simulator with `cfg`.
    pub fn start(cfg: SimConfig) -> Result<Self, SimError> {
        let (cert, tls) = if cfg.tls {
            let cert = SimCert::generate()?;
            let tls = cert.server_config()?;
            (Some(cert), Some(tls))
        } else {
            (None, None)
        };
        let mut cfg = cfg;
        if let Some(path) = &cfg.access_token_file {
            cfg.access_token =
                crate::Secret::from_file(path).map_err(|source| SimError::TokenFile {
                    path: path.clone(),
                    source,
                })?;
        }
        let listener = TcpListener::bind(cfg.listen)?;
        let addr = listener.local_addr()?;
        let global_listener = TcpListener::bind(SocketAddr::new(cfg.listen.ip(), 0))?;
        let global_addr = global_listener.local_addr()?;
        let rest_listener = TcpListener::bind(SocketAddr::new(cfg.listen.ip(), 0))?;
        let rest_addr = rest_listener.local_addr()?;
        let shared = Arc::new(Shared::new(cfg, tls));
        let conn_threads = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(0);
        let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
        let mut threads = Vec::new();
        {
            let shared = shared.clone();
            let conn_threads = conn_threads.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("sim-accept".into())
                    .spawn(move || accept_loop(listener, shared, conn_threads, false))?,
            );
        }
        {
            let shared = shared.clone();
            let conn_threads = conn_threads.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("sim-accept-global".into())
                    .spawn(move || accept_loop(global_listener, shared, conn_threads, true))?,
            );
        }
        {
            let shared = shared.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("sim-rest".into())
                    .spawn(move || rest::serve(rest_listener, shared))?,
            );
        }
        {
            let shared = shared.clone();
            let stop_rx = stop_rx.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("sim-orders".into())
                    .spawn(move || order_generator(shared, cmd_rx, stop_rx))?,
            );
        }
        if let Some(path) = shared.cfg.access_token_file.clone() {
            let shared = shared.clone();
            let stop_rx = stop_rx.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("sim-token".into())
                    .spawn(move || watch_token_file(&path, &shared, &stop_rx))?,
            );
        }
        if let Some(fault) = shared.cfg.scenario {
            let shared = shared.clone();
            let every = shared.cfg.scenario_every;
            threads.push(
                std::thread::Builder::new()
                    .name("sim-scenario".into())
                    .spawn(move || {
                        while let Err(crossbeam_channel::RecvTimeoutError::Timeout) =
                            stop_rx.recv_timeout(every)
                        {
                            let n = shared.inject(None, fault);
                            log::info!("sim: scenario {fault} injected into {n} connections");
                        }
                    })?,
            );
        }
        Ok(Self {
            addr,
            global_addr,
            rest_addr,
            cert,
            shared,
            threads,
            conn_threads,
            stop_tx: Some(stop_tx),
            commands: cmd_tx,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL: `wss://127.0.0.1:PORT` (or `ws://` when plain).
    pub fn url(&self) -> String {
        let scheme = if self.cert.is_some() { "wss" } else { "ws" };
        format!("{scheme}://{}", self.addr)
    }

    /// The base URL of its Global Stocks (US) feed: `wss://127.0.0.1:PORT2` (or
    /// `ws://`), a listener of its own.
    pub fn global_url(&self) -> String {
        let scheme = if self.cert.is_some() { "wss" } else { "ws" };
        format!("{scheme}://{}", self.global_addr)
    }

    /// The base URL of its REST host (`https://…` or `http://…`): `GET
    /// /v2/orders` serves the order book to a request whose `access-token`
    /// header holds the valid token.
    pub fn rest_url(&self) -> String {
        let scheme = if self.cert.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.rest_addr)
    }

    /// The certificate's PEM text (TLS only).
    pub fn cert_pem(&self) -> Option<String> {
        self.cert.as_ref().map(|c| c.pem.clone())
    }

    /// The certificate to trust (TLS only).
    pub fn certificate(&self) -> Option<CertificateDer<'static>> {
        self.cert.as_ref().map(|c| c.der.clone())
    }

    /// The settings it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.cfg
    }

    /// A client configuration for this simulator: its credentials, its endpoints,
    /// its certificate as the only trust root.
    pub fn client_config(&self) -> crate::ClientConfig {
        crate::ClientConfig {
            client_id: self.config().client_id.clone(),
            access_token: self.shared.valid_token(),
            partner_id: Some(self.config().partner_id.clone()),
            partner_secret: Some(self.config().partner_secret.clone()),
            endpoints: crate::Endpoints {
                global: self.global_url(),
                ..crate::Endpoints::all(&self.url())
            },
            rest_base: self.rest_url(),
            extra_roots: self.certificate().into_iter().collect(),
            webpki_roots: false,
            ..crate::ClientConfig::default()
        }
    }

    /// A handle for faults, order updates and counters.
    pub fn handle(&self) -> SimHandle {
        SimHandle {
            shared: self.shared.clone(),
            commands: self.commands.clone(),
        }
    }

    /// Stops serving: closes every connection and joins every thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.shared.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        drop(self.stop_tx.take());
        // Wake the blocking accepts.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        let _ = TcpStream::connect_timeout(&self.global_addr, Duration::from_millis(200));
        let _ = TcpStream::connect_timeout(&self.rest_addr, Duration::from_millis(200));
        for (_, s) in lock(&self.shared.sockets).iter() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let conns: Vec<_> = lock(&self.conn_threads).drain(..).collect();
        for t in conns {
            let _ = t.join();
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    conn_threads: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
    global: bool,
) {
    for conn in listener.incoming() {
        if shared.stopping() {
            break;
        }
        let tcp = match conn {
            Ok(t) => t,
            Err(e) => {
                log::warn!("sim: accept failed: {e}");
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(c) = tcp.try_clone() {
            lock(&shared.sockets).push((id, c));
        }
        let s = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("sim-conn-{id}"))
            .spawn(move || {
                if let Some(core) = s.cfg.sender_core
                    && !core_affinity::set_for_current(core_affinity::CoreId { id: core })
                {
                    log::warn!("sim: could not pin connection {id} to core {core}");
                }
                conn::serve(tcp, s, id, global)
            });
        let mut threads = lock(&conn_threads);
        threads.retain(|t| !t.is_finished());
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => log::warn!("sim: cannot spawn a connection thread: {e}"),
        }
        if shared.stopping() {
            // A connection accepted during shutdown: close it at once.
            for (_, s) in lock(&shared.sockets).iter() {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

fn order_generator(shared: Arc<Shared>, commands: Receiver<Lifecycle>, stop: Receiver<()>) {
    let mut order_no = 52_260_000 + shared.cfg.seed % 10_000 * 100;
    let mut next_kind = 0usize;
    let every = shared.cfg.order_interval;
    let mut next_periodic = every.map(|e| Instant::now() + e);
    loop {
        let timeout = next_periodic
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(3600));
        let lifecycle = crossbeam_channel::select! {
            recv(commands) -> c => match c { Ok(l) => l, Err(_) => return },
            recv(stop) -> _ => return,
            default(timeout) => {
                // Orders go on whether or not an order socket is connected, as
                // real ones do: what nobody receives is lost, as Dhan's updates are.
                if shared.cfg.order_count.is_some_and(|n| next_kind as u64 >= n)
                    || shared.orders_stopped.load(Ordering::Relaxed)
                {
                    next_periodic = None;
                    continue;
                }
                next_periodic = every.map(|e| Instant::now() + e);
                let l = Lifecycle::ALL[next_kind % Lifecycle::ALL.len()];
                next_kind += 1;
                l
            }
        };
        order_no += 1;
        for (i, &(status, traded)) in lifecycle.steps().iter().enumerate() {
            if i > 0 && stop.recv_timeout(shared.cfg.order_step).is_ok() {
                return;
            }
            if shared.stopping() {
                return;
            }
            let u = lifecycle_update(order_no, status, traded, shared.cfg.client_id.expose());
            lock(&shared.order_book).insert(order_no, u);
            let reached = shared.broadcast_order(orders::encode(&u));
            shared
                .order_updates_sent
                .fetch_add(reached as u64, Ordering::Relaxed);
        }
    }
}

/// Re-reads the access-token file every 100 ms until the simulator stops: a new
/// token is accepted from then on and closes the connections opened with another
/// (807). An unreadable or empty file keeps the current token (said once per
/// change of the problem).
fn watch_token_file(
    path: &std::path::Path,
    shared: &Shared,
    stop: &crossbeam_channel::Receiver<()>,
) {
    let mut problem: Option<std::io::ErrorKind> = None;
    while let Err(crossbeam_channel::RecvTimeoutError::Timeout) =
        stop.recv_timeout(std::time::Duration::from_millis(100))
    {
        match crate::Secret::from_file(path) {
            Ok(token) => {
                problem = None;
                if token != shared.valid_token() {
                    let n = shared.renew_token(token);
                    log::info!("sim: access token renewed; {n} connections closed with 807");
                }
            }
            Err(e) => {
                if problem != Some(e.kind()) {
                    log::warn!(
                        "sim: access-token file {}: {e}; keeping the current token",
                        path.display()
                    );
                    problem = Some(e.kind());
                }
            }
        }
    }
}
