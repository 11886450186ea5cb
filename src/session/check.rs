//! A property checker for the lifecycle: drives several [`Lifecycle`]s sharing one
//! [`Budget`] the way the engine does, from a byte string read as a sequence of
//! (time step, event) operations, with a model server, and checks the invariants
//! after every step. A proptest in the test suite feeds it; the fuzz target
//! `driver` runs [`super::driver_check`], which checks these invariants too, over
//! the whole connection protocol, at a fraction of this checker's cost per step.
//!
//! Invariants:
//! - never more held (pending or live) connections of a kind than the budget, the
//!   budget's count equals the machines' slots, and at most one opening pending;
//! - no connection attempt after a credential failure until new credentials;
//! - every reconnect delay within `[0, cap]` (or exactly the cool-off);
//! - no busy loop: once `handle_timeout` has nothing to do, the next deadline is
//!   later than now;
//! - after reaching live (and after every change while live) the server's
//!   subscriptions equal the desired set, in messages of at most 100.

use super::budget::{Budget, BudgetConfig};
use super::lifecycle::{Action, Cause, Lifecycle, LifecycleConfig, Phase, SessionEvent};
use super::subs::Plan;
use crate::proto::disconnect::DisconnectCode;
use crate::proto::endpoint::FeedKind;
use crate::proto::json::TapeParser;
use crate::proto::request::{FeedMode, MAX_INSTRUMENTS_PER_MESSAGE};
use crate::proto::request_parse::parse_request;
use crate::proto::segment::{ExchangeSegment, InstrumentId};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The connections the checker runs: two market feeds, a depth feed and the order
/// feed, so the per-kind limits are exercised with small numbers.
const KINDS: [FeedKind; 4] = [
    FeedKind::MarketFeed,
    FeedKind::MarketFeed,
    FeedKind::Depth200,
    FeedKind::OrderUpdate,
];

const CODES: [u16; 10] = [800, 804, 805, 806, 807, 808, 809, 810, 814, 999];
const STATUSES: [u16; 5] = [429, 401, 403, 500, 503];

struct Conn {
    lc: Lifecycle,
    /// The harness's view: a socket exists.
    socket: bool,
    tls: bool,
    /// A credential failure happened and no new credentials came since.
    fatal: bool,
    /// Desired subscriptions, and what this connection's server was asked for.
    desired: BTreeMap<InstrumentId, FeedMode>,
    wire: BTreeMap<InstrumentId, FeedMode>,
    server: BTreeMap<InstrumentId, FeedMode>,
}

/// A broken invariant: which step, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Index of the operation after which it was found.
    pub step: usize,
    /// What was wrong.
    pub what: String,
}

/// Totals of one run (so a test can check the run exercised something).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Operations applied.
    pub steps: usize,
    /// Connections that went live.
    pub lives: usize,
    /// Connections started.
    pub connects: usize,
    /// Credential failures.
    pub fatal: usize,
}

/// Scripted sessions (seeds for the proptest): go live, drop, reconnect, 807 and
/// new credentials; 805 cool-off; HTTP 429 and 401 on the upgrade; a stale feed;
/// 150-instrument subscriptions changed while live on two connections.
pub const SEEDS: &[&[u8]] = &[
    &[
        9, 0, 0, 1, 1, 4, 3, 0, 4, 0, 2, 0, 0, 20, 1, 0, 4, 0, 8, 16, 0, 200, 11, 0, 0, 1,
    ],
    &[
        9, 0, 0, 1, 1, 0, 4, 0, 8, 8, 0, 250, 0, 250, 1, 0, 4, 0, 6, 0,
    ],
    &[
        9, 0, 0, 1, 1, 0, 5, 0, 0, 250, 1, 0, 5, 4, 0, 250, 11, 0, 0, 20, 1, 0, 4, 0,
    ],
    &[
        9, 0, 0, 1, 1, 0, 4, 0, 0, 200, 0, 200, 0, 20, 1, 0, 4, 0, 6, 0,
    ],
    &[
        9, 128, 9, 129, 0, 20, 1, 0, 1, 1, 4, 0, 0, 20, 1, 1, 4, 1, 9, 0x94, 10, 0x80, 9, 0xA9, 10,
        0x95, 2, 0, 0, 20, 1, 0, 4, 0,
    ],
];

/// Runs the operations encoded in `ops` and checks the invariants after each.
pub fn run(ops: &[u8]) -> Result<Totals, Violation> {
    let t0 = Instant::now();
    let mut h = Harness {
        now: t0,
        budget: Budget::new(BudgetConfig {
            per_kind: 1,
            order_updates: 1,
            gap: Duration::from_millis(250),
            full_retry: Duration::from_secs(1),
        }),
        conns: Vec::new(),
        parser: TapeParser::new(),
        plan: Plan::new(),
        scratch: Vec::new(),
        totals: Totals::default(),
    };
    let cfg = LifecycleConfig {
        seed: Some(7),
        ..LifecycleConfig::default()
    };
    for (i, &kind) in KINDS.iter().enumerate() {
        h.conns.push(Conn {
            lc: Lifecycle::new(kind, cfg, i as u64),
            socket: false,
            tls: false,
            fatal: false,
            desired: BTreeMap::new(),
            wire: BTreeMap::new(),
            server: BTreeMap::new(),
        });
    }
    let mut it = ops.iter().copied();
    let mut step = 0;
    while let Some(op) = it.next() {
        let arg = it.next().unwrap_or(0);
        h.apply(op, arg).map_err(|what| Violation { step, what })?;
        h.engine_turn().map_err(|what| Violation { step, what })?;
        h.check().map_err(|what| Violation { step, what })?;
        step += 1;
    }
    h.totals.steps = step;
    Ok(h.totals)
}

struct Harness {
    now: Instant,
    budget: Budget,
    conns: Vec<Conn>,
    parser: TapeParser,
    plan: Plan,
    scratch: Vec<u8>,
    totals: Totals,
}

impl Harness {
    fn apply(&mut self, op: u8, arg: u8) -> Result<(), String> {
        let i = usize::from(arg) % self.conns.len();
        let now = self.now;
        let budget = &mut self.budget;
        let c = &mut self.conns[i];
        match op % 15 {
            // Time passes: from 1 ms to about 70 s, skewed to short steps.
            0 => {
                let ms = u64::from(arg).pow(2) + 1;
                self.now += Duration::from_millis(ms);
            }
            1 if c.lc.phase() == Phase::Connecting => {
                c.tls = (arg >> 2) & 1 == 1;
                c.lc.on_connected(now, c.tls);
            }
            2 if c.socket => {
                c.socket = false;
                c.lc.on_closed(
                    now,
                    Cause::Io(std::io::ErrorKind::ConnectionRefused),
                    budget,
                );
            }
            3 => c.lc.on_tls_established(),
            4 if c.lc.phase() == Phase::WsHandshake => {
                c.lc.on_upgraded(now, budget);
                // The engine resends everything on a new connection.
                c.wire.clear();
                c.server.clear();
                let n = self.send_diff(i)?;
                let c = &mut self.conns[i];
                c.lc.on_live(now, n);
            }
            5 if c.socket && c.lc.phase() == Phase::WsHandshake => {
                c.socket = false;
                let status = STATUSES[usize::from(arg >> 2) % STATUSES.len()];
                c.lc.on_closed(now, Cause::Http(status), budget);
                if Cause::Http(status).is_credential_failure() {
                    c.fatal = true;
                }
            }
            6 => c.lc.on_frame(now),
            7 if c.socket => {
                c.socket = false;
                if arg & 0x80 != 0 {
                    // The order feed's refused login: a credential failure.
                    c.lc.on_closed(now, Cause::LoginRefused, budget);
                    c.fatal = true;
                } else {
                    c.lc.on_closed(now, Cause::ServerClose(Some(1000 + u16::from(arg))), budget);
                }
            }
            8 if c.socket => {
                c.socket = false;
                let code = DisconnectCode(CODES[usize::from(arg >> 2) % CODES.len()]);
                c.lc.on_closed(now, Cause::Dhan(code), budget);
                if code.is_credential_failure() {
                    c.fatal = true;
                }
            }
            9 | 10 => {
                // The user subscribes (9) or unsubscribes (10) a few instruments.
                let mode = FeedMode::ALL[usize::from(arg >> 2) % 3];
                let first = u32::from(arg >> 4) * 37;
                let count = if arg & 0x80 != 0 { 150 } else { 3 };
                for k in first..first + count {
                    let id = InstrumentId::new(ExchangeSegment::NseEq, k);
                    if op % 15 == 9 {
                        c.desired.insert(id, mode);
                    } else {
                        c.desired.remove(&id);
                    }
                }
                let wanted = !c.desired.is_empty();
                c.lc.set_wanted(now, wanted);
                if c.lc.phase() == Phase::Live {
                    self.send_diff(i)?;
                }
            }
            11 => {
                c.fatal = false;
                c.lc.on_new_credentials(now);
            }
            12 => {
                c.lc.stop(now, budget);
                c.socket = false;
            }
            13 => {
                let w = (arg >> 2) & 1 == 1;
                c.lc.set_wanted(now, w);
            }
            14 => {
                c.lc.restart(now, budget);
                c.socket = false;
            }
            _ => {}
        }
        Ok(())
    }

    /// Sends what moves connection `i`'s server from `wire` to `desired`; checks
    /// the server then holds exactly the desired set. Returns instruments sent.
    fn send_diff(&mut self, i: usize) -> Result<u32, String> {
        let c = &mut self.conns[i];
        let keys: Vec<InstrumentId> = c.desired.keys().chain(c.wire.keys()).copied().collect();
        for id in keys {
            let (wire, want) = (c.wire.get(&id).copied(), c.desired.get(&id).copied());
            self.plan.push(id, wire, want);
            match want {
                Some(m) => c.wire.insert(id, m),
                None => c.wire.remove(&id),
            };
        }
        let sent = self.plan.subscribes() as u32;
        let mut msgs = Vec::new();
        self.plan
            .send(&mut self.scratch, |m| msgs.push(m.to_vec()))
            .map_err(|e| format!("encode: {e}"))?;
        for m in msgs {
            let req = parse_request(&mut self.parser, &m).map_err(|e| format!("parse: {e}"))?;
            if req.instruments.len() > MAX_INSTRUMENTS_PER_MESSAGE {
                return Err(format!(
                    "{} instruments in one message",
                    req.instruments.len()
                ));
            }
            let (mode, sub) = u8::try_from(req.code)
                .ok()
                .and_then(FeedMode::from_request_code)
                .ok_or_else(|| format!("bad request code {}", req.code))?;
            for id in req.instruments {
                if sub {
                    // A subscribe sets the mode (a richer one upgrades).
                    c.server.insert(id, mode);
                } else if c.server.get(&id) == Some(&mode) {
                    c.server.remove(&id);
                }
            }
        }
        if c.server != c.desired {
            return Err(format!(
                "server has {} subscriptions, desired {}",
                c.server.len(),
                c.desired.len()
            ));
        }
        Ok(sent)
    }

    /// What the engine does every turn: timers, then the events.
    fn engine_turn(&mut self) -> Result<(), String> {
        let now = self.now;
        for c in &mut self.conns {
            let mut turns = 0;
            while let Some(action) = c.lc.handle_timeout(now, &mut self.budget) {
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
                        c.socket = true;
                        self.totals.connects += 1;
                    }
                    Action::Close(_) => c.socket = false,
                    Action::Ping => {
                        if !c.socket {
                            return Err("ping without a socket".into());
                        }
                    }
                }
            }
            if let Some(t) = c.lc.poll_timeout()
                && t <= now
            {
                return Err(format!("busy loop: deadline {:?} not after now", now - t));
            }
            let cap = c.lc.config().backoff_cap;
            let cool = c.lc.config().cool_off;
            while let Some(ev) = c.lc.poll_event() {
                match ev {
                    SessionEvent::Reconnecting { delay, .. } if delay > cap && delay != cool => {
                        return Err(format!("delay {delay:?} beyond the cap {cap:?}"));
                    }
                    SessionEvent::Connected => self.totals.lives += 1,
                    SessionEvent::Error { .. } => self.totals.fatal += 1,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn check(&self) -> Result<(), String> {
        for kind in [
            FeedKind::MarketFeed,
            FeedKind::Depth200,
            FeedKind::OrderUpdate,
        ] {
            let held = self
                .conns
                .iter()
                .filter(|c| c.lc.kind() == kind && c.lc.holds_slot())
                .count();
            if held > self.budget.limit(kind) {
                return Err(format!("{held} {kind:?} connections over the budget"));
            }
            if held != self.budget.open(kind) {
                return Err(format!(
                    "budget counts {} {kind:?}, machines hold {held}",
                    self.budget.open(kind)
                ));
            }
        }
        let pending = self.conns.iter().filter(|c| c.lc.is_pending()).count();
        if pending > 1 || pending != self.budget.pending() {
            return Err(format!(
                "{pending} pending openings (budget {})",
                self.budget.pending()
            ));
        }
        for c in &self.conns {
            if c.socket != c.lc.phase().has_socket() {
                return Err(format!("socket {} in phase {:?}", c.socket, c.lc.phase()));
            }
            if c.lc.phase() == Phase::Live && c.server != c.desired {
                return Err("live with subscriptions different from the desired set".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scripted_session_goes_live_reconnects_and_stops_on_807() {
        // subscribe on conn 0; time; tcp; tls; upgrade; drop; time; tcp; upgrade;
        // 807; time (no reconnect); new credentials; time.
        let totals = run(SEEDS[0]).expect("invariants hold");
        assert_eq!(totals.lives, 2);
        assert_eq!(totals.fatal, 1);
        assert_eq!(totals.connects, 3);
    }

    #[test]
    fn every_seed_holds_the_invariants_and_goes_live() {
        for (i, seed) in SEEDS.iter().enumerate() {
            let t = run(seed).unwrap_or_else(|v| panic!("seed {i}: {v:?}"));
            assert!(t.lives >= 1, "seed {i} never went live: {t:?}");
        }
    }
}
