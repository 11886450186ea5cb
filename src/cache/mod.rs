//! The last-value cache: the latest packet of every kind for every instrument a
//! market feed receives, written by the I/O thread and read by any thread with
//! no lock, no allocation and no effect on the feed's ring.
//!
//! A [`LastValueCache`] is a fixed table made up front: instruments are found by
//! open addressing on their [`InstrumentId`] (inserted once, on their first
//! packet, never removed), and each instrument's slot is a seqlock over plain
//! atomic words. The I/O thread, the only writer, stores a packet's wire bytes
//! (as Dhan sent them, at most the kind's known length) with its receive stamp
//! and a per-kind update counter; a reader copies the whole slot, retrying while
//! a write is in progress, and decodes what it copied with the crate's decoder.
//!
//! Why the words are atomics: a seqlock's reader races with the writer by design,
//! so its loads must not be plain ones; relaxed atomic loads and stores of whole
//! words are free on the machines this runs on, and with the two fences below
//! they are the seqlock of Boehm's "Can seqlocks get along with programming
//! language memory models?" (2012). `tests/cache_loom.rs` model-checks it.

mod depth;
mod seqlock;
mod stamped;
mod sync;
mod table;

pub(crate) use depth::DepthCacheWriter;
pub use depth::{DepthCache, DepthTop, MAX_TOP_LEVELS, TopLevels};

pub(crate) use seqlock::SeqLock;
pub use stamped::Stamped;
use table::{Table, key_of, key_of_header};

use crate::proto::InstrumentId;
use crate::proto::market::{
    Full, MarketPacket, OpenInterest, PrevClose, Quote, Ticker, code, decode_packet, size,
};
use sync::{Arc, Ordering};

/// The kinds a slot keeps, in slot order, with the bytes each keeps (its wire
/// length: a longer packet's extra bytes are not kept).
const KINDS: [(u8, usize); 5] = [
    (code::TICKER, size::TICKER),
    (code::QUOTE, size::QUOTE),
    (code::FULL, size::FULL),
    (code::OI, size::OI),
    (code::PREV_CLOSE, size::PREV_CLOSE),
];

/// Words of one kind's part of a slot: receive stamp, update count, the bytes.
const fn kind_words(bytes: usize) -> usize {
    2 + bytes.div_ceil(8)
}

/// Where each kind's part starts in a slot, and the slot's length in words.
const OFFSETS: ([usize; 5], usize) = {
    let mut at = [0usize; 5];
    let mut n = 0;
    let mut i = 0;
    while i < KINDS.len() {
        at[i] = n;
        n += kind_words(KINDS[i].1);
        i += 1;
    }
    (at, n)
};

/// Words in one slot.
pub(crate) const SLOT_WORDS: usize = OFFSETS.1;

/// Reads a market feed's latest values; cheap to clone, `Send` and `Sync`.
///
/// Made with [`crate::Client::market_feed_with_cache`]. Every packet the feed's
/// connections receive for an instrument the feed subscribed is kept, by kind,
/// as it came (a feed whose instrument another feed also takes in a richer mode
/// sees the richer packets too); unsubscribing keeps the last values.
#[derive(Clone)]
pub struct LastValueCache {
    table: Arc<Table<SLOT_WORDS>>,
}

impl std::fmt::Debug for LastValueCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LastValueCache")
            .field("instruments", &self.instruments())
            .field("limit", &self.table.limit)
            .field("refused", &self.refused())
            .finish()
    }
}

/// The latest packet of every kind an instrument has had; `None` for a kind
/// not received yet.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Latest {
    /// The latest ticker packet.
    pub ticker: Option<Stamped<Ticker>>,
    /// The latest quote packet.
    pub quote: Option<Stamped<Quote>>,
    /// The latest full packet (with its five depth levels).
    pub full: Option<Stamped<Full>>,
    /// The latest open-interest packet.
    pub oi: Option<Stamped<OpenInterest>>,
    /// The latest previous-close packet.
    pub prev_close: Option<Stamped<PrevClose>>,
}

impl Latest {
    /// The last traded price of the most recent packet that carries one.
    pub fn ltp(&self) -> Option<f32> {
        let t = self.ticker.map(|s| (s.recv_ns, s.value.ltp));
        let q = self.quote.map(|s| (s.recv_ns, s.value.ltp));
        let f = self.full.map(|s| (s.recv_ns, s.value.ltp));
        [t, q, f]
            .into_iter()
            .flatten()
            .max_by_key(|p| p.0)
            .map(|p| p.1)
    }
}

impl LastValueCache {
    /// A cache for up to `instruments` instruments, and its writer.
    pub(crate) fn new(instruments: usize) -> (Self, CacheWriter) {
        let table = Arc::new(Table::with_capacity(instruments));
        (
            Self {
                table: table.clone(),
            },
            CacheWriter { table },
        )
    }

    /// The latest values of `id`: a consistent copy of its slot (never half of
    /// one write and half of another), or `None` if no packet came for it.
    pub fn latest(&self, id: InstrumentId) -> Option<Latest> {
        let slot = self.table.find(key_of(id))?;
        let mut w = [0u64; SLOT_WORDS];
        slot.read(&mut w);
        Some(Latest {
            ticker: part(&w, 0).and_then(|(p, r, u)| match p {
                MarketPacket::Ticker(v) => Some(Stamped::new(v, r, u)),
                _ => None,
            }),
            quote: part(&w, 1).and_then(|(p, r, u)| match p {
                MarketPacket::Quote(v) => Some(Stamped::new(v, r, u)),
                _ => None,
            }),
            full: part(&w, 2).and_then(|(p, r, u)| match p {
                MarketPacket::Full(v) => Some(Stamped::new(v, r, u)),
                _ => None,
            }),
            oi: part(&w, 3).and_then(|(p, r, u)| match p {
                MarketPacket::Oi(v) => Some(Stamped::new(v, r, u)),
                _ => None,
            }),
            prev_close: part(&w, 4).and_then(|(p, r, u)| match p {
                MarketPacket::PrevClose(v) => Some(Stamped::new(v, r, u)),
                _ => None,
            }),
        })
    }

    /// The latest ticker packet of `id` (only its part of the slot is copied).
    pub fn ticker(&self, id: InstrumentId) -> Option<Stamped<Ticker>> {
        match self.one(id, 0)? {
            (MarketPacket::Ticker(v), r, u) => Some(Stamped::new(v, r, u)),
            _ => None,
        }
    }

    /// The latest quote packet of `id` (only its part of the slot is copied).
    pub fn quote(&self, id: InstrumentId) -> Option<Stamped<Quote>> {
        match self.one(id, 1)? {
            (MarketPacket::Quote(v), r, u) => Some(Stamped::new(v, r, u)),
            _ => None,
        }
    }

    /// The latest full packet of `id` (only its part of the slot is copied).
    pub fn full(&self, id: InstrumentId) -> Option<Stamped<Full>> {
        match self.one(id, 2)? {
            (MarketPacket::Full(v), r, u) => Some(Stamped::new(v, r, u)),
            _ => None,
        }
    }

    /// The latest open-interest packet of `id`.
    pub fn oi(&self, id: InstrumentId) -> Option<Stamped<OpenInterest>> {
        match self.one(id, 3)? {
            (MarketPacket::Oi(v), r, u) => Some(Stamped::new(v, r, u)),
            _ => None,
        }
    }

    /// The latest previous-close packet of `id`.
    pub fn prev_close(&self, id: InstrumentId) -> Option<Stamped<PrevClose>> {
        match self.one(id, 4)? {
            (MarketPacket::PrevClose(v), r, u) => Some(Stamped::new(v, r, u)),
            _ => None,
        }
    }

    /// One kind's part of `id`'s slot, decoded.
    #[inline]
    fn one(&self, id: InstrumentId, k: usize) -> Option<(MarketPacket, u64, u64)> {
        let slot = self.table.find(key_of(id))?;
        let mut w = [0u64; MAX_KIND_WORDS];
        let n = kind_words(KINDS[k].1);
        slot.read_from(OFFSETS.0[k], &mut w[..n]);
        decode_part(&w[..n], KINDS[k].1)
    }

    /// Instruments with a slot.
    pub fn instruments(&self) -> usize {
        self.table.len.load(Ordering::Relaxed) as usize
    }

    /// Packets not kept because the table was full (it holds the number of
    /// instruments it was made for).
    pub fn refused(&self) -> u64 {
        self.table.refused.load(Ordering::Relaxed)
    }
}

/// The most words one kind takes.
const MAX_KIND_WORDS: usize = kind_words(size::FULL);

/// Kind `k`'s packet in a slot's words (as read), with its receive stamp and
/// update count; `None` when none was kept.
#[inline]
fn part(w: &[u64; SLOT_WORDS], k: usize) -> Option<(MarketPacket, u64, u64)> {
    let at = OFFSETS.0[k];
    let bytes = KINDS[k].1;
    decode_part(&w[at..at + kind_words(bytes)], bytes)
}

/// A kind's words (stamp, count, `bytes` of packet) decoded.
#[inline]
fn decode_part(w: &[u64], bytes: usize) -> Option<(MarketPacket, u64, u64)> {
    let (&recv_ns, rest) = w.split_first()?;
    let (&updates, words) = rest.split_first()?;
    if updates == 0 {
        return None;
    }
    let mut buf = [0u8; 8 * (MAX_KIND_WORDS - 2)];
    for (chunk, word) in buf.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    let (p, _) = decode_packet(buf.get(..bytes)?).ok()?;
    Some((p, recv_ns, updates))
}

/// The I/O thread's side of a [`LastValueCache`].
pub(crate) struct CacheWriter {
    table: Arc<Table<SLOT_WORDS>>,
}

impl CacheWriter {
    /// Keeps one packet as it came (`raw`: its wire bytes, header first) for its
    /// instrument. Kinds a slot does not keep, and packets shorter than their
    /// kind, are ignored.
    #[inline]
    pub(crate) fn write(&self, raw: &[u8], recv_ns: u64) {
        let mut no_hint = u32::MAX;
        self.write_hinted(raw, recv_ns, &mut no_hint);
    }

    /// [`write`](Self::write) with a memo of where the instrument's slot was
    /// last time (`hint`, kept by the caller per instrument; `u32::MAX` at first):
    /// a right hint replaces the table's probe by one compare.
    #[inline]
    pub(crate) fn write_hinted(&self, raw: &[u8], recv_ns: u64, hint: &mut u32) {
        let Some(&code) = raw.first() else { return };
        // One copy of the store sequence per kind, its sizes and offsets
        // constants: no length arithmetic, no bounds check, no loop on the
        // I/O thread's path.
        match code {
            code::TICKER => self
                .put::<{ size::TICKER }, { kind_words(size::TICKER) }, { OFFSETS.0[0] }>(
                    raw, recv_ns, hint,
                ),
            code::QUOTE => self
                .put::<{ size::QUOTE }, { kind_words(size::QUOTE) }, { OFFSETS.0[1] }>(
                    raw, recv_ns, hint,
                ),
            code::FULL => self.put::<{ size::FULL }, { kind_words(size::FULL) }, { OFFSETS.0[2] }>(
                raw, recv_ns, hint,
            ),
            code::OI => self.put::<{ size::OI }, { kind_words(size::OI) }, { OFFSETS.0[3] }>(
                raw, recv_ns, hint,
            ),
            code::PREV_CLOSE => self
                .put::<{ size::PREV_CLOSE }, { kind_words(size::PREV_CLOSE) }, { OFFSETS.0[4] }>(
                    raw, recv_ns, hint,
                ),
            _ => {}
        }
    }

    /// Stores a packet of `BYTES` bytes as the `W` words of its kind's part at
    /// word `AT`: receive stamp, update count, the bytes with the header's
    /// length set to the kind's own (a longer packet, a field Dhan added, is
    /// kept as its known part, and decodes as one). A shorter packet is not kept
    /// and makes no slot.
    #[inline(always)]
    fn put<const BYTES: usize, const W: usize, const AT: usize>(
        &self,
        raw: &[u8],
        recv_ns: u64,
        hint: &mut u32,
    ) {
        let Some(packet) = raw.first_chunk::<BYTES>() else {
            return;
        };
        let Some(header) = packet.first_chunk::<8>() else {
            return;
        };
        let Some(slot) = self
            .table
            .find_or_insert_hinted(key_of_header(header), hint)
        else {
            self.table.refused.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let mut bytes = [[0u8; 8]; W];
        // A copy of constant length: vector moves, no call.
        bytes[2..].as_flattened_mut()[..BYTES].copy_from_slice(packet);
        bytes[2][1..3].copy_from_slice(&(BYTES as u16).to_le_bytes());
        slot.write(|words| {
            let Some(part) = words.get(AT..AT + W) else {
                return;
            };
            let updates = part[1].load(Ordering::Relaxed);
            part[0].store(recv_ns, Ordering::Relaxed);
            part[1].store(updates + 1, Ordering::Relaxed);
            for (w, b) in part[2..].iter().zip(&bytes[2..]) {
                w.store(u64::from_le_bytes(*b), Ordering::Relaxed);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::ExchangeSegment;
    use crate::proto::market_encode::packet_bytes;

    fn id(n: u32) -> InstrumentId {
        InstrumentId::new(ExchangeSegment::NseEq, n)
    }

    #[test]
    fn keeps_the_latest_of_each_kind_with_stamps_and_counts() {
        let (cache, w) = LastValueCache::new(8);
        assert_eq!(cache.latest(id(1)), None);
        let all = crate::proto::sample::market_packets();
        for (n, p) in all.iter().enumerate() {
            let mut p = *p;
            // Every sample onto instrument 1.
            match &mut p {
                MarketPacket::Ticker(t) => t.id = id(1),
                MarketPacket::Quote(q) => q.id = id(1),
                MarketPacket::Full(f) => f.id = id(1),
                MarketPacket::Oi(o) => o.id = id(1),
                MarketPacket::PrevClose(c) => c.id = id(1),
                _ => continue,
            }
            w.write(&packet_bytes(&p), 100 + n as u64);
        }
        let l = cache.latest(id(1)).expect("kept");
        let want = |code: u8| {
            let mut last = None;
            for p in &all {
                if p.code() == code {
                    last = Some(*p);
                }
            }
            last
        };
        if let Some(MarketPacket::Ticker(t)) = want(code::TICKER) {
            let got = l.ticker.expect("ticker");
            assert_eq!((got.value.ltp, got.value.ltt), (t.ltp, t.ltt));
            assert!(got.updates >= 1);
        }
        if let Some(MarketPacket::Full(f)) = want(code::FULL) {
            let got = l.full.expect("full").value;
            assert_eq!(got.depth, f.depth);
            assert_eq!(got.ltp, f.ltp);
        }
        assert_eq!(cache.instruments(), 1);
        assert_eq!(cache.latest(id(2)), None);
        // Each kind alone reads what the whole read does.
        assert_eq!(cache.ticker(id(1)), l.ticker);
        assert_eq!(cache.quote(id(1)), l.quote);
        assert_eq!(cache.full(id(1)), l.full);
        assert_eq!(cache.oi(id(1)), l.oi);
        assert_eq!(cache.prev_close(id(1)), l.prev_close);
        assert_eq!(cache.quote(id(2)), None);
    }

    /// `CacheWriter::write` names each kind's part by its place in `KINDS`.
    #[test]
    fn the_writer_s_parts_follow_the_slot_order() {
        let codes: Vec<u8> = KINDS.iter().map(|k| k.0).collect();
        assert_eq!(
            codes,
            [
                code::TICKER,
                code::QUOTE,
                code::FULL,
                code::OI,
                code::PREV_CLOSE
            ]
        );
    }

    #[test]
    fn a_full_table_refuses_new_instruments_and_counts_them() {
        let (cache, w) = LastValueCache::new(2);
        for n in 0..5 {
            let p = MarketPacket::Ticker(Ticker {
                id: id(n),
                ltp: n as f32,
                ltt: crate::proto::market::Ltt(n),
            });
            w.write(&packet_bytes(&p), 1);
            w.write(&packet_bytes(&p), 2);
        }
        assert_eq!(cache.instruments(), 2);
        assert_eq!(cache.refused(), 6);
        let kept = (0..5).filter(|&n| cache.latest(id(n)).is_some()).count();
        assert_eq!(kept, 2);
        let t = cache.latest(id(0)).unwrap().ticker.unwrap();
        assert_eq!((t.value.ltp, t.recv_ns, t.updates), (0.0, 2, 2));
    }

    #[test]
    fn short_unknown_and_foreign_packets_are_ignored() {
        let (cache, w) = LastValueCache::new(4);
        w.write(&[], 1);
        w.write(&[code::TICKER, 16, 0, 1, 5, 0, 0, 0], 1);
        w.write(&[99; 40], 1);
        w.write(&[code::DISCONNECT; 10], 1);
        assert_eq!(cache.instruments(), 0);
        assert_eq!(cache.latest(id(5)), None);
    }
}
