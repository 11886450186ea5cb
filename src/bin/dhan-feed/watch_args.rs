//! What `dhan-feed watch` is asked (its options), how it connects, how it fails,
//! and what it reports: shared by the market view and the order and depth views.

use crate::stderr::note;
use dhan_feed::Secret;
use dhan_feed::certs_from_pem;
use dhan_feed::config::{ClientConfig, Endpoints};
use dhan_feed::proto::request::FeedMode;
use dhan_feed::proto::segment::InstrumentId;
use dhan_feed::sim::Simulator;
use std::io;
use std::path::PathBuf;

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
    /// Read the access token from this file (what a daily login job writes) and
    /// follow its renewals: a refused token then waits for the file to change
    /// instead of ending `watch`. Without `--url` it means Dhan, with
    /// `DHAN_CLIENT_ID` from the environment (also `DHAN_ACCESS_TOKEN_FILE`).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// With `--url`: the REST host to reconcile order updates with after a gap
    /// (`GET /v2/orders`; an external `dhan-feed sim` prints its own). Without
    /// it, `--url` runs do not reconcile.
    #[arg(long, requires = "url")]
    pub rest_url: Option<String>,
    /// Trust the certificate(s) in this PEM file (for `--url wss://…`).
    #[arg(long, requires = "url")]
    pub ca_file: Option<PathBuf>,
    /// Log each inbound message's first 256 bytes as hex on stderr (credentials
    /// masked), for a support ticket (also `DHAN_FEED_TRACE_FRAMES=1`).
    #[arg(long)]
    pub trace_frames: bool,
    /// Name instruments from this instrument master (CSV, compact or detailed)
    /// instead of the one `dhan-feed instruments download` cached, if any.
    #[arg(long)]
    pub instruments_file: Option<PathBuf>,
    /// Pin the I/O thread to this core.
    #[arg(long)]
    pub pin: Option<usize>,
    /// Print OHLCV candles of this length (`30s`, `1m`, `5m`, `1h`) instead of
    /// packets, on exchange time; quote mode unless `--mode full` (tickers carry
    /// no volume).
    #[arg(long, value_parser = parse_interval, conflicts_with_all = ["orders", "depth"])]
    pub candles: Option<u32>,
    /// Watch live order updates (tracked into events) instead of the market feed.
    #[arg(long, conflicts_with_all = ["depth", "mode", "instruments"])]
    pub orders: bool,
    /// Watch 20- or 200-level market depth of the instruments (NSE_EQ / NSE_FNO;
    /// default RELIANCE and TCS; 200-level: one connection each).
    #[arg(long, value_parser = ["20", "200"], conflicts_with = "mode")]
    pub depth: Option<String>,
    /// Watch the Global Stocks (US) feed instead: these security ids, comma
    /// separated, each `1234` or `INX_EQ:1234` (default: the official SDK
    /// example's 1234 and 5678).
    #[arg(long, value_delimiter = ',', num_args = 0.., value_parser = parse_global_id,
          conflicts_with_all = ["orders", "depth", "candles", "mode", "instruments"])]
    pub global: Option<Vec<u32>>,
    /// With `--url`: the Global Stocks feed's base URL (an external `dhan-feed
    /// sim` prints it on its second line); `--global` with `--url` needs it.
    #[arg(long, requires = "url")]
    pub global_url: Option<String>,
    /// With `--global`: trade or ohlc.
    #[arg(long, default_value = "trade", requires = "global")]
    pub global_mode: dhan_feed::GlobalMode,
    /// Also serve a live web page of what this watch receives at this address
    /// (`--http` alone: 127.0.0.1:8080): the instruments with prices and charts,
    /// the order updates, every connection's health; `/health` and
    /// `/subscriptions` for monitors.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8080")]
    pub http: Option<std::net::SocketAddr>,
    /// Let `--http` listen on an address other hosts can reach (the page has no
    /// login: anyone who reaches it sees the prices and your order updates).
    #[arg(long, requires = "http")]
    pub http_allow_remote: bool,
    /// With `--http`: seconds without a frame after which a feed counts as
    /// stale (`/health` then answers 503).
    #[arg(long, requires = "http", default_value_t = 30.0, value_parser = parse_seconds)]
    pub http_stale: f64,
    /// Print nothing but the summary (with `--http`, watch the page instead).
    #[arg(long)]
    pub quiet: bool,
    /// Also store what `watch` receives in a database: `sqlite:PATH` (created
    /// with its schema if new, appended to if not) or, in a build with the
    /// `postgres` feature, `postgres://user[:password]@host[:port]/db`. A sink has
    /// handles of its own: the market feed (and 1-minute candles), or the depth
    /// books with `--depth` (extra depth connections, within Dhan's five), and
    /// the order updates in every mode. May be given more than once.
    #[arg(long, value_name = "sqlite:PATH|postgres://…", value_parser = parse_sink)]
    pub sink: Vec<SinkSpec>,
    /// Also record every message received and sent, and every connection event,
    /// into this journal (an Arrow IPC stream; credentials masked), written by a
    /// recorder thread of its own.
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,
    /// Set by `dhan-feed replay`: the journal to replay instead of connecting,
    /// and how fast.
    #[arg(skip)]
    pub replay: Option<(PathBuf, dhan_feed::journal::Pacing)>,
    /// Instruments as SEGMENT:ID (default: NIFTY, BANKNIFTY, NIFTYIT, SENSEX).
    pub instruments: Vec<InstrumentId>,
}

/// Where `--sink` writes.
#[derive(Clone, PartialEq, Eq)]
pub enum SinkSpec {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (it may hold a password: shown redacted).
    Postgres(String),
    /// Neither: refused when `watch` starts, with the value shown redacted
    /// (the argument parser would print it whole).
    Invalid(String),
}

impl std::fmt::Display for SinkSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkSpec::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            SinkSpec::Postgres(url) | SinkSpec::Invalid(url) => f.write_str(&redacted_url(url)),
        }
    }
}

/// As `Display`: a password never shows.
impl std::fmt::Debug for SinkSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A spec as it may be shown: a password left out, whatever the build.
fn redacted_url(url: &str) -> String {
    dhan_feed::sink::redacted(url)
}

/// `sqlite:PATH` or `postgres://…`. Never fails: the argument parser would print
/// a refused value whole, and this one may hold a password; `watch` refuses what
/// it cannot use when it starts, redacted.
fn parse_sink(s: &str) -> Result<SinkSpec, String> {
    Ok(match s.split_once(':') {
        Some(("sqlite", path)) if !path.is_empty() => SinkSpec::Sqlite(PathBuf::from(path)),
        Some(("postgres" | "postgresql", _)) => SinkSpec::Postgres(s.to_owned()),
        _ => SinkSpec::Invalid(s.to_owned()),
    })
}

/// A positive number of seconds.
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err(format!("{s:?}: expected a positive number of seconds")),
    }
}

/// A Global Stocks security id as `1234` or `INX_EQ:1234`.
fn parse_global_id(s: &str) -> Result<u32, String> {
    let id = s.strip_prefix("INX_EQ:").unwrap_or(s);
    id.parse()
        .map_err(|_| format!("{s:?}: expected a security id (1234 or INX_EQ:1234)"))
}

/// Seconds of a candle length: a number and a unit (`s`, `m`, `h`).
fn parse_interval(s: &str) -> Result<u32, String> {
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: u32 = n
        .parse()
        .map_err(|_| format!("{s:?}: expected a number and s, m or h (30s, 1m, 1h)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("{s:?}: the unit must be s, m or h")),
    };
    if secs == 0 {
        return Err("a candle must last at least 1 s".into());
    }
    Ok(secs)
}

/// Why `watch` could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// The simulator could not start.
    #[error(transparent)]
    Sim(#[from] dhan_feed::sim::SimError),
    /// The client could not start.
    #[error(transparent)]
    Client(#[from] dhan_feed::Error),
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
    Env(#[from] dhan_feed::ConfigError),
    /// The server refused the credentials; `watch` cannot supply new ones, so it
    /// stops (exit status 1) instead of waiting forever.
    #[error("{0}; check DHAN_CLIENT_ID / DHAN_ACCESS_TOKEN (or the simulator's) and run again")]
    CredentialsRefused(dhan_feed::SessionError),
    /// The client's I/O thread stopped (a panic or a failed poll): nothing more
    /// can arrive, so `watch` stops (exit status 1).
    #[error("the feed stopped: {0}")]
    EngineStopped(dhan_feed::EngineStop),
    /// The CA file holds no certificate.
    #[error(transparent)]
    Tls(#[from] dhan_feed::TlsConfigError),
    /// `--global` with `--url` but without `--global-url`.
    #[error(
        "--global with --url needs --global-url: the Global Stocks feed is served apart (an external dhan-feed sim prints its URL on its second line)"
    )]
    GlobalUrlMissing,
    /// The `--instruments-file` could not be loaded.
    #[error("--instruments-file: {0}")]
    Instruments(dhan_feed::instrument::InstrumentError),
    /// A `--sink` could not be opened.
    #[error("--sink: {0}")]
    Sink(String),
    /// The `--record` journal lost records (its file could not be written).
    #[error("--record: {0}")]
    Journal(String),
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
/// the client before it, as [`dhan_feed::sim::env_or_simulator`] does).
/// A started watch: the built-in simulator (when no credentials are set), the
/// client, and the journal's recorder (with `--record`).
pub type Connected = (
    Option<Simulator>,
    dhan_feed::Client,
    Option<dhan_feed::journal::Recorder>,
);

/// The replay `dhan-feed replay` runs, started once the watch has subscribed.
static REPLAY: std::sync::OnceLock<dhan_feed::journal::Replay> = std::sync::OnceLock::new();

/// The watch's handles are made and subscribed: a replay starts now.
pub fn subscribed() {
    if let Some(r) = REPLAY.get()
        && let Err(e) = r.start()
    {
        note!("dhan-feed replay: {e}");
    }
}

pub fn connect(args: &WatchArgs) -> Result<Connected, WatchError> {
    if let Some((path, pacing)) = &args.replay {
        let r = dhan_feed::journal::replay(path, *pacing)?;
        let client = r.client().clone();
        note!("dhan-feed replay: {} ({pacing:?})", path.display());
        let _ = REPLAY.set(r);
        return Ok((None, client, None));
    }
    let mut sim = None;
    let mut cfg = if let Some(url) = &args.url {
        if dhan_feed::config::BaseUrl::parse(url).is_none() {
            return Err(WatchError::BadUrl(
                dhan_feed::proto::endpoint::redacted_target(url),
            ));
        }
        // The environment's Dhan credentials go to another URL only when asked.
        let mut cfg = if args.env_credentials {
            ClientConfig::from_env()?
        } else if args.token_file.is_some() {
            ClientConfig {
                client_id: Secret::new(dhan_feed::sim::DEFAULT_CLIENT_ID),
                ..ClientConfig::default()
            }
        } else {
            ClientConfig {
                client_id: Secret::new(dhan_feed::sim::DEFAULT_CLIENT_ID),
                access_token: Secret::new(dhan_feed::sim::DEFAULT_ACCESS_TOKEN),
                ..ClientConfig::default()
            }
        };
        cfg.endpoints = Endpoints::all(url);
        match (&args.global_url, &args.global) {
            (Some(g), _) => {
                if dhan_feed::config::BaseUrl::parse(g).is_none() {
                    return Err(WatchError::BadUrl(
                        dhan_feed::proto::endpoint::redacted_target(g),
                    ));
                }
                cfg.endpoints.global = g.clone();
            }
            // Its URL has the market feed's shape: on the same host it would
            // be served market packets.
            (None, Some(_)) => return Err(WatchError::GlobalUrlMissing),
            (None, None) => {}
        }
        match &args.rest_url {
            Some(rest) => cfg.rest_base = rest.clone(),
            // Dhan's REST host would not know the simulator's orders.
            None => cfg.order_book = dhan_feed::OrderBookSource::None,
        }
        if let Some(ca) = &args.ca_file {
            let pem = std::fs::read(ca).map_err(|source| WatchError::CaFile {
                path: ca.clone(),
                source,
            })?;
            cfg.extra_roots = certs_from_pem(&pem, &ca.display().to_string())?;
        }
        note!(
            "dhan-feed watch: connecting to {}",
            dhan_feed::proto::endpoint::redacted_target(url)
        );
        cfg
    } else if args.token_file.is_some() {
        // A token file means Dhan: the client id must come from the environment.
        let client_id = std::env::var("DHAN_CLIENT_ID")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or(dhan_feed::ConfigError::MissingEnv("DHAN_CLIENT_ID"))?;
        note!("dhan-feed watch: --token-file given; connecting to Dhan");
        ClientConfig {
            client_id: Secret::new(client_id),
            ..ClientConfig::default()
        }
    } else if ClientConfig::env_has_credentials() {
        let cfg = ClientConfig::from_env().map_err(dhan_feed::Error::from)?;
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
    if let Some(path) = &args.token_file {
        cfg.token_source = dhan_feed::TokenSource::file(path);
    }
    cfg.trace_frames |= args.trace_frames;
    cfg.pin_core = args.pin;
    if let Some(path) = &args.record {
        let (client, recorder) =
            dhan_feed::journal::record(cfg, dhan_feed::journal::JournalConfig::new(path))?;
        note!("dhan-feed watch: recording into {}", path.display());
        return Ok((sim, client, Some(recorder)));
    }
    Ok((sim, dhan_feed::Client::new(cfg)?, None))
}

/// Ends `watch` on refused credentials (806-810, HTTP 401/403, a refused order
/// login): the connection stays stopped until new credentials, which `watch`
/// cannot supply, unless it follows a token file (`renewable`): then it waits
/// for the renewed token.
pub(crate) fn refused(ev: &dhan_feed::SessionEvent, renewable: bool) -> Result<(), WatchError> {
    match ev {
        dhan_feed::SessionEvent::Error {
            error: dhan_feed::SessionError::Credentials(_),
        } if renewable => {
            note!("dhan-feed watch: waiting for a renewed token in the token file");
            Ok(())
        }
        dhan_feed::SessionEvent::Error {
            error: e @ dhan_feed::SessionError::Credentials(_),
        } => Err(WatchError::CredentialsRefused(*e)),
        _ => Ok(()),
    }
}
