//! The Global Stocks (US) endpoint: trade and OHLC subscriptions by security id
//! (segment `INX_EQ`), a seeded walk in dollars per instrument, and on subscribe
//! the reference packets (previous close, circuit limits, 52-week levels, market
//! status) before the first trade or OHLC.

use super::flow::Flow;
use super::out::Out;
use crate::proto::disconnect::DisconnectCode;
use crate::proto::global::{GlobalData, GlobalPacket, size};
use crate::proto::global_encode::{GlobalMode, MAX_GLOBAL_PER_MESSAGE, encode_global_packet};
use crate::proto::json::TapeParser;
use crate::proto::request_parse::parse_global_request;
use crate::random::Rng;
use std::collections::HashMap;

/// The segment byte the simulator writes in its packet headers: `INX_EQ`'s.
pub const SIM_GLOBAL_SEGMENT: u8 = crate::proto::global::INX_EQ_CODE;

/// 2026-11-27 09:30 New York (14:30 UTC): the simulated session's first trade time.
const SESSION_START: u32 = 1_795_789_800;

/// One instrument's simulated state, in dollars and cents.
struct UsWalk {
    id: u32,
    rng: Rng,
    price: f64,
    prev_close: f64,
    open: f64,
    high: f64,
    low: f64,
    volume: u32,
    ltt: u32,
}

impl UsWalk {
    fn new(seed: u64, id: u32) -> Self {
        let mut rng =
            Rng::new((seed ^ (0x55 << 40) ^ u64::from(id)).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let price = ((20.0 + rng.unit() * 480.0) * 100.0).round() / 100.0;
        let prev_close = ((price * (1.0 + (rng.unit() - 0.5) * 0.02)) * 100.0).round() / 100.0;
        Self {
            id,
            rng,
            price,
            prev_close,
            open: price,
            high: price,
            low: price,
            volume: 0,
            ltt: SESSION_START,
        }
    }

    /// One trade: a move of 0 to 2 cents either way, a size, time forward by 0 or 1 s.
    fn step(&mut self) {
        let r = self.rng.next_u64();
        let cents = match (r & 0xff) as u8 {
            0..=76 => -1.0,
            77..=153 => 1.0,
            154..=166 => -2.0,
            167..=179 => 2.0,
            _ => 0.0,
        };
        self.price = (self.price + cents * 0.01).max(0.01);
        self.high = self.high.max(self.price);
        self.low = self.low.min(self.price);
        self.volume = self
            .volume
            .wrapping_add(1 + ((r >> 8) & 0x3ff) as u32 % 500);
        self.ltt += u32::from(((r >> 48) & 0xff) < 51);
    }

    fn packet(&self, data: GlobalData, len: usize) -> GlobalPacket {
        GlobalPacket {
            segment: SIM_GLOBAL_SEGMENT,
            security_id: self.id,
            second_id: 0,
            declared_len: len as u8,
            data,
        }
    }

    fn trade(&self) -> GlobalPacket {
        self.packet(
            GlobalData::Trade {
                ltp: self.price as f32,
                volume: self.volume,
                ltt: self.ltt,
                lut: self.ltt,
            },
            size::TRADE,
        )
    }

    fn ohlc(&self) -> GlobalPacket {
        self.packet(
            GlobalData::Ohlc {
                open: self.open as f32,
                close: self.price as f32,
                high: self.high as f32,
                low: self.low as f32,
            },
            size::OHLC,
        )
    }

    /// What Dhan sends once on subscribe.
    fn reference(&self) -> [GlobalPacket; 4] {
        let pc = self.prev_close;
        let cents = |x: f64| ((x * 100.0).round() / 100.0) as f32;
        [
            self.packet(
                GlobalData::PrevClose {
                    prev_close: pc as f32,
                },
                size::PREV_CLOSE,
            ),
            self.packet(
                GlobalData::CircuitLimits {
                    upper: cents(pc * 1.2),
                    lower: cents(pc * 0.8),
                },
                size::CIRCUIT_LIMITS,
            ),
            self.packet(
                GlobalData::Week52 {
                    high: cents(pc * 1.35),
                    low: cents(pc * 0.7),
                },
                size::WEEK_52,
            ),
            self.packet(
                GlobalData::MarketStatus {
                    market_type: *b"US\0",
                    status: 1,
                },
                size::MARKET_STATUS,
            ),
        ]
    }
}

pub(crate) struct GlobalLogic {
    seed: u64,
    /// Subscriptions in round-robin order: the walk and the modes it has.
    subs: Vec<(UsWalk, [bool; 2])>,
    index: HashMap<u32, usize>,
    next: usize,
    parser: TapeParser,
    msg: Vec<u8>,
}

fn mode_index(mode: GlobalMode) -> usize {
    match mode {
        GlobalMode::Trade => 0,
        GlobalMode::Ohlc => 1,
    }
}

impl GlobalLogic {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            subs: Vec::new(),
            index: HashMap::new(),
            next: 0,
            parser: TapeParser::new(),
            msg: Vec::with_capacity(256),
        }
    }

    pub fn has_work(&self) -> bool {
        !self.subs.is_empty()
    }

    /// Handles one text request.
    pub fn on_text(&mut self, text: &[u8], out: &mut Out) -> Flow {
        let req = match parse_global_request(&mut self.parser, text) {
            Ok(r) => r,
            Err(e) => {
                log::debug!("sim global: ignoring bad request: {e}");
                return Flow::Continue;
            }
        };
        if req.code == 12 {
            return Flow::Goodbye;
        }
        let Some((mode, subscribe)) = GlobalMode::from_request_code(req.code) else {
            log::debug!("sim global: ignoring request code {}", req.code);
            return Flow::Continue;
        };
        if req.ids.len() > MAX_GLOBAL_PER_MESSAGE {
            return Flow::Disconnect(DisconnectCode::INSTRUMENTS_EXCEED_LIMIT);
        }
        let m = mode_index(mode);
        for id in req.ids {
            match (self.index.get(&id).copied(), subscribe) {
                (Some(i), true) => {
                    self.subs[i].1[m] = true;
                    self.emit(i, mode, out);
                }
                (None, true) => {
                    let walk = UsWalk::new(self.seed, id);
                    let mut modes = [false; 2];
                    modes[m] = true;
                    for p in walk.reference() {
                        self.send(&p, out);
                    }
                    self.index.insert(id, self.subs.len());
                    self.subs.push((walk, modes));
                    self.emit(self.subs.len() - 1, mode, out);
                }
                (Some(i), false) => {
                    self.subs[i].1[m] = false;
                    if self.subs[i].1 == [false; 2] {
                        self.index.remove(&id);
                        self.subs.swap_remove(i);
                        if let Some((moved, _)) = self.subs.get(i) {
                            self.index.insert(moved.id, i);
                        }
                    }
                }
                (None, false) => {}
            }
        }
        Flow::Continue
    }

    fn send(&mut self, p: &GlobalPacket, out: &mut Out) {
        self.msg.clear();
        encode_global_packet(p, &mut self.msg);
        out.binary(&self.msg, 1);
    }

    fn emit(&mut self, i: usize, mode: GlobalMode, out: &mut Out) {
        let p = match mode {
            GlobalMode::Trade => self.subs[i].0.trade(),
            GlobalMode::Ohlc => self.subs[i].0.ohlc(),
        };
        self.send(&p, out);
    }

    /// Produces up to `n` updates round-robin over the subscriptions: each a
    /// trade step, then a packet per mode the instrument has.
    pub fn produce(&mut self, n: u64, out: &mut Out) -> u64 {
        let mut made = 0;
        while made < n && !self.subs.is_empty() {
            if self.next >= self.subs.len() {
                self.next = 0;
            }
            let i = self.next;
            self.next += 1;
            self.subs[i].0.step();
            let modes = self.subs[i].1;
            for mode in GlobalMode::ALL {
                if modes[mode_index(mode)] {
                    self.emit(i, mode, out);
                }
            }
            made += 1;
        }
        made
    }

    /// The error packet (code 50, SDK 2.3.0's 13-byte form) that precedes a close.
    pub fn disconnect_packet(code: DisconnectCode, out: &mut Vec<u8>) {
        encode_global_packet(
            &GlobalPacket {
                segment: SIM_GLOBAL_SEGMENT,
                security_id: 0,
                second_id: 0,
                declared_len: size::ERROR as u8,
                data: GlobalData::Error { code },
            },
            out,
        );
    }
}
