//! Counters and health of a handle with one connection (depth, order updates),
//! read from what the I/O thread publishes.

use crate::engine::port::{EngineHandle, OutboxShared};
use crate::event::{FeedStats, Health};
use std::sync::atomic::Ordering;

/// A handle's counters: `received` and `lag` are the handle's own.
pub(crate) fn outbox_stats(shared: &OutboxShared, received: u64, lag: u64) -> FeedStats {
    FeedStats {
        received,
        published: shared.published.load(Ordering::Relaxed),
        dropped: shared.dropped.load(Ordering::Relaxed),
        rejected: 0,
        lag,
        spilled: shared.spilled.load(Ordering::Relaxed),
    }
}

/// The health of the handle's one connection.
pub(crate) fn outbox_health(shared: &OutboxShared, engine: &EngineHandle) -> Health {
    let mut h = Health::of_one(&shared.health, shared.dropped.load(Ordering::Relaxed));
    h.mark_stopped(engine.stopped());
    h
}
