//! The market-feed consumer handle.

use crate::engine::port::{Command, ConsumerShared, EngineHandle};
use crate::error::Error;
use crate::event::{FeedEvent, FeedStats, Health};
use crate::proto::request::FeedMode;
use crate::proto::segment::InstrumentId;
use crate::ring::Consumer;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A consumer of the live market feed in one mode, with its own ring.
///
/// Created by [`crate::Client::market_feed`]. `Send` (move it to the thread that
/// consumes); dropping it unsubscribes whatever only it wanted.
pub struct MarketFeed {
    engine: Arc<EngineHandle>,
    id: usize,
    mode: FeedMode,
    consumer: Consumer<FeedEvent>,
    shared: Arc<ConsumerShared>,
    subs: BTreeSet<InstrumentId>,
    received: u64,
}

impl std::fmt::Debug for MarketFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketFeed")
            .field("id", &self.id)
            .field("mode", &self.mode)
            .field("subscriptions", &self.subs.len())
            .finish_non_exhaustive()
    }
}

impl MarketFeed {
    pub(crate) fn new(
        engine: Arc<EngineHandle>,
        id: usize,
        mode: FeedMode,
        consumer: Consumer<FeedEvent>,
        shared: Arc<ConsumerShared>,
    ) -> Self {
        Self {
            engine,
            id,
            mode,
            consumer,
            shared,
            subs: BTreeSet::new(),
            received: 0,
        }
    }

    /// The mode this consumer receives.
    pub fn mode(&self) -> FeedMode {
        self.mode
    }

    /// Subscribes instruments (those already subscribed are skipped). The engine
    /// batches them ≤ 100 per message and spreads them over up to five
    /// connections of 5,000; an instrument that finds no room, or whose segment
    /// Dhan cannot name, is refused there: it arrives as a
    /// [`FeedEvent::Refused`], leaves [`subscriptions`](Self::subscriptions) and
    /// counts in [`FeedStats::rejected`].
    /// Fails with [`Error::Stopped`] when the client's I/O thread no longer
    /// runs (the subscriptions are then unchanged).
    pub fn subscribe(&mut self, ids: &[InstrumentId]) -> Result<(), Error> {
        let new: Vec<InstrumentId> = ids
            .iter()
            .copied()
            .filter(|i| self.subs.insert(*i))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let sent = self.engine.send(Command::Subscribe {
            id: self.id,
            instruments: new.clone(),
        });
        if sent.is_err() {
            for i in &new {
                self.subs.remove(i);
            }
        }
        Ok(sent?)
    }

    /// Unsubscribes instruments (those not subscribed are skipped). Fails with
    /// [`Error::Stopped`] when the client's I/O thread no longer runs.
    pub fn unsubscribe(&mut self, ids: &[InstrumentId]) -> Result<(), Error> {
        let gone: Vec<InstrumentId> = ids
            .iter()
            .copied()
            .filter(|i| self.subs.remove(i))
            .collect();
        if gone.is_empty() {
            return Ok(());
        }
        let sent = self.engine.send(Command::Unsubscribe {
            id: self.id,
            instruments: gone.clone(),
        });
        if sent.is_err() {
            self.subs.extend(&gone);
        }
        Ok(sent?)
    }

    /// The instruments this consumer asked for.
    pub fn subscriptions(&self) -> Vec<InstrumentId> {
        self.subs.iter().copied().collect()
    }

    /// The next event, if one is waiting. Never blocks. A
    /// [`FeedEvent::Refused`] instrument has left [`subscriptions`](Self::subscriptions)
    /// by the time it is returned.
    ///
    /// Once the client's I/O thread no longer runs, an empty ring yields
    /// [`FeedEvent::EngineStopped`], on this and every later call.
    #[inline]
    pub fn try_recv(&mut self) -> Option<FeedEvent> {
        let e = self.consumer.pop();
        self.received += u64::from(e.is_some());
        match e {
            Some(FeedEvent::Refused(r)) => {
                self.subs.remove(&r.id);
            }
            None => return self.after_the_ring(),
            _ => {}
        }
        e
    }

    /// The ring is empty: the terminal event if the I/O thread has stopped
    /// (after anything it published before recording why).
    #[cold]
    #[inline(never)]
    fn after_the_ring(&mut self) -> Option<FeedEvent> {
        let stop = self.engine.stopped()?;
        match self.consumer.pop() {
            Some(e) => {
                self.received += 1;
                if let FeedEvent::Refused(r) = e {
                    self.subs.remove(&r.id);
                }
                Some(e)
            }
            None => Some(FeedEvent::EngineStopped(stop)),
        }
    }

    /// The next event, waiting up to `timeout` (spinning briefly, then sleeping in
    /// short steps: the I/O thread never wakes consumers).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<FeedEvent> {
        super::wait_for(timeout, || self.try_recv())
    }

    /// Moves waiting events into `out`, as many as fit; returns how many. Once
    /// the I/O thread no longer runs, [`FeedEvent::EngineStopped`] follows the
    /// last event (as in [`try_recv`](Self::try_recv)).
    pub fn drain(&mut self, out: &mut [FeedEvent]) -> usize {
        let mut n = 0;
        for slot in out.iter_mut() {
            match self.consumer.pop() {
                Some(e) => {
                    // Checked in the slot, after the copy: a check of `e` itself
                    // would keep a second copy of every event on the stack.
                    *slot = e;
                    if let FeedEvent::Refused(r) = *slot {
                        self.subs.remove(&r.id);
                    }
                    n += 1;
                }
                None => break,
            }
        }
        self.received += n as u64;
        if n < out.len()
            && let Some(e) = self.after_the_ring()
        {
            out[n] = e;
            n += 1;
        }
        n
    }

    /// Whether every market-feed connection that carries instruments is live.
    pub fn connected(&self) -> bool {
        let s = &self.engine.stats;
        let open = s.open.load(Ordering::Relaxed);
        open > 0 && s.live.load(Ordering::Relaxed) >= open && s.stopped().is_none()
    }

    /// The state of the connections behind this handle, for a health check.
    pub fn health(&self) -> Health {
        super::probe::market_health(&self.engine, &self.shared)
    }

    /// A [`HealthProbe`](super::HealthProbe) that reads this handle's
    /// [`health`](Self::health) from any thread.
    pub fn health_probe(&self) -> super::HealthProbe {
        super::HealthProbe::market(&self.engine, &self.shared)
    }

    /// This consumer's counters.
    pub fn stats(&mut self) -> FeedStats {
        FeedStats {
            received: self.received,
            published: self.shared.published.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            rejected: self.shared.rejected.load(Ordering::Relaxed),
            lag: self.consumer.len() as u64,
            spilled: 0,
        }
    }

    /// Unsubscribes everything this consumer wanted and drops it.
    pub fn stop(self) {}
}

impl Drop for MarketFeed {
    fn drop(&mut self) {
        // A stopped I/O thread has nothing left to unsubscribe.
        let _ = self.engine.send(Command::RemoveConsumer { id: self.id });
    }
}
