//! The lookup structures built once after loading: symbol postings keyed by
//! (segment, upper-cased text), the (segment, security id) map and the per-segment
//! row lists.

use std::collections::HashMap;

use super::hash::{BuildIdentity, fmix64, hash_bytes};
use crate::proto::ExchangeSegment;

/// The key of a text within a segment, case-insensitive (ASCII).
#[inline]
pub(crate) fn text_key(segment: ExchangeSegment, text: &str) -> u64 {
    hash_bytes(u64::from(segment.as_u8()) + 1, text.as_bytes(), true)
}

/// The key of a security id within a segment.
#[inline]
pub(crate) fn id_key(segment: ExchangeSegment, security_id: u32) -> u64 {
    fmix64(u64::from(segment.as_u8()) << 32 | u64::from(security_id))
}

/// Row lists per text key. Rows of one key are in file order. Two texts whose keys
/// collide share a list, so callers check each row's text (which they must do
/// anyway for case-sensitive searches).
#[derive(Debug, Default)]
pub(crate) struct Postings {
    map: HashMap<u64, (u32, u32), BuildIdentity>,
    rows: Vec<u32>,
}

impl Postings {
    /// Builds from (key, row) pairs in any order.
    pub(crate) fn build(mut pairs: Vec<(u64, u32)>) -> Self {
        pairs.sort_unstable();
        let mut map = HashMap::with_capacity_and_hasher(pairs.len(), BuildIdentity::default());
        let mut rows = Vec::with_capacity(pairs.len());
        let mut i = 0;
        while i < pairs.len() {
            let key = pairs[i].0;
            let start = rows.len();
            while i < pairs.len() && pairs[i].0 == key {
                rows.push(pairs[i].1);
                i += 1;
            }
            // Row counts are below 2^32 (the loader refuses more), so these fit.
            map.insert(key, (start as u32, (rows.len() - start) as u32));
        }
        map.shrink_to_fit();
        Self { map, rows }
    }

    /// Approximate heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.rows.capacity() * 4 + self.map.capacity() * 17
    }

    /// The rows filed under `key`, in file order.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> &[u32] {
        match self.map.get(&key) {
            Some(&(start, len)) => self
                .rows
                .get(start as usize..(start + len) as usize)
                .unwrap_or(&[]),
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_group_by_key_in_row_order() {
        let p = Postings::build(vec![(7, 5), (3, 1), (7, 2), (7, 9)]);
        assert_eq!(p.get(7), [2, 5, 9]);
        assert_eq!(p.get(3), [1]);
        assert_eq!(p.get(4), [] as [u32; 0]);
    }

    #[test]
    fn keys_are_case_insensitive_and_per_segment() {
        use ExchangeSegment::*;
        assert_eq!(text_key(NseEq, "reliance"), text_key(NseEq, "RELIANCE"));
        assert_ne!(text_key(NseEq, "RELIANCE"), text_key(BseEq, "RELIANCE"));
        assert_ne!(id_key(NseEq, 2885), id_key(BseEq, 2885));
    }
}
