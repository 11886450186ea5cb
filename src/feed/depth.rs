//! Market-depth handles (20 and 200 levels): one connection each, books assembled
//! on the consumer's thread from the sides the I/O thread copies into the ring.

use super::depth_book::{DepthBook, DepthBooks, DepthEvent, Label};
use crate::engine::port::{Command, EngineHandle, OutboxShared};
use crate::error::{Error, SubscribeError};
use crate::event::{ConnectionEvent, DepthItem, FeedStats, Health};
use crate::proto::depth::DepthSide;
use crate::proto::segment::{ExchangeSegment, InstrumentId};
use crate::ring::Consumer;
use std::sync::Arc;
use std::time::Duration;

/// What a depth handle yields.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum DepthFeedEvent {
    /// One side of `id`'s book was replaced (read it with [`DepthFeed::book`]).
    Update {
        /// Instrument.
        id: InstrumentId,
        /// Which side.
        side: DepthSide,
        /// When the I/O thread read it.
        recv_ns: u64,
    },
    /// Both sides of `id`'s book were replaced since the last snapshot: the book
    /// is a consistent pair now.
    Snapshot {
        /// Instrument.
        id: InstrumentId,
        /// When the I/O thread read the completing side.
        recv_ns: u64,
    },
    /// Connection state (connected, disconnected, reconnecting, errors).
    Connection(ConnectionEvent),
    /// The client's I/O thread no longer runs: nothing more will arrive. Every
    /// receive call returns this at once once the ring is empty.
    EngineStopped(crate::event::EngineStop),
}

/// A market-depth consumer with `N` levels per side: one connection (within the
/// per-user budget of five per depth kind), its own ring, and its books.
///
/// Changing the instruments reconnects the connection with the new set: Dhan does
/// not reliably honour depth unsubscribe.
pub struct DepthFeed<const N: usize> {
    engine: Arc<EngineHandle>,
    id: usize,
    consumer: Consumer<DepthItem<N>>,
    shared: Arc<OutboxShared>,
    books: DepthBooks<N>,
    /// A snapshot that follows the update just returned.
    queued: Option<DepthFeedEvent>,
    received: u64,
}

/// 20-level depth: up to 50 instruments per connection.
pub type Depth20Feed = DepthFeed<20>;
/// 200-level depth: one instrument per connection.
pub type Depth200Feed = DepthFeed<200>;

impl<const N: usize> std::fmt::Debug for DepthFeed<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DepthFeed")
            .field("levels", &N)
            .field("id", &self.id)
            .field("instruments", &self.books.len())
            .finish_non_exhaustive()
    }
}

/// Instruments per connection of `N` levels.
pub const fn max_instruments(levels: usize) -> usize {
    if levels == 20 { 50 } else { 1 }
}

impl<const N: usize> DepthFeed<N> {
    pub(crate) fn new(
        engine: Arc<EngineHandle>,
        id: usize,
        consumer: Consumer<DepthItem<N>>,
        shared: Arc<OutboxShared>,
    ) -> Self {
        Self {
            engine,
            id,
            consumer,
            shared,
            books: DepthBooks::new(max_instruments(N)),
            queued: None,
            received: 0,
        }
    }

    /// Adds instruments, each labelled with its `SEGMENT:ID` (reconnects once
    /// with the new set); all or none. See [`subscribe_labelled`](Self::subscribe_labelled).
    pub fn subscribe(&mut self, ids: &[InstrumentId]) -> Result<(), Error> {
        let labels: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        let items: Vec<(InstrumentId, &str)> = ids
            .iter()
            .zip(&labels)
            .map(|(&i, l)| (i, l.as_str()))
            .collect();
        self.subscribe_labelled(&items)
    }

    /// Adds instruments with the user's labels (reconnects once with the new
    /// set); all or none. Fails with [`SubscribeError::DepthSegment`] for a
    /// segment other than NSE_EQ / NSE_FNO, [`SubscribeError::TooMany`] past the
    /// connection's limit (50 for 20-level, 1 for 200-level), or
    /// [`Error::Stopped`] when the client's I/O thread no longer runs; the
    /// subscriptions are then unchanged.
    pub fn subscribe_labelled(&mut self, items: &[(InstrumentId, &str)]) -> Result<(), Error> {
        let max = max_instruments(N);
        if let Some(&(bad, _)) = items
            .iter()
            .find(|(i, _)| !matches!(i.segment, ExchangeSegment::NseEq | ExchangeSegment::NseFno))
        {
            return Err(SubscribeError::DepthSegment(bad).into());
        }
        let mut fresh: Vec<InstrumentId> = Vec::with_capacity(items.len());
        for &(i, _) in items {
            if self.books.book(i).is_none() && !fresh.contains(&i) {
                fresh.push(i);
            }
        }
        if self.books.len() + fresh.len() > max {
            return Err(SubscribeError::TooMany { max, levels: N }.into());
        }
        let mut ids = self.subscriptions();
        ids.extend(&fresh);
        self.send_instruments(ids)?;
        for &(id, label) in items {
            // Room was checked above; `add` of a present id relabels it.
            let _ = self.books.add(id, Label::new(label));
        }
        Ok(())
    }

    /// Removes instruments (reconnects with the rest, or closes when none is
    /// left). Fails with [`Error::Stopped`] when the client's I/O thread no
    /// longer runs.
    pub fn unsubscribe(&mut self, ids: &[InstrumentId]) -> Result<(), Error> {
        // In the order the books will have after their removals (each one a
        // swap-remove), so the reconnect asks for them as before.
        let mut rest = self.subscriptions();
        for id in ids {
            if let Some(p) = rest.iter().position(|i| i == id) {
                rest.swap_remove(p);
            }
        }
        if rest.len() == self.books.len() {
            return Ok(());
        }
        self.send_instruments(rest)?;
        for &id in ids {
            self.books.remove(id);
        }
        Ok(())
    }

    fn send_instruments(&self, instruments: Vec<InstrumentId>) -> Result<(), Error> {
        self.engine.send(Command::SetDepthInstruments {
            id: self.id,
            instruments,
        })?;
        Ok(())
    }

    /// The instruments of this connection, in the order they were added.
    pub fn subscriptions(&self) -> Vec<InstrumentId> {
        self.books.iter().map(|b| b.id()).collect()
    }

    /// Whether this handle's connection is live (the seed's `connected?`).
    pub fn connected(&self) -> bool {
        self.health().live > 0
    }

    /// The book of `id`, as assembled so far.
    pub fn book(&self, id: InstrumentId) -> Option<&DepthBook<N>> {
        self.books.book(id)
    }

    /// The next event, if one is waiting. Never blocks.
    pub fn try_recv(&mut self) -> Option<DepthFeedEvent> {
        if let Some(e) = self.queued.take() {
            return Some(e);
        }
        loop {
            let Some(item) = self.consumer.pop() else {
                return self.after_the_ring();
            };
            self.received += 1;
            match item {
                DepthItem::Connection(c) => return Some(DepthFeedEvent::Connection(c)),
                DepthItem::Side(s) => {
                    let mut out = None;
                    let queued = &mut self.queued;
                    self.books
                        .apply_side(s.id, s.side, s.levels(), s.recv_ns, |e| match e {
                            DepthEvent::Update { id, side } => {
                                out = Some(DepthFeedEvent::Update {
                                    id,
                                    side,
                                    recv_ns: s.recv_ns,
                                })
                            }
                            DepthEvent::Snapshot { id } => {
                                *queued = Some(DepthFeedEvent::Snapshot {
                                    id,
                                    recv_ns: s.recv_ns,
                                })
                            }
                        });
                    // A side of an instrument no longer subscribed is skipped.
                    if out.is_some() {
                        return out;
                    }
                }
            }
        }
    }

    /// The ring is empty: the terminal event if the I/O thread has stopped
    /// (after anything it published before recording why).
    #[cold]
    fn after_the_ring(&mut self) -> Option<DepthFeedEvent> {
        let stop = self.engine.stopped()?;
        if !self.consumer.is_empty() {
            return self.try_recv();
        }
        Some(DepthFeedEvent::EngineStopped(stop))
    }

    /// The next event, waiting up to `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<DepthFeedEvent> {
        super::wait_for(timeout, || self.try_recv())
    }

    /// Moves waiting events into `out`, as many as fit; returns how many.
    pub fn drain(&mut self, out: &mut [DepthFeedEvent]) -> usize {
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

impl<const N: usize> Drop for DepthFeed<N> {
    fn drop(&mut self) {
        // A stopped I/O thread has already closed the connection.
        let _ = self.engine.send(Command::RemoveAux { id: self.id });
    }
}
