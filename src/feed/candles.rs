//! OHLCV bars from the market feed: [`CandleAggregator`] turns tickers, quotes
//! and full packets into candles per instrument at any interval, on the
//! consumer's thread.
//!
//! * **Boundaries** are on exchange time: a packet's last-trade time (LTT, IST
//!   wall-clock seconds) decides its bar, `start = ltt - ltt % interval`, so
//!   bars line up with the exchange's minutes whatever the receive time.
//! * **Volume** is the change of Dhan's cumulative day volume (quote and full
//!   packets carry it) over the bar. When the cumulative falls (a new day, or
//!   the server reset it), counting starts again from the new value. Tickers
//!   carry no volume: a bar made of tickers only has `volume: None`, not 0.
//! * **Late packets** (an LTT before the current bar of its instrument) are not
//!   applied to a bar already handed out: they are counted in
//!   [`CandleAggregator::late`] and their volume carried into the current bar,
//!   so the volumes still add up to the day's change.
//!
//! Each instrument's state is made once, at its first packet; after that a
//! packet allocates nothing.

use crate::event::MarketEvent;
use crate::proto::market::MarketPacket;
use crate::proto::segment::InstrumentId;
use std::collections::HashMap;

/// One bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candle {
    /// The instrument.
    pub id: InstrumentId,
    /// The bar's first second (IST wall-clock seconds, as the feed's LTT).
    pub start: u32,
    /// The bar's length in seconds.
    pub interval: u32,
    /// First trade price.
    pub open: f32,
    /// Highest trade price.
    pub high: f32,
    /// Lowest trade price.
    pub low: f32,
    /// Last trade price.
    pub close: f32,
    /// Quantity traded in the bar (change of the day's cumulative volume);
    /// `None` when no packet of the bar carried volume (ticker mode).
    pub volume: Option<u64>,
    /// Packets applied.
    pub packets: u32,
}

#[derive(Clone, Copy, Debug)]
struct Open {
    bar: Candle,
    /// The cumulative day volume last seen (`None`: none yet).
    last_cum: Option<u32>,
    /// Volume of late packets, carried into the next bar.
    carry: u64,
}

/// Builds candles per instrument; see the module docs.
#[derive(Debug)]
pub struct CandleAggregator {
    interval: u32,
    open: HashMap<InstrumentId, Open>,
    late: u64,
}

/// A packet's (price, LTT, cumulative volume), if it is a trade.
fn trade(p: &MarketPacket) -> Option<(f32, u32, Option<u32>)> {
    match p {
        MarketPacket::Ticker(t) => Some((t.ltp, t.ltt.raw(), None)),
        MarketPacket::Quote(q) => Some((q.ltp, q.ltt.raw(), Some(q.volume))),
        MarketPacket::Full(f) => Some((f.ltp, f.ltt.raw(), Some(f.volume))),
        _ => None,
    }
}

impl CandleAggregator {
    /// Bars of `interval_secs` seconds (at least 1).
    pub fn new(interval_secs: u32) -> Self {
        Self {
            interval: interval_secs.max(1),
            open: HashMap::new(),
            late: 0,
        }
    }

    /// The bar length in seconds.
    pub fn interval(&self) -> u32 {
        self.interval
    }

    /// Packets that arrived after their bar was handed out.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// Applies `ev`; returns the bar of its instrument that `ev` closed, if it
    /// opened a new one. Packets without a trade (OI, previous close, status)
    /// are ignored.
    pub fn on_event(&mut self, ev: &MarketEvent) -> Option<Candle> {
        self.on_packet(&ev.packet)
    }

    /// As [`on_event`](Self::on_event), for a bare packet.
    pub fn on_packet(&mut self, p: &MarketPacket) -> Option<Candle> {
        let (price, ltt, cum) = trade(p)?;
        if !price.is_finite() || price <= 0.0 {
            return None;
        }
        let id = p.id();
        let start = ltt - ltt % self.interval;
        let interval = self.interval;
        let fresh = |carry: u64| Candle {
            id,
            start,
            interval,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: (carry > 0).then_some(carry),
            packets: 0,
        };
        let o = self.open.entry(id).or_insert_with(|| Open {
            bar: fresh(0),
            last_cum: None,
            carry: 0,
        });
        // Volume since the last packet (re-based when the cumulative fell).
        let delta = match (cum, o.last_cum) {
            (Some(c), Some(l)) if c >= l => Some(u64::from(c - l)),
            (Some(c), Some(_)) => Some(u64::from(c)),
            (Some(_), None) => Some(0),
            (None, _) => None,
        };
        if let Some(c) = cum {
            o.last_cum = Some(c);
        }
        if start < o.bar.start {
            self.late += 1;
            o.carry += delta.unwrap_or(0);
            return None;
        }
        let mut closed = None;
        if start > o.bar.start {
            closed = (o.bar.packets > 0).then_some(o.bar);
            o.bar = fresh(std::mem::take(&mut o.carry));
        }
        let b = &mut o.bar;
        if b.packets == 0 {
            b.open = price;
            b.high = price;
            b.low = price;
        }
        b.high = b.high.max(price);
        b.low = b.low.min(price);
        b.close = price;
        b.packets += 1;
        if let Some(d) = delta {
            b.volume = Some(b.volume.unwrap_or(0) + d + std::mem::take(&mut o.carry));
        }
        closed
    }

    /// Hands out every open bar (at the end of a session), in no particular
    /// order of instruments.
    pub fn flush(&mut self) -> Vec<Candle> {
        self.open
            .drain()
            .filter(|(_, o)| o.bar.packets > 0)
            .map(|(_, o)| {
                let mut bar = o.bar;
                if o.carry > 0 {
                    bar.volume = Some(bar.volume.unwrap_or(0) + o.carry);
                }
                bar
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::market::{Ltt, Quote, Ticker};
    use crate::proto::segment::ExchangeSegment;

    const ID: InstrumentId = InstrumentId::new(ExchangeSegment::NseEq, 2885);

    fn quote(ltp: f32, ltt: u32, volume: u32) -> MarketPacket {
        MarketPacket::Quote(Quote {
            id: ID,
            ltp,
            ltq: 1,
            ltt: Ltt(ltt),
            atp: ltp,
            volume,
            total_sell_qty: 0,
            total_buy_qty: 0,
            open: 0.0,
            close: 0.0,
            high: 0.0,
            low: 0.0,
        })
    }

    #[test]
    fn bars_close_on_exchange_minutes_with_volume_deltas() {
        let mut a = CandleAggregator::new(60);
        let t0 = 1_795_770_900; // 09:15:00
        assert_eq!(a.on_packet(&quote(100.0, t0, 1_000)), None);
        assert_eq!(a.on_packet(&quote(102.0, t0 + 10, 1_300)), None);
        assert_eq!(a.on_packet(&quote(99.0, t0 + 59, 1_500)), None);
        let bar = a.on_packet(&quote(101.0, t0 + 60, 1_600)).expect("closed");
        assert_eq!(
            (
                bar.start,
                bar.open,
                bar.high,
                bar.low,
                bar.close,
                bar.volume,
                bar.packets
            ),
            (t0, 100.0, 102.0, 99.0, 99.0, Some(500), 3)
        );
        // A late packet is counted, not applied; its volume goes to the next bar.
        assert_eq!(a.on_packet(&quote(150.0, t0 + 30, 1_650)), None);
        assert_eq!(a.late(), 1);
        let rest = a.flush();
        assert_eq!(rest.len(), 1);
        assert_eq!(
            (rest[0].open, rest[0].high, rest[0].volume),
            (101.0, 101.0, Some(150))
        );
    }

    #[test]
    fn tickers_have_no_volume_and_a_fallen_cumulative_rebases() {
        let mut a = CandleAggregator::new(60);
        let tick = |ltp, ltt| {
            MarketPacket::Ticker(Ticker {
                id: ID,
                ltp,
                ltt: Ltt(ltt),
            })
        };
        a.on_packet(&tick(10.0, 60));
        let bar = a.on_packet(&tick(11.0, 120)).unwrap();
        assert_eq!(bar.volume, None);
        let mut a = CandleAggregator::new(60);
        a.on_packet(&quote(10.0, 60, 5_000));
        a.on_packet(&quote(10.0, 61, 40)); // the day's counter started again
        let bar = a.on_packet(&quote(10.0, 120, 100)).unwrap();
        assert_eq!(bar.volume, Some(40));
    }
}
