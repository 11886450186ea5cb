//! The rows a sink has taken from its rings and not yet committed.

use crate::event::MarketEvent;
use crate::feed::Candle;
use crate::proto::InstrumentId;
use crate::proto::depth::{DepthLevel, DepthSide};
use crate::proto::order::OrderUpdate;

/// Depth levels a `depth_top` row keeps a side.
pub(crate) const TOP_LEVELS: usize = 5;

/// A gap: events that never reached the sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GapRow {
    /// `market`, `orders`, `depth20` or `depth200`.
    pub feed: &'static str,
    /// How many events.
    pub missed: u64,
    /// `ring_full`, `spill_full`, `outage`.
    pub reason: &'static str,
    /// When the sink saw it ([`crate::now_ns`]).
    pub recv_ns: u64,
}

/// One side of a depth book after an update: its best levels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct DepthRow {
    pub id: InstrumentId,
    /// 20 or 200.
    pub depth: u16,
    pub side: DepthSide,
    /// Levels the side had (the row keeps the first [`TOP_LEVELS`]).
    pub levels: u16,
    pub top: [Option<DepthLevel>; TOP_LEVELS],
    pub recv_ns: u64,
}

/// A bar of the sink's candle aggregator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct CandleRow {
    pub bar: Candle,
    /// Closed by a later packet (`false`: handed out at the sink's stop, so it
    /// may be partial).
    pub closed: bool,
    pub recv_ns: u64,
}

/// Rows waiting for the next commit.
#[derive(Default)]
pub(crate) struct Batch {
    pub market: Vec<MarketEvent>,
    pub orders: Vec<(Box<OrderUpdate>, u64)>,
    pub depth: Vec<DepthRow>,
    pub candles: Vec<CandleRow>,
    pub gaps: Vec<GapRow>,
}

impl Batch {
    pub(crate) fn len(&self) -> usize {
        self.market.len()
            + self.orders.len()
            + self.depth.len()
            + self.candles.len()
            + self.gaps.len()
    }

    pub(crate) fn clear(&mut self) {
        self.market.clear();
        self.orders.clear();
        self.depth.clear();
        self.candles.clear();
        self.gaps.clear();
    }
}
