//! One WebSocket connection of any feed kind, at the edge: the socket, TLS, the
//! read buffer, the poll registration and the clock. Its protocol (upgrade,
//! frames, Dhan's close codes, the goodbye, reconnect timing) is its [`Driver`],
//! sans I/O; what the messages mean is the [`Proto`] of the owner (market shard,
//! depth or order connection).

use super::dns::Dns;
use super::env::Env;
use crate::proto::endpoint::FeedKind;
use crate::session::driver::{Driver, Stage, lock};
use crate::session::lifecycle::{
    Action, Cause, DnsFailure, Lifecycle, LifecycleConfig, Phase as LcPhase, SessionEvent,
    TlsFailure,
};
use crate::session::{Budget, Proto};
use crate::transport::conn::{ReadStatus, Transport};
use crate::transport::copy::move_to_front;
use crate::ws::client::{WsClient, WsLimits};
use crate::ws::handshake;
use mio::{Interest, Registry, Token};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

/// Reads from one socket before the engine turns to other work (a server faster
/// than us must not starve commands, timers or other connections).
const READS_PER_TURN: usize = 8;

struct Conn {
    transport: Transport,
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    /// The socket's interest in the poll; `None` once it has left the poll (a
    /// live connection of a busy-polling engine, read and written every turn).
    interest: Option<Interest>,
}

/// What a readiness event led to.
pub(crate) struct Ready {
    /// Data may be left in the socket: come back next turn.
    pub more: bool,
    /// The connection ended for this cause (the lifecycle has decided what next).
    pub closed: Option<Cause>,
}

/// One read, then, if it found nothing and the turn's spin budget is not spent,
/// up to that many more (see `engine::spin_reads`). The budget is spent by the
/// first empty read of a turn, however many messages the turn goes on to read,
/// so a turn takes at most `READS_PER_TURN` + budget reads.
#[inline(always)]
fn read_spinning(
    mut read: impl FnMut() -> io::Result<ReadStatus>,
    spin: &mut u32,
) -> io::Result<ReadStatus> {
    let status = read()?;
    if status != ReadStatus::WouldBlock || *spin == 0 {
        return Ok(status);
    }
    spin_read(&mut read, std::mem::take(spin))
}

/// Retries an empty read up to `n` times, straight back to the socket as a
/// spinning reader would: the busy-polling engine's turn around its one live
/// connection without the engine loop's bookkeeping. Out of line, so that the
/// read path a message takes is compiled as before.
#[inline(never)]
fn spin_read(read: &mut impl FnMut() -> io::Result<ReadStatus>, n: u32) -> io::Result<ReadStatus> {
    for _ in 0..n {
        let status = read()?;
        if status != ReadStatus::WouldBlock {
            return Ok(status);
        }
    }
    Ok(ReadStatus::WouldBlock)
}

/// What a socket or protocol error means for the lifecycle.
fn io_cause(e: &io::Error) -> Cause {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(t) => {
            // The summary travels in the event; the full error (which names no
            // credential: TLS sees no URL) goes to the log.
            log::warn!("TLS: {t}");
            Cause::Tls(tls_failure(t))
        }
        None => Cause::Io(e.kind()),
    }
}

/// The user-facing summary of a TLS error.
fn tls_failure(e: &rustls::Error) -> TlsFailure {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => TlsFailure::UntrustedCertificate,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TlsFailure::CertificateExpired,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure::NameMismatch,
            _ => TlsFailure::BadCertificate,
        },
        rustls::Error::AlertReceived(_) => TlsFailure::AlertReceived,
        _ => TlsFailure::Other,
    }
}

/// One attempt at opening a connection: the lookup it waits for, the
/// addresses found, and the turn of each.
#[derive(Default)]
struct Attempt {
    /// The lookup this connection waits for (its id; see `engine::dns`).
    lookup: Option<u64>,
    /// The addresses, and the next one to try.
    addrs: Vec<SocketAddr>,
    next_addr: usize,
    /// When the address being connected to yields to the next one (unset for
    /// the last: the lifecycle's connect timeout bounds it).
    addr_deadline: Option<Instant>,
}

pub(crate) struct Link {
    /// For log lines: "market feed connection 2", "order updates connection 0"
    /// (the feed's [`FeedKind::label`]).
    pub name: &'static str,
    pub index: usize,
    token: Token,
    conn: Option<Conn>,
    /// Busy-poll engine: once live, the socket leaves the poll (see `flush_out`).
    busy: bool,
    /// The last connection's read buffer, kept for the next one: committed
    /// once (see `crate::buffer`), not on every reconnect.
    spare_rbuf: Vec<u8>,
    /// Reads to retry after an empty one before the turn ends: non-zero only
    /// while this is a busy-polling engine's one live connection (set by the
    /// engine, see `engine::spin_reads`).
    pub spin_reads: u32,
    /// The protocol: upgrade, frames, codes, goodbye, and the lifecycle (`lc`).
    pub driver: Driver,
    /// The current attempt's lookup and addresses (boxed: only opening a
    /// connection uses them, and the fields a message's path reads keep their
    /// places).
    attempt: Box<Attempt>,
    /// Read-buffer size: the largest frame plus room for the next reads.
    rlen: usize,
}

impl Link {
    pub fn new(
        kind: FeedKind,
        index: usize,
        token: Token,
        cfg: &LifecycleConfig,
        limits: WsLimits,
        busy: bool,
    ) -> Self {
        let seed = cfg
            .seed
            .unwrap_or_else(crate::random::os_seed)
            .wrapping_add(token.0 as u64);
        Self {
            name: kind.label(),
            index,
            token,
            conn: None,
            busy,
            spare_rbuf: Vec::new(),
            spin_reads: 0,
            driver: Driver::new(Lifecycle::new(kind, *cfg, seed), limits),
            attempt: Box::default(),
            rlen: limits.max_frame + 64 * 1024,
        }
    }

    /// Turns the raw-frame trace on with the credentials of `cfg` to mask, if
    /// `cfg` asks for it (again after a new token: it must be masked too).
    pub fn trace_for(&mut self, cfg: &crate::config::ClientConfig) {
        if !cfg.trace_frames {
            return;
        }
        let secrets = cfg.credentials().map(|s| s.expose().as_bytes().to_vec());
        self.driver
            .set_trace(Some(crate::session::trace::FrameTrace::new(
                self.name, secrets,
            )));
    }

    /// Logs a connection event and records it when recording.
    pub fn on_event(&mut self, event: &SessionEvent) {
        log_event(self.name, self.index, event);
        self.driver.tap_event(event);
    }

    /// Records this connection's messages, requests and events into `tap`.
    pub fn set_tap(&mut self, tap: Option<&crate::tap::Tap>) {
        let Some(tap) = tap else { return };
        let kind = self.driver.lc.kind();
        let feed = FeedKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u8;
        self.driver.set_tap(Some(
            tap.port(feed, self.index.min(u16::MAX as usize) as u16),
        ));
    }

    /// Whether this connection waits for the answer to lookup `id`.
    pub fn waits_for(&self, id: u64) -> bool {
        self.attempt.lookup == Some(id)
    }

    /// The next instant this connection needs attention without I/O.
    pub fn deadline(&self) -> Option<Instant> {
        let lc = self.driver.poll_timeout();
        match self.attempt.addr_deadline {
            Some(t) if self.driver.stage() == Stage::Connecting => Some(lc.map_or(t, |l| l.min(t))),
            _ => lc,
        }
    }

    pub fn is_live(&self) -> bool {
        self.driver.lc.phase() == LcPhase::Live
    }

    /// The WebSocket of a live connection (to queue requests).
    pub fn live_ws(&mut self) -> Option<&mut WsClient> {
        self.driver.live_ws()
    }

    /// Whether input waits in our buffers (set aside by a write): the engine must
    /// read this connection again without waiting for a readiness event.
    pub fn has_buffered_input(&self) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| c.transport.has_buffered_input())
    }

    /// Timers: starts a due connection (within the budget), times out a slow
    /// lookup, connect or handshake, or a stale feed. `wanted`: whether there is
    /// anything to carry.
    pub fn on_timer(
        &mut self,
        now: Instant,
        wanted: bool,
        env: &Env,
        registry: &Registry,
        budget: &Mutex<Budget>,
        dns: &mut Dns,
    ) {
        self.driver.lc.set_wanted(now, wanted);
        if self.driver.output_overflowed() && self.conn.is_some() {
            self.drop_conn(registry, budget, Cause::OutputFull);
        }
        if self.driver.stage() == Stage::Connecting
            && self.attempt.addr_deadline.is_some_and(|t| now >= t)
        {
            log::warn!(
                "{} connection {}: no connection within its share of the connect timeout; trying the next address",
                self.name,
                self.index
            );
            self.teardown(registry);
            self.connect_next(now, env, registry, &mut lock(budget));
        }
        if self.driver.poll_timeout().is_none_or(|t| now < t) {
            return;
        }
        let mut b = lock(budget);
        while let Some(action) = self.driver.handle_timeout(now, &mut b) {
            match action {
                Action::Connect => self.begin(now, env, registry, dns, &mut b),
                Action::Ping => self.driver.ping(),
                Action::Close(cause) => {
                    log::warn!("{} connection {}: {cause}; closing", self.name, self.index);
                    self.teardown(registry);
                }
            }
        }
    }

    /// A new attempt: an address host connects at once; a name is looked up on a
    /// resolver thread (its answer comes to [`on_resolved`](Self::on_resolved)).
    fn begin(
        &mut self,
        now: Instant,
        env: &Env,
        registry: &Registry,
        dns: &mut Dns,
        budget: &mut Budget,
    ) {
        self.attempt.addrs.clear();
        self.attempt.next_addr = 0;
        self.attempt.lookup = None;
        if let Ok(ip) = env.base.host.parse::<IpAddr>() {
            self.attempt.addrs.push(SocketAddr::new(ip, env.base.port));
            self.driver.lc.on_resolved(now);
            self.connect_next(now, env, registry, budget);
            return;
        }
        match dns.lookup(&env.base.host, env.base.port) {
            Ok(id) => self.attempt.lookup = Some(id),
            Err(e) => {
                log::warn!(
                    "{} connection {}: no resolver thread for {}: {e}",
                    self.name,
                    self.index,
                    env.base.host
                );
                let cause = Cause::Dns(DnsFailure::Failed(e.kind()));
                self.driver.on_closed(now, cause, budget);
            }
        }
    }

    /// The answer to lookup `id`; `false` if this connection did not ask for it
    /// (or no longer waits for it: an answer after the resolve timeout is dropped).
    pub fn on_resolved(
        &mut self,
        id: u64,
        result: io::Result<Vec<SocketAddr>>,
        env: &Env,
        registry: &Registry,
        budget: &Mutex<Budget>,
    ) -> bool {
        if self.attempt.lookup != Some(id) {
            return false;
        }
        self.attempt.lookup = None;
        if !self.driver.lc.is_resolving() {
            return true;
        }
        let now = Instant::now();
        let mut b = lock(budget);
        match result {
            Ok(addrs) if !addrs.is_empty() => {
                self.attempt.addrs = addrs;
                self.attempt.next_addr = 0;
                self.driver.lc.on_resolved(now);
                self.connect_next(now, env, registry, &mut b);
            }
            Ok(_) => {
                log::warn!(
                    "{} connection {}: {} has no address",
                    self.name,
                    self.index,
                    env.base.host
                );
                self.driver
                    .on_closed(now, Cause::Dns(DnsFailure::NoAddress), &mut b);
            }
            Err(e) => {
                log::warn!(
                    "{} connection {}: looking up {} failed: {e}",
                    self.name,
                    self.index,
                    env.base.host
                );
                let cause = Cause::Dns(DnsFailure::Failed(e.kind()));
                self.driver.on_closed(now, cause, &mut b);
            }
        }
        true
    }

    /// Opens a socket to the next address that accepts one; when none is left,
    /// the attempt has failed (with the last address's error): returns its cause.
    fn connect_next(
        &mut self,
        now: Instant,
        env: &Env,
        registry: &Registry,
        budget: &mut Budget,
    ) -> Option<Cause> {
        let mut cause = Cause::Dns(DnsFailure::NoAddress);
        while let Some(&addr) = self.attempt.addrs.get(self.attempt.next_addr) {
            self.attempt.next_addr += 1;
            match self.connect(addr, env, registry) {
                Ok(()) => {
                    self.attempt.addr_deadline = self.address_share(now);
                    return None;
                }
                Err(e) => {
                    log::warn!(
                        "{} connection {}: connect to {addr} failed: {e}",
                        self.name,
                        self.index
                    );
                    cause = io_cause(&e);
                }
            }
        }
        self.driver.on_closed(now, cause, budget);
        Some(cause)
    }

    /// When the address just tried yields to the next: the time left of the
    /// connect timeout, shared equally by it and the addresses after it (so an
    /// address that swallows packets cannot use up the whole timeout).
    fn address_share(&self, now: Instant) -> Option<Instant> {
        let after_this = self
            .attempt
            .addrs
            .len()
            .saturating_sub(self.attempt.next_addr);
        if after_this == 0 {
            return None;
        }
        let left = self.driver.poll_timeout()?.saturating_duration_since(now);
        Some(now + left / (after_this as u32 + 1))
    }

    fn connect(&mut self, addr: SocketAddr, env: &Env, registry: &Registry) -> io::Result<()> {
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
                    rustls::client::UnbufferedClientConnection::new(tls_cfg.clone(), name)
                        .map_err(io::Error::other)?,
                )
            }
            None => None,
        };
        log::info!(
            "{} connection {}: connecting to {}{} at {addr}",
            self.name,
            self.index,
            env.base.authority(),
            crate::proto::endpoint::redacted_target(&env.target)
        );
        let rlen = self.rlen;
        let rbuf = match std::mem::take(&mut self.spare_rbuf) {
            b if b.len() == rlen => b,
            _ => crate::buffer::committed(rlen),
        };
        self.driver.start(handshake::new_key());
        self.conn = Some(Conn {
            transport: Transport::new(sock, tls),
            rbuf,
            rstart: 0,
            rend: 0,
            interest: Some(Interest::READABLE | Interest::WRITABLE),
        });
        Ok(())
    }

    /// Handles readiness of the socket: reads (at most a few buffer-fulls), hands
    /// messages to `proto`, writes what is queued.
    pub fn on_ready(
        &mut self,
        env: &Env,
        registry: &Registry,
        budget: &Mutex<Budget>,
        proto: &mut impl Proto,
    ) -> Ready {
        let mut result = self.drive(env, budget, proto);
        if result.is_ok()
            && let Err(e) = self.flush_out(registry)
        {
            result = Err(io_cause(&e));
        }
        if result.is_ok() && self.driver.output_overflowed() {
            result = Err(Cause::OutputFull);
        }
        match result {
            Ok(more) => Ready {
                more: more || self.has_buffered_input(),
                closed: None,
            },
            Err(cause)
                if self.driver.stage() == Stage::Connecting
                    && self.attempt.next_addr < self.attempt.addrs.len() =>
            {
                log::warn!(
                    "{} connection {}: {cause}; trying the next address",
                    self.name,
                    self.index
                );
                self.teardown(registry);
                let closed = self.connect_next(Instant::now(), env, registry, &mut lock(budget));
                Ready {
                    more: false,
                    closed,
                }
            }
            Err(cause) => {
                self.drop_conn(registry, budget, cause);
                Ready {
                    more: false,
                    closed: Some(cause),
                }
            }
        }
    }

    fn drive(
        &mut self,
        env: &Env,
        budget: &Mutex<Budget>,
        proto: &mut impl Proto,
    ) -> Result<bool, Cause> {
        let Some(c) = self.conn.as_mut() else {
            return Ok(false);
        };
        if self.driver.stage() == Stage::Connecting {
            let sock = c.transport.socket();
            if let Some(e) = sock.take_error().map_err(|e| io_cause(&e))? {
                return Err(io_cause(&e));
            }
            match sock.peer_addr() {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(false),
                Err(e) => return Err(io_cause(&e)),
            }
            // The upgrade request is queued with the frames, so a partial write
            // is finished by `flush_out`.
            self.attempt.addr_deadline = None;
            self.driver.on_connected(
                Instant::now(),
                env.tls.is_some(),
                &env.base.host_header(),
                &env.target,
            );
        }
        let mut spin = self.spin_reads;
        for _ in 0..READS_PER_TURN {
            let Some(c) = self.conn.as_mut() else {
                return Ok(false);
            };
            if c.rstart > 0 && c.rbuf.len() - c.rend < c.transport.min_room() {
                move_to_front(&mut c.rbuf, c.rstart, c.rend);
                c.rend -= c.rstart;
                c.rstart = 0;
            }
            let status = read_spinning(
                || c.transport.read_into(&mut c.rbuf, &mut c.rend),
                &mut spin,
            )
            .map_err(|e| io_cause(&e))?;
            if !c.transport.is_handshaking() {
                self.driver.on_tls_established();
            }
            // Nothing new (a busy-poll turn, mostly): no clock read, no parse.
            let n = match status {
                ReadStatus::Data(n) => n,
                ReadStatus::WouldBlock => return Ok(false),
                ReadStatus::Eof => return Err(Cause::Eof),
            };
            let recv_ns = crate::time::now_ns();
            let now = crate::time::instant_of(recv_ns);
            if n > 0 {
                self.driver.on_bytes(now, proto);
            }
            let full = c.rbuf.len() - c.rend < c.transport.min_room();
            let used = self.driver.handle_input(
                &c.rbuf[c.rstart..c.rend],
                now,
                recv_ns,
                full,
                budget,
                proto,
            )?;
            c.rstart += used;
            if c.rstart == c.rend {
                c.rstart = 0;
                c.rend = 0;
            }
        }
        // Still readable: yield so commands, timers and other connections get a turn.
        Ok(true)
    }

    /// Writes queued frames; keeps write interest only while output is pending.
    pub fn flush_out(&mut self, registry: &Registry) -> io::Result<()> {
        // Out of the poll only while the engine reads it every turn (`is_live`).
        let spin = self.busy && self.is_live();
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        let d = &mut self.driver;
        let stage = d.stage();
        if stage != Stage::Connecting {
            loop {
                let mut progressed = false;
                while d.wants_write() {
                    let n = c.transport.write_plain(d.output())?;
                    if n == 0 {
                        break;
                    }
                    d.consume_output(n);
                    progressed = true;
                }
                c.transport.flush()?;
                // Flushing TLS records may have made room for more plaintext.
                if !progressed || !d.wants_write() {
                    break;
                }
            }
        }
        // A live connection of a busy-polling engine leaves the poll: the engine
        // reads it and flushes it every turn anyway, and a socket in an epoll set
        // costs an epoll callback on every packet in the kernel's receive path,
        // which on a loopback (or where the NIC's interrupt lands on the I/O
        // thread's core) runs before the I/O thread can read. perf on the bench's
        // sender: its `sock_def_readable` share fell from 1.2 % to 0.4 %.
        let want = if spin && stage == Stage::Live {
            None
        } else if stage == Stage::Connecting || d.wants_write() || c.transport.wants_write() {
            Some(Interest::READABLE | Interest::WRITABLE)
        } else {
            Some(Interest::READABLE)
        };
        if want != c.interest {
            let sock = c.transport.socket();
            match (c.interest, want) {
                (_, None) => registry.deregister(sock)?,
                (None, Some(w)) => registry.register(sock, self.token, w)?,
                (Some(_), Some(w)) => registry.reregister(sock, self.token, w)?,
            }
            c.interest = want;
        }
        Ok(())
    }

    /// Removes the socket (best effort: queued output, e.g. our answer to a close
    /// frame, is written first).
    fn teardown(&mut self, registry: &Registry) {
        let _ = self.flush_out(registry);
        if let Some(mut c) = self.conn.take() {
            if c.interest.is_some() {
                let _ = registry.deregister(c.transport.socket());
            }
            // Closing a socket with unread bytes makes the kernel send a reset,
            // which can discard what was just sent (the goodbye, the close frame)
            // before the server reads it: discard what is waiting first (bounded;
            // the socket is non-blocking).
            let sock = c.transport.socket();
            for _ in 0..64 {
                match io::Read::read(sock, &mut c.rbuf[..]) {
                    Ok(n) if n > 0 => {}
                    _ => break,
                }
            }
            self.spare_rbuf = c.rbuf;
        }
        self.attempt.lookup = None;
        self.attempt.addr_deadline = None;
        self.driver.detach();
    }

    fn drop_conn(&mut self, registry: &Registry, budget: &Mutex<Budget>, cause: Cause) {
        if self.conn.is_none() {
            return;
        }
        self.teardown(registry);
        log::warn!("{} connection {} dropped: {cause}", self.name, self.index);
        self.driver
            .on_closed(Instant::now(), cause, &mut lock(budget));
    }

    /// Closes the connection and reconnects at once (new instruments on a depth
    /// connection, which Dhan does not reliably unsubscribe).
    pub fn restart(&mut self, registry: &Registry, budget: &Mutex<Budget>) {
        self.driver.goodbye("changing instruments");
        self.teardown(registry);
        self.driver.lc.restart(Instant::now(), &mut lock(budget));
    }

    /// Sends Dhan's disconnect request and a close frame, and releases the budget
    /// slot (stopping).
    pub fn close(&mut self, registry: &Registry, budget: &Mutex<Budget>) {
        self.driver.goodbye("client stopping");
        self.teardown(registry);
        self.driver.lc.stop(Instant::now(), &mut lock(budget));
    }
}

/// The log target of the line logged for every connection event (the
/// [`crate::session::SessionEvent`]s the handles also receive), so that a program
/// that prints the events it receives (as `dhan-feed watch` does) can leave them
/// out of its log.
pub const EVENT_LOG_TARGET: &str = "dhan_feed::events";

/// One log line per lifecycle event, at a level that matches it.
pub(crate) fn log_event(name: &str, index: usize, event: &SessionEvent) {
    let t = EVENT_LOG_TARGET;
    match event {
        SessionEvent::Error { .. } => log::error!(target: t, "{name} connection {index}: {event}"),
        SessionEvent::Disconnected { .. } => {
            log::warn!(target: t, "{name} connection {index}: {event}")
        }
        _ => log::info!(target: t, "{name} connection {index}: {event}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{ReadStatus, read_spinning};
    use std::io;

    /// A socket whose reads find nothing until read number `data_at` (1-based;
    /// 0: never) and fail at read number `fail_at` (0: never); counts reads.
    fn socket(data_at: u32, fail_at: u32) -> impl FnMut() -> io::Result<ReadStatus> + 'static {
        let mut n = 0;
        move || {
            n += 1;
            if n == fail_at {
                Err(io::ErrorKind::ConnectionReset.into())
            } else if n == data_at {
                Ok(ReadStatus::Data(18))
            } else {
                Ok(ReadStatus::WouldBlock)
            }
        }
    }

    fn counted(
        mut read: impl FnMut() -> io::Result<ReadStatus>,
        reads: &mut u32,
    ) -> impl FnMut() -> io::Result<ReadStatus> {
        move || {
            *reads += 1;
            read()
        }
    }

    #[test]
    fn an_empty_read_spins_once_per_turn_and_data_ends_the_spin() {
        // Nothing arrives: the first empty read spends the whole budget, the
        // next one (same turn) reads once.
        let (mut reads, mut spin) = (0, 63);
        let mut sock = socket(0, 0);
        let got = read_spinning(counted(&mut sock, &mut reads), &mut spin).unwrap();
        assert_eq!((got, reads, spin), (ReadStatus::WouldBlock, 64, 0));
        let got = read_spinning(counted(&mut sock, &mut reads), &mut spin).unwrap();
        assert_eq!((got, reads), (ReadStatus::WouldBlock, 65));

        // Data on the 10th read ends the spin there; the budget is spent.
        let (mut reads, mut spin) = (0, 63);
        let got = read_spinning(counted(socket(10, 0), &mut reads), &mut spin).unwrap();
        assert_eq!((got, reads, spin), (ReadStatus::Data(18), 10, 0));

        // Data on the first read: no spin, the budget is kept for the turn.
        let (mut reads, mut spin) = (0, 63);
        let got = read_spinning(counted(socket(1, 0), &mut reads), &mut spin).unwrap();
        assert_eq!((got, reads, spin), (ReadStatus::Data(18), 1, 63));

        // No budget (several live connections, or blocking poll): one read.
        let (mut reads, mut spin) = (0, 0);
        let got = read_spinning(counted(socket(0, 0), &mut reads), &mut spin).unwrap();
        assert_eq!((got, reads), (ReadStatus::WouldBlock, 1));

        // An error during the spin ends it and is returned.
        let (mut reads, mut spin) = (0, 63);
        let err = read_spinning(counted(socket(0, 5), &mut reads), &mut spin).unwrap_err();
        assert_eq!((err.kind(), reads), (io::ErrorKind::ConnectionReset, 5));
    }
}
