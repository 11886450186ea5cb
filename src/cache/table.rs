//! The table every cache keeps its slots in: open addressing on an instrument's
//! key, inserted once (by the one writer), never removed; each slot a
//! [`SeqLock`] of `W` words, its key in the same cache line as its sequence
//! number (finding a slot by its key brings in the line its write goes to).

use super::seqlock::SeqLock;
use super::sync::{AtomicU64, Ordering};
use crate::proto::InstrumentId;

/// One place of the table: the key of its instrument (0: empty) and its slot,
/// starting a cache line.
#[repr(C, align(64))]
struct Entry<const W: usize> {
    key: AtomicU64,
    slot: SeqLock<W>,
}

/// The table a cache and its writer share.
pub(crate) struct Table<const W: usize> {
    /// Open addressing on [`key_of`].
    entries: Box<[Entry<W>]>,
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

/// [`key_of`] of the instrument a packet header names (segment byte 3, security
/// id bytes 4..8), without decoding it.
#[inline]
pub(crate) fn key_of_header(h: &[u8; 8]) -> u64 {
    1 << 48 | u64::from(h[3]) << 32 | u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]))
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
            entries: (0..n)
                .map(|_| Entry {
                    key: AtomicU64::new(0),
                    slot: SeqLock::new(),
                })
                .collect(),
            limit,
            len: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// The slot of `key`, if the instrument is in the table.
    #[inline]
    pub(crate) fn find(&self, key: u64) -> Option<&SeqLock<W>> {
        let mask = self.entries.len() - 1;
        let mut i = home(key, mask);
        loop {
            let e = &self.entries[i];
            match e.key.load(Ordering::Acquire) {
                0 => return None,
                k if k == key => return Some(&e.slot),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The slot of `key`, inserted when missing and there is room (writer only).
    #[inline]
    pub(crate) fn find_or_insert(&self, key: u64) -> Option<&SeqLock<W>> {
        let i = self.index_or_insert(key)?;
        Some(&self.entries[i].slot)
    }

    /// [`find_or_insert`](Self::find_or_insert) that first tries `hint`, the
    /// index this key had before (a caller's memo: one load and a compare
    /// instead of the probe), and leaves the key's index in it. A stale or
    /// foreign hint is only a miss: the key at the index is checked.
    #[inline(always)]
    pub(crate) fn find_or_insert_hinted(&self, key: u64, hint: &mut u32) -> Option<&SeqLock<W>> {
        if let Some(e) = self.entries.get(*hint as usize)
            && e.key.load(Ordering::Relaxed) == key
        {
            return Some(&e.slot);
        }
        self.probe_for(key, hint)
    }

    /// [`find_or_insert_hinted`](Self::find_or_insert_hinted) past a wrong
    /// hint: the probe, out of line.
    #[cold]
    #[inline(never)]
    fn probe_for(&self, key: u64, hint: &mut u32) -> Option<&SeqLock<W>> {
        let i = self.index_or_insert(key)?;
        *hint = i as u32;
        Some(&self.entries[i].slot)
    }

    /// The index of `key`, inserted when missing and there is room (writer only).
    #[inline]
    fn index_or_insert(&self, key: u64) -> Option<usize> {
        let mask = self.entries.len() - 1;
        let mut i = home(key, mask);
        loop {
            match self.entries[i].key.load(Ordering::Relaxed) {
                0 => {
                    let len = self.len.load(Ordering::Relaxed);
                    if len as usize >= self.limit {
                        return None;
                    }
                    self.len.store(len + 1, Ordering::Relaxed);
                    // The slot is all zeros (nothing kept yet) before readers can
                    // find it: the key is published last.
                    self.entries[i].key.store(key, Ordering::Release);
                    return Some(i);
                }
                k if k == key => return Some(i),
                _ => i = (i + 1) & mask,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_headers_key_is_its_instruments_for_every_segment_byte() {
        for seg in 0..=255u8 {
            let h = [4, 16, 0, seg, 0x21, 0x0b, 0, 0];
            let id = crate::proto::market::id_of(&h);
            assert_eq!(key_of_header(&h), key_of(id), "segment byte {seg}");
        }
    }
}
