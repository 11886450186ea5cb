//! A property checker for one connection's protocol, `Driver`, the way the
//! engine's `Link` drives it: a byte string is read as a sequence of operations
//! (time passes, TCP and TLS come up, the server sends an upgrade response,
//! frames, pings, close frames with Dhan's codes in the code or the reason, Dhan's
//! disconnect packets such as 804, raw bytes; reads arrive whole or in pieces;
//! the socket fails; the user subscribes, unsubscribes, restarts or stops), over
//! three drivers sharing one `Budget`: two market feeds whose `Proto`
//! subscribes like the market shard (and drops the instruments a 804 refers to),
//! and the order feed (a login, and a refused login on a quick 1008 close). A
//! model server reads what each client writes (the upgrade request, then masked
//! frames, unmasked and parsed) and the invariants are checked after every step.
//! The fuzz target `driver` and the test suite feed it.
//!
//! Invariants:
//! - nothing is sent after our close frame (neither a frame nor a byte);
//! - the upgrade request comes first and names the key; client frames are masked,
//!   final, and come only after the server answered the upgrade; the order feed
//!   sends its login once per connection and nothing else, a market feed only
//!   subscription requests of at most 100 instruments and the disconnect request;
//! - the goodbye of a live market feed is the disconnect request then a close;
//! - while a connection is open (its phase neither idle nor stopped)
//!   `poll_timeout` returns a deadline; a socket exists exactly in the phases that
//!   have one; nothing is queued while the TCP connection is being opened;
//! - no busy loop: `handle_timeout` returns a handful of actions at most, and then
//!   the deadline is later than now;
//! - every reconnect delay within `[0, cap]` (or exactly the cool-off); no
//!   connection attempt after a credential failure until new credentials;
//! - the budget holds (the lifecycle checker's invariants): never more held
//!   connections of a kind than its limit, the budget's counts equal the
//!   machines' slots, at most one opening pending;
//! - while live (and everything written), the server's subscriptions equal the
//!   desired set and hold no refused instrument; when a connection comes back
//!   after a drop with no user change in between, the server's subscriptions are
//!   the desired set before the drop minus the instruments refused since;
//!   `Reconnected { resubscribed }` is what the feed resent. A frame that finds
//!   no room in the output (`WsLimits::max_output`: the server stopped reading)
//!   is not queued, so the requests after it would leave the server with another
//!   set: as `Link` does, the connection is then dropped (`Cause::OutputFull`)
//!   before it is checked, and the next one must restore the whole set.
//!
//! Nothing at all may follow our close frame, a pong included: the target found
//! a ping behind the server's close frame, in the same read, answered after our
//! close frame (RFC 6455 §5.5.2: "unless it already received a Close frame");
//! `ws::client` no longer does, and `seeds/findings/driver-pong-after-close`
//! keeps the input.
//!
//! It also found a defect of this model, not of the product:
//! `seeds/findings/driver-desired-set` (after ~7 M runs) writes one byte per
//! step while the user subscribes 101 instruments at a time, until a request
//! does not fit in the 64 KiB output and is refused (`output_overflowed`). The
//! model kept that connection live, unlike `Link::on_timer` and
//! `Link::on_ready`, which drop it, and once the output drained the server
//! lacked the refused request: "live with subscriptions other than the desired
//! set". The model now drops the connection for `OutputFull` as `Link` does,
//! and the same invariants hold of the reconnect.

use super::budget::{Budget, BudgetConfig};
use super::check::Violation;
use super::driver::{Driver, Proto, Stage, lock};
use super::lifecycle::{
    Action, Cause, Lifecycle, LifecycleConfig, Phase, SessionError, SessionEvent,
};
use super::subs::Plan;
use crate::proto::disconnect::DisconnectCode;
use crate::proto::endpoint::FeedKind;
use crate::proto::json::TapeParser;
use crate::proto::market::{Disconnect, Ltt, MarketPacket, packets};
use crate::proto::market_encode::{encode_packet, ticker};
use crate::proto::request::{DISCONNECT_REQUEST, FeedMode, MAX_INSTRUMENTS_PER_MESSAGE};
use crate::proto::request_parse::parse_request;
use crate::proto::segment::{ExchangeSegment, InstrumentId};
use crate::ws::client::{WsClient, WsLimits};
use crate::ws::frame::{Opcode, apply_mask, parse_header, push_server_frame};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Instruments the market feeds choose from (security ids `0..U` on NSE_EQ).
const U: usize = 256;
/// Operations read from one input at most (longer inputs add nothing).
pub const MAX_STEPS: usize = 128;
/// The read buffer: a response head or frames this large with nothing consumed
/// is "full".
const RBUF: usize = 4096;
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const LOGIN: &[u8] = br#"{"LoginReq":{"MsgCode":42,"ClientId":"1","Token":"t"},"UserType":"SELF"}"#;
const KINDS: [FeedKind; 3] = [
    FeedKind::MarketFeed,
    FeedKind::MarketFeed,
    FeedKind::OrderUpdate,
];
const LIMITS: WsLimits = WsLimits {
    max_frame: 1024,
    max_message: 2048,
    max_output: 64 * 1024,
};
/// Codes of disconnect packets (804 weighted: it refuses instruments).
const PACKET_CODES: [u16; 8] = [804, 804, 805, 807, 800, 810, 814, 899];
/// Close codes (`None`: an empty close payload).
const CLOSE_CODES: [Option<u16>; 12] = [
    Some(1000),
    Some(1001),
    Some(1008),
    Some(1011),
    Some(4000),
    Some(804),
    Some(805),
    Some(807),
    Some(810),
    Some(899),
    Some(900),
    None,
];
const REASONS: [&str; 6] = [
    "",
    "disconnect 807",
    "805: too many connections",
    "retry in 806 ms",
    "code 804",
    "Error: 809 invalid token",
];

/// A deliberate defect, for the tests that prove the checker notices one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // the faults are used by the tests only
pub(crate) enum Fault {
    /// None: the real behaviour.
    None,
    /// The user's subscription changes are sent even after our goodbye.
    SendAfterGoodbye,
    /// A market feed does not resubscribe on a new connection.
    NoResubscribe,
    /// A 804 refuses the instruments but leaves them desired.
    KeepRefused,
}

/// Totals of one run (so a test can check the run exercised something).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Operations applied.
    pub steps: usize,
    /// Connections started.
    pub connects: usize,
    /// Connections that went live.
    pub lives: usize,
    /// Connections that went live again after a drop.
    pub reconnects: usize,
    /// Reconnects checked against the subscriptions before the drop.
    pub resubscriptions_checked: usize,
    /// 804s that refused instruments, and the instruments refused.
    pub refusals: usize,
    /// Instruments refused.
    pub refused: usize,
    /// Credential failures.
    pub fatal: usize,
    /// Our close frames the server read.
    pub closes: usize,
    /// Subscription requests the server read.
    pub requests: usize,
    /// Pongs after our close frame (the known defect; see the module docs).
    pub pongs_after_close: usize,
    /// Connections dropped because a frame found no room in the output
    /// (`Cause::OutputFull`: the server stopped reading).
    pub output_full: usize,
}

/// What a market feed's server or user asked for: 0 for nothing, else the mode's
/// index plus one.
fn mode_of(v: u8) -> Option<FeedMode> {
    (v > 0).then(|| FeedMode::ALL[usize::from(v - 1) % 3])
}

fn code_of(m: FeedMode) -> u8 {
    match m {
        FeedMode::Ticker => 1,
        FeedMode::Quote => 2,
        FeedMode::Full => 3,
    }
}

fn id_of(k: usize) -> InstrumentId {
    InstrumentId::new(ExchangeSegment::NseEq, k as u32)
}

/// The market shard's subscription logic, on a universe of `U` instruments.
struct Market {
    /// What the user wants (the routes' richest mode), per instrument.
    desired: [u8; U],
    /// What this connection's server was asked for.
    wire: [u8; U],
    sent_before: [bool; U],
    refused: [bool; U],
    dirty: Vec<u16>,
    last_added: Vec<u16>,
    last_resent: Vec<u16>,
    plan: Plan,
    scratch: Vec<u8>,
    /// What the latest `on_upgraded` returned.
    resent: u32,
    fault: Fault,
}

impl Market {
    fn new(fault: Fault) -> Box<Self> {
        Box::new(Self {
            desired: [0; U],
            wire: [0; U],
            sent_before: [false; U],
            refused: [false; U],
            dirty: Vec::new(),
            last_added: Vec::new(),
            last_resent: Vec::new(),
            plan: Plan::new(),
            scratch: Vec::new(),
            resent: 0,
            fault,
        })
    }

    /// As `Market::send` in the shard: pending changes, unsubscribes first.
    fn send(&mut self, ws: &mut WsClient) {
        if self.dirty.is_empty() && self.plan.is_empty() {
            return;
        }
        self.dirty.sort_unstable();
        self.dirty.dedup();
        let mut added = false;
        for k in self.dirty.drain(..) {
            let i = usize::from(k);
            let want = self.desired[i];
            if self.wire[i] == 0 && want != 0 {
                if !added {
                    self.last_added.clear();
                    self.last_resent.clear();
                    added = true;
                }
                if self.sent_before[i] {
                    self.last_resent.push(k);
                } else {
                    self.last_added.push(k);
                }
            }
            self.sent_before[i] |= want != 0;
            self.plan
                .push(id_of(i), mode_of(self.wire[i]), mode_of(want));
            self.wire[i] = want;
        }
        let _ = self.plan.send(&mut self.scratch, |m| ws.send_text(m));
    }

    /// As `Shard::drop_over_limit`: the instruments first subscribed in the
    /// latest burst, else the last 100 resent, are refused. Returns how many.
    fn drop_over_limit(&mut self) -> usize {
        let mut dropped = std::mem::take(&mut self.last_added);
        if dropped.is_empty() {
            let tail = self
                .last_resent
                .len()
                .saturating_sub(MAX_INSTRUMENTS_PER_MESSAGE);
            dropped.extend_from_slice(&self.last_resent[tail..]);
        }
        self.last_resent.clear();
        for &k in &dropped {
            let i = usize::from(k);
            if self.desired[i] != 0 {
                self.refused[i] = true;
                if self.fault != Fault::KeepRefused {
                    self.desired[i] = 0;
                    self.sent_before[i] = false;
                }
            }
        }
        let n = dropped.len();
        dropped.clear();
        self.last_added = dropped;
        n
    }

    fn count(&self) -> usize {
        self.desired.iter().filter(|&&m| m != 0).count()
    }
}

/// The order feed's login logic.
struct Order {
    accepted: bool,
}

enum Feed {
    Market(Box<Market>),
    Order(Order),
}

impl Proto for Feed {
    fn on_upgraded(&mut self, ws: &mut WsClient) -> u32 {
        match self {
            Feed::Market(m) => {
                m.wire = [0; U];
                m.dirty.clear();
                m.dirty
                    .extend((0..U as u16).filter(|&k| m.desired[usize::from(k)] != 0));
                let resent = m.dirty.len() as u32;
                if m.fault == Fault::NoResubscribe {
                    m.dirty.clear();
                }
                m.send(ws);
                m.resent = resent;
                resent
            }
            Feed::Order(o) => {
                o.accepted = false;
                ws.send_text(LOGIN);
                1
            }
        }
    }

    fn on_binary(&mut self, msg: &[u8], _recv_ns: u64) -> Option<Cause> {
        match self {
            Feed::Market(_) => packets(msg)
                .filter_map(|p| match p {
                    Ok(MarketPacket::Disconnect(d)) => Some(Cause::Dhan(d.reason)),
                    _ => None,
                })
                .last(),
            Feed::Order(o) => {
                o.accepted = true;
                None
            }
        }
    }

    fn on_text(&mut self, _msg: &[u8], _recv_ns: u64) -> Option<Cause> {
        if let Feed::Order(o) = self {
            o.accepted = true;
        }
        None
    }

    fn close_cause(&self, code: Option<u16>, live_for: Duration) -> Option<Cause> {
        match self {
            Feed::Order(o) => {
                (code == Some(1008) && !o.accepted && live_for < Duration::from_secs(3))
                    .then_some(Cause::LoginRefused)
            }
            Feed::Market(_) => None,
        }
    }
}

/// The model server's side of one socket: it reads what the client writes.
struct Server {
    /// Client bytes not yet parsed (part of the head or of a frame).
    pending: Vec<u8>,
    /// The upgrade request was read.
    head: bool,
    /// The server queued a `101` answer.
    answered: bool,
    /// Our close frame was read.
    close_seen: bool,
    /// The frame before our close was the disconnect request.
    disconnect_then_close: bool,
    last_was_disconnect: bool,
    logins: u32,
    subs: [u8; U],
    /// A request changed `subs` since the last comparison.
    changed: bool,
    payload: Vec<u8>,
    ids: Vec<u32>,
}

impl Server {
    fn new() -> Box<Self> {
        Box::new(Self {
            pending: Vec::new(),
            head: false,
            answered: false,
            close_seen: false,
            disconnect_then_close: false,
            last_was_disconnect: false,
            logins: 0,
            subs: [0; U],
            changed: false,
            payload: Vec::new(),
            ids: Vec::new(),
        })
    }
}

/// Reads the client's `bytes` into `s`: the head, then frames.
fn server_read(
    s: &mut Server,
    bytes: &[u8],
    kind: FeedKind,
    strict: bool,
    parser: &mut TapeParser,
    totals: &mut Totals,
) -> Result<(), String> {
    if s.close_seen && !bytes.is_empty() {
        // The one exception (see the module docs): a pong, checked below.
        if strict || !is_pong(bytes) {
            return Err(format!("{} bytes sent after our close frame", bytes.len()));
        }
        totals.pongs_after_close += 1;
        return Ok(());
    }
    s.pending.extend_from_slice(bytes);
    let mut at = 0;
    if !s.head {
        let want = expected_head();
        let n = want.len().min(s.pending.len());
        if s.pending[..n] != want[..n] {
            return Err("the first bytes are not the expected upgrade request".into());
        }
        if n < want.len() {
            return Ok(());
        }
        s.head = true;
        at = n;
    }
    loop {
        let rest = &s.pending[at..];
        if rest.is_empty() {
            break;
        }
        if s.close_seen {
            if !strict && is_pong(rest) {
                totals.pongs_after_close += 1;
                break;
            }
            return Err(format!("{} bytes sent after our close frame", rest.len()));
        }
        let h = match parse_header(rest) {
            Ok(Some(h)) => h,
            Ok(None) => break,
            Err(e) => return Err(format!("client frame: {e}")),
        };
        let total = h.header_len + h.payload_len as usize;
        if rest.len() < total {
            break;
        }
        let Some(mask) = h.mask else {
            return Err("unmasked client frame".into());
        };
        if !h.fin {
            return Err("fragmented client frame".into());
        }
        if !s.answered {
            return Err("a frame before the server answered the upgrade".into());
        }
        s.payload.clear();
        s.payload.extend_from_slice(&rest[h.header_len..total]);
        apply_mask(&mut s.payload, mask, 0);
        at += total;
        let was_disconnect = std::mem::take(&mut s.last_was_disconnect);
        match h.opcode {
            Opcode::Text if kind == FeedKind::OrderUpdate => {
                if s.payload != LOGIN {
                    return Err("the order feed sent a text other than its login".into());
                }
                s.logins += 1;
                if s.logins > 1 {
                    return Err("the order feed logged in twice on one connection".into());
                }
            }
            Opcode::Text if s.payload == DISCONNECT_REQUEST => s.last_was_disconnect = true,
            Opcode::Text => {
                totals.requests += 1;
                let (code, ids) = match read_request(&s.payload, &mut s.ids) {
                    Some(code) => (code, &s.ids[..]),
                    None => {
                        // Not in the encoder's exact layout: the general parser.
                        let req = parse_request(parser, &s.payload)
                            .map_err(|e| format!("request: {e}"))?;
                        s.ids.clear();
                        for id in &req.instruments {
                            if id.segment != ExchangeSegment::NseEq {
                                return Err(format!("request names an unknown instrument {id:?}"));
                            }
                            s.ids.push(id.security_id);
                        }
                        (req.code, &s.ids[..])
                    }
                };
                if ids.len() > MAX_INSTRUMENTS_PER_MESSAGE {
                    return Err(format!("{} instruments in one request", ids.len()));
                }
                let (mode, sub) = u8::try_from(code)
                    .ok()
                    .and_then(FeedMode::from_request_code)
                    .ok_or_else(|| format!("bad request code {code}"))?;
                s.changed = true;
                for &k in ids {
                    let k = k as usize;
                    if k >= U {
                        return Err(format!("request names an unknown instrument {k}"));
                    }
                    if sub {
                        s.subs[k] = code_of(mode);
                    } else if s.subs[k] == code_of(mode) {
                        s.subs[k] = 0;
                    }
                }
            }
            Opcode::Close => {
                s.close_seen = true;
                s.disconnect_then_close = was_disconnect;
                totals.closes += 1;
            }
            Opcode::Ping | Opcode::Pong => {}
            op => return Err(format!("the client sent a {op:?} frame")),
        }
    }
    s.pending.drain(..at);
    Ok(())
}

const HOST: &str = "api-feed.dhan.co";
const TARGET: &str = "/?version=2&token=t&clientId=1&authType=2";

/// The upgrade request the driver must send (the key and the user agent
/// included), made once.
fn expected_head() -> &'static [u8] {
    static HEAD: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    HEAD.get_or_init(|| crate::ws::handshake::request(HOST, TARGET, KEY, "dhan-feed"))
}

/// Reads a request in exactly the layout `encode_list` writes, NSE_EQ
/// instruments only, into `ids`; returns its code, or `None` (then the general
/// parser reads it). As exact as the parser, and a fraction of its instrumented
/// work: most of a fuzz run is the requests of hundreds of instruments.
fn read_request(mut m: &[u8], ids: &mut Vec<u32>) -> Option<u16> {
    fn number(m: &mut &[u8]) -> Option<u32> {
        let n = m.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 9 || (n > 1 && m[0] == b'0') {
            return None;
        }
        let v = m[..n]
            .iter()
            .fold(0u32, |v, &d| v * 10 + u32::from(d - b'0'));
        *m = &m[n..];
        Some(v)
    }
    ids.clear();
    m = m.strip_prefix(b"{\"RequestCode\":")?;
    let code = u16::try_from(number(&mut m)?).ok()?;
    m = m.strip_prefix(b",\"InstrumentCount\":")?;
    let count = number(&mut m)? as usize;
    m = m.strip_prefix(b",\"InstrumentList\":[")?;
    loop {
        m = m.strip_prefix(b"{\"ExchangeSegment\":\"NSE_EQ\",\"SecurityId\":\"")?;
        ids.push(number(&mut m)?);
        m = m.strip_prefix(b"\"}")?;
        match m.split_first()? {
            (b',', rest) => m = rest,
            (b']', rest) if rest == b"}" => break,
            _ => return None,
        }
    }
    (ids.len() == count).then_some(code)
}

/// Whether `bytes` are whole masked pong frames and nothing else.
fn is_pong(mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        let Ok(Some(h)) = parse_header(bytes) else {
            return false;
        };
        let total = h.header_len + h.payload_len as usize;
        if h.opcode != Opcode::Pong || bytes.len() < total {
            return false;
        }
        bytes = &bytes[total..];
    }
    true
}

/// One driver, its feed, its socket (if any) and the server at the other end.
struct Conn {
    driver: Driver,
    feed: Feed,
    socket: bool,
    tls: bool,
    wanted: bool,
    /// A credential failure happened and no new credentials came since.
    fatal: bool,
    server: Box<Server>,
    /// Server bytes not yet read by the client, and read but not consumed.
    inbox: Vec<u8>,
    rbuf: Vec<u8>,
    /// Bytes written per flush, while the network is slow.
    write_limit: Option<usize>,
    /// The desired set when the latest live connection dropped (market feeds),
    /// and whether the user changed anything since.
    at_drop: Option<Box<[u8; U]>>,
    changed: bool,
    /// A reconnect whose subscriptions are still to be checked.
    check_resubscribed: bool,
    /// Instruments the feed resent on its latest upgrade, as the event reports.
    reported: Option<u32>,
    /// The desired set changed or the connection went live: compare the
    /// server's subscriptions once everything is written.
    verify: bool,
}

struct Harness {
    now: Instant,
    budget: Mutex<Budget>,
    conns: Vec<Conn>,
    parser: TapeParser,
    frame: Vec<u8>,
    totals: Totals,
    strict: bool,
    fault: Fault,
}

/// Runs the operations encoded in `ops` (up to [`MAX_STEPS`]) and checks the
/// invariants after each.
pub fn run(ops: &[u8]) -> Result<Totals, Violation> {
    run_with(ops, true, Fault::None)
}

pub(crate) fn run_with(ops: &[u8], strict: bool, fault: Fault) -> Result<Totals, Violation> {
    let cfg = LifecycleConfig {
        seed: Some(7),
        ..LifecycleConfig::default()
    };
    let mut h = Harness {
        now: Instant::now(),
        budget: Mutex::new(Budget::new(BudgetConfig {
            per_kind: 1,
            order_updates: 1,
            gap: Duration::from_millis(250),
            full_retry: Duration::from_secs(1),
        })),
        conns: Vec::with_capacity(KINDS.len()),
        parser: PARSER.take(),
        frame: Vec::new(),
        totals: Totals::default(),
        strict,
        fault,
    };
    for (i, &kind) in KINDS.iter().enumerate() {
        let feed = match kind {
            FeedKind::OrderUpdate => Feed::Order(Order { accepted: false }),
            _ => Feed::Market(Market::new(fault)),
        };
        h.conns.push(Conn {
            driver: Driver::new(Lifecycle::new(kind, cfg, i as u64), LIMITS),
            feed,
            socket: false,
            tls: false,
            wanted: false,
            fatal: false,
            server: Server::new(),
            inbox: Vec::new(),
            rbuf: Vec::new(),
            write_limit: None,
            at_drop: None,
            changed: false,
            check_resubscribed: false,
            reported: None,
            verify: false,
        });
    }
    let mut step = 0;
    let mut at = 0;
    while at < ops.len() && step < MAX_STEPS {
        let op = ops[at];
        let arg = ops.get(at + 1).copied().unwrap_or(0);
        at += 2;
        let fail = |what| Violation { step, what };
        let raw = h.apply(op, arg, &ops[at.min(ops.len())..]).map_err(fail)?;
        at += raw;
        h.engine_turn().map_err(fail)?;
        #[cfg(test)]
        trace::step(&h, step, op, arg);
        h.check().map_err(fail)?;
        step += 1;
    }
    h.totals.steps = step;
    PARSER.set(std::mem::take(&mut h.parser));
    Ok(h.totals)
}

thread_local! {
    /// The server's request parser, kept from run to run: its buffers are the
    /// largest allocation of a run.
    static PARSER: std::cell::Cell<TapeParser> = std::cell::Cell::new(TapeParser::new());
}

impl Harness {
    /// Applies one operation; returns how many bytes of `rest` it took as raw
    /// server bytes.
    fn apply(&mut self, op: u8, arg: u8, rest: &[u8]) -> Result<usize, String> {
        let i = usize::from(arg & 0x7f) % 3;
        let v = usize::from(arg & 0x7f) / 3;
        let hold = arg & 0x80 != 0;
        let now = self.now;
        match op % 18 {
            // Time passes: from 1 ms to about 65 s, skewed to short steps.
            0 => self.now += Duration::from_millis(u64::from(arg).pow(2) + 1),
            1 => {
                let c = &mut self.conns[i];
                if c.socket && c.driver.stage() == Stage::Connecting {
                    c.tls = hold;
                    c.driver.on_connected(now, c.tls, HOST, TARGET);
                }
            }
            2 => self.conns[i].driver.on_tls_established(),
            3 => {
                let c = &mut self.conns[i];
                if c.socket {
                    c.server.answered |= upgrade_response(v, &mut c.inbox);
                    if !hold {
                        return self.deliver(i, usize::MAX).map(|()| 0);
                    }
                }
            }
            4..=8 => {
                let c = &mut self.conns[i];
                if c.socket {
                    self.frame.clear();
                    match op % 18 {
                        4 => market_message(v, &mut self.frame),
                        5 => {
                            let text: &[u8] =
                                [&b"{}"[..], b"{\"Type\":\"order_alert\"}", b"x"][v % 3];
                            push_server_frame(true, Opcode::Text, text, &mut self.frame);
                        }
                        6 => {
                            let payload = &b"heartbeat"[..v % 10];
                            let op = if v % 4 == 3 {
                                Opcode::Pong
                            } else {
                                Opcode::Ping
                            };
                            push_server_frame(true, op, payload, &mut self.frame);
                        }
                        7 => close_frame(v, &mut self.frame),
                        _ => bad_frame(v, &mut self.frame),
                    }
                    c.inbox.extend_from_slice(&self.frame);
                    if !hold {
                        return self.deliver(i, usize::MAX).map(|()| 0);
                    }
                }
            }
            9 => {
                // Raw bytes from the input, as the server's.
                let n = (v % 16).min(rest.len());
                let c = &mut self.conns[i];
                if c.socket {
                    c.inbox.extend_from_slice(&rest[..n]);
                    if !hold {
                        self.deliver(i, usize::MAX)?;
                    }
                }
                return Ok(n);
            }
            // A read returns only some of what the server sent.
            10 => return self.deliver(i, v * 4 + 1).map(|()| 0),
            11 => {
                if self.conns[i].socket {
                    let cause = if hold {
                        Cause::Eof
                    } else {
                        Cause::Io(std::io::ErrorKind::ConnectionReset)
                    };
                    self.drop_conn(i, cause)?;
                }
            }
            // 101 instruments for one in 8: their requests are most of a run's work.
            12 | 13 => self.user_subscribe(op % 18 == 12, i, v, hold && v / 3 % 4 == 0),
            14 => {
                // Link::close: the goodbye, the socket torn down, stopped.
                self.goodbye(i, "client stopping")?;
                let c = &mut self.conns[i];
                c.driver.lc.stop(now, &mut lock(&self.budget));
            }
            15 => {
                // Link::restart: new instruments on a depth feed, say.
                self.goodbye(i, "changing instruments")?;
                let c = &mut self.conns[i];
                c.driver.lc.restart(now, &mut lock(&self.budget));
            }
            16 => {
                let c = &mut self.conns[i];
                c.fatal = false;
                c.driver.lc.on_new_credentials(now);
            }
            _ => {
                let c = &mut self.conns[i];
                c.write_limit = match c.write_limit {
                    None => Some(v + 1),
                    Some(_) => None,
                };
            }
        }
        Ok(0)
    }

    /// The user (un)subscribes 3 instruments, or 101 if `many` (two requests), on a market
    /// feed (mode `v % 3`, from `v / 3 * 37`); a live connection sends the change
    /// at once. On the order feed: wants it, or not.
    fn user_subscribe(&mut self, subscribe: bool, i: usize, v: usize, many: bool) {
        let mode = FeedMode::ALL[v % 3];
        let first = v / 3 * 37;
        let count = if many { 101 } else { 3 };
        let c = &mut self.conns[i];
        let Feed::Market(m) = &mut c.feed else {
            c.wanted = subscribe;
            c.driver.lc.set_wanted(self.now, c.wanted);
            return;
        };
        for k in first..first + count {
            let k = k % U;
            if subscribe {
                m.desired[k] = code_of(mode);
                m.refused[k] = false;
            } else {
                m.desired[k] = 0;
                m.sent_before[k] = false;
            }
            m.dirty.push(k as u16);
        }
        // The reconnect's set is no longer the one before the drop.
        c.changed = true;
        c.check_resubscribed = false;
        c.verify = true;
        c.wanted = m.count() > 0;
        c.driver.lc.set_wanted(self.now, c.wanted);
        if let Some(ws) = c.driver.live_ws() {
            m.send(ws);
        }
    }

    /// The engine's goodbye before a teardown.
    fn goodbye(&mut self, i: usize, reason: &str) -> Result<(), String> {
        let c = &mut self.conns[i];
        if !c.socket {
            return Ok(());
        }
        let said = c.driver.stage() == Stage::Live
            && c.driver.live_ws().is_some_and(|ws| !ws.close_sent());
        c.driver.goodbye(reason);
        if self.fault == Fault::SendAfterGoodbye
            && let (Feed::Market(m), Some(ws)) = (&mut c.feed, c.driver.live_ws())
        {
            // Resends everything desired, after the close frame.
            m.wire = [0; U];
            m.dirty
                .extend((0..U as u16).filter(|&k| m.desired[usize::from(k)] != 0));
            m.send(ws);
        }
        self.teardown(i)?;
        let c = &self.conns[i];
        if said && c.driver.lc.kind() == FeedKind::MarketFeed && !c.server.disconnect_then_close {
            return Err(
                "a market feed's goodbye is not the disconnect request then a close".into(),
            );
        }
        Ok(())
    }

    /// Link::drive for connection `i`: up to `max` of the server's bytes are read
    /// and handed to the driver.
    fn deliver(&mut self, i: usize, max: usize) -> Result<(), String> {
        let now = self.now;
        let c = &mut self.conns[i];
        if !c.socket || c.driver.stage() == Stage::Connecting {
            return Ok(());
        }
        let n = max.min(c.inbox.len()).min(RBUF - c.rbuf.len());
        if n == 0 {
            return Ok(());
        }
        // Plaintext after TLS: the handshake is done.
        c.driver.on_tls_established();
        c.rbuf.extend(c.inbox.drain(..n));
        c.driver.on_bytes(now, &mut c.feed);
        let full = c.rbuf.len() == RBUF;
        let recv_ns = self.totals.steps as u64;
        match c
            .driver
            .handle_input(&c.rbuf, now, recv_ns, full, &self.budget, &mut c.feed)
        {
            Ok(used) => {
                if used > c.rbuf.len() {
                    return Err(format!("{used} bytes used of {}", c.rbuf.len()));
                }
                c.rbuf.drain(..used);
                Ok(())
            }
            Err(cause) => {
                self.drop_conn(i, cause)?;
                if cause == Cause::Dhan(DisconnectCode::INSTRUMENTS_EXCEED_LIMIT) {
                    let c = &mut self.conns[i];
                    if let Feed::Market(m) = &mut c.feed {
                        let dropped = m.drop_over_limit();
                        self.totals.refusals += 1;
                        self.totals.refused += dropped;
                        c.driver.lc.report(SessionError::InstrumentLimit {
                            dropped: dropped as u32,
                        });
                        c.wanted = m.count() > 0;
                        c.verify = true;
                    }
                }
                Ok(())
            }
        }
    }

    /// Link::drop_conn: teardown, then the lifecycle hears why.
    fn drop_conn(&mut self, i: usize, cause: Cause) -> Result<(), String> {
        self.teardown(i)?;
        let c = &mut self.conns[i];
        c.driver.on_closed(self.now, cause, &mut lock(&self.budget));
        Ok(())
    }

    /// Link::teardown: what is queued is written, the socket closed.
    fn teardown(&mut self, i: usize) -> Result<(), String> {
        self.flush(i, true)?;
        let c = &mut self.conns[i];
        if !c.socket {
            return Ok(());
        }
        if c.driver.stage() == Stage::Live
            && let Feed::Market(m) = &c.feed
        {
            // Refusals count from here: the reconnect must restore this set
            // minus what a 804 refuses next.
            c.at_drop = Some(Box::new(m.desired));
            c.changed = false;
        }
        if c.driver.stage() == Stage::Live
            && let Feed::Market(m) = &mut c.feed
        {
            m.refused = [false; U];
        }
        c.socket = false;
        c.check_resubscribed = false;
        c.inbox.clear();
        c.rbuf.clear();
        c.driver.detach();
        Ok(())
    }

    /// Link::flush_out: output goes to the server (at most the write limit,
    /// unless `all`).
    fn flush(&mut self, i: usize, all: bool) -> Result<(), String> {
        let c = &mut self.conns[i];
        if !c.socket {
            if c.driver.wants_write() {
                return Err("output queued without a socket".into());
            }
            return Ok(());
        }
        if c.driver.stage() == Stage::Connecting {
            if c.driver.wants_write() {
                return Err("output queued before the TCP connection is up".into());
            }
            return Ok(());
        }
        let out = c.driver.output();
        let n = match c.write_limit {
            Some(l) if !all => l.min(out.len()),
            _ => out.len(),
        };
        let kind = c.driver.lc.kind();
        server_read(
            &mut c.server,
            &out[..n],
            kind,
            self.strict,
            &mut self.parser,
            &mut self.totals,
        )?;
        c.driver.consume_output(n);
        Ok(())
    }

    /// What the engine does every turn: timers (Link::on_timer), events, writes.
    fn engine_turn(&mut self) -> Result<(), String> {
        let now = self.now;
        for i in 0..self.conns.len() {
            let c = &mut self.conns[i];
            c.driver.lc.set_wanted(now, c.wanted);
            // Link::on_timer: a frame that found no room in the output (the
            // server stopped reading) left a hole in the request stream; the
            // connection goes, and the next one resubscribes everything.
            if c.socket && c.driver.output_overflowed() {
                self.totals.output_full += 1;
                self.drop_conn(i, Cause::OutputFull)?;
            }
            let mut turns = 0;
            loop {
                let c = &mut self.conns[i];
                let Some(action) = c.driver.handle_timeout(now, &mut lock(&self.budget)) else {
                    break;
                };
                turns += 1;
                if turns > 4 {
                    return Err("handle_timeout keeps returning actions".into());
                }
                match action {
                    Action::Connect => {
                        if c.fatal {
                            return Err("connection attempt after a credential failure".into());
                        }
                        if c.socket {
                            return Err("connect while a socket exists".into());
                        }
                        c.driver.start(KEY.to_owned());
                        c.server = Server::new();
                        c.socket = true;
                        self.totals.connects += 1;
                    }
                    Action::Ping => c.driver.ping(),
                    Action::Close(_) => self.teardown(i)?,
                }
            }
            let c = &mut self.conns[i];
            if let Some(t) = c.driver.poll_timeout()
                && t <= now
            {
                return Err(format!("busy loop: deadline {:?} not after now", now - t));
            }
            let cap = c.driver.lc.config().backoff_cap;
            let cool = c.driver.lc.config().cool_off;
            while let Some(ev) = c.driver.lc.poll_event() {
                match ev {
                    SessionEvent::Reconnecting { delay, .. } if delay > cap && delay != cool => {
                        return Err(format!("delay {delay:?} beyond the cap {cap:?}"));
                    }
                    SessionEvent::Connected => {
                        self.totals.lives += 1;
                        c.reported = None;
                        c.verify = true;
                    }
                    SessionEvent::Reconnected { resubscribed, .. } => {
                        self.totals.reconnects += 1;
                        c.reported = Some(resubscribed);
                        c.check_resubscribed = c.at_drop.is_some() && !c.changed;
                    }
                    SessionEvent::Error {
                        error: SessionError::Credentials(_),
                    } => {
                        self.totals.fatal += 1;
                        c.fatal = true;
                    }
                    _ => {}
                }
            }
            if let (Some(n), Feed::Market(m)) = (c.reported.take(), &c.feed)
                && n != m.resent
            {
                return Err(format!(
                    "Reconnected reports {n} resent, the feed sent {}",
                    m.resent
                ));
            }
            self.flush(i, false)?;
        }
        Ok(())
    }

    fn check(&mut self) -> Result<(), String> {
        let b = lock(&self.budget);
        for kind in [FeedKind::MarketFeed, FeedKind::OrderUpdate] {
            let held = self
                .conns
                .iter()
                .filter(|c| c.driver.lc.kind() == kind && c.driver.lc.holds_slot())
                .count();
            if held > b.limit(kind) {
                return Err(format!("{held} {kind:?} connections over the budget"));
            }
            if held != b.open(kind) {
                return Err(format!(
                    "budget counts {} {kind:?}, machines hold {held}",
                    b.open(kind)
                ));
            }
        }
        let pending = self
            .conns
            .iter()
            .filter(|c| c.driver.lc.is_pending())
            .count();
        if pending > 1 || pending != b.pending() {
            return Err(format!(
                "{pending} pending openings (budget {})",
                b.pending()
            ));
        }
        drop(b);
        for c in &mut self.conns {
            let phase = c.driver.lc.phase();
            if c.socket != phase.has_socket() || c.socket != (c.driver.stage() != Stage::Idle) {
                return Err(format!(
                    "socket {} in phase {phase:?}, stage {:?}",
                    c.socket,
                    c.driver.stage()
                ));
            }
            if !matches!(phase, Phase::Idle | Phase::Stopped) && c.driver.poll_timeout().is_none() {
                return Err(format!("no deadline in phase {phase:?}"));
            }
            let settled = phase == Phase::Live
                && !c.driver.wants_write()
                && !c.server.close_seen
                && (c.verify || c.server.changed);
            match &c.feed {
                Feed::Market(m) if settled => {
                    c.verify = false;
                    c.server.changed = false;
                    if c.server.subs != m.desired {
                        return Err("live with subscriptions other than the desired set".into());
                    }
                    if (0..U).any(|k| m.refused[k] && c.server.subs[k] != 0) {
                        return Err("a refused instrument is subscribed".into());
                    }
                    if c.check_resubscribed {
                        c.check_resubscribed = false;
                        let before = c.at_drop.as_deref().expect("checked on a reconnect");
                        for (k, (&was, &refused)) in before.iter().zip(&m.refused).enumerate() {
                            let want = if refused { 0 } else { was };
                            if c.server.subs[k] != want {
                                return Err(format!(
                                    "after the reconnect instrument {k} is {} on the server, {} before the drop",
                                    c.server.subs[k], want
                                ));
                            }
                        }
                        self.totals.resubscriptions_checked += 1;
                    }
                }
                Feed::Order(_) if settled => {
                    c.verify = false;
                    if c.server.logins != 1 {
                        return Err(format!("live after {} logins", c.server.logins));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Appends the server's answer to the upgrade, variant `v`; `true` if it is a
/// `101` that upgrades.
fn upgrade_response(v: usize, out: &mut Vec<u8>) -> bool {
    let (head, ok): (String, bool) = match v % 12 {
        0..=3 => (
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
            ),
            true,
        ),
        4 => (
            format!(
                "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\nsec-websocket-accept:  {ACCEPT} \r\n\r\n"
            ),
            true,
        ),
        5 => ("HTTP/1.1 429 Too Many Requests\r\n\r\n".into(), false),
        6 => ("HTTP/1.1 401 Unauthorized\r\n\r\n".into(), false),
        7 => ("HTTP/1.1 403 Forbidden\r\n\r\n".into(), false),
        8 => ("HTTP/1.1 500 Internal Server Error\r\n\r\n".into(), false),
        9 => (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n".into(),
            false,
        ),
        10 => (
            format!("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"),
            false,
        ),
        _ => ("SSH-2.0-OpenSSH\r\n\r\n".into(), false),
    };
    out.extend_from_slice(head.as_bytes());
    ok
}

/// A market-feed message (or messages), variant `v`: tickers, a disconnect
/// packet (804 among the codes), fragments with a ping between them, garbage.
fn market_message(v: usize, out: &mut Vec<u8>) {
    let mut msg = Vec::new();
    let id = id_of(v * 7 % U);
    let code = DisconnectCode(PACKET_CODES[(v / 8) % PACKET_CODES.len()]);
    let disconnect = MarketPacket::Disconnect(Disconnect {
        id: InstrumentId::new(ExchangeSegment::IdxI, 0),
        reason: code,
    });
    match v % 8 {
        0..=2 => {
            for n in 0..=v % 3 {
                encode_packet(&ticker(id_of((v + n) % U), 100.5, Ltt(1)), &mut msg);
            }
        }
        3 => encode_packet(&disconnect, &mut msg),
        4 => {
            encode_packet(&ticker(id, 1.0, Ltt(2)), &mut msg);
            encode_packet(&disconnect, &mut msg);
            encode_packet(&ticker(id, 2.0, Ltt(3)), &mut msg);
        }
        5 | 6 => {
            encode_packet(&ticker(id, 3.0, Ltt(4)), &mut msg);
            encode_packet(&disconnect, &mut msg);
            let (a, b) = msg.split_at(5);
            push_server_frame(false, Opcode::Binary, a, out);
            if v % 8 == 6 {
                push_server_frame(true, Opcode::Ping, b"mid", out);
            }
            push_server_frame(true, Opcode::Continuation, b, out);
            return;
        }
        _ => msg.extend_from_slice(&[0xff, 0, 3, 1, 2]),
    }
    push_server_frame(true, Opcode::Binary, &msg, out);
}

/// A close frame: a code (or none) and a reason that may name a Dhan code.
fn close_frame(v: usize, out: &mut Vec<u8>) {
    let mut p = Vec::new();
    match CLOSE_CODES[v % CLOSE_CODES.len()] {
        Some(code) => {
            p.extend_from_slice(&code.to_be_bytes());
            p.extend_from_slice(REASONS[(v / CLOSE_CODES.len()) % REASONS.len()].as_bytes());
        }
        None if v % 2 == 1 => p.push(3),
        None => {}
    }
    push_server_frame(true, Opcode::Close, &p, out);
}

/// A frame that breaks RFC 6455 or the limits.
fn bad_frame(v: usize, out: &mut Vec<u8>) {
    match v % 7 {
        0 => {
            // Masked.
            out.extend_from_slice(&[0x82, 0x81, 1, 2, 3, 4, 9]);
        }
        1 => out.extend_from_slice(&[0x83, 0]),
        2 => {
            // Longer than max_frame: the header alone says so.
            out.extend_from_slice(&[0x82, 126]);
            out.extend_from_slice(&2000u16.to_be_bytes());
        }
        3 => push_server_frame(true, Opcode::Continuation, b"x", out),
        4 => push_server_frame(false, Opcode::Ping, b"", out),
        5 => out.extend_from_slice(&[0xc2, 1, 0]),
        _ => {
            // A message over max_message in fragments within max_frame.
            let chunk = [7u8; 1000];
            push_server_frame(false, Opcode::Binary, &chunk, out);
            push_server_frame(false, Opcode::Continuation, &chunk, out);
            push_server_frame(true, Opcode::Continuation, &chunk, out);
        }
    }
}

/// Scripted sessions (seeds for the fuzz target). Operations are (op, arg)
/// byte pairs; `op % 18`: 0 time (`arg² + 1` ms), 1 TCP up, 2 TLS up, 3 upgrade
/// response, 4 market message, 5 text, 6 ping/pong, 7 close frame, 8 bad frame,
/// 9 raw bytes, 10 partial read, 11 socket error, 12/13 (un)subscribe, 14 stop,
/// 15 restart, 16 new credentials, 17 slow writes. For server operations the
/// connection is `arg % 3`, the variant `(arg & 0x7f) / 3`, and `arg & 0x80`
/// holds the bytes back for a later (partial) read.
pub const SEEDS: &[&[u8]] = &[
    // 101 instruments on market feed 0; live; a tick; a socket error; live again.
    &[
        12, 0x83, 0, 1, 1, 0, 3, 0, 4, 0, 11, 0, 0, 20, 1, 0, 3, 0, 4, 3, 0, 20,
    ],
    // 3 instruments, live, 101 more; a 804 disconnect packet refuses the 101;
    // live again with the first 3.
    &[
        12, 0, 0, 1, 1, 0, 3, 0, 12, 0xaa, 4, 9, 0, 20, 1, 0, 3, 0, 4, 0,
    ],
    // The order feed: login refused (1008 at once), new credentials, a message,
    // 807 in a close reason, new credentials, live again.
    &[
        12, 2, 0, 1, 1, 2, 3, 2, 7, 8, 16, 2, 0, 20, 1, 2, 3, 2, 5, 2, 7, 44, 0, 20, 16, 2, 0, 20,
        1, 2, 3, 2,
    ],
    // TLS; the upgrade response read in pieces; a ping; slow writes of 101
    // instruments; a restart (the goodbye); live again.
    &[
        12, 3, 0, 1, 1, 0x80, 2, 0, 3, 0x80, 10, 3, 10, 30, 10, 126, 6, 0, 17, 0, 12, 0xa7, 0, 2,
        17, 0, 15, 0, 0, 20, 1, 0, 3, 0,
    ],
    // 805 in the close code (cool-off); live again; pinged, stale, dropped;
    // live again; a frame over the limit.
    &[
        12, 0, 0, 1, 1, 0, 3, 0, 7, 18, 0, 250, 0, 10, 1, 0, 3, 0, 0, 123, 0, 123, 0, 250, 0, 250,
        1, 0, 3, 0, 8, 6,
    ],
    // A ping right behind the server's close frame, in the same read.
    &[12, 0, 0, 1, 1, 0, 3, 0, 7, 0x80, 6, 0],
    // Both market feeds wanted, one slot: the first is stopped, the second goes
    // live and unsubscribes everything.
    &[
        12, 0, 12, 1, 0, 1, 1, 0, 3, 0, 0, 30, 14, 0, 0, 30, 1, 1, 3, 1, 13, 1,
    ],
    // Raw bytes: an empty ping and half a frame, the rest in a partial read.
    &[
        12, 0, 0, 1, 1, 0, 3, 0, 9, 12, 0x89, 0, 0x82, 1, 10, 0, 9, 3, 7, 0, 0, 1,
    ],
];

/// The operation trace of a run, for reading a finding (tests only).
#[cfg(test)]
mod trace {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        static LINES: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
    }

    const NAMES: [&str; 18] = [
        "time",
        "tcp up",
        "tls up",
        "upgrade",
        "market msg",
        "text",
        "ping/pong",
        "close",
        "bad frame",
        "raw",
        "partial read",
        "socket error",
        "subscribe",
        "unsubscribe",
        "stop",
        "restart",
        "credentials",
        "slow writes",
    ];

    /// One line per step: the operation, then each market feed's state.
    pub(super) fn step(h: &Harness, step: usize, op: u8, arg: u8) {
        LINES.with_borrow_mut(|lines| {
            let Some(lines) = lines else { return };
            let (i, v, hold) = (usize::from(arg & 0x7f) % 3, usize::from(arg & 0x7f) / 3, arg & 0x80 != 0);
            let mut line = format!("{step:3} {:<12} conn {i} v {v:3}{}", NAMES[usize::from(op % 18)], if hold { " hold" } else { "" });
            for (n, c) in h.conns.iter().enumerate() {
                if let Feed::Market(m) = &c.feed {
                    let on_server = c.server.subs.iter().filter(|&&x| x != 0).count();
                    let differ = (0..U).filter(|&k| c.server.subs[k] != m.desired[k]).count();
                    line += &format!(
                        " | {n}: {:?} out {} overflowed {} write limit {:?} desired {} on server {on_server} differ {differ}",
                        c.driver.lc.phase(),
                        c.driver.output().len(),
                        c.driver.output_overflowed(),
                        c.write_limit,
                        m.count(),
                    );
                }
            }
            lines.push(line);
        });
    }

    /// Runs `ops` (strict, no fault) and returns its result and trace.
    pub(super) fn run(ops: &[u8]) -> (Result<Totals, Violation>, Vec<String>) {
        LINES.set(Some(Vec::new()));
        let r = super::run(ops);
        (r, LINES.take().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_holds_the_invariants_and_goes_live() {
        for (i, seed) in SEEDS.iter().enumerate() {
            let t = run(seed).unwrap_or_else(|v| panic!("seed {i}: {v:?}"));
            assert!(t.lives >= 1, "seed {i} never went live: {t:?}");
        }
    }

    #[test]
    fn the_seeds_reconnect_refuse_and_fail_credentials() {
        let t = run(SEEDS[0]).unwrap();
        assert_eq!(
            (t.lives, t.reconnects, t.resubscriptions_checked),
            (2, 1, 1),
            "{t:?}"
        );
        assert_eq!(t.requests, 4, "101 instruments, twice: {t:?}");
        let t = run(SEEDS[1]).unwrap();
        assert_eq!(
            (t.refusals, t.refused, t.resubscriptions_checked),
            (1, 101, 1),
            "{t:?}"
        );
        let t = run(SEEDS[2]).unwrap();
        assert_eq!((t.fatal, t.lives), (2, 3), "{t:?}");
        let t = run(SEEDS[3]).unwrap();
        assert_eq!((t.closes, t.resubscriptions_checked), (1, 1), "{t:?}");
        let t = run(SEEDS[4]).unwrap();
        assert_eq!((t.lives, t.resubscriptions_checked), (3, 2), "{t:?}");
    }

    /// The defect this target found: a ping behind the server's close frame
    /// was answered after our close frame. Fixed in `ws::client`: the input
    /// passes the strict check, with no pong after the close.
    #[test]
    fn no_pong_follows_our_close_frame() {
        let t = run(SEEDS[5]).unwrap();
        assert_eq!((t.closes, t.pongs_after_close), (1, 0), "{t:?}");
    }

    const DESIRED_SET: &[u8] = include_bytes!("../../fuzz/seeds/findings/driver-desired-set");

    /// Runs `ops`, printing its trace if an invariant breaks.
    fn run_traced(ops: &[u8]) -> Totals {
        let (r, lines) = trace::run(ops);
        r.unwrap_or_else(|v| panic!("{}\n{v:?}", lines.join("\n")))
    }

    /// The second finding: with slow writes, requests of 101 instruments fill
    /// the output until one finds no room (step 17) and is dropped while the
    /// model kept the connection live; once the rest was written (step 22) the
    /// server lacked it. `Link` drops such a connection (`Cause::OutputFull`)
    /// and the next one resubscribes everything: the model does the same now.
    #[test]
    fn a_server_that_stops_reading_costs_the_connection_not_the_subscriptions() {
        let t = run_traced(DESIRED_SET);
        assert_eq!((t.steps, t.output_full, t.lives), (31, 1, 1), "{t:?}");
        // Up to the overflow, then fast writes and a reconnect: the server has
        // the set desired when the connection was dropped, the dropped request
        // included.
        let mut ops = DESIRED_SET[..36].to_vec();
        ops.extend([17, 0, 0, 20, 1, 0, 3, 0, 0, 1]);
        let t = run_traced(&ops);
        assert_eq!(
            (t.output_full, t.reconnects, t.resubscriptions_checked),
            (1, 1, 1),
            "{t:?}"
        );
    }

    #[test]
    fn a_feed_that_sends_after_its_goodbye_is_caught() {
        assert!(run(SEEDS[3]).is_ok());
        let v = run_with(SEEDS[3], false, Fault::SendAfterGoodbye).unwrap_err();
        assert!(v.what.contains("after our close frame"), "{v:?}");
    }

    #[test]
    fn a_feed_that_does_not_resubscribe_is_caught() {
        let v = run_with(SEEDS[0], false, Fault::NoResubscribe).unwrap_err();
        assert!(v.what.contains("other than the desired set"), "{v:?}");
    }

    #[test]
    fn a_feed_that_keeps_refused_instruments_is_caught() {
        let v = run_with(SEEDS[1], false, Fault::KeepRefused).unwrap_err();
        assert!(v.what.contains("refused instrument is subscribed"), "{v:?}");
    }

    fn masked(op: Opcode, payload: &[u8]) -> Vec<u8> {
        let mut ws = WsClient::new(LIMITS);
        match op {
            Opcode::Close => ws.send_close(1000, ""),
            Opcode::Text => ws.send_text(payload),
            _ => ws.send_ping(payload),
        }
        ws.output().to_vec()
    }

    fn read(s: &mut Server, bytes: &[u8]) -> Result<(), String> {
        let mut t = Totals::default();
        server_read(
            s,
            bytes,
            FeedKind::MarketFeed,
            true,
            &mut TapeParser::new(),
            &mut t,
        )
    }

    #[test]
    fn the_model_server_reads_the_head_then_masked_frames_and_nothing_after_a_close() {
        let head = expected_head().to_vec();
        let sub = br#"{"RequestCode":15,"InstrumentCount":1,"InstrumentList":[{"ExchangeSegment":"NSE_EQ","SecurityId":"7"}]}"#;
        // Frames before the server's 101: refused.
        let mut s = Server::new();
        let mut bytes = head.clone();
        bytes.extend(masked(Opcode::Text, sub));
        assert!(
            read(&mut s, &bytes)
                .unwrap_err()
                .contains("before the server answered")
        );
        // A subscription, in two writes.
        let mut s = Server::new();
        s.answered = true;
        read(&mut s, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(s.subs[7], 0, "not yet whole");
        read(&mut s, &bytes[bytes.len() - 3..]).unwrap();
        assert_eq!(s.subs[7], code_of(FeedMode::Ticker));
        // The disconnect request then a close; then nothing more.
        read(&mut s, &masked(Opcode::Text, DISCONNECT_REQUEST)).unwrap();
        read(&mut s, &masked(Opcode::Close, b"")).unwrap();
        assert!(s.close_seen && s.disconnect_then_close);
        let err = read(&mut s, &masked(Opcode::Ping, b"")).unwrap_err();
        assert!(err.contains("after our close frame"), "{err}");
        // An unmasked frame, and a head without the key.
        let mut s = Server::new();
        s.answered = true;
        let mut bytes = head.clone();
        push_server_frame(true, Opcode::Text, sub, &mut bytes);
        assert!(read(&mut s, &bytes).unwrap_err().contains("unmasked"));
        let other =
            crate::ws::handshake::request(HOST, TARGET, "b3RoZXIga2V5IDEyMzQ1Ng==", "dhan-feed");
        let err = read(&mut Server::new(), &other).unwrap_err();
        assert!(err.contains("expected upgrade request"), "{err}");
    }

    #[test]
    fn the_fast_request_reader_agrees_with_the_encoder_and_refuses_the_rest() {
        let ids: Vec<InstrumentId> = [7, 0, 255, 100].into_iter().map(id_of).collect();
        let mut out = Vec::new();
        crate::proto::request::encode_list(17, &ids, 100, &mut out).unwrap();
        let mut got = Vec::new();
        assert_eq!(read_request(&out, &mut got), Some(17));
        assert_eq!(got, [7, 0, 255, 100]);
        // A wrong count, another segment, a leading zero: the general parser's.
        let bad = String::from_utf8(out.clone()).unwrap();
        for b in [
            bad.replace("\"InstrumentCount\":4", "\"InstrumentCount\":3"),
            bad.replace("NSE_EQ", "BSE_EQ"),
            bad.replace("\"SecurityId\":\"7\"", "\"SecurityId\":\"07\""),
            bad.replace("]}", "] }"),
        ] {
            assert_eq!(read_request(b.as_bytes(), &mut got), None, "{b}");
        }
    }
}
