//! 20- and 200-level order books assembled from the depth feeds' bid and ask
//! packets (docs/protocol.md §5.3).
//!
//! Dhan sends each side of a book as its own packet (code 41 bid, 51 ask), stacked
//! per instrument: bid then ask. [`DepthBooks::apply`] copies each packet into the
//! matching side of a preallocated [`DepthBook`] and reports small `Copy`
//! [`DepthEvent`]s; the consumer reads the book itself. Pure: no I/O or clock
//! reads (the receive time is passed in), and no allocation after
//! [`DepthBooks::add`].

use crate::proto::depth::{DepthKind, DepthLevel, DepthLevels, DepthPacket, DepthSide};
use crate::proto::segment::InstrumentId;
use crate::proto::text::Text;
use std::fmt;

/// The user's label for an instrument (e.g. its trading symbol), inline.
pub type Label = Text<32>;

/// Instruments per 20-level depth connection (docs/protocol.md §5.1).
pub const MAX_INSTRUMENTS_20: usize = 50;
/// Instruments per 200-level depth connection.
pub const MAX_INSTRUMENTS_200: usize = 1;

/// Instruments one connection of `kind` may carry: 50 for 20-level, 1 for 200-level.
pub const fn max_instruments(kind: DepthKind) -> usize {
    match kind {
        DepthKind::Twenty => MAX_INSTRUMENTS_20,
        DepthKind::TwoHundred => MAX_INSTRUMENTS_200,
    }
}

const EMPTY_LEVEL: DepthLevel = DepthLevel {
    price: 0.0,
    qty: 0,
    orders: 0,
};

/// One side's rows: a fixed array and how many of its rows are filled.
#[derive(Clone, Copy)]
struct Side<const N: usize> {
    levels: [DepthLevel; N],
    rows: usize,
    seen: bool,
    updated_ns: u64,
}

impl<const N: usize> Side<N> {
    const EMPTY: Self = Self {
        levels: [EMPTY_LEVEL; N],
        rows: 0,
        seen: false,
        updated_ns: 0,
    };

    /// Replaces the rows with the packet's first `N`; returns whether some were cut.
    fn set(&mut self, packet: &DepthLevels<'_>, recv_ns: u64) -> bool {
        let copied = packet.copy_into(&mut self.levels);
        self.finish(copied, recv_ns);
        packet.len() > N
    }

    /// Replaces the rows with `levels` (up to `N`); returns whether some were cut.
    fn set_slice(&mut self, levels: &[DepthLevel], recv_ns: u64) -> bool {
        let copied = levels.len().min(N);
        self.levels[..copied].copy_from_slice(&levels[..copied]);
        self.finish(copied, recv_ns);
        levels.len() > N
    }

    fn finish(&mut self, copied: usize, recv_ns: u64) {
        // Trailing zero-quantity rows are padding (a thin 20-level book).
        let mut rows = copied;
        while rows > 0 && self.levels[rows - 1].qty == 0 {
            rows -= 1;
        }
        // Rows past the count stay zero, so stale levels never linger.
        let old = self.rows.max(copied);
        self.levels[rows..old].fill(EMPTY_LEVEL);
        self.rows = rows;
        self.seen = true;
        self.updated_ns = recv_ns;
    }

    fn filled(&self) -> &[DepthLevel] {
        &self.levels[..self.rows]
    }

    fn best(&self) -> Option<DepthLevel> {
        self.filled().iter().copied().find(|l| l.qty > 0)
    }
}

/// The book of one instrument: up to `N` levels per side, best first, in the order
/// Dhan sends them (bids descending, asks ascending; not re-sorted).
///
/// Each side holds the rows of the last packet received for it, up to `N` (the
/// rest are cut and counted by [`DepthBooks::truncated_packets`]), without
/// trailing zero-quantity rows: Dhan pads a thin 20-level book with them. So on
/// 200-level, [`DepthBook::bids`] has as many rows as the header's row count.
#[derive(Clone)]
pub struct DepthBook<const N: usize> {
    id: InstrumentId,
    label: Label,
    bid: Side<N>,
    ask: Side<N>,
    /// Sides updated since the last [`DepthEvent::Snapshot`].
    fresh_bid: bool,
    fresh_ask: bool,
}

/// A book of the 20-level feed.
pub type Depth20Book = DepthBook<20>;
/// A book of the 200-level feed.
pub type Depth200Book = DepthBook<200>;

impl<const N: usize> DepthBook<N> {
    /// An empty book for `id`.
    pub fn new(id: InstrumentId, label: Label) -> Self {
        Self {
            id,
            label,
            bid: Side::EMPTY,
            ask: Side::EMPTY,
            fresh_bid: false,
            fresh_ask: false,
        }
    }

    /// The instrument.
    pub fn id(&self) -> InstrumentId {
        self.id
    }

    /// The label given to [`DepthBooks::add`].
    pub fn label(&self) -> &Label {
        &self.label
    }

    /// Bid rows, best (highest) first; empty until a bid packet arrives.
    pub fn bids(&self) -> &[DepthLevel] {
        self.bid.filled()
    }

    /// Ask rows, best (lowest) first; empty until an ask packet arrives.
    pub fn asks(&self) -> &[DepthLevel] {
        self.ask.filled()
    }

    /// The levels of one side.
    pub fn side(&self, side: DepthSide) -> &[DepthLevel] {
        match side {
            DepthSide::Bid => self.bids(),
            DepthSide::Ask => self.asks(),
        }
    }

    /// The first bid row with a non-zero quantity.
    pub fn best_bid(&self) -> Option<DepthLevel> {
        self.bid.best()
    }

    /// The first ask row with a non-zero quantity.
    pub fn best_ask(&self) -> Option<DepthLevel> {
        self.ask.best()
    }

    /// Best ask price minus best bid price, when both exist.
    pub fn spread(&self) -> Option<f64> {
        Some(self.best_ask()?.price - self.best_bid()?.price)
    }

    /// The mean of the best bid and best ask prices, when both exist.
    pub fn mid(&self) -> Option<f64> {
        Some((self.best_ask()?.price + self.best_bid()?.price) / 2.0)
    }

    /// Whether a bid packet has arrived since [`DepthBooks::add`].
    pub fn have_bid(&self) -> bool {
        self.bid.seen
    }

    /// Whether an ask packet has arrived since [`DepthBooks::add`].
    pub fn have_ask(&self) -> bool {
        self.ask.seen
    }

    /// Whether both sides have arrived.
    pub fn is_complete(&self) -> bool {
        self.bid.seen && self.ask.seen
    }

    /// The `recv_ns` of the last bid packet (0 before the first).
    pub fn bid_updated_ns(&self) -> u64 {
        self.bid.updated_ns
    }

    /// The `recv_ns` of the last ask packet (0 before the first).
    pub fn ask_updated_ns(&self) -> u64 {
        self.ask.updated_ns
    }

    /// Stores one side; returns whether rows were cut and whether this completes a
    /// snapshot pair.
    fn set(&mut self, levels: &DepthLevels<'_>, recv_ns: u64) -> (bool, bool) {
        let truncated = match levels.side {
            DepthSide::Bid => self.bid.set(levels, recv_ns),
            DepthSide::Ask => self.ask.set(levels, recv_ns),
        };
        (truncated, self.mark(levels.side))
    }

    /// Like `set`, from levels already copied out of the packet.
    fn set_slice(&mut self, side: DepthSide, levels: &[DepthLevel], recv_ns: u64) -> (bool, bool) {
        let truncated = match side {
            DepthSide::Bid => self.bid.set_slice(levels, recv_ns),
            DepthSide::Ask => self.ask.set_slice(levels, recv_ns),
        };
        (truncated, self.mark(side))
    }

    /// Notes a fresh side; returns whether both are fresh (a snapshot).
    fn mark(&mut self, side: DepthSide) -> bool {
        match side {
            DepthSide::Bid => self.fresh_bid = true,
            DepthSide::Ask => self.fresh_ask = true,
        }
        let snapshot = self.fresh_bid && self.fresh_ask;
        if snapshot {
            self.fresh_bid = false;
            self.fresh_ask = false;
        }
        snapshot
    }
}

/// Shows the filled rows only.
impl<const N: usize> fmt::Debug for DepthBook<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DepthBook")
            .field("id", &self.id)
            .field("label", &self.label)
            .field("bids", &self.bids())
            .field("asks", &self.asks())
            .field("bid_updated_ns", &self.bid.updated_ns)
            .field("ask_updated_ns", &self.ask.updated_ns)
            .finish()
    }
}

/// What changed in a [`DepthBooks`]; read the book with [`DepthBooks::book`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DepthEvent {
    /// One side of the instrument's book was replaced.
    Update {
        /// The instrument.
        id: InstrumentId,
        /// The side replaced.
        side: DepthSide,
    },
    /// Both sides of the instrument's book have been replaced since its previous
    /// snapshot (or since it was added): the book is a fresh bid + ask pair.
    Snapshot {
        /// The instrument.
        id: InstrumentId,
    },
}

impl DepthEvent {
    /// The instrument of the event.
    pub fn id(&self) -> InstrumentId {
        match self {
            Self::Update { id, .. } | Self::Snapshot { id } => *id,
        }
    }
}

/// Why [`DepthBooks::add`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DepthBookError {
    /// Every book is in use; remove one first.
    Full {
        /// The set's capacity.
        capacity: usize,
    },
}

impl fmt::Display for DepthBookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full { capacity } => {
                write!(f, "depth books full: all {capacity} books are in use")
            }
        }
    }
}

impl std::error::Error for DepthBookError {}

/// Preallocated books for up to `capacity` instruments of one depth feed.
///
/// Lookup is a linear scan of a compact id array: a depth connection carries at
/// most 50 instruments.
#[derive(Clone, Debug)]
pub struct DepthBooks<const N: usize> {
    ids: Vec<InstrumentId>,
    books: Vec<DepthBook<N>>,
    capacity: usize,
    unknown_instrument: u64,
    truncated: u64,
    other: u64,
}

/// Books of the 20-level feed.
pub type Depth20Books = DepthBooks<20>;
/// Books of the 200-level feed.
pub type Depth200Books = DepthBooks<200>;

impl<const N: usize> DepthBooks<N> {
    /// Room for `capacity` books, allocated now. Any capacity is accepted (one set
    /// may serve several connections); see [`DepthBooks::for_kind`] for Dhan's
    /// per-connection limit.
    pub fn new(capacity: usize) -> Self {
        Self {
            ids: Vec::with_capacity(capacity),
            books: Vec::with_capacity(capacity),
            capacity,
            unknown_instrument: 0,
            truncated: 0,
            other: 0,
        }
    }

    /// Room for one connection of `kind`: [`max_instruments`] books.
    pub fn for_kind(kind: DepthKind) -> Self {
        Self::new(max_instruments(kind))
    }

    /// The most books this set holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Books in use.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no book is in use.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Starts a book for `id`. Adding an instrument already present only replaces
    /// its label (the book is kept).
    pub fn add(&mut self, id: InstrumentId, label: Label) -> Result<(), DepthBookError> {
        if let Some(i) = self.position(id) {
            self.books[i].label = label;
            return Ok(());
        }
        if self.ids.len() >= self.capacity {
            return Err(DepthBookError::Full {
                capacity: self.capacity,
            });
        }
        self.ids.push(id);
        self.books.push(DepthBook::new(id, label));
        Ok(())
    }

    /// Drops the book of `id`; returns whether there was one.
    pub fn remove(&mut self, id: InstrumentId) -> bool {
        let Some(i) = self.position(id) else {
            return false;
        };
        self.ids.swap_remove(i);
        self.books.swap_remove(i);
        true
    }

    /// The book of `id`.
    pub fn book(&self, id: InstrumentId) -> Option<&DepthBook<N>> {
        self.position(id).map(|i| &self.books[i])
    }

    /// Every book, in no particular order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &DepthBook<N>> {
        self.books.iter()
    }

    /// Applies one decoded packet received at `recv_ns`, calling `emit` with:
    ///
    /// * [`DepthEvent::Update`] for the side replaced, then
    /// * [`DepthEvent::Snapshot`] if both sides have now been replaced since the
    ///   book's previous snapshot. With Dhan's stacking (bid then ask per
    ///   instrument) a bid yields `Update{Bid}` and the ask after it yields
    ///   `Update{Ask}` then `Snapshot`; a repeated side just updates.
    ///
    /// A packet for an instrument without a book is ignored and counted
    /// ([`DepthBooks::unknown_instrument_packets`]); disconnect and unknown-code
    /// packets are left to the caller and counted ([`DepthBooks::other_packets`]).
    /// Rows beyond `N` are cut and counted ([`DepthBooks::truncated_packets`]).
    pub fn apply(
        &mut self,
        packet: &DepthPacket<'_>,
        recv_ns: u64,
        mut emit: impl FnMut(DepthEvent),
    ) {
        let DepthPacket::Levels(levels) = packet else {
            self.other += 1;
            return;
        };
        let Some(i) = self.position(levels.id) else {
            self.unknown_instrument += 1;
            return;
        };
        let (truncated, snapshot) = self.books[i].set(levels, recv_ns);
        if truncated {
            self.truncated += 1;
        }
        emit(DepthEvent::Update {
            id: levels.id,
            side: levels.side,
        });
        if snapshot {
            emit(DepthEvent::Snapshot { id: levels.id });
        }
    }

    /// Applies one side given as levels already copied out of a packet (what the
    /// engine hands a depth consumer through its ring); same events and counters
    /// as [`DepthBooks::apply`].
    pub fn apply_side(
        &mut self,
        id: InstrumentId,
        side: DepthSide,
        levels: &[DepthLevel],
        recv_ns: u64,
        mut emit: impl FnMut(DepthEvent),
    ) {
        let Some(i) = self.position(id) else {
            self.unknown_instrument += 1;
            return;
        };
        let (truncated, snapshot) = self.books[i].set_slice(side, levels, recv_ns);
        if truncated {
            self.truncated += 1;
        }
        emit(DepthEvent::Update { id, side });
        if snapshot {
            emit(DepthEvent::Snapshot { id });
        }
    }

    /// Level packets ignored because no book had their instrument.
    pub fn unknown_instrument_packets(&self) -> u64 {
        self.unknown_instrument
    }

    /// Level packets with more than `N` rows (only the first `N` were kept).
    pub fn truncated_packets(&self) -> u64 {
        self.truncated
    }

    /// Non-level packets (disconnect, unknown code) passed to [`DepthBooks::apply`].
    pub fn other_packets(&self) -> u64 {
        self.other
    }

    fn position(&self, id: InstrumentId) -> Option<usize> {
        self.ids.iter().position(|&x| x == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::depth::depth_packets;
    use crate::proto::depth_encode::{encode_disconnect, encode_levels};
    use crate::proto::disconnect::DisconnectCode;
    use crate::proto::segment::ExchangeSegment;
    use DepthSide::{Ask, Bid};

    fn inst(n: u32) -> InstrumentId {
        InstrumentId::new(ExchangeSegment::NseEq, n)
    }

    /// `rows` levels walking away from `start` by `step`, with distinct quantities.
    fn ladder(start: f64, step: f64, rows: usize) -> Vec<DepthLevel> {
        (0..rows)
            .map(|i| DepthLevel {
                price: start + step * i as f64,
                qty: 100 + i as u32,
                orders: 1 + i as u32,
            })
            .collect()
    }

    /// Decodes `msg` and applies every packet, returning the events.
    fn feed<const N: usize>(
        books: &mut DepthBooks<N>,
        kind: DepthKind,
        msg: &[u8],
        recv_ns: u64,
    ) -> Vec<DepthEvent> {
        let mut evs = Vec::new();
        for p in depth_packets(kind, msg) {
            let p = p.expect("valid test message");
            books.apply(&p, recv_ns, |e| evs.push(e));
        }
        evs
    }

    fn upd(n: u32, side: DepthSide) -> DepthEvent {
        DepthEvent::Update { id: inst(n), side }
    }

    fn snap(n: u32) -> DepthEvent {
        DepthEvent::Snapshot { id: inst(n) }
    }

    #[test]
    fn stacked_packets_build_each_book() {
        let mut books = Depth20Books::for_kind(DepthKind::Twenty);
        for n in 1..=3 {
            books
                .add(inst(n), Label::new(&format!("SYM{n}")))
                .expect("room");
        }
        let mut msg = Vec::new();
        for n in 1..=2 {
            let base = 100.0 * n as f64;
            encode_levels(
                DepthKind::Twenty,
                Bid,
                inst(n),
                7,
                &ladder(base, -0.05, 20),
                &mut msg,
            );
            encode_levels(
                DepthKind::Twenty,
                Ask,
                inst(n),
                7,
                &ladder(base + 0.1, 0.05, 20),
                &mut msg,
            );
        }
        encode_levels(
            DepthKind::Twenty,
            Bid,
            inst(3),
            7,
            &ladder(50.0, -1.0, 20),
            &mut msg,
        );
        let evs = feed(&mut books, DepthKind::Twenty, &msg, 42);
        assert_eq!(
            evs,
            [
                upd(1, Bid),
                upd(1, Ask),
                snap(1),
                upd(2, Bid),
                upd(2, Ask),
                snap(2),
                upd(3, Bid)
            ]
        );
        for n in 1..=2 {
            let b = books.book(inst(n)).expect("added");
            let base = 100.0 * n as f64;
            assert_eq!(b.label().as_str(), format!("SYM{n}"));
            assert_eq!(b.bids(), ladder(base, -0.05, 20).as_slice());
            assert_eq!(b.asks(), ladder(base + 0.1, 0.05, 20).as_slice());
            assert_eq!(b.best_bid().map(|l| l.price), Some(base));
            assert_eq!(
                b.best_ask().map(|l| (l.price, l.qty)),
                Some((base + 0.1, 100))
            );
            let spread = b.spread().expect("both sides");
            assert!((spread - 0.1).abs() < 1e-9, "{spread}");
            assert!(b.is_complete());
            assert_eq!((b.bid_updated_ns(), b.ask_updated_ns()), (42, 42));
        }
        let b3 = books.book(inst(3)).expect("added");
        assert!(b3.have_bid() && !b3.have_ask() && !b3.is_complete());
        assert_eq!(
            (b3.spread(), b3.best_ask(), b3.asks().len()),
            (None, None, 0)
        );
        assert_eq!(books.unknown_instrument_packets(), 0);
        assert_eq!(books.truncated_packets(), 0);
    }

    #[test]
    fn snapshot_needs_both_sides_since_the_last_one() {
        let mut books = Depth20Books::new(1);
        books.add(inst(1), Label::new("A")).expect("room");
        let side = |s, books: &mut Depth20Books, ns| {
            let mut msg = Vec::new();
            encode_levels(
                DepthKind::Twenty,
                s,
                inst(1),
                0,
                &ladder(10.0, 0.1, 3),
                &mut msg,
            );
            feed(books, DepthKind::Twenty, &msg, ns)
        };
        assert_eq!(side(Ask, &mut books, 1), [upd(1, Ask)]);
        assert_eq!(side(Ask, &mut books, 2), [upd(1, Ask)]);
        assert_eq!(side(Bid, &mut books, 3), [upd(1, Bid), snap(1)]);
        assert_eq!(side(Bid, &mut books, 4), [upd(1, Bid)]);
        assert_eq!(side(Ask, &mut books, 5), [upd(1, Ask), snap(1)]);
        let b = books.book(inst(1)).expect("added");
        assert_eq!((b.bid_updated_ns(), b.ask_updated_ns()), (4, 5));
    }

    #[test]
    fn two_hundred_levels_keep_the_header_row_count() {
        let mut books = Depth200Books::for_kind(DepthKind::TwoHundred);
        books.add(inst(2885), Label::new("RELIANCE")).expect("room");
        let mut msg = Vec::new();
        let bids = ladder(2500.0, -0.05, 150);
        encode_levels(DepthKind::TwoHundred, Bid, inst(2885), 0, &bids, &mut msg);
        encode_levels(
            DepthKind::TwoHundred,
            Ask,
            inst(2885),
            0,
            &ladder(2500.05, 0.05, 3),
            &mut msg,
        );
        let evs = feed(&mut books, DepthKind::TwoHundred, &msg, 9);
        assert_eq!(evs, [upd(2885, Bid), upd(2885, Ask), snap(2885)]);
        let b = books.book(inst(2885)).expect("added");
        assert_eq!(b.bids(), bids.as_slice());
        assert_eq!((b.bids().len(), b.asks().len()), (150, 3));
        // A thinner book replaces a thicker one entirely.
        let mut msg = Vec::new();
        encode_levels(
            DepthKind::TwoHundred,
            Bid,
            inst(2885),
            0,
            &ladder(2499.0, -0.05, 10),
            &mut msg,
        );
        feed(&mut books, DepthKind::TwoHundred, &msg, 10);
        let b = books.book(inst(2885)).expect("added");
        assert_eq!(b.bids(), ladder(2499.0, -0.05, 10).as_slice());
        assert_eq!(b.best_bid().map(|l| l.price), Some(2499.0));
        // Zero rows: the side is seen but empty.
        let mut msg = Vec::new();
        encode_levels(DepthKind::TwoHundred, Bid, inst(2885), 0, &[], &mut msg);
        feed(&mut books, DepthKind::TwoHundred, &msg, 11);
        let b = books.book(inst(2885)).expect("added");
        assert!(b.bids().is_empty() && b.have_bid());
        assert_eq!((b.best_bid(), b.spread()), (None, None));
    }

    #[test]
    fn rows_beyond_n_are_cut_and_counted() {
        let mut books = DepthBooks::<5>::new(1);
        books.add(inst(1), Label::new("A")).expect("room");
        let mut msg = Vec::new();
        encode_levels(
            DepthKind::Twenty,
            Bid,
            inst(1),
            0,
            &ladder(10.0, -0.1, 20),
            &mut msg,
        );
        encode_levels(
            DepthKind::Twenty,
            Ask,
            inst(1),
            0,
            &ladder(10.1, 0.1, 20),
            &mut msg,
        );
        let evs = feed(&mut books, DepthKind::Twenty, &msg, 1);
        assert_eq!(evs, [upd(1, Bid), upd(1, Ask), snap(1)]);
        let b = books.book(inst(1)).expect("added");
        assert_eq!(b.bids(), &ladder(10.0, -0.1, 20)[..5]);
        assert_eq!(b.asks(), &ladder(10.1, 0.1, 20)[..5]);
        assert_eq!(books.truncated_packets(), 2);

        // 200-level rows into 20-level books: the first 20 are kept.
        let mut books = Depth20Books::new(1);
        books.add(inst(1), Label::new("A")).expect("room");
        let mut msg = Vec::new();
        encode_levels(
            DepthKind::TwoHundred,
            Bid,
            inst(1),
            0,
            &ladder(10.0, -0.1, 150),
            &mut msg,
        );
        feed(&mut books, DepthKind::TwoHundred, &msg, 1);
        let b = books.book(inst(1)).expect("added");
        assert_eq!(b.bids(), &ladder(10.0, -0.1, 150)[..20]);
        assert_eq!(books.truncated_packets(), 1);
    }

    #[test]
    fn zero_padding_is_not_a_level() {
        let mut books = Depth20Books::new(1);
        books.add(inst(1), Label::new("A")).expect("room");
        // A thin 20-level book: 3 real rows, 17 zero rows on the wire.
        let mut levels = ladder(10.0, -0.1, 3);
        let mut msg = Vec::new();
        encode_levels(DepthKind::Twenty, Bid, inst(1), 0, &levels, &mut msg);
        // A zero-quantity best row is skipped by best_ask but kept in asks().
        levels = ladder(10.1, 0.1, 4);
        levels[0].qty = 0;
        encode_levels(DepthKind::Twenty, Ask, inst(1), 0, &levels, &mut msg);
        feed(&mut books, DepthKind::Twenty, &msg, 1);
        let b = books.book(inst(1)).expect("added");
        assert_eq!(b.bids(), ladder(10.0, -0.1, 3).as_slice());
        assert_eq!(b.asks().len(), 4);
        assert_eq!(b.best_ask(), Some(levels[1]));
        let mid = b.mid().expect("both sides");
        assert!((mid - (10.0 + 10.2) / 2.0).abs() < 1e-9, "{mid}");
    }

    #[test]
    fn capacity_is_enforced() {
        let mut books = Depth20Books::for_kind(DepthKind::Twenty);
        assert_eq!(books.capacity(), 50);
        for n in 0..50 {
            books.add(inst(n), Label::EMPTY).expect("room");
        }
        assert_eq!(
            books.add(inst(50), Label::EMPTY),
            Err(DepthBookError::Full { capacity: 50 })
        );
        // Re-adding a present instrument relabels it and takes no room.
        books.add(inst(7), Label::new("SEVEN")).expect("present");
        assert_eq!(books.len(), 50);
        assert_eq!(
            books.book(inst(7)).map(|b| b.label().as_str()),
            Some("SEVEN")
        );
        assert!(books.remove(inst(3)));
        assert!(!books.remove(inst(3)));
        books
            .add(inst(50), Label::EMPTY)
            .expect("room after remove");
        assert_eq!(books.len(), 50);
        assert!(books.book(inst(3)).is_none());
        assert_eq!(books.iter().len(), 50);

        let mut deep = Depth200Books::for_kind(DepthKind::TwoHundred);
        deep.add(inst(1), Label::EMPTY).expect("room");
        assert_eq!(
            deep.add(inst(2), Label::EMPTY),
            Err(DepthBookError::Full { capacity: 1 })
        );
    }

    #[test]
    fn unknown_instruments_and_other_packets_are_counted() {
        let mut books = Depth20Books::new(2);
        books.add(inst(1), Label::EMPTY).expect("room");
        books.add(inst(2), Label::EMPTY).expect("room");
        let mut msg = Vec::new();
        encode_levels(
            DepthKind::Twenty,
            Bid,
            inst(9),
            0,
            &ladder(1.0, -0.1, 20),
            &mut msg,
        );
        encode_levels(
            DepthKind::Twenty,
            Bid,
            inst(1),
            0,
            &ladder(1.0, -0.1, 20),
            &mut msg,
        );
        encode_disconnect(inst(1), DisconnectCode(805), &mut msg);
        let evs = feed(&mut books, DepthKind::Twenty, &msg, 1);
        assert_eq!(evs, [upd(1, Bid)]);
        assert_eq!(books.unknown_instrument_packets(), 1);
        assert_eq!(books.other_packets(), 1);
        // A removed instrument's packets are unknown from then on.
        books.remove(inst(1));
        let mut msg = Vec::new();
        encode_levels(
            DepthKind::Twenty,
            Ask,
            inst(1),
            0,
            &ladder(1.1, 0.1, 20),
            &mut msg,
        );
        assert!(feed(&mut books, DepthKind::Twenty, &msg, 2).is_empty());
        assert_eq!(books.unknown_instrument_packets(), 2);
        assert!(books.book(inst(2)).is_some_and(|b| !b.have_bid()));
    }

    #[test]
    fn events_are_small_and_name_their_instrument() {
        assert!(std::mem::size_of::<DepthEvent>() <= 16);
        assert_eq!(upd(4, Ask).id(), inst(4));
        assert_eq!(snap(5).id(), inst(5));
        assert!(
            DepthBookError::Full { capacity: 1 }
                .to_string()
                .contains('1')
        );
    }
}
