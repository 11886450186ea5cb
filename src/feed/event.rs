//! Events delivered to consumers: `Copy`, fixed size, published into rings.

use crate::proto::disconnect::DisconnectCode;
use crate::proto::market::MarketPacket;

/// A decoded market packet with its timestamps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarketEvent {
    /// The packet, converted to the consumer's mode when the connection carries a
    /// richer one (a ticker consumer gets tickers even if another consumer asked
    /// for full packets of the same instrument).
    pub packet: MarketPacket,
    /// When the I/O thread read the bytes ([`crate::time::now_ns`]).
    pub recv_ns: u64,
    /// When the event entered the consumer's ring.
    pub publish_ns: u64,
}

/// A change in a connection's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// Connection `shard` is live (upgrade done, subscriptions sent).
    Connected {
        /// Which of the (up to five) market-feed connections.
        shard: u8,
    },
    /// Connection `shard` dropped.
    Disconnected {
        /// Which connection.
        shard: u8,
        /// Dhan's disconnect code, when the server sent one.
        code: Option<DisconnectCode>,
    },
}

/// What a consumer receives.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum FeedEvent {
    /// Market data.
    Market(MarketEvent),
    /// Connection state.
    Connection(ConnectionEvent),
}

impl FeedEvent {
    /// The market event, if this is one.
    pub fn market(&self) -> Option<&MarketEvent> {
        match self {
            Self::Market(m) => Some(m),
            Self::Connection(_) => None,
        }
    }
}
