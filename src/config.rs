//! Client configuration: credentials (never printed), endpoints, limits, threading.
//! Every default is documented on its field.

use crate::proto::endpoint::FeedKind;
use crate::proto::login::UserType;
use crate::secret::Secret;
pub use crate::session::{BudgetConfig, LifecycleConfig};
use crate::ws::client::WsLimits;
use rustls_pki_types::CertificateDer;
use std::path::PathBuf;
use std::time::Duration;

/// What a consumer's ring does when it is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Overflow {
    /// Drop the new event and count it (default).
    #[default]
    DropNewest,
    /// Keep only the latest event per instrument until the consumer catches up;
    /// every replaced event is counted as dropped.
    Conflate,
}

/// Base URLs of the five endpoints (scheme, host, port; the path and query are added).
///
/// A pasted URL that carries its own query (`?version=2&token=…&clientId=…`) is
/// accepted, the query ignored; `Debug` shows such a query with its credentials
/// as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Live market feed. Default `wss://api-feed.dhan.co`.
    pub market: String,
    /// 20-level depth. Default `wss://depth-api-feed.dhan.co`.
    pub depth20: String,
    /// 200-level depth. Default `wss://full-depth-api.dhan.co`.
    pub depth200: String,
    /// Order updates. Default `wss://api-order-update.dhan.co`.
    pub orders: String,
    /// Global Stocks (US) feed. Default `wss://global-stocks-api-feed.dhan.co`.
    pub global: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            market: FeedKind::MarketFeed.production_base().to_owned(),
            depth20: FeedKind::Depth20.production_base().to_owned(),
            depth200: FeedKind::Depth200.production_base().to_owned(),
            orders: FeedKind::OrderUpdate.production_base().to_owned(),
            global: FeedKind::GlobalStocks.production_base().to_owned(),
        }
    }
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::proto::endpoint::redacted_target as r;
        f.debug_struct("Endpoints")
            .field("market", &r(&self.market))
            .field("depth20", &r(&self.depth20))
            .field("depth200", &r(&self.depth200))
            .field("orders", &r(&self.orders))
            .field("global", &r(&self.global))
            .finish()
    }
}

impl Endpoints {
    /// Every endpoint on one base URL. (The simulator serves the four Indian
    /// feeds on one port and the Global Stocks feed on another:
    /// [`crate::sim::Simulator::client_config`] sets both.)
    pub fn all(base: &str) -> Self {
        Self {
            market: base.to_owned(),
            depth20: base.to_owned(),
            depth200: base.to_owned(),
            orders: base.to_owned(),
            global: base.to_owned(),
        }
    }

    /// The base URL of `kind`.
    pub fn of(&self, kind: FeedKind) -> &str {
        match kind {
            FeedKind::MarketFeed => &self.market,
            FeedKind::Depth20 => &self.depth20,
            FeedKind::Depth200 => &self.depth200,
            FeedKind::OrderUpdate => &self.orders,
            FeedKind::GlobalStocks => &self.global,
        }
    }
}

/// A function that returns the current access token ([`TokenSource::Callback`]).
pub type TokenFn = dyn Fn() -> std::io::Result<Secret> + Send + Sync;

/// Where the access token comes from ([`ClientConfig::token_source`]).
///
/// A Dhan access token lasts a day; a program that runs all day reads a fresh
/// one from where its login job writes it. With a file or a callback the token
/// is read when the client starts (a failure there is an error) and then
/// watched off the I/O thread: a changed token is used by every later
/// (re)connection, and connections stopped by a refused token (807 and the
/// other credential failures) retry at once with it. While the token is
/// unchanged, a refused token is not tried again. A source that cannot be
/// read (a missing or empty file, a failing callback) keeps the current token
/// and says why at `warn`, once per change of the problem, never showing the
/// token.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum TokenSource {
    /// [`ClientConfig::access_token`] as given; only
    /// [`crate::Client::set_access_token`] changes it (the default).
    #[default]
    Fixed,
    /// A file holding the token (surrounding whitespace ignored), checked for
    /// changes twice a second (`DHAN_ACCESS_TOKEN_FILE`).
    File(PathBuf),
    /// A function returning the token, called every
    /// [`ClientConfig::token_refresh`] on the token thread (it may block).
    Callback(std::sync::Arc<TokenFn>),
}

impl TokenSource {
    /// A token file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::File(path.into())
    }

    /// A token callback.
    pub fn callback(f: impl Fn() -> std::io::Result<Secret> + Send + Sync + 'static) -> Self {
        Self::Callback(std::sync::Arc::new(f))
    }

    /// Reads the token now (`None` for [`TokenSource::Fixed`]); the error never
    /// contains the token.
    pub fn read(&self) -> Option<std::io::Result<Secret>> {
        match self {
            Self::Fixed => None,
            Self::File(path) => Some(Secret::from_file(path)),
            Self::Callback(f) => Some(f()),
        }
    }
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Fixed => f.write_str("Fixed"),
            Self::File(p) => f.debug_tuple("File").field(p).finish(),
            Self::Callback(_) => f.write_str("Callback"),
        }
    }
}

/// A function that returns the order book: every order of the day in its
/// latest state ([`OrderBookSource::Custom`]).
pub type OrderBookFn =
    dyn Fn() -> std::io::Result<Vec<crate::proto::order::OrderUpdate>> + Send + Sync;

/// Where an order handle gets the order book to reconcile with after updates
/// were missed ([`ClientConfig::order_book`]).
#[derive(Clone)]
#[non_exhaustive]
pub enum OrderBookSource {
    /// No reconciliation: a missed stretch is reported as an
    /// `OrderEvent::Gap` only (the default without the `download` feature).
    None,
    /// Dhan's order book, `GET {rest_base}/v2/orders` with the current access
    /// token in the `access-token` header (the default with the `download`
    /// feature; without it, the same as `None`).
    Rest,
    /// A function returning the order book (e.g. from the embedder's own REST
    /// client, or a test's simulator), called on a helper thread of the handle,
    /// never the I/O thread.
    Custom(std::sync::Arc<OrderBookFn>),
}

impl OrderBookSource {
    /// A custom source.
    pub fn custom(
        f: impl Fn() -> std::io::Result<Vec<crate::proto::order::OrderUpdate>> + Send + Sync + 'static,
    ) -> Self {
        Self::Custom(std::sync::Arc::new(f))
    }
}

impl Default for OrderBookSource {
    fn default() -> Self {
        if cfg!(feature = "download") {
            Self::Rest
        } else {
            Self::None
        }
    }
}

impl std::fmt::Debug for OrderBookSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "None",
            Self::Rest => "Rest",
            Self::Custom(_) => "Custom",
        })
    }
}

/// Everything a [`crate::Client`] needs. `Debug` never shows a credential.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Dhan client id (`DHAN_CLIENT_ID`, fallback `CLIENT_ID`).
    pub client_id: Secret,
    /// Access token (`DHAN_ACCESS_TOKEN`, fallback `ACCESS_TOKEN`).
    pub access_token: Secret,
    /// SELF or PARTNER for the order feed (`DHAN_WS_USER_TYPE`). Default SELF.
    pub user_type: UserType,
    /// Partner id for PARTNER logins (`DHAN_PARTNER_ID`); the client id when unset.
    pub partner_id: Option<Secret>,
    /// Partner secret for PARTNER logins (`DHAN_PARTNER_SECRET`).
    pub partner_secret: Option<Secret>,
    /// Endpoint base URLs. Default: Dhan's production hosts.
    pub endpoints: Endpoints,
    /// Extra trust roots (e.g. the simulator's certificate). Default none.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Trust Mozilla's roots (webpki-roots). Default true.
    pub webpki_roots: bool,
    /// Pin the I/O thread (a journal replay's thread too) to this core; failure
    /// is logged, not fatal. Default none.
    pub pin_core: Option<usize>,
    /// Busy-poll for the lowest latency at the cost of a core: the I/O thread
    /// never sleeps; it reads and flushes every live socket each turn (live
    /// sockets leave the epoll set, which then only serves connects and
    /// handshakes), and polls with a zero timeout and does its housekeeping
    /// (commands, timers) one turn in 64. With a single live connection a turn
    /// also retries an empty read up to 63 times, so housekeeping then runs
    /// about every 0.5 ms: a command (subscribe, unsubscribe, stop) takes effect
    /// within about that. Default false (blocking poll).
    pub busy_poll: bool,
    /// Events each market-feed consumer ring holds (rounded up to a power of
    /// two; at most [`MAX_RING_CAPACITY`]). Default 65,536.
    pub ring_capacity: usize,
    /// Book sides a 20-level depth ring holds (336 bytes each). Default 1,024; a
    /// 200-level ring (3.2 KB per side) holds a quarter of it.
    pub depth_ring_capacity: usize,
    /// Updates an order-update ring holds (about 1 KB each). Default 4,096.
    /// Each capacity is at most [`MAX_RING_CAPACITY`].
    pub order_ring_capacity: usize,
    /// Bytes of order updates that may wait, in order, when the order handle's
    /// ring is full (about 1 KB each: the default holds about 16,000); past
    /// that, updates are lost and an `OrderEvent::Gap` says how many and when.
    /// Reserved as address space when the handle is made (pages are touched only
    /// when used). Default 16 MiB.
    pub order_spill_bytes: usize,
    /// Where an order handle gets the order book to reconcile with after an
    /// `OrderEvent::Gap` (an outage of the order socket, a full spill): the
    /// orders whose state the handle missed are then tracked again from it,
    /// their events arriving as usual with `OrderUpdate::reconciled` set, then
    /// an `OrderEvent::Reconciled`. Default [`OrderBookSource::Rest`] with the
    /// `download` feature, else [`OrderBookSource::None`].
    pub order_book: OrderBookSource,
    /// Dhan's REST host, for the order book. Default `https://api.dhan.co`.
    pub rest_base: String,
    /// Bounds of each order-update handle's tracker (10,000 orders, 24 h by default).
    pub order_tracker: OrderTrackerConfig,
    /// What a full ring does. Default [`Overflow::DropNewest`].
    pub overflow: Overflow,
    /// WebSocket frame and message limits. Default 1 MiB / 4 MiB.
    pub limits: WsLimits,
    /// Reconnect backoff, cool-off, timeouts and the stale-feed watchdog (see each
    /// field of [`LifecycleConfig`] for its default).
    pub lifecycle: LifecycleConfig,
    /// Connections per feed kind and the gap between openings, shared by every
    /// client of the same user in this process (see [`BudgetConfig`]).
    pub budget: BudgetConfig,
    /// Where the access token comes from: `access_token` as given (the
    /// default), a file, or a callback, watched for renewals (see
    /// [`TokenSource`]).
    pub token_source: TokenSource,
    /// How often a [`TokenSource::Callback`] is called. Default 30 s.
    pub token_refresh: Duration,
    /// Log each inbound message's first 256 bytes as hex at `trace` under the
    /// target `dhan_feed::frames` (for a support ticket), every credential
    /// masked first. Also on when `DHAN_FEED_TRACE_FRAMES=1`. Default false.
    pub trace_frames: bool,
    /// How endpoint host names become addresses. Default: the operating system's
    /// resolver, called on a resolver thread (never the I/O thread), bounded by
    /// [`LifecycleConfig::resolve_timeout`].
    pub resolver: crate::resolve::Resolver,
    /// Called on the I/O thread (a journal replay's thread too) when it starts,
    /// before it polls (e.g. to set a scheduling priority, or thread-local state
    /// in tests). Default none.
    pub on_io_thread_start: Option<fn()>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            client_id: Secret::default(),
            access_token: Secret::default(),
            user_type: UserType::SelfUser,
            partner_id: None,
            partner_secret: None,
            endpoints: Endpoints::default(),
            extra_roots: Vec::new(),
            webpki_roots: true,
            pin_core: None,
            busy_poll: false,
            ring_capacity: 1 << 16,
            depth_ring_capacity: 1024,
            order_ring_capacity: 4096,
            order_spill_bytes: 16 << 20,
            order_book: OrderBookSource::default(),
            rest_base: "https://api.dhan.co".to_owned(),
            order_tracker: Default::default(),
            overflow: Overflow::DropNewest,
            limits: WsLimits::default(),
            lifecycle: LifecycleConfig::default(),
            budget: BudgetConfig::default(),
            token_source: TokenSource::Fixed,
            token_refresh: Duration::from_secs(30),
            trace_frames: false,
            resolver: crate::resolve::Resolver::default(),
            on_io_thread_start: None,
        }
    }
}

/// The most values one ring may hold: 2^22 (4,194,304; 805 MB of market
/// events). Larger capacities are refused with [`ConfigError::RingCapacity`].
pub const MAX_RING_CAPACITY: usize = 1 << 22;

/// `value` as a ring capacity for `field`, or why it cannot be one.
pub(crate) fn ring_capacity(field: &'static str, value: usize) -> Result<usize, ConfigError> {
    if value > MAX_RING_CAPACITY {
        return Err(ConfigError::RingCapacity { field, value });
    }
    Ok(value)
}

/// A configuration that cannot work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required environment variable is missing or empty.
    #[error("{0} is not set (nor its fallback)")]
    MissingEnv(&'static str),
    /// `DHAN_WS_USER_TYPE` is neither SELF nor PARTNER.
    #[error("DHAN_WS_USER_TYPE must be SELF or PARTNER")]
    BadUserType,
    /// An endpoint URL is not `ws://` or `wss://` (shown with any credentials in
    /// it as `***`).
    #[error("bad endpoint URL {0:?}")]
    BadUrl(String),
    /// A ring capacity above [`MAX_RING_CAPACITY`]: its memory would be committed
    /// up front (a market slot is 192 bytes), so it is refused rather than left to
    /// abort the process.
    #[error("{field} = {value} exceeds the most a ring holds ({MAX_RING_CAPACITY})")]
    RingCapacity {
        /// Which setting.
        field: &'static str,
        /// Its value.
        value: usize,
    },
    /// `user_type` is PARTNER but no partner secret is set: the order feed's login
    /// could never succeed, so the client is refused up front.
    #[error(
        "a PARTNER login needs a partner secret (ClientConfig::partner_secret, DHAN_PARTNER_SECRET)"
    )]
    MissingPartnerSecret,
    /// The token source could not be read when the client started (its
    /// text is never shown): `from` says which, `reason` why.
    #[error("cannot read the access token from {from}: {reason}")]
    TokenSource {
        /// The file, or "the token callback".
        from: String,
        /// Why.
        reason: String,
    },
}

fn var(primary: &'static str, fallback: Option<&'static str>) -> Option<String> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    get(primary).or_else(|| fallback.and_then(get))
}

impl ClientConfig {
    /// Every credential it holds (the client id, the access token, the
    /// partner id and secret when set): what traces and journals mask.
    pub(crate) fn credentials(&self) -> impl Iterator<Item = &Secret> {
        [
            Some(&self.client_id),
            Some(&self.access_token),
            self.partner_id.as_ref(),
            self.partner_secret.as_ref(),
        ]
        .into_iter()
        .flatten()
    }

    /// Reads credentials from `DHAN_CLIENT_ID`, `DHAN_ACCESS_TOKEN` (fallbacks
    /// `CLIENT_ID`, `ACCESS_TOKEN`) or `DHAN_ACCESS_TOKEN_FILE` (a file holding
    /// the token, watched for renewals; it wins over `DHAN_ACCESS_TOKEN`),
    /// `DHAN_WS_USER_TYPE` (SELF or PARTNER), `DHAN_PARTNER_ID` and
    /// `DHAN_PARTNER_SECRET`; everything else takes its default.
    pub fn from_env() -> Result<Self, ConfigError> {
        let client_id = var("DHAN_CLIENT_ID", Some("CLIENT_ID"))
            .ok_or(ConfigError::MissingEnv("DHAN_CLIENT_ID"))?;
        let token_file = var("DHAN_ACCESS_TOKEN_FILE", None).map(PathBuf::from);
        let (token, token_source) = match token_file {
            Some(path) => {
                let token = Secret::from_file(&path).map_err(|e| ConfigError::TokenSource {
                    from: format!("DHAN_ACCESS_TOKEN_FILE ({})", path.display()),
                    reason: e.to_string(),
                })?;
                (token.expose().to_owned(), TokenSource::File(path))
            }
            None => (
                var("DHAN_ACCESS_TOKEN", Some("ACCESS_TOKEN"))
                    .ok_or(ConfigError::MissingEnv("DHAN_ACCESS_TOKEN"))?,
                TokenSource::Fixed,
            ),
        };
        let user_type = match var("DHAN_WS_USER_TYPE", None) {
            None => UserType::SelfUser,
            Some(v) => UserType::parse(&v).ok_or(ConfigError::BadUserType)?,
        };
        Ok(Self {
            client_id: Secret::new(client_id),
            access_token: Secret::new(token),
            token_source,
            user_type,
            partner_id: var("DHAN_PARTNER_ID", None).map(Secret::new),
            partner_secret: var("DHAN_PARTNER_SECRET", None).map(Secret::new),
            ..Self::default()
        })
    }

    /// Whether credentials for Dhan are present in the environment.
    /// `DHAN_ACCESS_TOKEN_FILE` alone counts: whoever set it meant Dhan, and a
    /// missing client id must then be an error, not a fallback to a simulator.
    pub fn env_has_credentials() -> bool {
        var("DHAN_ACCESS_TOKEN_FILE", None).is_some()
            || (var("DHAN_CLIENT_ID", Some("CLIENT_ID")).is_some()
                && var("DHAN_ACCESS_TOKEN", Some("ACCESS_TOKEN")).is_some())
    }
}

/// A parsed `ws://` or `wss://` base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    /// TLS (`wss`).
    pub tls: bool,
    /// Host name or address (no brackets for IPv6).
    pub host: String,
    /// Port (443/80 by default).
    pub port: u16,
}

impl BaseUrl {
    /// Parses `wss://host[:port][/…]`. User information (`user:pass@host`) is
    /// refused: Dhan takes credentials in the query or the login message, and a
    /// password in the authority would otherwise reach the logs.
    pub fn parse(url: &str) -> Option<Self> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("wss://") {
            (true, r)
        } else {
            (false, url.strip_prefix("ws://")?)
        };
        let authority = rest.split(['/', '?', '#']).next()?;
        if authority.contains('@') {
            return None;
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']')?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(p) => p.parse().ok()?,
            None => {
                if tls {
                    443
                } else {
                    80
                }
            }
        };
        (!host.is_empty()).then(|| Self {
            tls,
            host: host.to_owned(),
            port,
        })
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `Host` header's value: like [`authority`](Self::authority), but without
    /// the scheme's default port (443 for `wss`, 80 for `ws`), as browsers and
    /// Dhan's SDKs send it.
    pub fn host_header(&self) -> String {
        let default = if self.tls { 443 } else { 80 };
        if self.port != default {
            self.authority()
        } else if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

/// Limits of the order feed's tracker ([`crate::feed::OrderTracker`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderTrackerConfig {
    /// The most orders tracked at once; when full, the least recently updated order
    /// is evicted. Default 10 000 (the Ruby gem's `MAX_TRACKED_ORDERS`). 0 disables
    /// tracking: every update then yields only [`crate::feed::OrderEvent::Update`].
    pub max_orders: usize,
    /// An order not updated for longer than this is evicted. Default 24 hours
    /// (orders live for a trading day; the Ruby gem keeps them 7 days).
    pub max_age: Duration,
}

impl OrderTrackerConfig {
    /// Default for [`OrderTrackerConfig::max_orders`].
    pub const DEFAULT_MAX_ORDERS: usize = 10_000;
    /// Default for [`OrderTrackerConfig::max_age`].
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
}

impl Default for OrderTrackerConfig {
    fn default() -> Self {
        Self {
            max_orders: Self::DEFAULT_MAX_ORDERS,
            max_age: Self::DEFAULT_MAX_AGE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            BaseUrl::parse("wss://api-feed.dhan.co"),
            Some(BaseUrl {
                tls: true,
                host: "api-feed.dhan.co".into(),
                port: 443
            })
        );
        assert_eq!(
            BaseUrl::parse("ws://127.0.0.1:9000/x?y"),
            Some(BaseUrl {
                tls: false,
                host: "127.0.0.1".into(),
                port: 9000
            })
        );
        assert_eq!(
            BaseUrl::parse("wss://[::1]:5").unwrap().authority(),
            "[::1]:5"
        );
        let host = |u: &str| BaseUrl::parse(u).unwrap().host_header();
        assert_eq!(host("wss://api-feed.dhan.co"), "api-feed.dhan.co");
        assert_eq!(host("wss://api-feed.dhan.co:443/x"), "api-feed.dhan.co");
        assert_eq!(host("ws://127.0.0.1:80"), "127.0.0.1");
        assert_eq!(host("ws://127.0.0.1:443"), "127.0.0.1:443");
        assert_eq!(host("wss://127.0.0.1:9443"), "127.0.0.1:9443");
        assert_eq!(host("wss://[::1]"), "[::1]");
        assert_eq!(host("wss://[::1]:5"), "[::1]:5");
        assert_eq!(BaseUrl::parse("http://x"), None);
        assert_eq!(
            BaseUrl::parse("wss://user:tok-SECRET@api-feed.dhan.co:443"),
            None
        );
        assert_eq!(BaseUrl::parse("wss://:1"), None);
    }

    #[test]
    fn debug_hides_credentials() {
        let c = ClientConfig {
            client_id: Secret::new("1000000009"),
            access_token: Secret::new("tok-SECRET"),
            ..ClientConfig::default()
        };
        let d = format!("{c:?}");
        assert!(!d.contains("1000000009") && !d.contains("tok-SECRET"));
        // A pasted Dhan URL that parses (its query is ignored) is shown redacted.
        let pasted = ClientConfig {
            endpoints: Endpoints::all(
                "wss://api-feed.dhan.co?version=2&token=tok-PASTED&clientId=1000000010&authType=2",
            ),
            ..c
        };
        assert!(BaseUrl::parse(&pasted.endpoints.market).is_some());
        let d = format!("{pasted:?} {:?}", pasted.endpoints);
        assert!(
            !d.contains("tok-PASTED") && !d.contains("1000000010"),
            "{d}"
        );
        assert!(
            d.contains("api-feed.dhan.co") && d.contains("version=2"),
            "{d}"
        );
    }
}
