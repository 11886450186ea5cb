//! The market-feed consumer handle.

use super::event::FeedEvent;
use crate::client::ClientInner;
use crate::engine::{Command, ShardHealth, Shared};
use crate::proto::disconnect::DisconnectCode;
use crate::proto::request::FeedMode;
use crate::proto::segment::InstrumentId;
use crate::ring::Consumer;
use crate::session::Cause;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Counters of one consumer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Events this handle has taken from its ring.
    pub received: u64,
    /// Events the I/O thread put into the ring.
    pub published: u64,
    /// Events dropped because the ring was full (or replaced, when conflating).
    pub dropped: u64,
    /// Instruments refused: every connection was full (5 × 5,000), the server
    /// answered 804 (instrument limit) for them, or their exchange segment is
    /// unknown. Each refusal is also logged at `warn`.
    pub rejected: u64,
    /// Events waiting in the ring now.
    pub lag: u64,
}

/// What [`MarketFeed::health`] reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// Since when every connection carrying this process's instruments has been
    /// live (`None` while any is down or none is needed).
    pub connected_since: Option<Instant>,
    /// When the latest event entered this handle's ring.
    pub last_message_at: Option<Instant>,
    /// The latest frame (data or ping) on any market-feed connection.
    pub last_frame_at: Option<Instant>,
    /// Reconnections (live again after a drop) over all connections.
    pub reconnects: u64,
    /// Events this handle lost to a full ring.
    pub dropped: u64,
    /// Connections carrying instruments, and how many of them are live.
    pub connections: u8,
    /// See `connections`.
    pub live: u8,
    /// Set while a connection is stopped by a credential failure (806-810, HTTP
    /// 401/403) until [`crate::Client::set_access_token`].
    pub halted: Option<Cause>,
    /// Messages the server sent with a malformed packet in them, over the
    /// connections: the packets before it were delivered, the rest of that
    /// message skipped (and logged at `warn`); the connection stays up.
    pub malformed: u64,
}

impl Health {
    /// Adds one connection's state; `all_live_since` tracks the latest live-since
    /// (or `None` once one connection is down).
    pub(crate) fn add(&mut self, sh: &ShardHealth, all_live_since: &mut Option<u64>) {
        if !sh.carrying.load(Ordering::Relaxed) {
            return;
        }
        self.connections += 1;
        self.reconnects += sh.reconnects.load(Ordering::Relaxed);
        self.malformed += sh.malformed.load(Ordering::Relaxed);
        let since = sh.live_since_ns.load(Ordering::Relaxed);
        if since == 0 {
            *all_live_since = None;
        } else {
            self.live += 1;
            *all_live_since = all_live_since.map(|a| a.max(since));
        }
        let last = at(sh.last_frame_ns.load(Ordering::Relaxed));
        self.last_frame_at = self.last_frame_at.max(last);
        let halted = sh.halted.load(Ordering::Relaxed);
        if halted != 0 {
            self.halted = Some(if halted == 1 {
                Cause::LoginRefused
            } else if halted >= 100_000 {
                Cause::Http((halted - 100_000) as u16)
            } else {
                Cause::Dhan(DisconnectCode(halted as u16))
            });
        }
    }

    /// The health of a handle with one connection (depth, order updates).
    pub(crate) fn of_one(sh: &ShardHealth, dropped: u64) -> Self {
        let mut h = Health {
            dropped,
            ..Health::default()
        };
        let mut since = Some(0);
        h.add(sh, &mut since);
        h.last_message_at = h.last_frame_at;
        if h.connections > 0 {
            h.connected_since = since.and_then(at);
        }
        h
    }
}

fn at(ns: u64) -> Option<Instant> {
    (ns != 0).then(|| crate::time::instant_of(ns))
}

/// A consumer of the live market feed in one mode, with its own ring.
///
/// Created by [`crate::Client::market_feed`]. `Send` (move it to the thread that
/// consumes); dropping it unsubscribes whatever only it wanted.
pub struct MarketFeed {
    inner: Arc<ClientInner>,
    id: usize,
    mode: FeedMode,
    consumer: Consumer<FeedEvent>,
    shared: Arc<Shared>,
    subs: BTreeSet<InstrumentId>,
    received: u64,
}

impl std::fmt::Debug for MarketFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketFeed")
            .field("id", &self.id)
            .field("mode", &self.mode)
            .field("subscriptions", &self.subs.len())
            .finish_non_exhaustive()
    }
}

impl MarketFeed {
    pub(crate) fn new(
        inner: Arc<ClientInner>,
        id: usize,
        mode: FeedMode,
        consumer: Consumer<FeedEvent>,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            inner,
            id,
            mode,
            consumer,
            shared,
            subs: BTreeSet::new(),
            received: 0,
        }
    }

    /// The mode this consumer receives.
    pub fn mode(&self) -> FeedMode {
        self.mode
    }

    /// Subscribes one instrument.
    pub fn subscribe_one(&mut self, id: InstrumentId) {
        self.subscribe_many(&[id]);
    }

    /// Subscribes several instruments (the engine batches them ≤ 100 per message
    /// and spreads them over up to five connections of 5,000).
    pub fn subscribe_many(&mut self, ids: &[InstrumentId]) {
        let new: Vec<InstrumentId> = ids
            .iter()
            .copied()
            .filter(|i| self.subs.insert(*i))
            .collect();
        if !new.is_empty() {
            self.inner.engine.send(Command::Subscribe {
                id: self.id,
                instruments: new,
            });
        }
    }

    /// Unsubscribes one instrument.
    pub fn unsubscribe_one(&mut self, id: InstrumentId) {
        self.unsubscribe_many(&[id]);
    }

    /// Unsubscribes several instruments.
    pub fn unsubscribe_many(&mut self, ids: &[InstrumentId]) {
        let gone: Vec<InstrumentId> = ids
            .iter()
            .copied()
            .filter(|i| self.subs.remove(i))
            .collect();
        if !gone.is_empty() {
            self.inner.engine.send(Command::Unsubscribe {
                id: self.id,
                instruments: gone,
            });
        }
    }

    /// The instruments this consumer asked for.
    pub fn subscriptions(&self) -> Vec<InstrumentId> {
        self.subs.iter().copied().collect()
    }

    /// The next event, if one is waiting. Never blocks.
    #[inline]
    pub fn try_recv(&mut self) -> Option<FeedEvent> {
        let e = self.consumer.pop();
        self.received += u64::from(e.is_some());
        e
    }

    /// The next event, waiting up to `timeout` (spinning briefly, then sleeping in
    /// short steps: the I/O thread never wakes consumers).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<FeedEvent> {
        super::wait_for(timeout, || self.try_recv())
    }

    /// Moves waiting events into `out`; returns how many.
    pub fn drain_into(&mut self, out: &mut [FeedEvent]) -> usize {
        let mut n = 0;
        for slot in out.iter_mut() {
            match self.consumer.pop() {
                Some(e) => {
                    *slot = e;
                    n += 1;
                }
                None => break,
            }
        }
        self.received += n as u64;
        n
    }

    /// Whether every market-feed connection that carries instruments is live.
    pub fn connected(&self) -> bool {
        let s = &self.inner.engine.stats;
        let open = s.open.load(Ordering::Relaxed);
        open > 0 && s.live.load(Ordering::Relaxed) >= open
    }

    /// The state of the connections behind this handle, for a health check.
    pub fn health(&self) -> Health {
        let s = &self.inner.engine.stats;
        let mut h = Health {
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            last_message_at: at(self.shared.last_publish_ns.load(Ordering::Relaxed)),
            ..Health::default()
        };
        let mut all_live_since: Option<u64> = Some(0);
        for sh in &s.shards {
            h.add(sh, &mut all_live_since);
        }
        if h.connections > 0 {
            h.connected_since = all_live_since.and_then(at);
        }
        h
    }

    /// This consumer's counters.
    pub fn stats(&mut self) -> FeedStats {
        FeedStats {
            received: self.received,
            published: self.shared.published.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            rejected: self.shared.rejected.load(Ordering::Relaxed),
            lag: self.consumer.len() as u64,
        }
    }

    /// Unsubscribes everything this consumer wanted and drops it.
    pub fn stop(self) {}
}

impl Drop for MarketFeed {
    fn drop(&mut self) {
        self.inner
            .engine
            .send(Command::RemoveConsumer { id: self.id });
    }
}
