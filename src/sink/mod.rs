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
//! use dhan_feed::sink::{Sink, SinkConfig};
//! let client = dhan_feed::Client::from_env()?;
//! let mut feed = client.market_feed(dhan_feed::FeedMode::Quote);
//! feed.subscribe(&["NSE_EQ:2885".parse()?])?;
//! let sink = Sink::sqlite("ticks.db", feed, Some(client.order_updates()), SinkConfig::default())?;
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
use crate::feed::{GapReason, MarketFeed, OrderEvent, OrderFeed};
use batch::{Batch, GapRow};
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
}

impl Default for SinkConfig {
    fn default() -> Self {
        Self {
            batch_rows: 10_000,
            flush_every: Duration::from_secs(1),
            max_pending: 1_000_000,
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
        sqlite::Db::write(self, batch, wall_offset_ns).map_err(|e| e.to_string())
    }
}

impl Sink {
    /// A sink into the SQLite file at `path` (created with the schema if new;
    /// an existing file of this schema is appended to), consuming `market` and,
    /// when given, `orders`. The file is opened and checked here: a bad path, a
    /// file that is not a database or has a newer schema fails now.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(
        path: impl AsRef<std::path::Path>,
        market: MarketFeed,
        orders: Option<OrderFeed>,
        cfg: SinkConfig,
    ) -> Result<Sink, SqliteError> {
        let db = sqlite::Db::open(path.as_ref())?;
        Ok(Self::start(db, market, orders, cfg))
    }

    /// A sink into the PostgreSQL database `conn` names (a URL,
    /// `postgres://user:password@host:port/db`, or `key=value` pairs), its schema
    /// created if missing, consuming `market` and, when given, `orders`. Rows go
    /// in by `COPY` (text), one transaction a batch. A failure drops the
    /// connection; the next try connects again (a restarted server is picked up
    /// without losing the batch). Plain TCP only for now: use a loopback
    /// address, a Unix socket or a tunnel. The password never appears in a
    /// message ([`redacted`]).
    #[cfg(feature = "postgres")]
    pub fn postgres(
        conn: &str,
        market: MarketFeed,
        orders: Option<OrderFeed>,
        cfg: SinkConfig,
    ) -> Result<Sink, PostgresError> {
        let pg = postgres::Pg::open(conn)?;
        Ok(Self::start(pg, market, orders, cfg))
    }

    fn start(
        target: impl Target,
        market: MarketFeed,
        orders: Option<OrderFeed>,
        cfg: SinkConfig,
    ) -> Sink {
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("dhan-feed-sink".into())
            .spawn(move || run(target, market, orders, cfg, &s))
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

    /// Commits what waits (trying for up to five seconds if the database is
    /// busy) and stops; the final counters, or [`Uncommitted`] when rows could
    /// not be committed.
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

/// The sink thread: take, batch, commit; on stop, commit what waits.
fn run(
    mut target: impl Target,
    mut market: MarketFeed,
    mut orders: Option<OrderFeed>,
    cfg: SinkConfig,
    shared: &Shared,
) {
    let wall_offset_ns = wall_offset_ns();
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
    // From the feed's creation: drops before the sink started are gaps too.
    let mut dropped_seen = 0;
    let mut last_commit = Instant::now();
    let mut retry_at: Option<Instant> = None;
    // Failed tries since the last commit: logged once when it starts and once
    // when it ends, not every 200 ms while a database is down.
    let mut failing = 0u64;
    loop {
        let stopping = shared.stop.load(Ordering::Acquire);
        // The ring's counters before it is drained: once a drain finds it
        // empty, everything they count has been taken or dropped, so `offered`
        // then accounts for every event exactly.
        // Drops by the sink's own ring are counted and written as a gap.
        let st = market.stats();
        shared
            .offered
            .store(st.published + st.dropped, Ordering::Relaxed);
        let dropped = st.dropped;
        if dropped > dropped_seen {
            let missed = dropped - dropped_seen;
            dropped_seen = dropped;
            shared.missed.fetch_add(missed, Ordering::Relaxed);
            // One row per stretch: drops seen while the last gap row still
            // waits (the database is behind) add to it.
            match batch.gaps.last_mut() {
                Some(g) if g.feed == "market" && g.reason == "ring_full" => g.missed += missed,
                _ => batch.gaps.push(GapRow {
                    feed: "market",
                    missed,
                    reason: "ring_full",
                    recv_ns: crate::now_ns(),
                }),
            }
        }
        let mut took = 0;
        if batch.len() < cfg.max_pending {
            let n = market.drain(&mut events);
            took += n;
            for ev in &events[..n] {
                match ev {
                    FeedEvent::Market(m) if has_table(&m.packet) => batch.market.push(*m),
                    _ => {
                        shared.skipped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            if let Some(o) = &mut orders {
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
        }
        let due = batch.len() >= cfg.batch_rows
            || (batch.len() > 0 && last_commit.elapsed() >= cfg.flush_every)
            || (stopping && batch.len() > 0);
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
        if stopping {
            let since = *stop_since.get_or_insert_with(Instant::now);
            let give_up = since.elapsed() > Duration::from_secs(5);
            // Done when the rings are empty and everything taken is committed.
            if (took == 0 && batch.len() == 0) || give_up {
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
