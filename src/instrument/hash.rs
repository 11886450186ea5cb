//! A small, fast, non-cryptographic hash for the master's interner and indexes.
//!
//! The keys are short ASCII symbols from a file the user chose to load, so there is
//! no adversary to defend against with a keyed hash; what matters is speed on
//! 250,000 rows and a well-mixed 64-bit result, so the maps can use the hash as is
//! ([`BuildIdentity`]).

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// Mixes all 64 bits (MurmurHash3's finaliser).
#[inline]
pub(crate) const fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

#[inline]
fn step(h: u64, word: u64) -> u64 {
    (h.rotate_left(5) ^ word).wrapping_mul(K)
}

/// Hashes `bytes` after `seed`, optionally ASCII-upper-casing them first (so that
/// `hash(s, true)` equals `hash(s.to_ascii_uppercase(), false)` without allocating).
#[inline]
pub(crate) fn hash_bytes(seed: u64, bytes: &[u8], upper: bool) -> u64 {
    let mut h = step(K, seed);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if upper {
            w.make_ascii_uppercase();
        }
        h = step(h, u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    let mut w = [0u8; 8];
    w[..rest.len()].copy_from_slice(rest);
    if upper {
        w.make_ascii_uppercase();
    }
    // The length goes in so that "A" and "A\0" differ.
    h = step(h, u64::from_le_bytes(w));
    fmix64(step(h, bytes.len() as u64))
}

/// A hasher for keys that are already well-mixed `u64` hashes: it passes them through.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for non-u64 keys, which these maps never use; stay correct anyway.
        self.0 = hash_bytes(self.0, bytes, false);
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// `BuildHasher` for maps keyed by pre-mixed `u64` hashes.
pub(crate) type BuildIdentity = BuildHasherDefault<IdentityHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_hash_equals_hash_of_upper_case_text() {
        for s in [
            "reliance",
            "Nifty 50",
            "a",
            "",
            "RELIANCE INDUSTRIES LTD",
            "bank-nifty-24",
        ] {
            let up = s.to_ascii_uppercase();
            assert_eq!(
                hash_bytes(3, s.as_bytes(), true),
                hash_bytes(3, up.as_bytes(), false),
                "{s}"
            );
        }
    }

    #[test]
    fn seed_length_and_content_matter() {
        assert_ne!(
            hash_bytes(1, b"NIFTY", false),
            hash_bytes(2, b"NIFTY", false)
        );
        assert_ne!(hash_bytes(1, b"A", false), hash_bytes(1, b"A\0", false));
        assert_ne!(
            hash_bytes(1, b"NIFTY", false),
            hash_bytes(1, b"NIFTZ", false)
        );
        assert_ne!(
            hash_bytes(1, b"nifty", false),
            hash_bytes(1, b"NIFTY", false)
        );
    }
}
