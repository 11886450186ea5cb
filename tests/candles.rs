//! Candle properties over random quote streams: every bar's high and low bound
//! its open and close, and the bars' volumes add up to the day's change of the
//! cumulative volume, late packets included.

use dhan_feed::feed::CandleAggregator;
use dhan_feed::proto::market::{Ltt, MarketPacket, Quote};
use dhan_feed::{ExchangeSegment, InstrumentId};
use proptest::prelude::*;

fn quote(id: InstrumentId, ltp: f32, ltt: u32, volume: u32) -> MarketPacket {
    MarketPacket::Quote(Quote {
        id,
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn bars_bound_their_prices_and_volumes_sum_to_the_days_change(
        steps in prop::collection::vec((0u32..40, -3i32..4, 0u32..500, 0u8..10), 1..300),
        interval in prop::sample::select(vec![1u32, 5, 60, 300]),
    ) {
        let ids = [
            InstrumentId::new(ExchangeSegment::NseEq, 2885),
            InstrumentId::new(ExchangeSegment::IdxI, 13),
        ];
        let mut agg = CandleAggregator::new(interval);
        let mut bars = Vec::new();
        let mut ltt = [1_795_770_900u32; 2];
        let mut cum = [10_000u32; 2];
        // The cumulative volume of each instrument's first packet: counting starts there.
        let mut first: [Option<u32>; 2] = [None; 2];
        let mut price = [1_400.0f32, 25_000.0];
        for (i, (dt, dp, dv, late)) in steps.into_iter().enumerate() {
            let k = i % 2;
            ltt[k] += dt;
            cum[k] += dv;
            price[k] = (price[k] + dp as f32 * 0.05).max(0.05);
            // Now and then a packet stamped a little in the past.
            let stamp = if late == 0 { ltt[k].saturating_sub(interval * 2) } else { ltt[k] };
            first[k].get_or_insert(cum[k]);
            if let Some(bar) = agg.on_packet(&quote(ids[k], price[k], stamp, cum[k])) {
                bars.push(bar);
            }
        }
        bars.extend(agg.flush());
        for b in &bars {
            prop_assert!(b.high >= b.open.max(b.close), "{b:?}");
            prop_assert!(b.low <= b.open.min(b.close), "{b:?}");
            prop_assert_eq!(b.start % interval, 0);
        }
        for (k, id) in ids.iter().enumerate() {
            let total: u64 = bars
                .iter()
                .filter(|b| b.id == *id)
                .map(|b| b.volume.unwrap_or(0))
                .sum();
            prop_assert_eq!(total, u64::from(cum[k] - first[k].unwrap_or(cum[k])));
        }
    }
}
