//! dhan-feed: a synchronous, low-latency client for the DhanHQ v2 WebSocket APIs
//! (live market feed, 20/200-level depth, order updates, Global Stocks), the instrument master,
//! and a faithful simulator of Dhan's servers for offline use.
//!
//! # Threading model
//!
//! ```text
//!  user threads                      the one I/O thread (optionally pinned)            user threads
//!  ------------                      --------------------------------------            ------------
//!  feed.subscribe()     --channel + mio Waker-->  engine (mio Poll, reused Events)
//!                                                  |  per connection (market shards, depth, orders):
//!                                                  |   socket -> rustls -> driver: ws frames (in place)
//!                                                  |          -> proto decoder -> event (Copy)
//!                                                  |   lifecycle: reconnect, budget, watchdog
//!                                                  +--> SPSC ring per consumer -------> feed.try_recv()
//! ```
//!
//! * A [`Client`] owns one I/O thread running every socket in one `mio::Poll`.
//!   Commands (subscribe, unsubscribe, stop) reach it over a channel plus a waker,
//!   from any thread.
//! * Each [`MarketFeed`] handle is a consumer with its own bounded, preallocated
//!   single-producer single-consumer ring. The I/O thread never waits on a
//!   consumer: a full ring drops the newest event or conflates to the latest per
//!   instrument ([`Overflow`]), and every drop is counted ([`FeedStats`]).
//! * Handles are `Send`: move each to the thread that consumes it. Dropping one
//!   unsubscribes what only it wanted.
//! * Pongs are answered on the I/O thread as frames arrive, whatever consumers do.
//! * [`DepthFeed`] (20/200 levels), [`OrderFeed`] and [`GlobalStocksFeed`] handles
//!   each own one connection on the same I/O thread; their books and order tracker run on
//!   the consuming thread, fed from the ring.
//! * Every connection follows a pure state machine (time comes in as an argument):
//!   jittered backoff, Dhan's disconnect codes, a per-user connection budget, a
//!   stale-feed watchdog; consumers see its events in their rings.
//!
//! # Example (against the built-in simulator)
//!
//! ```no_run
//! use dhan_feed::{Client, ClientConfig, Endpoints, FeedEvent, FeedMode, Secret};
//! use dhan_feed::sim::{Simulator, DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID};
//! use std::time::Duration;
//!
//! let sim = Simulator::builder().start()?;
//! let client = Client::new(ClientConfig {
//!     client_id: Secret::new(DEFAULT_CLIENT_ID),
//!     access_token: Secret::new(DEFAULT_ACCESS_TOKEN),
//!     endpoints: Endpoints::all(&sim.url()),
//!     extra_roots: sim.certificate().into_iter().collect(),
//!     ..ClientConfig::default()
//! })?;
//! let mut feed = client.market_feed(FeedMode::Ticker);
//! feed.subscribe(&["IDX_I:13".parse()?])?; // NIFTY
//! while let Some(ev) = feed.recv_timeout(Duration::from_secs(1)) {
//!     if let FeedEvent::Market(m) = ev {
//!         println!("{:?}", m.packet);
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With real credentials, `Client::from_env()` reads `DHAN_CLIENT_ID` and
//! `DHAN_ACCESS_TOKEN` (fallbacks `CLIENT_ID`, `ACCESS_TOKEN`) and connects to Dhan.
//!
//! # What is where
//!
//! The crate root has what a strategy needs: [`Client`] and its [`ClientConfig`],
//! the handles ([`MarketFeed`], [`Depth20Feed`], [`Depth200Feed`], [`OrderFeed`],
//! [`GlobalStocksFeed`]),
//! their events, [`Error`], and the instrument types. The modules hold the rest:
//! [`config`], [`event`], [`feed`] (books, the order tracker), [`proto`] (Dhan's
//! wire formats: decoders and encoders, usable on their own), [`instrument`] (the
//! instrument master), [`jsonl`] (events as JSON lines) and [`sim`] (the
//! simulator).
//!
//! # Cargo features
//!
//! All on by default. `sim`: the simulator (rcgen, socket2). `download`: fetching
//! the instrument master over HTTPS (ureq). `cli`: the `dhan-feed` tool (clap,
//! ctrlc, hdrhistogram; implies the other two). With `--no-default-features` the
//! crate is the engine, the feeds, the decoders and the instrument loader.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod buffer;
pub mod cache;
mod client;
pub mod config;
mod engine;
mod error;
pub mod event;
pub mod feed;
pub mod instrument;
#[doc(hidden)]
pub mod internals;
#[cfg(feature = "ipc")]
pub mod ipc;
#[cfg(feature = "journal")]
pub mod journal;
pub mod jsonl;
pub mod proto;
mod random;
mod resolve;
mod ring;
mod secret;
mod session;
#[cfg(feature = "sim")]
pub mod sim;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sink;
mod tap;
mod time;
mod token;
mod transport;
#[cfg(feature = "web")]
pub mod web;
mod ws;

pub use cache::{DepthCache, DepthTop, LastValueCache, Latest, Stamped, TopLevels};
pub use client::Client;
pub use config::{
    BudgetConfig, ClientConfig, Endpoints, LifecycleConfig, OrderBookSource, OrderTrackerConfig,
    Overflow, TokenSource,
};
pub use engine::{EVENT_LOG_TARGET, MAX_SHARDS};
pub use error::{ConfigError, Error, SubscribeError, TlsConfigError, WebError};
pub use event::{
    Cause, ConnectionEvent, DnsFailure, EngineStop, FeedEvent, FeedStats, Health, MarketEvent,
    OrderFeedError, Refusal, RefusedEvent, SessionError, SessionEvent, TlsFailure,
};
pub use feed::{
    Depth20Feed, Depth200Feed, DepthFeed, DepthFeedEvent, GapReason, GlobalFeedEvent,
    GlobalStocksFeed, HealthProbe, MarketFeed, OrderEvent, OrderEventKinds, OrderFeed,
};
pub use proto::endpoint::FeedKind;
pub use proto::{
    DepthLevel, DepthSide, DisconnectCode, ExchangeSegment, FeedMode, GlobalData, GlobalMode,
    GlobalPacket, InstrumentId, MarketPacket, OrderStatus, OrderUpdate, UserType,
};
pub use resolve::Resolver;
pub use secret::Secret;
pub use session::trace::FRAME_LOG_TARGET;
pub use time::{instant_of, now_ns};
pub use transport::tls::certs_from_pem;

/// The README's and the guide's code, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
#[doc = include_str!("../docs/guide.md")]
pub struct ReadmeDoctests;
