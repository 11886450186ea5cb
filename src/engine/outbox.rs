//! The I/O thread's side of a depth or order consumer's ring: data items are
//! dropped (and counted) when the ring is full; connection events are never
//! dropped, they wait in order behind what is already waiting.

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

    /// A connection event: never dropped.
    pub fn push_event(&mut self, item: T) {
        if self.pending.is_empty() && self.producer.push(item).is_ok() {
            self.published += 1;
        } else {
            self.pending.push_back(item);
        }
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
}
