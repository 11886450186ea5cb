//! One market-feed connection ("shard", up to five of 5,000 instruments each): its
//! instruments, the subscription requests, and the packets it publishes. The
//! socket side is a [`Link`].

use super::dns::Dns;
use super::env::Env;
use super::fanout::Fanout;
use super::link::{Link, Ready};
use crate::config::ClientConfig;
use crate::event::{ConnectionEvent, MessageCounts, Refusal, ShardHealth};
use crate::proto::disconnect::DisconnectCode;
use crate::proto::endpoint::FeedKind;
use crate::proto::market::MarketPacket;
use crate::proto::request::{FeedMode, MAX_INSTRUMENTS_PER_MESSAGE};
use crate::proto::segment::{ExchangeSegment, InstrumentId};
use crate::session::Budget;
use crate::session::Proto;
use crate::session::lifecycle::{Cause, SessionError};
use crate::session::subs::Plan;
use crate::ws::client::WsClient;
use mio::{Registry, Token};
use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Instruments per market-feed connection.
pub(crate) const MAX_PER_SHARD: usize = 5_000;

pub(crate) struct Shard {
    pub index: usize,
    pub link: Link,
    /// Instruments assigned to this shard.
    pub count: usize,
    /// Instruments whose subscription must be (re)sent.
    dirty: Vec<InstrumentId>,
    /// Requests waiting to be sent (reused).
    plan: Plan,
    /// Instruments newly subscribed by the latest request burst: what a 804 refers to.
    last_added: Vec<InstrumentId>,
    /// Instruments of the same burst that had been subscribed before (resent
    /// after a reconnect).
    last_resent: Vec<InstrumentId>,
    scratch: Vec<u8>,
    slot: MarketPacket,
    /// Messages with a malformed packet, packets longer than their kind
    /// (decoded, extra bytes skipped), code-0 packets.
    counts: MessageCounts,
}

/// The market feed's meaning of messages, borrowing the shard and the fan-out.
struct Market<'a> {
    index: usize,
    fan: &'a mut Fanout,
    slot: &'a mut MarketPacket,
    dirty: &'a mut Vec<InstrumentId>,
    plan: &'a mut Plan,
    last_added: &'a mut Vec<InstrumentId>,
    last_resent: &'a mut Vec<InstrumentId>,
    scratch: &'a mut Vec<u8>,
    counts: &'a mut MessageCounts,
}

impl Proto for Market<'_> {
    fn on_upgraded(&mut self, ws: &mut WsClient) -> u32 {
        // Everything this shard carries is (re)sent.
        self.dirty.clear();
        for (id, r) in self
            .fan
            .routes
            .iter_mut()
            .filter(|(_, r)| r.shard == self.index)
        {
            r.wire = None;
            self.dirty.push(*id);
        }
        let resent = self.dirty.len();
        self.send(ws);
        u32::try_from(resent).unwrap_or(u32::MAX)
    }

    #[inline]
    fn on_read(&mut self) {
        self.fan.new_read();
    }

    #[inline]
    fn on_binary(&mut self, msg: &[u8], recv_ns: u64) -> Option<Cause> {
        let walked = self.fan.publish_message(msg, self.slot, recv_ns);
        if let Some(e) = walked.error {
            self.counts.malformed += 1;
            let rest = if walked.ended_early {
                "the rest of the message is skipped"
            } else {
                "that packet is skipped"
            };
            log::warn!(
                "market feed connection {}: {} malformed packet(s), latest: {e}; {rest}",
                self.index,
                walked.errors
            );
        }
        if walked.extended | u32::from(walked.heartbeats) != 0 {
            self.counts.note(walked.extended, walked.heartbeats);
        }
        walked.disconnect.map(Cause::Dhan)
    }
}

impl Market<'_> {
    /// Sends pending subscription changes in messages of at most 100 instruments
    /// per mode, unsubscribes first.
    fn send(&mut self, ws: &mut WsClient) {
        if self.dirty.is_empty() && self.plan.is_empty() {
            return;
        }
        self.dirty.sort_unstable();
        self.dirty.dedup();
        let mut added = false;
        for id in self.dirty.drain(..) {
            let Some(r) = self
                .fan
                .routes
                .get_mut(&id)
                .filter(|r| r.shard == self.index)
            else {
                // Gone from this shard: its unsubscribe is already in the plan.
                continue;
            };
            let want = r.richest();
            if r.wire.is_none() && want.is_some() {
                if !added {
                    self.last_added.clear();
                    self.last_resent.clear();
                    added = true;
                }
                if r.sent_before {
                    self.last_resent.push(id);
                } else {
                    self.last_added.push(id);
                }
            }
            r.sent_before |= want.is_some();
            self.plan.push(id, r.wire, want);
            r.wire = want;
        }
        if let Err(e) = self.plan.send(self.scratch, |m| ws.send_text(m)) {
            // Only an instrument with an unnamed segment can fail to encode.
            log::warn!(
                "market feed connection {}: request not sent: {e}",
                self.index
            );
        }
    }
}

impl Shard {
    pub fn new(index: usize, cfg: &ClientConfig) -> Self {
        let mut shard = Self {
            index,
            link: Link::new(
                FeedKind::MarketFeed,
                index,
                Token(index + 1),
                &cfg.lifecycle,
                cfg.limits,
                cfg.busy_poll,
            ),
            count: 0,
            dirty: Vec::new(),
            plan: Plan::new(),
            last_added: Vec::new(),
            last_resent: Vec::new(),
            scratch: Vec::with_capacity(8192),
            counts: MessageCounts::default(),
            slot: MarketPacket::Oi(crate::proto::market::OpenInterest {
                id: InstrumentId::new(ExchangeSegment::IdxI, 0),
                oi: 0,
            }),
        };
        shard.link.trace_for(cfg);
        shard
    }

    fn market<'a>(&'a mut self, fan: &'a mut Fanout) -> (&'a mut Link, Market<'a>) {
        (
            &mut self.link,
            Market {
                index: self.index,
                fan,
                slot: &mut self.slot,
                dirty: &mut self.dirty,
                plan: &mut self.plan,
                last_added: &mut self.last_added,
                last_resent: &mut self.last_resent,
                scratch: &mut self.scratch,
                counts: &mut self.counts,
            },
        )
    }

    pub fn mark_dirty(&mut self, id: InstrumentId) {
        self.dirty.push(id);
    }

    pub fn is_live(&self) -> bool {
        self.link.is_live()
    }

    /// The next instant this shard needs attention without I/O.
    pub fn deadline(&self) -> Option<Instant> {
        self.link.deadline()
    }

    /// Timers: connect, handshake and stale-feed timeouts.
    pub fn on_timer(
        &mut self,
        now: Instant,
        env: &Env,
        registry: &Registry,
        fan: &mut Fanout,
        budget: &Mutex<Budget>,
        dns: &mut Dns,
    ) {
        self.link
            .on_timer(now, self.count > 0, env, registry, budget, dns);
        self.emit_events(fan);
    }

    /// The answer to a lookup; `false` if it was not this shard's.
    pub fn on_resolved(
        &mut self,
        id: u64,
        result: &mut Option<io::Result<Vec<SocketAddr>>>,
        env: &Env,
        registry: &Registry,
        fan: &mut Fanout,
        budget: &Mutex<Budget>,
    ) -> bool {
        if !self.link.waits_for(id) {
            return false;
        }
        if let Some(r) = result.take() {
            self.link.on_resolved(id, r, env, registry, budget);
        }
        self.emit_events(fan);
        true
    }

    /// Handles readiness of this shard's socket; `true`: data may be left.
    pub fn on_ready(
        &mut self,
        env: &Env,
        registry: &Registry,
        fan: &mut Fanout,
        budget: &Mutex<Budget>,
    ) -> bool {
        let (link, mut market) = self.market(fan);
        let Ready { more, closed } = link.on_ready(env, registry, budget, &mut market);
        if closed == Some(Cause::Dhan(DisconnectCode::INSTRUMENTS_EXCEED_LIMIT)) {
            self.drop_over_limit(fan);
        }
        self.emit_events(fan);
        more
    }

    /// Sends pending subscription changes (live connections only).
    pub fn send_subscriptions(&mut self, fan: &mut Fanout) {
        if self.dirty.is_empty() && self.plan.is_empty() {
            return;
        }
        let (link, mut market) = self.market(fan);
        if let Some(ws) = link.live_ws() {
            market.send(ws);
        }
    }

    /// Queues the unsubscribe of an instrument that left this shard entirely (sent
    /// with the next [`Self::send_subscriptions`]; nothing to do while down).
    pub fn unsubscribe_gone(&mut self, mode: FeedMode, id: InstrumentId) {
        if self.link.is_live() {
            self.plan.push(id, Some(mode), None);
        }
    }

    /// Writes queued frames.
    pub fn flush_out(&mut self, registry: &Registry) -> std::io::Result<()> {
        self.link.flush_out(registry)
    }

    /// Whether input waits in the connection's buffers (see [`Link::has_buffered_input`]).
    pub fn has_buffered_input(&self) -> bool {
        self.link.has_buffered_input()
    }

    /// Dhan's 804: the instruments first subscribed in the latest burst are over
    /// the server's limit. They are refused (each wanting handle hears which, in
    /// a `FeedEvent::Refused`, and counts it in `rejected`) and reported; the
    /// rest are resubscribed on reconnect. Instruments that were only resent
    /// after a reconnect are not new: only if the burst had no new one (the
    /// server's limit fell) are the last 100 resent refused, the tail that went
    /// over, so repeated 804s converge instead of dropping everything at once.
    fn drop_over_limit(&mut self, fan: &mut Fanout) {
        let mut dropped = std::mem::take(&mut self.last_added);
        if dropped.is_empty() {
            let tail = self
                .last_resent
                .len()
                .saturating_sub(MAX_INSTRUMENTS_PER_MESSAGE);
            dropped.extend_from_slice(&self.last_resent[tail..]);
        }
        self.last_resent.clear();
        self.link.driver.lc.report(SessionError::InstrumentLimit {
            dropped: u32::try_from(dropped.len()).unwrap_or(u32::MAX),
        });
        // Report first, so the consumers that lose instruments still hear it.
        self.emit_events(fan);
        for &id in &dropped {
            if let Some(r) = fan.routes.remove(&id) {
                self.count -= 1;
                for (ci, _) in r.want {
                    if let Some(Some(c)) = fan.consumers.get_mut(ci) {
                        c.publish_refusal(id, Refusal::InstrumentLimit);
                    }
                }
            }
        }
        log::warn!(
            "market feed connection {}: 804 instrument limit; {} instruments dropped",
            self.index,
            dropped.len()
        );
    }

    /// Forwards the lifecycle's events to the consumers of this shard.
    fn emit_events(&mut self, fan: &mut Fanout) {
        while let Some(event) = self.link.driver.lc.poll_event() {
            self.link.on_event(&event);
            fan.connection_event(
                self.index,
                ConnectionEvent {
                    feed: FeedKind::MarketFeed,
                    connection: self.index as u8,
                    event,
                },
            );
        }
    }

    /// Publishes this shard's state for `health()`.
    pub fn sync_health(&self, h: &ShardHealth) {
        h.store(&self.link.driver.lc, self.count > 0, self.counts);
    }

    /// Sends a close frame and releases the budget slot (the engine is stopping).
    pub fn close(&mut self, registry: &Registry, budget: &Mutex<Budget>) {
        self.link.close(registry, budget);
    }
}
