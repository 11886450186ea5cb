//! The depth cache: the top levels of each side of every instrument a depth feed
//! receives, written by the I/O thread from each bid or ask packet and read by
//! any thread with no lock — the same table and seqlocked slots as the market
//! cache.
//!
//! A Dhan depth packet carries a whole side of the book (20 levels, or up to 200
//! rows), so the latest packet of a side *is* that side's top: the cache keeps
//! its first levels (at most [`MAX_TOP_LEVELS`], as many as the cache was made
//! for) with the packet's receive stamp and a per-side update counter.

use super::seqlock::SeqLock;
use super::stamped::Stamped;
use super::sync::{Arc, Ordering};
use super::table::{Table, key_of};
use crate::proto::InstrumentId;
use crate::proto::depth::{DepthLevel, DepthLevels, DepthSide};

/// The most levels per side a depth cache keeps.
pub const MAX_TOP_LEVELS: usize = 20;

/// A slot's layout: each side's receive stamp, update count and levels kept
/// (bid's three words, then ask's), then level by level the bid's two words
/// (price bits; quantity and orders) and the ask's. Both sides' best `n` levels
/// are the first [`words_for`]`(n)` words: a read copies only those.
const HEAD_WORDS: usize = 6;
const SLOT_WORDS: usize = HEAD_WORDS + 4 * MAX_TOP_LEVELS;

/// Words holding both sides' best `levels` levels.
const fn words_for(levels: usize) -> usize {
    HEAD_WORDS + 4 * levels
}

/// One side's best levels, best first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopLevels {
    levels: [DepthLevel; MAX_TOP_LEVELS],
    len: u8,
}

impl TopLevels {
    /// The levels kept, best first (fewer than asked when the packet had fewer;
    /// trailing zero-quantity rows are padding and not kept).
    pub fn levels(&self) -> &[DepthLevel] {
        &self.levels[..usize::from(self.len)]
    }

    /// The best level, if the side has one.
    pub fn best(&self) -> Option<DepthLevel> {
        self.levels().first().copied()
    }
}

/// An instrument's top of book: each side as its latest packet left it; `None`
/// for a side not received yet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DepthTop {
    /// The bid side.
    pub bids: Option<Stamped<TopLevels>>,
    /// The ask side.
    pub asks: Option<Stamped<TopLevels>>,
}

impl DepthTop {
    /// Best ask minus best bid, when both sides have a level.
    pub fn spread(&self) -> Option<f64> {
        let bid = self.bids?.value.best()?;
        let ask = self.asks?.value.best()?;
        Some(ask.price - bid.price)
    }
}

/// Reads a depth feed's top levels; cheap to clone, `Send` and `Sync`.
///
/// Made with [`crate::Client::depth20_with_cache`] or
/// [`crate::Client::depth200_with_cache`].
#[derive(Clone)]
pub struct DepthCache {
    table: Arc<Table<SLOT_WORDS>>,
    levels: usize,
}

impl std::fmt::Debug for DepthCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DepthCache")
            .field("instruments", &self.instruments())
            .field("levels", &self.levels)
            .field("refused", &self.refused())
            .finish()
    }
}

impl DepthCache {
    /// A cache for up to `instruments` instruments keeping `levels` levels a
    /// side (1 to [`MAX_TOP_LEVELS`]), and its writer.
    pub(crate) fn new(instruments: usize, levels: usize) -> (Self, DepthCacheWriter) {
        let table = Arc::new(Table::with_capacity(instruments));
        let levels = levels.clamp(1, MAX_TOP_LEVELS);
        (
            Self {
                table: table.clone(),
                levels,
            },
            DepthCacheWriter { table, levels },
        )
    }

    /// Levels kept per side.
    pub fn levels(&self) -> usize {
        self.levels
    }

    /// `id`'s top of book: a consistent copy of both sides (never half of one
    /// packet and half of another), or `None` if no packet came for it.
    pub fn top(&self, id: InstrumentId) -> Option<DepthTop> {
        let (w, n) = self.read(id, self.levels)?;
        Some(DepthTop {
            bids: side_of::<0, 0>(&w[..n]),
            asks: side_of::<3, 2>(&w[..n]),
        })
    }

    /// One side of `id`'s book.
    pub fn side(&self, id: InstrumentId, side: DepthSide) -> Option<Stamped<TopLevels>> {
        let (w, n) = self.read(id, self.levels)?;
        match side {
            DepthSide::Bid => side_of::<0, 0>(&w[..n]),
            DepthSide::Ask => side_of::<3, 2>(&w[..n]),
        }
    }

    /// `id`'s best bid and best ask (`None` for a side without a level), the
    /// cheapest read: only the first level of each side is copied.
    pub fn best(&self, id: InstrumentId) -> Option<(Option<DepthLevel>, Option<DepthLevel>)> {
        let (w, _) = self.read(id, 1)?;
        let bid = (w[2] > 0).then(|| level_of(w[HEAD_WORDS], w[HEAD_WORDS + 1]));
        let ask = (w[5] > 0).then(|| level_of(w[HEAD_WORDS + 2], w[HEAD_WORDS + 3]));
        Some((bid, ask))
    }

    /// The words of both sides' best `levels` levels of `id`'s slot, copied in
    /// one read, and how many there are.
    #[inline]
    fn read(&self, id: InstrumentId, levels: usize) -> Option<([u64; SLOT_WORDS], usize)> {
        let slot = self.table.find(key_of(id))?;
        let mut w = [0u64; SLOT_WORDS];
        let n = words_for(levels);
        slot.read_from(0, &mut w[..n]);
        Some((w, n))
    }

    /// Instruments with a slot.
    pub fn instruments(&self) -> usize {
        self.table.len.load(Ordering::Relaxed) as usize
    }

    /// Packets not kept because the table was full.
    pub fn refused(&self) -> u64 {
        self.table.refused.load(Ordering::Relaxed)
    }
}

/// A level from its two words: price bits; quantity, and orders above it.
#[inline]
fn level_of(price: u64, qty_orders: u64) -> DepthLevel {
    DepthLevel {
        price: f64::from_bits(price),
        qty: qty_orders as u32,
        orders: (qty_orders >> 32) as u32,
    }
}

/// Where a side's head starts, and its first level's offset from the level
/// pair it is in.
const fn side_at(side: DepthSide) -> (usize, usize) {
    match side {
        DepthSide::Bid => (0, 0),
        DepthSide::Ask => (3, 2),
    }
}

/// One side from a slot's first words (`HEAD` and `FIRST`: its [`side_at`]);
/// `None` when nothing was kept.
#[inline]
fn side_of<const HEAD: usize, const FIRST: usize>(w: &[u64]) -> Option<Stamped<TopLevels>> {
    let (recv_ns, updates, len) = (w[HEAD], w[HEAD + 1], w[HEAD + 2]);
    if updates == 0 {
        return None;
    }
    let len = (len as usize).min((w.len() - HEAD_WORDS) / 4);
    let mut levels = [DepthLevel::default(); MAX_TOP_LEVELS];
    for (l, four) in levels
        .iter_mut()
        .zip(w[HEAD_WORDS..].chunks_exact(4))
        .take(len)
    {
        *l = level_of(four[FIRST], four[FIRST + 1]);
    }
    Some(Stamped::new(
        TopLevels {
            levels,
            len: len as u8,
        },
        recv_ns,
        updates,
    ))
}

/// The I/O thread's side of a [`DepthCache`].
pub(crate) struct DepthCacheWriter {
    table: Arc<Table<SLOT_WORDS>>,
    levels: usize,
}

impl DepthCacheWriter {
    /// Keeps a bid or ask packet's first levels for its instrument.
    pub(crate) fn write(&self, p: &DepthLevels<'_>, recv_ns: u64) {
        let Some(slot) = self.table.find_or_insert(key_of(p.id)) else {
            self.table.refused.fetch_add(1, Ordering::Relaxed);
            return;
        };
        // Trailing zero-quantity rows are padding (a thin 20-level book), as
        // the depth book reads them.
        let mut rows = p.len();
        while rows > 0 && p.get(rows - 1).is_some_and(|l| l.qty == 0) {
            rows -= 1;
        }
        write_side(slot, p, rows.min(self.levels), recv_ns);
    }
}

fn write_side(slot: &SeqLock<SLOT_WORDS>, p: &DepthLevels<'_>, n: usize, recv_ns: u64) {
    let (head, first) = side_at(p.side);
    slot.write(|words| {
        let updates = words[head + 1].load(Ordering::Relaxed);
        words[head].store(recv_ns, Ordering::Relaxed);
        words[head + 1].store(updates + 1, Ordering::Relaxed);
        words[head + 2].store(n as u64, Ordering::Relaxed);
        for (four, l) in words[HEAD_WORDS..].chunks_exact(4).zip(p.iter().take(n)) {
            four[first].store(l.price.to_bits(), Ordering::Relaxed);
            four[first + 1].store(
                u64::from(l.qty) | u64::from(l.orders) << 32,
                Ordering::Relaxed,
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::ExchangeSegment;
    use crate::proto::depth::{DepthKind, DepthPacket, decode_depth_packet};
    use crate::proto::depth_encode::encode_levels;

    fn id(n: u32) -> InstrumentId {
        InstrumentId::new(ExchangeSegment::NseEq, n)
    }

    fn levels(base: f64, n: usize) -> Vec<DepthLevel> {
        (0..n)
            .map(|i| DepthLevel {
                price: base + i as f64 * 0.05,
                qty: 100 + i as u32,
                orders: 1 + i as u32,
            })
            .collect()
    }

    fn write(
        w: &DepthCacheWriter,
        kind: DepthKind,
        side: DepthSide,
        id: InstrumentId,
        l: &[DepthLevel],
        at: u64,
    ) {
        let mut bytes = Vec::new();
        encode_levels(kind, side, id, 0, l, &mut bytes);
        let (p, _) = decode_depth_packet(kind, &bytes).unwrap();
        let DepthPacket::Levels(p) = p else {
            panic!("not levels")
        };
        w.write(&p, at);
    }

    #[test]
    fn keeps_each_sides_first_levels_with_stamps_and_counts() {
        let (cache, w) = DepthCache::new(4, 5);
        assert_eq!(cache.top(id(1)), None);
        let bids = levels(100.0, 20);
        write(&w, DepthKind::Twenty, DepthSide::Bid, id(1), &bids, 10);
        let top = cache.top(id(1)).unwrap();
        let b = top.bids.unwrap();
        assert_eq!(b.value.levels(), &bids[..5]);
        assert_eq!(cache.best(id(1)), Some((Some(bids[0]), None)));
        assert_eq!((b.recv_ns, b.updates), (10, 1));
        assert_eq!(top.asks, None);
        assert_eq!(top.spread(), None);
        let asks = levels(101.0, 20);
        write(&w, DepthKind::Twenty, DepthSide::Ask, id(1), &asks, 11);
        write(&w, DepthKind::Twenty, DepthSide::Ask, id(1), &asks[..3], 12);
        let top = cache.top(id(1)).unwrap();
        let a = top.asks.unwrap();
        assert_eq!(a.value.levels(), &asks[..3], "zero rows are padding");
        assert_eq!((a.recv_ns, a.updates), (12, 2));
        assert_eq!(top.bids, Some(b));
        assert!((top.spread().unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(cache.side(id(1), DepthSide::Ask), top.asks);
        assert_eq!(cache.best(id(1)), Some((Some(bids[0]), Some(asks[0]))));
        assert_eq!(cache.best(id(2)), None);
        assert_eq!(cache.side(id(1), DepthSide::Bid), top.bids);
    }

    #[test]
    fn two_hundred_levels_keep_at_most_the_maximum_and_a_full_table_counts() {
        let (cache, w) = DepthCache::new(1, 99);
        assert_eq!(cache.levels(), MAX_TOP_LEVELS);
        let bids = levels(50.0, 200);
        write(&w, DepthKind::TwoHundred, DepthSide::Bid, id(7), &bids, 1);
        assert_eq!(
            cache.top(id(7)).unwrap().bids.unwrap().value.levels(),
            &bids[..MAX_TOP_LEVELS]
        );
        write(&w, DepthKind::TwoHundred, DepthSide::Bid, id(8), &bids, 2);
        assert_eq!(cache.refused(), 1);
        assert_eq!(cache.instruments(), 1);
        assert_eq!(cache.top(id(8)), None);
    }
}
