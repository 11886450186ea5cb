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

pub(crate) struct Outbox<T: Copy> {
    producer: Producer<T>,
    pending: VecDeque<T>,
    published: u64,
    dropped: u64,
}

impl<T: Copy + Send> Outbox<T> {
    pub fn new(producer: Producer<T>) -> Self {
        Self {
            producer,
            pending: VecDeque::with_capacity(8),
            published: 0,
            dropped: 0,
        }
    }

    /// A data item, built by `make` directly in its ring slot (these items are
    /// large: a 200-level side is 3.2 KB), or dropped and counted when the ring is
    /// full (then `make` is not called).
    #[inline]
    pub fn push_data(&mut self, make: impl FnOnce() -> T) {
        if !self.pending.is_empty() {
            self.catch_up();
        }
        if self.pending.is_empty() && self.producer.push_with(make) {
            self.published += 1;
        } else {
            self.dropped += 1;
        }
    }

    /// Moves waiting events into the ring while there is room (before new data,
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
        }
    }

    /// A connection event: waits for room behind what already waits; past
    /// [`MAX_WAITING_EVENTS`] the oldest waiting one is dropped and counted.
    pub fn push_event(&mut self, item: T) {
        if self.pending.is_empty() && self.producer.push(item).is_ok() {
            self.published += 1;
            return;
        }
        if self.pending.len() == MAX_WAITING_EVENTS {
            self.pending.pop_front();
            self.dropped += 1;
            log::warn!(
                "a consumer has not read for {MAX_WAITING_EVENTS} connection events; the oldest waiting one is dropped"
            );
        }
        self.pending.push_back(item);
    }

    /// Moves waiting events into the ring while there is room; publishes counters.
    pub fn flush(&mut self, shared: &OutboxShared) {
        self.catch_up();
        shared.published.store(self.published, Ordering::Relaxed);
        shared.dropped.store(self.dropped, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::ring;

    /// Data used to be dropped whenever an event waited in front of it, even with
    /// room in the ring, until the next housekeeping turn.
    #[test]
    fn data_behind_a_waiting_event_goes_in_once_there_is_room() {
        let (p, mut c) = ring::<u32>(2);
        let mut out = Outbox::new(p);
        out.push_data(|| 1);
        out.push_data(|| 2);
        out.push_event(100); // full: waits
        out.push_data(|| 3); // full: dropped, counted
        while c.pop().is_some() {}
        out.push_data(|| 4);
        assert_eq!((c.pop(), c.pop(), c.pop()), (Some(100), Some(4), None));
        let shared = OutboxShared::default();
        out.flush(&shared);
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(shared.published.load(Ordering::Relaxed), 4);
    }

    /// A consumer that never reads: waiting events stop at the cap, the oldest
    /// go first (counted), and the newest arrive in order once it reads.
    #[test]
    fn waiting_events_are_capped_oldest_dropped_first() {
        let (p, mut c) = ring::<u32>(2);
        let mut out = Outbox::new(p);
        let n = MAX_WAITING_EVENTS as u32 + 2 + 50;
        for e in 0..n {
            out.push_event(e);
        }
        assert_eq!(out.pending.len(), MAX_WAITING_EVENTS);
        let shared = OutboxShared::default();
        out.flush(&shared);
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 50);
        // The two in the ring, then the newest MAX_WAITING_EVENTS in order.
        let mut got = Vec::new();
        loop {
            while let Some(e) = c.pop() {
                got.push(e);
            }
            if out.pending.is_empty() {
                break;
            }
            out.flush(&shared);
        }
        let want: Vec<u32> = (0..2).chain(52..n).collect();
        assert_eq!(got, want);
    }
}
