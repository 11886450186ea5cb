//! A bounded, preallocated single-producer single-consumer ring of `Copy` values —
//! the only module allowed `unsafe`.
//!
//! The I/O thread is the only producer of each ring and one consumer thread the
//! only reader:
//!
//! * The producer writes slot `tail % cap`, then publishes it by storing
//!   `tail + 1` into the slot's own mark with **Release** (and into the shared
//!   `tail`, read only by [`Consumer::len`]). The consumer loads the mark of slot
//!   `head % cap` with **Acquire** and takes the value when the mark is
//!   `head + 1`, so the slot's contents happen-before its read.
//! * The consumer reads slot `head % cap`, then frees it by storing `head + 1` with
//!   **Release**. The producer loads `head` with **Acquire** before reusing a slot,
//!   so the consumer's read of the old value happens-before the overwrite. The
//!   producer caches `head` and reloads it only when the cache says the ring is
//!   full.
//! * Why the mark is in the slot: a consumer waiting on a shared index takes two
//!   cross-core cache-line transfers per value, one for the index and then one
//!   for the slot. Waiting on the slot's first line, and prefetching the slot's
//!   other lines while it waits, it takes one. On the bench's 2-core VM a C
//!   hand-off of a 3-line value took 230-290 ns (index) against 140-175 ns
//!   (mark in the slot plus prefetch) at p50; in `dhan-feed bench` the ring→consumer
//!   p50 fell from 435-510 to 348-387 ns over four alternating pairs
//!   (BENCHMARKS.md). A slot starts on a cache line (`align(64)`):
//!   the 184-byte market event with its mark is exactly three lines.
//!
//! Indices grow without wrapping in practice (`usize` at 10⁹ pushes per second lasts
//! 584 years on 64-bit targets); `wrapping_*` arithmetic keeps them correct anyway.
//! The orderings are checked with loom (`tests/ring_loom.rs`).
#![allow(unsafe_code)]

mod sync;

use std::mem::MaybeUninit;
use sync::{Arc, AtomicUsize, Cell, Ordering};

/// Pads to a cache line so the two indices do not share one.
#[derive(Debug)]
#[repr(align(128))]
struct Padded<T>(T);

/// One value and its publication mark, starting on a cache line, the mark
/// first: a consumer waiting for the slot spins on the line the value starts
/// in (see the module docs).
#[derive(Debug)]
#[repr(C, align(64))]
struct Slot<T> {
    /// The position the slot was last published at, plus one (0: never).
    mark: AtomicUsize,
    value: Cell<MaybeUninit<T>>,
}

#[derive(Debug)]
struct Shared<T> {
    /// Next slot the consumer reads (written by the consumer only).
    head: Padded<AtomicUsize>,
    /// Next slot the producer writes (written by the producer only).
    tail: Padded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    mask: usize,
}

// SAFETY: slots are only accessed under the head/tail protocol described in the
// module docs: a slot is written by the producer alone while it is free and read by
// the consumer alone after it was published, never both at once. `T: Send` is
// required because values move from the producer's thread to the consumer's.
unsafe impl<T: Send> Sync for Shared<T> {}
// SAFETY: as above; the shared state may be dropped on either thread.
unsafe impl<T: Send> Send for Shared<T> {}

/// The writing end of a ring.
#[derive(Debug)]
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    tail: usize,
    cached_head: usize,
    /// Whether the ring is larger than the caches ([`LARGE_RING_BYTES`]): then
    /// `publish` demotes the slot it publishes and prefetches the next one.
    #[cfg_attr(any(loom, not(target_arch = "x86_64")), allow(dead_code))]
    large: bool,
}

/// The ring size from which the producer demotes each slot it publishes and
/// prefetches the next one (see `publish`): twice the per-core L2 of the bench
/// machine. In a ring that stays in the caches, both cost more than they save:
/// the next slot's lines sit in the consumer's cache from its last read, so
/// taking them for writing early costs invalidations, and a demoted line comes
/// back from the shared cache a lap later. The criterion ring bench (4,096
/// slots of 256 bytes, 1 MB, a consumer that keeps up) ran 22.3-25.3 M values/s
/// without the prefetch against 17.3-17.6 M with it, and 23.6-24.0
/// M without the demotion against 15.8-16.2 M with it (BENCHMARKS.md).
const LARGE_RING_BYTES: usize = 4 << 20;

/// The reading end of a ring.
#[derive(Debug)]
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    head: usize,
}

/// Creates a ring holding at least `capacity` values (rounded up to a power of
/// two, at least 2), all slots allocated now and their memory committed now (one
/// write per page), so the producer's first lap takes no page faults.
pub fn ring<T: Copy + Send>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    let cap = capacity.max(2).next_power_of_two();
    let slots: Box<[Slot<T>]> = (0..cap)
        .map(|_| Slot {
            mark: AtomicUsize::new(0),
            value: Cell::new(MaybeUninit::uninit()),
        })
        .collect();
    prefault(&slots);
    let shared = Arc::new(Shared {
        head: Padded(AtomicUsize::new(0)),
        tail: Padded(AtomicUsize::new(0)),
        slots,
        mask: cap - 1,
    });
    (
        Producer {
            shared: shared.clone(),
            tail: 0,
            cached_head: 0,
            large: cap * std::mem::size_of::<Slot<T>>() >= LARGE_RING_BYTES,
        },
        Consumer { shared, head: 0 },
    )
}

/// Writes one byte in every page of the slots, so the kernel commits the memory
/// here rather than on the hot path. A large allocation comes straight from
/// `mmap`, and its pages are only mapped when first touched: the default 65,536
/// market slots are 12 MB, about 2,900 pages, so the first lap of a ring fed
/// 20,000 events a second faults about 900 times a second on the I/O thread, and
/// on the 2-core VM `dhan-feed bench` runs on each fault also sent a
/// TLB-shootdown interrupt to the consumer's core (see BENCHMARKS.md).
/// The writes are volatile, so the compiler can neither drop them nor turn the
/// allocation into a lazily zeroed one.
fn prefault<T>(slots: &[Slot<T>]) {
    use crate::buffer::PAGE;
    let size = std::mem::size_of::<T>();
    if size == 0 {
        return;
    }
    let touch = |slot: &Slot<T>| {
        slot.value.with_mut(|p| {
            let bytes = p.cast::<u8>();
            for offset in (0..size).step_by(PAGE) {
                // SAFETY: `offset < size_of::<T>()`, so the byte is inside this
                // slot, which nothing else can reach yet (the ring is being built
                // by this thread); any byte is a valid `MaybeUninit<T>` byte.
                unsafe { std::ptr::write_volatile(bytes.add(offset), 0) };
            }
        })
    };
    // Touched slots start at most a page apart; the last one covers the tail.
    let stride = std::mem::size_of::<Slot<T>>();
    slots.iter().step_by((PAGE / stride).max(1)).for_each(touch);
    slots.last().into_iter().for_each(touch);
}

/// The address of each cache line of `slot`: a slot starts on a line and, its
/// size being a multiple of its `align(64)`, ends on one.
#[cfg(all(target_arch = "x86_64", not(loom)))]
#[inline(always)]
fn lines<T>(slot: &Slot<T>) -> impl Iterator<Item = *const u8> {
    let at = std::ptr::from_ref(slot).cast::<u8>();
    (0..std::mem::size_of::<Slot<T>>())
        .step_by(64)
        .map(move |offset| at.wrapping_add(offset))
}

/// Prefetches every cache line of `slot` with `HINT` (a hint that changes no
/// value and never faults).
#[cfg(all(target_arch = "x86_64", not(loom)))]
#[inline(always)]
fn prefetch<T, const HINT: i32>(slot: &Slot<T>) {
    for line in lines(slot) {
        // SAFETY: a prefetch is a hint that never faults and changes no value;
        // the address is inside the slot.
        unsafe { std::arch::x86_64::_mm_prefetch::<HINT>(line.cast::<i8>()) };
    }
}

/// Pushes every cache line of `slot` out of this core's private caches towards
/// the shared last-level cache (`cldemote`), so that the consumer's read of the
/// just-published slot is served from there rather than by a snoop into the
/// producer's core. A hint: it changes no value and never faults, and a CPU
/// without the instruction runs it as a NOP (its encoding, `0f 1c /0`, is in
/// the reserved-NOP space).
#[cfg(all(target_arch = "x86_64", not(loom)))]
#[inline(always)]
fn demote<T>(slot: &Slot<T>) {
    for line in lines(slot) {
        // SAFETY: `cldemote` only moves a cache line between cache levels: it
        // changes no memory, register or flag, never faults (whatever the
        // address) and is a NOP on CPUs without it; the address is in the slot.
        // Not `nomem`: the asm must stay after the slot's stores (the mark's
        // Release store included), or it would demote lines they then reclaim.
        unsafe {
            std::arch::asm!(
                "cldemote [{0}]",
                in(reg) line,
                options(nostack, preserves_flags)
            );
        }
    }
}

impl<T: Copy + Send> Producer<T> {
    /// Slots in the ring.
    pub fn capacity(&self) -> usize {
        self.shared.mask + 1
    }

    /// Publishes the slot just written (the Release store of `tail + 1`). In a
    /// ring larger than the caches ([`LARGE_RING_BYTES`]) it then also:
    ///
    /// * demotes the slot's cache lines to the shared cache (`demote`), where
    ///   the consumer's read finds them without a snoop into this core.
    ///   `dhan-feed bench` (65,536 slots, 12 MB), alternating pairs in session
    ///   8: ring→consumer p50 238.5-249.5 against 267.5-280 ns (medians of
    ///   two series of six pairs), and 4-5 % more messages per I/O-thread
    ///   CPU-second;
    /// * prefetches the next slot's cache lines for writing, so the next
    ///   value's stores find them in cache: a slot was last touched a lap (up
    ///   to 12 MB) ago, and x86 makes the `tail` store visible only after the
    ///   slot's stores. `dhan-feed bench`: 20.2 M against 18.3 M messages per
    ///   I/O-thread CPU-second, and 39.0 M against 35.3 M with
    ///   ring→consumer p50 277 against 307 ns.
    #[inline(always)]
    fn publish(&mut self) {
        let next = self.tail.wrapping_add(1);
        let slot = &self.shared.slots[self.tail & self.shared.mask];
        slot.mark.store(next, Ordering::Release);
        #[cfg(all(target_arch = "x86_64", not(loom)))]
        if self.large {
            demote(slot);
        }
        self.tail = next;
        self.shared.tail.0.store(self.tail, Ordering::Release);
        #[cfg(all(target_arch = "x86_64", not(loom)))]
        if self.large {
            prefetch::<T, { std::arch::x86_64::_MM_HINT_ET0 }>(
                &self.shared.slots[self.tail & self.shared.mask],
            );
        }
    }

    /// Whether the next slot is free, re-reading the consumer's index only when
    /// the cached one says the ring is full.
    #[inline(always)]
    fn has_room(&mut self) -> bool {
        if self.tail.wrapping_sub(self.cached_head) > self.shared.mask {
            self.cached_head = self.shared.head.0.load(Ordering::Acquire);
        }
        self.tail.wrapping_sub(self.cached_head) <= self.shared.mask
    }

    /// Appends `value`, or gives it back if the ring is full. Never blocks.
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), T> {
        if !self.has_room() {
            return Err(value);
        }
        let slot = &self.shared.slots[self.tail & self.shared.mask];
        // SAFETY: `tail - head <= mask`, so this slot is free: the consumer has
        // released it (Acquire load of `head` above or earlier) and will not read it
        // until we publish `tail + 1` below. We are the only producer.
        slot.value
            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        self.publish();
        Ok(())
    }

    /// Appends the value `make` builds, built directly in its slot when the
    /// compiler can (no copy of a large value through the stack); `false` if the
    /// ring is full (then `make` is not called). Never blocks.
    #[inline(always)]
    pub fn push_with(&mut self, make: impl FnOnce() -> T) -> bool {
        if !self.has_room() {
            return false;
        }
        let slot = &self.shared.slots[self.tail & self.shared.mask];
        // SAFETY: as in `push`: `tail - head <= mask`, so the slot is free and the
        // consumer will not read it before the Release store of `tail + 1` below.
        slot.value.with_mut(|p| unsafe { (*p).write(make()) });
        self.publish();
        true
    }

    /// Builds a value in its slot and appends it if `fill` agrees: `init` writes
    /// a starting value into the slot, `fill` completes it in place (a decoder
    /// writing straight into the ring, with no copy through the stack), and the
    /// value is published only if `fill` returns `true`. `None` if the ring is
    /// full (then neither closure is called), else `Some(published)`. Never blocks.
    #[inline(always)]
    pub fn push_in_place(
        &mut self,
        init: impl FnOnce() -> T,
        fill: impl FnOnce(&mut T) -> bool,
    ) -> Option<bool> {
        if !self.has_room() {
            return None;
        }
        let slot = &self.shared.slots[self.tail & self.shared.mask];
        // SAFETY: as in `push`: `tail - head <= mask`, so the slot is free and the
        // consumer will not read it before the Release store of `tail + 1` below;
        // a declined value stays unpublished and is overwritten by the next push.
        let publish = slot.value.with_mut(|p| fill(unsafe { (*p).write(init()) }));
        if publish {
            self.publish();
        }
        Some(publish)
    }

    /// Whether at least `n` slots are free, re-reading the consumer's index
    /// only when the cached one says there are fewer (the cached count is a
    /// lower bound: the consumer only ever frees slots).
    #[inline]
    pub fn has_room_for(&mut self, n: usize) -> bool {
        if self.capacity() - self.tail.wrapping_sub(self.cached_head) >= n {
            return true;
        }
        self.cached_head = self.shared.head.0.load(Ordering::Acquire);
        self.capacity() - self.tail.wrapping_sub(self.cached_head) >= n
    }

    /// Whether the consumer has been dropped.
    pub fn is_abandoned(&self) -> bool {
        Arc::strong_count(&self.shared) == 1
    }
}

impl<T: Copy + Send> Consumer<T> {
    /// Slots in the ring.
    pub fn capacity(&self) -> usize {
        self.shared.mask + 1
    }

    /// Takes the oldest value, if any. Never blocks.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        let slot = &self.shared.slots[self.head & self.shared.mask];
        if slot.mark.load(Ordering::Acquire) != self.head.wrapping_add(1) {
            #[cfg(all(target_arch = "x86_64", not(loom)))]
            prefetch::<T, { std::arch::x86_64::_MM_HINT_T0 }>(slot);
            return None;
        }
        // SAFETY: `head < tail` (Acquire-loaded), so the producer wrote this slot
        // and published it with a Release store of `tail`; it will not write it
        // again until we release it by storing `head + 1` below.
        let v = slot.value.with(|p| unsafe { (*p).assume_init() });
        self.head = self.head.wrapping_add(1);
        self.shared.head.0.store(self.head, Ordering::Release);
        Some(v)
    }

    /// Values waiting (at least this many).
    pub fn len(&mut self) -> usize {
        let tail = self.shared.tail.0.load(Ordering::Acquire);
        tail.wrapping_sub(self.head)
    }

    /// Whether no value is waiting.
    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
    }

    /// Whether the producer has been dropped (values already pushed can still be popped).
    pub fn is_abandoned(&self) -> bool {
        Arc::strong_count(&self.shared) == 1
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn first_lap_takes_no_page_faults() {
        use crate::buffer::minor_faults;
        // 16,384 slots of 256 bytes: 4 MB, 1,024 pages, well past the allocator's
        // mmap threshold, so untouched pages would fault on the first lap.
        let (mut p, mut c) = ring::<[u64; 32]>(1 << 14);
        let before = minor_faults();
        for i in 0..p.capacity() {
            p.push([i as u64; 32]).unwrap();
        }
        let faults = minor_faults() - before;
        assert!(
            faults < 16,
            "{faults} page faults filling 1,024 pages of slots"
        );
        assert_eq!(c.pop().map(|v| v[31]), Some(0));
        assert_eq!(c.len(), (1 << 14) - 1);
    }

    #[test]
    fn slots_start_on_cache_lines_and_a_market_event_takes_three() {
        let (p, _c) = ring::<u64>(4);
        for slot in p.shared.slots.iter() {
            assert_eq!(std::ptr::from_ref(slot) as usize % 64, 0);
        }
        // A market event grown past 184 bytes would take a fourth line per value.
        assert_eq!(std::mem::size_of::<Slot<crate::event::FeedEvent>>(), 3 * 64);
    }

    #[test]
    fn a_slot_is_taken_only_when_marked_for_this_lap() {
        // Two laps over two slots: a value left from the last lap (its mark one
        // lap behind) is never taken for the current one.
        let (mut p, mut c) = ring::<u64>(2);
        for lap in 0..3u64 {
            p.push(lap * 10).unwrap();
            p.push(lap * 10 + 1).unwrap();
            assert_eq!(
                (c.pop(), c.pop(), c.pop()),
                (Some(lap * 10), Some(lap * 10 + 1), None)
            );
        }
    }

    #[test]
    fn fifo_full_and_empty() {
        let (mut p, mut c) = ring::<u64>(3);
        assert_eq!(p.capacity(), 4);
        assert_eq!(c.pop(), None);
        for i in 0..4 {
            p.push(i).unwrap();
        }
        assert_eq!(p.push(9), Err(9), "full ring gives the value back");
        assert_eq!(c.len(), 4);
        assert_eq!(c.pop(), Some(0));
        p.push(4).unwrap();
        let got: Vec<_> = std::iter::from_fn(|| c.pop()).collect();
        assert_eq!(got, vec![1, 2, 3, 4]);
        assert!(c.is_empty());
    }

    #[test]
    fn push_with_builds_only_when_there_is_room() {
        let (mut p, mut c) = ring::<u64>(2);
        let mut built = 0;
        for i in 0..3 {
            let ok = p.push_with(|| {
                built += 1;
                i
            });
            assert_eq!(ok, i < 2);
        }
        assert_eq!(built, 2, "not called on a full ring");
        assert_eq!((c.pop(), c.pop(), c.pop()), (Some(0), Some(1), None));
    }

    #[test]
    fn push_in_place_publishes_only_what_fill_accepts() {
        let (mut p, mut c) = ring::<u64>(2);
        // Declined: nothing published, the slot is reused by the next push.
        assert_eq!(p.push_in_place(|| 7, |v| *v == 8), Some(false));
        assert_eq!(c.pop(), None);
        assert_eq!(
            p.push_in_place(
                || 1,
                |v| {
                    *v += 10;
                    true
                }
            ),
            Some(true)
        );
        assert!(p.push(2).is_ok());
        // Full: neither closure runs.
        let mut called = false;
        let full = p.push_in_place(
            || {
                called = true;
                3
            },
            |_| true,
        );
        assert_eq!((full, called), (None, false));
        assert_eq!((c.pop(), c.pop(), c.pop()), (Some(11), Some(2), None));
    }

    #[test]
    fn only_a_ring_larger_than_the_caches_demotes_and_prefetches_for_the_producer() {
        let (market, _c) = ring::<crate::event::FeedEvent>(65_536);
        assert!(market.large, "12 MB of market events");
        let (small, _c) = ring::<crate::event::FeedEvent>(4_096);
        assert!(!small.large, "768 KB stays in the caches");
    }

    #[test]
    fn across_threads_in_order_nothing_lost() {
        let (mut p, mut c) = ring::<u64>(64);
        const N: u64 = 200_000;
        let t = std::thread::spawn(move || {
            let mut i = 0;
            while i < N {
                if p.push(i).is_ok() {
                    i += 1;
                } else {
                    std::hint::spin_loop();
                }
            }
        });
        let mut want = 0;
        while want < N {
            if let Some(v) = c.pop() {
                assert_eq!(v, want);
                want += 1;
            } else {
                std::hint::spin_loop();
            }
        }
        t.join().unwrap();
        assert!(c.is_abandoned());
    }
}
