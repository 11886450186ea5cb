//! Market-depth handles (20 and 200 levels): one connection each, books assembled
//! on the consumer's thread from the sides the I/O thread copies into the ring.

use super::depth_book::{DepthBook, DepthBooks, DepthEvent, Label};
use crate::event::{ConnectionEvent, DepthItem, FeedStats, Health};
use crate::engine::port::{Command, EngineHandle, OutboxShared};
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
}

/// Why an instrument cannot go on a depth connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DepthError {
    /// Dhan serves full depth for NSE equities and derivatives only.
    #[error("{0}: full market depth is available for NSE_EQ and NSE_FNO only")]
    Segment(InstrumentId),
    /// More instruments than one connection carries (50 for 20-level, 1 for 200-level).
    #[error("at most {max} instruments per {levels}-level depth connection")]
    TooMany {
        /// The limit.
        max: usize,
        /// 20 or 200.
        levels: usize,
    },
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

    /// Adds an instrument with the user's `label` (reconnects with the new set).
    pub fn subscribe(&mut self, id: InstrumentId, label: &str) -> Result<(), DepthError> {
        self.subscribe_many(&[(id, label)])
    }

    /// Adds several instruments with labels; all or none (reconnects once).
    pub fn subscribe_many(&mut self, items: &[(InstrumentId, &str)]) -> Result<(), DepthError> {
        let max = max_instruments(N);
        if let Some(&(bad, _)) = items
            .iter()
            .find(|(i, _)| !matches!(i.segment, ExchangeSegment::NseEq | ExchangeSegment::NseFno))
        {
            return Err(DepthError::Segment(bad));
        }
        let new = items
            .iter()
            .filter(|(i, _)| self.books.book(*i).is_none())
            .count();
        if self.books.len() + new > max {
            return Err(DepthError::TooMany { max, levels: N });
        }
        for &(id, label) in items {
            // Room was checked above; `add` of a present id relabels it.
            let _ = self.books.add(id, Label::new(label));
        }
        self.send_instruments();
        Ok(())
    }

    /// Removes an instrument (reconnects with the rest, or closes when none is left).
    pub fn unsubscribe(&mut self, id: InstrumentId) {
        if self.books.remove(id) {
            self.send_instruments();
        }
    }

    fn send_instruments(&self) {
        let ids = self.books.iter().map(|b| b.id()).collect();
        self.engine.send(Command::SetDepthInstruments {
            id: self.id,
            instruments: ids,
        });
    }

    /// The instruments of this connection.
    pub fn instruments(&self) -> Vec<InstrumentId> {
        self.books.iter().map(|b| b.id()).collect()
    }

    /// The instruments of this connection, under the market feed's name for it
    /// (the seed's `subscriptions`): the same as [`instruments`](Self::instruments).
    pub fn subscriptions(&self) -> Vec<InstrumentId> {
        self.instruments()
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
            let item = self.consumer.pop()?;
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

    /// The next event, waiting up to `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<DepthFeedEvent> {
        super::wait_for(timeout, || self.try_recv())
    }

    /// Counters: items taken, published, dropped (ring full), waiting.
    pub fn stats(&mut self) -> FeedStats {
        super::outbox_stats(&self.shared, self.received, self.consumer.len() as u64)
    }

    /// The connection's state.
    pub fn health(&self) -> Health {
        super::outbox_health(&self.shared)
    }
}

impl<const N: usize> Drop for DepthFeed<N> {
    fn drop(&mut self) {
        self.engine.send(Command::RemoveAux { id: self.id });
    }
}
