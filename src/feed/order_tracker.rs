//! A bounded order tracker: turns the order-update feed into lifecycle events.
//!
//! [`OrderTracker::track`] remembers the last state of each order (keyed by its
//! `OrderNo`) and, for every update, emits an [`OrderEvent::Update`] followed by
//! whatever changed since the previous update of the same order: a status change,
//! an execution (traded quantity rose), and a notable status reached (traded,
//! rejected, cancelled, expired; also on an order's first update). This mirrors
//! the Ruby gem's order tracker (docs/protocol.md §10), except that a
//! repeated update in an unchanged status does not repeat the notable event, and
//! without the gem's unbounded maps: at most
//! [`OrderTrackerConfig::max_orders`] orders are kept, the least recently updated
//! one is evicted when full, and orders not updated for
//! [`OrderTrackerConfig::max_age`] are forgotten.
//!
//! Pure: no I/O, threads or clock reads; time comes in as `now`. Storage is
//! allocated up front by [`OrderTracker::new`], so tracking never allocates.

use crate::config::OrderTrackerConfig;
use crate::event::OrderFeedError;
use crate::proto::order::OrderUpdate;
use crate::proto::order_status::OrderStatus;
use crate::proto::text::Text;
use std::collections::HashMap;
use std::ops::{BitOr, BitOrAssign};
use std::time::Instant;

/// An order id: the `OrderNo` text of [`OrderUpdate::order_no`], inline and `Copy`.
pub type OrderNo = Text<32>;
/// The reason of a WebSocket close frame (RFC 6455 allows at most 123 bytes).
pub type CloseReason = Text<123>;

/// What an [`OrderTracker`] remembers of one order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackedOrder {
    /// The order id.
    pub order_no: OrderNo,
    /// The last status received (an update without a status leaves it unchanged).
    pub status: OrderStatus,
    /// The highest traded quantity received (a lower or absent value never lowers it).
    pub traded_qty: i64,
    /// The last non-zero order quantity received.
    pub quantity: i64,
    /// When the order was last updated (the `now` of that [`OrderTracker::track`]).
    pub last_update: Instant,
}

/// One event of the order-update feed. `Copy` and fixed size (about 1 KiB, the size
/// of an inline [`OrderUpdate`]), so it can travel through an SPSC ring.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum OrderEvent {
    /// Any order update, as received. Always the first event of an update.
    Update(OrderUpdate),
    /// The status of a tracked order changed (compared ignoring ASCII case).
    StatusChange {
        /// The order.
        order_no: OrderNo,
        /// The status before this update.
        previous: OrderStatus,
        /// The status of this update, as sent.
        new: OrderStatus,
        /// Learnt from the order book after a gap, not from the feed (see
        /// [`OrderUpdate::reconciled`]).
        reconciled: bool,
    },
    /// The traded quantity of a tracked order rose.
    Execution {
        /// The order.
        order_no: OrderNo,
        /// Traded quantity before this update.
        previous_traded_qty: i64,
        /// Traded quantity now.
        new_traded_qty: i64,
        /// `new_traded_qty` as a percentage of the order quantity (0 if unknown).
        execution_percentage: f64,
        /// Learnt from the order book after a gap, not from the feed.
        reconciled: bool,
    },
    /// An order reached `TRADED` (fully filled): a tracked order changed into
    /// it, or an order's first update carries it. Carries the update.
    Traded(OrderUpdate),
    /// An order reached `REJECTED` (as for `Traded`); see `reason_description`.
    Rejected(OrderUpdate),
    /// An order reached `CANCELLED` (as for `Traded`).
    Cancelled(OrderUpdate),
    /// An order reached `EXPIRED` (as for `Traded`).
    Expired(OrderUpdate),
    /// The order-update connection opened (emitted by the engine, not the tracker).
    Open,
    /// The order-update connection closed (emitted by the engine).
    Close {
        /// The WebSocket close code, if a close frame carried one.
        code: Option<u16>,
        /// The close reason, possibly empty.
        reason: CloseReason,
    },
    /// An error of the feed (emitted by the engine): an unparsable message, a
    /// failed connection attempt, a stopped session.
    Error(OrderFeedError),
    /// The client's I/O thread no longer runs: nothing more will arrive. Every
    /// receive call returns this at once once the ring is empty, whatever
    /// [`OrderFeed::only`](crate::OrderFeed::only) asked for.
    EngineStopped(crate::event::EngineStop),
    /// The handle reconciled with the order book after a gap: of `orders`
    /// orders in the book, `changed` had moved on unseen and their events (with
    /// `OrderUpdate::reconciled` set) came just before this. Delivered whatever
    /// [`OrderFeed::only`](crate::OrderFeed::only) asked for.
    Reconciled {
        /// Orders in the book.
        orders: u32,
        /// Orders whose missed state was applied.
        changed: u32,
    },
    /// Updates may be missing between `from_ns` and `to_ns`
    /// ([`crate::time::now_ns`]): see `reason`. In its place among the events,
    /// whatever [`OrderFeed::only`](crate::OrderFeed::only) asked for.
    Gap {
        /// Why.
        reason: GapReason,
        /// From when.
        from_ns: u64,
        /// Until when.
        to_ns: u64,
    },
}

/// Why order updates may be missing ([`OrderEvent::Gap`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GapReason {
    /// The handle's ring and the spill behind it
    /// (`ClientConfig::order_spill_bytes`) were full: `missed` updates, read
    /// from `from_ns` to `to_ns`, were lost.
    SpillFull {
        /// How many.
        missed: u64,
    },
    /// The order connection was down from `from_ns` to `to_ns` (after it came
    /// back): Dhan does not replay the updates it sent meanwhile.
    Outage,
}

impl OrderEvent {
    /// A [`OrderEvent::Close`]; `reason` is cut to 123 bytes if longer.
    pub fn close(code: Option<u16>, reason: &str) -> Self {
        Self::Close {
            code,
            reason: Text::new(reason),
        }
    }

    /// The single kind bit of this event, for filtering with [`OrderEventKinds`].
    pub fn kind(&self) -> OrderEventKinds {
        match self {
            Self::Update(_) => OrderEventKinds::UPDATE,
            Self::StatusChange { .. } => OrderEventKinds::STATUS_CHANGE,
            Self::Execution { .. } => OrderEventKinds::EXECUTION,
            Self::Traded(_) => OrderEventKinds::TRADED,
            Self::Rejected(_) => OrderEventKinds::REJECTED,
            Self::Cancelled(_) => OrderEventKinds::CANCELLED,
            Self::Expired(_) => OrderEventKinds::EXPIRED,
            Self::Open => OrderEventKinds::OPEN,
            Self::Close { .. } => OrderEventKinds::CLOSE,
            Self::Error(_) => OrderEventKinds::ERROR,
            Self::EngineStopped(_) => OrderEventKinds::ENGINE_STOPPED,
            Self::Gap { .. } => OrderEventKinds::GAP,
            Self::Reconciled { .. } => OrderEventKinds::RECONCILED,
        }
    }

    /// The order this event is about, or `None` for connection-level events.
    pub fn order_no(&self) -> Option<&OrderNo> {
        match self {
            Self::Update(u)
            | Self::Traded(u)
            | Self::Rejected(u)
            | Self::Cancelled(u)
            | Self::Expired(u) => Some(&u.order_no),
            Self::StatusChange { order_no, .. } | Self::Execution { order_no, .. } => {
                Some(order_no)
            }
            Self::Open
            | Self::Close { .. }
            | Self::Error(_)
            | Self::EngineStopped(_)
            | Self::Gap { .. }
            | Self::Reconciled { .. } => None,
        }
    }
}

/// A set of [`OrderEvent`] kinds: a bitmask a consumer uses to receive only what it
/// asks for (`wanted.contains(event.kind())`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrderEventKinds(u16);

impl OrderEventKinds {
    /// No kind.
    pub const NONE: Self = Self(0);
    /// [`OrderEvent::Update`].
    pub const UPDATE: Self = Self(1 << 0);
    /// [`OrderEvent::StatusChange`].
    pub const STATUS_CHANGE: Self = Self(1 << 1);
    /// [`OrderEvent::Execution`].
    pub const EXECUTION: Self = Self(1 << 2);
    /// [`OrderEvent::Traded`].
    pub const TRADED: Self = Self(1 << 3);
    /// [`OrderEvent::Rejected`].
    pub const REJECTED: Self = Self(1 << 4);
    /// [`OrderEvent::Cancelled`].
    pub const CANCELLED: Self = Self(1 << 5);
    /// [`OrderEvent::Expired`].
    pub const EXPIRED: Self = Self(1 << 6);
    /// [`OrderEvent::Open`].
    pub const OPEN: Self = Self(1 << 7);
    /// [`OrderEvent::Close`].
    pub const CLOSE: Self = Self(1 << 8);
    /// [`OrderEvent::Error`].
    pub const ERROR: Self = Self(1 << 9);
    /// [`OrderEvent::EngineStopped`] (delivered whatever the filter).
    pub const ENGINE_STOPPED: Self = Self(1 << 10);
    /// [`OrderEvent::Gap`] (delivered whatever the filter).
    pub const GAP: Self = Self(1 << 11);
    /// [`OrderEvent::Reconciled`] (delivered whatever the filter).
    pub const RECONCILED: Self = Self(1 << 12);
    /// Every kind.
    pub const ALL: Self = Self((1 << 13) - 1);

    /// The raw bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every kind in `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for OrderEventKinds {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for OrderEventKinds {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

/// Marks "no slot" in the intrusive lists.
const NIL: usize = usize::MAX;

/// A slab slot: a tracked order and its links in the recency list (or, for a free
/// slot, `next` links the free list).
#[derive(Clone, Copy, Debug)]
struct Node {
    order: TrackedOrder,
    prev: usize,
    next: usize,
}

/// Remembers the last state of up to `max_orders` orders and derives lifecycle
/// events from each update. See the module docs.
///
/// Storage: a slab of nodes preallocated to `max_orders`, threaded by an intrusive
/// doubly linked list from least to most recently updated (so eviction and
/// "touch" are O(1)), and a `HashMap` from order id to slot. The map is created
/// with room for `2 × max_orders` entries: it never holds more than `max_orders`,
/// so when deletion tombstones fill it, `hashbrown` rehashes in place instead of
/// growing, and tracking performs no allocation after [`OrderTracker::new`].
#[derive(Debug)]
pub struct OrderTracker {
    cfg: OrderTrackerConfig,
    index: HashMap<OrderNo, usize>,
    nodes: Vec<Node>,
    /// Head of the free list (slots vacated by eviction).
    free: usize,
    /// Least recently updated order.
    head: usize,
    /// Most recently updated order.
    tail: usize,
    evicted: u64,
    /// The latest `now` seen: time never runs backwards inside the tracker.
    clock: Option<Instant>,
}

impl OrderTracker {
    /// A tracker with all its storage allocated.
    ///
    /// # Panics
    ///
    /// If `2 × max_orders` map entries cannot be allocated (capacity overflow).
    pub fn new(cfg: OrderTrackerConfig) -> Self {
        Self {
            cfg,
            index: HashMap::with_capacity(cfg.max_orders.saturating_mul(2)),
            nodes: Vec::with_capacity(cfg.max_orders),
            free: NIL,
            head: NIL,
            tail: NIL,
            evicted: 0,
            clock: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &OrderTrackerConfig {
        &self.cfg
    }

    /// Orders tracked now (never more than `max_orders`).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no order is tracked.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Orders evicted so far, for either limit.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The tracked state of `order_no`, if it is tracked.
    pub fn get(&self, order_no: &str) -> Option<&TrackedOrder> {
        let i = *self.index.get(&key(order_no))?;
        Some(&self.nodes[i].order)
    }

    /// Takes one update at time `now`, calling `emit` with its events in order:
    ///
    /// 1. [`OrderEvent::Update`], always;
    /// 2. if the order was already tracked:
    ///    * [`OrderEvent::StatusChange`] when the status differs, ignoring ASCII
    ///      case (an update without a status changes nothing);
    ///    * [`OrderEvent::Execution`] when the traded quantity rose;
    ///    * with a status change into `TRADED`, `REJECTED`, `CANCELLED` or
    ///      `EXPIRED`, the matching [`OrderEvent::Traded`], [`OrderEvent::Rejected`],
    ///      [`OrderEvent::Cancelled`] or [`OrderEvent::Expired`]. `PART_TRADED` has
    ///      no such event (its fills are [`OrderEvent::Execution`]s); neither have
    ///      `TRANSIT`, `PENDING`, `TRIGGERED`, `MODIFIED`, `CLOSED` or unknown values.
    ///
    /// The first update of an order (including one arriving after its order was
    /// evicted) yields `Update` and, when its status is already `TRADED`,
    /// `REJECTED`, `CANCELLED` or `EXPIRED`, the matching event (as the Ruby gem
    /// does), but never `StatusChange` or `Execution`: there is nothing to compare
    /// with. A repeated update in the same status yields no second such event. Orders older than `max_age` are evicted first.
    /// An update with an empty `OrderNo` is reported but not tracked. Updates are
    /// taken in arrival order; `now` earlier than a previous `now` counts as that
    /// previous time.
    pub fn track(&mut self, update: &OrderUpdate, now: Instant, mut emit: impl FnMut(OrderEvent)) {
        let now = self.advance_clock(now);
        self.evict_older_than(now);
        emit(OrderEvent::Update(*update));
        if self.cfg.max_orders == 0 || update.order_no.is_empty() {
            return;
        }
        let order_no = key(update.order_no.as_str());
        let Some(&i) = self.index.get(&order_no) else {
            self.insert(first_state(order_no, update, now));
            // An order first seen in a terminal status (after a restart or an
            // eviction, or a rejection that is its only alert) still reports it.
            if let Some(ev) = notable(update) {
                emit(ev);
            }
            return;
        };
        let prev = self.nodes[i].order;
        let status_changed =
            update.status != OrderStatus::Missing && !same_status(&prev.status, &update.status);
        let next = TrackedOrder {
            order_no,
            status: if status_changed {
                update.status
            } else {
                prev.status
            },
            traded_qty: prev.traded_qty.max(update.traded_qty),
            quantity: if update.quantity != 0 {
                update.quantity
            } else {
                prev.quantity
            },
            last_update: now,
        };
        self.nodes[i].order = next;
        self.unlink(i);
        self.push_tail(i);

        if status_changed {
            emit(OrderEvent::StatusChange {
                order_no,
                previous: prev.status,
                new: update.status,
                reconciled: update.reconciled,
            });
        }
        if next.traded_qty > prev.traded_qty {
            emit(OrderEvent::Execution {
                order_no,
                previous_traded_qty: prev.traded_qty,
                new_traded_qty: next.traded_qty,
                execution_percentage: percentage(next.traded_qty, next.quantity),
                reconciled: update.reconciled,
            });
        }
        if status_changed && let Some(ev) = notable(update) {
            emit(ev);
        }
    }

    /// Evicts every order not updated for longer than `max_age` before `now`, and
    /// returns how many were evicted. [`OrderTracker::track`] also does this.
    pub fn evict_expired(&mut self, now: Instant) -> usize {
        let now = self.advance_clock(now);
        self.evict_older_than(now)
    }

    fn advance_clock(&mut self, now: Instant) -> Instant {
        let now = match self.clock {
            Some(c) if c > now => c,
            _ => now,
        };
        self.clock = Some(now);
        now
    }

    /// The recency list is also ordered by `last_update` (the clock never goes
    /// back), so expired orders are a prefix of it.
    fn evict_older_than(&mut self, now: Instant) -> usize {
        let mut n = 0;
        while self.head != NIL {
            let age = now.saturating_duration_since(self.nodes[self.head].order.last_update);
            if age <= self.cfg.max_age {
                break;
            }
            self.evict_head();
            n += 1;
        }
        n
    }

    fn insert(&mut self, order: TrackedOrder) {
        if self.index.len() >= self.cfg.max_orders {
            self.evict_head();
        }
        let node = Node {
            order,
            prev: NIL,
            next: NIL,
        };
        let i = if self.free != NIL {
            let i = self.free;
            self.free = self.nodes[i].next;
            self.nodes[i] = node;
            i
        } else {
            self.nodes.push(node);
            self.nodes.len() - 1
        };
        self.push_tail(i);
        self.index.insert(order.order_no, i);
    }

    fn evict_head(&mut self) {
        let i = self.head;
        if i == NIL {
            return;
        }
        self.unlink(i);
        self.index.remove(&self.nodes[i].order.order_no);
        self.nodes[i].next = self.free;
        self.free = i;
        self.evicted += 1;
    }

    fn unlink(&mut self, i: usize) {
        let Node { prev, next, .. } = self.nodes[i];
        match prev {
            NIL => self.head = next,
            p => self.nodes[p].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.nodes[n].prev = prev,
        }
        self.nodes[i].prev = NIL;
        self.nodes[i].next = NIL;
    }

    fn push_tail(&mut self, i: usize) {
        self.nodes[i].prev = self.tail;
        self.nodes[i].next = NIL;
        match self.tail {
            NIL => self.head = i,
            t => self.nodes[t].next = i,
        }
        self.tail = i;
    }
}

impl Default for OrderTracker {
    /// A tracker with [`OrderTrackerConfig::default`].
    fn default() -> Self {
        Self::new(OrderTrackerConfig::default())
    }
}

/// The map key of an order id: its text (cut to 32 bytes) in a fresh [`Text`], so
/// equal ids are equal keys whatever the source `Text` held past its length
/// (`Text`'s derived `Eq`/`Hash` read the whole buffer and the truncation flag).
fn key(order_no: &str) -> OrderNo {
    let t = OrderNo::new(order_no);
    if t.is_truncated() {
        OrderNo::new(t.as_str())
    } else {
        t
    }
}

fn first_state(order_no: OrderNo, u: &OrderUpdate, now: Instant) -> TrackedOrder {
    TrackedOrder {
        order_no,
        status: u.status,
        traded_qty: u.traded_qty,
        quantity: u.quantity,
        last_update: now,
    }
}

/// The event for an update whose status is traded, rejected, cancelled or expired.
fn notable(update: &OrderUpdate) -> Option<OrderEvent> {
    match canonical(&update.status) {
        OrderStatus::Traded => Some(OrderEvent::Traded(*update)),
        OrderStatus::Rejected => Some(OrderEvent::Rejected(*update)),
        OrderStatus::Cancelled => Some(OrderEvent::Cancelled(*update)),
        OrderStatus::Expired => Some(OrderEvent::Expired(*update)),
        _ => None,
    }
}

/// A status as the parser would have produced it: an `Unknown` holding a known
/// spelling (built by hand) becomes the named variant.
fn canonical(s: &OrderStatus) -> OrderStatus {
    match s {
        OrderStatus::Unknown(t) => OrderStatus::parse(t.as_str()),
        other => *other,
    }
}

fn same_status(a: &OrderStatus, b: &OrderStatus) -> bool {
    canonical(a)
        .as_str()
        .eq_ignore_ascii_case(canonical(b).as_str())
}

fn percentage(traded: i64, quantity: i64) -> f64 {
    if quantity == 0 {
        0.0
    } else {
        traded as f64 * 100.0 / quantity as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::order::{OrderMessageKind, OrderUpdateParser};
    use std::time::Duration;

    fn upd(order_no: &str, status: &str, traded: i64, qty: i64) -> OrderUpdate {
        OrderUpdate {
            order_no: Text::new(order_no),
            status: OrderStatus::parse(status),
            traded_qty: traded,
            quantity: qty,
            symbol: Text::new("RELIANCE"),
            ..OrderUpdate::EMPTY
        }
    }

    fn run(t: &mut OrderTracker, u: &OrderUpdate, now: Instant) -> Vec<OrderEvent> {
        let mut out = Vec::new();
        t.track(u, now, |e| out.push(e));
        out
    }

    fn kinds(evs: &[OrderEvent]) -> Vec<OrderEventKinds> {
        evs.iter().map(OrderEvent::kind).collect()
    }

    use OrderEventKinds as K;

    #[test]
    fn first_update_yields_update_and_only_its_terminal_status() {
        let mut t = OrderTracker::default();
        let now = Instant::now();
        let u = upd("1", "TRADED", 10, 10);
        let evs = run(&mut t, &u, now);
        // Traded, but no StatusChange or Execution: nothing to compare with.
        assert_eq!(evs, vec![OrderEvent::Update(u), OrderEvent::Traded(u)]);
        let s = t.get("1").expect("tracked");
        assert_eq!(
            (s.status, s.traded_qty, s.quantity),
            (OrderStatus::Traded, 10, 10)
        );
        assert_eq!(s.last_update, now);
        // A rejection that is an order's only alert is reported; a repeat is not.
        let r = upd("2", "Rejected", 0, 5);
        assert_eq!(kinds(&run(&mut t, &r, now)), [K::UPDATE, K::REJECTED]);
        assert_eq!(kinds(&run(&mut t, &r, now)), [K::UPDATE]);
        for (no, status, kind) in [
            ("3", "CANCELLED", K::CANCELLED),
            ("4", "EXPIRED", K::EXPIRED),
        ] {
            assert_eq!(
                kinds(&run(&mut t, &upd(no, status, 0, 5), now)),
                [K::UPDATE, kind]
            );
        }
        // A first update in any other status yields only Update.
        for (no, status) in [
            ("5", "TRANSIT"),
            ("6", "PENDING"),
            ("7", "PART_TRADED"),
            ("8", ""),
        ] {
            assert_eq!(
                kinds(&run(&mut t, &upd(no, status, 1, 5), now)),
                [K::UPDATE],
                "{status}"
            );
        }
    }

    #[test]
    fn transit_pending_traded() {
        let mut t = OrderTracker::default();
        let t0 = Instant::now();
        run(&mut t, &upd("7", "TRANSIT", 0, 50), t0);
        let evs = run(&mut t, &upd("7", "PENDING", 0, 50), t0);
        assert_eq!(kinds(&evs), [K::UPDATE, K::STATUS_CHANGE]);
        assert_eq!(
            evs[1],
            OrderEvent::StatusChange {
                order_no: Text::new("7"),
                previous: OrderStatus::Transit,
                new: OrderStatus::Pending,
                reconciled: false,
            }
        );
        let last = upd("7", "TRADED", 50, 50);
        let evs = run(&mut t, &last, t0);
        assert_eq!(
            kinds(&evs),
            [K::UPDATE, K::STATUS_CHANGE, K::EXECUTION, K::TRADED]
        );
        assert_eq!(
            evs[2],
            OrderEvent::Execution {
                order_no: Text::new("7"),
                previous_traded_qty: 0,
                new_traded_qty: 50,
                execution_percentage: 100.0,
                reconciled: false,
            }
        );
        assert_eq!(evs[3], OrderEvent::Traded(last));
        assert_eq!(t.get("7").map(|s| s.status), Some(OrderStatus::Traded));
    }

    #[test]
    fn partial_fills_report_quantities_and_percentages() {
        let mut t = OrderTracker::default();
        let t0 = Instant::now();
        run(&mut t, &upd("9", "PENDING", 0, 200), t0);
        let evs = run(&mut t, &upd("9", "PART_TRADED", 50, 200), t0);
        assert_eq!(kinds(&evs), [K::UPDATE, K::STATUS_CHANGE, K::EXECUTION]);
        assert_eq!(
            evs[2],
            OrderEvent::Execution {
                order_no: Text::new("9"),
                previous_traded_qty: 0,
                new_traded_qty: 50,
                execution_percentage: 25.0,
                reconciled: false,
            }
        );
        // A second fill while still PART_TRADED: execution only, no status change.
        let evs = run(&mut t, &upd("9", "Part Traded", 150, 200), t0);
        assert_eq!(kinds(&evs), [K::UPDATE, K::EXECUTION]);
        assert!(matches!(
            evs[1],
            OrderEvent::Execution { previous_traded_qty: 50, new_traded_qty: 150, execution_percentage: p, .. }
                if p == 75.0
        ));
        let evs = run(&mut t, &upd("9", "TRADED", 200, 200), t0);
        assert_eq!(
            kinds(&evs),
            [K::UPDATE, K::STATUS_CHANGE, K::EXECUTION, K::TRADED]
        );
        assert!(matches!(
            evs[1],
            OrderEvent::StatusChange {
                previous: OrderStatus::PartTraded,
                new: OrderStatus::Traded,
                ..
            }
        ));
    }

    #[test]
    fn terminal_statuses_each_have_their_event() {
        let cases = [
            ("CANCELLED", K::CANCELLED),
            ("Cancelled", K::CANCELLED),
            ("REJECTED", K::REJECTED),
            ("EXPIRED", K::EXPIRED),
        ];
        for (status, kind) in cases {
            let mut t = OrderTracker::default();
            let t0 = Instant::now();
            run(&mut t, &upd("3", "PENDING", 0, 10), t0);
            let mut last = upd("3", status, 0, 10);
            last.reason_description = Text::new("RMS: margin shortfall");
            let evs = run(&mut t, &last, t0);
            assert_eq!(kinds(&evs), [K::UPDATE, K::STATUS_CHANGE, kind], "{status}");
            let expected = match kind {
                K::CANCELLED => OrderEvent::Cancelled(last),
                K::REJECTED => OrderEvent::Rejected(last),
                _ => OrderEvent::Expired(last),
            };
            assert_eq!(evs[2], expected);
            // A repeat of the same terminal update changes nothing.
            assert_eq!(kinds(&run(&mut t, &last, t0)), [K::UPDATE]);
        }
    }

    #[test]
    fn status_case_variants_are_the_same_status() {
        let mut t = OrderTracker::default();
        let t0 = Instant::now();
        run(&mut t, &upd("5", "TRADED", 5, 5), t0);
        assert_eq!(
            kinds(&run(&mut t, &upd("5", "traded", 5, 5), t0)),
            [K::UPDATE]
        );
        // Unknown values compare by text, ignoring ASCII case.
        run(&mut t, &upd("6", "Wibble", 0, 5), t0);
        assert_eq!(
            kinds(&run(&mut t, &upd("6", "WIBBLE", 0, 5), t0)),
            [K::UPDATE]
        );
        let evs = run(&mut t, &upd("6", "Wobble", 0, 5), t0);
        assert_eq!(kinds(&evs), [K::UPDATE, K::STATUS_CHANGE]);
        // A hand-built Unknown("traded") is the named status.
        let mut u = upd("5", "", 5, 5);
        u.status = OrderStatus::Unknown(Text::new("traded"));
        assert_eq!(kinds(&run(&mut t, &u, t0)), [K::UPDATE]);
    }

    #[test]
    fn absent_status_and_lower_traded_qty_change_nothing() {
        let mut t = OrderTracker::default();
        let t0 = Instant::now();
        run(&mut t, &upd("8", "PART_TRADED", 40, 100), t0);
        // No Status, no TradedQty, no Quantity in this update.
        assert_eq!(kinds(&run(&mut t, &upd("8", "", 0, 0), t0)), [K::UPDATE]);
        let s = t.get("8").expect("tracked");
        assert_eq!(
            (s.status, s.traded_qty, s.quantity),
            (OrderStatus::PartTraded, 40, 100)
        );
        // So the next real fill is measured from 40, not from 0.
        let evs = run(&mut t, &upd("8", "PART_TRADED", 60, 0), t0);
        assert!(matches!(
            evs[1],
            OrderEvent::Execution { previous_traded_qty: 40, new_traded_qty: 60, execution_percentage: p, .. }
                if p == 60.0
        ));
    }

    #[test]
    fn reused_and_overlong_ids_are_the_same_order() {
        let mut t = OrderTracker::default();
        let t0 = Instant::now();
        run(&mut t, &upd("12", "PENDING", 0, 1), t0);
        // A reused update whose id was overwritten by a shorter one.
        let mut u = upd("123456789", "TRADED", 1, 1);
        u.order_no.set("12");
        assert_eq!(
            kinds(&run(&mut t, &u, t0)),
            [K::UPDATE, K::STATUS_CHANGE, K::EXECUTION, K::TRADED]
        );
        // Ids longer than 32 bytes are kept cut, and found by their full text.
        let long = "9".repeat(40);
        run(&mut t, &upd(&long, "PENDING", 0, 1), t0);
        assert_eq!(t.get(&long).map(|s| s.order_no.as_str()), Some(&long[..32]));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn updates_parsed_from_json_drive_events() {
        let frame = br#"{"Data":{"OrderNo":"112111182198","Status":"Pending","Quantity":"10","TradedQty":0},"Type":"order_alert"}
{"Data":{"orderNo":"112111182198","status":"Cancelled","quantity":10,"tradedQty":0},"Type":"order_alert"}"#;
        let mut parser = OrderUpdateParser::new();
        let mut slot = OrderUpdate::EMPTY;
        let mut t = OrderTracker::default();
        let t0 = Instant::now();
        let mut evs = Vec::new();
        parser.parse_frame(frame, &mut slot, |r| match r {
            Ok((OrderMessageKind::Update, u)) => t.track(u, t0, |e| evs.push(e)),
            other => panic!("unexpected {other:?}"),
        });
        assert_eq!(
            kinds(&evs),
            [K::UPDATE, K::UPDATE, K::STATUS_CHANGE, K::CANCELLED]
        );
        assert_eq!(evs[3].order_no().map(|n| n.as_str()), Some("112111182198"));
        assert_eq!(t.get("112111182198").map(|s| s.quantity), Some(10));
    }

    #[test]
    fn least_recently_updated_is_evicted_when_full() {
        let cfg = OrderTrackerConfig {
            max_orders: 3,
            ..OrderTrackerConfig::default()
        };
        let mut t = OrderTracker::new(cfg);
        let t0 = Instant::now();
        for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
            run(
                &mut t,
                &upd(id, "PENDING", 0, 1),
                t0 + Duration::from_secs(i as u64),
            );
        }
        // Touch "a": "b" becomes the least recently updated.
        run(
            &mut t,
            &upd("a", "PENDING", 0, 1),
            t0 + Duration::from_secs(10),
        );
        run(
            &mut t,
            &upd("d", "PENDING", 0, 1),
            t0 + Duration::from_secs(11),
        );
        assert_eq!(t.len(), 3);
        assert_eq!(t.evicted(), 1);
        assert!(t.get("b").is_none());
        for id in ["a", "c", "d"] {
            assert!(t.get(id).is_some(), "{id}");
        }
        // An evicted order starts again: its next update is a first update (no
        // StatusChange or Execution; its terminal status still reported).
        let evs = run(
            &mut t,
            &upd("b", "TRADED", 1, 1),
            t0 + Duration::from_secs(12),
        );
        assert_eq!(kinds(&evs), [K::UPDATE, K::TRADED]);
        assert!(t.get("c").is_none(), "c was the oldest");
    }

    #[test]
    fn len_never_exceeds_max_orders() {
        let cfg = OrderTrackerConfig {
            max_orders: 64,
            ..OrderTrackerConfig::default()
        };
        let mut t = OrderTracker::new(cfg);
        let t0 = Instant::now();
        for i in 0..1_000u64 {
            // Revisit older ids now and then so slots are reused in mixed order.
            let id = if i % 3 == 0 { i / 2 } else { i };
            run(&mut t, &upd(&id.to_string(), "PENDING", 0, 1), t0);
            assert!(t.len() <= 64);
        }
        let (inserts, kept) = lru_model(1_000, 64);
        assert_eq!(t.len(), 64);
        assert_eq!(t.evicted() as usize + t.len(), inserts);
        // The tracker keeps exactly the 64 most recently updated ids.
        for id in kept {
            assert!(t.get(&id.to_string()).is_some(), "{id}");
        }
    }

    /// Replays the id sequence of `len_never_exceeds_max_orders` on a naive LRU
    /// model: returns the insertions (first sightings and re-sightings after
    /// eviction) and the ids kept at the end.
    fn lru_model(n: u64, cap: usize) -> (usize, Vec<u64>) {
        let mut lru: Vec<u64> = Vec::new();
        let mut inserts = 0;
        for i in 0..n {
            let id = if i % 3 == 0 { i / 2 } else { i };
            if let Some(p) = lru.iter().position(|&x| x == id) {
                lru.remove(p);
            } else {
                inserts += 1;
                if lru.len() == cap {
                    lru.remove(0);
                }
            }
            lru.push(id);
        }
        (inserts, lru)
    }

    #[test]
    fn orders_older_than_max_age_are_evicted() {
        let cfg = OrderTrackerConfig {
            max_orders: 10,
            max_age: Duration::from_secs(60),
        };
        let mut t = OrderTracker::new(cfg);
        let t0 = Instant::now();
        run(&mut t, &upd("old", "PENDING", 0, 1), t0);
        run(
            &mut t,
            &upd("new", "PENDING", 0, 1),
            t0 + Duration::from_secs(30),
        );
        // Exactly max_age old is kept; older is not.
        assert_eq!(t.evict_expired(t0 + Duration::from_secs(60)), 0);
        assert_eq!(t.evict_expired(t0 + Duration::from_secs(61)), 1);
        assert!(t.get("old").is_none());
        assert!(t.get("new").is_some());
        // track evicts lazily too.
        run(
            &mut t,
            &upd("x", "PENDING", 0, 1),
            t0 + Duration::from_secs(200),
        );
        assert!(t.get("new").is_none());
        assert_eq!((t.len(), t.evicted()), (1, 2));
        // A clock that goes backwards counts as the latest time seen.
        run(&mut t, &upd("y", "PENDING", 0, 1), t0);
        assert_eq!(
            t.get("y").map(|s| s.last_update),
            Some(t0 + Duration::from_secs(200))
        );
    }

    #[test]
    fn zero_capacity_and_empty_order_no_are_not_tracked() {
        let mut t = OrderTracker::new(OrderTrackerConfig {
            max_orders: 0,
            ..OrderTrackerConfig::default()
        });
        let t0 = Instant::now();
        run(&mut t, &upd("1", "PENDING", 0, 1), t0);
        assert_eq!(
            kinds(&run(&mut t, &upd("1", "TRADED", 1, 1), t0)),
            [K::UPDATE]
        );
        assert!(t.is_empty());
        let mut t = OrderTracker::default();
        run(&mut t, &upd("", "PENDING", 0, 1), t0);
        assert_eq!(
            kinds(&run(&mut t, &upd("", "TRADED", 1, 1), t0)),
            [K::UPDATE]
        );
        assert!(t.is_empty());
    }

    #[test]
    fn kind_filter_selects_events() {
        let mut t = OrderTracker::default();
        let t0 = Instant::now();
        let wanted = K::TRADED | K::REJECTED;
        let mut got = Vec::new();
        for u in [
            upd("1", "PENDING", 0, 10),
            upd("1", "PART_TRADED", 5, 10),
            upd("1", "TRADED", 10, 10),
            upd("2", "PENDING", 0, 10),
            upd("2", "REJECTED", 0, 10),
        ] {
            t.track(&u, t0, |e| {
                if wanted.contains(e.kind()) {
                    got.push(e);
                }
            });
        }
        assert_eq!(kinds(&got), [K::TRADED, K::REJECTED]);
        assert_eq!(got[0].order_no().map(|n| n.as_str()), Some("1"));
        assert_eq!(got[1].order_no().map(|n| n.as_str()), Some("2"));
    }

    #[test]
    fn kinds_bitmask() {
        let all = [
            K::UPDATE,
            K::STATUS_CHANGE,
            K::EXECUTION,
            K::TRADED,
            K::REJECTED,
            K::CANCELLED,
            K::EXPIRED,
            K::OPEN,
            K::CLOSE,
            K::ERROR,
            K::ENGINE_STOPPED,
            K::GAP,
            K::RECONCILED,
        ];
        let mut union = K::NONE;
        for (i, k) in all.iter().enumerate() {
            assert_eq!(k.bits().count_ones(), 1);
            assert!(!union.contains(*k), "bit {i} is shared");
            union |= *k;
        }
        assert_eq!(union, K::ALL);
        assert!(K::ALL.contains(K::UPDATE | K::ERROR));
        assert!(!(K::UPDATE | K::OPEN).contains(K::CLOSE));
        assert!(K::NONE.is_empty());
        assert_eq!(OrderEvent::Open.kind(), K::OPEN);
        assert_eq!(
            OrderEvent::Error(OrderFeedError::malformed("boom")).kind(),
            K::ERROR
        );
        let close = OrderEvent::close(Some(1000), "bye");
        assert_eq!(close.kind(), K::CLOSE);
        assert!(matches!(close, OrderEvent::Close { code: Some(1000), reason } if reason == "bye"));
        assert_eq!(close.order_no(), None);
    }
}
