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

/// Who asks for a connection: an id unique among the connections sharing the
/// budget, and since when it has been asking (without a grant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asker {
    /// Unique per connection.
    pub id: u64,
    /// When it first asked for the opening it is waiting for.
    pub since: Instant,
}

/// The asker that has waited longest, served next; and when it last asked.
#[derive(Clone, Copy, Debug)]
struct FirstInLine {
    asker: Asker,
    seen: Instant,
}

/// Connections held per kind by one user, and the pacing of new ones.
///
/// A slot is *pending* from [`Budget::try_open`] until [`Budget::established`]
/// (the upgrade succeeded); only one opening is pending at a time. When several
/// connections wait for the next opening, the one that has waited longest gets
/// it (whatever order the engine asks in), so no connection (the order feed's,
/// say, behind five market-feed connections that keep reconnecting) waits
/// without bound. A connection whose kind is full does not hold up the others.
#[derive(Clone, Debug)]
pub struct Budget {
    cfg: BudgetConfig,
    open: [usize; 5],
    pending: usize,
    last_open: Option<Instant>,
    first: Option<FirstInLine>,
}

fn index(kind: FeedKind) -> usize {
    match kind {
        FeedKind::MarketFeed => 0,
        FeedKind::Depth20 => 1,
        FeedKind::Depth200 => 2,
        FeedKind::OrderUpdate => 3,
        FeedKind::GlobalStocks => 4,
    }
}

impl Budget {
    /// An empty budget.
    pub fn new(cfg: BudgetConfig) -> Self {
        Self {
            cfg,
            open: [0; 5],
            pending: 0,
            last_open: None,
            first: None,
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

    /// Asks, as `who`, for a new connection of `kind` at `now`.
    pub fn try_open(&mut self, kind: FeedKind, now: Instant, who: Asker) -> Grant {
        if self.open[index(kind)] >= self.limit(kind) {
            return Grant::WaitUntil(after(
                now,
                self.cfg.full_retry.max(Duration::from_millis(1)),
            ));
        }
        // When the next opening may start (`now`: it may).
        let free_at = if self.pending > 0 {
            after(now, self.cfg.gap.max(Duration::from_millis(1)))
        } else {
            self.last_open
                .map_or(now, |t| after(t, self.cfg.gap))
                .max(now)
        };
        // Another asker that has waited longer, and still asks, goes first.
        if let Some(f) = self.first
            && f.asker.id != who.id
            && now <= after(f.seen, self.line_expiry())
            && f.asker.since <= who.since
        {
            let soon = after(now, self.cfg.gap.min(Duration::from_millis(10)));
            return Grant::WaitUntil(free_at.max(soon).max(now + Duration::from_millis(1)));
        }
        if free_at > now {
            self.first = Some(FirstInLine {
                asker: who,
                seen: now,
            });
            return Grant::WaitUntil(free_at);
        }
        self.first = None;
        self.open[index(kind)] += 1;
        self.pending += 1;
        self.last_open = Some(now);
        Grant::Granted
    }

    /// How long the first in line keeps its place without asking again: it asks
    /// at least once per gap while it waits, so one that stops asking (no longer
    /// wanted, or gone) does not hold up the others for long.
    fn line_expiry(&self) -> Duration {
        self.cfg
            .gap
            .saturating_mul(2)
            .saturating_add(Duration::from_millis(100))
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

    fn who(id: u64, since: Instant) -> Asker {
        Asker { id, since }
    }

    #[test]
    fn openings_are_one_at_a_time_and_spaced_by_the_gap() {
        let mut b = Budget::new(BudgetConfig::default());
        let t0 = Instant::now();
        let (m, d) = (who(1, t0), who(2, t0));
        assert_eq!(b.try_open(FeedKind::MarketFeed, t0, m), Grant::Granted);
        // A second one waits while the first is pending…
        assert!(matches!(b.try_open(FeedKind::Depth20, t0, d), Grant::WaitUntil(t) if t > t0));
        b.established(FeedKind::MarketFeed);
        // …and until the gap has passed.
        let gap = b.cfg.gap;
        assert_eq!(
            b.try_open(FeedKind::Depth20, t0 + gap / 2, d),
            Grant::WaitUntil(t0 + gap)
        );
        assert_eq!(b.try_open(FeedKind::Depth20, t0 + gap, d), Grant::Granted);
    }

    /// Five market connections that keep reconnecting, asked for first on every
    /// engine turn, used to take every opening ahead of the order connection:
    /// the one that has waited longest goes first.
    #[test]
    fn the_connection_waiting_longest_gets_the_next_opening() {
        let mut b = Budget::new(BudgetConfig::default());
        let gap = b.cfg.gap;
        let t0 = Instant::now();
        let mut t = t0;
        assert_eq!(
            b.try_open(FeedKind::MarketFeed, t, who(1, t)),
            Grant::Granted
        );
        for round in 0..20u64 {
            // The order connection wants to (re)connect while a market
            // connection's opening is pending.
            let orders = who(99, t);
            assert!(matches!(
                b.try_open(FeedKind::OrderUpdate, t, orders),
                Grant::WaitUntil(_)
            ));
            b.established(FeedKind::MarketFeed);
            b.release(FeedKind::MarketFeed, false);
            t += gap;
            // Another market connection asks first in the turn, having waited less.
            let market = who(2 + round, t - gap / 2);
            let first = b.try_open(FeedKind::MarketFeed, t, market);
            assert!(
                matches!(first, Grant::WaitUntil(_)),
                "round {round}: {first:?}"
            );
            let second = b.try_open(FeedKind::OrderUpdate, t, orders);
            assert_eq!(second, Grant::Granted, "round {round}");
            b.established(FeedKind::OrderUpdate);
            b.release(FeedKind::OrderUpdate, false);
            // The market connection gets the opening after.
            t += gap;
            assert_eq!(b.try_open(FeedKind::MarketFeed, t, market), Grant::Granted);
        }
    }

    /// One that stopped asking (no longer wanted, or gone) loses its place soon.
    #[test]
    fn a_first_in_line_that_stops_asking_holds_no_one_up() {
        let mut b = Budget::new(BudgetConfig::default());
        let gap = b.cfg.gap;
        let t0 = Instant::now();
        assert_eq!(
            b.try_open(FeedKind::MarketFeed, t0, who(1, t0)),
            Grant::Granted
        );
        b.established(FeedKind::MarketFeed);
        assert!(matches!(
            b.try_open(FeedKind::Depth20, t0, who(2, t0)),
            Grant::WaitUntil(_)
        ));
        let later = who(3, t0 + gap);
        assert!(matches!(
            b.try_open(FeedKind::Depth20, t0 + gap, later),
            Grant::WaitUntil(_)
        ));
        let t = t0 + gap * 3 + Duration::from_millis(101);
        assert_eq!(b.try_open(FeedKind::Depth20, t, later), Grant::Granted);
    }

    /// A connection whose kind is full does not take the line.
    #[test]
    fn a_full_kind_does_not_hold_up_other_kinds() {
        let mut b = Budget::new(BudgetConfig {
            order_updates: 1,
            ..BudgetConfig::default()
        });
        let gap = b.cfg.gap;
        let t0 = Instant::now();
        assert_eq!(
            b.try_open(FeedKind::OrderUpdate, t0, who(1, t0)),
            Grant::Granted
        );
        b.established(FeedKind::OrderUpdate);
        // A second order connection (full kind) has waited longest...
        assert!(matches!(
            b.try_open(FeedKind::OrderUpdate, t0, who(2, t0)),
            Grant::WaitUntil(_)
        ));
        // ...but a market connection gets the opening.
        let m = who(3, t0 + gap);
        assert_eq!(
            b.try_open(FeedKind::MarketFeed, t0 + gap, m),
            Grant::Granted
        );
    }

    #[test]
    fn a_kind_never_exceeds_its_limit_and_a_release_frees_a_slot() {
        let mut b = Budget::new(BudgetConfig {
            gap: Duration::ZERO,
            ..BudgetConfig::default()
        });
        let t = Instant::now();
        for _ in 0..5 {
            assert_eq!(
                b.try_open(FeedKind::MarketFeed, t, who(11, t)),
                Grant::Granted
            );
            b.established(FeedKind::MarketFeed);
        }
        assert!(matches!(
            b.try_open(FeedKind::MarketFeed, t, who(12, t)),
            Grant::WaitUntil(_)
        ));
        assert_eq!(b.open(FeedKind::MarketFeed), 5);
        // Other kinds have their own five; order updates only one.
        assert_eq!(
            b.try_open(FeedKind::OrderUpdate, t, who(13, t)),
            Grant::Granted
        );
        b.established(FeedKind::OrderUpdate);
        assert!(matches!(
            b.try_open(FeedKind::OrderUpdate, t, who(14, t)),
            Grant::WaitUntil(_)
        ));
        b.release(FeedKind::MarketFeed, false);
        assert_eq!(
            b.try_open(FeedKind::MarketFeed, t, who(15, t)),
            Grant::Granted
        );
        b.release(FeedKind::MarketFeed, true);
        assert_eq!(b.pending(), 0);
        assert_eq!(b.open(FeedKind::MarketFeed), 4);
    }
}
