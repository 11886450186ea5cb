//! The market-feed endpoint: subscriptions per mode, the packets Dhan sends for
//! each mode, one packet per binary message (several under the `stacked` fault).

use super::flow::Flow;
use super::out::Out;
use super::walk::Walk;
use crate::proto::disconnect::DisconnectCode;
use crate::proto::json::TapeParser;
use crate::proto::market::{Ltt, MarketPacket};
use crate::proto::market_encode::encode_packet;
use crate::proto::request::{FeedMode, MAX_INSTRUMENTS_PER_MESSAGE, code};
use crate::proto::request_parse::parse_request;
use crate::proto::segment::InstrumentId;
use std::collections::HashMap;

pub(crate) struct MarketLogic {
    seed: u64,
    max: usize,
    universe: Option<Vec<InstrumentId>>,
    /// Subscribed instruments with their walk and mode, in round-robin order.
    subs: Vec<(Walk, FeedMode)>,
    index: HashMap<InstrumentId, usize>,
    /// Walks of instruments no longer subscribed, kept so a resubscribe continues them.
    parked: HashMap<InstrumentId, Walk>,
    next: usize,
    parser: TapeParser,
    msg: Vec<u8>,
    stack_n: usize,
    stamp: bool,
}

impl MarketLogic {
    pub fn new(seed: u64, max: usize, universe: Option<Vec<InstrumentId>>, stamp: bool) -> Self {
        Self {
            seed,
            max,
            universe,
            subs: Vec::new(),
            index: HashMap::new(),
            parked: HashMap::new(),
            next: 0,
            parser: TapeParser::new(),
            msg: Vec::with_capacity(4096),
            stack_n: 0,
            stamp,
        }
    }

    pub fn has_work(&self) -> bool {
        !self.subs.is_empty()
    }

    /// Handles one text request.
    pub fn on_text(&mut self, text: &[u8], out: &mut Out) -> Flow {
        let req = match parse_request(&mut self.parser, text) {
            Ok(r) => r,
            Err(e) => {
                log::debug!("sim market: ignoring bad request: {e}");
                return Flow::Continue;
            }
        };
        if req.code == u16::from(code::DISCONNECT) {
            return Flow::Goodbye;
        }
        let Some((mode, subscribe)) = u8::try_from(req.code)
            .ok()
            .and_then(FeedMode::from_request_code)
        else {
            log::debug!("sim market: ignoring request code {}", req.code);
            return Flow::Continue;
        };
        if req.instruments.len() > MAX_INSTRUMENTS_PER_MESSAGE {
            return Flow::Disconnect(DisconnectCode::INSTRUMENTS_EXCEED_LIMIT);
        }
        // Snapshots on subscribe go one packet per message whatever the mode.
        let stacked = std::mem::replace(&mut out.stacked, false);
        let flow = self.apply(req.instruments, mode, subscribe, out);
        out.stacked = stacked;
        flow
    }

    fn apply(
        &mut self,
        ids: Vec<InstrumentId>,
        mode: FeedMode,
        subscribe: bool,
        out: &mut Out,
    ) -> Flow {
        for id in ids {
            if self.universe.as_ref().is_some_and(|u| !u.contains(&id)) {
                continue;
            }
            if subscribe {
                let i = match self.index.get(&id) {
                    Some(&i) => {
                        self.subs[i].1 = mode;
                        i
                    }
                    None => {
                        if self.subs.len() >= self.max {
                            return Flow::Disconnect(DisconnectCode::INSTRUMENTS_EXCEED_LIMIT);
                        }
                        let seed = self.seed;
                        let walk = self
                            .parked
                            .remove(&id)
                            .unwrap_or_else(|| Walk::new(seed, id));
                        self.index.insert(id, self.subs.len());
                        self.subs.push((walk, mode));
                        self.subs.len() - 1
                    }
                };
                // On subscribe Dhan sends the previous close, then a first snapshot.
                out.market_packet(&self.subs[i].0.prev_close());
                self.emit(i, out);
            } else if let Some(i) = self.index.remove(&id) {
                let (walk, _) = self.subs.swap_remove(i);
                self.parked.insert(id, walk);
                if let Some((moved, _)) = self.subs.get(i) {
                    self.index.insert(moved.id(), i);
                }
            }
        }
        Flow::Continue
    }

    /// Appends the packets of one update of subscription `i` to `self.msg` when
    /// stacking, or sends them one message each.
    fn emit(&mut self, i: usize, out: &mut Out) {
        let stacked = out.stacked;
        let (w, mode) = &mut self.subs[i];
        let mode = *mode;
        let ltq = w.step();
        let (mut a, b) = match mode {
            FeedMode::Ticker => (w.ticker(), None),
            FeedMode::Quote => (w.quote(ltq), Some(w.oi())),
            FeedMode::Full => (w.full(ltq), None),
        };
        if self.stamp {
            let t = Ltt(crate::time::now_ns() as u32);
            // Quote and full packets carry it in `volume` too: a client that
            // turns the last-trade time into a clock string (the official
            // Python SDK) still hands it over as a number.
            match &mut a {
                MarketPacket::Ticker(p) => p.ltt = t,
                MarketPacket::Quote(p) => {
                    p.ltt = t;
                    p.volume = t.raw();
                }
                MarketPacket::Full(p) => {
                    p.ltt = t;
                    p.volume = t.raw();
                }
                _ => {}
            }
        }
        for p in std::iter::once(a).chain(b) {
            if stacked {
                encode_packet(&p, &mut self.msg);
                self.stack_n += 1;
            } else {
                out.market_packet(&p);
            }
        }
    }

    /// Produces up to `n` updates round-robin over the subscriptions.
    pub fn produce(&mut self, n: u64, out: &mut Out) -> u64 {
        if self.subs.is_empty() {
            return 0;
        }
        // Stacking puts three updates in one message even when pacing asks for one.
        let n = if out.stacked { n.div_ceil(3) * 3 } else { n };
        let mut made = 0;
        self.msg.clear();
        self.stack_n = 0;
        while made < n {
            if self.next >= self.subs.len() {
                self.next = 0;
            }
            let i = self.next;
            self.next += 1;
            self.emit(i, out);
            made += 1;
            if out.stacked && self.stack_n >= 3 {
                out.binary(&self.msg, self.stack_n as u64);
                self.msg.clear();
                self.stack_n = 0;
            }
        }
        if out.stacked && self.stack_n > 0 {
            out.binary(&self.msg, self.stack_n as u64);
            self.msg.clear();
            self.stack_n = 0;
        }
        made
    }

    pub fn disconnect_packet(code: DisconnectCode, out: &mut Vec<u8>) {
        use crate::proto::market::{Disconnect, MarketPacket};
        encode_packet(
            &MarketPacket::Disconnect(Disconnect {
                id: InstrumentId::new(crate::proto::ExchangeSegment::IdxI, 0),
                reason: code,
            }),
            out,
        );
    }
}
