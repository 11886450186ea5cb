//! What a handle reports about itself: its counters ([`FeedStats`]), the state of
//! the connections behind it ([`Health`]), and the atomic cells the I/O thread
//! writes that state into ([`ShardHealth`]).

use crate::proto::disconnect::DisconnectCode;
use crate::session::{Cause, Lifecycle};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

/// Counters of one consumer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FeedStats {
    /// Events this handle has taken from its ring.
    pub received: u64,
    /// Events the I/O thread put into the ring.
    pub published: u64,
    /// Events dropped because the ring was full (or replaced, when conflating).
    /// Connection events are not dropped but wait for room, up to 1,024 of
    /// them: past that the oldest waiting one is dropped and counted here.
    pub dropped: u64,
    /// Instruments refused: every connection was full (5 × 5,000), the server
    /// answered 804 (instrument limit) for them, or their exchange segment is
    /// unknown. Each refusal also arrives as a [`crate::FeedEvent::Refused`] and is
    /// logged at `warn`.
    pub rejected: u64,
    /// Events waiting in the ring now.
    pub lag: u64,
    /// Order updates that waited in the spill because the ring was full (none
    /// lost: see `ClientConfig::order_spill_bytes`). Always 0 on other feeds.
    pub spilled: u64,
}

/// What a handle's `health()` reports ([`crate::MarketFeed::health`] and the others).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Messages the feed has no use for, skipped and counted here (on the order
    /// feed: a message whose `Type` is not `order_alert`, a binary frame).
    pub ignored: u64,
    /// Packets longer than their kind needs (Dhan added a field): their known
    /// fields were delivered and the extra bytes skipped.
    pub extended: u64,
    /// Market-feed packets with code 0 (seen on the live feed as a heartbeat or
    /// an acknowledgement): skipped, never an error.
    pub heartbeats: u64,
    /// Set once the client's I/O thread no longer runs, with why (nothing is
    /// live then).
    pub stopped: Option<super::EngineStop>,
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
        self.ignored += sh.ignored.load(Ordering::Relaxed);
        self.extended += sh.extended.load(Ordering::Relaxed);
        self.heartbeats += sh.heartbeats.load(Ordering::Relaxed);
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

    /// The engine is gone: nothing is live, whatever the cells said last.
    pub(crate) fn mark_stopped(&mut self, stop: Option<super::EngineStop>) {
        if stop.is_some() {
            self.stopped = stop;
            self.live = 0;
            self.connected_since = None;
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

/// The instant of a [`crate::time::now_ns`] stamp; `None` for 0 (never).
pub(crate) fn at(ns: u64) -> Option<Instant> {
    (ns != 0).then(|| crate::time::instant_of(ns))
}

/// One market-feed connection's state for `health()`, written by the I/O thread.
#[derive(Debug, Default)]
pub(crate) struct ShardHealth {
    /// [`crate::time::now_ns`] when it went live (0: not live).
    pub live_since_ns: AtomicU64,
    /// The latest frame (0: none yet).
    pub last_frame_ns: AtomicU64,
    pub reconnects: AtomicU64,
    /// Whether it carries instruments.
    pub carrying: AtomicBool,
    /// 0, Dhan's code, 100,000 + HTTP status, or 1 (order login refused): stopped
    /// for credentials.
    pub halted: AtomicU32,
    /// Messages cut short by a malformed packet (the packets before it stood).
    pub malformed: AtomicU64,
    /// Messages skipped as of no use to the feed.
    pub ignored: AtomicU64,
    /// Packets longer than their kind.
    pub extended: AtomicU64,
    /// Code-0 packets.
    pub heartbeats: AtomicU64,
}

/// A connection's counts of unusual messages, as the I/O thread keeps them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MessageCounts {
    pub malformed: u64,
    pub ignored: u64,
    pub extended: u64,
    pub heartbeats: u64,
}

impl MessageCounts {
    /// Adds a message's lengthened and code-0 packets (out of line: most
    /// messages have neither).
    #[cold]
    #[inline(never)]
    pub fn note(&mut self, extended: u32, heartbeats: u16) {
        self.extended += u64::from(extended);
        self.heartbeats += u64::from(heartbeats);
    }
}

impl ShardHealth {
    /// Stores `lc`'s state and the connection's message counts (relaxed stores,
    /// once per engine turn).
    pub fn store(&self, lc: &Lifecycle, carrying: bool, counts: MessageCounts) {
        self.malformed.store(counts.malformed, Ordering::Relaxed);
        self.ignored.store(counts.ignored, Ordering::Relaxed);
        self.extended.store(counts.extended, Ordering::Relaxed);
        self.heartbeats.store(counts.heartbeats, Ordering::Relaxed);
        let since = lc.live_since().map_or(0, |t| crate::time::ns_of(t).max(1));
        self.live_since_ns.store(since, Ordering::Relaxed);
        let last = lc.last_frame().map_or(0, |t| crate::time::ns_of(t).max(1));
        self.last_frame_ns.store(last, Ordering::Relaxed);
        self.reconnects.store(lc.reconnects(), Ordering::Relaxed);
        self.carrying.store(carrying, Ordering::Relaxed);
        let halted = match lc.halted() {
            Some(Cause::Dhan(c)) => u32::from(c.0),
            Some(Cause::Http(s)) => 100_000 + u32::from(s),
            Some(Cause::LoginRefused) => 1,
            _ => 0,
        };
        self.halted.store(halted, Ordering::Relaxed);
    }
}
