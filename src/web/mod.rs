//! The live web page (`web` feature): one page that shows what the feeds carry —
//! a table of the subscribed instruments (symbol, LTP, change against the
//! previous close, volume, best bid/ask, last trade time) with a small price
//! chart each, the order-update stream, and every feed's connection health — and
//! the status endpoints a monitor polls.
//!
//! A web thread of its own serves it: one mio poll over its listening socket and
//! its clients, no async runtime, no thread per client. At every push interval
//! (100 ms by default) it reads the [last-value cache](crate::cache) and the
//! order events and sends each open page one update over server-sent events. The
//! I/O thread never waits on it and it never waits on a browser: a client that
//! stops reading has its updates queued up to [`WebConfig::client_buffer`], then
//! is dropped.
//!
//! | Path | What |
//! |---|---|
//! | `/` | the page (HTML, script and style are built into the binary) |
//! | `/events` | `text/event-stream`: a `snapshot` event, then an `update` event per push interval |
//! | `/snapshot` | the snapshot event's JSON, once |
//! | `/health` | every feed's state, reconnects, message and frame ages, drops, gaps; **503** when a feed is down, halted, stopped or stale |
//! | `/subscriptions` | every feed's kind, mode and instruments |
//!
//! A request that is not HTTP, carries a body or has an oversized head gets a
//! 4xx and is closed; an unknown path gets 404; past [`WebConfig::max_clients`]
//! connections a client gets 503. The server listens on `127.0.0.1:8080` by
//! default; any other than a loopback address needs [`WebConfig::allow_remote`],
//! and a loopback server answers only requests whose `Host` is a loopback name
//! (a page of another site cannot reach it through DNS rebinding). Nothing it
//! serves carries a credential: order updates show the client id as `***`.
//!
//! ```no_run
//! # fn main() -> Result<(), dhan_feed::Error> {
//! use dhan_feed::web::{WebConfig, WebPage};
//! let client = dhan_feed::Client::from_env()?;
//! let ids = ["NSE_EQ:2885".parse()?, "IDX_I:13".parse()?];
//! let (mut feed, cache) = client.market_feed_with_cache(dhan_feed::FeedMode::Quote, ids.len());
//! feed.subscribe(&ids)?;
//! let page = WebPage::new(WebConfig::default())
//!     .market(&feed, cache, |id| id.to_string())
//!     .order_feed(client.order_updates())
//!     .start()?;
//! println!("open {}", page.url());
//! // … consume `feed` as usual; the page reads the cache, not the ring.
//! # Ok(()) }
//! ```

mod config;
mod conn;
mod http;
mod server;
mod state;
mod stats;

pub use config::WebConfig;
use stats::Shared;
pub use stats::WebStats;

use crate::cache::{DepthCache, LastValueCache};
use crate::error::{Error, WebError};
use crate::feed::{DepthFeed, HealthProbe, MarketFeed, OrderEvent, OrderFeed};
use crate::proto::segment::InstrumentId;
use crossbeam_channel::{Sender, TrySendError};
use state::{DepthRow, FeedEntry, OrderLine, PageState};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

/// The page's contents, gathered before it starts: market feeds with their caches,
/// the order feed, other feeds' health.
pub struct WebPage {
    cfg: WebConfig,
    page: PageState,
    orders_dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for WebPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebPage")
            .field("cfg", &self.cfg)
            .field("instruments", &self.page.rows.len())
            .field("feeds", &self.page.feeds.len())
            .finish()
    }
}

/// Forwards order events to the page from the thread that consumes the order
/// feed (when that is not the web thread: see [`WebPage::order_sender`]).
/// Never blocks: when the page is 4,096 events behind, an event is not shown and
/// counted in [`WebStats::orders_dropped`].
#[derive(Clone)]
pub struct OrderSender {
    tx: Sender<OrderLine>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for OrderSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderSender")
            .field("waiting", &self.tx.len())
            .finish()
    }
}

impl OrderSender {
    /// Shows `ev` on the page; `false` if it was not taken (the page is behind,
    /// or stopped).
    pub fn send(&self, ev: &OrderEvent) -> bool {
        match self.tx.try_send(OrderLine::of(ev)) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }
}

impl WebPage {
    /// An empty page.
    pub fn new(cfg: WebConfig) -> Self {
        let page = PageState {
            rows: Vec::new(),
            depth: Vec::new(),
            feeds: Vec::new(),
            order_feed: None,
            order_rx: None,
            orders: std::collections::VecDeque::with_capacity(cfg.order_rows),
            order_rows: cfg.order_rows.max(1),
            history: cfg.history.max(1),
            stale_after: cfg.stale_after,
        };
        Self {
            cfg,
            page,
            orders_dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A market feed and the cache it writes
    /// ([`Client::market_feed_with_cache`](crate::Client::market_feed_with_cache)):
    /// a table row for each instrument it has subscribed (now), named by
    /// `symbol`, and its health. The feed stays yours to consume.
    pub fn market(
        mut self,
        feed: &MarketFeed,
        cache: LastValueCache,
        symbol: impl Fn(InstrumentId) -> String,
    ) -> Self {
        let instruments = feed.subscriptions();
        for &id in &instruments {
            if self.page.rows.len() < self.cfg.max_rows
                && !self.page.rows.iter().any(|r| r.id == id)
            {
                let row = PageState::row(id, symbol(id), cache.clone(), self.page.history);
                self.page.rows.push(row);
            }
        }
        let mode = format!("{:?}", feed.mode()).to_ascii_lowercase();
        self.page.feeds.push(FeedEntry {
            name: format!("market {mode}"),
            kind: "market",
            mode,
            probe: feed.health_probe(),
            instruments,
            gaps: 0,
        });
        self
    }

    /// A depth feed and its depth cache
    /// ([`Client::depth20_with_cache`](crate::Client::depth20_with_cache),
    /// [`Client::depth200_with_cache`](crate::Client::depth200_with_cache)): a
    /// ladder of each instrument's best levels it has subscribed (now), named by
    /// `symbol`, and the connection's health.
    pub fn depth<const N: usize>(
        mut self,
        feed: &DepthFeed<N>,
        cache: DepthCache,
        symbol: impl Fn(InstrumentId) -> String,
    ) -> Self {
        let instruments = feed.subscriptions();
        for &id in instruments
            .iter()
            .take(self.cfg.max_rows.saturating_sub(self.page.depth.len()))
        {
            self.page
                .depth
                .push(DepthRow::new(id, symbol(id), cache.clone()));
        }
        let n = self.page.feeds.iter().filter(|f| f.kind == "depth").count();
        self.page.feeds.push(FeedEntry {
            name: match n {
                0 => format!("depth {N}"),
                _ => format!("depth {N} #{}", n + 1),
            },
            kind: "depth",
            mode: N.to_string(),
            probe: feed.health_probe(),
            instruments,
            gaps: 0,
        });
        self
    }

    /// The order-update feed, consumed by the web thread: its events go to the
    /// page's order stream, its health to the health panel.
    pub fn order_feed(mut self, feed: OrderFeed) -> Self {
        let at = self.page.feeds.len();
        self.page.feeds.push(order_entry(feed.health_probe()));
        self.page.order_feed = Some((feed, at));
        self
    }

    /// For an order feed another thread consumes (give its
    /// [`health_probe`](OrderFeed::health_probe)): that thread passes each event
    /// to the returned sender.
    pub fn order_sender(&mut self, probe: HealthProbe) -> OrderSender {
        let at = self.page.feeds.len();
        self.page.feeds.push(order_entry(probe));
        let (tx, rx) = crossbeam_channel::bounded(4096);
        self.page.order_rx = Some((rx, at));
        OrderSender {
            tx,
            dropped: self.orders_dropped.clone(),
        }
    }

    /// Any other feed, for the health panel and `/subscriptions`: a depth or
    /// Global Stocks feed's `health_probe()`, named `name`, of kind `kind`
    /// (`"depth"`, `"global"`), in `mode`, with its instruments.
    pub fn feed(
        mut self,
        name: &str,
        kind: &'static str,
        mode: &str,
        probe: HealthProbe,
        instruments: Vec<InstrumentId>,
    ) -> Self {
        self.page.feeds.push(FeedEntry {
            name: name.to_owned(),
            kind,
            mode: mode.to_owned(),
            probe,
            instruments,
            gaps: 0,
        });
        self
    }

    /// Listens and starts the web thread.
    pub fn start(self) -> Result<WebServer, Error> {
        let addr = self.cfg.addr;
        if !addr.ip().is_loopback() && !self.cfg.allow_remote {
            return Err(WebError::NotLoopback(addr).into());
        }
        let listen = |e| Error::from(WebError::Listen { addr, source: e });
        let std_listener = std::net::TcpListener::bind(addr).map_err(listen)?;
        std_listener.set_nonblocking(true).map_err(listen)?;
        let local = std_listener.local_addr().map_err(listen)?;
        let mut listener = mio::net::TcpListener::from_std(std_listener);
        let poll = mio::Poll::new().map_err(Error::Io)?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), server::WAKER).map_err(Error::Io)?);
        poll.registry()
            .register(&mut listener, mio::Token(0), mio::Interest::READABLE)
            .map_err(Error::Io)?;
        let shared = Arc::new(Shared {
            orders_dropped: self.orders_dropped,
            ..Shared::default()
        });
        let server = server::Server::new(poll, listener, self.cfg, self.page, shared.clone());
        let thread = std::thread::Builder::new()
            .name("dhan-feed-web".into())
            .spawn(move || server.run())
            .map_err(|e| Error::from(WebError::Thread(e)))?;
        Ok(WebServer {
            addr: local,
            shared,
            waker,
            thread: Some(thread),
        })
    }
}

/// [`crate::internals::web_request`]: the request parser's outcome in plain types.
pub(crate) fn parse_for_fuzz(
    buf: &[u8],
    limit: usize,
    loopback_only: bool,
) -> Option<(Result<&'static str, u16>, bool)> {
    use http::{Parsed, Route};
    match http::parse(buf, limit, loopback_only) {
        Parsed::Partial => None,
        Parsed::Refused(r) => Some((Err(r.status().0), false)),
        Parsed::Request { route, head_only } => Some((
            Ok(match route {
                Route::Page => "/",
                Route::Asset(name) => name,
                Route::Events => "/events",
                Route::Health => "/health",
                Route::Subscriptions => "/subscriptions",
                Route::Snapshot => "/snapshot",
                Route::Favicon => "/favicon.ico",
            }),
            head_only,
        )),
    }
}

fn order_entry(probe: HealthProbe) -> FeedEntry {
    FeedEntry {
        name: "order updates".into(),
        kind: "orders",
        mode: "json".into(),
        probe,
        instruments: Vec::new(),
        gaps: 0,
    }
}

/// The running page server; dropping it stops the web thread.
pub struct WebServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    waker: Arc<mio::Waker>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for WebServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl WebServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Its counters.
    pub fn stats(&self) -> WebStats {
        self.shared.stats()
    }

    /// Stops the web thread and waits for it (open pages see their stream end).
    pub fn stop(self) {}
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        let _ = self.waker.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
