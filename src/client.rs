//! The client: one I/O thread shared by every handle it creates.

use crate::cache::{DepthCache, LastValueCache};
use crate::config::{ClientConfig, ConfigError, Overflow};
use crate::engine::port::{Command, ConsumerShared, EngineHandle, Fault, NewConn, OutboxShared};
use crate::error::Error;
use crate::feed::depth::{Depth20Feed, Depth200Feed, DepthFeed};
use crate::feed::global::GlobalStocksFeed;
use crate::feed::market::MarketFeed;
use crate::feed::order_tracker::OrderTracker;
use crate::feed::orders::OrderFeed;
use crate::proto::global_encode::GlobalMode;
use crate::proto::login::{Login, UserType};
use crate::proto::request::FeedMode;
use crate::secret::Secret;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

struct ClientInner {
    engine: Arc<EngineHandle>,
    next_id: AtomicUsize,
    /// Ids of depth and order handles (their connections' tokens).
    next_aux: AtomicUsize,
    cfg: ClientConfig,
}

/// A connection to Dhan's WebSocket APIs: one pinned-or-not I/O thread running
/// every socket, and handles (consumers) that receive events through their own
/// lock-free ring. Cheap to clone; the I/O thread stops when the last clone and
/// the last handle are dropped, or at [`Client::disconnect_all`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.cfg)
            .finish()
    }
}

impl Client {
    /// Starts the I/O thread with `cfg`. Fails when an endpoint URL does not parse,
    /// when a PARTNER `user_type` has no partner secret, or when the thread cannot
    /// start.
    ///
    /// With a [`crate::config::TokenSource`] other than `Fixed`, the token is
    /// read from it first (a failure is [`ConfigError::TokenSource`]) and then
    /// watched on a thread of its own.
    pub fn new(cfg: ClientConfig) -> Result<Self, Error> {
        Self::with_tap(cfg, None)
    }

    /// As [`Client::new`], every connection copying what it receives and sends
    /// into `tap` (the journal's recorder drains it).
    pub(crate) fn with_tap(cfg: ClientConfig, tap: Option<crate::tap::Tap>) -> Result<Self, Error> {
        let mut cfg = cfg;
        cfg.trace_frames |= std::env::var("DHAN_FEED_TRACE_FRAMES").is_ok_and(|v| v.trim() == "1");
        if let Some(read) = cfg.token_source.read() {
            cfg.access_token = read.map_err(|e| ConfigError::TokenSource {
                from: crate::token::describe(&cfg.token_source),
                reason: e.to_string(),
            })?;
        }
        for (field, value) in [
            ("ring_capacity", cfg.ring_capacity),
            ("depth_ring_capacity", cfg.depth_ring_capacity),
            ("order_ring_capacity", cfg.order_ring_capacity),
        ] {
            crate::config::ring_capacity(field, value)?;
        }
        if cfg.user_type == UserType::Partner
            && cfg.partner_secret.as_ref().is_none_or(Secret::is_empty)
        {
            return Err(ConfigError::MissingPartnerSecret.into());
        }
        if let Some(t) = &tap {
            for s in cfg.credentials() {
                t.add_secret(s.expose().as_bytes());
            }
        }
        let engine = Arc::new(crate::engine::spawn(cfg.clone(), tap)?);
        crate::token::spawn(
            cfg.token_source.clone(),
            cfg.token_refresh,
            cfg.access_token.clone(),
            Arc::downgrade(&engine),
        )?;
        Ok(Self::on(engine, cfg))
    }

    /// A client handing out handles of `engine`.
    fn on(engine: Arc<crate::engine::port::EngineHandle>, cfg: ClientConfig) -> Self {
        Self {
            inner: Arc::new(ClientInner {
                engine,
                next_id: AtomicUsize::new(0),
                next_aux: AtomicUsize::new(0),
                cfg,
            }),
        }
    }

    /// A client whose handles are fed by a replay of `records` (a journal's)
    /// instead of sockets; nothing flows before [`Client::replay_start`].
    #[cfg(feature = "journal")]
    pub(crate) fn replaying(
        cfg: ClientConfig,
        records: crate::engine::Records,
        pacing: crate::engine::Pacing,
    ) -> Result<Self, Error> {
        let engine = Arc::new(crate::engine::spawn_replay(cfg.clone(), records, pacing)?);
        Ok(Self::on(engine, cfg))
    }

    /// A replaying client's records start to flow (to the handles made
    /// before this call, subscribed as they asked).
    #[cfg(feature = "journal")]
    pub(crate) fn replay_start(&self) -> Result<(), Error> {
        self.inner
            .engine
            .send(crate::engine::port::Command::ReplayStart)?;
        Ok(())
    }

    /// A client with credentials from the environment (see [`ClientConfig::from_env`]).
    pub fn from_env() -> Result<Self, Error> {
        Self::new(ClientConfig::from_env()?)
    }

    /// The configuration (its `Debug` redacts credentials).
    pub fn config(&self) -> &ClientConfig {
        &self.inner.cfg
    }

    /// A new market-feed consumer in `mode`, with the configured ring capacity and
    /// overflow policy.
    pub fn market_feed(&self, mode: FeedMode) -> MarketFeed {
        // Checked in `Client::new`.
        self.market_feed_ring(mode, self.inner.cfg.ring_capacity, self.inner.cfg.overflow)
    }

    /// A new market-feed consumer with its own ring capacity and overflow policy;
    /// a capacity above [`crate::config::MAX_RING_CAPACITY`] is refused
    /// ([`ConfigError::RingCapacity`]).
    pub fn market_feed_with(
        &self,
        mode: FeedMode,
        capacity: usize,
        overflow: Overflow,
    ) -> Result<MarketFeed, Error> {
        let capacity = crate::config::ring_capacity("capacity", capacity)?;
        Ok(self.market_feed_ring(mode, capacity, overflow))
    }

    /// A market-feed consumer ([`Client::market_feed`]) and its last-value cache:
    /// every packet its instruments receive is also kept, by kind, in a table any
    /// thread reads without a lock ([`LastValueCache::latest`]). The table is
    /// made now for up to `instruments` instruments (about 740 bytes each: the
    /// table is twice as large as it holds); packets of instruments beyond
    /// that are not kept and are counted ([`LastValueCache::refused`]). The
    /// feed's ring has the client's capacity and overflow policy
    /// (`ClientConfig::ring_capacity`, `ClientConfig::overflow`) and fills as
    /// any feed's does: drain it, or, when only the cache matters, configure a
    /// small ring that drops ([`Overflow::DropNewest`]).
    pub fn market_feed_with_cache(
        &self,
        mode: FeedMode,
        instruments: usize,
    ) -> (MarketFeed, LastValueCache) {
        let (cache, writer) = LastValueCache::new(instruments);
        let feed = self.market_feed_parts(
            mode,
            self.inner.cfg.ring_capacity,
            self.inner.cfg.overflow,
            Some(writer),
        );
        (feed, cache)
    }

    fn market_feed_ring(&self, mode: FeedMode, capacity: usize, overflow: Overflow) -> MarketFeed {
        self.market_feed_parts(mode, capacity, overflow, None)
    }

    fn market_feed_parts(
        &self,
        mode: FeedMode,
        capacity: usize,
        overflow: Overflow,
        cache: Option<crate::cache::CacheWriter>,
    ) -> MarketFeed {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (producer, consumer) = crate::ring::ring(capacity);
        let shared = Arc::new(ConsumerShared::default());
        // A stopped client's handle receives nothing; its requests fail with
        // `Error::Stopped`.
        let _ = self.inner.engine.send(Command::AddConsumer {
            id,
            mode,
            overflow,
            producer,
            shared: shared.clone(),
            cache,
        });
        MarketFeed::new(self.inner.engine.clone(), id, mode, consumer, shared)
    }

    /// A 20-level depth handle: its own connection (up to five per user), up to 50
    /// NSE_EQ / NSE_FNO instruments; it connects when it has instruments.
    pub fn depth20(&self) -> Depth20Feed {
        self.depth20_parts(None)
    }

    /// A 20-level depth handle ([`Client::depth20`]) and its depth cache: each
    /// side's best `levels` levels (1 to [`crate::cache::MAX_TOP_LEVELS`]) of
    /// every instrument it receives, kept by the I/O thread from each bid or ask
    /// packet and readable from any thread without a lock
    /// ([`DepthCache::top`]). The table is made now for up to `instruments`
    /// instruments (a 20-level connection carries 50).
    pub fn depth20_with_cache(
        &self,
        instruments: usize,
        levels: usize,
    ) -> (Depth20Feed, DepthCache) {
        let (cache, writer) = DepthCache::new(instruments, levels);
        (self.depth20_parts(Some(writer)), cache)
    }

    fn depth20_parts(&self, cache: Option<crate::cache::DepthCacheWriter>) -> Depth20Feed {
        let (id, producer, consumer, shared) =
            self.aux_parts(self.inner.cfg.depth_ring_capacity.max(16));
        self.add_aux(id, NewConn::Depth20(producer, cache), &shared);
        DepthFeed::new(self.inner.engine.clone(), id, consumer, shared)
    }

    /// A 200-level depth handle: its own connection (up to five per user), one
    /// NSE_EQ / NSE_FNO instrument.
    pub fn depth200(&self) -> Depth200Feed {
        self.depth200_parts(None)
    }

    /// A 200-level depth handle ([`Client::depth200`]) and a depth cache of its
    /// instrument's best `levels` levels a side (1 to
    /// [`crate::cache::MAX_TOP_LEVELS`]), as [`Client::depth20_with_cache`].
    pub fn depth200_with_cache(&self, levels: usize) -> (Depth200Feed, DepthCache) {
        let (cache, writer) = DepthCache::new(1, levels);
        (self.depth200_parts(Some(writer)), cache)
    }

    fn depth200_parts(&self, cache: Option<crate::cache::DepthCacheWriter>) -> Depth200Feed {
        let (id, producer, consumer, shared) =
            self.aux_parts((self.inner.cfg.depth_ring_capacity / 4).max(16));
        self.add_aux(id, NewConn::Depth200(producer, cache), &shared);
        DepthFeed::new(self.inner.engine.clone(), id, consumer, shared)
    }

    /// A Global Stocks (US) handle in `mode`: its own connection to
    /// [`crate::Endpoints::global`] (up to five per user), opened when it has
    /// instruments. See [`GlobalStocksFeed`].
    pub fn global_stocks_feed(&self, mode: GlobalMode) -> GlobalStocksFeed {
        let (id, producer, consumer, shared) =
            self.aux_parts(self.inner.cfg.depth_ring_capacity.max(16));
        self.add_aux(id, NewConn::Global(producer), &shared);
        GlobalStocksFeed::new(self.inner.engine.clone(), id, mode, consumer, shared)
    }

    /// An order-update handle: logs in as SELF or PARTNER (`ClientConfig::user_type`)
    /// on Dhan's one order-update connection per user. Every handle of this client
    /// shares that connection (one login), each with its own ring and tracker: a
    /// handle gets every update from when it was made (an `Open` first when the
    /// connection is already up), and the connection closes with the last handle.
    pub fn order_updates(&self) -> OrderFeed {
        let cfg = &self.inner.cfg;
        let login = match cfg.user_type {
            UserType::SelfUser => Login::SelfUser {
                client_id: cfg.client_id.clone(),
                token: cfg.access_token.clone(),
            },
            UserType::Partner => Login::Partner {
                partner_id: cfg
                    .partner_id
                    .clone()
                    .unwrap_or_else(|| cfg.client_id.clone()),
                // Present and non-empty: checked in `Client::new`.
                secret: cfg.partner_secret.clone().unwrap_or_default(),
            },
        };
        let (id, producer, consumer, shared) = self.aux_parts(cfg.order_ring_capacity.max(16));
        self.add_aux(id, NewConn::Orders { login, producer }, &shared);
        OrderFeed::new(
            self.inner.engine.clone(),
            id,
            consumer,
            shared,
            OrderTracker::new(cfg.order_tracker),
            cfg.order_book.clone(),
            crate::feed::orders::RestTarget {
                base: cfg.rest_base.clone(),
                roots: cfg.extra_roots.clone(),
            },
        )
    }

    #[allow(clippy::type_complexity)]
    fn aux_parts<T: Copy + Send>(
        &self,
        capacity: usize,
    ) -> (
        usize,
        crate::ring::Producer<T>,
        crate::ring::Consumer<T>,
        Arc<OutboxShared>,
    ) {
        let id = self.inner.next_aux.fetch_add(1, Ordering::Relaxed);
        let (p, c) = crate::ring::ring(capacity);
        (id, p, c, Arc::new(OutboxShared::default()))
    }

    fn add_aux(&self, id: usize, conn: NewConn, shared: &Arc<OutboxShared>) {
        // A stopped client's handle receives nothing; its health says so.
        let _ = self.inner.engine.send(Command::AddAux {
            id,
            conn,
            shared: shared.clone(),
        });
    }

    /// Replaces the access token without a restart: every later connection (and
    /// reconnection) uses it, and connections stopped by a credential failure
    /// (806-810, HTTP 401/403) try again at once. [`Client::config`] keeps showing
    /// the configuration the client was built with.
    ///
    /// Fails with [`Error::Stopped`] when the I/O thread no longer runs.
    pub fn set_access_token(&self, token: impl Into<Secret>) -> Result<(), Error> {
        self.inner
            .engine
            .send(Command::SetAccessToken(token.into()))?;
        Ok(())
    }

    /// Injects `fault` into the I/O thread (the test hook behind
    /// `internals::fault`).
    pub(crate) fn inject(&self, fault: Fault) -> Result<(), Error> {
        self.inner.engine.send(Command::Fault(fault))?;
        Ok(())
    }

    /// Closes every connection and stops the I/O thread: every handle's receive
    /// calls then return its `EngineStopped` event once its ring is empty
    /// ([`crate::event::EngineStop::Stopped`]), and requests fail with
    /// [`Error::Stopped`].
    pub fn disconnect_all(&self) {
        // Already stopped is what was asked for.
        let _ = self.inner.engine.send(Command::Stop);
    }
}
