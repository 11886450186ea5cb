//! The Global Stocks (US) handle: one connection to Dhan's
//! `wss://global-stocks-api-feed.dhan.co`, trade and OHLC subscriptions on it,
//! its packets in the handle's own ring.

use crate::engine::port::{Command, EngineHandle, OutboxShared};
use crate::error::{Error, SubscribeError};
use crate::event::{ConnectionEvent, FeedStats, GlobalItem, Health};
use crate::proto::global::GlobalPacket;
use crate::proto::global_encode::GlobalMode;
use crate::ring::Consumer;
use std::sync::Arc;
use std::time::Duration;

/// What a Global Stocks handle yields.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum GlobalFeedEvent {
    /// A packet: a trade, an OHLC, a previous close, circuit limits, 52-week
    /// levels, a market status, an error (805 to 809, before the server closes),
    /// or a code this crate does not know.
    Packet {
        /// The packet.
        packet: GlobalPacket,
        /// When the I/O thread read it ([`crate::now_ns`]).
        recv_ns: u64,
    },
    /// Connection state (connected, disconnected, reconnecting, errors).
    Connection(ConnectionEvent),
    /// The client's I/O thread no longer runs: nothing more will arrive. Every
    /// receive call returns this at once once the ring is empty.
    EngineStopped(crate::event::EngineStop),
}

/// A Global Stocks (US) consumer: one connection of its own (within the per-user
/// budget of five per feed kind), opened when it has instruments, with its own
/// ring. Its mode ([`GlobalMode::Trade`] or [`GlobalMode::Ohlc`]) is what
/// [`subscribe`](Self::subscribe) asks for; [`subscribe_in`](Self::subscribe_in)
/// adds the other mode on the same connection.
///
/// Instruments are security ids of Dhan's Global Stocks list, all in segment
/// `INX_EQ`. Changes are sent on the open connection at once (unsubscribes
/// first, at most 100 per message), and everything is asked for again after a
/// reconnect. Packets already on their way after an unsubscribe still arrive.
pub struct GlobalStocksFeed {
    engine: Arc<EngineHandle>,
    id: usize,
    mode: GlobalMode,
    consumer: Consumer<GlobalItem>,
    shared: Arc<OutboxShared>,
    /// Subscribed ids per mode ([`GlobalMode::ALL`] order), in the order added.
    subs: [Vec<u32>; 2],
    received: u64,
}

impl std::fmt::Debug for GlobalStocksFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalStocksFeed")
            .field("id", &self.id)
            .field("mode", &self.mode)
            .field("trade", &self.subs[0].len())
            .field("ohlc", &self.subs[1].len())
            .finish_non_exhaustive()
    }
}

/// Subscriptions one Global Stocks connection carries (trade and OHLC counted
/// apart), per the Ruby gem DhanHQ 3.4.0's `MAX_SUBSCRIPTIONS_PER_CONNECTION`.
pub const MAX_GLOBAL_SUBSCRIPTIONS: usize = 5_000;

fn index(mode: GlobalMode) -> usize {
    match mode {
        GlobalMode::Trade => 0,
        GlobalMode::Ohlc => 1,
    }
}

impl GlobalStocksFeed {
    pub(crate) fn new(
        engine: Arc<EngineHandle>,
        id: usize,
        mode: GlobalMode,
        consumer: Consumer<GlobalItem>,
        shared: Arc<OutboxShared>,
    ) -> Self {
        Self {
            engine,
            id,
            mode,
            consumer,
            shared,
            subs: [Vec::new(), Vec::new()],
            received: 0,
        }
    }

    /// The mode [`subscribe`](Self::subscribe) uses.
    pub fn mode(&self) -> GlobalMode {
        self.mode
    }

    /// Adds security ids in this handle's mode (ids already subscribed are
    /// skipped); all or none. Fails with [`SubscribeError::GlobalTooMany`] past
    /// [`MAX_GLOBAL_SUBSCRIPTIONS`], or [`Error::Stopped`] when the client's I/O
    /// thread no longer runs; the subscriptions are then unchanged.
    pub fn subscribe(&mut self, ids: &[u32]) -> Result<(), Error> {
        self.subscribe_in(self.mode, ids)
    }

    /// Removes security ids from this handle's mode.
    pub fn unsubscribe(&mut self, ids: &[u32]) -> Result<(), Error> {
        self.unsubscribe_in(self.mode, ids)
    }

    /// Adds security ids in `mode`, on this handle's connection.
    pub fn subscribe_in(&mut self, mode: GlobalMode, ids: &[u32]) -> Result<(), Error> {
        let mut next = self.subs.clone();
        let list = &mut next[index(mode)];
        for &id in ids {
            if !list.contains(&id) {
                list.push(id);
            }
        }
        self.send(next)
    }

    /// Removes security ids from `mode` (the connection closes when nothing is
    /// left in either mode).
    pub fn unsubscribe_in(&mut self, mode: GlobalMode, ids: &[u32]) -> Result<(), Error> {
        let mut next = self.subs.clone();
        next[index(mode)].retain(|id| !ids.contains(id));
        self.send(next)
    }

    fn send(&mut self, next: [Vec<u32>; 2]) -> Result<(), Error> {
        if next == self.subs {
            return Ok(());
        }
        if next[0].len() + next[1].len() > MAX_GLOBAL_SUBSCRIPTIONS {
            return Err(SubscribeError::GlobalTooMany {
                max: MAX_GLOBAL_SUBSCRIPTIONS,
            }
            .into());
        }
        self.engine.send(Command::SetGlobalInstruments {
            id: self.id,
            trade: next[0].clone(),
            ohlc: next[1].clone(),
        })?;
        self.subs = next;
        Ok(())
    }

    /// The security ids subscribed in this handle's mode, in the order added.
    pub fn subscriptions(&self) -> Vec<u32> {
        self.subscriptions_in(self.mode)
    }

    /// The security ids subscribed in `mode`, in the order added.
    pub fn subscriptions_in(&self, mode: GlobalMode) -> Vec<u32> {
        self.subs[index(mode)].clone()
    }

    /// Whether this handle's connection is live.
    pub fn connected(&self) -> bool {
        self.health().live > 0
    }

    /// The next event, if one is waiting. Never blocks.
    pub fn try_recv(&mut self) -> Option<GlobalFeedEvent> {
        let Some(item) = self.consumer.pop() else {
            return self.after_the_ring();
        };
        self.received += 1;
        Some(match item {
            GlobalItem::Packet { packet, recv_ns } => GlobalFeedEvent::Packet { packet, recv_ns },
            GlobalItem::Connection(c) => GlobalFeedEvent::Connection(c),
        })
    }

    /// The ring is empty: the terminal event if the I/O thread has stopped
    /// (after anything it published before recording why).
    #[cold]
    fn after_the_ring(&mut self) -> Option<GlobalFeedEvent> {
        let stop = self.engine.stopped()?;
        if !self.consumer.is_empty() {
            return self.try_recv();
        }
        Some(GlobalFeedEvent::EngineStopped(stop))
    }

    /// The next event, waiting up to `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<GlobalFeedEvent> {
        super::wait_for(timeout, || self.try_recv())
    }

    /// Moves waiting events into `out`, as many as fit; returns how many.
    pub fn drain(&mut self, out: &mut [GlobalFeedEvent]) -> usize {
        super::drain_with(out, || self.try_recv())
    }

    /// Counters: items taken, published, dropped (ring full), waiting.
    pub fn stats(&mut self) -> FeedStats {
        super::outbox_stats(&self.shared, self.received, self.consumer.len() as u64)
    }

    /// The connection's state.
    pub fn health(&self) -> Health {
        super::outbox_health(&self.shared, &self.engine)
    }

    /// A [`HealthProbe`](super::HealthProbe) that reads this handle's
    /// [`health`](Self::health) from any thread.
    pub fn health_probe(&self) -> super::HealthProbe {
        super::HealthProbe::one(&self.engine, &self.shared)
    }
}

impl Drop for GlobalStocksFeed {
    fn drop(&mut self) {
        // A stopped I/O thread has already closed the connection.
        let _ = self.engine.send(Command::RemoveAux { id: self.id });
    }
}
