//! One WebSocket connection of any feed kind: socket, TLS, upgrade, frames, output,
//! driven by its [`Lifecycle`]. What the messages mean is the [`Proto`] of the
//! owner (market shard, depth or order connection).

use super::env::Env;
use crate::config::ClientConfig;
use crate::proto::disconnect::DisconnectCode;
use crate::proto::endpoint::FeedKind;
use crate::session::Budget;
use crate::session::lifecycle::{
    Action, Cause, Lifecycle, LifecycleConfig, Phase as LcPhase, TlsFailure,
};
use crate::transport::conn::{ReadStatus, Transport};
use crate::transport::copy::move_to_front;
use crate::ws::client::{WsClient, WsEvent};
use crate::ws::handshake::{self, HandshakeError};
use mio::{Interest, Registry, Token};
use std::io;
use std::net::ToSocketAddrs;
use std::sync::Mutex;
use std::time::Instant;

/// Reads from one socket before the engine turns to other work (a server faster
/// than us must not starve commands, timers or other connections).
const READS_PER_TURN: usize = 8;

/// What a connection's messages mean: implemented per feed kind.
pub(crate) trait Proto {
    /// Upgraded: queue the subscriptions (or the login) on `ws`; returns how many
    /// instruments (or logins) were sent, for `Reconnected { resubscribed }`.
    fn on_upgraded(&mut self, ws: &mut WsClient) -> u32;
    /// A binary message read at `recv_ns`; `Some(cause)` ends the connection
    /// after the rest of the read buffer is processed. Ignored by default.
    ///
    /// Binary and text get a method each, so that the message is two registers:
    /// an enum of the two would be passed through memory, and its 16-byte reload
    /// right after the caller's 8-byte stores cannot be store-forwarded (`perf`
    /// put a third of the I/O thread's samples on it; `BENCHMARKS.md`).
    #[inline]
    fn on_binary(&mut self, _msg: &[u8], _recv_ns: u64) -> Option<Cause> {
        None
    }
    /// A text message read at `recv_ns`; as [`on_binary`](Self::on_binary).
    #[inline]
    fn on_text(&mut self, _msg: &[u8], _recv_ns: u64) -> Option<Cause> {
        None
    }
    /// Bytes were read (called before their messages).
    #[inline]
    fn on_read(&mut self) {}
    /// What a close frame with `code` means for this feed, when it means more
    /// than "the server closed" (the order feed's refused login).
    fn close_cause(&self, _code: Option<u16>) -> Option<Cause> {
        None
    }
}

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

/// Locks the budget; a poisoned lock (a panic elsewhere) still holds valid counts.
pub(crate) fn lock(b: &Mutex<Budget>) -> std::sync::MutexGuard<'_, Budget> {
    b.lock().unwrap_or_else(|p| p.into_inner())
}

/// A Dhan code (800-899) written as a whole number in a close reason, e.g.
/// `"disconnect 807"`.
fn dhan_code_in(reason: &[u8]) -> Option<u16> {
    reason
        .split(|b| !b.is_ascii_digit())
        .filter(|d| d.len() == 3)
        .filter_map(|d| std::str::from_utf8(d).ok()?.parse::<u16>().ok())
        .find(|c| (800..900).contains(c))
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
    pub lc: Lifecycle,
}

impl Link {
    pub fn new(
        kind: FeedKind,
        index: usize,
        token: Token,
        cfg: &LifecycleConfig,
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
            lc: Lifecycle::new(kind, *cfg, seed),
        }
    }

    pub fn is_live(&self) -> bool {
        self.lc.phase() == LcPhase::Live
    }

    /// The WebSocket of a live connection (to queue requests).
    pub fn live_ws(&mut self) -> Option<&mut WsClient> {
        self.conn
            .as_mut()
            .filter(|c| c.phase == Phase::Live)
            .map(|c| &mut c.ws)
    }

    /// Whether input waits in our buffers (set aside by a write): the engine must
    /// read this connection again without waiting for a readiness event.
    pub fn has_buffered_input(&self) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| c.transport.has_buffered_input())
    }

    /// Timers: starts a due connection (within the budget), times out a slow
    /// handshake or a stale feed. `wanted`: whether there is anything to carry.
    pub fn on_timer(
        &mut self,
        now: Instant,
        wanted: bool,
        cfg: &ClientConfig,
        env: &Env,
        registry: &Registry,
        budget: &Mutex<Budget>,
    ) {
        self.lc.set_wanted(now, wanted);
        if self.lc.poll_timeout().is_none_or(|t| now < t) {
            return;
        }
        let mut b = lock(budget);
        while let Some(action) = self.lc.handle_timeout(now, &mut b) {
            match action {
                Action::Connect => {
                    if let Err(e) = self.connect(cfg, env, registry) {
                        log::warn!(
                            "{} connection {}: connect failed: {e}",
                            self.name,
                            self.index
                        );
                        self.lc.on_closed(now, io_cause(&e), &mut b);
                    }
                }
                Action::Close(cause) => {
                    log::warn!("{} connection {}: {cause}; closing", self.name, self.index);
                    self.teardown(registry);
                }
            }
        }
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
                    rustls::client::UnbufferedClientConnection::new(tls_cfg.clone(), name)
                        .map_err(io::Error::other)?,
                )
            }
            None => None,
        };
        log::info!(
            "{} connection {}: connecting to {}{}",
            self.name,
            self.index,
            env.base.authority(),
            crate::proto::endpoint::redacted_target(&env.target)
        );
        let rlen = cfg.limits.max_frame + 64 * 1024;
        let rbuf = match std::mem::take(&mut self.spare_rbuf) {
            b if b.len() == rlen => b,
            _ => crate::buffer::committed(rlen),
        };
        self.conn = Some(Conn {
            transport: Transport::new(sock, tls),
            ws: WsClient::new(cfg.limits),
            phase: Phase::Connecting,
            key: handshake::new_key(),
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
        match result {
            Ok(more) => Ready {
                more: more || self.has_buffered_input(),
                closed: None,
            },
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
            let req = handshake::request(&env.base.host_header(), &env.target, &c.key, "dhan-feed");
            c.ws.queue_raw(&req);
            c.phase = Phase::Upgrading;
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
            if c.phase == Phase::Upgrading && !c.transport.is_handshaking() {
                self.lc.on_tls_established();
            }
            // Nothing new (a busy-poll turn, mostly): no clock read, no parse.
            let n = match status {
                ReadStatus::Data(n) => n,
                ReadStatus::WouldBlock => return Ok(false),
                ReadStatus::Eof => return Err(Cause::Eof),
            };
            let recv_ns = crate::time::now_ns();
            if n > 0 {
                self.lc.on_frame(crate::time::instant_of(recv_ns));
                proto.on_read();
            }
            self.process(recv_ns, budget, proto)?;
        }
        // Still readable: yield so commands, timers and other connections get a turn.
        Ok(true)
    }

    /// Consumes complete frames (or the upgrade response) from the read buffer.
    fn process(
        &mut self,
        recv_ns: u64,
        budget: &Mutex<Budget>,
        proto: &mut impl Proto,
    ) -> Result<(), Cause> {
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        if c.phase == Phase::Upgrading {
            match handshake::parse_response(&c.rbuf[c.rstart..c.rend], &c.key) {
                Ok(None) => {
                    // No room for another read (a TLS read needs a whole record's).
                    if c.rbuf.len() - c.rend < c.transport.min_room() {
                        log::warn!(
                            "{} connection {}: upgrade response too large",
                            self.name,
                            self.index
                        );
                        return Err(Cause::Protocol);
                    }
                    return Ok(());
                }
                Ok(Some(n)) => {
                    c.rstart += n;
                    c.phase = Phase::Live;
                    let now = Instant::now();
                    self.lc.on_upgraded(now, &mut lock(budget));
                    let sent = proto.on_upgraded(&mut c.ws);
                    self.lc.on_live(now, sent);
                    log::info!("{} connection {} live ({sent} sent)", self.name, self.index);
                }
                Err(HandshakeError::Status(s)) => return Err(Cause::Http(s)),
                Err(e) => {
                    log::warn!("{} connection {}: {e}", self.name, self.index);
                    return Err(Cause::Protocol);
                }
            }
        }
        let mut end = None;
        loop {
            let (ev, n) = match c.ws.poll_event(&c.rbuf[c.rstart..c.rend]) {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => {
                    log::warn!("{} connection {}: {e}", self.name, self.index);
                    return Err(Cause::Protocol);
                }
            };
            let ended = match ev {
                WsEvent::Binary(m) => proto.on_binary(m, recv_ns),
                WsEvent::Text(m) => proto.on_text(m, recv_ns),
                WsEvent::Ping | WsEvent::Pong | WsEvent::Partial => None,
                // Dhan's codes may also arrive in the close frame (the order feed
                // has no binary disconnect packet): as the code, or in the reason.
                WsEvent::Close { code, reason } => Some(
                    match code
                        .filter(|c| (800..900).contains(c))
                        .or_else(|| dhan_code_in(reason))
                    {
                        Some(c) => Cause::Dhan(DisconnectCode(c)),
                        None => end
                            .or_else(|| proto.close_cause(code))
                            .unwrap_or(Cause::ServerClose(code)),
                    },
                ),
            };
            if ended.is_some() {
                end = ended;
            }
            c.rstart += n;
        }
        if c.rstart == c.rend {
            c.rstart = 0;
            c.rend = 0;
        }
        end.map_or(Ok(()), Err)
    }

    /// Writes queued frames; keeps write interest only while output is pending.
    pub fn flush_out(&mut self, registry: &Registry) -> io::Result<()> {
        // Out of the poll only while the engine reads it every turn (`is_live`).
        let spin = self.busy && self.is_live();
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
        // A live connection of a busy-polling engine leaves the poll: the engine
        // reads it and flushes it every turn anyway, and a socket in an epoll set
        // costs an epoll callback on every packet in the kernel's receive path,
        // which on a loopback (or where the NIC's interrupt lands on the I/O
        // thread's core) runs before the I/O thread can read. perf on the bench's
        // sender: its `sock_def_readable` share fell from 1.2 % to 0.4 %.
        let want = if spin && c.phase == Phase::Live {
            None
        } else if c.phase == Phase::Connecting || c.ws.wants_write() || c.transport.wants_write() {
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
    }

    fn drop_conn(&mut self, registry: &Registry, budget: &Mutex<Budget>, cause: Cause) {
        if self.conn.is_none() {
            return;
        }
        self.teardown(registry);
        log::warn!("{} connection {} dropped: {cause}", self.name, self.index);
        self.lc.on_closed(Instant::now(), cause, &mut lock(budget));
    }

    /// Closes the connection and reconnects at once (new instruments on a depth
    /// connection, which Dhan does not reliably unsubscribe).
    pub fn restart(&mut self, registry: &Registry, budget: &Mutex<Budget>) {
        self.say_goodbye("changing instruments");
        self.teardown(registry);
        self.lc.restart(Instant::now(), &mut lock(budget));
    }

    /// On a live connection, queues Dhan's disconnect request
    /// (`{"RequestCode":12}`, on the binary feeds; the order feed has none) and a
    /// close frame, as the SDKs do before closing: the server then frees the
    /// connection's slot at once, which matters with 5 connections per user.
    fn say_goodbye(&mut self, reason: &str) {
        let kind = self.lc.kind();
        if let Some(c) = self.conn.as_mut()
            && c.phase == Phase::Live
        {
            // Nothing may follow a close frame (ours, e.g. answering the server's).
            if kind != FeedKind::OrderUpdate && !c.ws.close_sent() {
                c.ws.send_text(crate::proto::request::DISCONNECT_REQUEST);
            }
            c.ws.send_close(1000, reason);
        }
    }

    /// Sends Dhan's disconnect request and a close frame, and releases the budget
    /// slot (stopping).
    pub fn close(&mut self, registry: &Registry, budget: &Mutex<Budget>) {
        self.say_goodbye("client stopping");
        self.teardown(registry);
        self.lc.stop(Instant::now(), &mut lock(budget));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_dhan_code_is_found_in_a_close_reason_and_nothing_else_is() {
        assert_eq!(super::dhan_code_in(b"disconnect 807"), Some(807));
        assert_eq!(super::dhan_code_in(b"805: too many connections"), Some(805));
        assert_eq!(super::dhan_code_in(b"code 8070"), None);
        assert_eq!(super::dhan_code_in(b"going away 1001"), None);
        assert_eq!(super::dhan_code_in(b""), None);
    }

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
