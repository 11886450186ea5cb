//! One market-feed connection ("shard", up to five of 5,000 instruments each): the
//! socket, TLS, upgrade, frames and packets. When to connect, how long to wait and
//! when to give up is the pure [`Lifecycle`]'s decision; this file carries it out.

use super::fanout::Fanout;
use super::{Env, ShardHealth};
use crate::config::ClientConfig;
use crate::feed::event::ConnectionEvent;
use crate::proto::disconnect::DisconnectCode;
use crate::proto::endpoint::FeedKind;
use crate::proto::market::{MarketPacket, Step, packets};
use crate::proto::request::FeedMode;
use crate::proto::segment::{ExchangeSegment, InstrumentId};
use crate::session::Budget;
use crate::session::lifecycle::{
    Action, Cause, Lifecycle, Phase as LcPhase, SessionError, SessionEvent,
};
use crate::session::subs::Plan;
use crate::transport::conn::{ReadStatus, Transport};
use crate::ws::client::{WsClient, WsEvent};
use crate::ws::handshake::{self, HandshakeError};
use mio::{Interest, Registry, Token};
use std::io;
use std::net::ToSocketAddrs;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Buffer-fulls read from one socket before the engine turns to other work (a
/// server faster than us must not starve commands, timers or other connections).
const READS_PER_TURN: usize = 8;

/// Instruments per market-feed connection.
pub(crate) const MAX_PER_SHARD: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Upgrading,
    Live,
}

struct Conn {
    transport: Transport,
    ws: WsClient,
    phase: Phase,
    key: String,
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    interest: Interest,
}

pub(crate) struct Shard {
    pub index: usize,
    token: Token,
    conn: Option<Conn>,
    /// Instruments assigned to this shard.
    pub count: usize,
    /// Instruments whose subscription must be (re)sent.
    dirty: Vec<InstrumentId>,
    /// Requests waiting to be sent (reused).
    plan: Plan,
    /// Instruments newly subscribed by the latest request burst: what a 804 refers to.
    last_added: Vec<InstrumentId>,
    pub lc: Lifecycle,
    scratch: Vec<u8>,
    slot: MarketPacket,
}

/// Locks the budget; a poisoned lock (a panic elsewhere) still holds valid counts.
fn lock(b: &Mutex<Budget>) -> std::sync::MutexGuard<'_, Budget> {
    b.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a socket or protocol error means for the lifecycle.
fn io_cause(e: &io::Error) -> Cause {
    let tls = e
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
    if tls { Cause::Tls } else { Cause::Io(e.kind()) }
}

impl Shard {
    pub fn new(index: usize, cfg: &ClientConfig) -> Self {
        let seed = cfg
            .lifecycle
            .seed
            .unwrap_or_else(crate::time::now_ns)
            .wrapping_add(index as u64);
        Self {
            index,
            token: Token(index + 1),
            conn: None,
            count: 0,
            dirty: Vec::new(),
            plan: Plan::new(),
            last_added: Vec::new(),
            lc: Lifecycle::new(FeedKind::MarketFeed, cfg.lifecycle, seed),
            scratch: Vec::with_capacity(8192),
            slot: MarketPacket::Oi(crate::proto::market::OpenInterest {
                id: InstrumentId::new(ExchangeSegment::IdxI, 0),
                oi: 0,
            }),
        }
    }

    pub fn mark_dirty(&mut self, id: InstrumentId) {
        self.dirty.push(id);
    }

    pub fn is_live(&self) -> bool {
        self.lc.phase() == LcPhase::Live
    }

    /// The next instant this shard needs attention without I/O.
    pub fn deadline(&self) -> Option<Instant> {
        self.lc.poll_timeout()
    }

    /// Timers: starts a due connection (within the budget), times out a slow
    /// handshake or a stale feed.
    pub fn on_timer(
        &mut self,
        now: Instant,
        cfg: &ClientConfig,
        env: &Env,
        registry: &Registry,
        fan: &mut Fanout,
        budget: &Mutex<Budget>,
    ) {
        self.lc.set_wanted(now, self.count > 0);
        if self.lc.poll_timeout().is_some_and(|t| now >= t) {
            let mut b = lock(budget);
            while let Some(action) = self.lc.handle_timeout(now, &mut b) {
                match action {
                    Action::Connect => {
                        if let Err(e) = self.connect(cfg, env, registry) {
                            log::warn!(
                                "market feed connection {}: connect failed: {e}",
                                self.index
                            );
                            self.lc.on_closed(now, io_cause(&e), &mut b);
                        }
                    }
                    Action::Close(cause) => {
                        log::warn!("market feed connection {}: {cause}; closing", self.index);
                        self.teardown(registry);
                    }
                }
            }
        }
        self.emit_events(fan);
    }

    fn connect(&mut self, cfg: &ClientConfig, env: &Env, registry: &Registry) -> io::Result<()> {
        let addr = (env.base.host.as_str(), env.base.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "host has no address"))?;
        let mut sock = mio::net::TcpStream::connect(addr)?;
        sock.set_nodelay(true)?;
        registry.register(
            &mut sock,
            self.token,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let tls = match &env.tls {
            Some(tls_cfg) => {
                let name = rustls_pki_types::ServerName::try_from(env.base.host.clone())
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                Some(
                    rustls::ClientConnection::new(tls_cfg.clone(), name)
                        .map_err(io::Error::other)?,
                )
            }
            None => None,
        };
        log::info!(
            "market feed connection {}: connecting to {}{}",
            self.index,
            env.base.authority(),
            crate::proto::endpoint::redacted_target(&env.target)
        );
        self.conn = Some(Conn {
            transport: Transport::new(sock, tls),
            ws: WsClient::new(cfg.limits),
            phase: Phase::Connecting,
            key: handshake::new_key(),
            rbuf: vec![0u8; cfg.limits.max_frame + 64 * 1024],
            rstart: 0,
            rend: 0,
            interest: Interest::READABLE | Interest::WRITABLE,
        });
        Ok(())
    }

    /// Handles readiness of this shard's socket. Returns `true` when it stopped
    /// reading before the socket ran dry (its read budget for this turn was used):
    /// the engine comes back to it next turn without waiting for a new event.
    pub fn on_ready(
        &mut self,
        env: &Env,
        registry: &Registry,
        fan: &mut Fanout,
        budget: &Mutex<Budget>,
    ) -> bool {
        let mut result = self.drive(env, fan, budget);
        if result.is_ok()
            && let Err(e) = self.flush_out(registry)
        {
            result = Err(io_cause(&e));
        }
        match result {
            Ok(more) => more,
            Err(cause) => {
                self.drop_conn(registry, fan, budget, cause);
                false
            }
        }
    }

    fn drive(
        &mut self,
        env: &Env,
        fan: &mut Fanout,
        budget: &Mutex<Budget>,
    ) -> Result<bool, Cause> {
        let Some(c) = self.conn.as_mut() else {
            return Ok(false);
        };
        if c.phase == Phase::Connecting {
            let sock = c.transport.socket();
            if let Some(e) = sock.take_error().map_err(|e| io_cause(&e))? {
                return Err(io_cause(&e));
            }
            match sock.peer_addr() {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(false),
                Err(e) => return Err(io_cause(&e)),
            }
            self.lc.on_connected(Instant::now(), env.tls.is_some());
            // Queued with the frames, so a partial write is finished by `flush_out`.
            let req = handshake::request(&env.base.authority(), &env.target, &c.key, "dhan-feed");
            c.ws.queue_raw(&req);
            c.phase = Phase::Upgrading;
        }
        for _ in 0..READS_PER_TURN {
            let Some(c) = self.conn.as_mut() else {
                return Ok(false);
            };
            if c.rend == c.rbuf.len() && c.rstart > 0 {
                c.rbuf.copy_within(c.rstart..c.rend, 0);
                c.rend -= c.rstart;
                c.rstart = 0;
            }
            let status = c
                .transport
                .read_into(&mut c.rbuf, &mut c.rend)
                .map_err(|e| io_cause(&e))?;
            if c.phase == Phase::Upgrading && !c.transport.is_handshaking() {
                self.lc.on_tls_established();
            }
            let recv_ns = crate::time::now_ns();
            if matches!(status, ReadStatus::Data(_)) {
                self.lc.on_frame(crate::time::instant_of(recv_ns));
            }
            self.process(recv_ns, fan, budget)?;
            match status {
                ReadStatus::Data(_) => continue,
                ReadStatus::WouldBlock => return Ok(false),
                ReadStatus::Eof => return Err(Cause::Eof),
            }
        }
        // Still readable: yield so commands, timers and other connections get a turn.
        Ok(true)
    }

    /// Consumes complete frames (or the upgrade response) from the read buffer.
    fn process(
        &mut self,
        recv_ns: u64,
        fan: &mut Fanout,
        budget: &Mutex<Budget>,
    ) -> Result<(), Cause> {
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        if c.phase == Phase::Upgrading {
            match handshake::parse_response(&c.rbuf[c.rstart..c.rend], &c.key) {
                Ok(None) => {
                    if c.rend == c.rbuf.len() {
                        log::warn!(
                            "market feed connection {}: upgrade response too large",
                            self.index
                        );
                        return Err(Cause::Protocol);
                    }
                    return Ok(());
                }
                Ok(Some(n)) => {
                    c.rstart += n;
                    c.phase = Phase::Live;
                    self.on_upgraded(fan, budget);
                }
                Err(HandshakeError::Status(s)) => return Err(Cause::Http(s)),
                Err(e) => {
                    log::warn!("market feed connection {}: {e}", self.index);
                    return Err(Cause::Protocol);
                }
            }
        }
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        let mut end = None;
        loop {
            let ev = c.ws.poll_event(&c.rbuf[c.rstart..c.rend]);
            let (ev, n) = match ev {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => {
                    log::warn!("market feed connection {}: {e}", self.index);
                    return Err(Cause::Protocol);
                }
            };
            match ev {
                WsEvent::Binary(msg) => {
                    let mut it = packets(msg);
                    loop {
                        match it.advance(&mut self.slot) {
                            Step::Packet => {
                                if let MarketPacket::Disconnect(d) = self.slot {
                                    end = Some(Cause::Dhan(d.reason));
                                } else {
                                    fan.publish(&self.slot, recv_ns);
                                }
                            }
                            Step::End => break,
                            Step::Error => {
                                if let Some(e) = it.error() {
                                    log::warn!("market feed connection {}: {e}", self.index);
                                }
                                break;
                            }
                        }
                    }
                }
                WsEvent::Text(_) | WsEvent::Ping | WsEvent::Pong | WsEvent::Partial => {}
                WsEvent::Close { code, .. } => {
                    // Dhan's codes may also arrive as the close code.
                    end = Some(match code {
                        Some(c) if (800..900).contains(&c) => Cause::Dhan(DisconnectCode(c)),
                        _ => end.unwrap_or(Cause::ServerClose(code)),
                    });
                }
            }
            c.rstart += n;
        }
        if c.rstart == c.rend {
            c.rstart = 0;
            c.rend = 0;
        }
        end.map_or(Ok(()), Err)
    }

    /// Upgraded: everything this shard carries is (re)sent, then it is live.
    fn on_upgraded(&mut self, fan: &mut Fanout, budget: &Mutex<Budget>) {
        let now = Instant::now();
        self.lc.on_upgraded(now, &mut lock(budget));
        self.dirty.clear();
        for (id, r) in fan.routes.iter_mut().filter(|(_, r)| r.shard == self.index) {
            r.wire = None;
            self.dirty.push(*id);
        }
        let resent = self.dirty.len();
        self.send_subscriptions(fan);
        self.lc
            .on_live(now, u32::try_from(resent).unwrap_or(u32::MAX));
        log::info!(
            "market feed connection {} live ({resent} instruments)",
            self.index
        );
        self.emit_events(fan);
    }

    /// Sends pending subscription changes (live connections only), in messages of
    /// at most 100 instruments per mode, unsubscribes first.
    pub fn send_subscriptions(&mut self, fan: &mut Fanout) {
        let Some(c) = self.conn.as_mut().filter(|c| c.phase == Phase::Live) else {
            return;
        };
        if self.dirty.is_empty() && self.plan.is_empty() {
            return;
        }
        self.dirty.sort_unstable();
        self.dirty.dedup();
        let mut added = false;
        for id in self.dirty.drain(..) {
            let Some(r) = fan.routes.get_mut(&id).filter(|r| r.shard == self.index) else {
                // Gone from this shard: its unsubscribe is already in the plan.
                continue;
            };
            let want = r.richest();
            if r.wire.is_none() && want.is_some() {
                if !added {
                    self.last_added.clear();
                    added = true;
                }
                self.last_added.push(id);
            }
            self.plan.push(id, r.wire, want);
            r.wire = want;
        }
        let ws = &mut c.ws;
        if let Err(e) = self.plan.send(&mut self.scratch, |m| ws.send_text(m)) {
            // Only an instrument with an unnamed segment can fail to encode.
            log::warn!(
                "market feed connection {}: request not sent: {e}",
                self.index
            );
        }
    }

    /// Queues the unsubscribe of instruments that left this shard entirely (sent
    /// with the next [`Self::send_subscriptions`]; nothing to do while down).
    pub fn unsubscribe_gone(&mut self, mode: FeedMode, id: InstrumentId) {
        if self.conn.as_ref().is_some_and(|c| c.phase == Phase::Live) {
            self.plan.push(id, Some(mode), None);
        }
    }

    /// Writes queued frames; keeps write interest only while output is pending.
    pub fn flush_out(&mut self, registry: &Registry) -> io::Result<()> {
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        if c.phase != Phase::Connecting {
            loop {
                let mut progressed = false;
                while c.ws.wants_write() {
                    let n = c.transport.write_plain(c.ws.output())?;
                    if n == 0 {
                        break;
                    }
                    c.ws.consume_output(n);
                    progressed = true;
                }
                c.transport.flush()?;
                // Flushing TLS records may have made room for more plaintext.
                if !progressed || !c.ws.wants_write() {
                    break;
                }
            }
        }
        let want =
            if c.phase == Phase::Connecting || c.ws.wants_write() || c.transport.wants_write() {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
        if want != c.interest {
            registry.reregister(c.transport.socket(), self.token, want)?;
            c.interest = want;
        }
        Ok(())
    }

    /// Removes the socket (best effort: queued output, e.g. our answer to a close
    /// frame, is written first).
    fn teardown(&mut self, registry: &Registry) {
        let _ = self.flush_out(registry);
        if let Some(mut c) = self.conn.take() {
            let _ = registry.deregister(c.transport.socket());
        }
    }

    fn drop_conn(
        &mut self,
        registry: &Registry,
        fan: &mut Fanout,
        budget: &Mutex<Budget>,
        cause: Cause,
    ) {
        if self.conn.is_none() {
            return;
        }
        self.teardown(registry);
        log::warn!("market feed connection {} dropped: {cause}", self.index);
        self.lc.on_closed(Instant::now(), cause, &mut lock(budget));
        if cause == Cause::Dhan(DisconnectCode::INSTRUMENTS_EXCEED_LIMIT) {
            self.drop_over_limit(fan);
        }
        self.emit_events(fan);
    }

    /// Dhan's 804: the instruments of the latest subscribe burst are over the
    /// server's limit. They are refused (counted in each wanting handle's
    /// `rejected`) and reported; the rest are resubscribed on reconnect.
    fn drop_over_limit(&mut self, fan: &mut Fanout) {
        let dropped = std::mem::take(&mut self.last_added);
        self.lc.report(SessionError::InstrumentLimit {
            dropped: u32::try_from(dropped.len()).unwrap_or(u32::MAX),
        });
        // Report first, so the consumers that lose instruments still hear it.
        self.emit_events(fan);
        for id in &dropped {
            if let Some(r) = fan.routes.remove(id) {
                self.count -= 1;
                for (ci, _) in r.want {
                    if let Some(Some(c)) = fan.consumers.get(ci) {
                        c.shared.rejected.fetch_add(1, Ordering::Relaxed);
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
        while let Some(event) = self.lc.poll_event() {
            match event {
                SessionEvent::Reconnecting { attempt, delay } => log::info!(
                    "market feed connection {}: reconnect attempt {attempt} in {delay:?}",
                    self.index
                ),
                SessionEvent::Error { error } => {
                    log::error!("market feed connection {}: {error}", self.index)
                }
                _ => log::debug!("market feed connection {}: {event:?}", self.index),
            }
            fan.connection_event(
                self.index,
                ConnectionEvent {
                    connection: self.index as u8,
                    event,
                },
            );
        }
    }

    /// Publishes this shard's state for `health()`.
    pub fn sync_health(&self, h: &ShardHealth) {
        let since = self
            .lc
            .live_since()
            .map_or(0, |t| crate::time::ns_of(t).max(1));
        h.live_since_ns.store(since, Ordering::Relaxed);
        let last = self
            .lc
            .last_frame()
            .map_or(0, |t| crate::time::ns_of(t).max(1));
        h.last_frame_ns.store(last, Ordering::Relaxed);
        h.reconnects.store(self.lc.reconnects(), Ordering::Relaxed);
        h.carrying.store(self.count > 0, Ordering::Relaxed);
        let halted = match self.lc.halted() {
            Some(Cause::Dhan(c)) => u32::from(c.0),
            Some(Cause::Http(s)) => 100_000 + u32::from(s),
            _ => 0,
        };
        h.halted.store(halted, Ordering::Relaxed);
    }

    /// Sends a close frame and releases the budget slot (the engine is stopping).
    pub fn close(&mut self, registry: &Registry, budget: &Mutex<Budget>) {
        if let Some(c) = self.conn.as_mut()
            && c.phase == Phase::Live
        {
            c.ws.send_close(1000, "client stopping");
        }
        self.teardown(registry);
        self.lc.stop(Instant::now(), &mut lock(budget));
    }
}
