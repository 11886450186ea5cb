//! Deterministic market data: a seeded random walk per instrument.
//!
//! Each instrument has its own generator seeded from the simulator's seed and the
//! instrument, so the sequence one instrument sees does not depend on what else is
//! subscribed or on timing.

use super::known::DerivKind;
use crate::proto::depth::{DepthLevel, DepthSide};
use crate::proto::market::{
    Full, FullDepthLevel, Ltt, MarketPacket, OpenInterest, PrevClose, Quote, Ticker,
};
use crate::proto::segment::{ExchangeSegment, InstrumentId};

pub use crate::random::Rng;

/// The simulated state of one instrument.
#[derive(Clone, Debug)]
pub struct Walk {
    id: InstrumentId,
    rng: Rng,
    tick: f64,
    price: f64,
    prev_close: f64,
    open: f64,
    high: f64,
    low: f64,
    volume: u32,
    oi: u32,
    oi_high: u32,
    oi_low: u32,
    ltt: u32,
    traded_value: f64,
    /// A derivative's terms and its own copy of the underlying's walk (seeded
    /// as the underlying's, so it starts where the underlying does): its price
    /// follows from that walk's at every step.
    derives: Option<(DerivKind, Box<Walk>)>,
}

/// Start of the simulated session: 2026-11-27 09:15:00 IST as the feed encodes it.
pub const SESSION_START_LTT: u32 = 1_795_770_900;

impl Walk {
    /// A walk for `id` seeded by `seed`.
    pub fn new(seed: u64, id: InstrumentId) -> Self {
        let mix = seed ^ (u64::from(id.segment.as_u8()) << 40) ^ u64::from(id.security_id);
        let mut rng = Rng::new(mix.wrapping_mul(0x2545_F491_4F6C_DD1D));
        // A recognisable instrument starts at its real level on its real tick; a
        // derivative at its price from its underlying's.
        let known = super::known::known(id);
        let derives = known
            .and_then(|k| k.derives)
            .map(|d| (d.kind, Box::new(Walk::new(seed, d.underlying))));
        let (base, tick) = match known {
            Some(k) => match &derives {
                Some((kind, u)) => (kind.price(u.price, k.tick), k.tick),
                None => (k.low + rng.unit() * (k.high - k.low), k.tick),
            },
            None => (
                match id.segment {
                    ExchangeSegment::IdxI => 10_000.0 + rng.unit() * 40_000.0,
                    ExchangeSegment::NseFno | ExchangeSegment::BseFno => 20.0 + rng.unit() * 480.0,
                    ExchangeSegment::NseCurrency | ExchangeSegment::BseCurrency => {
                        70.0 + rng.unit() * 30.0
                    }
                    _ => 50.0 + rng.unit() * 3_000.0,
                },
                0.05,
            ),
        };
        let price = (base / tick).round() * tick;
        let prev_close = price * (1.0 + (rng.unit() - 0.5) * 0.02);
        let oi = if matches!(
            id.segment,
            ExchangeSegment::NseFno | ExchangeSegment::BseFno
        ) {
            rng.range(10_000, 2_000_000)
        } else {
            0
        };
        Self {
            id,
            rng,
            tick,
            price,
            prev_close,
            open: price,
            high: price,
            low: price,
            volume: 0,
            oi,
            oi_high: oi,
            oi_low: oi,
            ltt: SESSION_START_LTT,
            traded_value: 0.0,
            derives,
        }
    }

    /// Advances one trade: a small move of whole ticks, a traded quantity, and a
    /// last-trade time that moves forward by 0 or 1 s.
    pub fn step(&mut self) -> u16 {
        // One draw feeds every decision of the step (bit fields of one u64).
        let r = self.rng.next_u64();
        let mv = (r & 0xff) as u8;
        let ticks = match mv {
            0..=76 => -1.0,
            77..=153 => 1.0,
            154..=166 => -2.0,
            167..=179 => 2.0,
            _ => 0.0,
        };
        self.price = match &mut self.derives {
            Some((kind, u)) => {
                u.step();
                kind.price(u.price, self.tick)
            }
            None => (self.price + ticks * self.tick).max(self.tick),
        };
        self.high = self.high.max(self.price);
        self.low = self.low.min(self.price);
        let qty = 1 + ((r >> 8) & 0x3ff) as u16 % 500;
        self.volume = self.volume.wrapping_add(u32::from(qty));
        self.traded_value += self.price * f64::from(qty);
        if self.oi > 0 {
            let d = ((r >> 32) & 0xff) as u32;
            self.oi = if (r >> 40) & 1 == 0 {
                self.oi.saturating_sub(d)
            } else {
                self.oi.saturating_add(d)
            };
            self.oi_high = self.oi_high.max(self.oi);
            self.oi_low = self.oi_low.min(self.oi);
        }
        self.ltt += u32::from(((r >> 48) & 0xff) < 51);
        qty
    }

    fn atp(&self) -> f32 {
        if self.volume == 0 {
            self.price as f32
        } else {
            (self.traded_value / f64::from(self.volume)) as f32
        }
    }

    /// The instrument.
    pub fn id(&self) -> InstrumentId {
        self.id
    }

    /// The current price.
    pub fn price(&self) -> f64 {
        self.price
    }

    /// Previous-close packet (code 6).
    pub fn prev_close(&self) -> MarketPacket {
        MarketPacket::PrevClose(PrevClose {
            id: self.id,
            prev_close: self.prev_close as f32,
            prev_oi: self.oi,
        })
    }

    /// Ticker packet (code 2) at the current state.
    pub fn ticker(&self) -> MarketPacket {
        MarketPacket::Ticker(Ticker {
            id: self.id,
            ltp: self.price as f32,
            ltt: Ltt(self.ltt),
        })
    }

    /// Quote packet (code 4) with `ltq`.
    pub fn quote(&self, ltq: u16) -> MarketPacket {
        MarketPacket::Quote(Quote {
            id: self.id,
            ltp: self.price as f32,
            ltq,
            ltt: Ltt(self.ltt),
            atp: self.atp(),
            volume: self.volume,
            total_sell_qty: self.volume / 3 + 1_000,
            total_buy_qty: self.volume / 4 + 1_200,
            open: self.open as f32,
            close: self.prev_close as f32,
            high: self.high as f32,
            low: self.low as f32,
        })
    }

    /// OI packet (code 5).
    pub fn oi(&self) -> MarketPacket {
        MarketPacket::Oi(OpenInterest {
            id: self.id,
            oi: self.oi,
        })
    }

    /// Full packet (code 8) with five depth levels around the price.
    pub fn full(&self, ltq: u16) -> MarketPacket {
        let mut depth = [FullDepthLevel::default(); 5];
        for (i, l) in depth.iter_mut().enumerate() {
            let step = self.tick * (i as f64 + 1.0);
            *l = FullDepthLevel {
                bid_qty: 100 * (i as u32 + 1),
                ask_qty: 120 * (i as u32 + 1),
                bid_orders: 1 + i as u16,
                ask_orders: 2 + i as u16,
                bid_price: (self.price - step) as f32,
                ask_price: (self.price + step) as f32,
            };
        }
        MarketPacket::Full(Full {
            id: self.id,
            ltp: self.price as f32,
            ltq,
            ltt: Ltt(self.ltt),
            atp: self.atp(),
            volume: self.volume,
            total_sell_qty: self.volume / 3 + 1_000,
            total_buy_qty: self.volume / 4 + 1_200,
            oi: self.oi,
            oi_day_high: self.oi_high,
            oi_day_low: self.oi_low,
            open: self.open as f32,
            close: self.prev_close as f32,
            high: self.high as f32,
            low: self.low as f32,
            depth,
        })
    }

    /// `rows` depth levels of one side around the current price, best first.
    pub fn depth_levels(&mut self, side: DepthSide, rows: usize, out: &mut Vec<DepthLevel>) {
        out.clear();
        for i in 0..rows {
            let step = self.tick * (i as f64 + 1.0);
            let price = match side {
                DepthSide::Bid => self.price - step,
                DepthSide::Ask => self.price + step,
            };
            out.push(DepthLevel {
                price: (price.max(self.tick) * 100.0).round() / 100.0,
                qty: self.rng.range(1, 5_000),
                orders: self.rng.range(1, 40),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_walk_and_prices_stay_on_ticks() {
        let id = InstrumentId::new(ExchangeSegment::NseEq, 2885);
        let mut a = Walk::new(7, id);
        let mut b = Walk::new(7, id);
        let mut c = Walk::new(8, id);
        let mut differs = false;
        for _ in 0..1000 {
            assert_eq!(a.step(), b.step());
            c.step();
            assert_eq!(a.price(), b.price());
            differs |= a.price() != c.price();
            let ticks = a.price() / 0.05;
            assert!((ticks - ticks.round()).abs() < 1e-6);
            assert!(a.price() > 0.0);
        }
        assert!(differs, "another seed gives another walk");
    }

    /// Futures and options stay consistent with their underlying at every step:
    /// a future just over it, an option at least its intrinsic value, call minus
    /// put near underlying minus strike, all on their ticks.
    #[test]
    fn derivatives_follow_their_underlying() {
        let id = |s: &str| s.parse::<InstrumentId>().unwrap();
        for seed in [1, 7, 99] {
            let mut nifty = Walk::new(seed, id("IDX_I:13"));
            let mut fut = Walk::new(seed, id("NSE_FNO:35001"));
            let mut call = Walk::new(seed, id("NSE_FNO:35101"));
            let mut put = Walk::new(seed, id("NSE_FNO:35102"));
            for step in 0..2_000 {
                let u = nifty.price();
                assert!((24_000.0..=26_000.0).contains(&u) || step > 0, "{u}");
                let f = fut.price();
                assert!(f > u && f < u * 1.01, "future {f} vs {u}");
                let (c, p) = (call.price(), put.price());
                assert!(c >= (u - 25_000.0).max(0.0) && p >= (25_000.0 - u).max(0.0));
                // Put-call parity with no carry: c - p = u - k, within a tick or two.
                assert!(((c - p) - (u - 25_000.0)).abs() <= 0.2, "{c} {p} {u}");
                for (w, t) in [(&fut, 0.10), (&call, 0.05), (&put, 0.05)] {
                    let n = w.price() / t;
                    assert!((n - n.round()).abs() < 1e-6, "{} off its tick", w.price());
                }
                nifty.step();
                fut.step();
                call.step();
                put.step();
            }
        }
    }
}
