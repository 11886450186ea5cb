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

/// Far enough to be never: about a century.
const NEVER: Duration = Duration::from_secs(100 * 365 * 86_400);

/// `t + d`, or, where that would overflow (`Duration::MAX` in a configuration),
/// `t` plus about a century (less only where the platform's clock cannot reach
/// that far): a deadline that is never reached, instead of a panic.
pub fn after(t: Instant, d: Duration) -> Instant {
    if let Some(x) = t.checked_add(d) {
        return x;
    }
    let mut far = NEVER;
    while !far.is_zero() {
        if let Some(x) = t.checked_add(far) {
            return x;
        }
        far /= 2;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overflowing_deadline_is_a_century_away() {
        let t = Instant::now();
        assert_eq!(after(t, Duration::from_secs(5)), t + Duration::from_secs(5));
        let far = after(t, Duration::MAX);
        assert_eq!(far, t + NEVER);
        // Monotone: a later start never gives an earlier end.
        assert!(after(t + Duration::from_secs(1), Duration::MAX) >= far);
    }
}
