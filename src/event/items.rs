//! What the I/O thread puts into a depth, order or Global Stocks handle's ring: fixed-size,
//! `Copy` items with their payload inline (nothing allocates per message).

use super::feed_event::ConnectionEvent;
use super::order_error::OrderFeedError;
use crate::proto::depth::{DepthLevel, DepthSide};
use crate::proto::global::GlobalPacket;
use crate::proto::order::OrderUpdate;
use crate::proto::segment::{ExchangeSegment, InstrumentId};

/// One side of one instrument as received: what travels through the ring.
#[derive(Clone, Copy, Debug)]
pub struct DepthSideUpdate<const N: usize> {
    /// Instrument.
    pub id: InstrumentId,
    /// Bid or ask.
    pub side: DepthSide,
    /// Rows in the packet (may exceed `N` only if the server sent more).
    pub rows: u16,
    /// The first `min(rows, N)` levels, best first.
    pub levels: [DepthLevel; N],
    /// When the I/O thread read it ([`crate::time::now_ns`]).
    pub recv_ns: u64,
}

impl<const N: usize> DepthSideUpdate<N> {
    /// An empty update (a preallocated slot).
    pub const EMPTY: Self = Self {
        id: InstrumentId::new(ExchangeSegment::NseEq, 0),
        side: DepthSide::Bid,
        rows: 0,
        levels: [DepthLevel {
            price: 0.0,
            qty: 0,
            orders: 0,
        }; N],
        recv_ns: 0,
    };

    /// The filled levels.
    pub fn levels(&self) -> &[DepthLevel] {
        &self.levels[..(self.rows as usize).min(N)]
    }
}

/// What the I/O thread puts into a depth handle's ring (inline levels: ring slots
/// are fixed-size and nothing allocates per message).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum DepthItem<const N: usize> {
    /// A side of a book.
    Side(DepthSideUpdate<N>),
    /// A connection change.
    Connection(ConnectionEvent),
}

/// What the I/O thread puts into a Global Stocks handle's ring.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum GlobalItem {
    /// A packet, with when the I/O thread read it.
    Packet {
        /// The packet.
        packet: GlobalPacket,
        /// When the I/O thread read it ([`crate::time::now_ns`]).
        recv_ns: u64,
    },
    /// A connection change.
    Connection(ConnectionEvent),
}

/// What the I/O thread puts into the order handle's ring.
///
/// Ring slots are fixed-size, so the large update is stored inline on purpose:
/// boxing it would allocate per message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum OrderItem {
    /// An `order_alert`.
    Update {
        /// The update.
        update: OrderUpdate,
        /// When the I/O thread read it.
        recv_ns: u64,
    },
    /// A connection change.
    Connection(ConnectionEvent),
    /// A message that could not be parsed (the objects around it still were).
    Error(OrderFeedError),
    /// The order connection was down from `from_ns` to `to_ns` (both
    /// [`crate::time::now_ns`]); Dhan does not replay what it sent meanwhile.
    /// Follows the `Reconnected` event.
    Outage {
        /// When it went down.
        from_ns: u64,
        /// When it was live again.
        to_ns: u64,
    },
    /// Updates lost: the consumer's ring and the spill behind it were full.
    Gap {
        /// How many.
        missed: u64,
        /// When the I/O thread read the first and the last of them.
        first_ns: u64,
        /// See `first_ns`.
        last_ns: u64,
    },
}
