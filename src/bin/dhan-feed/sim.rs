//! `dhan-feed sim`: runs the simulator until Ctrl-C or `--seconds`.

use crate::stderr::note;
use dhan_feed::Secret;
use dhan_feed::proto::segment::InstrumentId;
use dhan_feed::sim::{Fault, SimConfig, Simulator};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A credential argument, wrapped at once so that `Debug` of the options never shows it.
fn secret_arg(s: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(s))
}

/// Options of `dhan-feed sim` (`Debug` never shows a credential).
#[derive(Clone, Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Serve plain ws:// instead of TLS.
    #[arg(long)]
    pub plain: bool,
    /// Write the certificate (PEM) here so other clients can trust it.
    #[arg(long)]
    pub cert_out: Option<PathBuf>,
    /// Client id to accept.
    #[arg(long, default_value = dhan_feed::sim::DEFAULT_CLIENT_ID, value_parser = secret_arg)]
    pub client_id: Secret,
    /// Access token to accept.
    #[arg(long, default_value = dhan_feed::sim::DEFAULT_ACCESS_TOKEN, value_parser = secret_arg)]
    pub access_token: Secret,
    /// Read the token to accept from this file instead, for each new connection;
    /// when the file changes, connections opened with another token are closed
    /// with 807 (a renewed token, as Dhan does).
    #[arg(long)]
    pub access_token_file: Option<PathBuf>,
    /// Seed of the random walks.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Market packets per second per connection (0 = as fast as possible).
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Depth messages per second per connection.
    #[arg(long, default_value_t = 4.0)]
    pub depth_rate: f64,
    /// A fault to inject repeatedly, one of: reset, close-no-frame, stall,
    /// disconnect-N, http-429, slow-handshake, malformed-frame, oversized-frame,
    /// fragmented, stacked, no-ping, malformed-packet.
    #[arg(long)]
    pub scenario: Option<Fault>,
    /// Seconds between scenario injections.
    #[arg(long, default_value_t = 5.0)]
    pub scenario_every: f64,
    /// Seconds between periodic order lifecycles (0 disables).
    #[arg(long, default_value_t = 3.0)]
    pub order_interval: f64,
    /// Stop creating order lifecycles after this many (those in flight finish).
    #[arg(long)]
    pub order_count: Option<u64>,
    /// Seconds between server pings.
    #[arg(long, default_value_t = 10.0)]
    pub ping_interval: f64,
    /// Only these instruments exist (SEGMENT:ID, repeatable); default: all.
    #[arg(long = "instrument")]
    pub universe: Vec<InstrumentId>,
    /// Capture every message sent, one file per connection, into this directory.
    #[arg(long)]
    pub capture_dir: Option<PathBuf>,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    pub seconds: Option<f64>,
}

impl SimArgs {
    /// The simulator configuration these options describe.
    pub fn config(&self) -> SimConfig {
        SimConfig {
            listen: self.listen,
            tls: !self.plain,
            client_id: self.client_id.clone(),
            access_token: self.access_token.clone(),
            access_token_file: self.access_token_file.clone(),
            seed: self.seed,
            rate: self.rate,
            depth_rate: self.depth_rate,
            universe: (!self.universe.is_empty()).then(|| self.universe.clone()),
            ping_interval: Duration::from_secs_f64(self.ping_interval.max(0.01)),
            order_interval: (self.order_interval > 0.0)
                .then(|| Duration::from_secs_f64(self.order_interval)),
            order_count: self.order_count,
            scenario: self.scenario,
            scenario_every: Duration::from_secs_f64(self.scenario_every.max(0.01)),
            capture_dir: self.capture_dir.clone(),
            ..SimConfig::default()
        }
    }
}

/// Runs the simulator; prints its URL as the first line on stdout, and the
/// Global Stocks feed's (its own listener) on the second, named.
pub fn run(args: &SimArgs) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(dir) = &args.capture_dir {
        std::fs::create_dir_all(dir)?;
    }
    let sim = Simulator::start(args.config())?;
    if let (Some(path), Some(pem)) = (&args.cert_out, sim.cert_pem()) {
        std::fs::write(path, pem)?;
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", sim.url())?;
    writeln!(stdout, "global stocks feed: {}", sim.global_url())?;
    stdout.flush()?;
    drop(stdout);
    note!(
        "dhan-feed sim: client id {}, access token as configured; market feed at {}/?version=2&token=…&clientId=…&authType=2",
        if args.client_id.expose() == dhan_feed::sim::DEFAULT_CLIENT_ID {
            "default"
        } else {
            "custom"
        },
        sim.url()
    );
    note!(
        "dhan-feed sim: order book (GET /v2/orders) at {}",
        sim.rest_url()
    );
    let start = Instant::now();
    let handle = sim.handle();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        if args
            .seconds
            .is_some_and(|s| start.elapsed().as_secs_f64() >= s)
        {
            break;
        }
    }
    let st = handle.stats();
    note!(
        "dhan-feed sim: accepted {} refused {} messages {} packets {} bytes {}",
        st.accepted,
        st.refused,
        st.messages,
        st.packets,
        st.bytes
    );
    let by_status: Vec<String> = handle
        .orders_by_status()
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    note!(
        "dhan-feed sim: orders {} ({}); order updates sent {}",
        st.orders,
        if by_status.is_empty() {
            "none".to_owned()
        } else {
            by_status.join(", ")
        },
        st.order_updates
    );
    sim.stop();
    Ok(())
}
