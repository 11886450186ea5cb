//! The one monotonic clock reader: nanoseconds since the first call in this process.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Monotonic nanoseconds since the process first read the clock. Comparable across
/// threads of one process (receive and publish stamps use it).
#[inline]
pub fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

/// The `Instant` of a [`now_ns`] value.
pub fn instant_of(ns: u64) -> Instant {
    epoch() + std::time::Duration::from_nanos(ns)
}

/// The [`now_ns`] value of an `Instant` (0 for instants before the epoch).
pub fn ns_of(t: Instant) -> u64 {
    t.saturating_duration_since(epoch()).as_nanos() as u64
}

/// `t + d`, or, where that would overflow (`Duration::MAX` in a configuration),
/// the latest instant this platform can represent on the way there: a deadline
/// that is never reached, instead of a panic.
pub fn after(t: Instant, d: Duration) -> Instant {
    if let Some(x) = t.checked_add(d) {
        return x;
    }
    let mut step = d;
    let mut at = t;
    while !step.is_zero() {
        step /= 2;
        if let Some(x) = at.checked_add(step) {
            at = x;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_past_the_representable_end_saturates() {
        let t = Instant::now();
        assert_eq!(after(t, Duration::from_secs(5)), t + Duration::from_secs(5));
        let far = after(t, Duration::MAX);
        assert!(far > t + Duration::from_secs(100 * 365 * 86_400));
        assert!(
            far.checked_add(Duration::from_secs(1))
                .is_none_or(|x| x > far)
        );
        // Monotone: a later start never gives an earlier end.
        assert!(after(t + Duration::from_secs(1), Duration::MAX) >= far);
    }
}
