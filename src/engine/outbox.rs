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
        if self.pending.is_empty() && self.producer.push_with(make) {
            self.published += 1;
        } else {
            self.dropped += 1;
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
        while let Some(&item) = self.pending.front() {
            if self.producer.push(item).is_err() {
                break;
            }
            self.pending.pop_front();
            self.published += 1;
        }
        shared.published.store(self.published, Ordering::Relaxed);
        shared.dropped.store(self.dropped, Ordering::Relaxed);
    }
}
