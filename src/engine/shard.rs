//! One market-feed connection ("shard", up to five of 5,000 instruments each):
//! connect, TLS, upgrade, frames, packets, subscriptions, reconnect delay.

use super::fanout::Fanout;
use crate::config::{BaseUrl, ClientConfig};
use crate::feed::event::ConnectionEvent;
use crate::proto::disconnect::DisconnectCode;
use crate::proto::market::{MarketPacket, Step, packets};
use crate::proto::request::{FeedMode, MAX_INSTRUMENTS_PER_MESSAGE, for_each_batch};
use crate::proto::segment::{ExchangeSegment, InstrumentId};
use crate::transport::conn::{ReadStatus, Transport};
use crate::ws::client::{WsClient, WsEvent};
use crate::ws::handshake;
use mio::{Interest, Registry, Token};
use std::io;
use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    deadline: Instant,
}

/// Why a connection ended.
#[derive(Debug)]
enum Drop_ {
    Io(io::Error),
    Protocol(String),
    Server(Option<DisconnectCode>),
}

pub(crate) struct Shard {
    pub index: usize,
    token: Token,
    conn: Option<Conn>,
    /// Instruments assigned to this shard.
    pub count: usize,
    /// Instruments whose subscription must be (re)sent.
    dirty: Vec<InstrumentId>,
    reconnect_at: Option<Instant>,
    attempt: u32,
    /// Stopped for good (a credential failure) until the user acts.
    pub halted: bool,
    scratch: Vec<u8>,
    slot: MarketPacket,
    pub live: bool,
}

impl Shard {
    pub fn new(index: usize) -> Self {
        Self {
            index,
            token: Token(index + 1),
            conn: None,
            count: 0,
            dirty: Vec::new(),
            reconnect_at: Some(Instant::now()),
            attempt: 0,
            halted: false,
            scratch: Vec::with_capacity(8192),
            slot: MarketPacket::Oi(crate::proto::market::OpenInterest {
                id: InstrumentId::new(ExchangeSegment::IdxI, 0),
                oi: 0,
            }),
            live: false,
        }
    }

    pub fn mark_dirty(&mut self, id: InstrumentId) {
        self.dirty.push(id);
    }

    /// The next instant this shard needs attention without I/O.
    pub fn deadline(&self) -> Option<Instant> {
        match &self.conn {
            Some(c) if c.phase != Phase::Live => Some(c.deadline),
            Some(_) => None,
            None if self.halted || self.count == 0 => None,
            None => self.reconnect_at,
        }
    }

    /// Timers: start a due reconnect; time out a slow handshake.
    pub fn on_timer(
        &mut self,
        now: Instant,
        cfg: &ClientConfig,
        env: &Env,
        registry: &Registry,
        fan: &mut Fanout,
    ) {
        if let Some(c) = &self.conn {
            if c.phase != Phase::Live && now >= c.deadline {
                self.drop_conn(
                    registry,
                    fan,
                    cfg,
                    Drop_::Protocol("connect timeout".into()),
                );
            }
            return;
        }
        if self.halted || self.count == 0 {
            return;
        }
        if self.reconnect_at.is_some_and(|t| now >= t) {
            self.reconnect_at = None;
            if let Err(e) = self.connect(now, cfg, env, registry) {
                log::warn!("market feed connection {}: connect failed: {e}", self.index);
                self.schedule_reconnect(now, cfg);
            }
        }
    }

    fn schedule_reconnect(&mut self, now: Instant, cfg: &ClientConfig) {
        let exp = cfg
            .reconnect_delay
            .saturating_mul(1 << self.attempt.min(16));
        let delay = exp.min(cfg.reconnect_cap);
        self.attempt = self.attempt.saturating_add(1);
        self.reconnect_at = Some(now + delay);
    }

    fn connect(
        &mut self,
        now: Instant,
        cfg: &ClientConfig,
        env: &Env,
        registry: &Registry,
    ) -> io::Result<()> {
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
            deadline: now + cfg.connect_timeout,
        });
        Ok(())
    }

    /// Handles readiness of this shard's socket.
    pub fn on_ready(
        &mut self,
        cfg: &ClientConfig,
        env: &Env,
        registry: &Registry,
        fan: &mut Fanout,
    ) {
        if let Err(why) = self.drive(env, fan) {
            self.drop_conn(registry, fan, cfg, why);
            return;
        }
        if let Err(e) = self.flush_out(registry) {
            self.drop_conn(registry, fan, cfg, Drop_::Io(e));
        }
    }

    fn drive(&mut self, env: &Env, fan: &mut Fanout) -> Result<(), Drop_> {
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        if c.phase == Phase::Connecting {
            let sock = c.transport.socket();
            if let Some(e) = sock.take_error().map_err(Drop_::Io)? {
                return Err(Drop_::Io(e));
            }
            match sock.peer_addr() {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(()),
                Err(e) => return Err(Drop_::Io(e)),
            }
            // Queued with the frames, so a partial write is finished by `flush_out`.
            let req = handshake::request(&env.base.authority(), &env.target, &c.key, "dhan-feed");
            c.ws.queue_raw(&req);
            c.phase = Phase::Upgrading;
        }
        loop {
            let Some(c) = self.conn.as_mut() else {
                return Ok(());
            };
            if c.rend == c.rbuf.len() && c.rstart > 0 {
                c.rbuf.copy_within(c.rstart..c.rend, 0);
                c.rend -= c.rstart;
                c.rstart = 0;
            }
            let status = c
                .transport
                .read_into(&mut c.rbuf, &mut c.rend)
                .map_err(Drop_::Io)?;
            let recv_ns = crate::time::now_ns();
            self.process(recv_ns, fan)?;
            match status {
                ReadStatus::Data(_) => continue,
                ReadStatus::WouldBlock => return Ok(()),
                ReadStatus::Eof => return Err(Drop_::Protocol("connection closed by peer".into())),
            }
        }
    }

    /// Consumes complete frames (or the upgrade response) from the read buffer.
    fn process(&mut self, recv_ns: u64, fan: &mut Fanout) -> Result<(), Drop_> {
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        if c.phase == Phase::Upgrading {
            match handshake::parse_response(&c.rbuf[c.rstart..c.rend], &c.key) {
                Ok(None) => {
                    if c.rend == c.rbuf.len() {
                        return Err(Drop_::Protocol("upgrade response too large".into()));
                    }
                    return Ok(());
                }
                Ok(Some(n)) => {
                    c.rstart += n;
                    c.phase = Phase::Live;
                    self.on_live(fan);
                }
                Err(e) => return Err(Drop_::Protocol(e.to_string())),
            }
        }
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        let mut server_code = None;
        let mut closed = false;
        loop {
            let ev = c.ws.poll_event(&c.rbuf[c.rstart..c.rend]);
            let (ev, n) = match ev {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => return Err(Drop_::Protocol(e.to_string())),
            };
            match ev {
                WsEvent::Binary(msg) => {
                    let mut it = packets(msg);
                    loop {
                        match it.advance(&mut self.slot) {
                            Step::Packet => {
                                if let MarketPacket::Disconnect(d) = self.slot {
                                    server_code = Some(d.reason);
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
                WsEvent::Close { .. } => closed = true,
            }
            c.rstart += n;
        }
        if c.rstart == c.rend {
            c.rstart = 0;
            c.rend = 0;
        }
        if closed || server_code.is_some() {
            return Err(Drop_::Server(server_code));
        }
        Ok(())
    }

    fn on_live(&mut self, fan: &mut Fanout) {
        self.live = true;
        self.attempt = 0;
        log::info!("market feed connection {} live", self.index);
        // Everything this shard carries is (re)sent.
        self.dirty.clear();
        for (id, r) in fan.routes.iter_mut().filter(|(_, r)| r.shard == self.index) {
            r.wire = None;
            self.dirty.push(*id);
        }
        fan.connection_event(
            self.index,
            ConnectionEvent::Connected {
                shard: self.index as u8,
            },
        );
    }

    /// Sends pending subscription changes (live connections only), in messages of
    /// at most 100 instruments per mode.
    pub fn send_subscriptions(&mut self, fan: &mut Fanout) {
        let Some(c) = self.conn.as_mut().filter(|c| c.phase == Phase::Live) else {
            return;
        };
        if self.dirty.is_empty() {
            return;
        }
        let mut lists: [[Vec<InstrumentId>; 3]; 2] = Default::default();
        self.dirty.sort_unstable();
        self.dirty.dedup();
        for id in self.dirty.drain(..) {
            let (wire, want) = match fan.routes.get(&id) {
                Some(r) if r.shard == self.index => (r.wire, r.richest()),
                // Gone from this shard: the server may still stream it.
                _ => continue,
            };
            if wire == want {
                continue;
            }
            if let Some(w) = wire
                && want.is_none_or(|n| n < w)
            {
                lists[1][mode_index(w)].push(id);
            }
            if let Some(n) = want {
                lists[0][mode_index(n)].push(id);
            }
            if let Some(r) = fan.routes.get_mut(&id) {
                r.wire = want;
            }
        }
        // Unsubscribes first: a downgrade (full -> ticker) is "unsubscribe full,
        // subscribe ticker", and the reverse order would lose the instrument.
        for (sub, per_mode) in [(false, &lists[1]), (true, &lists[0])] {
            for (mi, ids) in per_mode.iter().enumerate() {
                if ids.is_empty() {
                    continue;
                }
                let mode = FeedMode::ALL[mi];
                let code = if sub {
                    mode.subscribe_code()
                } else {
                    mode.unsubscribe_code()
                };
                send_batches(&mut c.ws, &mut self.scratch, code, ids);
            }
        }
    }

    /// An unsubscribe of instruments that left this shard entirely.
    pub fn send_unsubscribe(&mut self, mode: FeedMode, ids: &[InstrumentId]) {
        let Some(c) = self.conn.as_mut().filter(|c| c.phase == Phase::Live) else {
            return;
        };
        send_batches(&mut c.ws, &mut self.scratch, mode.unsubscribe_code(), ids);
    }

    /// Writes queued frames; keeps write interest only while output is pending.
    pub fn flush_out(&mut self, registry: &Registry) -> io::Result<()> {
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        if c.phase != Phase::Connecting {
            while c.ws.wants_write() {
                let n = c.transport.write_plain(c.ws.output())?;
                if n == 0 {
                    break;
                }
                c.ws.consume_output(n);
            }
            c.transport.flush()?;
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

    fn drop_conn(&mut self, registry: &Registry, fan: &mut Fanout, cfg: &ClientConfig, why: Drop_) {
        let Some(mut c) = self.conn.take() else {
            return;
        };
        let _ = registry.deregister(c.transport.socket());
        let code = match &why {
            Drop_::Server(code) => *code,
            _ => None,
        };
        match &why {
            Drop_::Io(e) => log::warn!("market feed connection {} dropped: {e}", self.index),
            Drop_::Protocol(e) => log::warn!("market feed connection {} dropped: {e}", self.index),
            Drop_::Server(Some(c)) => log::warn!(
                "market feed connection {}: server disconnect {c}",
                self.index
            ),
            Drop_::Server(None) => {
                log::warn!("market feed connection {}: server closed", self.index)
            }
        }
        let was_live = self.live;
        self.live = false;
        if was_live || code.is_some() {
            fan.connection_event(
                self.index,
                ConnectionEvent::Disconnected {
                    shard: self.index as u8,
                    code,
                },
            );
        }
        if code.is_some_and(|c| c.is_credential_failure()) {
            log::error!(
                "market feed connection {}: {} — not reconnecting until credentials change",
                self.index,
                code.map(|c| c.to_string()).unwrap_or_default()
            );
            self.halted = true;
            return;
        }
        let now = Instant::now();
        self.schedule_reconnect(now, cfg);
        if code.is_some_and(|c| c.needs_cool_off()) {
            self.reconnect_at = Some(now + Duration::from_secs(60));
        }
    }

    /// Sends a close frame (the engine is stopping).
    pub fn close(&mut self, registry: &Registry) {
        if let Some(c) = self.conn.as_mut()
            && c.phase == Phase::Live
        {
            c.ws.send_close(1000, "client stopping");
        }
        let _ = self.flush_out(registry);
        if let Some(mut c) = self.conn.take() {
            let _ = registry.deregister(c.transport.socket());
        }
        self.live = false;
    }
}

/// Queues `ids` as request `code` in messages of at most 100 instruments.
fn send_batches(ws: &mut WsClient, scratch: &mut Vec<u8>, code: u8, ids: &[InstrumentId]) {
    let sent = for_each_batch::<()>(code, ids, MAX_INSTRUMENTS_PER_MESSAGE, scratch, |m| {
        ws.send_text(m);
        Ok(())
    });
    if let Err(e) = sent {
        // Only an instrument with an unnamed segment can fail to encode.
        log::warn!("request {code} not sent: {e}");
    }
}

fn mode_index(m: FeedMode) -> usize {
    match m {
        FeedMode::Ticker => 0,
        FeedMode::Quote => 1,
        FeedMode::Full => 2,
    }
}

/// What every shard shares: where to connect and how.
pub(crate) struct Env {
    pub base: BaseUrl,
    pub target: String,
    pub tls: Option<Arc<rustls::ClientConfig>>,
}
