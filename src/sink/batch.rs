//! The rows a sink has taken from its rings and not yet committed.

use crate::event::MarketEvent;
use crate::proto::order::OrderUpdate;

/// A gap: events that never reached the sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GapRow {
    /// `market` or `orders`.
    pub feed: &'static str,
    /// How many events.
    pub missed: u64,
    /// `ring_full`, `spill_full`, `outage`.
    pub reason: &'static str,
    /// When the sink saw it ([`crate::now_ns`]).
    pub recv_ns: u64,
}

/// Rows waiting for the next commit.
#[derive(Default)]
pub(crate) struct Batch {
    pub market: Vec<MarketEvent>,
    pub orders: Vec<(Box<OrderUpdate>, u64)>,
    pub gaps: Vec<GapRow>,
}

impl Batch {
    pub(crate) fn len(&self) -> usize {
        self.market.len() + self.orders.len() + self.gaps.len()
    }

    pub(crate) fn clear(&mut self) {
        self.market.clear();
        self.orders.clear();
        self.gaps.clear();
    }
}
