//! The order-update handle: one connection (Dhan allows one per user), updates
//! turned into events by an [`OrderTracker`] on the consumer's thread.

use super::event::ConnectionEvent;
use super::market::Health;
use super::order_tracker::{OrderEvent, OrderEventKinds, OrderTracker};
use crate::client::ClientInner;
use crate::engine::{Command, OutboxShared};
use crate::proto::order::OrderUpdate;
use crate::proto::text::Text;
use crate::ring::Consumer;
use crate::session::SessionEvent;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the I/O thread puts into the order handle's ring.
///
/// Ring slots are fixed-size, so the large update is stored inline on purpose:
/// boxing it would allocate per message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum OrderItem {
    /// An `order_alert`.
    Update {
        /// The update.
        update: OrderUpdate,
        /// When the I/O thread read it.
        recv_ns: u64,
    },
    /// A connection change.
    Connection(ConnectionEvent),
    /// A message that could not be parsed (the objects around it still were).
    Error(Text<128>),
}

/// Live order updates as events: `Update` for every update; (from the second
/// update of an order on) `StatusChange` and `Execution`; `Traded`, `Rejected`,
/// `Cancelled`, `Expired` when an order reaches that status (its first update
/// included); `Open`, `Close`, `Error` for the connection (`Error` also for an
/// attempt that failed before the connection opened, with the reason). Only the
/// kinds asked for are delivered.
pub struct OrderFeed {
    inner: Arc<ClientInner>,
    id: usize,
    consumer: Consumer<OrderItem>,
    shared: Arc<OutboxShared>,
    tracker: OrderTracker,
    kinds: OrderEventKinds,
    queued: VecDeque<OrderEvent>,
    received: u64,
    last_recv_ns: u64,
    /// A `Close` was delivered for the current drop, so its `Reconnecting` is not
    /// reported again as an `Error`.
    close_reported: bool,
}

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
        inner: Arc<ClientInner>,
        id: usize,
        consumer: Consumer<OrderItem>,
        shared: Arc<OutboxShared>,
        tracker: OrderTracker,
    ) -> Self {
        Self {
            inner,
            id,
            consumer,
            shared,
            tracker,
            kinds: OrderEventKinds::ALL,
            queued: VecDeque::with_capacity(8),
            received: 0,
            last_recv_ns: 0,
            close_reported: false,
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
            let item = self.consumer.pop()?;
            self.received += 1;
            let kinds = self.kinds;
            let q = &mut self.queued;
            let mut push = |e: OrderEvent| {
                if kinds.contains(e.kind()) {
                    q.push_back(e);
                }
            };
            match item {
                OrderItem::Update { update, recv_ns } => {
                    self.last_recv_ns = recv_ns;
                    self.tracker.track(&update, Instant::now(), push);
                }
                OrderItem::Connection(c) => match c.event {
                    SessionEvent::Connected => {
                        self.close_reported = false;
                        push(OrderEvent::Open)
                    }
                    SessionEvent::Disconnected { code, reason } => {
                        self.close_reported = true;
                        push(OrderEvent::close(code.map(|c| c.0), &reason.to_string()))
                    }
                    // An attempt that failed before the connection opened (refused,
                    // TLS, timeout) has no `Close`: its reason comes as an `Error`.
                    // (The guard also clears the flag for the next drop.)
                    SessionEvent::Reconnecting { cause, .. }
                        if !std::mem::take(&mut self.close_reported) =>
                    {
                        push(OrderEvent::error(&format!("connect failed: {cause}")))
                    }
                    SessionEvent::Error { error } => push(OrderEvent::error(&error.to_string())),
                    _ => {}
                },
                OrderItem::Error(t) => push(OrderEvent::error(t.as_str())),
            }
        }
    }

    /// The next event, waiting up to `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<OrderEvent> {
        super::wait_for(timeout, || self.try_recv())
    }

    /// Counters: items taken, published, dropped (ring full), waiting.
    pub fn stats(&mut self) -> super::FeedStats {
        self.shared.stats(self.received, self.consumer.len() as u64)
    }

    /// Whether the order-update connection is live: logged in, updates flowing
    /// (the seed's `connected?`).
    pub fn connected(&self) -> bool {
        self.health().live > 0
    }

    /// The connection's state.
    pub fn health(&self) -> Health {
        self.shared.health()
    }
}

impl Drop for OrderFeed {
    fn drop(&mut self) {
        self.inner.engine.send(Command::RemoveAux { id: self.id });
    }
}
