//! Sinks: a thread that writes what feeds receive into a database, off the hot
//! path (`sqlite` feature: [`Sink::sqlite`]).
//!
//! A sink consumes its own handles — a market feed (its own ring, like any
//! consumer) and optionally the order feed — so the I/O thread never waits on
//! it. It commits in batches, by size ([`SinkConfig::batch_rows`]) and by time
//! ([`SinkConfig::flush_every`], 1 s by default), one transaction each. When the
//! database falls behind (locked, slow disk), the batch is kept and tried again,
//! the sink stops taking from its rings past [`SinkConfig::max_pending`] rows,
//! and the rings absorb the rest; what a ring then drops is counted and written
//! as a row of the `gaps` table, never lost silently. After a crash, every
//! committed batch is in the file (SQLite in WAL mode) and a new sink on the same
//! file appends to it.
//!
//! The schema (`migrations/sqlite/`, created on first use and versioned by
//! `PRAGMA user_version`) has one table per packet kind (`ticks`, `quotes`,
//! `fulls` with five depth levels as columns, `oi`, `prev_close`),
//! `order_updates` (every field but the client id, a credential) and `gaps`;
//! the column names are those of `dhan-feed watch --json`.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use dhan_feed::sink::{Sink, SinkConfig, SinkFeeds};
//! let client = dhan_feed::Client::from_env()?;
//! let mut feed = client.market_feed(dhan_feed::FeedMode::Quote);
//! feed.subscribe(&["NSE_EQ:2885".parse()?])?;
//! let feeds = SinkFeeds::new().market(feed).orders(client.order_updates());
//! let sink = Sink::sqlite("ticks.db", feeds, SinkConfig::default())?;
//! // … later: flush what is pending and stop.
//! let stats = sink.stop()?; // `Uncommitted` if the database refused the last rows
//! println!("{} rows in {} commits", stats.rows, stats.commits);
//! # Ok(()) }
//! ```

mod batch;
#[cfg(feature = "postgres")]
mod postgres;
mod redact;
mod rows;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::{PG_SCHEMA_VERSION, PostgresError};
pub use redact::redacted;
#[cfg(feature = "sqlite")]
pub use sqlite::{SCHEMA_VERSION, SqliteError};

use crate::event::FeedEvent;
use crate::feed::{
    CandleAggregator, Depth20Feed, Depth200Feed, DepthFeed, DepthFeedEvent, GapReason, MarketFeed,
    OrderEvent, OrderFeed,
};
use batch::{Batch, CandleRow, DepthRow, GapRow, TOP_LEVELS};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How a sink batches.
#[derive(Clone, Debug)]
pub struct SinkConfig {
    /// Commit when this many rows wait. Default 10,000.
    pub batch_rows: usize,
    /// Commit at least this often while rows wait. Default 1 s.
    pub flush_every: Duration,
    /// Stop taking from the rings while this many rows wait uncommitted (the
    /// database is behind); past that the rings fill and drop, counted as gaps.
    /// Default 1,000,000.
    pub max_pending: usize,
    /// Length in seconds of the bars written to `candles` (built from the
    /// market feed's trades, as [`CandleAggregator`]); 0 writes none. Default
    /// 60.
    pub candle_secs: u32,
    /// Run the sink thread in the idle scheduling class (Linux `SCHED_IDLE`):
    /// it then runs only on time the feed's threads leave unused and yields a
    /// core to them the moment they wake, so it adds no measurable latency to
    /// the ring consumers. On a machine with no idle time left, the sink falls
    /// behind instead; its ring absorbs that, then drops (counted, in `gaps`).
    /// Default `true`; elsewhere than Linux it has no effect.
    pub idle_priority: bool,
}

impl Default for SinkConfig {
    fn default() -> Self {
        Self {
            batch_rows: 10_000,
            flush_every: Duration::from_secs(1),
            max_pending: 1_000_000,
            candle_secs: 60,
            idle_priority: true,
        }
    }
}

/// A sink's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// Rows committed (gap rows included).
    pub rows: u64,
    /// Transactions committed.
    pub commits: u64,
    /// Events the rings dropped while the sink was behind (each drop is in a
    /// gap row).
    pub missed: u64,
    /// Events the engine offered the sink's market ring since the feed was
    /// made: those taken (rows and `skipped`) plus those the ring dropped
    /// (`missed`).
    pub offered: u64,
    /// Events taken from the market ring that are not rows (connection events,
    /// refusals, market-status, disconnect and unknown packets).
    pub skipped: u64,
    /// Commits that failed and were tried again.
    pub failed_commits: u64,
    /// The latest failure, if the latest commit failed.
    pub last_error: Option<String>,
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    rows: AtomicU64,
    commits: AtomicU64,
    missed: AtomicU64,
    offered: AtomicU64,
    skipped: AtomicU64,
    failed: AtomicU64,
    /// Rows left when the thread ended.
    uncommitted: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Shared {
    fn stats(&self) -> SinkStats {
        SinkStats {
            rows: self.rows.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            missed: self.missed.load(Ordering::Relaxed),
            offered: self.offered.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            failed_commits: self.failed.load(Ordering::Relaxed),
            last_error: self.last_error.lock().map(|e| e.clone()).unwrap_or(None),
        }
    }
}

/// [`Sink::stop`] ended with rows it could not commit (the database refused
/// them for five seconds after the stop was asked).
#[derive(Debug, thiserror::Error)]
#[error("the sink stopped with {rows} rows not committed: {last_error}")]
pub struct Uncommitted {
    /// Rows left.
    pub rows: u64,
    /// The database's latest refusal.
    pub last_error: String,
    /// The counters at the end.
    pub stats: SinkStats,
}

impl From<Uncommitted> for crate::Error {
    fn from(e: Uncommitted) -> Self {
        crate::Error::Sink(Box::new(e))
    }
}

#[cfg(feature = "sqlite")]
impl From<SqliteError> for crate::Error {
    fn from(e: SqliteError) -> Self {
        crate::Error::Sink(Box::new(e))
    }
}

#[cfg(feature = "postgres")]
impl From<PostgresError> for crate::Error {
    fn from(e: PostgresError) -> Self {
        crate::Error::Sink(Box::new(e))
    }
}

/// The handles a sink consumes: each is the sink's own (its own ring, its own
/// subscriptions), so the sink never slows another consumer. A market feed
/// converts into one: `Sink::sqlite(path, feed, cfg)`.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use dhan_feed::sink::{Sink, SinkConfig, SinkFeeds};
/// let client = dhan_feed::Client::from_env()?;
/// let mut market = client.market_feed(dhan_feed::FeedMode::Full);
/// market.subscribe(&["NSE_EQ:2885".parse()?])?;
/// let mut depth = client.depth20();
/// depth.subscribe(&["NSE_EQ:2885".parse()?])?;
/// let feeds = SinkFeeds::new().market(market).orders(client.order_updates()).depth20(depth);
/// let sink = Sink::sqlite("day.db", feeds, SinkConfig::default())?;
/// # drop(sink); Ok(()) }
/// ```
#[derive(Default)]
pub struct SinkFeeds {
    market: Option<MarketFeed>,
    orders: Option<OrderFeed>,
    depth20: Vec<Depth20Feed>,
    depth200: Vec<Depth200Feed>,
}

impl SinkFeeds {
    /// None yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ticks, quotes, full packets, OI and previous closes (tables `ticks`,
    /// `quotes`, `fulls`, `oi`, `prev_close`) and the bars built from them
    /// (`candles`). Replaces an earlier one.
    pub fn market(mut self, feed: MarketFeed) -> Self {
        self.market = Some(feed);
        self
    }

    /// Order updates (`order_updates`; the feed's own gaps in `gaps`).
    /// Replaces an earlier one.
    pub fn orders(mut self, feed: OrderFeed) -> Self {
        self.orders = Some(feed);
        self
    }

    /// A 20-level depth handle: each side update's best five levels
    /// (`depth_top`, `depth` = 20). Several may be added.
    pub fn depth20(mut self, feed: Depth20Feed) -> Self {
        self.depth20.push(feed);
        self
    }

    /// A 200-level depth handle (`depth_top`, `depth` = 200). Several may be
    /// added.
    pub fn depth200(mut self, feed: Depth200Feed) -> Self {
        self.depth200.push(feed);
        self
    }
}

impl From<MarketFeed> for SinkFeeds {
    fn from(feed: MarketFeed) -> Self {
        Self::new().market(feed)
    }
}

impl std::fmt::Debug for SinkFeeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkFeeds")
            .field("market", &self.market.is_some())
            .field("orders", &self.orders.is_some())
            .field("depth20", &self.depth20.len())
            .field("depth200", &self.depth200.len())
            .finish()
    }
}

/// A running sink; [`Sink::stop`] commits what waits and ends it.
pub struct Sink {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Where a sink's batches go.
trait Target: Send + 'static {
    fn write(&mut self, batch: &Batch, wall_offset_ns: i64) -> Result<(), String>;
}

#[cfg(feature = "sqlite")]
impl Target for sqlite::Db {
    fn write(&mut self, batch: &Batch, wall_offset_ns: i64) -> Result<(), String> {
        sqlite::Db::write(self, batch, wall_offset_ns).map_err(|e| sqlite::describe(&e))
    }
}

impl Sink {
    /// A sink into the SQLite file at `path` (created with the schema if new;
    /// an existing file of an older schema is migrated, one of this schema
    /// appended to), consuming `feeds`. The file is opened and checked here: a
    /// bad path, a file that is not a database or has a newer schema fails now.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(
        path: impl AsRef<std::path::Path>,
        feeds: impl Into<SinkFeeds>,
        cfg: SinkConfig,
    ) -> Result<Sink, SqliteError> {
        let db = sqlite::Db::open(path.as_ref())?;
        Ok(Self::start(db, feeds.into(), cfg))
    }

    /// A sink into the PostgreSQL database `conn` names (a URL,
    /// `postgres://user:password@host:port/db`, or `key=value` pairs), its schema
    /// created or migrated, consuming `feeds`. Rows go
    /// in by `COPY` (text), one transaction a batch. A failure drops the
    /// connection; the next try connects again (a restarted server is picked up
    /// without losing the batch). Plain TCP only for now: use a loopback
    /// address, a Unix socket or a tunnel. The password never appears in a
    /// message ([`redacted`]).
    #[cfg(feature = "postgres")]
    pub fn postgres(
        conn: &str,
        feeds: impl Into<SinkFeeds>,
        cfg: SinkConfig,
    ) -> Result<Sink, PostgresError> {
        let pg = postgres::Pg::open(conn)?;
        Ok(Self::start(pg, feeds.into(), cfg))
    }

    fn start(target: impl Target, feeds: SinkFeeds, cfg: SinkConfig) -> Sink {
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("dhan-feed-sink".into())
            .spawn(move || {
                if cfg.idle_priority {
                    idle_priority();
                }
                run(target, feeds, cfg, &s)
            })
            .ok();
        if thread.is_none() {
            *shared.last_error.lock().unwrap_or_else(|e| e.into_inner()) =
                Some("the sink thread could not start".into());
        }
        Sink { shared, thread }
    }

    /// Its counters now.
    pub fn stats(&self) -> SinkStats {
        self.shared.stats()
    }

    /// Takes what the feeds have delivered (until their rings are empty, or
    /// for 0.1 s while a feed still streams), commits it with the open candles
    /// (trying for up to five seconds if the database is busy) and stops; the
    /// final counters, or [`Uncommitted`] when rows could not be committed.
    pub fn stop(mut self) -> Result<SinkStats, Uncommitted> {
        self.halt();
        let stats = self.shared.stats();
        let rows = self.shared.uncommitted.load(Ordering::Relaxed);
        match (&stats.last_error, rows) {
            (Some(e), 1..) => Err(Uncommitted {
                rows,
                last_error: e.clone(),
                stats,
            }),
            _ => Ok(stats),
        }
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Ring drops of one handle, turned into gap rows.
struct Drops {
    feed: &'static str,
    /// Drops counted so far (from the handle's creation: drops before the sink
    /// started are gaps too).
    seen: u64,
}

impl Drops {
    fn new(feed: &'static str) -> Self {
        Self { feed, seen: 0 }
    }

    /// Counts the drops since the last look; one gap row per stretch: drops
    /// seen while the last gap row still waits (the database is behind) add to
    /// it.
    fn check(&mut self, dropped: u64, batch: &mut Batch, shared: &Shared) {
        if dropped <= self.seen {
            return;
        }
        let missed = dropped - self.seen;
        self.seen = dropped;
        shared.missed.fetch_add(missed, Ordering::Relaxed);
        match batch.gaps.last_mut() {
            Some(g) if g.feed == self.feed && g.reason == "ring_full" => g.missed += missed,
            _ => batch.gaps.push(GapRow {
                feed: self.feed,
                missed,
                reason: "ring_full",
                recv_ns: crate::now_ns(),
            }),
        }
    }
}

/// A depth handle the sink takes from, with its drop counter.
struct DepthIn<const N: usize> {
    feed: DepthFeed<N>,
    drops: Drops,
}

impl<const N: usize> DepthIn<N> {
    fn new(feed: DepthFeed<N>) -> Self {
        let name = if N == 20 { "depth20" } else { "depth200" };
        Self {
            feed,
            drops: Drops::new(name),
        }
    }

    /// Takes what waits (while the batch has room); how many events.
    fn take(&mut self, batch: &mut Batch, cfg: &SinkConfig, shared: &Shared) -> usize {
        let st = self.feed.stats();
        self.drops.check(st.dropped, batch, shared);
        let mut took = 0;
        while batch.len() < cfg.max_pending {
            let Some(ev) = self.feed.try_recv() else {
                break;
            };
            took += 1;
            // Snapshots (the pair is complete) and connection events: no row.
            let DepthFeedEvent::Update { id, side, recv_ns } = ev else {
                continue;
            };
            let Some(book) = self.feed.book(id) else {
                continue;
            };
            let levels = book.side(side);
            let mut top = [None; TOP_LEVELS];
            for (t, l) in top.iter_mut().zip(levels) {
                *t = Some(*l);
            }
            batch.depth.push(DepthRow {
                id,
                depth: N as u16,
                side,
                levels: levels.len().min(u16::MAX as usize) as u16,
                top,
                recv_ns,
            });
        }
        took
    }
}

/// The sink thread: take, batch, commit; on stop, commit what waits.
fn run(mut target: impl Target, feeds: SinkFeeds, cfg: SinkConfig, shared: &Shared) {
    let wall_offset_ns = wall_offset_ns();
    let SinkFeeds {
        mut market,
        mut orders,
        depth20,
        depth200,
    } = feeds;
    let mut depth20: Vec<_> = depth20.into_iter().map(DepthIn::new).collect();
    let mut depth200: Vec<_> = depth200.into_iter().map(DepthIn::new).collect();
    let mut market_drops = Drops::new("market");
    let mut candles = (cfg.candle_secs > 0).then(|| CandleAggregator::new(cfg.candle_secs));
    let mut batch = Batch::default();
    let mut events = vec![
        FeedEvent::Connection(crate::event::ConnectionEvent::new(
            crate::proto::endpoint::FeedKind::MarketFeed,
            0,
            crate::event::SessionEvent::Connected,
        ));
        1024
    ];
    // When a stop was asked: what waits then gets five seconds to commit.
    let mut stop_since: Option<Instant> = None;
    let mut last_commit = Instant::now();
    let mut retry_at: Option<Instant> = None;
    // Failed tries since the last commit: logged once when it starts and once
    // when it ends, not every 200 ms while a database is down.
    let mut failing = 0u64;
    // After a stop: the rings have been drained once since (what the feeds had
    // delivered by the stop is taken; what comes later is not).
    let mut swept = false;
    loop {
        let stopping = shared.stop.load(Ordering::Acquire);
        let mut took = 0;
        if let Some(market) = market.as_mut().filter(|_| !swept) {
            // The ring's counters before it is drained: once a drain finds it
            // empty, everything they count has been taken or dropped, so
            // `offered` then accounts for every event exactly.
            let st = market.stats();
            shared
                .offered
                .store(st.published + st.dropped, Ordering::Relaxed);
            market_drops.check(st.dropped, &mut batch, shared);
            // Until the ring is drained or a batch is full (one drain at least
            // while the batch has room).
            let mut more = batch.len() < cfg.max_pending;
            while more {
                let n = market.drain(&mut events);
                took += n;
                more = n == events.len() && batch.len() + n < cfg.batch_rows.min(cfg.max_pending);
                for ev in &events[..n] {
                    match ev {
                        FeedEvent::Market(m) if has_table(&m.packet) => {
                            batch.market.push(*m);
                            if let Some(bar) = candles.as_mut().and_then(|c| c.on_event(m)) {
                                batch.candles.push(CandleRow {
                                    bar,
                                    closed: true,
                                    recv_ns: m.recv_ns,
                                });
                            }
                        }
                        _ => {
                            shared.skipped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
        for d in depth20.iter_mut().filter(|_| !swept) {
            took += d.take(&mut batch, &cfg, shared);
        }
        for d in depth200.iter_mut().filter(|_| !swept) {
            took += d.take(&mut batch, &cfg, shared);
        }
        if let Some(o) = orders.as_mut().filter(|_| !swept) {
            while batch.len() < cfg.max_pending {
                let Some(ev) = o.try_recv() else { break };
                took += 1;
                match ev {
                    OrderEvent::Update(u) => batch.orders.push((Box::new(u), o.last_recv_ns())),
                    OrderEvent::Gap { reason, .. } => {
                        let (missed, why) = match reason {
                            GapReason::SpillFull { missed } => (missed, "spill_full"),
                            _ => (0, "outage"),
                        };
                        batch.gaps.push(GapRow {
                            feed: "orders",
                            missed,
                            reason: why,
                            recv_ns: crate::now_ns(),
                        });
                    }
                    _ => {}
                }
            }
        }
        // Stopping, and a take found the rings empty (or a feed still
        // streaming has been taken from for 0.1 s since): nothing more is
        // taken, and the open bars go in too, marked.
        let since = stopping.then(|| *stop_since.get_or_insert_with(Instant::now));
        swept |= since.is_some_and(|t| took == 0 || t.elapsed() > Duration::from_millis(100));
        if swept && let Some(mut c) = candles.take() {
            let now = crate::now_ns();
            batch
                .candles
                .extend(c.flush().into_iter().map(|bar| CandleRow {
                    bar,
                    closed: false,
                    recv_ns: now,
                }));
        }
        let due = batch.len() >= cfg.batch_rows
            || (batch.len() > 0 && last_commit.elapsed() >= cfg.flush_every)
            || (swept && batch.len() > 0);
        if due && retry_at.is_none_or(|t| Instant::now() >= t) {
            match target.write(&batch, wall_offset_ns) {
                Ok(()) => {
                    if failing > 0 {
                        log::info!("dhan-feed sink: committed again after {failing} failed tries");
                        failing = 0;
                    }
                    shared.rows.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    shared.commits.fetch_add(1, Ordering::Relaxed);
                    *shared.last_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
                    batch.clear();
                    last_commit = Instant::now();
                    retry_at = None;
                }
                Err(e) => {
                    shared.failed.fetch_add(1, Ordering::Relaxed);
                    if failing == 0 {
                        log::warn!(
                            "dhan-feed sink: a commit of {} rows failed ({e}); kept, trying again every 200 ms",
                            batch.len()
                        );
                    }
                    failing += 1;
                    *shared.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                    retry_at = Some(Instant::now() + Duration::from_millis(200));
                }
            }
        }
        if let Some(since) = since {
            let give_up = since.elapsed() > Duration::from_secs(5);
            // Done when everything taken is committed.
            if (swept && batch.len() == 0) || give_up {
                if batch.len() > 0 {
                    log::error!(
                        "dhan-feed sink: stopping with {} rows not committed",
                        batch.len()
                    );
                    shared
                        .uncommitted
                        .store(batch.len() as u64, Ordering::Relaxed);
                }
                return;
            }
        }
        if took == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// [`crate::internals::sqlite_write`]: one batch into `path`.
#[cfg(feature = "sqlite")]
pub(crate) fn bench_write(
    path: &std::path::Path,
    events: &[crate::event::MarketEvent],
) -> Result<(), Box<dyn std::error::Error>> {
    let mut db = sqlite::Db::open(path)?;
    let batch = Batch {
        market: events.to_vec(),
        ..Batch::default()
    };
    db.write(&batch, wall_offset_ns())?;
    Ok(())
}

/// [`crate::internals::postgres_write`]: one batch into `url`.
#[cfg(feature = "postgres")]
pub(crate) fn bench_write_pg(
    url: &str,
    events: &[crate::event::MarketEvent],
) -> Result<(), Box<dyn std::error::Error>> {
    let mut pg = postgres::Pg::open(url)?;
    let batch = Batch {
        market: events.to_vec(),
        ..Batch::default()
    };
    pg.write(&batch, wall_offset_ns())?;
    Ok(())
}

#[cfg(feature = "postgres")]
impl Target for postgres::Pg {
    fn write(&mut self, batch: &Batch, wall_offset_ns: i64) -> Result<(), String> {
        postgres::Pg::write(self, batch, wall_offset_ns)
    }
}

/// Puts the calling thread in the idle scheduling class (see
/// [`SinkConfig::idle_priority`]); a refusal is logged and changes nothing else.
#[allow(unsafe_code)]
fn idle_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `sched_setscheduler` with pid 0 changes only the calling
        // thread's policy; `param` is a valid, initialised `sched_param` that
        // outlives the call.
        let r = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
        if r != 0 {
            log::debug!(
                "dhan-feed sink: idle scheduling refused ({}); the sink runs at normal priority",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Whether a packet kind has a table (market status, disconnect and unknown
/// packets have none).
fn has_table(p: &crate::proto::market::MarketPacket) -> bool {
    use crate::proto::market::MarketPacket as P;
    matches!(
        p,
        P::Ticker(_) | P::Quote(_) | P::Full(_) | P::Oi(_) | P::PrevClose(_)
    )
}

/// Wall-clock minus monotonic nanoseconds ([`crate::now_ns`]): adds to a receive
/// stamp to give Unix nanoseconds.
fn wall_offset_ns() -> i64 {
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    wall - crate::now_ns() as i64
}
