//! Routing on the I/O thread: which consumers want which instrument in which mode,
//! which connection carries it, and publishing into the consumers' rings under
//! their overflow policy. Never blocks.

use crate::config::Overflow;
use crate::feed::event::{ConnectionEvent, FeedEvent, MarketEvent};
use crate::proto::market::{MarketPacket, OpenInterest, Ticker};
use crate::proto::request::FeedMode;
use crate::proto::segment::InstrumentId;
use crate::ring::Producer;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A fast hasher for the small integer keys of the routing table (FxHash's mix).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Counters a consumer handle reads; written by the I/O thread.
#[derive(Debug, Default)]
pub(crate) struct ConsumerShared {
    pub published: AtomicU64,
    pub dropped: AtomicU64,
    pub rejected: AtomicU64,
    /// [`crate::time::now_ns`] of the latest publish (0: none yet).
    pub last_publish_ns: AtomicU64,
}

pub(crate) struct ConsumerSlot {
    pub producer: Producer<FeedEvent>,
    pub mode: FeedMode,
    pub overflow: Overflow,
    pub shared: Arc<ConsumerShared>,
    /// Events waiting for room, in arrival order: connection events (never
    /// dropped) and, when conflating, the latest market event per instrument and
    /// packet kind (a quote must not replace an OI packet).
    pending_q: VecDeque<Option<FeedEvent>>,
    /// Conflation index: key -> sequence number of its waiting event; the front of
    /// `pending_q` has sequence `head_seq`, so popping never shifts the index.
    pending: FxMap<(InstrumentId, u8), u64>,
    head_seq: u64,
    /// Counted here on the hot path; copied to `shared` once per loop ([`Self::sync`]).
    published: u64,
    dropped: u64,
    last_publish_ns: u64,
}

impl ConsumerSlot {
    pub fn new(
        producer: Producer<FeedEvent>,
        mode: FeedMode,
        overflow: Overflow,
        shared: Arc<ConsumerShared>,
    ) -> Self {
        Self {
            producer,
            mode,
            overflow,
            shared,
            pending_q: VecDeque::new(),
            pending: FxMap::default(),
            head_seq: 0,
            published: 0,
            dropped: 0,
            last_publish_ns: 0,
        }
    }

    /// Makes the counters visible to the handle (one store each, not one atomic
    /// read-modify-write per event).
    pub fn sync(&self) {
        self.shared
            .published
            .store(self.published, Ordering::Relaxed);
        self.shared.dropped.store(self.dropped, Ordering::Relaxed);
        self.shared
            .last_publish_ns
            .store(self.last_publish_ns, Ordering::Relaxed);
    }

    /// Moves held-back events into the ring while there is room.
    pub fn flush_pending(&mut self) {
        while let Some(front) = self.pending_q.front() {
            if let Some(ev) = front {
                if self.producer.push(*ev).is_err() {
                    return;
                }
                self.published += 1;
                if let FeedEvent::Market(m) = ev {
                    let key = (m.packet.id(), m.packet.code());
                    if self.pending.get(&key) == Some(&self.head_seq) {
                        self.pending.remove(&key);
                    }
                }
            }
            self.pending_q.pop_front();
            self.head_seq += 1;
        }
    }

    pub fn has_pending(&self) -> bool {
        !self.pending_q.is_empty()
    }

    fn publish_market(&mut self, ev: MarketEvent) {
        self.last_publish_ns = ev.publish_ns;
        if self.pending_q.is_empty() {
            match self.producer.push(FeedEvent::Market(ev)) {
                Ok(()) => {
                    self.published += 1;
                    return;
                }
                Err(_) if self.overflow == Overflow::DropNewest => {
                    self.dropped += 1;
                    return;
                }
                Err(_) => {}
            }
        } else if self.overflow == Overflow::DropNewest {
            self.dropped += 1;
            return;
        }
        // Conflate: keep only the latest per instrument until the consumer catches up.
        let key = (ev.packet.id(), ev.packet.code());
        let tail_seq = self.head_seq + self.pending_q.len() as u64;
        match self.pending.get(&key) {
            Some(&seq) => {
                self.pending_q[(seq - self.head_seq) as usize] = Some(FeedEvent::Market(ev));
                self.dropped += 1;
            }
            None => {
                self.pending.insert(key, tail_seq);
                self.pending_q.push_back(Some(FeedEvent::Market(ev)));
            }
        }
    }

    /// Queues a connection event behind everything already waiting (never dropped,
    /// never ahead of market events that arrived before it).
    pub fn publish_connection(&mut self, ev: ConnectionEvent) {
        let ev = FeedEvent::Connection(ev);
        if self.pending_q.is_empty() && self.producer.push(ev).is_ok() {
            self.published += 1;
            return;
        }
        self.pending_q.push_back(Some(ev));
        // Later market events queue after it instead of replacing earlier ones.
        self.pending.clear();
    }
}

/// One subscribed instrument.
#[derive(Debug)]
pub(crate) struct Route {
    pub shard: usize,
    /// Consumers and the mode each asked for.
    pub want: Vec<(usize, FeedMode)>,
    /// What the server has been asked for.
    pub wire: Option<FeedMode>,
}

impl Route {
    pub fn richest(&self) -> Option<FeedMode> {
        self.want.iter().map(|&(_, m)| m).max()
    }
}

/// Converts `p` (carried in the connection's richer mode) into what a consumer of
/// `mode` expects, calling `emit` for each resulting packet.
#[inline]
pub(crate) fn convert(p: &MarketPacket, mode: FeedMode, mut emit: impl FnMut(MarketPacket)) {
    match (mode, p) {
        (FeedMode::Ticker, MarketPacket::Quote(q)) => emit(MarketPacket::Ticker(Ticker {
            id: q.id,
            ltp: q.ltp,
            ltt: q.ltt,
        })),
        (FeedMode::Ticker, MarketPacket::Full(f)) => emit(MarketPacket::Ticker(Ticker {
            id: f.id,
            ltp: f.ltp,
            ltt: f.ltt,
        })),
        (FeedMode::Ticker, MarketPacket::Oi(_)) => {}
        (FeedMode::Quote, MarketPacket::Full(f)) => {
            emit(MarketPacket::Quote(crate::proto::market::Quote {
                id: f.id,
                ltp: f.ltp,
                ltq: f.ltq,
                ltt: f.ltt,
                atp: f.atp,
                volume: f.volume,
                total_sell_qty: f.total_sell_qty,
                total_buy_qty: f.total_buy_qty,
                open: f.open,
                close: f.close,
                high: f.high,
                low: f.low,
            }));
            emit(MarketPacket::Oi(OpenInterest { id: f.id, oi: f.oi }));
        }
        _ => emit(*p),
    }
}

/// Whether a consumer of `mode` needs `p` changed (see [`convert`]).
#[inline]
fn needs_conversion(p: &MarketPacket, mode: FeedMode) -> bool {
    matches!(
        (mode, p),
        (
            FeedMode::Ticker,
            MarketPacket::Quote(_) | MarketPacket::Full(_) | MarketPacket::Oi(_)
        ) | (FeedMode::Quote, MarketPacket::Full(_))
    )
}

/// Consumers and routes.
#[derive(Default)]
pub(crate) struct Fanout {
    pub consumers: Vec<Option<ConsumerSlot>>,
    pub routes: FxMap<InstrumentId, Route>,
    /// Packets whose instrument nobody wants (late packets after an unsubscribe).
    pub unrouted: u64,
    /// The publish stamp, re-read from the clock for the first packet of every
    /// read and then every [`STAMP_EVERY`] packets (see [`MarketEvent::publish_ns`]).
    clock_ns: u64,
    stamp_left: u32,
}

/// Packets published on one clock reading, at most. A clock read costs about as
/// much as decoding and publishing a packet (perf, `dhan-feed bench`); under a
/// burst the stamp is early by at most this many packets' work (a few µs).
pub(crate) const STAMP_EVERY: u32 = 32;

impl Fanout {
    /// A new read: the next publish reads the clock.
    #[inline]
    pub fn new_read(&mut self) {
        self.stamp_left = 0;
    }

    /// Publishes one decoded packet to every consumer that wants its instrument.
    #[inline]
    pub fn publish(&mut self, p: &MarketPacket, recv_ns: u64) {
        let Some(route) = self.routes.get(&p.id()) else {
            self.unrouted += 1;
            return;
        };
        if self.stamp_left == 0 {
            self.clock_ns = crate::time::now_ns();
            self.stamp_left = STAMP_EVERY;
        }
        self.stamp_left -= 1;
        let publish_ns = self.clock_ns;
        for &(ci, mode) in &route.want {
            let Some(Some(c)) = self.consumers.get_mut(ci) else {
                continue;
            };
            // The common case, the packet as received into a ring with room: built
            // in the ring slot, one copy (the general path copies it three times).
            if !needs_conversion(p, mode)
                && c.pending_q.is_empty()
                && c.producer.push_with(|| {
                    FeedEvent::Market(MarketEvent {
                        packet: *p,
                        recv_ns,
                        publish_ns,
                    })
                })
            {
                c.published += 1;
                c.last_publish_ns = publish_ns;
                continue;
            }
            convert(p, mode, |packet| {
                c.publish_market(MarketEvent {
                    packet,
                    recv_ns,
                    publish_ns,
                })
            });
        }
    }

    /// Tells every consumer with an instrument on `shard` (or every consumer, when
    /// `shard` is `None`) about a connection change.
    pub fn connection_event(&mut self, shard: usize, ev: ConnectionEvent) {
        let mut hit = vec![false; self.consumers.len()];
        for r in self.routes.values().filter(|r| r.shard == shard) {
            for &(ci, _) in &r.want {
                if let Some(h) = hit.get_mut(ci) {
                    *h = true;
                }
            }
        }
        for (ci, c) in self.consumers.iter_mut().enumerate() {
            if let (Some(c), true) = (c, hit[ci]) {
                c.publish_connection(ev);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::market::Ltt;
    use crate::ring::ring;

    fn ticker(id: u32, ltp: f32) -> MarketPacket {
        crate::proto::market_encode::ticker(
            InstrumentId::new(crate::proto::ExchangeSegment::NseEq, id),
            ltp,
            Ltt(0),
        )
    }

    #[test]
    fn conflate_keeps_latest_per_instrument_and_counts_drops() {
        let (p, mut c) = ring::<FeedEvent>(2);
        let shared = Arc::new(ConsumerShared::default());
        let mut slot = ConsumerSlot::new(p, FeedMode::Ticker, Overflow::Conflate, shared.clone());
        for (id, ltp) in [(1, 1.0), (2, 2.0), (1, 3.0), (2, 4.0), (1, 5.0), (3, 6.0)] {
            slot.publish_market(MarketEvent {
                packet: ticker(id, ltp),
                recv_ns: 0,
                publish_ns: 0,
            });
        }
        slot.sync();
        // The ring took the first two; 1's 3.0 was replaced by 5.0 (one drop);
        // 2's 4.0 and 3's 6.0 wait behind it.
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 1);
        let mut got = Vec::new();
        while let Some(e) = c.pop() {
            got.push(e.market().unwrap().packet.ltp().unwrap());
        }
        slot.flush_pending();
        while let Some(e) = c.pop() {
            got.push(e.market().unwrap().packet.ltp().unwrap());
        }
        slot.flush_pending();
        while let Some(e) = c.pop() {
            got.push(e.market().unwrap().packet.ltp().unwrap());
        }
        assert_eq!(got, vec![1.0, 2.0, 5.0, 4.0, 6.0]);
        assert!(!slot.has_pending());
        slot.sync();
        assert_eq!(shared.published.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn a_connection_event_keeps_its_place_among_waiting_market_events() {
        let (p, mut c) = ring::<FeedEvent>(2);
        let shared = Arc::new(ConsumerShared::default());
        let mut slot = ConsumerSlot::new(p, FeedMode::Ticker, Overflow::Conflate, shared);
        let ev = |id, ltp| MarketEvent {
            packet: ticker(id, ltp),
            recv_ns: 0,
            publish_ns: 0,
        };
        slot.publish_market(ev(1, 1.0));
        slot.publish_market(ev(2, 2.0));
        slot.publish_market(ev(3, 3.0)); // waits
        slot.publish_connection(ConnectionEvent {
            feed: crate::proto::endpoint::FeedKind::MarketFeed,
            connection: 0,
            event: crate::session::SessionEvent::Connected,
        });
        slot.publish_market(ev(3, 4.0)); // after the event: must not replace 3.0
        slot.publish_market(ev(3, 5.0)); // replaces 4.0 (both after the event)
        let mut got = Vec::new();
        for _ in 0..4 {
            while let Some(e) = c.pop() {
                got.push(match e {
                    FeedEvent::Market(m) => m.packet.ltp().unwrap(),
                    FeedEvent::Connection(_) => -1.0,
                });
            }
            slot.flush_pending();
        }
        assert_eq!(got, vec![1.0, 2.0, 3.0, -1.0, 5.0]);
        assert!(!slot.has_pending());
    }

    #[test]
    fn drop_newest_counts() {
        let (p, mut c) = ring::<FeedEvent>(2);
        let shared = Arc::new(ConsumerShared::default());
        let mut slot = ConsumerSlot::new(p, FeedMode::Ticker, Overflow::DropNewest, shared.clone());
        for i in 0..5 {
            slot.publish_market(MarketEvent {
                packet: ticker(i, 0.0),
                recv_ns: 0,
                publish_ns: 0,
            });
        }
        slot.sync();
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 3);
        assert_eq!(
            c.pop().unwrap().market().unwrap().packet.id().security_id,
            0
        );
    }

    #[test]
    fn conversions_follow_the_consumer_mode() {
        let full = crate::cli::sample::market_packets()
            .into_iter()
            .find(|p| matches!(p, MarketPacket::Full(_)))
            .unwrap();
        let mut got = Vec::new();
        convert(&full, FeedMode::Ticker, |p| got.push(p.kind_name()));
        convert(&full, FeedMode::Quote, |p| got.push(p.kind_name()));
        convert(&full, FeedMode::Full, |p| got.push(p.kind_name()));
        assert_eq!(got, vec!["ticker", "quote", "oi", "full"]);
    }
}
