//! dhan-feed: a synchronous, low-latency client for the DhanHQ v2 WebSocket APIs
//! (live market feed, 20/200-level depth, order updates), the instrument master,
//! and a faithful simulator of Dhan's servers for offline use.
//!
//! # Threading model
//!
//! ```text
//!  user threads                      the one I/O thread (optionally pinned)            user threads
//!  ------------                      --------------------------------------            ------------
//!  feed.subscribe_one() --channel + mio Waker-->  engine (mio Poll, reused Events)
//!                                                  |  per connection (market shards, depth, orders):
//!                                                  |   socket -> rustls -> ws framer (in place)
//!                                                  |          -> proto decoder -> event (Copy)
//!                                                  |   session::Lifecycle: reconnect, budget, watchdog
//!                                                  +--> SPSC ring per consumer -------> feed.try_recv()
//! ```
//!
//! * A [`Client`] owns one I/O thread running every socket in one `mio::Poll`.
//!   Commands (subscribe, unsubscribe, stop) reach it over a channel plus a waker,
//!   from any thread.
//! * Each [`MarketFeed`] handle is a consumer with its own bounded, preallocated
//!   single-producer single-consumer ring. The I/O thread never waits on a
//!   consumer: a full ring drops the newest event or conflates to the latest per
//!   instrument ([`Overflow`]), and every drop is counted ([`feed::FeedStats`]).
//! * Handles are `Send`: move each to the thread that consumes it. Dropping one
//!   unsubscribes what only it wanted.
//! * Pongs are answered on the I/O thread as frames arrive, whatever consumers do.
//! * [`feed::DepthFeed`] (20/200 levels) and [`feed::OrderFeed`] handles each own
//!   one connection on the same I/O thread; their books and order tracker run on
//!   the consuming thread, fed from the ring.
//! * Every connection follows a pure state machine ([`session::Lifecycle`]):
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
//! feed.subscribe_one("IDX_I:13".parse()?); // NIFTY
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
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod buffer;
mod client;
pub mod config;
mod engine;
pub mod event;
pub mod feed;
pub mod instrument;
pub mod jsonl;
pub mod proto;
pub mod random;
pub mod ring;
pub mod secret;
pub mod session;
#[cfg(feature = "sim")]
pub mod sim;
pub mod time;
pub mod transport;
pub mod ws;

pub use client::{Client, ClientError};
pub use config::{ClientConfig, Endpoints, Overflow};
pub use engine::{EVENT_LOG_TARGET, EngineError, MAX_SHARDS};
pub use event::FeedEvent;
pub use feed::{Depth20Feed, Depth200Feed, MarketFeed, OrderFeed};
pub use proto::{ExchangeSegment, FeedMode, InstrumentId};
pub use secret::Secret;
