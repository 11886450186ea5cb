//! Events delivered to consumers: `Copy`, fixed size, published into rings.

use crate::proto::endpoint::FeedKind;
use crate::proto::market::MarketPacket;
use crate::proto::segment::InstrumentId;
use crate::session::SessionEvent;

/// A decoded market packet with its timestamps.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct MarketEvent {
    /// The packet, converted to the consumer's mode when the connection carries a
    /// richer one (a ticker consumer gets tickers even if another consumer asked
    /// for full packets of the same instrument).
    pub packet: MarketPacket,
    /// When the I/O thread read the bytes ([`crate::time::now_ns`]).
    pub recv_ns: u64,
    /// When the event entered the consumer's ring: the clock is read for the first
    /// packet of every socket read and then once per 32 packets, so under a burst
    /// the stamp can be early by up to 31 packets' decode-and-publish work (a few
    /// µs); a paced feed (one message per read) gets an exact stamp. Never earlier
    /// than `recv_ns`.
    pub publish_ns: u64,
}

/// A change in a connection's state: which connection, and the lifecycle event
/// (connected, disconnected with Dhan's code and the reason, reconnecting after a
/// delay, reconnected with the downtime, or an error such as refused credentials).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionEvent {
    /// Which feed: market, 20/200-level depth or order updates.
    pub feed: FeedKind,
    /// Which connection: a market-feed shard (0 to 4), or the depth or order
    /// handle's own connection.
    pub connection: u8,
    /// What happened.
    pub event: SessionEvent,
}

impl ConnectionEvent {
    /// An event of `feed`'s connection `connection` (for replays, tests, and to
    /// fill a buffer for a handle's `drain`).
    pub const fn new(feed: FeedKind, connection: u8, event: SessionEvent) -> Self {
        Self {
            feed,
            connection,
            event,
        }
    }
}

impl MarketEvent {
    /// A market event (for replays and tests: the feeds build their own).
    pub const fn new(packet: MarketPacket, recv_ns: u64, publish_ns: u64) -> Self {
        Self {
            packet,
            recv_ns,
            publish_ns,
        }
    }
}

impl std::fmt::Display for ConnectionEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} connection {}: {}",
            self.feed.label(),
            self.connection,
            self.event
        )
    }
}

/// Why the feed gave up an instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Dhan's 804: more instruments than the connection allows.
    InstrumentLimit,
    /// Every market-feed connection is full (5 x 5,000).
    NoRoom,
    /// The exchange segment has no name Dhan's requests could carry.
    UnknownSegment,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::InstrumentLimit => "instrument limit exceeded (804)",
            Self::NoRoom => "every market-feed connection is full (5 x 5,000)",
            Self::UnknownSegment => "unknown exchange segment",
        })
    }
}

/// An instrument the feed gave up: it has left the handle's `subscriptions()`
/// (subscribe it again to retry) and is counted in `stats().rejected`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefusedEvent {
    /// The instrument.
    pub id: InstrumentId,
    /// Why.
    pub reason: Refusal,
}

impl RefusedEvent {
    /// A refusal of `id` (for replays and tests: the feeds build their own).
    pub const fn new(id: InstrumentId, reason: Refusal) -> Self {
        Self { id, reason }
    }
}

impl std::fmt::Display for RefusedEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} refused: {}", self.id, self.reason)
    }
}

/// What a consumer receives.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum FeedEvent {
    /// Market data.
    Market(MarketEvent),
    /// Connection state.
    Connection(ConnectionEvent),
    /// An instrument the feed gave up (never dropped, in order with the data).
    Refused(RefusedEvent),
    /// The client's I/O thread no longer runs: nothing more will arrive. Every
    /// receive call returns this at once once the ring is empty (see
    /// [`crate::event::EngineStop`]); it is not counted in `received`.
    EngineStopped(crate::event::EngineStop),
}

impl FeedEvent {
    /// The market event, if this is one.
    pub fn market(&self) -> Option<&MarketEvent> {
        match self {
            Self::Market(m) => Some(m),
            Self::Connection(_) | Self::Refused(_) | Self::EngineStopped(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_event_names_its_own_feed() {
        let ev = |feed| ConnectionEvent {
            feed,
            connection: 1,
            event: SessionEvent::Connected,
        };
        assert_eq!(
            ev(FeedKind::MarketFeed).to_string(),
            "market feed connection 1: connected"
        );
        assert_eq!(
            ev(FeedKind::Depth20).to_string(),
            "20-level depth connection 1: connected"
        );
        assert_eq!(
            ev(FeedKind::Depth200).to_string(),
            "200-level depth connection 1: connected"
        );
        assert_eq!(
            ev(FeedKind::OrderUpdate).to_string(),
            "order updates connection 1: connected"
        );
    }
}
