//! One connection's protocol, sans I/O: the upgrade request and response, frames
//! into messages for the feed's [`Proto`], Dhan's codes in close frames, pongs,
//! the goodbye before a close, and the [`Lifecycle`] that decides what happens
//! next. Bytes and time come in as arguments; bytes to send ([`Driver::output`]),
//! events ([`Lifecycle::poll_event`]) and the next deadline
//! ([`Driver::poll_timeout`]) go out. The engine owns the socket, the read buffer
//! and the clock, and calls these (quinn-proto's `Connection` is the model).

use super::budget::Budget;
use super::lifecycle::{Action, Cause, Lifecycle};
use crate::proto::disconnect::DisconnectCode;
use crate::proto::endpoint::FeedKind;
use crate::ws::client::{WsClient, WsEvent, WsLimits};
use crate::ws::handshake::{self, HandshakeError};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What a connection's messages mean: implemented per feed kind.
pub(crate) trait Proto {
    /// Upgraded: queue the subscriptions (or the login) on `ws`; returns how many
    /// instruments (or logins) were sent, for `Reconnected { resubscribed }`.
    fn on_upgraded(&mut self, ws: &mut WsClient) -> u32;
    /// A binary message read at `recv_ns`; `Some(cause)` ends the connection
    /// after the rest of the input is processed. Ignored by default.
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
    /// What a close frame with `code`, `live_for` after the upgrade, means for
    /// this feed, when it means more than "the server closed" (the order feed's
    /// refused login).
    fn close_cause(&self, _code: Option<u16>, _live_for: Duration) -> Option<Cause> {
        None
    }
}

/// Where the current socket is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// No socket.
    Idle,
    /// The TCP connection is being opened.
    Connecting,
    /// The upgrade request is out (after TLS, if any); waiting for its answer.
    Upgrading,
    /// Upgraded: frames flow.
    Live,
}

/// Locks the budget; a poisoned lock (a panic elsewhere) still holds valid counts.
pub(crate) fn lock(b: &Mutex<Budget>) -> MutexGuard<'_, Budget> {
    b.lock().unwrap_or_else(|p| p.into_inner())
}

/// A Dhan code (800-899) leading a close reason: `"807"`, `"805: too many
/// connections"`, or after a word that names it (`"disconnect 807"`, `"code
/// 805"`, `"error 809"`). A number elsewhere in the text (`"retry in 806 ms"`) is
/// not a code: taking it for one could halt a connection for good.
fn dhan_code_in(reason: &[u8]) -> Option<u16> {
    let mut words = reason
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty());
    let code = |w: &[u8]| {
        let c = std::str::from_utf8(w).ok()?.parse::<u16>().ok()?;
        (w.len() == 3 && (800..900).contains(&c)).then_some(c)
    };
    let first = words.next()?;
    if let Some(c) = code(first) {
        return Some(c);
    }
    let named = [&b"disconnect"[..], b"code", b"error", b"dhan"]
        .iter()
        .any(|k| first.eq_ignore_ascii_case(k));
    if named { code(words.next()?) } else { None }
}

/// The protocol state of one connection (of whichever socket is current).
pub(crate) struct Driver {
    /// Reconnect timing, Dhan's codes, the budget slot, the events.
    pub lc: Lifecycle,
    ws: WsClient,
    stage: Stage,
    key: String,
    limits: WsLimits,
    /// When the current socket was upgraded.
    live_at: Option<Instant>,
    /// The raw-frame trace, when on (`ClientConfig::trace_frames`).
    trace: Option<Box<super::trace::FrameTrace>>,
    /// The recording tap, when the client records (the journal).
    tap: Option<Box<crate::tap::TapPort>>,
}

impl Driver {
    /// A driver for connections of `lc`'s kind, with these frame limits.
    pub fn new(lc: Lifecycle, limits: WsLimits) -> Self {
        Self {
            lc,
            ws: WsClient::new(limits),
            stage: Stage::Idle,
            key: String::new(),
            limits,
            live_at: None,
            trace: None,
            tap: None,
        }
    }

    /// Records every message received and sent, and every connection event,
    /// into `tap` (`None`: stops).
    pub fn set_tap(&mut self, tap: Option<crate::tap::TapPort>) {
        self.ws.set_tap(tap.clone());
        self.tap = tap.map(Box::new);
    }

    /// Records a connection event (when recording).
    pub fn tap_event(&mut self, event: &super::lifecycle::SessionEvent) {
        use super::lifecycle::SessionEvent as E;
        use crate::tap::EventTag as T;
        let Some(t) = &mut self.tap else { return };
        let tag = match event {
            E::Connected => T::Connected,
            E::Reconnected { .. } => T::Reconnected,
            E::Disconnected { .. } => T::Disconnected,
            E::Reconnecting { .. } => T::Reconnecting,
            E::Error { .. } => T::Error,
        };
        t.event(tag, format_args!("{event}"));
    }

    /// Turns the raw-frame trace on (`Some`) or off.
    pub fn set_trace(&mut self, trace: Option<super::trace::FrameTrace>) {
        self.trace = trace.map(Box::new);
    }

    /// Where the current socket is.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The next time [`handle_timeout`](Self::handle_timeout) has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.lc.poll_timeout()
    }

    /// The lifecycle's next action at `now` (open a socket, close one); call
    /// until `None`.
    pub fn handle_timeout(&mut self, now: Instant, budget: &mut Budget) -> Option<Action> {
        self.lc.handle_timeout(now, budget)
    }

    /// A socket is being opened: fresh WebSocket state, upgrade key `key`
    /// (random, from the caller: nothing here draws randomness).
    pub fn start(&mut self, key: String) {
        self.ws = WsClient::new(self.limits);
        self.ws.set_tap(self.tap.as_deref().cloned());
        self.key = key;
        self.stage = Stage::Connecting;
    }

    /// The TCP connection is up at `now`: queue the upgrade request for `target`
    /// on `host_header` (sent after the TLS handshake, if `tls`).
    pub fn on_connected(&mut self, now: Instant, tls: bool, host_header: &str, target: &str) {
        self.lc.on_connected(now, tls);
        let req = handshake::request(host_header, target, &self.key, "dhan-feed");
        self.ws.queue_raw(&req);
        self.stage = Stage::Upgrading;
    }

    /// The TLS handshake has finished (may be called again; counted once).
    #[inline]
    pub fn on_tls_established(&mut self) {
        if self.stage == Stage::Upgrading {
            self.lc.on_tls_established();
        }
    }

    /// Bytes arrived at `now` (the stale-feed watchdog's clock).
    #[inline]
    pub fn on_bytes(&mut self, now: Instant, proto: &mut impl Proto) {
        self.lc.on_frame(now);
        proto.on_read();
    }

    /// Consumes what it can of `input` (read at `now`, [`crate::time::now_ns`]
    /// `recv_ns`): the upgrade response, then frames, whose messages go to
    /// `proto` and whose pings are answered. Returns the bytes consumed (the rest
    /// is an incomplete frame, to be offered again with more bytes after it), or
    /// the cause that ends the connection (after every message before it was
    /// handed over). `full`: the caller cannot read more before this input is
    /// consumed, so an incomplete upgrade response is an error.
    #[inline]
    pub fn handle_input(
        &mut self,
        input: &[u8],
        now: Instant,
        recv_ns: u64,
        full: bool,
        budget: &Mutex<Budget>,
        proto: &mut impl Proto,
    ) -> Result<usize, Cause> {
        let r = self.read_input(input, now, recv_ns, full, budget, proto);
        // The read's messages go into the recording tap together.
        if let Some(t) = &mut self.tap {
            t.flush();
        }
        r
    }

    #[inline]
    fn read_input(
        &mut self,
        input: &[u8],
        now: Instant,
        recv_ns: u64,
        full: bool,
        budget: &Mutex<Budget>,
        proto: &mut impl Proto,
    ) -> Result<usize, Cause> {
        let mut used = 0;
        if self.stage == Stage::Upgrading {
            match handshake::parse_response(input, &self.key) {
                Ok(None) if full => {
                    log::warn!("{}: upgrade response too large", self.lc.kind().label());
                    return Err(Cause::Protocol);
                }
                Ok(None) => return Ok(0),
                Ok(Some(n)) => {
                    used = n;
                    self.stage = Stage::Live;
                    self.live_at = Some(now);
                    self.lc.on_upgraded(now, &mut lock(budget));
                    let sent = proto.on_upgraded(&mut self.ws);
                    self.lc.on_live(now, sent);
                    log::info!("{} live ({sent} sent)", self.lc.kind().label());
                }
                Err(HandshakeError::Status(s)) => return Err(Cause::Http(s)),
                Err(e) => {
                    log::warn!("{}: {e}", self.lc.kind().label());
                    return Err(Cause::Protocol);
                }
            }
        }
        let mut end = None;
        loop {
            let (ev, n) = match self.ws.poll_event(&input[used..]) {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => {
                    log::warn!("{}: {e}", self.lc.kind().label());
                    return Err(Cause::Protocol);
                }
            };
            let ended = match ev {
                WsEvent::Binary(m) => {
                    if let Some(t) = &self.trace {
                        t.log("binary", m);
                    }
                    if let Some(t) = &mut self.tap {
                        t.binary(recv_ns, m);
                    }
                    proto.on_binary(m, recv_ns)
                }
                WsEvent::Text(m) => {
                    if let Some(t) = &self.trace {
                        t.log("text", m);
                    }
                    if let Some(t) = &mut self.tap {
                        t.text(recv_ns, m);
                    }
                    proto.on_text(m, recv_ns)
                }
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
                            .or_else(|| {
                                let live_for = self
                                    .live_at
                                    .map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
                                proto.close_cause(code, live_for)
                            })
                            .unwrap_or(Cause::ServerClose(code)),
                    },
                ),
            };
            if ended.is_some() {
                end = ended;
            }
            used += n;
        }
        end.map_or(Ok(used), Err)
    }

    /// The WebSocket of a live connection (to queue requests).
    #[inline]
    pub fn live_ws(&mut self) -> Option<&mut WsClient> {
        (self.stage == Stage::Live).then_some(&mut self.ws)
    }

    /// Bytes to send, in order (the upgrade request, frames, pongs).
    #[inline]
    pub fn output(&self) -> &[u8] {
        self.ws.output()
    }

    /// Whether a frame found no room in the output (see
    /// `WsLimits::max_output`): the connection must be dropped.
    #[inline]
    pub fn output_overflowed(&self) -> bool {
        self.ws.output_overflowed()
    }

    /// Whether [`output`](Self::output) has bytes.
    #[inline]
    pub fn wants_write(&self) -> bool {
        self.ws.wants_write()
    }

    /// The first `n` bytes of [`output`](Self::output) were sent.
    #[inline]
    pub fn consume_output(&mut self, n: usize) {
        self.ws.consume_output(n);
    }

    /// On a live connection, queues Dhan's disconnect request
    /// (`{"RequestCode":12}` on the binary feeds, `{"requestCode":12}` on the
    /// Global Stocks feed, as its SDK spells it; the order feed has none) and a
    /// close frame, as the SDKs do before closing: the server then frees the
    /// connection's slot at once, which matters with 5 connections per user.
    pub fn goodbye(&mut self, reason: &str) {
        if self.stage != Stage::Live {
            return;
        }
        // Nothing may follow a close frame (ours, e.g. answering the server's).
        if !self.ws.close_sent() {
            match self.lc.kind() {
                FeedKind::OrderUpdate => {}
                FeedKind::GlobalStocks => self
                    .ws
                    .send_text(crate::proto::global_encode::GLOBAL_DISCONNECT_REQUEST),
                _ => self.ws.send_text(crate::proto::request::DISCONNECT_REQUEST),
            }
        }
        self.ws.send_close(1000, reason);
    }

    /// Queues a ping (nothing heard for a while; the pong will count as a frame).
    pub fn ping(&mut self) {
        if self.stage == Stage::Live && !self.ws.close_sent() {
            self.ws.send_ping(b"");
        }
    }

    /// The socket is gone (its output with it); the lifecycle is told separately.
    pub fn detach(&mut self) {
        self.stage = Stage::Idle;
    }

    /// The connection ended at `now` for `cause`: the lifecycle decides what next.
    pub fn on_closed(&mut self, now: Instant, cause: Cause, budget: &mut Budget) {
        self.stage = Stage::Idle;
        self.lc.on_closed(now, cause, budget);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::budget::BudgetConfig;
    use crate::session::lifecycle::{LifecycleConfig, Phase, SessionError, SessionEvent};
    use crate::ws::frame::{Opcode, apply_mask, parse_header, push_server_frame};

    /// A feed that records what it is handed and subscribes `n` instruments.
    #[derive(Default)]
    struct Recorder {
        binary: Vec<(Vec<u8>, u64)>,
        text: Vec<Vec<u8>>,
        reads: u32,
        upgrades: u32,
        end_on: Option<Vec<u8>>,
    }

    impl Proto for Recorder {
        fn on_upgraded(&mut self, ws: &mut WsClient) -> u32 {
            self.upgrades += 1;
            ws.send_text(br#"{"RequestCode":15}"#);
            3
        }
        fn on_binary(&mut self, msg: &[u8], recv_ns: u64) -> Option<Cause> {
            self.binary.push((msg.to_vec(), recv_ns));
            (self.end_on.as_deref() == Some(msg)).then_some(Cause::Dhan(DisconnectCode(805)))
        }
        fn on_text(&mut self, msg: &[u8], _recv_ns: u64) -> Option<Cause> {
            self.text.push(msg.to_vec());
            None
        }
        fn on_read(&mut self) {
            self.reads += 1;
        }
    }

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    struct World {
        driver: Driver,
        budget: Mutex<Budget>,
        t0: Instant,
    }

    /// A market-feed driver wanted at `t0`, its first socket being opened.
    fn world(kind: FeedKind) -> World {
        let t0 = Instant::now();
        let cfg = LifecycleConfig {
            seed: Some(7),
            ..LifecycleConfig::default()
        };
        let mut driver = Driver::new(Lifecycle::new(kind, cfg, 7), WsLimits::default());
        let budget = Mutex::new(Budget::new(BudgetConfig::default()));
        driver.lc.set_wanted(t0, true);
        let first = driver.handle_timeout(t0, &mut lock(&budget));
        assert_eq!(first, Some(Action::Connect));
        driver.start(KEY.to_owned());
        World { driver, budget, t0 }
    }

    fn upgrade_response() -> Vec<u8> {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            tungstenite::handshake::derive_accept_key(KEY.as_bytes())
        )
        .into_bytes()
    }

    fn frame(op: Opcode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        push_server_frame(true, op, payload, &mut out);
        out
    }

    fn close_frame(code: u16, reason: &str) -> Vec<u8> {
        let mut p = code.to_be_bytes().to_vec();
        p.extend_from_slice(reason.as_bytes());
        frame(Opcode::Close, &p)
    }

    /// The client's frames in `out` (after any HTTP head), unmasked.
    fn client_frames(out: &[u8]) -> Vec<(Opcode, Vec<u8>)> {
        let start = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |p| p + 4);
        let mut frames = Vec::new();
        let mut rest = &out[start..];
        while let Ok(Some(h)) = parse_header(rest) {
            let (head, len) = (h.header_len, h.payload_len as usize);
            let mut payload = rest[head..head + len].to_vec();
            if let Some(mask) = h.mask {
                apply_mask(&mut payload, mask, 0);
            }
            frames.push((h.opcode, payload));
            rest = &rest[head + len..];
        }
        frames
    }

    impl World {
        /// Connected, upgraded and live; returns the upgrade request sent.
        fn go_live(&mut self, proto: &mut Recorder) -> String {
            self.driver
                .on_connected(self.t0, false, "api-feed.dhan.co", "/?version=2");
            let req = String::from_utf8(self.driver.output().to_vec()).unwrap();
            let n = self.driver.output().len();
            self.driver.consume_output(n);
            let resp = upgrade_response();
            let used = self.input(&resp, proto).unwrap();
            assert_eq!(used, resp.len());
            req
        }

        fn input(&mut self, bytes: &[u8], proto: &mut Recorder) -> Result<usize, Cause> {
            self.driver
                .handle_input(bytes, self.t0, 42, false, &self.budget, proto)
        }

        fn events(&mut self) -> Vec<SessionEvent> {
            std::iter::from_fn(|| self.driver.lc.poll_event()).collect()
        }
    }

    #[test]
    fn upgrade_then_subscriptions_then_messages_in_order() {
        let mut w = world(FeedKind::MarketFeed);
        let mut p = Recorder::default();
        assert_eq!(w.driver.stage(), Stage::Connecting);
        let req = w.go_live(&mut p);
        assert!(req.starts_with("GET /?version=2 HTTP/1.1\r\nHost: api-feed.dhan.co\r\n"));
        assert!(
            req.contains(&format!("Sec-WebSocket-Key: {KEY}\r\n")),
            "{req}"
        );
        assert_eq!(w.driver.stage(), Stage::Live);
        assert_eq!(p.upgrades, 1);
        assert_eq!(w.events(), [SessionEvent::Connected]);
        assert_eq!(
            client_frames(w.driver.output()),
            [(Opcode::Text, br#"{"RequestCode":15}"#.to_vec())]
        );
        // Two messages and half of a third: the half waits for its bytes.
        let mut bytes = frame(Opcode::Binary, b"one");
        bytes.extend(frame(Opcode::Text, b"two"));
        let third = frame(Opcode::Binary, b"three");
        bytes.extend(&third[..3]);
        let used = w.input(&bytes, &mut p).unwrap();
        assert_eq!(used, bytes.len() - 3);
        assert_eq!(p.binary, [(b"one".to_vec(), 42)]);
        assert_eq!(p.text, [b"two".to_vec()]);
        assert_eq!(w.input(&third, &mut p), Ok(third.len()));
        assert_eq!(p.binary.len(), 2);
    }

    #[test]
    fn an_upgrade_response_in_pieces_and_frames_right_behind_it() {
        let mut w = world(FeedKind::MarketFeed);
        let mut p = Recorder::default();
        w.driver.on_connected(w.t0, true, "h", "/");
        let mut resp = upgrade_response();
        assert_eq!(
            w.input(&resp[..10], &mut p),
            Ok(0),
            "incomplete: nothing used"
        );
        assert_eq!(w.driver.stage(), Stage::Upgrading);
        // Full buffer, still incomplete: the response is too large.
        let full = w
            .driver
            .handle_input(&resp[..10], w.t0, 0, true, &w.budget, &mut p);
        assert_eq!(full, Err(Cause::Protocol));
        let mut w = world(FeedKind::MarketFeed);
        w.driver.on_connected(w.t0, false, "h", "/");
        resp.extend(frame(Opcode::Binary, b"first"));
        assert_eq!(w.input(&resp, &mut p), Ok(resp.len()));
        assert_eq!(p.binary.last().unwrap().0, b"first");
    }

    #[test]
    fn pings_are_answered_in_the_output() {
        let mut w = world(FeedKind::MarketFeed);
        let mut p = Recorder::default();
        w.go_live(&mut p);
        let n = w.driver.output().len();
        w.driver.consume_output(n);
        let ping = frame(Opcode::Ping, b"hb");
        assert_eq!(w.input(&ping, &mut p), Ok(ping.len()));
        assert_eq!(
            client_frames(w.driver.output()),
            [(Opcode::Pong, b"hb".to_vec())]
        );
    }

    #[test]
    fn dhan_codes_in_close_frames_stop_or_cool_off() {
        // 807 in the reason of a close frame: credentials, stopped, no deadline.
        let mut w = world(FeedKind::OrderUpdate);
        let mut p = Recorder::default();
        w.go_live(&mut p);
        w.events();
        let cause = w.input(&close_frame(4000, "disconnect 807"), &mut p);
        assert_eq!(cause, Err(Cause::Dhan(DisconnectCode(807))));
        w.driver
            .on_closed(w.t0, cause.unwrap_err(), &mut lock(&w.budget));
        assert_eq!(w.driver.stage(), Stage::Idle);
        assert_eq!(
            w.driver.poll_timeout(),
            None,
            "no retry with refused credentials"
        );
        assert!(w.events().contains(&SessionEvent::Error {
            error: SessionError::Credentials(Cause::Dhan(DisconnectCode(807)))
        }));
        // 805 as a close code: cool off, then retry.
        let mut w = world(FeedKind::MarketFeed);
        w.go_live(&mut p);
        let cause = w.input(&close_frame(805, ""), &mut p).unwrap_err();
        assert_eq!(cause, Cause::Dhan(DisconnectCode(805)));
        w.driver.on_closed(w.t0, cause, &mut lock(&w.budget));
        assert_eq!(w.driver.lc.phase(), Phase::CoolingOff);
        assert_eq!(
            w.driver.poll_timeout(),
            Some(w.t0 + LifecycleConfig::default().cool_off)
        );
        // A reason that only mentions such a number is a plain close.
        let mut w = world(FeedKind::MarketFeed);
        w.go_live(&mut p);
        assert_eq!(
            w.input(&close_frame(1001, "retry in 806 ms"), &mut p),
            Err(Cause::ServerClose(Some(1001)))
        );
        // A plain close: the server's, with its code.
        let mut w = world(FeedKind::MarketFeed);
        w.go_live(&mut p);
        assert_eq!(
            w.input(&close_frame(1001, "going away"), &mut p),
            Err(Cause::ServerClose(Some(1001)))
        );
    }

    #[test]
    fn a_disconnect_packet_ends_after_the_messages_before_it() {
        let mut w = world(FeedKind::MarketFeed);
        let mut p = Recorder {
            end_on: Some(b"bye".to_vec()),
            ..Recorder::default()
        };
        w.go_live(&mut p);
        let mut bytes = frame(Opcode::Binary, b"bye");
        bytes.extend(frame(Opcode::Binary, b"after"));
        assert_eq!(
            w.input(&bytes, &mut p),
            Err(Cause::Dhan(DisconnectCode(805)))
        );
        assert_eq!(p.binary.len(), 2, "the rest of the input still handed over");
    }

    #[test]
    fn refused_upgrades_and_bad_frames_are_causes() {
        let mut w = world(FeedKind::MarketFeed);
        let mut p = Recorder::default();
        w.driver.on_connected(w.t0, false, "h", "/");
        let cause = w
            .input(b"HTTP/1.1 429 Too Many Requests\r\n\r\n", &mut p)
            .unwrap_err();
        assert_eq!(cause, Cause::Http(429));
        w.driver.on_closed(w.t0, cause, &mut lock(&w.budget));
        assert_eq!(w.driver.lc.phase(), Phase::CoolingOff);
        // A masked server frame breaks RFC 6455.
        let mut w = world(FeedKind::MarketFeed);
        w.go_live(&mut p);
        let mut bad = frame(Opcode::Binary, b"x");
        bad[1] |= 0x80;
        bad.splice(2..2, [1, 2, 3, 4]);
        assert_eq!(w.input(&bad, &mut p), Err(Cause::Protocol));
    }

    #[test]
    fn the_goodbye_is_a_disconnect_request_then_a_close_frame() {
        let mut w = world(FeedKind::MarketFeed);
        let mut p = Recorder::default();
        w.driver.goodbye("not live: nothing");
        assert!(!w.driver.wants_write());
        w.go_live(&mut p);
        let n = w.driver.output().len();
        w.driver.consume_output(n);
        w.driver.goodbye("client stopping");
        let frames = client_frames(w.driver.output());
        assert_eq!(frames[0], (Opcode::Text, br#"{"RequestCode":12}"#.to_vec()));
        assert_eq!(frames[1].0, Opcode::Close);
        assert_eq!(&frames[1].1[..2], &1000u16.to_be_bytes());
        // The order feed has no disconnect request; after the server's close
        // (answered) nothing more is sent.
        let mut w = world(FeedKind::OrderUpdate);
        w.go_live(&mut p);
        let n = w.driver.output().len();
        w.driver.consume_output(n);
        w.driver.goodbye("client stopping");
        let frames = client_frames(w.driver.output());
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].0, Opcode::Close);
    }

    #[test]
    fn a_dhan_code_is_found_in_a_close_reason_and_nothing_else_is() {
        assert_eq!(dhan_code_in(b"disconnect 807"), Some(807));
        assert_eq!(dhan_code_in(b"805: too many connections"), Some(805));
        assert_eq!(dhan_code_in(b"807"), Some(807));
        assert_eq!(dhan_code_in(b"Error: 809 invalid token"), Some(809));
        assert_eq!(dhan_code_in(b"code 8070"), None);
        assert_eq!(dhan_code_in(b"going away 1001"), None);
        assert_eq!(dhan_code_in(b""), None);
        // A number in the text is not a code.
        assert_eq!(dhan_code_in(b"retry in 806 ms"), None);
        assert_eq!(dhan_code_in(b"server restart, back in 810 s"), None);
    }

    #[test]
    fn a_quiet_feed_is_pinged_then_declared_stale_on_the_virtual_clock() {
        let mut w = world(FeedKind::MarketFeed);
        let mut p = Recorder::default();
        w.go_live(&mut p);
        let n = w.driver.output().len();
        w.driver.consume_output(n);
        let cfg = LifecycleConfig::default();
        let t1 = w.t0 + Duration::from_secs(5);
        w.driver.on_bytes(t1, &mut p);
        assert_eq!(p.reads, 1);
        // Nothing heard for `ping_after`: the client pings.
        let due = w.driver.poll_timeout().expect("a deadline");
        assert_eq!(due, t1 + cfg.ping_after);
        assert_eq!(
            w.driver.handle_timeout(due, &mut lock(&w.budget)),
            Some(Action::Ping)
        );
        w.driver.ping();
        assert_eq!(
            client_frames(w.driver.output()),
            [(Opcode::Ping, Vec::new())]
        );
        // The pong is a frame: the clock starts again, and the next ping is due
        // `ping_after` after it.
        let t2 = due + Duration::from_secs(1);
        w.driver.on_bytes(t2, &mut p);
        assert_eq!(w.driver.poll_timeout(), Some(t2 + cfg.ping_after));
        // No answer to the next ping: stale at `stale_after` after the last frame.
        let due = w.driver.poll_timeout().unwrap();
        assert_eq!(
            w.driver.handle_timeout(due, &mut lock(&w.budget)),
            Some(Action::Ping)
        );
        assert_eq!(w.driver.poll_timeout(), Some(t2 + cfg.stale_after));
        let action = w
            .driver
            .handle_timeout(t2 + cfg.stale_after, &mut lock(&w.budget));
        assert!(
            matches!(action, Some(Action::Close(Cause::Stale))),
            "{action:?}"
        );
    }
}
