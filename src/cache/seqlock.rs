//! A seqlock over `N` atomic words: one writer, any number of readers, no lock.
//!
//! The writer makes the sequence odd, stores its words, and makes it even again;
//! a reader copies the words between two reads of an even, unchanged sequence,
//! and retries otherwise. Every word is an atomic (relaxed loads and stores of
//! whole words, as cheap as plain ones on x86-64 and aarch64), so the race a
//! seqlock's reader runs by design is not undefined behaviour; the two fences are
//! those of Boehm, "Can seqlocks get along with programming language memory
//! models?" (2012). `tests/cache_loom.rs` model-checks them.

use super::sync::{AtomicU64, Ordering, fence, spin};

/// `N` words behind a sequence number (in this order in memory: the sequence
/// shares a cache line with the first words).
#[repr(C)]
pub(crate) struct SeqLock<const N: usize> {
    seq: AtomicU64,
    words: [AtomicU64; N],
}

impl<const N: usize> SeqLock<N> {
    /// All words zero.
    pub(crate) fn new() -> Self {
        Self {
            seq: AtomicU64::new(0),
            words: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Changes the words: `f` loads and stores them with relaxed atomics. One
    /// writer at a time (the caller's guarantee: the cache's only writer is
    /// the I/O thread); readers never see part of a change.
    #[inline]
    pub(crate) fn write(&self, f: impl FnOnce(&[AtomicU64; N])) {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        // The odd sequence before any word: a reader that loads a new word
        // then sees a changed sequence on its second read.
        fence(Ordering::Release);
        f(&self.words);
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// Copies the words as one write left them, retrying while a write is in
    /// progress.
    #[inline]
    pub(crate) fn read(&self, out: &mut [u64; N]) {
        self.read_from(0, out);
    }

    /// [`read`](Self::read) of the words from `from` on, as many as `out`
    /// holds (a part of the slot: only its words are copied).
    #[inline]
    pub(crate) fn read_from(&self, from: usize, out: &mut [u64]) {
        let words = &self.words[from..from + out.len()];
        loop {
            let s1 = self.seq.load(Ordering::Acquire);
            if s1 & 1 == 0 {
                for (o, w) in out.iter_mut().zip(words) {
                    *o = w.load(Ordering::Relaxed);
                }
                // The word loads before the second read of the sequence: if it is
                // unchanged, no write overlapped them.
                fence(Ordering::Acquire);
                if self.seq.load(Ordering::Relaxed) == s1 {
                    return;
                }
            }
            spin();
        }
    }
}
