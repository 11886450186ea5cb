//! One small deterministic generator for the whole crate: the simulator's price
//! walks and the reconnect jitter. Seeded, so tests and fuzz runs repeat.

/// 64 bits from the OS's random source, different in every call and every
/// process: the SipHash keys of a fresh `RandomState` (std seeds them from the OS
/// once per thread and steps them per call). For seeds, masks and keys; not a
/// cryptographic generator.
pub fn os_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// splitmix64: small, fast, good enough for simulated prices and jitter.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    #[cfg_attr(not(feature = "sim"), allow(dead_code))]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in `[lo, hi]`.
    #[cfg_attr(not(feature = "sim"), allow(dead_code))]
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next_u64() % u64::from(hi - lo + 1)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_seeds_differ_call_to_call() {
        let seeds: std::collections::HashSet<u64> = (0..64).map(|_| os_seed()).collect();
        assert_eq!(seeds.len(), 64);
    }
}
