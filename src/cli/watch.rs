//! `dhan-feed watch`: prints market events (or order events with `--orders`, depth
//! books with `--depth`) as they arrive, then a summary.
//!
//! With Dhan credentials in the environment it connects to Dhan; without them it
//! starts the in-process simulator over TLS and says so; `--url` and `--ca-file`
//! point it at an external simulator instead.

use crate::cli::stderr::note;
use crate::config::{ClientConfig, Endpoints};
use crate::feed::FeedEvent;
use crate::jsonl;
use crate::proto::market::MarketPacket;
use crate::proto::request::FeedMode;
use crate::proto::segment::InstrumentId;
use crate::secret::Secret;
use crate::sim::Simulator;
use crate::transport::tls::certs_from_pem;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// NIFTY, BANKNIFTY, NIFTYIT and SENSEX: the seed guide's indices.
pub const DEFAULT_INSTRUMENTS: [&str; 4] = ["IDX_I:13", "IDX_I:25", "IDX_I:29", "IDX_I:51"];

/// Options of `dhan-feed watch`.
#[derive(Clone, Debug, clap::Args)]
pub struct WatchArgs {
    /// Subscription mode: ticker, quote or full.
    #[arg(long, default_value = "ticker")]
    pub mode: FeedMode,
    /// Stop after this many events.
    #[arg(long)]
    pub count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Print JSON lines (the field names of `dhan-feed decode`) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Connect to this base URL (`ws://` or `wss://host[:port]`, e.g. an external
    /// `dhan-feed sim`) instead, with the simulator's default credentials.
    #[arg(long)]
    pub url: Option<String>,
    /// With `--url`: send the Dhan credentials from the environment
    /// (`DHAN_CLIENT_ID`, `DHAN_ACCESS_TOKEN`) instead of the simulator's defaults.
    #[arg(long, requires = "url")]
    pub env_credentials: bool,
    /// Trust the certificate(s) in this PEM file (for `--url wss://…`).
    #[arg(long, requires = "url")]
    pub ca_file: Option<PathBuf>,
    /// Pin the I/O thread to this core.
    #[arg(long)]
    pub pin: Option<usize>,
    /// Watch live order updates (tracked into events) instead of the market feed.
    #[arg(long, conflicts_with_all = ["depth", "mode", "instruments"])]
    pub orders: bool,
    /// Watch 20- or 200-level market depth of the instruments (NSE_EQ / NSE_FNO;
    /// default RELIANCE and TCS; 200-level: one connection each).
    #[arg(long, value_parser = ["20", "200"], conflicts_with = "mode")]
    pub depth: Option<String>,
    /// Instruments as SEGMENT:ID (default: NIFTY, BANKNIFTY, NIFTYIT, SENSEX).
    pub instruments: Vec<InstrumentId>,
}

/// One table row for a packet.
pub fn table_row(p: &MarketPacket, out: &mut Vec<u8>) -> io::Result<()> {
    let id = p.id();
    write!(out, "{:<12} {:>16} ", p.kind_name(), id.to_string())?;
    match p {
        MarketPacket::Ticker(t) => write!(out, "ltp {:>12.2}  ltt {}", t.ltp, hms(t.ltt.raw()))?,
        MarketPacket::Quote(q) => write!(
            out,
            "ltp {:>12.2}  ltt {}  vol {}  o/h/l/c {:.2}/{:.2}/{:.2}/{:.2}",
            q.ltp,
            hms(q.ltt.raw()),
            q.volume,
            q.open,
            q.high,
            q.low,
            q.close
        )?,
        MarketPacket::Full(f) => write!(
            out,
            "ltp {:>12.2}  ltt {}  vol {}  oi {}  bid {:.2} x {}  ask {:.2} x {}",
            f.ltp,
            hms(f.ltt.raw()),
            f.volume,
            f.oi,
            f.depth[0].bid_price,
            f.depth[0].bid_qty,
            f.depth[0].ask_price,
            f.depth[0].ask_qty
        )?,
        MarketPacket::Oi(o) => write!(out, "oi {}", o.oi)?,
        MarketPacket::PrevClose(pc) => write!(
            out,
            "prev_close {:.2}  prev_oi {}",
            pc.prev_close, pc.prev_oi
        )?,
        MarketPacket::Disconnect(d) => write!(out, "reason {}", d.reason)?,
        MarketPacket::MarketStatus(_) => {}
        MarketPacket::Unknown(u) => write!(out, "code {} len {}", u.code, u.len)?,
    }
    out.push(b'\n');
    Ok(())
}

/// `HH:MM:SS` of a last-trade time, which the feed encodes as IST wall clock.
fn hms(ltt: u32) -> String {
    let s = ltt % 86_400;
    format!("{:02}:{:02}:{:02} IST", s / 3600, s / 60 % 60, s % 60)
}

/// Why `watch` could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// The simulator could not start.
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    /// The client could not start.
    #[error(transparent)]
    Client(#[from] crate::ClientError),
    /// `--url` is not a `ws://` or `wss://` URL (shown with its credentials as
    /// `***`; checked here rather than by the argument parser, whose message would
    /// repeat the value as given).
    #[error("invalid value {0:?} for --url: expected ws://host[:port] or wss://host[:port]")]
    BadUrl(String),
    /// Writing output failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The `--ca-file` could not be read.
    #[error("cannot read --ca-file {path}: {source}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `--env-credentials` without `DHAN_CLIENT_ID` / `DHAN_ACCESS_TOKEN`.
    #[error(transparent)]
    Env(#[from] crate::config::EnvError),
    /// The server refused the credentials; `watch` cannot supply new ones, so it
    /// stops (exit status 1) instead of waiting forever.
    #[error("{0}; check DHAN_CLIENT_ID / DHAN_ACCESS_TOKEN (or the simulator's) and run again")]
    CredentialsRefused(crate::session::SessionError),
    /// The CA file holds no certificate.
    #[error(transparent)]
    Tls(#[from] crate::transport::tls::TlsConfigError),
}

/// The summary printed at exit.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Events printed (market events, order events or depth snapshots).
    pub events: u64,
    /// Events dropped by a full ring.
    pub drops: u64,
    /// Reconnections seen.
    pub reconnects: u64,
    /// Messages cut short by a malformed packet (market and depth feeds).
    pub malformed: u64,
    /// read→consumer latency percentiles (ns): p50, p99, p99.9, max.
    pub latency_ns: [u64; 4],
}

/// The client `watch` uses: `--url` (an external simulator), else Dhan when
/// credentials are in the environment, else an in-process simulator over TLS
/// (returned, to keep it running; first, so that `let (_sim, client) = …` drops
/// the client before it, as [`crate::sim::env_or_simulator`] does).
pub fn connect(args: &WatchArgs) -> Result<(Option<Simulator>, crate::Client), WatchError> {
    let mut sim = None;
    let mut cfg = if let Some(url) = &args.url {
        if crate::config::BaseUrl::parse(url).is_none() {
            return Err(WatchError::BadUrl(crate::proto::endpoint::redacted_target(
                url,
            )));
        }
        // The environment's Dhan credentials go to another URL only when asked.
        let mut cfg = if args.env_credentials {
            ClientConfig::from_env()?
        } else {
            ClientConfig {
                client_id: Secret::new(crate::sim::DEFAULT_CLIENT_ID),
                access_token: Secret::new(crate::sim::DEFAULT_ACCESS_TOKEN),
                ..ClientConfig::default()
            }
        };
        cfg.endpoints = Endpoints::all(url);
        if let Some(ca) = &args.ca_file {
            let pem = std::fs::read(ca).map_err(|source| WatchError::CaFile {
                path: ca.clone(),
                source,
            })?;
            cfg.extra_roots = certs_from_pem(&pem, &ca.display().to_string())?;
        }
        note!(
            "dhan-feed watch: connecting to {}",
            crate::proto::endpoint::redacted_target(url)
        );
        cfg
    } else if ClientConfig::env_has_credentials() {
        let cfg = ClientConfig::from_env().map_err(crate::ClientError::from)?;
        note!("dhan-feed watch: Dhan credentials found; connecting to Dhan");
        cfg
    } else {
        let s = Simulator::builder().rate(20.0).start()?;
        note!(
            "dhan-feed watch: no DHAN_CLIENT_ID/DHAN_ACCESS_TOKEN set; using the built-in simulator at {} (TLS)",
            s.url()
        );
        let cfg = s.client_config();
        sim = Some(s);
        cfg
    };
    cfg.pin_core = args.pin;
    Ok((sim, crate::Client::new(cfg)?))
}

/// Ends `watch` on refused credentials (806-810, HTTP 401/403, a refused order
/// login): the connection stays stopped until new credentials, which `watch`
/// cannot supply.
pub(crate) fn refused(ev: &crate::session::SessionEvent) -> Result<(), WatchError> {
    match ev {
        crate::session::SessionEvent::Error {
            error: e @ crate::session::SessionError::Credentials(_),
        } => Err(WatchError::CredentialsRefused(*e)),
        _ => Ok(()),
    }
}

/// Runs `watch` until `--count`, `--seconds` or `stop` is set (Ctrl-C), or the
/// credentials are refused (an error).
pub fn run(
    args: &WatchArgs,
    out: &mut impl Write,
    stop: Arc<AtomicBool>,
) -> Result<Summary, WatchError> {
    let (sim, client) = connect(args)?;
    let result = if args.orders {
        super::watch_feeds::orders(args, &client, out, stop)
    } else if let Some(levels) = &args.depth {
        super::watch_feeds::depth(args, levels == "200", &client, out, stop)
    } else {
        market(args, &client, out, stop)
    };
    // The client first: it says goodbye and joins its I/O thread while an
    // in-process simulator is still there (else the simulator's shutdown would be
    // logged as a dropped connection).
    drop(client);
    drop(sim);
    result
}

/// `watch` on the market feed.
fn market(
    args: &WatchArgs,
    client: &crate::Client,
    out: &mut impl Write,
    stop: Arc<AtomicBool>,
) -> Result<Summary, WatchError> {
    let mut feed = client.market_feed(args.mode);
    let instruments: Vec<InstrumentId> = if args.instruments.is_empty() {
        DEFAULT_INSTRUMENTS
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect()
    } else {
        args.instruments.clone()
    };
    feed.subscribe_many(&instruments);
    let mut hist = hdrhistogram::Histogram::<u64>::new(3).map_err(io::Error::other)?;
    let mut summary = Summary::default();
    let start = Instant::now();
    let mut line = Vec::with_capacity(512);
    if !args.json {
        writeln!(out, "{:<12} {:>16} fields", "kind", "instrument")?;
    }
    loop {
        if stop.load(Ordering::Relaxed)
            || args.count.is_some_and(|c| summary.events >= c)
            || args
                .seconds
                .is_some_and(|s| start.elapsed().as_secs_f64() >= s)
        {
            break;
        }
        let Some(ev) = feed.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        line.clear();
        match ev {
            FeedEvent::Market(m) => {
                let _ = hist.record(crate::time::now_ns().saturating_sub(m.recv_ns));
                if args.json {
                    jsonl::market_packet(&m.packet, &mut line);
                } else {
                    table_row(&m.packet, &mut line)?;
                }
                summary.events += 1;
            }
            FeedEvent::Connection(c) => {
                note!("dhan-feed watch: {c}");
                if matches!(c.event, crate::session::SessionEvent::Reconnected { .. }) {
                    summary.reconnects += 1;
                }
                refused(&c.event)?;
            }
        }
        out.write_all(&line)?;
    }
    out.flush()?;
    summary.drops = feed.stats().dropped;
    summary.malformed = feed.health().malformed;
    summary.latency_ns = [
        hist.value_at_quantile(0.5),
        hist.value_at_quantile(0.99),
        hist.value_at_quantile(0.999),
        hist.max(),
    ];
    note!(
        "summary: events={} drops={} reconnects={} malformed={} read_to_consumer_ns p50={} p99={} p99.9={} max={}",
        summary.events,
        summary.drops,
        summary.reconnects,
        summary.malformed,
        summary.latency_ns[0],
        summary.latency_ns[1],
        summary.latency_ns[2],
        summary.latency_ns[3]
    );
    Ok(summary)
}
