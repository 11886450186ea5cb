//! Routing on the I/O thread: which consumers want which instrument in which mode,
//! which connection carries it, and publishing into the consumers' rings under
//! their overflow policy. Never blocks.

use super::outbox::MAX_WAITING_EVENTS;
use super::port::ConsumerShared;
use crate::cache::CacheWriter;
use crate::config::Overflow;
use crate::event::{ConnectionEvent, FeedEvent, MarketEvent, Refusal, RefusedEvent};
use crate::proto::disconnect::DisconnectCode;
use crate::proto::error::DecodeError;
use crate::proto::market::{
    MarketPacket, MarketPackets, OpenInterest, Step, Ticker, code, packets,
};
use crate::proto::request::FeedMode;
use crate::proto::segment::InstrumentId;
use crate::ring::Producer;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::Ordering;

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
    /// Connection events in `pending_q` (at most `MAX_WAITING_EVENTS`). A `u32`
    /// fits in the padding after `mode` and `overflow`: the slot's hot fields
    /// keep their places.
    waiting_events: u32,
    /// Counted here on the hot path; copied to `shared` once per loop ([`Self::sync`]).
    published: u64,
    dropped: u64,
    last_publish_ns: u64,
    /// The consumer's last-value cache: every packet routed to it is kept there
    /// too, as it came.
    pub cache: Option<CacheWriter>,
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
            waiting_events: 0,
            published: 0,
            dropped: 0,
            last_publish_ns: 0,
            cache: None,
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
                match ev {
                    FeedEvent::Market(m) => {
                        let key = (m.packet.id(), m.packet.code());
                        if self.pending.get(&key) == Some(&self.head_seq) {
                            self.pending.remove(&key);
                        }
                    }
                    FeedEvent::Connection(_) => self.waiting_events -= 1,
                    _ => {}
                }
            }
            self.pending_q.pop_front();
            self.head_seq += 1;
        }
    }

    pub fn has_pending(&self) -> bool {
        !self.pending_q.is_empty()
    }

    /// Something waits in front: move it into the ring first if the consumer has
    /// made room, so new data is not dropped behind it while there is room.
    #[cold]
    #[inline(never)]
    fn catch_up(&mut self) {
        self.flush_pending();
    }

    fn publish_market(&mut self, ev: MarketEvent) {
        self.last_publish_ns = ev.publish_ns;
        if !self.pending_q.is_empty() {
            self.catch_up();
        }
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
    /// Past `MAX_WAITING_EVENTS` waiting, the oldest waiting connection event
    /// is dropped and counted (a refusal never is).
    pub fn publish_connection(&mut self, ev: ConnectionEvent) {
        if self.publish_control(FeedEvent::Connection(ev)) {
            self.waiting_events += 1;
            if self.waiting_events as usize > MAX_WAITING_EVENTS {
                self.drop_oldest_connection_event();
            }
        }
    }

    /// Removes the oldest waiting connection event (and shifts the conflation
    /// index of what waited behind it).
    #[cold]
    fn drop_oldest_connection_event(&mut self) {
        let Some(i) = self
            .pending_q
            .iter()
            .position(|e| matches!(e, Some(FeedEvent::Connection(_))))
        else {
            return;
        };
        self.pending_q.remove(i);
        let removed = self.head_seq + i as u64;
        for seq in self.pending.values_mut() {
            if *seq > removed {
                *seq -= 1;
            }
        }
        self.waiting_events -= 1;
        self.dropped += 1;
        log::warn!(
            "a market consumer has not read for {MAX_WAITING_EVENTS} connection events; the oldest waiting one is dropped"
        );
    }

    /// Tells the consumer the feed gave up `id` (and counts it as rejected).
    pub fn publish_refusal(&mut self, id: InstrumentId, reason: Refusal) {
        self.shared.rejected.fetch_add(1, Ordering::Relaxed);
        self.publish_control(FeedEvent::Refused(RefusedEvent::new(id, reason)));
    }

    /// An event in order behind what waits; `true` if it waits too.
    fn publish_control(&mut self, ev: FeedEvent) -> bool {
        if self.pending_q.is_empty() && self.producer.push(ev).is_ok() {
            self.published += 1;
            return false;
        }
        self.pending_q.push_back(Some(ev));
        // Later market events queue after it instead of replacing earlier ones.
        self.pending.clear();
        true
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
    /// Its subscription has gone out before (on this connection or an earlier
    /// one): a resend after a reconnect is not a new instrument.
    pub sent_before: bool,
    /// Where the instrument's slot was in its consumer's last-value cache the
    /// last time (a memo: a wrong one costs only the table's probe).
    pub cache_hint: u32,
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

/// Whether a consumer of `mode` needs a packet with response `code` changed
/// (see [`convert`]).
#[inline]
fn needs_conversion(code: u8, mode: FeedMode) -> bool {
    matches!(
        (mode, code),
        (FeedMode::Ticker, code::QUOTE | code::FULL | code::OI) | (FeedMode::Quote, code::FULL)
    )
}

/// What [`Fanout::publish_message`] met besides market data.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    /// A disconnect packet's reason (the last, if several).
    pub disconnect: Option<DisconnectCode>,
    /// The latest malformed packet's error.
    pub error: Option<DecodeError>,
    /// Malformed packets met (skipped, or the one that ended the walk).
    pub errors: u32,
    /// Whether a malformed packet ended the walk before the message's end.
    pub ended_early: bool,
    /// Packets longer than their kind (decoded; the extra bytes skipped).
    pub extended: u32,
    /// Code-0 packets (a heartbeat or acknowledgement on the live feed): skipped.
    /// A `u16` keeps `Walked` the size it was (saturating; a message of 64 KiB
    /// holds at most 8,192 packets).
    pub heartbeats: u16,
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
    /// Whether any consumer has a last-value cache (one test per packet when
    /// none has).
    pub caches: bool,
}

/// Packets published on one clock reading, at most. A clock read costs about as
/// much as decoding and publishing a packet (perf, `dhan-feed bench`); under a
/// burst the stamp is early by at most this many packets' work (a few µs).
pub(crate) const STAMP_EVERY: u32 = 32;

impl Fanout {
    /// Consumer `id`'s slot (a new handle).
    pub fn add_consumer(&mut self, id: usize, slot: ConsumerSlot) {
        if self.consumers.len() <= id {
            self.consumers.resize_with(id + 1, || None);
        }
        self.caches |= slot.cache.is_some();
        self.consumers[id] = Some(slot);
    }

    /// Instruments consumer `id` wants (to unsubscribe when it goes).
    pub fn wanted_by(&self, id: usize) -> Vec<InstrumentId> {
        self.routes
            .iter()
            .filter(|(_, r)| r.want.iter().any(|&(c, _)| c == id))
            .map(|(k, _)| *k)
            .collect()
    }

    /// A new read: the next publish reads the clock.
    #[inline]
    pub fn new_read(&mut self) {
        self.stamp_left = 0;
    }

    /// The publish stamp for the next packet (see [`STAMP_EVERY`]); takes the
    /// two fields so that a borrowed route can stay borrowed.
    #[inline]
    fn stamp(clock_ns: &mut u64, left: &mut u32) -> u64 {
        if *left == 0 {
            *clock_ns = crate::time::now_ns();
            *left = STAMP_EVERY;
        }
        *left -= 1;
        *clock_ns
    }

    /// Decodes every packet of one market-feed message and publishes it
    /// (`scratch` holds a packet that cannot go straight into a ring). A
    /// malformed packet is skipped by its declared length when that can be
    /// trusted, else it ends the walk; the packets before it stand.
    #[inline]
    pub fn publish_message(
        &mut self,
        msg: &[u8],
        scratch: &mut MarketPacket,
        recv_ns: u64,
    ) -> Walked {
        let mut walked = Walked::default();
        let mut it = packets(msg);
        loop {
            let before = it.consumed();
            // Straight into the ring when that is all there is to do; else decoded
            // into `scratch` and routed (a disconnect, several consumers, a
            // conversion, a full ring).
            let step = match self.publish_in_place(&mut it, msg, before, recv_ns) {
                Some(step) => step,
                None => {
                    let step = it.advance(scratch);
                    if step == Step::Packet {
                        match *scratch {
                            MarketPacket::Disconnect(d) => walked.disconnect = Some(d.reason),
                            MarketPacket::Unknown(u) if u.code == code::HEARTBEAT => {
                                walked.heartbeats = walked.heartbeats.saturating_add(1);
                            }
                            _ => {
                                self.publish(scratch, recv_ns);
                                if self.caches {
                                    let raw = &msg[before..it.consumed()];
                                    self.keep(scratch.id(), raw, recv_ns);
                                }
                            }
                        }
                    }
                    step
                }
            };
            match step {
                Step::Packet => {}
                Step::End => {
                    walked.extended = it.extended();
                    walked.ended_early = it.ended_early();
                    return walked;
                }
                Step::Error => {
                    walked.error = it.error().copied();
                    walked.errors += 1;
                }
            }
        }
    }

    /// Decodes the next packet of `it` straight into a ring slot and publishes
    /// it, when that is the whole job: one consumer wants the instrument, in the
    /// packet's own mode, and its ring has room and no backlog. `None` when it is
    /// not (nothing consumed: decode with [`MarketPackets::advance`] and call
    /// [`publish`](Self::publish)); `Some(Step::Packet)` when published,
    /// `Some(Step::Error)` when the packet is malformed (nothing published).
    ///
    /// Why: decoding into a scratch packet and then copying it into the slot
    /// reloads, 16 bytes at a time, memory just written field by field, which the
    /// CPU cannot forward from its store buffer; `perf record` of the I/O thread
    /// put 17–30 % of its samples on that one load (`BENCHMARKS.md`).
    #[inline]
    fn publish_in_place(
        &mut self,
        it: &mut MarketPackets<'_>,
        msg: &[u8],
        before: usize,
        recv_ns: u64,
    ) -> Option<Step> {
        let (code, id) = it.peek()?;
        if code == code::DISCONNECT {
            return None;
        }
        let route = self.routes.get_mut(&id)?;
        let &[(ci, mode)] = route.want.as_slice() else {
            return None;
        };
        if needs_conversion(code, mode) {
            return None;
        }
        let Some(Some(c)) = self.consumers.get_mut(ci) else {
            return None;
        };
        if !c.pending_q.is_empty() {
            return None;
        }
        let publish_ns = Self::stamp(&mut self.clock_ns, &mut self.stamp_left);
        let mut step = Step::End;
        let start = FeedEvent::Market(MarketEvent {
            packet: MarketPacket::Ticker(Ticker {
                id,
                ltp: 0.0,
                ltt: crate::proto::market::Ltt(0),
            }),
            recv_ns,
            publish_ns,
        });
        let pushed = c.producer.push_in_place(
            || start,
            |ev| match ev {
                FeedEvent::Market(m) => {
                    step = it.advance(&mut m.packet);
                    step == Step::Packet
                }
                _ => false,
            },
        )?;
        if pushed {
            c.published += 1;
            c.last_publish_ns = publish_ns;
            // The consumer's cache keeps the packet as it came (its one
            // consumer found already: no second route lookup).
            if let Some(cache) = &c.cache {
                cache.write_hinted(&msg[before..it.consumed()], recv_ns, &mut route.cache_hint);
            }
        }
        Some(step)
    }

    /// Keeps one packet of `id` (`raw`: its wire bytes) in the last-value cache
    /// of every consumer that wants the instrument and has one.
    #[inline(never)]
    fn keep(&self, id: InstrumentId, raw: &[u8], recv_ns: u64) {
        let Some(route) = self.routes.get(&id) else {
            return;
        };
        for &(ci, _) in &route.want {
            if let Some(Some(ConsumerSlot {
                cache: Some(cache), ..
            })) = self.consumers.get(ci)
            {
                cache.write(raw, recv_ns);
            }
        }
    }

    /// Publishes one decoded packet to every consumer that wants its instrument.
    #[inline]
    fn publish(&mut self, p: &MarketPacket, recv_ns: u64) {
        let Some(route) = self.routes.get(&p.id()) else {
            self.unrouted += 1;
            return;
        };
        let publish_ns = Self::stamp(&mut self.clock_ns, &mut self.stamp_left);
        for &(ci, mode) in &route.want {
            let Some(Some(c)) = self.consumers.get_mut(ci) else {
                continue;
            };
            // A packet as received into a ring with room: built in the ring slot,
            // one copy (the general path copies it three times).
            if !needs_conversion(p.code(), mode)
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

    /// A consumer that never reads while its connection flaps: waiting
    /// connection events stop at the cap (the oldest dropped, counted), a
    /// refusal is never dropped, and conflated market events behind the dropped
    /// events keep replacing the right entries.
    #[test]
    fn waiting_connection_events_are_capped_oldest_first() {
        let (p, mut c) = ring::<FeedEvent>(1);
        let shared = Arc::new(ConsumerShared::default());
        let mut slot = ConsumerSlot::new(p, FeedMode::Ticker, Overflow::Conflate, shared.clone());
        let conn = |n: u32| ConnectionEvent {
            feed: crate::proto::endpoint::FeedKind::MarketFeed,
            connection: 0,
            event: crate::session::SessionEvent::Reconnected {
                resubscribed: n,
                downtime: std::time::Duration::ZERO,
            },
        };
        let ev = |ltp| MarketEvent {
            packet: ticker(1, ltp),
            recv_ns: 0,
            publish_ns: 0,
        };
        slot.publish_market(ev(0.0)); // in the ring
        slot.publish_refusal(
            InstrumentId::new(crate::proto::ExchangeSegment::NseEq, 9),
            Refusal::NoRoom,
        );
        let extra = 10u32;
        let n = MAX_WAITING_EVENTS as u32 + extra;
        for i in 0..n {
            slot.publish_connection(conn(i));
        }
        slot.publish_market(ev(1.0));
        slot.publish_market(ev(2.0)); // replaces 1.0
        slot.sync();
        assert_eq!(shared.dropped.load(Ordering::Relaxed), u64::from(extra) + 1);
        let mut got = Vec::new();
        loop {
            while let Some(e) = c.pop() {
                got.push(e);
            }
            if !slot.has_pending() {
                break;
            }
            slot.flush_pending();
        }
        assert!(matches!(got[1], FeedEvent::Refused(_)), "{:?}", got[1]);
        let kept: Vec<u32> = got
            .iter()
            .filter_map(|e| match e {
                FeedEvent::Connection(ConnectionEvent {
                    event: crate::session::SessionEvent::Reconnected { resubscribed, .. },
                    ..
                }) => Some(*resubscribed),
                _ => None,
            })
            .collect();
        assert_eq!(kept, (extra..n).collect::<Vec<_>>(), "the newest, in order");
        let ltps: Vec<f32> = got
            .iter()
            .filter_map(|e| e.market().and_then(|m| m.packet.ltp()))
            .collect();
        assert_eq!(ltps, [0.0, 2.0]);
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
                    FeedEvent::Connection(_)
                    | FeedEvent::Refused(_)
                    | FeedEvent::EngineStopped(_) => -1.0,
                });
            }
            slot.flush_pending();
        }
        assert_eq!(got, vec![1.0, 2.0, 3.0, -1.0, 5.0]);
        assert!(!slot.has_pending());
    }

    /// Data used to be dropped whenever a connection event waited in front of it,
    /// even with the ring empty again, until the next housekeeping turn.
    #[test]
    fn data_behind_a_waiting_event_goes_in_once_there_is_room() {
        let (p, mut c) = ring::<FeedEvent>(2);
        let shared = Arc::new(ConsumerShared::default());
        let mut slot = ConsumerSlot::new(p, FeedMode::Ticker, Overflow::DropNewest, shared.clone());
        let ev = |id, ltp| MarketEvent {
            packet: ticker(id, ltp),
            recv_ns: 0,
            publish_ns: 0,
        };
        slot.publish_market(ev(1, 1.0));
        slot.publish_market(ev(2, 2.0));
        slot.publish_connection(ConnectionEvent {
            feed: crate::proto::endpoint::FeedKind::MarketFeed,
            connection: 0,
            event: crate::session::SessionEvent::Connected,
        }); // the ring is full: it waits
        assert!(slot.has_pending());
        // The consumer empties the ring; data arrives before any housekeeping.
        while c.pop().is_some() {}
        slot.publish_market(ev(3, 3.0));
        assert!(
            matches!(c.pop(), Some(FeedEvent::Connection(_))),
            "in order"
        );
        assert_eq!(
            c.pop().and_then(|e| e.market().map(|m| m.packet.ltp())),
            Some(Some(3.0))
        );
        slot.sync();
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 0, "nothing dropped");
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

    /// A fanout whose consumers (one per mode, ring of `cap`) all want `ids`.
    fn fanout(
        modes: &[FeedMode],
        ids: &[InstrumentId],
        cap: usize,
        overflow: Overflow,
    ) -> (
        Fanout,
        Vec<crate::ring::Consumer<FeedEvent>>,
        Vec<Arc<ConsumerShared>>,
    ) {
        let mut fan = Fanout::default();
        let (mut rx, mut shared) = (Vec::new(), Vec::new());
        for (ci, &mode) in modes.iter().enumerate() {
            let (p, c) = ring::<FeedEvent>(cap);
            let sh = Arc::new(ConsumerShared::default());
            fan.consumers
                .push(Some(ConsumerSlot::new(p, mode, overflow, sh.clone())));
            rx.push(c);
            shared.push(sh);
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                fan.routes
                    .entry(id)
                    .or_insert_with(|| Route {
                        shard: 0,
                        want: Vec::new(),
                        wire: None,
                        sent_before: false,
                        cache_hint: u32::MAX,
                    })
                    .want
                    .push((ci, mode));
            }
        }
        (fan, rx, shared)
    }

    fn drain(c: &mut crate::ring::Consumer<FeedEvent>) -> Vec<MarketEvent> {
        std::iter::from_fn(|| c.pop())
            .map(|e| *e.market().expect("market event"))
            .collect()
    }

    /// Every packet kind, a disconnect among them, in one message.
    fn every_kind() -> Vec<MarketPacket> {
        use crate::proto::market::{Disconnect, MarketStatus, UnknownPacket};
        let mut v = crate::proto::sample::market_packets();
        let id = v[1].id();
        v.insert(2, MarketPacket::MarketStatus(MarketStatus { id, len: 8 }));
        v.insert(
            3,
            MarketPacket::Disconnect(Disconnect {
                id: InstrumentId::new(crate::proto::ExchangeSegment::IdxI, 0),
                reason: DisconnectCode(805),
            }),
        );
        v.push(MarketPacket::Unknown(UnknownPacket {
            code: 99,
            id,
            len: 12,
        }));
        v
    }

    #[test]
    fn straight_into_the_ring_delivers_what_decode_then_route_does() {
        let sample = every_kind();
        let mut msg = Vec::new();
        for p in &sample {
            crate::proto::market_encode::encode_packet(p, &mut msg);
        }
        let ids: Vec<InstrumentId> = sample.iter().map(MarketPacket::id).collect();
        use FeedMode::{Full, Quote, Ticker};
        // One consumer: the straight path for packets in its mode; two: never.
        for modes in [
            &[Ticker][..],
            &[Quote],
            &[Full],
            &[Ticker, Full],
            &[Quote, Quote],
        ] {
            let (mut fan, mut rx, _) = fanout(modes, &ids, 64, Overflow::DropNewest);
            let mut scratch = ticker(0, 0.0);
            let walked = fan.publish_message(&msg, &mut scratch, 77);
            assert_eq!(walked.disconnect, Some(DisconnectCode(805)));
            assert_eq!(walked.error, None);
            for (ci, &mode) in modes.iter().enumerate() {
                let mut want = Vec::new();
                for p in sample
                    .iter()
                    .filter(|p| !matches!(p, MarketPacket::Disconnect(_)))
                {
                    convert(p, mode, |q| want.push(q));
                }
                let got = drain(&mut rx[ci]);
                let packets: Vec<MarketPacket> = got.iter().map(|e| e.packet).collect();
                assert_eq!(packets, want, "modes {modes:?}, consumer {ci}");
                assert!(got.iter().all(|e| e.recv_ns == 77 && e.publish_ns >= 1));
            }
        }
    }

    #[test]
    fn a_malformed_packet_ends_the_message_and_what_came_before_stands() {
        let sample = every_kind();
        let (good, rest) = sample.split_at(2);
        let mut msg = Vec::new();
        for p in good {
            crate::proto::market_encode::encode_packet(p, &mut msg);
        }
        let bad_at = msg.len();
        crate::proto::market_encode::encode_packet(&rest[2], &mut msg);
        msg[bad_at + 1] ^= 0x40; // its declared length
        crate::proto::market_encode::encode_packet(&rest[3], &mut msg);
        let ids: Vec<InstrumentId> = sample.iter().map(MarketPacket::id).collect();
        let (mut fan, mut rx, _) = fanout(&[FeedMode::Full], &ids, 64, Overflow::DropNewest);
        let mut scratch = ticker(0, 0.0);
        let walked = fan.publish_message(&msg, &mut scratch, 1);
        let err = walked.error.expect("a decode error");
        assert!(err.to_string().contains(&bad_at.to_string()), "{err}");
        let got: Vec<MarketPacket> = drain(&mut rx[0]).iter().map(|e| e.packet).collect();
        assert_eq!(got, good);
    }

    #[test]
    fn a_full_ring_falls_back_to_the_overflow_policy_in_order() {
        let ids: Vec<InstrumentId> = (1..=4)
            .map(|i| InstrumentId::new(crate::proto::ExchangeSegment::NseEq, i))
            .collect();
        let msg = |pairs: &[(u32, f32)]| {
            let mut m = Vec::new();
            for &(id, ltp) in pairs {
                crate::proto::market_encode::encode_packet(&ticker(id, ltp), &mut m);
            }
            m
        };
        let mut scratch = ticker(0, 0.0);
        // Drop newest: the ring takes two, the rest are counted.
        let (mut fan, mut rx, shared) = fanout(&[FeedMode::Ticker], &ids, 2, Overflow::DropNewest);
        fan.publish_message(
            &msg(&[(1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0)]),
            &mut scratch,
            0,
        );
        fan.consumers[0].as_mut().unwrap().sync();
        assert_eq!(shared[0].dropped.load(Ordering::Relaxed), 2);
        let got: Vec<f32> = drain(&mut rx[0])
            .iter()
            .map(|e| e.packet.ltp().unwrap())
            .collect();
        assert_eq!(got, vec![1.0, 2.0]);
        // Conflate: what waits outside the ring goes first, even once the ring has
        // room again (the straight path must not overtake it).
        let (mut fan, mut rx, _) = fanout(&[FeedMode::Ticker], &ids, 2, Overflow::Conflate);
        fan.publish_message(&msg(&[(1, 1.0), (2, 2.0), (3, 3.0)]), &mut scratch, 0);
        let mut got: Vec<f32> = Vec::new();
        got.extend(
            rx[0]
                .pop()
                .and_then(|e| e.market().and_then(|m| m.packet.ltp())),
        );
        fan.publish_message(&msg(&[(4, 4.0)]), &mut scratch, 0);
        for _ in 0..3 {
            got.extend(drain(&mut rx[0]).iter().map(|e| e.packet.ltp().unwrap()));
            fan.consumers[0].as_mut().unwrap().flush_pending();
        }
        assert_eq!(got, vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn conversions_follow_the_consumer_mode() {
        let full = crate::proto::sample::market_packets()
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
