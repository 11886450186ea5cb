//! The table every cache keeps its slots in: open addressing on an instrument's
//! key, inserted once (by the one writer), never removed; each slot a
//! [`SeqLock`] of `W` words.

use super::seqlock::SeqLock;
use super::sync::{AtomicU64, Ordering};
use crate::proto::InstrumentId;

/// The table a cache and its writer share.
pub(crate) struct Table<const W: usize> {
    /// Open addressing: 0 is empty, else [`key_of`] of the instrument whose slot
    /// has the same index.
    keys: Box<[AtomicU64]>,
    slots: Box<[SeqLock<W>]>,
    /// Instruments at most (half the table: probes stay short).
    pub limit: usize,
    /// Instruments inserted; written by the writer only.
    pub len: AtomicU64,
    /// Packets not kept because the table was full.
    pub refused: AtomicU64,
}

/// The table key of an instrument: never 0.
#[inline]
pub(crate) fn key_of(id: InstrumentId) -> u64 {
    1 << 48 | u64::from(id.segment.as_u8()) << 32 | u64::from(id.security_id)
}

/// Where an instrument's probe starts.
#[inline]
fn home(key: u64, mask: usize) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask
}

impl<const W: usize> Table<W> {
    pub(crate) fn with_capacity(instruments: usize) -> Self {
        let limit = instruments.max(1);
        let n = (limit * 2).next_power_of_two();
        Self {
            keys: (0..n).map(|_| AtomicU64::new(0)).collect(),
            slots: (0..n).map(|_| SeqLock::new()).collect(),
            limit,
            len: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// The slot of `key`, if the instrument is in the table.
    #[inline]
    pub(crate) fn find(&self, key: u64) -> Option<&SeqLock<W>> {
        let mask = self.keys.len() - 1;
        let mut i = home(key, mask);
        loop {
            match self.keys[i].load(Ordering::Acquire) {
                0 => return None,
                k if k == key => return Some(&self.slots[i]),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The slot of `key`, inserted when missing and there is room (writer only).
    #[inline]
    pub(crate) fn find_or_insert(&self, key: u64) -> Option<&SeqLock<W>> {
        let mask = self.keys.len() - 1;
        let mut i = home(key, mask);
        loop {
            match self.keys[i].load(Ordering::Relaxed) {
                0 => {
                    let len = self.len.load(Ordering::Relaxed);
                    if len as usize >= self.limit {
                        return None;
                    }
                    self.len.store(len + 1, Ordering::Relaxed);
                    // The slot is all zeros (nothing kept yet) before readers can
                    // find it: the key is published last.
                    self.keys[i].store(key, Ordering::Release);
                    return Some(&self.slots[i]);
                }
                k if k == key => return Some(&self.slots[i]),
                _ => i = (i + 1) & mask,
            }
        }
    }
}
