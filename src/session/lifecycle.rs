//! The reconnect state machine of one connection, pure: the engine tells it what
//! happened (socket connected, handshake done, frame received, connection lost, with
//! the time), asks it what to do ([`Lifecycle::handle_timeout`]) and when to ask
//! again ([`Lifecycle::poll_timeout`]), and forwards its events to the user.
//!
//! ```text
//!  Idle --wanted--> Ready --budget granted--> Connecting --tcp--> TlsHandshake --tls-->
//!  WsHandshake --101--> Subscribing --requests sent--> Live
//!  any connected phase --lost--> Backoff (jittered) | CoolingOff (429, 805) | Stopped (806-810)
//!  Backoff/CoolingOff --deadline--> Ready;   Stopped --new credentials--> Ready
//! ```

use super::backoff::Backoff;
use super::budget::{Asker, Budget, Grant};
use crate::proto::disconnect::DisconnectCode;
use crate::proto::endpoint::FeedKind;
use crate::time::after;
use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

/// Timing of the lifecycle; every default documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LifecycleConfig {
    /// Bound of the first reconnect delay; attempt `n` waits up to `base * 2^n`
    /// (full jitter). Default 100 ms, so the first retry after an unexpected drop
    /// comes within 100 ms.
    pub backoff_base: Duration,
    /// Upper bound of any reconnect delay. Default 30 s.
    pub backoff_cap: Duration,
    /// A connection live this long resets the backoff to `backoff_base`. Default 30 s.
    pub stable_after: Duration,
    /// Wait after HTTP 429 on the upgrade or Dhan's 805. Default 60 s.
    pub cool_off: Duration,
    /// Looking up the host's addresses must finish within this (on a resolver
    /// thread: the I/O thread never waits for it). Default 5 s.
    pub resolve_timeout: Duration,
    /// TCP connect must finish within this, counted from the end of the lookup,
    /// over every address of the host in turn. Default 10 s.
    pub connect_timeout: Duration,
    /// TLS + WebSocket upgrade (+ login) must finish within this. Default 10 s.
    pub handshake_timeout: Duration,
    /// No frame (data or ping) for this long on a live connection reconnects it.
    /// Dhan pings every 10 s. Default 45 s.
    pub stale_after: Duration,
    /// No frame for this long on a live connection: the client pings, so the
    /// server's pong proves the connection alive even where the server does not
    /// ping on its own (the watchdog then reconnects only a connection that is
    /// really gone). Default 15 s.
    pub ping_after: Duration,
    /// Seed of the jitter; `None` draws one from the OS's random source per
    /// connection, so clients that lost the server at the same moment retry at
    /// different times (tests set it for repeatable delays). Default `None`.
    pub seed: Option<u64>,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(30),
            stable_after: Duration::from_secs(30),
            cool_off: Duration::from_secs(60),
            resolve_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            stale_after: Duration::from_secs(45),
            ping_after: Duration::from_secs(15),
            seed: None,
        }
    }
}

/// Where a connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Nothing to carry; no socket.
    Idle,
    /// Wants a socket; waiting for the connection budget.
    Ready,
    /// The host's addresses being looked up, then TCP connect in progress.
    Connecting,
    /// TLS handshake in progress.
    TlsHandshake,
    /// WebSocket upgrade in progress.
    WsHandshake,
    /// Upgraded; subscriptions (or the order-feed login) being sent.
    Subscribing,
    /// Live.
    Live,
    /// Waiting out a jittered reconnect delay.
    Backoff,
    /// Waiting out the cool-off after HTTP 429 or 805.
    CoolingOff,
    /// Stopped: by the user, or after a credential failure until new credentials.
    Stopped,
}

impl Phase {
    /// Whether an attempt holds its budget slot in this phase: a socket exists,
    /// or (early in `Connecting`) its addresses are being looked up.
    pub fn has_socket(self) -> bool {
        matches!(
            self,
            Self::Connecting
                | Self::TlsHandshake
                | Self::WsHandshake
                | Self::Subscribing
                | Self::Live
        )
    }
}

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// A socket error.
    Io(std::io::ErrorKind),
    /// The peer closed TCP without a WebSocket close frame.
    Eof,
    /// The server sent a WebSocket close frame with this code (if any).
    ServerClose(Option<u16>),
    /// Dhan's disconnect code (a code-50 packet, or the order feed's close code).
    Dhan(DisconnectCode),
    /// The upgrade was refused with this HTTP status.
    Http(u16),
    /// The order feed closed the connection with a policy-violation close (1008)
    /// after our login and before any update: the login was refused.
    LoginRefused,
    /// TLS failed: which way, so a user can act on it.
    Tls(TlsFailure),
    /// The server broke the WebSocket or Dhan protocol (malformed or oversized frame).
    Protocol,
    /// The server stopped reading: `WsLimits::max_output` bytes waited to be sent.
    OutputFull,
    /// TCP connect took longer than `connect_timeout`.
    ConnectTimeout,
    /// The host's name could not be resolved.
    Dns(DnsFailure),
    /// TLS + upgrade took longer than `handshake_timeout`.
    HandshakeTimeout,
    /// No frame for `stale_after` on a live connection.
    Stale,
    /// The user stopped it.
    User,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(k) => write!(f, "socket error ({k})"),
            Self::Eof => f.write_str("closed by the server without a close frame"),
            Self::ServerClose(Some(c)) => write!(f, "closed by the server (close code {c})"),
            Self::ServerClose(None) => f.write_str("closed by the server"),
            Self::Dhan(c) => write!(f, "Dhan disconnect {c}"),
            Self::Http(s) => write!(f, "upgrade refused with HTTP {s}"),
            Self::LoginRefused => f.write_str("order-feed login refused"),
            Self::Tls(t) => write!(f, "TLS failure: {t}"),
            Self::Protocol => f.write_str("protocol violation by the server"),
            Self::OutputFull => f.write_str("the server stopped reading our requests"),
            Self::ConnectTimeout => f.write_str("connect timed out"),
            Self::Dns(d) => write!(f, "name resolution failed: {d}"),
            Self::HandshakeTimeout => f.write_str("handshake timed out"),
            Self::Stale => f.write_str("no frame within the stale-feed limit"),
            Self::User => f.write_str("stopped by the user"),
        }
    }
}

/// How TLS failed (a `Copy` summary of the TLS library's error; the engine logs
/// the full error at `warn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server's certificate chain does not lead to a trusted root (a
    /// simulator's certificate needs `ClientConfig::extra_roots`, `--ca-file`).
    UntrustedCertificate,
    /// The server's certificate is expired or not yet valid.
    CertificateExpired,
    /// The server's certificate is not valid for the host name connected to.
    NameMismatch,
    /// Any other certificate problem (encoding, signature, revocation).
    BadCertificate,
    /// The server sent a TLS alert.
    AlertReceived,
    /// Anything else (protocol error, encryption limit).
    Other,
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UntrustedCertificate => {
                "the server's certificate is not trusted (add it as a root: extra_roots, --ca-file)"
            }
            Self::CertificateExpired => "the server's certificate is expired or not yet valid",
            Self::NameMismatch => "the server's certificate does not name the host",
            Self::BadCertificate => "the server's certificate is invalid",
            Self::AlertReceived => "the server sent a TLS alert",
            Self::Other => "TLS protocol error",
        })
    }
}

/// How a host name lookup failed (the engine logs the host and the resolver's
/// own message at `warn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DnsFailure {
    /// No answer within `resolve_timeout`.
    TimedOut,
    /// The lookup succeeded with no address.
    NoAddress,
    /// The resolver failed with an error of this kind.
    Failed(std::io::ErrorKind),
}

impl fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimedOut => f.write_str("no answer within the resolve timeout"),
            Self::NoAddress => f.write_str("the host has no address"),
            Self::Failed(k) => write!(f, "resolver error ({k})"),
        }
    }
}

impl Cause {
    /// Dhan's code, if the server gave one.
    pub fn code(&self) -> Option<DisconnectCode> {
        match self {
            Self::Dhan(c) => Some(*c),
            _ => None,
        }
    }

    /// Retrying with the same credentials cannot help (806-810, HTTP 401/403, a
    /// refused order-feed login).
    pub fn is_credential_failure(&self) -> bool {
        match self {
            Self::Dhan(c) => c.is_credential_failure(),
            Self::Http(s) => matches!(s, 401 | 403),
            Self::LoginRefused => true,
            _ => false,
        }
    }

    /// The server asks us to slow down (805, HTTP 429).
    pub fn needs_cool_off(&self) -> bool {
        match self {
            Self::Dhan(c) => c.needs_cool_off(),
            Self::Http(s) => *s == 429,
            _ => false,
        }
    }
}

/// A problem the user must know about (the connection may or may not retry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// Credentials were refused; the connection stays stopped until
    /// `Client::set_access_token`.
    Credentials(Cause),
    /// Dhan's 804: more instruments than the connection allows; `dropped`
    /// instruments were unsubscribed and refused (counted in each handle's
    /// `rejected`), the rest are resubscribed.
    InstrumentLimit {
        /// Instruments dropped.
        dropped: u32,
    },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Credentials(c) => write!(
                f,
                "credentials refused ({c}); stopped until new credentials are set"
            ),
            Self::InstrumentLimit { dropped } => write!(
                f,
                "instrument limit exceeded (804); {dropped} instruments dropped"
            ),
        }
    }
}

impl std::error::Error for SessionError {}

/// What the user hears about a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// Live: upgraded and subscriptions sent (every time, reconnects included).
    Connected,
    /// A live connection (or one the server refused with a code) ended.
    Disconnected {
        /// Dhan's code, when the server sent one.
        code: Option<DisconnectCode>,
        /// Why.
        reason: Cause,
    },
    /// The connection (or the attempt to make one) ended for `cause`; the next
    /// attempt starts after `delay`. A connection that never went live (refused,
    /// TLS failure, timeout) is reported only here, so `cause` says why.
    Reconnecting {
        /// Attempts since the connection was last stable (1 = first retry).
        attempt: u32,
        /// How long until it starts.
        delay: Duration,
        /// Why the previous connection or attempt ended.
        cause: Cause,
    },
    /// Live again after a drop: `resubscribed` instruments were sent again and the
    /// feed was down for `downtime`. Follows the `Connected` of the same moment.
    Reconnected {
        /// Instruments (or order login) resent.
        resubscribed: u32,
        /// From the drop to live again.
        downtime: Duration,
    },
    /// See [`SessionError`].
    Error {
        /// What went wrong.
        error: SessionError,
    },
}

impl fmt::Display for SessionEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connected => f.write_str("connected"),
            Self::Disconnected { reason, .. } => write!(f, "disconnected: {reason}"),
            Self::Reconnecting {
                attempt,
                delay,
                cause,
            } => {
                write!(f, "reconnecting (attempt {attempt}) in {delay:?}: {cause}")
            }
            Self::Reconnected {
                resubscribed,
                downtime,
            } => write!(
                f,
                "reconnected after {downtime:?}; {resubscribed} instruments resubscribed"
            ),
            Self::Error { error } => write!(f, "error: {error}"),
        }
    }
}

/// What the engine must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Look the host up, then open a socket (a budget slot is held): call
    /// [`Lifecycle::on_resolved`] once the addresses are known (an IP-address
    /// host needs no lookup), then [`Lifecycle::on_connected`].
    Connect,
    /// Tear the socket down (the machine has already moved on).
    Close(Cause),
    /// Send a ping: nothing has been heard for `ping_after`.
    Ping,
}

/// Ids of lifecycles, unique in the process (the budget tells askers apart).
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Events kept for the engine to drain; the engine drains after every call, so a
/// handful is the most that can wait.
const EVENT_QUEUE: usize = 16;

/// One connection's lifecycle. See the module docs for the states.
#[derive(Debug)]
pub struct Lifecycle {
    kind: FeedKind,
    cfg: LifecycleConfig,
    phase: Phase,
    /// Meaning by phase: Ready/Backoff/CoolingOff: when to ask again; connecting
    /// phases: the timeout.
    deadline: Option<Instant>,
    backoff: Backoff,
    wanted: bool,
    /// A budget slot is held; `pending` until established.
    holds_slot: bool,
    pending: bool,
    live_since: Option<Instant>,
    last_frame: Option<Instant>,
    /// A ping went out since the latest frame.
    pinged: bool,
    /// In `Connecting`: the addresses are still being looked up.
    resolving: bool,
    /// Who asks the budget for openings: unique id, and since when this
    /// connection has waited for its next opening.
    id: u64,
    asking_since: Option<Instant>,
    down_since: Option<Instant>,
    reconnects: u64,
    halted: Option<Cause>,
    events: VecDeque<SessionEvent>,
}

impl Lifecycle {
    /// A machine for a connection of `kind`, idle until [`Lifecycle::set_wanted`].
    pub fn new(kind: FeedKind, cfg: LifecycleConfig, seed: u64) -> Self {
        Self {
            kind,
            backoff: Backoff::new(cfg.backoff_base, cfg.backoff_cap, seed),
            cfg,
            phase: Phase::Idle,
            deadline: None,
            wanted: false,
            holds_slot: false,
            pending: false,
            live_since: None,
            last_frame: None,
            pinged: false,
            resolving: false,
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            asking_since: None,
            down_since: None,
            reconnects: 0,
            halted: None,
            events: VecDeque::with_capacity(EVENT_QUEUE),
        }
    }

    /// The feed kind.
    pub fn kind(&self) -> FeedKind {
        self.kind
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The configuration.
    pub fn config(&self) -> &LifecycleConfig {
        &self.cfg
    }

    /// Whether a budget slot is held (a socket exists or is being opened).
    pub fn holds_slot(&self) -> bool {
        self.holds_slot
    }

    /// Whether the held slot is still pending (not yet established).
    pub fn is_pending(&self) -> bool {
        self.holds_slot && self.pending
    }

    /// Live since (the latest time it went live), while live.
    pub fn live_since(&self) -> Option<Instant> {
        self.live_since.filter(|_| self.phase == Phase::Live)
    }

    /// The latest frame seen.
    pub fn last_frame(&self) -> Option<Instant> {
        self.last_frame
    }

    /// Times this connection went live again after a drop.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// Why it stopped, while stopped for a credential failure.
    pub fn halted(&self) -> Option<Cause> {
        self.halted
    }

    /// The next user event, if any.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    fn emit(&mut self, ev: SessionEvent) {
        if self.events.len() == EVENT_QUEUE {
            // Only possible if the engine stopped draining; keep the newest.
            self.events.pop_front();
        }
        self.events.push_back(ev);
    }

    /// Whether the connection has anything to carry. Wanting a connection starts
    /// one (subject to the budget); not wanting one lets a waiting one go idle (a
    /// live connection stays up: the engine decides whether to close it).
    pub fn set_wanted(&mut self, now: Instant, wanted: bool) {
        self.wanted = wanted;
        match (wanted, self.phase) {
            (true, Phase::Idle) => {
                self.phase = Phase::Ready;
                self.deadline = Some(now);
            }
            (false, Phase::Ready) => {
                self.phase = Phase::Idle;
                self.deadline = None;
                self.asking_since = None;
            }
            _ => {}
        }
    }

    /// When [`Lifecycle::handle_timeout`] must be called next (`None`: only on I/O
    /// or a user command).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Idle | Phase::Stopped => None,
            Phase::Live => self.last_frame.map(|t| {
                let stale = after(t, self.cfg.stale_after);
                if self.pinged {
                    stale
                } else {
                    stale.min(after(t, self.cfg.ping_after))
                }
            }),
            _ => self.deadline,
        }
    }

    /// Time has come to `now`: starts a due connection (if the budget allows), or
    /// times out a slow handshake or a stale feed. Call again while it returns an
    /// action; after `None`, [`Lifecycle::poll_timeout`] is later than `now` or
    /// `None`.
    pub fn handle_timeout(&mut self, now: Instant, budget: &mut Budget) -> Option<Action> {
        let due = self.poll_timeout().is_some_and(|t| now >= t);
        if !due {
            return None;
        }
        match self.phase {
            Phase::Ready | Phase::Backoff | Phase::CoolingOff => {
                if !self.wanted {
                    self.phase = Phase::Idle;
                    self.deadline = None;
                    self.asking_since = None;
                    return None;
                }
                let who = Asker {
                    id: self.id,
                    since: *self.asking_since.get_or_insert(now),
                };
                match budget.try_open(self.kind, now, who) {
                    Grant::Granted => {
                        self.asking_since = None;
                        self.holds_slot = true;
                        self.pending = true;
                        self.phase = Phase::Connecting;
                        self.resolving = true;
                        self.deadline = Some(after(now, self.cfg.resolve_timeout));
                        Some(Action::Connect)
                    }
                    Grant::WaitUntil(t) => {
                        self.phase = Phase::Ready;
                        self.deadline = Some(t.max(now + Duration::from_nanos(1)));
                        None
                    }
                }
            }
            Phase::Connecting => {
                let cause = if self.resolving {
                    Cause::Dns(DnsFailure::TimedOut)
                } else {
                    Cause::ConnectTimeout
                };
                Some(self.lost(now, cause, budget))
            }
            Phase::TlsHandshake | Phase::WsHandshake | Phase::Subscribing => {
                Some(self.lost(now, Cause::HandshakeTimeout, budget))
            }
            Phase::Live => {
                let stale = self
                    .last_frame
                    .is_some_and(|t| now >= after(t, self.cfg.stale_after));
                if stale {
                    Some(self.lost(now, Cause::Stale, budget))
                } else {
                    self.pinged = true;
                    Some(Action::Ping)
                }
            }
            Phase::Idle | Phase::Stopped => None,
        }
    }

    /// The host's addresses are known at `now`: the TCP connect's timeout starts.
    pub fn on_resolved(&mut self, now: Instant) {
        if self.phase == Phase::Connecting && self.resolving {
            self.resolving = false;
            self.deadline = Some(after(now, self.cfg.connect_timeout));
        }
    }

    /// Whether the current attempt is still waiting for its addresses.
    pub fn is_resolving(&self) -> bool {
        self.phase == Phase::Connecting && self.resolving
    }

    /// TCP connected; `tls` says whether a TLS handshake follows.
    pub fn on_connected(&mut self, now: Instant, tls: bool) {
        if self.phase == Phase::Connecting {
            self.resolving = false;
            self.phase = if tls {
                Phase::TlsHandshake
            } else {
                Phase::WsHandshake
            };
            self.deadline = Some(after(now, self.cfg.handshake_timeout));
        }
    }

    /// TLS handshake finished.
    pub fn on_tls_established(&mut self) {
        if self.phase == Phase::TlsHandshake {
            self.phase = Phase::WsHandshake;
        }
    }

    /// The upgrade succeeded: the slot is established; subscriptions go out next.
    pub fn on_upgraded(&mut self, now: Instant, budget: &mut Budget) {
        if matches!(self.phase, Phase::WsHandshake | Phase::TlsHandshake) {
            self.phase = Phase::Subscribing;
            self.last_frame = Some(now);
            if self.pending {
                budget.established(self.kind);
                self.pending = false;
            }
        }
    }

    /// Subscriptions (or the login) were sent: live. `resubscribed` is reported in
    /// [`SessionEvent::Reconnected`] when this follows a drop.
    pub fn on_live(&mut self, now: Instant, resubscribed: u32) {
        if self.phase != Phase::Subscribing {
            return;
        }
        self.phase = Phase::Live;
        self.deadline = None;
        self.live_since = Some(now);
        self.last_frame = Some(now);
        self.emit(SessionEvent::Connected);
        if let Some(down) = self.down_since.take() {
            self.reconnects += 1;
            self.emit(SessionEvent::Reconnected {
                resubscribed,
                downtime: now.saturating_duration_since(down),
            });
        }
    }

    /// A frame arrived (data, ping, anything): the feed is not stale.
    #[inline]
    pub fn on_frame(&mut self, now: Instant) {
        self.last_frame = Some(now);
        self.pinged = false;
    }

    /// The socket is gone (or must go) for `cause`: decides what comes next.
    pub fn on_closed(&mut self, now: Instant, cause: Cause, budget: &mut Budget) {
        if self.phase.has_socket() {
            self.lost(now, cause, budget);
        }
    }

    fn lost(&mut self, now: Instant, cause: Cause, budget: &mut Budget) -> Action {
        let was_live = self.phase == Phase::Live;
        if self.holds_slot {
            budget.release(self.kind, self.pending);
            self.holds_slot = false;
            self.pending = false;
        }
        if was_live {
            if self
                .live_since
                .is_some_and(|t| now.saturating_duration_since(t) >= self.cfg.stable_after)
            {
                self.backoff.reset();
            }
            self.down_since.get_or_insert(now);
        }
        if was_live
            || cause.code().is_some()
            || matches!(cause, Cause::Http(_) | Cause::LoginRefused)
        {
            self.emit(SessionEvent::Disconnected {
                code: cause.code(),
                reason: cause,
            });
        }
        self.live_since = None;
        if cause == Cause::User {
            self.phase = Phase::Stopped;
            self.deadline = None;
        } else if cause.is_credential_failure() {
            self.phase = Phase::Stopped;
            self.deadline = None;
            self.halted = Some(cause);
            self.down_since.get_or_insert(now);
            self.emit(SessionEvent::Error {
                error: SessionError::Credentials(cause),
            });
        } else if cause.needs_cool_off() {
            self.backoff.next_delay();
            self.phase = Phase::CoolingOff;
            self.deadline = Some(after(now, self.cfg.cool_off));
            self.emit(SessionEvent::Reconnecting {
                attempt: self.backoff.attempt(),
                delay: self.cfg.cool_off,
                cause,
            });
        } else {
            let delay = self.backoff.next_delay();
            self.phase = Phase::Backoff;
            self.deadline = Some(after(now, delay));
            self.emit(SessionEvent::Reconnecting {
                attempt: self.backoff.attempt(),
                delay,
                cause,
            });
        }
        Action::Close(cause)
    }

    /// Reports an error that does not change the phase (e.g. 804's dropped instruments).
    pub fn report(&mut self, error: SessionError) {
        self.emit(SessionEvent::Error { error });
    }

    /// The engine closes the connection on purpose to open a new one at once (a
    /// depth connection's instruments changed): the slot is released, no backoff,
    /// no `Disconnected` event. A stopped connection stays stopped.
    pub fn restart(&mut self, now: Instant, budget: &mut Budget) {
        if self.phase == Phase::Stopped {
            return;
        }
        if self.holds_slot {
            budget.release(self.kind, self.pending);
            self.holds_slot = false;
            self.pending = false;
        }
        if self.phase == Phase::Live {
            self.down_since.get_or_insert(now);
        }
        self.live_since = None;
        if self.phase != Phase::CoolingOff {
            self.phase = if self.wanted {
                Phase::Ready
            } else {
                Phase::Idle
            };
            self.deadline = self.wanted.then_some(now);
        }
    }

    /// The user stopped this connection (or the engine is stopping).
    pub fn stop(&mut self, now: Instant, budget: &mut Budget) {
        if self.phase.has_socket() {
            self.lost(now, Cause::User, budget);
        } else {
            self.phase = Phase::Stopped;
            self.deadline = None;
            self.asking_since = None;
        }
    }

    /// New credentials: a connection stopped by a credential failure tries again at
    /// once (with a fresh backoff). Other phases keep going; the next connection
    /// uses the new credentials.
    pub fn on_new_credentials(&mut self, now: Instant) {
        if self.halted.take().is_some() && self.phase == Phase::Stopped {
            self.backoff.reset();
            self.phase = if self.wanted {
                Phase::Ready
            } else {
                Phase::Idle
            };
            self.deadline = self.wanted.then_some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::budget::BudgetConfig;

    fn machine() -> (Lifecycle, Budget, Instant) {
        let cfg = LifecycleConfig::default();
        let lc = Lifecycle::new(FeedKind::MarketFeed, cfg, 3);
        (lc, Budget::new(BudgetConfig::default()), Instant::now())
    }

    #[test]
    fn a_connection_that_never_went_live_says_why_in_reconnecting() {
        let (mut lc, mut b, t0) = machine();
        lc.set_wanted(t0, true);
        assert_eq!(lc.handle_timeout(t0, &mut b), Some(Action::Connect));
        lc.on_connected(t0, true);
        let failure = Cause::Tls(TlsFailure::UntrustedCertificate);
        lc.on_closed(t0, failure, &mut b);
        let evs = events(&mut lc);
        assert!(
            matches!(
                evs.as_slice(),
                [SessionEvent::Reconnecting { attempt: 1, cause, .. }] if *cause == failure
            ),
            "{evs:?}"
        );
        let text = evs[0].to_string();
        assert!(
            text.contains("not trusted") && text.contains("extra_roots"),
            "{text}"
        );
    }

    fn go_live(lc: &mut Lifecycle, b: &mut Budget, now: Instant) {
        lc.set_wanted(now, true);
        assert_eq!(lc.handle_timeout(now, b), Some(Action::Connect));
        lc.on_connected(now, true);
        lc.on_tls_established();
        lc.on_upgraded(now, b);
        lc.on_live(now, 3);
        assert_eq!(lc.phase(), Phase::Live);
    }

    fn events(lc: &mut Lifecycle) -> Vec<SessionEvent> {
        std::iter::from_fn(|| lc.poll_event()).collect()
    }

    /// `Duration::MAX` anywhere in the configuration is "never": no timer
    /// overflows (it used to panic the I/O thread at the first live frame).
    #[test]
    fn duration_max_timers_are_deadlines_never_reached() {
        let cfg = LifecycleConfig {
            resolve_timeout: Duration::MAX,
            connect_timeout: Duration::MAX,
            handshake_timeout: Duration::MAX,
            stale_after: Duration::MAX,
            cool_off: Duration::MAX,
            backoff_base: Duration::MAX,
            backoff_cap: Duration::MAX,
            stable_after: Duration::MAX,
            ping_after: Duration::MAX,
            seed: Some(3),
        };
        let mut lc = Lifecycle::new(FeedKind::MarketFeed, cfg, 3);
        let mut b = Budget::new(BudgetConfig {
            gap: Duration::MAX,
            full_retry: Duration::MAX,
            ..BudgetConfig::default()
        });
        let t0 = Instant::now();
        lc.set_wanted(t0, true);
        assert_eq!(lc.handle_timeout(t0, &mut b), Some(Action::Connect));
        let far = t0 + Duration::from_secs(99 * 365 * 86_400);
        assert!(
            lc.poll_timeout().is_some_and(|t| t > far),
            "resolve timeout"
        );
        lc.on_resolved(t0);
        assert!(
            lc.poll_timeout().is_some_and(|t| t > far),
            "connect timeout"
        );
        lc.on_connected(t0, true);
        assert!(
            lc.poll_timeout().is_some_and(|t| t > far),
            "handshake timeout"
        );
        lc.on_tls_established();
        lc.on_upgraded(t0, &mut b);
        lc.on_live(t0, 1);
        lc.on_frame(t0);
        assert!(lc.poll_timeout().is_some_and(|t| t > far), "stale watchdog");
        lc.on_closed(t0, Cause::Dhan(DisconnectCode(805)), &mut b);
        assert!(lc.poll_timeout().is_some_and(|t| t > far), "cool-off");
        lc.on_new_credentials(t0);
        lc.restart(t0, &mut b);
        lc.on_closed(t0, Cause::Eof, &mut b);
        let _ = lc.poll_timeout();
        // A second connection of the user waits out the (endless) gap.
        let mut other = Lifecycle::new(FeedKind::MarketFeed, cfg, 4);
        other.set_wanted(t0, true);
        assert_eq!(other.handle_timeout(t0, &mut b), None);
        assert!(other.poll_timeout().is_some_and(|t| t > far), "budget gap");
    }

    #[test]
    fn a_lookup_has_its_own_timeout_and_cause_then_the_connect_its_own() {
        let cfg = LifecycleConfig::default();
        let (mut lc, mut b, t0) = machine();
        lc.set_wanted(t0, true);
        assert_eq!(lc.handle_timeout(t0, &mut b), Some(Action::Connect));
        assert!(lc.is_resolving());
        assert_eq!(lc.poll_timeout(), Some(t0 + cfg.resolve_timeout));
        // No answer in time: a DNS timeout, then a retry on the backoff.
        let t1 = t0 + cfg.resolve_timeout;
        assert_eq!(
            lc.handle_timeout(t1, &mut b),
            Some(Action::Close(Cause::Dns(DnsFailure::TimedOut)))
        );
        assert_eq!(lc.phase(), Phase::Backoff);
        assert!(!lc.holds_slot(), "the slot is released");
        assert!(matches!(
            events(&mut lc)[..],
            [SessionEvent::Reconnecting {
                attempt: 1,
                cause: Cause::Dns(DnsFailure::TimedOut),
                ..
            }]
        ));
        // The retry resolves: the connect timeout starts from the answer.
        let mut t2 = lc.poll_timeout().unwrap();
        while lc.handle_timeout(t2, &mut b).is_none() {
            t2 = lc.poll_timeout().unwrap(); // the budget's gap between openings
        }
        assert!(lc.is_resolving());
        let t3 = t2 + Duration::from_secs(1);
        lc.on_resolved(t3);
        assert!(!lc.is_resolving());
        assert_eq!(lc.poll_timeout(), Some(t3 + cfg.connect_timeout));
        assert_eq!(
            lc.handle_timeout(t3 + cfg.connect_timeout, &mut b),
            Some(Action::Close(Cause::ConnectTimeout))
        );
    }

    #[test]
    fn an_unexpected_drop_retries_within_100ms_and_reports_the_downtime() {
        let (mut lc, mut b, t0) = machine();
        go_live(&mut lc, &mut b, t0);
        assert_eq!(events(&mut lc), [SessionEvent::Connected]);
        let t1 = t0 + Duration::from_secs(60);
        lc.on_closed(t1, Cause::Eof, &mut b);
        let evs = events(&mut lc);
        assert!(matches!(
            evs[0],
            SessionEvent::Disconnected {
                code: None,
                reason: Cause::Eof
            }
        ));
        let SessionEvent::Reconnecting {
            attempt: 1,
            delay,
            cause: Cause::Eof,
        } = evs[1]
        else {
            panic!("{evs:?}")
        };
        assert!(delay <= Duration::from_millis(100));
        assert_eq!(lc.poll_timeout(), Some(t1 + delay));
        let t2 = t1 + Duration::from_millis(100);
        assert_eq!(lc.handle_timeout(t2, &mut b), Some(Action::Connect));
        lc.on_connected(t2, false);
        lc.on_upgraded(t2, &mut b);
        lc.on_live(t2, 7);
        assert_eq!(
            events(&mut lc),
            [
                SessionEvent::Connected,
                SessionEvent::Reconnected {
                    resubscribed: 7,
                    downtime: Duration::from_millis(100)
                }
            ]
        );
        assert_eq!(lc.reconnects(), 1);
    }

    #[test]
    fn credential_failures_stop_until_new_credentials() {
        for code in [806u16, 807, 808, 809, 810] {
            let (mut lc, mut b, t0) = machine();
            go_live(&mut lc, &mut b, t0);
            lc.on_closed(t0, Cause::Dhan(DisconnectCode(code)), &mut b);
            assert_eq!(lc.phase(), Phase::Stopped);
            assert_eq!(lc.poll_timeout(), None);
            assert!(!lc.holds_slot());
            assert_eq!(b.open(FeedKind::MarketFeed), 0);
            let later = t0 + Duration::from_secs(3600);
            assert_eq!(lc.handle_timeout(later, &mut b), None);
            assert!(events(&mut lc).iter().any(|e| matches!(
                e,
                SessionEvent::Error {
                    error: SessionError::Credentials(Cause::Dhan(c))
                } if c.0 == code
            )));
            lc.on_new_credentials(later);
            assert_eq!(lc.handle_timeout(later, &mut b), Some(Action::Connect));
        }
    }

    #[test]
    fn http_429_and_805_cool_off_for_the_configured_time() {
        for cause in [Cause::Http(429), Cause::Dhan(DisconnectCode(805))] {
            let (mut lc, mut b, t0) = machine();
            go_live(&mut lc, &mut b, t0);
            lc.on_closed(t0, cause, &mut b);
            assert_eq!(lc.phase(), Phase::CoolingOff);
            let cool = lc.config().cool_off;
            assert_eq!(lc.poll_timeout(), Some(t0 + cool));
            assert_eq!(
                lc.handle_timeout(t0 + cool - Duration::from_millis(1), &mut b),
                None
            );
            assert_eq!(lc.handle_timeout(t0 + cool, &mut b), Some(Action::Connect));
        }
    }

    #[test]
    fn backoff_grows_while_connections_are_short_lived_and_resets_after_a_stable_one() {
        let (mut lc, mut b, mut now) = machine();
        go_live(&mut lc, &mut b, now);
        let mut ceilings = Vec::new();
        for _ in 0..6 {
            lc.on_closed(now, Cause::Io(std::io::ErrorKind::ConnectionReset), &mut b);
            ceilings.push(lc.backoff.ceiling());
            now = lc.poll_timeout().expect("backoff deadline") + Duration::from_secs(1);
            assert_eq!(lc.handle_timeout(now, &mut b), Some(Action::Connect));
            lc.on_connected(now, false);
            lc.on_upgraded(now, &mut b);
            lc.on_live(now, 0);
        }
        assert!(ceilings.windows(2).all(|w| w[1] >= w[0]), "{ceilings:?}");
        assert!(ceilings[5] > ceilings[0]);
        // Stable for `stable_after`: the next drop starts from the base again.
        now += lc.config().stable_after;
        lc.on_frame(now);
        lc.on_closed(now, Cause::Eof, &mut b);
        assert!(lc.poll_timeout().expect("deadline") <= now + lc.config().backoff_base);
    }

    #[test]
    fn a_silent_live_connection_is_closed_as_stale() {
        let (mut lc, mut b, t0) = machine();
        go_live(&mut lc, &mut b, t0);
        let stale = lc.config().stale_after;
        lc.on_frame(t0 + Duration::from_secs(10));
        // Not stale yet (a ping goes out instead), and nothing more before stale.
        assert_eq!(lc.handle_timeout(t0 + stale, &mut b), Some(Action::Ping));
        assert_eq!(lc.handle_timeout(t0 + stale, &mut b), None);
        assert_eq!(
            lc.handle_timeout(t0 + Duration::from_secs(10) + stale, &mut b),
            Some(Action::Close(Cause::Stale))
        );
        assert_eq!(lc.phase(), Phase::Backoff);
    }

    #[test]
    fn handshake_timeouts_release_the_pending_slot() {
        let (mut lc, mut b, t0) = machine();
        lc.set_wanted(t0, true);
        assert_eq!(lc.handle_timeout(t0, &mut b), Some(Action::Connect));
        assert_eq!(b.pending(), 1);
        lc.on_connected(t0, true);
        let t = t0 + lc.config().handshake_timeout;
        assert_eq!(
            lc.handle_timeout(t, &mut b),
            Some(Action::Close(Cause::HandshakeTimeout))
        );
        assert_eq!((b.pending(), b.open(FeedKind::MarketFeed)), (0, 0));
    }
}
