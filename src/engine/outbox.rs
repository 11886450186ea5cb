//! The I/O thread's side of a depth or order consumer's ring: data items are
//! dropped (and counted) when the ring is full; connection events wait in order
//! behind what is already waiting, up to [`MAX_WAITING_EVENTS`] (past that the
//! oldest waiting one is dropped and counted: a consumer that stopped reading
//! while its connection flaps must not grow memory without bound).

/// Connection events that may wait for room in a consumer's ring (the ring
/// itself holds thousands more). About 4 per reconnection: hours of a
/// reconnecting connection behind a consumer that does not read.
pub(crate) const MAX_WAITING_EVENTS: usize = 1024;

use super::port::OutboxShared;
use crate::ring::Producer;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;

/// What an outbox's items must say about themselves to wait in its queue.
pub(crate) trait Waiting: Copy {
    /// Whether this is a data item (an update) rather than an event.
    fn is_data(&self) -> bool;
    /// A gap marker: `missed` data items, read from `first_ns` to `last_ns`,
    /// did not fit in the spill. `None` for kinds that never spill.
    fn gap(missed: u64, first_ns: u64, last_ns: u64) -> Option<Self>;
    /// This item's count and end, if it is a gap marker (to extend it).
    fn gap_mut(&mut self) -> Option<(&mut u64, &mut u64)>;
}

impl Waiting for crate::event::OrderItem {
    #[inline]
    fn is_data(&self) -> bool {
        matches!(self, Self::Update { .. })
    }
    fn gap(missed: u64, first_ns: u64, last_ns: u64) -> Option<Self> {
        Some(Self::Gap {
            missed,
            first_ns,
            last_ns,
        })
    }
    fn gap_mut(&mut self) -> Option<(&mut u64, &mut u64)> {
        match self {
            Self::Gap {
                missed, last_ns, ..
            } => Some((missed, last_ns)),
            _ => None,
        }
    }
}

/// Depth sides are snapshots: a newer one replaces what a lost one said, so
/// they never spill.
impl<const N: usize> Waiting for crate::event::DepthItem<N> {
    #[inline]
    fn is_data(&self) -> bool {
        matches!(self, Self::Side(_))
    }
    fn gap(_: u64, _: u64, _: u64) -> Option<Self> {
        None
    }
    fn gap_mut(&mut self) -> Option<(&mut u64, &mut u64)> {
        None
    }
}

/// Global Stocks packets are last values per instrument, as market packets are:
/// a full ring drops the newest and counts it; they never spill.
impl Waiting for crate::event::GlobalItem {
    #[inline]
    fn is_data(&self) -> bool {
        matches!(self, Self::Packet { .. })
    }
    fn gap(_: u64, _: u64, _: u64) -> Option<Self> {
        None
    }
    fn gap_mut(&mut self) -> Option<(&mut u64, &mut u64)> {
        None
    }
}

pub(crate) struct Outbox<T: Waiting> {
    producer: Producer<T>,
    /// Waiting for room in the ring, in arrival order: events, and with a
    /// spill, data items and gap markers.
    pending: VecDeque<T>,
    /// Data items that may wait (0: a full ring drops them).
    spill: usize,
    /// Data items waiting now.
    waiting_data: usize,
    published: u64,
    dropped: u64,
    spilled: u64,
}

impl<T: Waiting + Send> Outbox<T> {
    /// An outbox that drops data the ring has no room for.
    pub fn new(producer: Producer<T>) -> Self {
        Self::with_spill(producer, 0)
    }

    /// An outbox where up to `spill` data items wait, in order, for room in
    /// the ring; past that they are dropped and counted in one gap marker per
    /// run of drops. The queue is reserved now (address space; pages are
    /// touched only when used), so spilling does not allocate on the I/O thread.
    pub fn with_spill(producer: Producer<T>, spill: usize) -> Self {
        Self {
            producer,
            pending: VecDeque::with_capacity(if spill == 0 { 8 } else { spill + 64 }),
            spill,
            waiting_data: 0,
            published: 0,
            dropped: 0,
            spilled: 0,
        }
    }

    /// Whether the handle's ring has `n` free slots (a replay at full speed
    /// waits for room).
    #[cfg(feature = "journal")]
    pub fn has_room_for(&mut self, n: usize) -> bool {
        self.producer.has_room_for(n)
    }

    /// A data item, built by `make` directly in its ring slot (these items are
    /// large: a 200-level side is 3.2 KB), read at `recv_ns`. When the ring is
    /// full it waits in the spill, or is dropped and counted (then `make` is
    /// not called).
    #[inline]
    pub fn push_data(&mut self, recv_ns: u64, make: impl Fn() -> T) {
        if !self.pending.is_empty() {
            self.catch_up();
        }
        if self.pending.is_empty() && self.producer.push_with(&make) {
            self.published += 1;
        } else {
            self.spill_or_drop(recv_ns, make);
        }
    }

    /// The ring has no room (or items wait before this one).
    #[cold]
    #[inline(never)]
    fn spill_or_drop(&mut self, recv_ns: u64, make: impl Fn() -> T) {
        if self.waiting_data < self.spill {
            self.pending.push_back(make());
            self.waiting_data += 1;
            self.spilled += 1;
            return;
        }
        self.dropped += 1;
        if self.spill == 0 {
            return;
        }
        // Past the spill: one gap marker per run of drops says how many, and when.
        if let Some((missed, last)) = self.pending.back_mut().and_then(T::gap_mut) {
            *missed += 1;
            *last = recv_ns;
        } else if let Some(gap) = T::gap(1, recv_ns, recv_ns) {
            log::warn!(
                "a consumer's ring and its spill of {} updates are full; updates are lost until it reads (a gap event follows)",
                self.spill
            );
            self.pending.push_back(gap);
        }
    }

    /// Moves waiting items into the ring while there is room (before new data,
    /// so data is not dropped behind an event while the ring has room).
    #[cold]
    #[inline(never)]
    fn catch_up(&mut self) {
        while let Some(&item) = self.pending.front() {
            if self.producer.push(item).is_err() {
                break;
            }
            self.pending.pop_front();
            self.published += 1;
            if item.is_data() {
                self.waiting_data -= 1;
            }
        }
    }

    /// A connection event: waits for room behind what already waits; past
    /// [`MAX_WAITING_EVENTS`] waiting events the oldest one is dropped and counted.
    pub fn push_event(&mut self, item: T) {
        if self.pending.is_empty() && self.producer.push(item).is_ok() {
            self.published += 1;
            return;
        }
        if self.pending.len() - self.waiting_data >= MAX_WAITING_EVENTS
            && let Some(i) = self.pending.iter().position(|e| !e.is_data())
        {
            self.pending.remove(i);
            self.dropped += 1;
            log::warn!(
                "a consumer has not read for {MAX_WAITING_EVENTS} connection events; the oldest waiting one is dropped"
            );
        }
        self.pending.push_back(item);
    }

    /// Moves waiting items into the ring while there is room; publishes counters.
    pub fn flush(&mut self, shared: &OutboxShared) {
        self.catch_up();
        shared.published.store(self.published, Ordering::Relaxed);
        shared.dropped.store(self.dropped, Ordering::Relaxed);
        shared.spilled.store(self.spilled, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::ring;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum It {
        Data(u32),
        Event(u32),
        Gap { missed: u64, first: u64, last: u64 },
    }

    impl Waiting for It {
        fn is_data(&self) -> bool {
            matches!(self, It::Data(_))
        }
        fn gap(missed: u64, first: u64, last: u64) -> Option<Self> {
            Some(It::Gap {
                missed,
                first,
                last,
            })
        }
        fn gap_mut(&mut self) -> Option<(&mut u64, &mut u64)> {
            match self {
                It::Gap { missed, last, .. } => Some((missed, last)),
                _ => None,
            }
        }
    }

    fn drain(
        c: &mut crate::ring::Consumer<It>,
        out: &mut Outbox<It>,
        shared: &OutboxShared,
    ) -> Vec<It> {
        let mut got = Vec::new();
        loop {
            while let Some(e) = c.pop() {
                got.push(e);
            }
            if out.pending.is_empty() {
                return got;
            }
            out.flush(shared);
        }
    }

    /// Data used to be dropped whenever an event waited in front of it, even with
    /// room in the ring, until the next housekeeping turn.
    #[test]
    fn data_behind_a_waiting_event_goes_in_once_there_is_room() {
        let (p, mut c) = ring::<It>(2);
        let mut out = Outbox::new(p);
        out.push_data(0, || It::Data(1));
        out.push_data(0, || It::Data(2));
        out.push_event(It::Event(100)); // full: waits
        out.push_data(0, || It::Data(3)); // full: dropped, counted
        while c.pop().is_some() {}
        out.push_data(0, || It::Data(4));
        assert_eq!(
            (c.pop(), c.pop(), c.pop()),
            (Some(It::Event(100)), Some(It::Data(4)), None)
        );
        let shared = OutboxShared::default();
        out.flush(&shared);
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(shared.published.load(Ordering::Relaxed), 4);
    }

    /// A consumer that never reads: waiting events stop at the cap, the oldest
    /// go first (counted), and the newest arrive in order once it reads.
    #[test]
    fn waiting_events_are_capped_oldest_dropped_first() {
        let (p, mut c) = ring::<It>(2);
        let mut out = Outbox::new(p);
        let n = MAX_WAITING_EVENTS as u32 + 2 + 50;
        for e in 0..n {
            out.push_event(It::Event(e));
        }
        assert_eq!(out.pending.len(), MAX_WAITING_EVENTS);
        let shared = OutboxShared::default();
        out.flush(&shared);
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 50);
        let got = drain(&mut c, &mut out, &shared);
        let want: Vec<It> = (0..2).chain(52..n).map(It::Event).collect();
        assert_eq!(got, want);
    }

    /// With a spill, a full ring loses nothing up to the spill's size: updates
    /// wait in order with the events among them; past it, one gap marker per run
    /// of drops says how many and when, in its place.
    #[test]
    fn a_spill_keeps_updates_in_order_and_marks_what_did_not_fit() {
        let (p, mut c) = ring::<It>(4);
        let mut out = Outbox::with_spill(p, 10);
        for i in 0..6 {
            out.push_data(u64::from(i), || It::Data(i)); // 4 in the ring, 2 spilled
        }
        out.push_event(It::Event(1000));
        for i in 6..14 {
            out.push_data(u64::from(i), || It::Data(i)); // 8 more spilled: 10 in all
        }
        for i in 14..17 {
            out.push_data(u64::from(i), || It::Data(i)); // past the spill: a gap of 3
        }
        out.push_event(It::Event(1001));
        let shared = OutboxShared::default();
        out.flush(&shared);
        assert_eq!(shared.spilled.load(Ordering::Relaxed), 10);
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 3);
        // Room again: what comes after the gap is kept.
        let mut got = drain(&mut c, &mut out, &shared);
        out.push_data(17, || It::Data(17));
        got.extend(drain(&mut c, &mut out, &shared));
        let mut want: Vec<It> = (0..6).map(It::Data).collect();
        want.push(It::Event(1000));
        want.extend((6..14).map(It::Data));
        want.push(It::Gap {
            missed: 3,
            first: 14,
            last: 16,
        });
        want.push(It::Event(1001));
        want.push(It::Data(17));
        assert_eq!(got, want);
        assert_eq!(out.waiting_data, 0);
    }
}
