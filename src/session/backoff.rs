//! Capped exponential backoff with full jitter, from a seeded generator so that a
//! test (or a fuzz run) replays the same delays.

use crate::random::Rng;
use std::time::Duration;

/// A duration drawn uniformly from `[0, max]` (nanosecond resolution).
pub fn up_to(rng: &mut Rng, max: Duration) -> Duration {
    let ns = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    if ns == 0 {
        return Duration::ZERO;
    }
    // `% (ns + 1)` has a bias below 2^-30 for any delay under a few seconds of
    // ns resolution; irrelevant for jitter.
    Duration::from_nanos(rng.next_u64() % ns.saturating_add(1))
}

/// Reconnect delays: attempt `n` (from 0) waits a uniform draw from
/// `[0, min(cap, base * 2^n)]` ("full jitter"), so a fleet of clients dropped at the
/// same moment does not come back in lock-step.
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    rng: Rng,
}

impl Backoff {
    /// A backoff with the given first-attempt bound `base`, upper bound `cap` and seed.
    pub fn new(base: Duration, cap: Duration, seed: u64) -> Self {
        Self {
            base,
            cap: cap.max(base),
            attempt: 0,
            rng: Rng::new(seed),
        }
    }

    /// The bound of the next draw: `min(cap, base * 2^attempt)`.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32 << self.attempt.min(20);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// Draws the next delay and counts the attempt.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        let d = up_to(&mut self.rng, ceiling);
        self.attempt = self.attempt.saturating_add(1);
        d
    }

    /// Attempts drawn since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Starts over from `base` (after a connection proved stable, or new credentials).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_within_the_growing_ceiling_and_the_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(5);
        let mut b = Backoff::new(base, cap, 7);
        for n in 0..40u32 {
            let ceiling = base.saturating_mul(1 << n.min(20)).min(cap);
            assert_eq!(b.ceiling(), ceiling);
            let d = b.next_delay();
            assert!(d <= ceiling, "attempt {n}: {d:?} > {ceiling:?}");
        }
        assert_eq!(b.ceiling(), cap);
        b.reset();
        assert_eq!(b.ceiling(), base);
    }

    #[test]
    fn the_same_seed_gives_the_same_delays_and_another_seed_does_not() {
        let draw = |seed| {
            let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(30), seed);
            (0..10).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }

    #[test]
    fn jitter_spreads_over_the_whole_range() {
        // Full jitter: draws land in every tenth of [0, max].
        let mut j = Rng::new(42);
        let max = Duration::from_millis(1000);
        let mut buckets = [0u32; 10];
        for _ in 0..10_000 {
            let d = up_to(&mut j, max);
            assert!(d <= max);
            buckets[(d.as_millis() as usize).min(999) / 100] += 1;
        }
        assert!(buckets.iter().all(|&n| n > 800), "{buckets:?}");
    }
}
