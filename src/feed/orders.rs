//! The order-update handle: one connection (Dhan allows one per user), updates
//! turned into events by an [`OrderTracker`] on the consumer's thread.

use super::order_tracker::{GapReason, OrderEvent, OrderEventKinds, OrderTracker};
use crate::config::OrderBookSource;
use crate::engine::port::{Command, EngineHandle, OutboxShared};
use crate::event::{FeedStats, Health, OrderFeedError, OrderItem};
use crate::proto::order::OrderUpdate;
use crate::ring::Consumer;
use crate::session::SessionEvent;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Live order updates as events: `Update` for every update; (from the second
/// update of an order on) `StatusChange` and `Execution`; `Traded`, `Rejected`,
/// `Cancelled`, `Expired` when an order reaches that status (its first update
/// included); `Open`, `Close`, `Error` for the connection (`Error` also for an
/// attempt that failed before the connection opened, with the reason). Only the
/// kinds asked for are delivered.
pub struct OrderFeed {
    engine: Arc<EngineHandle>,
    id: usize,
    consumer: Consumer<OrderItem>,
    shared: Arc<OutboxShared>,
    tracker: OrderTracker,
    kinds: OrderEventKinds,
    queued: VecDeque<OrderEvent>,
    received: u64,
    last_recv_ns: u64,
    /// The latest connection event was a `Disconnected` (delivered as `Close`), so
    /// a `Reconnecting` right after it is not reported again as an `Error`.
    close_reported: bool,
    /// Where the order book comes from, to reconcile after a gap.
    book: OrderBookSource,
    /// For [`OrderBookSource::Rest`]: the REST host and the roots to trust.
    #[cfg_attr(not(feature = "download"), allow(dead_code))]
    rest: RestTarget,
    /// The order book being fetched on a helper thread.
    reconciling: Option<crossbeam_channel::Receiver<std::io::Result<Vec<OrderUpdate>>>>,
    /// Another gap came while fetching: fetch again after.
    again: bool,
    /// Orders whose final state (traded, rejected, cancelled, expired) this
    /// handle has delivered, even after its tracker evicted them: a
    /// reconciliation does not deliver them again. At most `MAX_FINALS`.
    finals: std::collections::HashSet<crate::feed::order_tracker::OrderNo>,
    /// After an outage: fetch the book once the login is proven accepted (the
    /// first update after it), or at this time, whichever comes first. Updates
    /// the server sent before it accepted the login are lost too, so a book
    /// fetched earlier could miss their effect.
    reconcile_at: Option<Instant>,
}

/// Where [`OrderBookSource::Rest`] fetches: the REST host and the trust roots.
#[derive(Clone, Debug, Default)]
#[cfg_attr(not(feature = "download"), allow(dead_code))]
pub(crate) struct RestTarget {
    pub base: String,
    pub roots: Vec<rustls_pki_types::CertificateDer<'static>>,
}

/// Orders whose final state a handle remembers having delivered: a day's
/// orders many times over (about 40 bytes each).
const MAX_FINALS: usize = 1 << 20;

/// Remembers that `e` delivered its order's final state.
fn note_final(
    finals: &mut std::collections::HashSet<crate::feed::order_tracker::OrderNo>,
    e: &OrderEvent,
) {
    if let OrderEvent::Traded(u)
    | OrderEvent::Rejected(u)
    | OrderEvent::Cancelled(u)
    | OrderEvent::Expired(u) = e
        && finals.len() < MAX_FINALS
    {
        finals.insert(u.order_no);
    }
}

/// How long after an order-socket outage the book is fetched at the latest
/// when no update arrives to prove the login accepted (the lifecycle's own
/// verdict on a quiet order feed takes as long).
const LOGIN_SETTLES: Duration = Duration::from_secs(3);

impl std::fmt::Debug for OrderFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderFeed")
            .field("id", &self.id)
            .field("tracked", &self.tracker.len())
            .finish_non_exhaustive()
    }
}

impl OrderFeed {
    pub(crate) fn new(
        engine: Arc<EngineHandle>,
        id: usize,
        consumer: Consumer<OrderItem>,
        shared: Arc<OutboxShared>,
        tracker: OrderTracker,
        book: OrderBookSource,
        rest: RestTarget,
    ) -> Self {
        Self {
            engine,
            id,
            consumer,
            shared,
            tracker,
            kinds: OrderEventKinds::ALL,
            queued: VecDeque::with_capacity(8),
            received: 0,
            last_recv_ns: 0,
            close_reported: false,
            book,
            rest,
            reconciling: None,
            again: false,
            finals: std::collections::HashSet::new(),
            reconcile_at: None,
        }
    }

    /// Delivers only these kinds of events from now on (default: all).
    pub fn only(&mut self, kinds: OrderEventKinds) {
        self.kinds = kinds;
    }

    /// The tracker (tracked orders, evictions).
    pub fn tracker(&self) -> &OrderTracker {
        &self.tracker
    }

    /// When the I/O thread read the update behind the latest event ([`crate::time::now_ns`]).
    pub fn last_recv_ns(&self) -> u64 {
        self.last_recv_ns
    }

    /// The next event, if one is waiting. Never blocks.
    pub fn try_recv(&mut self) -> Option<OrderEvent> {
        loop {
            if let Some(e) = self.queued.pop_front() {
                return Some(e);
            }
            if self.reconciling.is_some() && self.poll_reconcile() {
                continue;
            }
            if self.reconcile_at.is_some_and(|t| Instant::now() >= t) {
                self.reconcile_at = None;
                self.start_reconcile();
            }
            let Some(item) = self.consumer.pop() else {
                return self.after_the_ring();
            };
            self.received += 1;
            let kinds = self.kinds;
            let q = &mut self.queued;
            let finals = &mut self.finals;
            let mut push = |e: OrderEvent| {
                note_final(finals, &e);
                if kinds.contains(e.kind()) {
                    q.push_back(e);
                }
            };
            match item {
                OrderItem::Update { update, recv_ns } => {
                    self.last_recv_ns = recv_ns;
                    self.tracker.track(&update, Instant::now(), push);
                    if self.reconcile_at.take().is_some() {
                        self.start_reconcile();
                    }
                }
                OrderItem::Connection(c) => {
                    if let Some(e) = connection_event(&mut self.close_reported, &c.event) {
                        push(e);
                    }
                }
                OrderItem::Error(e) => push(OrderEvent::Error(e)),
                // Never filtered out: the consumer's view has a hole.
                OrderItem::Gap {
                    missed,
                    first_ns,
                    last_ns,
                } => {
                    self.queued.push_back(OrderEvent::Gap {
                        reason: GapReason::SpillFull { missed },
                        from_ns: first_ns,
                        to_ns: last_ns,
                    });
                    self.start_reconcile();
                }
                OrderItem::Outage { from_ns, to_ns } => {
                    self.queued.push_back(OrderEvent::Gap {
                        reason: GapReason::Outage,
                        from_ns,
                        to_ns,
                    });
                    self.reconcile_at = Some(Instant::now() + LOGIN_SETTLES);
                }
            }
        }
    }

    /// Fetches the order book on a helper thread (one fetch at a time; a gap
    /// during a fetch asks for another after it).
    fn start_reconcile(&mut self) {
        let Some(fetch) = self.fetcher() else {
            return;
        };
        if self.reconciling.is_some() {
            self.again = true;
            return;
        }
        let (tx, rx) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new()
            .name("dhan-feed-reconcile".into())
            .spawn(move || {
                let _ = tx.send(fetch());
            });
        match spawned {
            Ok(_) => self.reconciling = Some(rx),
            Err(e) => self
                .queued
                .push_back(OrderEvent::Error(OrderFeedError::Reconcile(
                    crate::proto::text::Text::new(&format!("no reconcile thread: {e}")),
                ))),
        }
    }

    /// How to get the order book, if there is a way.
    fn fetcher(&self) -> Option<Arc<crate::config::OrderBookFn>> {
        match &self.book {
            OrderBookSource::Custom(f) => Some(f.clone()),
            #[cfg(feature = "download")]
            OrderBookSource::Rest => {
                let token = self
                    .engine
                    .token
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                let rest = self.rest.clone();
                Some(Arc::new(move || {
                    crate::transport::rest::fetch_order_book(&rest.base, &token, &rest.roots)
                }))
            }
            _ => None,
        }
    }

    /// Applies the fetched order book if it has come; `true` if it did.
    #[cold]
    fn poll_reconcile(&mut self) -> bool {
        let Some(rx) = &self.reconciling else {
            return false;
        };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(crossbeam_channel::TryRecvError::Empty) => return false,
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                Err(std::io::Error::other("the order-book source panicked"))
            }
        };
        self.reconciling = None;
        match result {
            Ok(book) => self.reconcile(&book),
            Err(e) => self
                .queued
                .push_back(OrderEvent::Error(OrderFeedError::Reconcile(
                    crate::proto::text::Text::new(&e.to_string()),
                ))),
        }
        if std::mem::take(&mut self.again) {
            self.start_reconcile();
        }
        true
    }

    /// Tracks every order of `book` whose state is ahead of what the handle
    /// saw (unknown to it, more traded, or final where it was not): their events
    /// follow, marked `reconciled`, then `Reconciled`. A book older than an
    /// update already seen never moves an order back.
    fn reconcile(&mut self, book: &[OrderUpdate]) {
        let now = Instant::now();
        let mut changed = 0u32;
        let kinds = self.kinds;
        for u in book {
            if u.status.is_terminal() && self.finals.contains(&u.order_no) {
                continue;
            }
            let ahead = match self.tracker.get(u.order_no.as_str()) {
                None => !u.order_no.is_empty(),
                Some(t) => {
                    u.traded_qty > t.traded_qty
                        || (u.status.is_terminal() && !t.status.is_terminal())
                }
            };
            if !ahead {
                continue;
            }
            changed += 1;
            let mut u = *u;
            u.reconciled = true;
            let q = &mut self.queued;
            let finals = &mut self.finals;
            self.tracker.track(&u, now, |e| {
                note_final(finals, &e);
                if kinds.contains(e.kind()) {
                    q.push_back(e);
                }
            });
        }
        self.queued.push_back(OrderEvent::Reconciled {
            orders: u32::try_from(book.len()).unwrap_or(u32::MAX),
            changed,
        });
    }

    /// The ring is empty: the terminal event if the I/O thread has stopped
    /// (after anything it published before recording why).
    #[cold]
    fn after_the_ring(&mut self) -> Option<OrderEvent> {
        let stop = self.engine.stopped()?;
        if !self.consumer.is_empty() {
            return self.try_recv();
        }
        Some(OrderEvent::EngineStopped(stop))
    }

    /// The next event, waiting up to `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<OrderEvent> {
        super::wait_for(timeout, || self.try_recv())
    }

    /// Moves waiting events into `out`, as many as fit; returns how many.
    pub fn drain(&mut self, out: &mut [OrderEvent]) -> usize {
        super::drain_with(out, || self.try_recv())
    }

    /// Counters: items taken, published, dropped (ring full), waiting.
    pub fn stats(&mut self) -> FeedStats {
        super::outbox_stats(&self.shared, self.received, self.consumer.len() as u64)
    }

    /// Whether the order-update connection is live: logged in, updates flowing
    /// (the seed's `connected?`).
    pub fn connected(&self) -> bool {
        self.health().live > 0
    }

    /// The connection's state.
    pub fn health(&self) -> Health {
        super::outbox_health(&self.shared, &self.engine)
    }

    /// A [`HealthProbe`](super::HealthProbe) that reads this handle's
    /// [`health`](Self::health) from any thread.
    pub fn health_probe(&self) -> super::HealthProbe {
        super::HealthProbe::one(&self.engine, &self.shared)
    }
}

/// The order event for a connection event, if any. `after_close` is whether the
/// previous connection event was a `Disconnected` (delivered as `Close`); it is
/// updated here.
fn connection_event(after_close: &mut bool, ev: &SessionEvent) -> Option<OrderEvent> {
    let follows_close =
        std::mem::replace(after_close, matches!(ev, SessionEvent::Disconnected { .. }));
    match *ev {
        SessionEvent::Connected => Some(OrderEvent::Open),
        SessionEvent::Disconnected { code, reason } => {
            Some(OrderEvent::close(code.map(|c| c.0), &reason.to_string()))
        }
        // An attempt that failed before the connection opened (refused, TLS,
        // timeout) has no `Close`: its reason comes as an `Error`.
        SessionEvent::Reconnecting { cause, .. } if !follows_close => {
            Some(OrderEvent::Error(OrderFeedError::ConnectFailed(cause)))
        }
        SessionEvent::Error { error } => Some(OrderEvent::Error(OrderFeedError::Session(error))),
        _ => None,
    }
}

impl Drop for OrderFeed {
    fn drop(&mut self) {
        // A stopped I/O thread has already closed the connection.
        let _ = self.engine.send(Command::RemoveAux { id: self.id });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::disconnect::DisconnectCode;
    use crate::session::{Cause, SessionError};

    fn kinds(evs: &[SessionEvent]) -> Vec<String> {
        let mut after_close = false;
        evs.iter()
            .map(|e| match connection_event(&mut after_close, e) {
                Some(OrderEvent::Open) => "open".into(),
                Some(OrderEvent::Close { .. }) => "close".into(),
                Some(OrderEvent::Error(e)) => e.to_string(),
                Some(other) => format!("{other:?}"),
                None => "-".into(),
            })
            .collect()
    }

    #[test]
    fn a_failed_attempt_is_an_error_unless_it_follows_a_close() {
        let dhan = Cause::Dhan(DisconnectCode(807));
        let refused = Cause::Io(std::io::ErrorKind::ConnectionRefused);
        let retry = |cause| SessionEvent::Reconnecting {
            attempt: 1,
            delay: std::time::Duration::ZERO,
            cause,
        };
        let got = kinds(&[
            SessionEvent::Connected,
            SessionEvent::Disconnected {
                code: None,
                reason: Cause::Eof,
            },
            retry(Cause::Eof),
            retry(refused),
            SessionEvent::Connected,
            // A credential stop: Close and Error, no Reconnecting; then, after new
            // credentials, an attempt that fails before opening.
            SessionEvent::Disconnected {
                code: Some(DisconnectCode(807)),
                reason: dhan,
            },
            SessionEvent::Error {
                error: SessionError::Credentials(dhan),
            },
            retry(refused),
        ]);
        assert_eq!(
            got[..4],
            [
                "open",
                "close",
                "-",
                "connect failed: socket error (connection refused)"
            ]
        );
        assert_eq!(got[4..6], ["open", "close"]);
        assert!(got[6].starts_with("credentials refused"), "{got:?}");
        assert_eq!(got[7], "connect failed: socket error (connection refused)");
    }
}
