//! [`HealthProbe`]: a feed handle's health, readable from any thread without the
//! handle (a status page, a monitoring thread).

use crate::engine::port::{ConsumerShared, EngineHandle, OutboxShared};
use crate::event::{Health, instant_at};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Reads the same [`Health`] as the handle it came from (`MarketFeed::health_probe`,
/// `OrderFeed::health_probe`, `DepthFeed::health_probe`,
/// `GlobalStocksFeed::health_probe`), from any thread, while the handle is consumed
/// elsewhere. Cheap to clone: a few relaxed loads per call, no lock. It keeps
/// reading after its handle is dropped (the counters then stop moving).
#[derive(Clone)]
pub struct HealthProbe(Source);

#[derive(Clone)]
enum Source {
    /// A market-feed consumer: its ring's counters and every market connection.
    Market {
        engine: Arc<EngineHandle>,
        shared: Arc<ConsumerShared>,
    },
    /// A handle with one connection of its own (depth, order updates, Global Stocks).
    One {
        engine: Arc<EngineHandle>,
        shared: Arc<OutboxShared>,
    },
}

impl std::fmt::Debug for HealthProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.0 {
            Source::Market { .. } => "market",
            Source::One { .. } => "one connection",
        };
        f.debug_tuple("HealthProbe").field(&kind).finish()
    }
}

impl HealthProbe {
    pub(crate) fn market(engine: &Arc<EngineHandle>, shared: &Arc<ConsumerShared>) -> Self {
        Self(Source::Market {
            engine: engine.clone(),
            shared: shared.clone(),
        })
    }

    pub(crate) fn one(engine: &Arc<EngineHandle>, shared: &Arc<OutboxShared>) -> Self {
        Self(Source::One {
            engine: engine.clone(),
            shared: shared.clone(),
        })
    }

    /// The state of the connections behind the handle, as its `health()` says.
    pub fn health(&self) -> Health {
        match &self.0 {
            Source::Market { engine, shared } => market_health(engine, shared),
            Source::One { engine, shared } => super::outbox_health(shared, engine),
        }
    }
}

/// A market consumer's health: its own drops and latest publish, and the state of
/// every market-feed connection.
pub(crate) fn market_health(engine: &EngineHandle, shared: &ConsumerShared) -> Health {
    let s = &engine.stats;
    let mut h = Health {
        dropped: shared.dropped.load(Ordering::Relaxed),
        last_message_at: instant_at(shared.last_publish_ns.load(Ordering::Relaxed)),
        ..Health::default()
    };
    let mut all_live_since: Option<u64> = Some(0);
    for sh in &s.shards {
        h.add(sh, &mut all_live_since);
    }
    if h.connections > 0 {
        h.connected_since = all_live_since.and_then(instant_at);
    }
    h.mark_stopped(s.stopped());
    h
}
