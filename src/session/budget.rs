//! The connection budget: how many sockets of each feed kind a user may hold
//! (Dhan disconnects the oldest with 805 past five) and how fast new ones may be
//! opened (a burst of handshakes draws HTTP 429). Pure: time comes in as `now`.

use crate::proto::endpoint::FeedKind;
use crate::time::after;
use std::time::{Duration, Instant};

/// Limits of the budget; every default documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetConfig {
    /// Connections per feed kind (market feed, 20-depth, 200-depth). Dhan: 5. Default 5.
    pub per_kind: usize,
    /// Order-update connections. Default 1.
    pub order_updates: usize,
    /// Minimum time between two connection openings, across every kind. Default 250 ms.
    pub gap: Duration,
    /// How long a connection waits before asking again when its kind is full.
    /// Default 1 s.
    pub full_retry: Duration,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            per_kind: 5,
            order_updates: 1,
            gap: Duration::from_millis(250),
            full_retry: Duration::from_secs(1),
        }
    }
}

/// The answer to a request for a new connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// Open it now; the slot is held until [`Budget::release`].
    Granted,
    /// Ask again at this instant (always later than `now`): another opening is in
    /// progress, the gap has not passed, or the kind is full.
    WaitUntil(Instant),
}

/// Connections held per kind by one user, and the pacing of new ones.
///
/// A slot is *pending* from [`Budget::try_open`] until [`Budget::established`]
/// (the upgrade succeeded); only one opening is pending at a time.
#[derive(Clone, Debug)]
pub struct Budget {
    cfg: BudgetConfig,
    open: [usize; 4],
    pending: usize,
    last_open: Option<Instant>,
}

fn index(kind: FeedKind) -> usize {
    match kind {
        FeedKind::MarketFeed => 0,
        FeedKind::Depth20 => 1,
        FeedKind::Depth200 => 2,
        FeedKind::OrderUpdate => 3,
    }
}

impl Budget {
    /// An empty budget.
    pub fn new(cfg: BudgetConfig) -> Self {
        Self {
            cfg,
            open: [0; 4],
            pending: 0,
            last_open: None,
        }
    }

    /// How many connections of `kind` may exist at once.
    pub fn limit(&self, kind: FeedKind) -> usize {
        match kind {
            FeedKind::OrderUpdate => self.cfg.order_updates,
            _ => self.cfg.per_kind,
        }
    }

    /// Connections of `kind` held now (pending or established).
    pub fn open(&self, kind: FeedKind) -> usize {
        self.open[index(kind)]
    }

    /// Openings in progress (0 or 1).
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Asks for a new connection of `kind` at `now`.
    pub fn try_open(&mut self, kind: FeedKind, now: Instant) -> Grant {
        if self.open[index(kind)] >= self.limit(kind) {
            return Grant::WaitUntil(after(
                now,
                self.cfg.full_retry.max(Duration::from_millis(1)),
            ));
        }
        if self.pending > 0 {
            return Grant::WaitUntil(after(now, self.cfg.gap.max(Duration::from_millis(1))));
        }
        if let Some(t) = self.last_open
            && now < after(t, self.cfg.gap)
        {
            return Grant::WaitUntil(after(t, self.cfg.gap));
        }
        self.open[index(kind)] += 1;
        self.pending += 1;
        self.last_open = Some(now);
        Grant::Granted
    }

    /// The pending opening of `kind` finished its handshake.
    pub fn established(&mut self, kind: FeedKind) {
        debug_assert!(self.open[index(kind)] > 0);
        self.pending = self.pending.saturating_sub(1);
    }

    /// A connection of `kind` is gone; `pending` says whether it never got established.
    pub fn release(&mut self, kind: FeedKind, pending: bool) {
        let n = &mut self.open[index(kind)];
        *n = n.saturating_sub(1);
        if pending {
            self.pending = self.pending.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openings_are_one_at_a_time_and_spaced_by_the_gap() {
        let mut b = Budget::new(BudgetConfig::default());
        let t0 = Instant::now();
        assert_eq!(b.try_open(FeedKind::MarketFeed, t0), Grant::Granted);
        // A second one waits while the first is pending…
        assert!(matches!(b.try_open(FeedKind::Depth20, t0), Grant::WaitUntil(t) if t > t0));
        b.established(FeedKind::MarketFeed);
        // …and until the gap has passed.
        let gap = b.cfg.gap;
        assert_eq!(
            b.try_open(FeedKind::Depth20, t0 + gap / 2),
            Grant::WaitUntil(t0 + gap)
        );
        assert_eq!(b.try_open(FeedKind::Depth20, t0 + gap), Grant::Granted);
    }

    #[test]
    fn a_kind_never_exceeds_its_limit_and_a_release_frees_a_slot() {
        let mut b = Budget::new(BudgetConfig {
            gap: Duration::ZERO,
            ..BudgetConfig::default()
        });
        let t = Instant::now();
        for _ in 0..5 {
            assert_eq!(b.try_open(FeedKind::MarketFeed, t), Grant::Granted);
            b.established(FeedKind::MarketFeed);
        }
        assert!(matches!(
            b.try_open(FeedKind::MarketFeed, t),
            Grant::WaitUntil(_)
        ));
        assert_eq!(b.open(FeedKind::MarketFeed), 5);
        // Other kinds have their own five; order updates only one.
        assert_eq!(b.try_open(FeedKind::OrderUpdate, t), Grant::Granted);
        b.established(FeedKind::OrderUpdate);
        assert!(matches!(
            b.try_open(FeedKind::OrderUpdate, t),
            Grant::WaitUntil(_)
        ));
        b.release(FeedKind::MarketFeed, false);
        assert_eq!(b.try_open(FeedKind::MarketFeed, t), Grant::Granted);
        b.release(FeedKind::MarketFeed, true);
        assert_eq!(b.pending(), 0);
        assert_eq!(b.open(FeedKind::MarketFeed), 4);
    }
}
